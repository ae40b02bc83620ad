// Priority snapshots on real files: the PRIORITIES file's round trip and its refusals
// (replay_server/priority_snapshot.h), the LogWriter writing them, and recovery putting each priority back into
// the slot its transition is recovered into (TransitionStore::RestorePriorities, RecoverPriorities).
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <random>
#include <thread>
#include <tuple>

#include <catch2/catch.hpp>

#include "replay_server/log_writer.h"
#include "replay_server/priority_snapshot.h"
#include "replay_server/recovery.h"
#include "temp_dir.h"
#include "transition_batches.h"

namespace ddpg {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr uint32_t kObsDim = 3;
constexpr uint32_t kActDim = 2;
constexpr uint64_t kCapacity = 10;
constexpr size_t kChunkSize = 4;
// alpha = 1 makes a tree leaf the p_i itself; epsilon = 0.5 keeps every p_i apart from the priority sent.
constexpr PriorityOptions kPriorities{.alpha = 1.0, .beta = 0.4, .beta_steps = 100, .epsilon = 0.5};

using testing::TempDir;

std::string SnapshotPath(const TempDir& dir) { return dir.path() + "/" + std::string(kPrioritySnapshotName); }

PrioritySnapshot Example() {
  return {.capacity = kCapacity,
          .first_transition = 1234,
          .max_priority = 7.25,
          .batches = 99,
          .taken_unix_ms = 1700000000123,
          .priorities = {0.5f, 7.25f, 1e-6f, 3.0f}};
}

void CheckSame(const PrioritySnapshot& a, const PrioritySnapshot& b) {
  CHECK(a.capacity == b.capacity);
  CHECK(a.first_transition == b.first_transition);
  CHECK(a.max_priority == b.max_priority);
  CHECK(a.batches == b.batches);
  CHECK(a.taken_unix_ms == b.taken_unix_ms);
  CHECK(a.priorities == b.priorities);
}

std::string ReadFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(file), {}};
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << bytes;
  REQUIRE(file.good());
}

// The reason ReadPrioritySnapshot gives for refusing what `bytes` hold.
std::string Refusal(const TempDir& dir, const std::string& bytes) {
  WriteFile(SnapshotPath(dir), bytes);
  StatusOr<std::optional<PrioritySnapshot>> read = ReadPrioritySnapshot(dir.path(), kCapacity);
  REQUIRE_FALSE(read.ok());
  CHECK_THAT(read.status().message(), Catch::Contains(SnapshotPath(dir)));
  return read.status().message();
}

LogOptions Options(const std::string& dir) {
  return {.data_dir = dir,
          .manifest = {.env_id = "Test-v0", .obs_dim = kObsDim, .act_dim = kActDim, .capacity = kCapacity},
          .sync_interval = 1ms,
          .segment_bytes = 1,  // a segment per commit, so that the oldest are deleted as the ring moves on
          .priority_snapshots = true};
}

// A prioritized replay server's store and log, without the sockets: recovers at construction.
struct Server {
  TransitionStore store{kObsDim, kActDim, kCapacity, kPriorities};
  DuplicateFilter filter;
  std::unique_ptr<LogWriter> log;
  uint64_t next_sequence = 0;

  explicit Server(const std::string& dir) {
    StatusOr<std::unique_ptr<LogWriter>> opened = LogWriter::Open(Options(dir), store, filter);
    INFO(opened.status().message());
    REQUIRE(opened.ok());
    log = std::move(opened).value();
  }

  // Stores and logs the next chunk of kChunkSize transitions, as ReplayService does, and waits until durable.
  void InsertChunk() { AppendAndWait(StoreChunk()); }
  // The first half of that: the chunk is stored, and the log has not been handed it yet.
  std::pair<protocol::InsertChunk, uint64_t> StoreChunk() {
    protocol::InsertChunk chunk{
        .actor_id = 1,
        .incarnation = 2,
        .sequence = next_sequence++,
        .transitions = testing::MakeBatch(kObsDim, kActDim, store.total_inserted(), kChunkSize)};
    const uint64_t first = store.total_inserted();
    REQUIRE(store.Insert(chunk.transitions).ok());
    filter.Record(chunk.actor_id, chunk.incarnation, chunk.sequence);
    return {std::move(chunk), first};
  }
  void AppendAndWait(std::pair<protocol::InsertChunk, uint64_t> stored) {
    const uint64_t number = log->Append(std::move(stored.first), stored.second);
    REQUIRE(Eventually([&] { return log->durable() >= number; }));
  }

