#include "replay_server/segment_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include "replay_server/log_record.h"

namespace ddpg {
namespace {

constexpr std::string_view kManifestName = "MANIFEST";
constexpr std::string_view kManifestTitle = "ddpg-cluster replay log";
// Format 2 writes chunk records of kind 3 (docs/replay-log.md); a log of format 1 is read, and its manifest
// rewritten as format 2 before anything is appended, so that a server of format 1 refuses it by its manifest
// instead of as damage at the first new record.
constexpr int kFormat = 2;
constexpr int kOldestReadableFormat = 1;
constexpr std::string_view kSegmentPrefix = "segment-";
constexpr std::string_view kSegmentSuffix = ".log";
constexpr std::string_view kTemporarySuffix = ".tmp";
constexpr size_t kSegmentDigits = 20;
constexpr uint64_t kMinSegmentBytes = 64 << 10;
constexpr uint64_t kMaxSegmentBytes = 64 << 20;

Status Errno(const std::string& what, const std::string& path) {
  return Unavailable(what + " '" + path + "': " + std::strerror(errno));
}

// pwrite until every byte is written; a short write with no error (a full disk) reports ENOSPC.
Status WriteAt(int fd, std::string_view data, uint64_t offset, const std::string& path) {
  while (!data.empty()) {
    const ssize_t written = pwrite(fd, data.data(), data.size(), static_cast<off_t>(offset));
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) {
      if (written == 0) errno = ENOSPC;
      return Errno("cannot write", path);
    }
    data.remove_prefix(static_cast<size_t>(written));
    offset += static_cast<uint64_t>(written);
  }
  return Status::Ok();
}

std::string SegmentPath(const std::string& dir, uint64_t first_chunk) {
  char name[64];
  std::snprintf(name, sizeof name, "segment-%020" PRIu64 ".log", first_chunk);
  return dir + "/" + name;
}

std::optional<uint64_t> SegmentNumber(const std::string& name) {
  if (name.size() != kSegmentPrefix.size() + kSegmentDigits + kSegmentSuffix.size() ||
      !name.starts_with(kSegmentPrefix) || !name.ends_with(kSegmentSuffix)) {
    return std::nullopt;
  }
  uint64_t number = 0;
  for (size_t i = kSegmentPrefix.size(); i < kSegmentPrefix.size() + kSegmentDigits; ++i) {
    if (name[i] < '0' || name[i] > '9') return std::nullopt;
    number = number * 10 + static_cast<uint64_t>(name[i] - '0');
  }
  return number;
}

std::string ManifestText(const LogManifest& manifest) {
  std::ostringstream text;
  text << kManifestTitle << "\nformat = " << kFormat << "\nenv_id = " << manifest.env_id
       << "\nobs_dim = " << manifest.obs_dim << "\nact_dim = " << manifest.act_dim
       << "\ncapacity = " << manifest.capacity << "\n";
  return text.str();
}

Status CheckManifest(const std::string& dir, const LogManifest& expected) {
  const std::string path = dir + "/" + std::string(kManifestName);
  std::ifstream file(path);
  std::string line;
  if (!std::getline(file, line) || line != kManifestTitle) {
    return FailedPrecondition("'" + path + "' is not a replay log manifest (its first line is not '" +
                              std::string(kManifestTitle) + "')");
  }
  std::map<std::string, std::string> values;
  while (std::getline(file, line)) {
    const size_t equals = line.find(" = ");
    if (equals != std::string::npos) values[line.substr(0, equals)] = line.substr(equals + 3);
  }
  const std::string& format = values["format"];
  bool readable = false;
  for (int known = kOldestReadableFormat; known <= kFormat; ++known) readable |= format == std::to_string(known);
  if (!readable) {
    return FailedPrecondition("'" + path + "' is of replay log format '" + format + "'; this server reads formats " +
                              std::to_string(kOldestReadableFormat) + " to " + std::to_string(kFormat));
  }
  const std::pair<std::string, std::pair<std::string, std::string>> fields[] = {
      {"env.id", {values["env_id"], expected.env_id}},
      {"obs_dim of env.id", {values["obs_dim"], std::to_string(expected.obs_dim)}},
      {"act_dim of env.id", {values["act_dim"], std::to_string(expected.act_dim)}},
      {"replay.capacity", {values["capacity"], std::to_string(expected.capacity)}},
  };
  std::string differences;
  for (const auto& [key, logged_and_configured] : fields) {
    const auto& [logged, configured] = logged_and_configured;
    if (logged == configured) continue;
    differences += (differences.empty() ? "" : "; ") + key + " is " + logged + " in the log but " + configured +
                   " in this configuration";
  }
  if (differences.empty()) {
    if (format == std::to_string(kFormat)) return Status::Ok();
    return WriteFileAtomically(dir, kManifestName, ManifestText(expected));
  }
  return FailedPrecondition("replay.data_dir = '" + dir + "' holds a replay log of another configuration: " +
                            differences + ". Use another replay.data_dir, or move this one away to start empty.");
}

}  // namespace

