// The replay log end to end on real files: LogWriter commits, SegmentLog rotates and deletes, RecoverLog reads
// back (replay_server/log_writer.h, segment_log.h, recovery.h).
#include <sys/mount.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <thread>

#include <catch2/catch.hpp>

#include "log_record_bytes.h"
#include "replay_server/log_record.h"
#include "replay_server/log_writer.h"
#include "replay_server/recovery.h"
#include "temp_dir.h"
#include "transition_batches.h"

namespace ddpg {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr uint32_t kObsDim = 3;
constexpr uint32_t kActDim = 2;
constexpr uint32_t kActor = 4;
constexpr uint64_t kIncarnation = 0xfeed;
constexpr size_t kChunkSize = 10;
// No next observation of testing::MakeBatch repeats an observation, so each is stored in full:
// 4 * (3 + 2 + 2 + 1) + 8 + 4 * 3 = 52 bytes per transition; a chunk record of 10 is 573 bytes.
const size_t kChunkRecordBytes = replay_log::ChunkRecordBytes(kChunkSize, kObsDim, kActDim, kChunkSize);

using testing::TempDir;

LogOptions Options(const std::string& dir, uint64_t capacity, uint64_t segment_bytes = 0) {
  return {.data_dir = dir,
          .manifest = {.env_id = "Test-v0", .obs_dim = kObsDim, .act_dim = kActDim, .capacity = capacity},
          .sync_interval = 1ms,
          .segment_bytes = segment_bytes};
}

// Chunk `sequence` of the test's actor process: transitions sequence * kChunkSize onwards.
protocol::InsertChunk Chunk(uint64_t sequence, uint64_t incarnation = kIncarnation) {
  return {.actor_id = kActor,
          .incarnation = incarnation,
          .sequence = sequence,
          .transitions = testing::MakeBatch(kObsDim, kActDim, sequence * kChunkSize, kChunkSize)};
}

// What a replay server holds: the store and filter a log is recovered into, and the writer it appends to.
struct Server {
  TransitionStore store;
  DuplicateFilter filter;
  std::unique_ptr<LogWriter> log;

  explicit Server(const LogOptions& options) : store(kObsDim, kActDim, options.manifest.capacity) {
    StatusOr<std::unique_ptr<LogWriter>> opened = LogWriter::Open(options, store, filter);
    INFO(opened.status().message());
    REQUIRE(opened.ok());
    log = std::move(opened).value();
  }

