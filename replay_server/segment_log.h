// The replay log's files in replay.data_dir: the MANIFEST, the segment files, and SegmentLog, which appends
// to them (docs/replay-log.md is the format and the rules).
//
// SegmentLog writes whole commits: the records of a commit go to the end of the newest segment in one
// pwrite and are fdatasync'd before Commit returns. If either fails, the segment is cut back to its length
// before the commit, so that it always ends with a whole, synced record, and the same records may be
// committed again. A segment whose chunk records reach segment_bytes is followed by a new one, created
// complete (its filter record) under a temporary name, synced and renamed, so that a segment is synced
// before any later one exists. Segments all of whose transitions the store has overwritten are deleted.
//
// Ownership: owns the newest segment's file descriptor. Blocking: every call but the accessors does file
// I/O and may block on the disk for as long as an fsync takes. Thread-safety: not thread-safe; the replay
// log's writing thread owns it (replay_server/log_writer.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "replay_server/duplicate_filter.h"

namespace ddpg {

// What a replay log holds; a server whose configuration differs may not use it.
struct LogManifest {
  std::string env_id;
  uint32_t obs_dim = 0;
  uint32_t act_dim = 0;
  uint64_t capacity = 0;
};

// One segment file and what recovery found in it.
struct SegmentFile {
  std::string path;
  uint64_t first_chunk = 0;     // from its name
  uint64_t chunks = 0;          // chunk records in it
  uint64_t bytes = 0;           // its length: every record in it is whole
  uint64_t chunk_bytes = 0;     // of those, the bytes of chunk records
  uint64_t end_transition = 0;  // first_transition + count of its last chunk (of the one before, if none)
};

// Checks that `dir` (the value of replay.data_dir) is a writable directory, removes the *.tmp files a crash
// left there, and checks its MANIFEST against `expected`, naming every field that differs; writes the
// MANIFEST when the directory holds neither one nor any segment, and rewrites a manifest of format 1 (whose log
// this server reads) as the format it appends in.
Status PrepareDataDir(const std::string& dir, const LogManifest& expected);

// The segment files in `dir`, in log order, with only path and first_chunk filled in.
StatusOr<std::vector<SegmentFile>> ListSegments(const std::string& dir);

// The size at which a segment is followed by a new one: an eighth of `capacity` transitions' chunk records,
// within 64 KiB .. 64 MiB, so that the disk holds at most about 1.125 times the store's contents.
uint64_t SegmentBytesFor(const LogManifest& manifest);

// fsyncs the directory itself, so that files created, renamed or deleted in it stay so after a crash.
Status SyncDirectory(const std::string& dir);

// Writes `contents` to dir/name so that a crash leaves either the old file or the whole new one: name.tmp is
// written, fdatasync'd and renamed, and the directory fsync'd. Unavailable, naming the file, if that fails.
Status WriteFileAtomically(const std::string& dir, std::string_view name, std::string_view contents);

// The whole of the file at `path`; Unavailable, naming it, if it cannot be opened or read.
StatusOr<std::string> ReadWholeFile(const std::string& path);

class SegmentLog {
 public:
  // Continues the newest of `segments` (as recovery left them, oldest first) at its end, or, if there are
  // none, starts the first segment, numbered next_chunk, with `filter`'s state.
  static StatusOr<std::unique_ptr<SegmentLog>> Open(const std::string& dir, uint64_t segment_bytes,
                                                    std::vector<SegmentFile> segments, uint64_t next_chunk,
                                                    const DuplicateFilter& filter);
  ~SegmentLog();
  SegmentLog(const SegmentLog&) = delete;
  SegmentLog& operator=(const SegmentLog&) = delete;

  // Appends `records`, the chunk records of the next `chunks` chunks, whose transitions end at
  // end_transition, and fdatasyncs them. Unavailable, naming the file and the error, if that fails; the
  // segment is then as it was before the call.
  Status Commit(std::string_view records, uint64_t chunks, uint64_t end_transition);
  // Starts a new segment, beginning with `filter`'s state, if the newest one's chunk records have reached
  // segment_bytes. If the new segment cannot be written the newest one stays in use; if only the directory
  // could not be synced after, the new one is used and the next Commit syncs the directory first.
  Status RotateIfFull(const DuplicateFilter& filter);
  // Deletes the segments, oldest first and the newest excepted, that hold no transition among the newest
  // `capacity`.
  Status DeleteOverwritten(uint64_t capacity);

  uint64_t disk_bytes() const;
  size_t segment_count() const { return segments_.size(); }
  const std::vector<SegmentFile>& segments() const { return segments_; }

 private:
  SegmentLog(std::string dir, uint64_t segment_bytes, std::vector<SegmentFile> segments);
  // Creates segment first_chunk holding `filter`'s state and makes it the newest.
  Status StartSegment(uint64_t first_chunk, uint64_t end_transition, const DuplicateFilter& filter);

  std::string dir_;
  uint64_t segment_bytes_;
  std::vector<SegmentFile> segments_;  // oldest first; the newest is open as fd_
  int fd_ = -1;
  bool needs_truncate_ = false;        // a failed commit left bytes beyond segments_.back().bytes
  bool needs_directory_sync_ = false;  // the newest segment's name is not yet synced
};

}  // namespace ddpg