Status WriteFileAtomically(const std::string& dir, std::string_view name, std::string_view contents) {
  const std::string path = dir + "/" + std::string(name);
  const std::string temporary = path + std::string(kTemporarySuffix);
  const int fd = open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("cannot create", temporary);
  Status status = WriteAt(fd, contents, 0, temporary);
  if (status.ok() && fdatasync(fd) != 0) status = Errno("cannot sync", temporary);
  close(fd);
  if (status.ok() && rename(temporary.c_str(), path.c_str()) != 0) status = Errno("cannot rename", temporary);
  if (!status.ok()) {
    unlink(temporary.c_str());
    return status;
  }
  return SyncDirectory(dir);
}

StatusOr<std::string> ReadWholeFile(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Unavailable("cannot open '" + path + "': " + std::strerror(errno));
  struct stat info {};
  std::string contents;
  Status status = Status::Ok();
  if (fstat(fd, &info) != 0) status = Unavailable("cannot read '" + path + "': " + std::strerror(errno));
  if (status.ok()) contents.resize(static_cast<size_t>(info.st_size));
  for (size_t done = 0; status.ok() && done < contents.size();) {
    const ssize_t got = read(fd, contents.data() + done, contents.size() - done);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) status = Unavailable("cannot read '" + path + "': " + std::strerror(errno));
    if (got == 0) contents.resize(done);  // it shrank meanwhile: read what is there
    done += static_cast<size_t>(std::max<ssize_t>(got, 0));
  }
  close(fd);
  if (!status.ok()) return status;
  return contents;
}

Status SyncDirectory(const std::string& dir) {
  const int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Errno("cannot open directory", dir);
  Status status = fsync(fd) == 0 ? Status::Ok() : Errno("cannot sync directory", dir);
  close(fd);
  return status;
}

Status PrepareDataDir(const std::string& dir, const LogManifest& expected) {
  struct stat info {};
  if (dir.empty()) return InvalidArgument("replay.data_dir must name a directory when replay.durability = disk");
  if (stat(dir.c_str(), &info) != 0) {
    return NotFound("replay.data_dir = '" + dir + "' cannot be used: " + std::strerror(errno) +
                    " (create the directory first)");
  }
  if (!S_ISDIR(info.st_mode)) return InvalidArgument("replay.data_dir = '" + dir + "' is not a directory");
  if (access(dir.c_str(), R_OK | W_OK | X_OK) != 0) {
    return FailedPrecondition("replay.data_dir = '" + dir +
                              "' is not writable by this process: " + std::strerror(errno));
  }
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    if (entry.path().filename().string().ends_with(kTemporarySuffix)) std::filesystem::remove(entry.path(), error);
  }
  if (error) return Unavailable("cannot list replay.data_dir = '" + dir + "': " + error.message());
  if (std::filesystem::exists(dir + "/" + std::string(kManifestName))) return CheckManifest(dir, expected);
  StatusOr<std::vector<SegmentFile>> segments = ListSegments(dir);
  DDPG_RETURN_IF_ERROR(segments.status());
  if (!segments->empty()) {
    return FailedPrecondition("replay.data_dir = '" + dir + "' holds replay log segments but no " +
                              std::string(kManifestName) + ", so what they hold is unknown; move them away");
  }
  return WriteFileAtomically(dir, kManifestName, ManifestText(expected));
}

StatusOr<std::vector<SegmentFile>> ListSegments(const std::string& dir) {
  std::vector<SegmentFile> segments;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    if (std::optional<uint64_t> number = SegmentNumber(entry.path().filename().string())) {
      segments.push_back({.path = entry.path().string(), .first_chunk = *number});
    }
  }
  if (error) return Unavailable("cannot list replay.data_dir = '" + dir + "': " + error.message());
  std::sort(segments.begin(), segments.end(),
            [](const SegmentFile& a, const SegmentFile& b) { return a.first_chunk < b.first_chunk; });
  return segments;
}

uint64_t SegmentBytesFor(const LogManifest& manifest) {
  // The most a transition can take: a segment then holds at least an eighth of the capacity.
  const uint64_t per_transition =
      replay_log::ChunkRecordBytes(1, manifest.obs_dim, manifest.act_dim, 1) - replay_log::ChunkRecordBytes(0, 0, 0, 0);
  return std::clamp(manifest.capacity * per_transition / 8, kMinSegmentBytes, kMaxSegmentBytes);
}

