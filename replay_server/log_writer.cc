#include "replay_server/log_writer.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

#include "replay_server/log_record.h"
#include "replay_server/recovery.h"

namespace ddpg {
namespace {

constexpr std::chrono::milliseconds kMinRetryInterval{100};

}  // namespace

StatusOr<std::unique_ptr<LogWriter>> LogWriter::Open(const LogOptions& options, TransitionStore& store,
                                                     DuplicateFilter& filter) {
  StatusOr<RecoveredLog> recovered = RecoverLog(options.data_dir, options.manifest, store, filter);
  DDPG_RETURN_IF_ERROR(recovered.status());
  if (options.priority_snapshots) RecoverPriorities(options.data_dir, store);
  const uint64_t segment_bytes = options.segment_bytes > 0 ? options.segment_bytes : SegmentBytesFor(options.manifest);
  StatusOr<std::unique_ptr<SegmentLog>> segments =
      SegmentLog::Open(options.data_dir, segment_bytes, std::move(recovered->segments), recovered->next_chunk, filter);
  DDPG_RETURN_IF_ERROR(segments.status());
  const int wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd < 0) return Internal(std::string("cannot create an eventfd: ") + std::strerror(errno));
  return std::unique_ptr<LogWriter>(
      new LogWriter(std::move(*segments), filter, recovered->next_chunk, store.total_inserted(), options, wake_fd));
}

LogWriter::LogWriter(std::unique_ptr<SegmentLog> segments, const DuplicateFilter& filter, uint64_t next_chunk,
                     uint64_t end_transition, const LogOptions& options, int wake_fd)
    : data_dir_(options.data_dir),
      sync_interval_(options.sync_interval),
      retry_interval_(std::max(options.sync_interval, kMinRetryInterval)),
      capacity_(options.manifest.capacity),
      wake_fd_(wake_fd),
      appended_(next_chunk - 1),
      durable_(next_chunk - 1),
      disk_bytes_(segments->disk_bytes()),
      segment_count_(segments->segment_count()),
      segments_(std::move(segments)),
      filter_(filter),
      durable_end_transition_(end_transition),
      thread_([this] { Write(); }) {}

LogWriter::~LogWriter() {
  Close();
  close(wake_fd_);
}

uint64_t LogWriter::Append(protocol::InsertChunk chunk, uint64_t first_transition) {
  const uint64_t number = ++appended_;
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    assert(!closing_);
    queue_.push_back({number, first_transition, std::move(chunk)});
    wake = idle_;
  }
  // Only a thread waiting for work needs waking: one waiting for its next commit time takes the queue then.
  if (wake) work_.notify_one();
  return number;
}

void LogWriter::SnapshotPriorities(PrioritySnapshot snapshot) {
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    assert(!closing_);
    pending_snapshot_ = std::move(snapshot);
    wake = idle_;
  }
  if (wake) work_.notify_one();
}

std::optional<std::string> LogWriter::failure() const {
  std::lock_guard lock(mutex_);
  return failure_;
}

LogStats LogWriter::stats() const {
  return {.commits = commits_.load(),
          .failed_commits = failed_commits_.load(),
          .disk_bytes = disk_bytes_.load(),
          .segments = segment_count_.load(),
          .priority_snapshots = priority_snapshots_.load(),
          .failed_priority_snapshots = failed_priority_snapshots_.load()};
}

void LogWriter::ClearWake() {
  uint64_t count = 0;
  // Nonblocking: fails with EAGAIN when nothing was signalled, which is fine.
  (void)!read(wake_fd_, &count, sizeof count);
}

void LogWriter::Wake() {
  const uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof one);
}