  // Stores and logs chunk `sequence`, as ReplayService does, and waits until it is durable.
  void Insert(uint64_t sequence) {
    const uint64_t number = InsertNoWait(sequence);
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (log->durable() < number && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(1ms);
    REQUIRE(log->durable() >= number);
  }
  uint64_t InsertNoWait(uint64_t sequence) {
    protocol::InsertChunk chunk = Chunk(sequence);
    const uint64_t first = store.total_inserted();
    REQUIRE(store.Insert(chunk.transitions).ok());
    filter.Record(chunk.actor_id, chunk.incarnation, chunk.sequence);
    return log->Append(std::move(chunk), first);
  }
};

StatusOr<std::unique_ptr<LogWriter>> TryOpen(const LogOptions& options) {
  TransitionStore store(options.manifest.obs_dim, options.manifest.act_dim, options.manifest.capacity);
  DuplicateFilter filter;
  return LogWriter::Open(options, store, filter);
}

// The ids of every transition in the store, found by sampling it many times; fails if a row mixes the
// fields of different transitions.
std::set<uint64_t> StoredIds(TransitionStore& store) {
  std::mt19937_64 rng(11);
  protocol::TransitionBatch out;
  SampledSlots slots;
  // 30 draws per slot: a slot is missed with probability e^-30.
  store.Sample(30 * store.size(), rng, out, slots);
  std::set<uint64_t> ids;
  for (size_t row = 0; row < out.size(); ++row) {
    const uint64_t id = out.policy_versions[row];
    for (uint32_t j = 0; j < kObsDim; ++j) {
      REQUIRE(out.observations[row * kObsDim + j] == testing::ObservationValue(id, j));
      REQUIRE(out.next_observations[row * kObsDim + j] == testing::NextObservationValue(id, j));
    }
    for (uint32_t j = 0; j < kActDim; ++j) REQUIRE(out.actions[row * kActDim + j] == testing::ActionValue(id, j));
    REQUIRE(out.rewards[row] == testing::RewardValue(id));
    REQUIRE(out.discounts[row] == testing::DiscountValue(id));
    ids.insert(id);
  }
  return ids;
}

std::set<uint64_t> IdRange(uint64_t first, uint64_t end) {
  std::set<uint64_t> ids;
  for (uint64_t id = first; id < end; ++id) ids.insert(id);
  return ids;
}

std::vector<std::string> SegmentPaths(const std::string& dir) {
  StatusOr<std::vector<SegmentFile>> segments = ListSegments(dir);
  REQUIRE(segments.ok());
  std::vector<std::string> paths;
  for (const SegmentFile& segment : *segments) paths.push_back(segment.path);
  return paths;
}

// The writing thread may be renaming a new segment meanwhile: a file gone by the time it is measured is skipped.
uint64_t DirectoryBytes(const std::string& dir) {
  uint64_t bytes = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    std::error_code gone;
    const uintmax_t size = entry.file_size(gone);
    if (!gone) bytes += size;
  }
  return bytes;
}

void FlipByte(const std::string& path, uint64_t offset) {
  std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
  file.seekg(static_cast<std::streamoff>(offset));
  char byte = 0;
  file.read(&byte, 1);
  byte = static_cast<char>(byte ^ 0x20);
  file.seekp(static_cast<std::streamoff>(offset));
  file.write(&byte, 1);
  REQUIRE(file.good());
}

TEST_CASE("recovery restores the store, total_inserted and the duplicate filter", "[replay_log]") {
  TempDir dir;
  {
    Server server(Options(dir.path(), 1000));
    for (uint64_t sequence = 0; sequence < 20; ++sequence) server.Insert(sequence);
  }
  {
    Server server(Options(dir.path(), 1000));
    CHECK(server.store.size() == 200);
    CHECK(server.store.total_inserted() == 200);
    CHECK(StoredIds(server.store) == IdRange(0, 200));
    for (uint64_t sequence = 0; sequence < 20; ++sequence)
      CHECK(server.filter.Contains(kActor, kIncarnation, sequence));
    CHECK_FALSE(server.filter.Contains(kActor, kIncarnation, 20));
    CHECK_FALSE(server.filter.Contains(kActor, kIncarnation + 1, 0));
    CHECK(server.log->durable() == 20);
    // Appending goes on where the log ended.
    server.Insert(20);
    CHECK(server.log->durable() == 21);
  }
  Server server(Options(dir.path(), 1000));
  CHECK(server.store.total_inserted() == 210);
  CHECK(StoredIds(server.store) == IdRange(0, 210));
  CHECK(server.filter.Contains(kActor, kIncarnation, 20));
}

TEST_CASE("chunks handed over without waiting are all durable after Close", "[replay_log]") {
  TempDir dir;
  {
    Server server(Options(dir.path(), 100000));
    for (uint64_t sequence = 0; sequence < 500; ++sequence) server.InsertNoWait(sequence);
    server.log->Close();
    CHECK(server.log->durable() == 500);
    CHECK(server.log->stats().commits >= 1);
  }
  Server server(Options(dir.path(), 100000));
  CHECK(server.store.total_inserted() == 5000);
  CHECK(StoredIds(server.store) == IdRange(0, 5000));
}

TEST_CASE("a torn last record is dropped, logged and cut off; the rest is recovered", "[replay_log]") {
  TempDir dir;
  const LogOptions options = Options(dir.path(), 1000, /*segment_bytes=*/4 * kChunkRecordBytes);
  {
    Server server(options);
    for (uint64_t sequence = 0; sequence < 10; ++sequence) server.Insert(sequence);
  }
  const std::vector<std::string> segments = SegmentPaths(dir.path());
  REQUIRE(segments.size() >= 2);
  const std::string newest = segments.back();
  const uint64_t whole = fs::file_size(newest);
  SECTION("cut short") { fs::resize_file(newest, whole - 7); }
  SECTION("a byte of it damaged") { FlipByte(newest, whole - 100); }
  SECTION("garbage after it") { std::ofstream(newest, std::ios::app | std::ios::binary) << std::string(13, '\x5a'); }
  const bool garbage_only = fs::file_size(newest) > whole;
  {
    Server server(options);
    const uint64_t chunks = garbage_only ? 10 : 9;
    CHECK(server.store.total_inserted() == chunks * kChunkSize);
    CHECK(StoredIds(server.store) == IdRange(0, chunks * kChunkSize));
    CHECK(server.filter.Contains(kActor, kIncarnation, chunks - 1));
    CHECK(server.filter.Contains(kActor, kIncarnation, 9) == garbage_only);
    CHECK(fs::file_size(newest) == (garbage_only ? whole : whole - kChunkRecordBytes));
    // The chunk that was lost is resent, and more chunks fill the segment and start new ones: the cut-off
    // segment is an older one now, and must read without damage.
    for (uint64_t sequence = chunks; sequence < 20; ++sequence) server.Insert(sequence);
  }
  Server server(options);
  CHECK(server.store.total_inserted() == 200);
  CHECK(StoredIds(server.store) == IdRange(0, 200));
  CHECK(SegmentPaths(dir.path()).size() > segments.size());
}

TEST_CASE("damage in an older segment stops recovery, naming the file and offset", "[replay_log]") {
  TempDir dir;
  const LogOptions options = Options(dir.path(), 1000, /*segment_bytes=*/4 * kChunkRecordBytes);
  {
    Server server(options);
    for (uint64_t sequence = 0; sequence < 12; ++sequence) server.Insert(sequence);
  }
  const std::vector<std::string> segments = SegmentPaths(dir.path());
  REQUIRE(segments.size() >= 3);
  // The second chunk record of the oldest segment, after its filter record of no processes (8 + 9 bytes).
  const uint64_t second_record = 17 + kChunkRecordBytes;
  FlipByte(segments.front(), second_record + 60);
  const StatusOr<std::unique_ptr<LogWriter>> opened = TryOpen(options);
  REQUIRE_FALSE(opened.ok());
  CHECK_THAT(opened.status().message(), Catch::Contains(segments.front()) &&
                                            Catch::Contains("offset " + std::to_string(second_record)) &&
                                            Catch::Contains("CRC mismatch"));
  // Nothing was cut off or deleted.
  CHECK(SegmentPaths(dir.path()) == segments);
}

void WriteFile(const std::string& path, const std::string& contents) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << contents;
  REQUIRE(file.good());
}

