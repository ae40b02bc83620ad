#include "replay_server/recovery.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>

#include <spdlog/spdlog.h>

#include "replay_server/log_record.h"
#include "replay_server/priority_snapshot.h"

namespace ddpg {
namespace {

// Cuts the file at `length` and syncs it, so that the torn end cannot come back after another crash.
Status Truncate(const std::string& path, uint64_t length) {
  const int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return Unavailable("cannot open '" + path + "': " + std::strerror(errno));
  Status status = Status::Ok();
  if (ftruncate(fd, static_cast<off_t>(length)) != 0 || fdatasync(fd) != 0) {
    status = Unavailable("cannot truncate '" + path + "': " + std::strerror(errno));
  }
  close(fd);
  return status;
}

Status Damaged(const std::string& path, uint64_t offset, const std::string& problem) {
  return FailedPrecondition(
      "replay log segment '" + path + "' is damaged at offset " + std::to_string(offset) + ": " + problem +
      ". Starting would silently lose what follows it, so the server does not start: to start anyway, move that "
      "segment and every later one out of replay.data_dir (their transitions are lost), or move the whole directory "
      "away to start empty");
}

}  // namespace

StatusOr<RecoveredLog> RecoverLog(const std::string& dir, const LogManifest& manifest, TransitionStore& store,
                                  DuplicateFilter& filter) {
  assert(store.size() == 0 && store.total_inserted() == 0);
  const auto started = std::chrono::steady_clock::now();
  DDPG_RETURN_IF_ERROR(PrepareDataDir(dir, manifest));
  StatusOr<std::vector<SegmentFile>> listed = ListSegments(dir);
  DDPG_RETURN_IF_ERROR(listed.status());

  RecoveredLog recovered;
  std::optional<uint64_t> next_transition;  // the first_transition the next chunk record must have
  uint64_t bytes_read = 0;
  for (size_t i = 0; i < listed->size(); ++i) {
    SegmentFile segment = (*listed)[i];
    const bool newest = i + 1 == listed->size();
    if (i == 0) recovered.next_chunk = segment.first_chunk;
    if (segment.first_chunk != recovered.next_chunk) {
      return FailedPrecondition("replay log segment '" + segment.path + "' begins with chunk " +
                                std::to_string(segment.first_chunk) + ", but the segments before it end with chunk " +
                                std::to_string(recovered.next_chunk - 1) +
                                ": a segment between them is missing. Move the segments before the gap out of "
                                "replay.data_dir to start with the later ones, or the whole directory to start empty");
    }
    StatusOr<std::string> contents = ReadWholeFile(segment.path);
    DDPG_RETURN_IF_ERROR(contents.status());
    bytes_read += contents->size();
    bool has_filter = false;
    size_t offset = 0;
    for (;;) {
      const replay_log::RecordRead read = replay_log::ReadRecord(*contents, offset);
      if (read.outcome == replay_log::RecordRead::Outcome::kEnd) break;
      if (read.outcome == replay_log::RecordRead::Outcome::kBad) {
        if (!newest) return Damaged(segment.path, offset, read.problem);
        DDPG_RETURN_IF_ERROR(Truncate(segment.path, offset));
        recovered.dropped_bytes = contents->size() - offset;
        spdlog::warn(
            "replay log: dropped the torn end of '{}': {} bytes from offset {} ({}); the chunks in them were never "
            "acknowledged, so their actors send them again",
            segment.path, recovered.dropped_bytes, offset, read.problem);
        break;
      }
      StatusOr<replay_log::RecordKind> kind = replay_log::KindOf(read.payload);
      if (!kind.ok()) return Damaged(segment.path, offset, kind.status().message());
      if (!has_filter) {
        if (*kind != replay_log::RecordKind::kFilterState) {
          return Damaged(segment.path, offset, "the segment does not begin with a duplicate filter record");
        }
        // Later segments' filter records only repeat what the chunks before them recorded.
        if (i == 0) {
          StatusOr<std::vector<DuplicateFilter::ProcessState>> state = replay_log::DecodeFilterState(read.payload);
          if (!state.ok()) return Damaged(segment.path, offset, state.status().message());
          filter.Restore(*state);
        }
        has_filter = true;
      } else if (*kind == replay_log::RecordKind::kFilterState) {
        return Damaged(segment.path, offset, "a duplicate filter record after the segment's first record");
      } else {
        StatusOr<replay_log::ChunkRecord> record = replay_log::DecodeChunk(read.payload);
        if (!record.ok()) return Damaged(segment.path, offset, record.status().message());
        const protocol::InsertChunk& chunk = record->chunk;
        if (next_transition && record->first_transition != *next_transition) {
          return Damaged(segment.path, offset,
                         "its chunk begins with transition " + std::to_string(record->first_transition) +
                             ", but the chunk before it ended with transition " + std::to_string(*next_transition - 1));
        }
        if (!next_transition) store.StartCountAt(record->first_transition);
        if (Status stored = store.Insert(chunk.transitions); !stored.ok()) {
          return Damaged(segment.path, offset, stored.message());
        }
        filter.Record(chunk.actor_id, chunk.incarnation, chunk.sequence);
        next_transition = record->first_transition + chunk.transitions.size();
        ++segment.chunks;
        segment.chunk_bytes += read.next_offset - offset;
        ++recovered.chunks;
        recovered.transitions += chunk.transitions.size();
      }
      offset = read.next_offset;
    }
    if (!has_filter) {
      if (!newest) return Damaged(segment.path, offset, "the segment holds no whole record");
      // Not even its first record was whole, so it holds no chunk: as if it had never been created.
      if (unlink(segment.path.c_str()) != 0) {
        return Unavailable("cannot remove '" + segment.path + "': " + std::strerror(errno));
      }
      spdlog::warn("replay log: removed '{}', which held no whole record", segment.path);
      break;
    }
    segment.bytes = offset;
    segment.end_transition = next_transition.value_or(0);
    recovered.next_chunk = segment.first_chunk + segment.chunks;
    recovered.segments.push_back(std::move(segment));
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (listed->empty()) {
    spdlog::info("replay log: starting a new log in '{}'", dir);
    return recovered;
  }
  spdlog::info(
      "replay log: recovered {} chunks ({} transitions) from {} segments ({:.1f} MB) of '{}' in {:.2f} s; the store "
      "holds {}, total_inserted {}",
      recovered.chunks, recovered.transitions, recovered.segments.size(), bytes_read / 1e6, dir, seconds, store.size(),
      store.total_inserted());
  return recovered;
}

size_t RecoverPriorities(const std::string& dir, TransitionStore& store) {
  assert(store.prioritized() != nullptr);
  StatusOr<std::optional<PrioritySnapshot>> read = ReadPrioritySnapshot(dir, store.capacity());
  auto ignored = [&](const std::string& why) {
    spdlog::warn(
        "replay log: {}; it is ignored, and the {} recovered transitions start at priority 1 (priorities are "
        "derived from the learner's TD errors, which set them again as it samples)",
        why, store.size());
    return size_t{0};
  };
  if (!read.ok()) return ignored(read.status().message());
  if (!read->has_value()) return 0;
  const PrioritySnapshot& snapshot = **read;
  if (snapshot.end_transition() > store.total_inserted()) {
    const std::string log_end = store.total_inserted() == 0
                                    ? "the log holds none"
                                    : "the log's last is number " + std::to_string(store.total_inserted() - 1);
    return ignored("the priority snapshot '" + dir + "/" + std::string(kPrioritySnapshotName) +
                   "' covers transitions up to number " + std::to_string(snapshot.end_transition() - 1) + ", but " +
                   log_end + ": it is not of this log (were segments moved away?)");
  }
  const size_t restored = store.RestorePriorities(snapshot);
  const double age_s = (static_cast<double>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                std::chrono::system_clock::now().time_since_epoch())
                                                .count()) -
                        static_cast<double>(snapshot.taken_unix_ms)) /
                       1e3;
  spdlog::info(
      "replay log: restored {} priorities from the snapshot taken {:.1f} s ago; the {} recovered transitions "
      "stored after it enter at its maximum priority {:.6g}, and beta's annealing goes on from batch {} (beta {:.3f})",
      restored, age_s, store.total_inserted() - std::max(store.first_stored(), snapshot.end_transition()),
      store.prioritized()->max_priority(), snapshot.batches, store.prioritized()->beta());
  return restored;
}

}  // namespace ddpg
