// LogWriter: the replay log's writing thread (replay.durability = disk). It commits the chunks the replay
// service stored to the segment files in groups, and tells the service how far they are durable, which is
// when the service acknowledges them (docs/replay-log.md, "Writing").
//
// The service thread hands each chunk over right after storing it (Append only queues it and returns its
// number) and sends the chunk's InsertAck once durable() has reached that number. The writing thread owns
// the files (SegmentLog) and its own DuplicateFilter, which follows what it wrote, for the filter record
// each new segment begins with. It commits everything handed over since its last commit, at most once per
// sync interval (at once after a quiet spell), and after each commit makes wake_fd() readable; the service
// polls that descriptor beside its ROUTER socket. So the service thread never waits for the disk and keeps
// serving samples while an fsync is under way.
//
// Why a thread rather than fsyncs on the service thread: an fdatasync of one commit takes about 3 ms on the
// development machine's disk (more under load), which would stall every sample request queued behind it;
// and encoding, checksumming and writing the records then run beside the service on the second core
// (bench/README.md has the figures).
//
// With prioritized replay it also writes the priority snapshots the service hands it (priority_snapshot.h),
// each after the commit that makes every transition it covers durable, so that a snapshot never names a
// transition a crash could still take back (a number that a resent chunk would then be stored under). Open
// restores the last one. A snapshot that cannot be written is counted and logged (rate-limited); the next
// one tries again, and chunks go on being committed and acknowledged meanwhile.
//
// A commit that fails (a full disk, an I/O error) is tried again with the same records every
// max(sync interval, 100 ms); SegmentLog cuts the segment back first, so nothing half-written stays. Until
// one succeeds, failure() says why (the service refuses new chunks meanwhile) and durable() stands still,
// so nothing that is not on disk is ever acknowledged.
//
// Ownership: owns its thread, the SegmentLog, the eventfd, and each chunk from Append until it is written.
// Blocking: Append takes a mutex that the writing thread holds only to swap the queue out; it never waits
// for the disk. Close() waits for one last commit of what was handed over and for the thread to end.
// Thread-safety: Append, SnapshotPriorities, appended and Close from one thread (the service's); durable, failure,
// stats, wake_fd and ClearWake from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/protocol.h"
#include "common/rate_limited_log.h"
#include "common/status.h"
#include "replay_server/duplicate_filter.h"
#include "replay_server/priority_snapshot.h"
#include "replay_server/segment_log.h"
#include "replay_server/transition_store.h"

namespace ddpg {

struct LogOptions {
  std::string data_dir;
  LogManifest manifest;
  std::chrono::milliseconds sync_interval{2};
  uint64_t segment_bytes = 0;  // 0: SegmentBytesFor(manifest)
  // Prioritized replay with priority snapshots: Open restores the priorities from the last one.
  bool priority_snapshots = false;
};

struct LogStats {
  uint64_t commits = 0;
  uint64_t failed_commits = 0;
  uint64_t disk_bytes = 0;  // of the segments
  uint64_t segments = 0;
  uint64_t priority_snapshots = 0;         // written
  uint64_t failed_priority_snapshots = 0;  // that could not be written
};

class LogWriter {
 public:
  // Recovers `store` and `filter` (both empty) from options.data_dir (recovery.h), with
  // options.priority_snapshots the store's priorities too, then starts the thread.
  static StatusOr<std::unique_ptr<LogWriter>> Open(const LogOptions& options, TransitionStore& store,
                                                   DuplicateFilter& filter);
  ~LogWriter();
  LogWriter(const LogWriter&) = delete;
  LogWriter& operator=(const LogWriter&) = delete;

  // Queues a chunk just stored, whose first transition was the first_transition-th stored ever; returns its
  // chunk number. Numbers increase by one per call.
  uint64_t Append(protocol::InsertChunk chunk, uint64_t first_transition);
  // Queues a priority snapshot of the store (TransitionStore::TakePrioritySnapshot), taken after the last
  // Append, to be written once the chunks appended so far are durable; it replaces one still waiting.
  void SnapshotPriorities(PrioritySnapshot snapshot);
  // The number of the last chunk appended (or recovered, before any Append).
  uint64_t appended() const { return appended_; }
  // Every chunk numbered up to this is on disk and fsync'd.
  uint64_t durable() const { return durable_.load(std::memory_order_acquire); }
  // Why the last commit failed, while none has succeeded since.
  std::optional<std::string> failure() const;
  LogStats stats() const;

  // Readable (an eventfd) after durable() advanced or failure() changed; ClearWake() makes it unreadable.
  int wake_fd() const { return wake_fd_; }
  void ClearWake();

  // Commits what was appended (one attempt) and, if that succeeded, writes the snapshot waiting, then ends the
  // thread. Neither Append nor SnapshotPriorities may be called afterwards.
  void Close();

 private:
  using Clock = std::chrono::steady_clock;
  struct Queued {
    uint64_t number;
    uint64_t first_transition;
    protocol::InsertChunk chunk;
  };

  LogWriter(std::unique_ptr<SegmentLog> segments, const DuplicateFilter& filter, uint64_t next_chunk,
            uint64_t end_transition, const LogOptions& options, int wake_fd);
  // The writing thread's loop.
  void Write();
  // Commits unsynced_; true if it succeeded.
  bool Commit();
  // Writes snapshot_ if every transition it covers is durable.
  void WriteSnapshotIfDurable();
  void Wake();

  const std::string data_dir_;
  const std::chrono::milliseconds sync_interval_;
  const std::chrono::milliseconds retry_interval_;
  const uint64_t capacity_;
  const int wake_fd_;
  uint64_t appended_;  // service thread only

  mutable std::mutex mutex_;
  std::condition_variable work_;
  std::vector<Queued> queue_;           // guarded by mutex_
  bool idle_ = false;                   // guarded by mutex_: the thread waits for work, Append must wake it
  bool closing_ = false;                // guarded by mutex_
  std::optional<std::string> failure_;  // guarded by mutex_
  std::optional<PrioritySnapshot> pending_snapshot_;  // guarded by mutex_: handed over, not yet taken
  std::atomic<uint64_t> durable_;
  std::atomic<uint64_t> commits_{0};
  std::atomic<uint64_t> failed_commits_{0};
  std::atomic<uint64_t> disk_bytes_{0};
  std::atomic<uint64_t> segment_count_{0};
  std::atomic<uint64_t> priority_snapshots_{0};
  std::atomic<uint64_t> failed_priority_snapshots_{0};

  // The writing thread's own.
  std::unique_ptr<SegmentLog> segments_;
  DuplicateFilter filter_;
  std::string unsynced_;  // records of the chunks no commit has made durable yet
  uint64_t unsynced_chunks_ = 0;
  uint64_t unsynced_last_ = 0;                // the number of the last of them
  uint64_t unsynced_end_transition_ = 0;      // one past their last transition
  uint64_t durable_end_transition_;           // one past the last transition on disk
  std::optional<PrioritySnapshot> snapshot_;  // taken from pending_snapshot_, waiting for its transitions' commit
  std::optional<Clock::time_point> failing_since_;
  RateLimitedLog error_log_;

  std::thread thread_;  // last: it starts once everything above is initialized
};

}  // namespace ddpg