std::string ReadFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(file), {});
}

TEST_CASE("a log of format 1 is recovered, then appended to in format 2", "[replay_log]") {
  TempDir dir;
  // What a server of format 1 left: its manifest, and a segment of a filter record and chunks 0 .. 2 as kind 1
  // records (docs/replay-log.md).
  WriteFile(dir.path() + "/MANIFEST",
            "ddpg-cluster replay log\nformat = 1\nenv_id = Test-v0\nobs_dim = 3\nact_dim = 2\ncapacity = 1000\n");
  std::string segment;
  replay_log::AppendFilterRecord({}, segment);
  for (uint64_t sequence = 0; sequence < 3; ++sequence) {
    segment += testing::Format1ChunkRecord(Chunk(sequence), sequence * kChunkSize);
  }
  WriteFile(dir.path() + "/segment-00000000000000000001.log", segment);
  {
    Server server(Options(dir.path(), 1000));
    CHECK(server.store.total_inserted() == 30);
    CHECK(StoredIds(server.store) == IdRange(0, 30));
    CHECK(server.filter.Contains(kActor, kIncarnation, 2));
    CHECK_FALSE(server.filter.Contains(kActor, kIncarnation, 3));
    // Before anything of format 2 is appended, the manifest says so.
    CHECK_THAT(ReadFile(dir.path() + "/MANIFEST"), Catch::Contains("\nformat = 2\n"));
    server.Insert(3);
  }
  // Both kinds of chunk record in one segment.
  CHECK(fs::file_size(dir.path() + "/segment-00000000000000000001.log") == segment.size() + kChunkRecordBytes);
  Server server(Options(dir.path(), 1000));
  CHECK(server.store.total_inserted() == 40);
  CHECK(StoredIds(server.store) == IdRange(0, 40));
  CHECK(server.filter.Contains(kActor, kIncarnation, 3));
}