void LogWriter::Close() {
  {
    std::lock_guard lock(mutex_);
    closing_ = true;
  }
  work_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void LogWriter::Write() {
  Clock::time_point next_commit = Clock::now();
  std::vector<Queued> batch;
  for (;;) {
    bool closing = false;
    {
      std::unique_lock lock(mutex_);
      while (!closing_ && queue_.empty() && unsynced_.empty() && !pending_snapshot_) {
        idle_ = true;
        work_.wait(lock);
      }
      idle_ = false;
      work_.wait_until(lock, next_commit, [&] { return closing_; });
      batch.swap(queue_);
      // Taken with the queue: every chunk appended before it is in this batch or an earlier one.
      if (pending_snapshot_) {
        snapshot_ = std::move(pending_snapshot_);
        pending_snapshot_.reset();
      }
      closing = closing_;
    }
    for (Queued& queued : batch) {
      const protocol::InsertChunk& chunk = queued.chunk;
      replay_log::AppendChunkRecord(chunk, queued.first_transition, unsynced_);
      filter_.Record(chunk.actor_id, chunk.incarnation, chunk.sequence);
      ++unsynced_chunks_;
      unsynced_last_ = queued.number;
      unsynced_end_transition_ = queued.first_transition + chunk.transitions.size();
    }
    batch.clear();
    if (unsynced_.empty()) {
      WriteSnapshotIfDurable();
      if (closing) return;
      continue;
    }
    const Clock::time_point started = Clock::now();
    if (Commit()) {
      next_commit = started + sync_interval_;
      WriteSnapshotIfDurable();
    } else if (closing) {
      spdlog::error(
          "replay log: stopping with {} chunks that could not be written; they were not acknowledged, so their "
          "actors send them again to the next server",
          unsynced_chunks_);
      return;
    } else {
      next_commit = Clock::now() + retry_interval_;
    }
  }
}

bool LogWriter::Commit() {
  const Status committed = segments_->Commit(unsynced_, unsynced_chunks_, unsynced_end_transition_);
  if (!committed.ok()) {
    ++failed_commits_;
    if (!failing_since_) {
      failing_since_ = Clock::now();
      spdlog::error(
          "replay log: {}. {} chunks are not acknowledged until a commit succeeds; trying again every {} ms and "
          "refusing new chunks meanwhile",
          committed.message(), unsynced_chunks_, retry_interval_.count());
    } else {
      error_log_.Warn("replay log: still failing: " + committed.message());
    }
    {
      std::lock_guard lock(mutex_);
      failure_ = committed.message();
    }
    Wake();
    return false;
  }
  durable_.store(unsynced_last_, std::memory_order_release);
  durable_end_transition_ = unsynced_end_transition_;
  unsynced_.clear();
  unsynced_chunks_ = 0;
  ++commits_;
  if (failing_since_) {
    spdlog::info("replay log: commits succeed again after {:.1f} s; accepting chunks again",
                 std::chrono::duration<double>(Clock::now() - *failing_since_).count());
    failing_since_.reset();
    std::lock_guard lock(mutex_);
    failure_.reset();
  }
  Wake();
  // After a commit the filter holds exactly the chunks on disk: what a new segment must begin with.
  if (Status rotated = segments_->RotateIfFull(filter_); !rotated.ok()) {
    error_log_.Warn("replay log: cannot start a new segment (the newest one grows meanwhile): " + rotated.message());
  }
  if (Status deleted = segments_->DeleteOverwritten(capacity_); !deleted.ok()) {
    error_log_.Warn("replay log: " + deleted.message());
  }
  disk_bytes_ = segments_->disk_bytes();
  segment_count_ = segments_->segment_count();
  return true;
}

void LogWriter::WriteSnapshotIfDurable() {
  if (!snapshot_ || snapshot_->end_transition() > durable_end_transition_) return;
  if (Status written = WritePrioritySnapshot(data_dir_, *snapshot_); written.ok()) {
    ++priority_snapshots_;
  } else {
    ++failed_priority_snapshots_;
    error_log_.Warn(
        "replay log: cannot write a priority snapshot (the last one written stays; the next one tries "
        "again): " +
        written.message());
  }
  snapshot_.reset();
}

}  // namespace ddpg