  // Sets the priority (before epsilon) of stored transition `number`.
  void SetPriority(uint64_t number, float priority) {
    const uint64_t slot = store.SlotOf(number);
    StatusOr<PriorityUpdateOutcome> outcome = store.UpdatePriorities({slot}, {store.generation(slot)}, {priority});
    REQUIRE(outcome.ok());
    REQUIRE(outcome->applied == 1);
  }

  void SnapshotAndWait() {
    const uint64_t written = log->stats().priority_snapshots;
    log->SnapshotPriorities(store.TakePrioritySnapshot());
    REQUIRE(Eventually([&] { return log->stats().priority_snapshots == written + 1; }));
  }

  static bool Eventually(const std::function<bool()>& condition) {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!condition() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(1ms);
    return condition();
  }
};

std::vector<double> PrioritiesBySlot(const TransitionStore& store) {
  std::vector<double> priorities;
  for (size_t slot = 0; slot < store.capacity(); ++slot) priorities.push_back(store.prioritized()->priority(slot));
  return priorities;
}

}  // namespace

TEST_CASE("a priority snapshot reads back as it was written", "[priority_snapshot]") {
  TempDir dir;
  StatusOr<std::optional<PrioritySnapshot>> none = ReadPrioritySnapshot(dir.path(), kCapacity);
  REQUIRE(none.ok());
  CHECK_FALSE(none->has_value());

  REQUIRE(WritePrioritySnapshot(dir.path(), Example()).ok());
  // Header 60 bytes, 4 per priority, a CRC.
  CHECK(fs::file_size(SnapshotPath(dir)) == 60 + 4 * 4 + 4);
  CHECK_FALSE(fs::exists(SnapshotPath(dir) + ".tmp"));
  StatusOr<std::optional<PrioritySnapshot>> read = ReadPrioritySnapshot(dir.path(), kCapacity);
  INFO(read.status().message());
  REQUIRE(read.ok());
  REQUIRE(read->has_value());
  CheckSame(**read, Example());
  CHECK((*read)->end_transition() == 1238);

  // A second snapshot replaces the first.
  PrioritySnapshot empty = Example();
  empty.priorities.clear();
  REQUIRE(WritePrioritySnapshot(dir.path(), empty).ok());
  read = ReadPrioritySnapshot(dir.path(), kCapacity);
  REQUIRE(read.ok());
  CheckSame(**read, empty);
}

TEST_CASE("a damaged or mismatching priority snapshot is refused with the reason", "[priority_snapshot]") {
  TempDir dir;
  const std::string good = EncodePrioritySnapshot(Example());
  REQUIRE(DecodePrioritySnapshot(good, kCapacity).ok());

  std::string flipped = good;
  flipped[60 + 5] ^= 0x01;  // a bit of the second priority
  CHECK_THAT(Refusal(dir, flipped), Catch::Contains("CRC mismatch"));
  flipped = good;
  flipped[good.size() - 1] ^= 0x40;  // the CRC itself
  CHECK_THAT(Refusal(dir, flipped), Catch::Contains("CRC mismatch"));

  CHECK_THAT(Refusal(dir, good.substr(0, good.size() - 3)),
             Catch::Contains("77 bytes long, but its header promises 80 (4 priorities)"));
  CHECK_THAT(Refusal(dir, good.substr(0, 40)), Catch::Contains("40 bytes long, shorter than"));
  CHECK_THAT(Refusal(dir, ""), Catch::Contains("0 bytes long"));
  flipped = good;
  flipped[0] = 'X';
  CHECK_THAT(Refusal(dir, flipped), Catch::Contains("does not begin with 'DDPGPRIO'"));

  PrioritySnapshot other = Example();
  other.capacity = kCapacity + 1;
  CHECK_THAT(Refusal(dir, EncodePrioritySnapshot(other)), Catch::Contains("capacity 11, but replay.capacity is 10"));
  // A CRC checks what was written, not that it makes sense: values no sampler holds are refused too.
  other = Example();
  other.priorities[2] = 0.0f;
  CHECK_THAT(Refusal(dir, EncodePrioritySnapshot(other)), Catch::Contains("priority of transition 1236"));
  other.priorities[2] = std::numeric_limits<float>::quiet_NaN();
  CHECK_THAT(Refusal(dir, EncodePrioritySnapshot(other)), Catch::Contains("priority of transition 1236"));
  other = Example();
  other.max_priority = std::numeric_limits<double>::infinity();
  CHECK_THAT(Refusal(dir, EncodePrioritySnapshot(other)), Catch::Contains("maximum priority"));
  other = Example();
  other.priorities.resize(kCapacity + 1, 1.0f);
  other.capacity = kCapacity;
  CHECK_THAT(Refusal(dir, EncodePrioritySnapshot(other)), Catch::Contains("more than its capacity"));
}