TEST_CASE("a manifest of an unknown format is refused", "[replay_log]") {
  TempDir dir;
  WriteFile(dir.path() + "/MANIFEST",
            "ddpg-cluster replay log\nformat = 3\nenv_id = Test-v0\nobs_dim = 3\nact_dim = 2\ncapacity = 1000\n");
  const StatusOr<std::unique_ptr<LogWriter>> opened = TryOpen(Options(dir.path(), 1000));
  REQUIRE_FALSE(opened.ok());
  CHECK_THAT(opened.status().message(), Catch::Contains("format '3'; this server reads formats 1 to 2"));
}

TEST_CASE("a chunk record referring beyond its chunk stops recovery as damage", "[replay_log]") {
  TempDir dir;
  {
    Server server(Options(dir.path(), 1000));
    server.Insert(0);
  }
  // The record's next_observation_rows entry of row 0 made to name row 10 of a chunk of 10, with a CRC that
  // checks: the CRC cannot tell, the decoder must.
  const std::string path = SegmentPaths(dir.path()).front();
  const std::string contents = ReadFile(path);
  const size_t chunk_record = 17;  // after the filter record of no processes
  std::string payload = contents.substr(chunk_record + replay_log::kRecordHeaderBytes);
  const uint32_t beyond = kChunkSize + 1;
  std::memcpy(payload.data() + 45 + 4 * kChunkSize * (kObsDim + kActDim + 2), &beyond, 4);
  WriteFile(path, contents.substr(0, chunk_record) + testing::FramedRecord(payload));
  const StatusOr<std::unique_ptr<LogWriter>> opened = TryOpen(Options(dir.path(), 1000));
  REQUIRE_FALSE(opened.ok());
  CHECK_THAT(opened.status().message(), Catch::Contains(path) && Catch::Contains("offset 17") &&
                                            Catch::Contains("refers to observation row 10, beyond its 10 rows"));
  CHECK(fs::file_size(path) == contents.size());  // not cut off: it is not a torn write
}

TEST_CASE("a missing segment between others stops recovery", "[replay_log]") {
  TempDir dir;
  const LogOptions options = Options(dir.path(), 1000, /*segment_bytes=*/4 * kChunkRecordBytes);
  {
    Server server(options);
    for (uint64_t sequence = 0; sequence < 12; ++sequence) server.Insert(sequence);
  }
  const std::vector<std::string> segments = SegmentPaths(dir.path());
  REQUIRE(segments.size() >= 3);
  fs::remove(segments[1]);
  const StatusOr<std::unique_ptr<LogWriter>> opened = TryOpen(options);
  REQUIRE_FALSE(opened.ok());
  CHECK_THAT(opened.status().message(), Catch::Contains(segments[2]) && Catch::Contains("missing"));
}

TEST_CASE("segments whose transitions are all overwritten are deleted: disk use stays bounded", "[replay_log]") {
  TempDir dir;
  constexpr uint64_t kCapacity = 100;  // 10 chunks
  const uint64_t segment_bytes = 4 * kChunkRecordBytes;
  const LogOptions options = Options(dir.path(), kCapacity, segment_bytes);
  // The store's worth of chunk records, one segment, the one commit that takes a segment past its size, and
  // a filter record (8 + 9 + 532 bytes for one actor process) at the head of each segment: at most the store's
  // worth in whole segments, the partly overwritten one and the newest, and for a moment after a rotation
  // the new one before the oldest is deleted.
  const uint64_t filter_record = 8 + 9 + 532;
  const uint64_t max_segments = kCapacity / kChunkSize * kChunkRecordBytes / segment_bytes + 2;
  const uint64_t bound = kCapacity / kChunkSize * kChunkRecordBytes + segment_bytes + kChunkRecordBytes +
                         (max_segments + 1) * filter_record + 200 /* MANIFEST */;
  {
    Server server(options);
    const std::string oldest = SegmentPaths(dir.path()).front();
    uint64_t largest = 0;
    for (uint64_t sequence = 0; sequence < 100; ++sequence) {  // ten times the capacity
      server.Insert(sequence);
      largest = std::max(largest, DirectoryBytes(dir.path()));
    }
    server.log->Close();  // its last rotation and deletion done
    INFO("bound " << bound);
    CHECK(largest <= bound);
    CHECK(SegmentPaths(dir.path()).size() <= max_segments);
    CHECK_FALSE(fs::exists(oldest));
    CHECK(server.log->stats().disk_bytes + fs::file_size(dir.path() + "/MANIFEST") == DirectoryBytes(dir.path()));
  }
  Server server(options);
  CHECK(server.store.total_inserted() == 1000);
  CHECK(server.store.size() == kCapacity);
  CHECK(StoredIds(server.store) == IdRange(900, 1000));
  // Chunk 0's segment is long gone; the filter record at the head of the oldest one still remembers it.
  CHECK(server.filter.Contains(kActor, kIncarnation, 0));
  CHECK(server.filter.Contains(kActor, kIncarnation, 99));
  CHECK_FALSE(server.filter.Contains(kActor, kIncarnation, 100));
}