SegmentLog::SegmentLog(std::string dir, uint64_t segment_bytes, std::vector<SegmentFile> segments)
    : dir_(std::move(dir)), segment_bytes_(segment_bytes), segments_(std::move(segments)) {}

SegmentLog::~SegmentLog() {
  if (fd_ >= 0) close(fd_);
}

StatusOr<std::unique_ptr<SegmentLog>> SegmentLog::Open(const std::string& dir, uint64_t segment_bytes,
                                                       std::vector<SegmentFile> segments, uint64_t next_chunk,
                                                       const DuplicateFilter& filter) {
  std::unique_ptr<SegmentLog> log(new SegmentLog(dir, segment_bytes, std::move(segments)));
  if (log->segments_.empty()) {
    DDPG_RETURN_IF_ERROR(log->StartSegment(next_chunk, /*end_transition=*/0, filter));
    return log;
  }
  const std::string& newest = log->segments_.back().path;
  log->fd_ = open(newest.c_str(), O_WRONLY | O_CLOEXEC);
  if (log->fd_ < 0) return Errno("cannot open replay log segment", newest);
  return log;
}

Status SegmentLog::Commit(std::string_view records, uint64_t chunks, uint64_t end_transition) {
  SegmentFile& newest = segments_.back();
  if (needs_directory_sync_) {
    DDPG_RETURN_IF_ERROR(SyncDirectory(dir_));
    needs_directory_sync_ = false;
  }
  if (needs_truncate_) {
    if (ftruncate(fd_, static_cast<off_t>(newest.bytes)) != 0) return Errno("cannot truncate", newest.path);
    needs_truncate_ = false;
  }
  Status status = WriteAt(fd_, records, newest.bytes, newest.path);
  if (status.ok() && fdatasync(fd_) != 0) status = Errno("cannot sync", newest.path);
  if (!status.ok()) {
    // After a failed fdatasync the kernel may hold the pages as written although the disk does not: the
    // records are written again, whole, by the next attempt.
    needs_truncate_ = ftruncate(fd_, static_cast<off_t>(newest.bytes)) != 0;
    return status;
  }
  newest.bytes += records.size();
  newest.chunk_bytes += records.size();
  newest.chunks += chunks;
  newest.end_transition = end_transition;
  return Status::Ok();
}

Status SegmentLog::RotateIfFull(const DuplicateFilter& filter) {
  const SegmentFile& newest = segments_.back();
  if (newest.chunk_bytes < segment_bytes_ || needs_truncate_) return Status::Ok();
  return StartSegment(newest.first_chunk + newest.chunks, newest.end_transition, filter);
}

Status SegmentLog::StartSegment(uint64_t first_chunk, uint64_t end_transition, const DuplicateFilter& filter) {
  const std::string path = SegmentPath(dir_, first_chunk);
  const std::string temporary = path + std::string(kTemporarySuffix);
  std::string record;
  replay_log::AppendFilterRecord(filter.Save(), record);
  const int fd = open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("cannot create replay log segment", temporary);
  Status status = WriteAt(fd, record, 0, temporary);
  if (status.ok() && fdatasync(fd) != 0) status = Errno("cannot sync", temporary);
  if (status.ok() && rename(temporary.c_str(), path.c_str()) != 0) status = Errno("cannot rename", temporary);
  if (!status.ok()) {
    close(fd);
    unlink(temporary.c_str());
    return status;
  }
  if (fd_ >= 0) close(fd_);
  fd_ = fd;
  segments_.push_back({.path = path,
                       .first_chunk = first_chunk,
                       .chunks = 0,
                       .bytes = record.size(),
                       .chunk_bytes = 0,
                       .end_transition = end_transition});
  // Until the directory is synced the new name may not survive a crash, and with it every commit after it:
  // Commit syncs it first while this has not succeeded.
  Status synced = SyncDirectory(dir_);
  needs_directory_sync_ = !synced.ok();
  return synced;
}

Status SegmentLog::DeleteOverwritten(uint64_t capacity) {
  const uint64_t total = segments_.back().end_transition;
  size_t deleted = 0;
  Status status = Status::Ok();
  while (deleted + 1 < segments_.size() && segments_[deleted].end_transition + capacity <= total) {
    if (unlink(segments_[deleted].path.c_str()) != 0 && errno != ENOENT) {
      status = Errno("cannot delete overwritten replay log segment", segments_[deleted].path);
      break;
    }
    ++deleted;
  }
  segments_.erase(segments_.begin(), segments_.begin() + static_cast<std::ptrdiff_t>(deleted));
  if (deleted > 0 && status.ok()) status = SyncDirectory(dir_);
  return status;
}

uint64_t SegmentLog::disk_bytes() const {
  uint64_t bytes = 0;
  for (const SegmentFile& segment : segments_) bytes += segment.bytes;
  return bytes;
}

}  // namespace ddpg