TEST_CASE("a snapshot of a wrapped store lists priorities by transition number", "[priority_snapshot]") {
  TransitionStore store(kObsDim, kActDim, kCapacity, kPriorities);
  for (uint64_t first = 0; first < 12; first += kChunkSize) {
    REQUIRE(store.Insert(testing::MakeBatch(kObsDim, kActDim, first, kChunkSize)).ok());
  }
  // Transitions 2 .. 11 are stored; 10 and 11 wrapped around into slots 0 and 1.
  REQUIRE(store.first_stored() == 2);
  CHECK(store.SlotOf(2) == 2);
  CHECK(store.SlotOf(9) == 9);
  CHECK(store.SlotOf(10) == 0);
  CHECK(store.SlotOf(11) == 1);
  std::vector<uint64_t> slots(kCapacity), generations(kCapacity);
  std::vector<float> priorities(kCapacity);
  for (uint64_t slot = 0; slot < kCapacity; ++slot) {
    slots[slot] = slot;
    generations[slot] = store.generation(slot);
    priorities[slot] = static_cast<float>(slot);
  }
  REQUIRE(store.UpdatePriorities(slots, generations, priorities).ok());
  const PrioritySnapshot snapshot = store.TakePrioritySnapshot();
  CHECK(snapshot.capacity == kCapacity);
  CHECK(snapshot.first_transition == 2);
  // Slot s holds p = s + 0.5: transitions 2 .. 9 are in slots 2 .. 9, 10 and 11 in slots 0 and 1.
  CHECK(snapshot.priorities == std::vector<float>{2.5f, 3.5f, 4.5f, 5.5f, 6.5f, 7.5f, 8.5f, 9.5f, 0.5f, 1.5f});
  CHECK(snapshot.max_priority == 9.5);
}

TEST_CASE("recovery puts each snapshot priority into its transition's new slot", "[priority_snapshot]") {
  TempDir dir;
  {
    Server server(dir.path());
    for (int chunk = 0; chunk < 3; ++chunk) server.InsertChunk();  // transitions 0 .. 11; 2 .. 11 stored
    for (uint64_t number = 2; number < 12; ++number) server.SetPriority(number, static_cast<float>(number));
    server.SetPriority(3, 1000.0f);  // the maximum, 1000.5, outlives transition 3
    std::mt19937_64 rng(5);
    protocol::TransitionBatch batch;
    SampledSlots sampled;
    for (int i = 0; i < 7; ++i) server.store.Sample(4, rng, batch, sampled);
    server.SnapshotAndWait();
    // After the snapshot: transitions 12 .. 19, entering at 1000.5; 2 .. 9 are overwritten.
    for (int chunk = 0; chunk < 2; ++chunk) server.InsertChunk();
    // Killed: no snapshot at the end (the service, not the log, takes one when it stops).
  }
  Server recovered(dir.path());
  REQUIRE(recovered.store.total_inserted() == 20);
  REQUIRE(recovered.store.first_stored() == 10);
  // The log's oldest segment left begins at transition 8 (chunk 8 .. 11 still has stored transitions), so
  // recovery filled slot 0 with transition 8: transition n is in slot (n - 8) mod 10 now, not n mod 10.
  CHECK(recovered.store.SlotOf(10) == 2);
  CHECK(recovered.store.SlotOf(18) == 0);
  // Slot:                          0 (18)  1 (19)  2 (10) 3 (11) 4 .. 9 (12 .. 17)
  const std::vector<double> expected{1000.5, 1000.5, 10.5, 11.5, 1000.5, 1000.5, 1000.5, 1000.5, 1000.5, 1000.5};
  CHECK(PrioritiesBySlot(recovered.store) == expected);
  const PrioritizedSampler& sampler = *recovered.store.prioritized();
  CHECK(sampler.max_priority() == 1000.5);
  CHECK(sampler.batches() == 7);
  CHECK(sampler.beta() == Approx(0.4 + 0.6 * 7 / 100));
  // With alpha = 1, P(i) = p_i / sum p: the tree holds what the priorities say.
  const double total = 8 * 1000.5 + 10.5 + 11.5;
  CHECK(sampler.Probability(2) == Approx(10.5 / total));
  CHECK(sampler.Probability(5) == Approx(1000.5 / total));
  // A new transition enters at the restored maximum.
  recovered.InsertChunk();
  CHECK(sampler.priority(recovered.store.SlotOf(20)) == 1000.5);
}