TEST_CASE("a log of another configuration is refused, naming what differs", "[replay_log]") {
  TempDir dir;
  {
    Server server(Options(dir.path(), 1000));
    server.Insert(0);
  }
  LogOptions options = Options(dir.path(), 2000);
  options.manifest.obs_dim = 4;
  StatusOr<std::unique_ptr<LogWriter>> opened = TryOpen(options);
  REQUIRE_FALSE(opened.ok());
  CHECK_THAT(opened.status().message(),
             Catch::Contains("replay.capacity is 1000 in the log but 2000 in this configuration") &&
                 Catch::Contains("obs_dim of env.id is 3 in the log but 4") && !Catch::Contains("act_dim"));
  options = Options(dir.path(), 1000);
  options.manifest.env_id = "Other-v1";
  opened = TryOpen(options);
  REQUIRE_FALSE(opened.ok());
  CHECK_THAT(opened.status().message(), Catch::Contains("env.id is Test-v0 in the log but Other-v1"));
  CHECK(TryOpen(Options(dir.path(), 1000)).ok());
}

TEST_CASE("a missing data_dir is refused, naming the key", "[replay_log]") {
  TempDir dir;
  const StatusOr<std::unique_ptr<LogWriter>> opened = TryOpen(Options(dir.path() + "/absent", 1000));
  REQUIRE_FALSE(opened.ok());
  CHECK_THAT(opened.status().message(), Catch::Contains("replay.data_dir = '" + dir.path() + "/absent'"));
}

// A tmpfs of 256 KiB: a disk that fills up. Mounting needs root (the test is skipped otherwise).
class SmallDisk {
 public:
  SmallDisk() {
    if (geteuid() != 0) return;
    mounted_ = mount("tmpfs", dir_.path().c_str(), "tmpfs", 0, "size=256k") == 0;
  }
  ~SmallDisk() {
    if (mounted_) umount(dir_.path().c_str());
  }
  bool mounted() const { return mounted_; }
  const std::string& path() const { return dir_.path(); }

 private:
  TempDir dir_;
  bool mounted_ = false;
};

TEST_CASE("on a full disk nothing more is durable until space is freed, then nothing is lost", "[replay_log]") {
  SmallDisk disk;
  if (!disk.mounted()) {
    WARN("skipped: mounting a tmpfs needs root");
    return;
  }
  const LogOptions options = Options(disk.path(), 100000);
  const std::string filler = disk.path() + "/filler";
  std::ofstream(filler, std::ios::binary) << std::string(200 << 10, 'x');
  uint64_t inserted = 0;
  {
    Server server(options);
    // Until a commit fails: the remaining 50-odd KiB hold about 100 chunk records.
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!server.log->failure() && std::chrono::steady_clock::now() < deadline) {
      server.InsertNoWait(inserted++);
      std::this_thread::sleep_for(1ms);
    }
    REQUIRE(server.log->failure().has_value());
    CHECK_THAT(*server.log->failure(), Catch::Contains("No space left on device"));
    const uint64_t durable = server.log->durable();
    CHECK(durable < inserted);
    for (int i = 0; i < 5; ++i) server.InsertNoWait(inserted++);
    std::this_thread::sleep_for(300ms);  // several retries
    CHECK(server.log->durable() == durable);
    CHECK(server.log->stats().failed_commits >= 2);
    fs::remove(filler);
    const auto freed = std::chrono::steady_clock::now();
    while (server.log->durable() < inserted && std::chrono::steady_clock::now() < freed + 5s) {
      std::this_thread::sleep_for(5ms);
    }
    CHECK(server.log->durable() == inserted);
    CHECK_FALSE(server.log->failure().has_value());
  }
  Server server(options);
  CHECK(server.store.total_inserted() == inserted * kChunkSize);
  CHECK(StoredIds(server.store) == IdRange(0, inserted * kChunkSize));
}

}  // namespace
}  // namespace ddpg