TEST_CASE("a priority snapshot is written only once its transitions are durable", "[priority_snapshot]") {
  TempDir dir;
  Server server(dir.path());
  server.InsertChunk();
  // Transitions 4 .. 7 are stored but not yet committed: a crash now would lose them, and their numbers would
  // go to the chunks stored after the restart, so a snapshot that covers them must wait.
  auto stored = server.StoreChunk();
  server.SetPriority(6, 60.0f);
  server.log->SnapshotPriorities(server.store.TakePrioritySnapshot());
  std::this_thread::sleep_for(200ms);  // commits of other chunks would happen meanwhile: 1 ms apart
  CHECK(server.log->stats().priority_snapshots == 0);
  CHECK_FALSE(fs::exists(SnapshotPath(dir)));
  server.AppendAndWait(std::move(stored));
  REQUIRE(Server::Eventually([&] { return server.log->stats().priority_snapshots == 1; }));
  StatusOr<std::optional<PrioritySnapshot>> read = ReadPrioritySnapshot(dir.path(), kCapacity);
  REQUIRE(read.ok());
  REQUIRE(read->has_value());
  CHECK((*read)->end_transition() == 8);
  CHECK((*read)->priorities[6] == 60.5f);
  CHECK(server.log->stats().failed_priority_snapshots == 0);
}

TEST_CASE("a priority snapshot that cannot be written is counted, keeps the last one, and the log goes on",
          "[priority_snapshot]") {
  TempDir dir;
  Server server(dir.path());
  server.InsertChunk();
  server.SetPriority(1, 10.0f);
  server.SnapshotAndWait();
  // A directory where the snapshot's temporary file goes makes the next write fail, as a full or broken disk
  // would (permissions would not: the tests may run as root).
  const std::string temporary = SnapshotPath(dir) + ".tmp";
  fs::create_directories(temporary + "/blocker");
  server.SetPriority(1, 20.0f);
  server.log->SnapshotPriorities(server.store.TakePrioritySnapshot());
  REQUIRE(Server::Eventually([&] { return server.log->stats().failed_priority_snapshots == 1; }));
  CHECK(server.log->stats().priority_snapshots == 1);
  // The chunks' log is unaffected: another chunk becomes durable (InsertChunk waits for it).
  server.InsertChunk();
  StatusOr<std::optional<PrioritySnapshot>> kept = ReadPrioritySnapshot(dir.path(), kCapacity);
  REQUIRE(kept.ok());
  REQUIRE(kept->has_value());
  CHECK((*kept)->priorities[1] == 10.5f);

  // Once the disk is writable again, the next snapshot is written.
  fs::remove_all(temporary);
  server.SnapshotAndWait();
  StatusOr<std::optional<PrioritySnapshot>> next = ReadPrioritySnapshot(dir.path(), kCapacity);
  REQUIRE(next.ok());
  REQUIRE(next->has_value());
  CHECK((*next)->priorities[1] == 20.5f);
  CHECK((*next)->end_transition() == 8);
  CHECK(server.log->stats().failed_priority_snapshots == 1);
}

TEST_CASE("a snapshot that is not of the recovered log leaves the priorities at 1", "[priority_snapshot]") {
  TempDir dir;
  {
    Server server(dir.path());
    for (int chunk = 0; chunk < 2; ++chunk) server.InsertChunk();
    server.SetPriority(5, 50.0f);
    server.SnapshotAndWait();
  }
  const std::string written = ReadFile(SnapshotPath(dir));
  auto recovered_priorities = [&](const std::string& snapshot_bytes) {
    WriteFile(SnapshotPath(dir), snapshot_bytes);
    TransitionStore store(kObsDim, kActDim, kCapacity, kPriorities);
    DuplicateFilter filter;
    REQUIRE(RecoverLog(dir.path(), Options(dir.path()).manifest, store, filter).ok());
    const size_t restored = RecoverPriorities(dir.path(), store);
    return std::make_pair(restored, PrioritiesBySlot(store));
  };
  const std::vector<double> at_one{1, 1, 1, 1, 1, 1, 1, 1, 0, 0};  // slots 8 and 9 were never written

  auto [restored, priorities] = recovered_priorities(written);
  CHECK(restored == 8);
  CHECK(priorities[5] == 50.5);
  std::string damaged = written;
  damaged[70] ^= 0x01;
  std::tie(restored, priorities) = recovered_priorities(damaged);
  CHECK(restored == 0);
  CHECK(priorities == at_one);
  // One that covers transitions the log does not hold (a segment moved away, another log's file).
  StatusOr<PrioritySnapshot> beyond = DecodePrioritySnapshot(written, kCapacity);
  REQUIRE(beyond.ok());
  beyond->first_transition = 1;
  std::tie(restored, priorities) = recovered_priorities(EncodePrioritySnapshot(*beyond));
  CHECK(restored == 0);
  CHECK(priorities == at_one);
}

}  // namespace ddpg
