#include "replay_server/log_record.h"

#include <cstring>

#include <catch2/catch.hpp>

#include "transition_batches.h"

namespace ddpg::replay_log {
namespace {

constexpr uint32_t kObsDim = 3;
constexpr uint32_t kActDim = 2;

protocol::InsertChunk Chunk(uint64_t sequence, uint64_t first_id, size_t count) {
  return {.actor_id = 7,
          .incarnation = 0x0123456789abcdefull,
          .sequence = sequence,
          .transitions = testing::MakeBatch(kObsDim, kActDim, first_id, count)};
}

// CRC-32 (ISO-HDLC) one bit at a time, straight from its definition: the reflected polynomial 0xEDB88320,
// initial value and final xor 0xFFFFFFFF. The log must use exactly this, as docs/replay-log.md says.
uint32_t ReferenceCrc32(std::string_view bytes) {
  uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char byte : bytes) {
    crc ^= byte;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ ((crc & 1u) ? 0xEDB88320u : 0u);
  }
  return crc ^ 0xFFFFFFFFu;
}

template <class T>
T At(const std::string& bytes, size_t offset) {
  T value;
  std::memcpy(&value, bytes.data() + offset, sizeof value);
  return value;
}

TEST_CASE("the reference CRC-32 gives the standard check value", "[log_record]") {
  REQUIRE(ReferenceCrc32("123456789") == 0xCBF43926u);
}

TEST_CASE("a chunk record is laid out as docs/replay-log.md says", "[log_record]") {
  const protocol::InsertChunk chunk = Chunk(42, 5, 2);
  std::string record;
  AppendChunkRecord(chunk, /*first_transition=*/1000, record);
  // 49 bytes of header and fixed fields, then 2 transitions of 4 * (2 * 3 + 2 + 2) + 8 = 48 bytes.
  REQUIRE(record.size() == 49 + 2 * 48);
  REQUIRE(record.size() == ChunkRecordBytes(2, kObsDim, kActDim));
  CHECK(At<uint32_t>(record, 0) == record.size() - 8);
  CHECK(At<uint32_t>(record, 4) == ReferenceCrc32(record.substr(0, 4) + record.substr(8)));
  CHECK(At<uint8_t>(record, 8 + 0) == 1);
  CHECK(At<uint32_t>(record, 8 + 1) == 7);
  CHECK(At<uint64_t>(record, 8 + 5) == 0x0123456789abcdefull);
  CHECK(At<uint64_t>(record, 8 + 13) == 42);
  CHECK(At<uint64_t>(record, 8 + 21) == 1000);
  CHECK(At<uint32_t>(record, 8 + 29) == 2);
  CHECK(At<uint32_t>(record, 8 + 33) == kObsDim);
  CHECK(At<uint32_t>(record, 8 + 37) == kActDim);
  const size_t observations = 8 + 41;
  CHECK(At<float>(record, observations) == testing::ObservationValue(5, 0));
  CHECK(At<float>(record, observations + 4 * kObsDim) == testing::ObservationValue(6, 0));
  const size_t actions = observations + 4 * 2 * kObsDim;
  CHECK(At<float>(record, actions + 4) == testing::ActionValue(5, 1));
  const size_t rewards = actions + 4 * 2 * kActDim;
  CHECK(At<float>(record, rewards + 4) == testing::RewardValue(6));
  const size_t discounts = rewards + 4 * 2;
  CHECK(At<float>(record, discounts) == testing::DiscountValue(5));
  const size_t next_observations = discounts + 4 * 2;
  CHECK(At<float>(record, next_observations + 4 * 5) == testing::NextObservationValue(6, 2));
  const size_t policy_versions = next_observations + 4 * 2 * kObsDim;
  CHECK(At<uint64_t>(record, policy_versions + 8) == 6);
  CHECK(policy_versions + 16 == record.size());
}

TEST_CASE("chunk records read back as they were written, one after another", "[log_record]") {
  std::string segment;
  AppendChunkRecord(Chunk(0, 0, 3), 0, segment);
  AppendChunkRecord(Chunk(1, 3, 1), 3, segment);
  size_t offset = 0;
  for (const auto& [sequence, first, count] : {std::tuple{0, 0, 3}, std::tuple{1, 3, 1}}) {
    const RecordRead read = ReadRecord(segment, offset);
    INFO(read.problem);
    REQUIRE(read.outcome == RecordRead::Outcome::kRecord);
    REQUIRE(KindOf(read.payload).value() == RecordKind::kChunk);
    const StatusOr<ChunkRecord> decoded = DecodeChunk(read.payload);
    REQUIRE(decoded.ok());
    CHECK(decoded->chunk == Chunk(sequence, first, count));
    CHECK(decoded->first_transition == static_cast<uint64_t>(first));
    offset = read.next_offset;
  }
  CHECK(offset == segment.size());
  CHECK(ReadRecord(segment, offset).outcome == RecordRead::Outcome::kEnd);
}

TEST_CASE("a chunk of no transitions reads back too", "[log_record]") {
  std::string record;
  AppendChunkRecord(Chunk(9, 0, 0), 77, record);
  REQUIRE(record.size() == 49);
  const RecordRead read = ReadRecord(record, 0);
  REQUIRE(read.outcome == RecordRead::Outcome::kRecord);
  const StatusOr<ChunkRecord> decoded = DecodeChunk(read.payload);
  REQUIRE(decoded.ok());
  CHECK(decoded->chunk == Chunk(9, 0, 0));
  CHECK(decoded->first_transition == 77);
}

TEST_CASE("every flipped bit of a record is detected", "[log_record]") {
  std::string record;
  AppendChunkRecord(Chunk(3, 10, 2), 10, record);
  for (size_t byte = 0; byte < record.size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string damaged = record;
      damaged[byte] = static_cast<char>(damaged[byte] ^ (1 << bit));
      const RecordRead read = ReadRecord(damaged, 0);
      INFO("byte " << byte << ", bit " << bit);
      REQUIRE(read.outcome == RecordRead::Outcome::kBad);
      REQUIRE_FALSE(read.problem.empty());
    }
  }
}

TEST_CASE("a record cut short anywhere is bad, saying so", "[log_record]") {
  std::string record;
  AppendChunkRecord(Chunk(3, 10, 2), 10, record);
  CHECK(ReadRecord(record.substr(0, 0), 0).outcome == RecordRead::Outcome::kEnd);
  for (size_t length = 1; length < record.size(); ++length) {
    const RecordRead read = ReadRecord(std::string_view(record).substr(0, length), 0);
    INFO("length " << length);
    REQUIRE(read.outcome == RecordRead::Outcome::kBad);
    REQUIRE_THAT(read.problem, Catch::Contains("cut short"));
  }
}

TEST_CASE("a record claiming an absurd length is bad without reading it", "[log_record]") {
  std::string record(16, '\0');
  const uint32_t length = kMaxPayloadBytes + 1;
  std::memcpy(record.data(), &length, 4);
  const RecordRead read = ReadRecord(record, 0);
  REQUIRE(read.outcome == RecordRead::Outcome::kBad);
  REQUIRE_THAT(read.problem, Catch::Contains("outside"));
}

TEST_CASE("a chunk payload whose sizes disagree is refused even with a good CRC", "[log_record]") {
  std::string record;
  AppendChunkRecord(Chunk(0, 0, 3), 0, record);
  std::string payload = record.substr(kRecordHeaderBytes);
  const uint32_t wrong_count = 4;
  std::memcpy(payload.data() + 29, &wrong_count, 4);
  const StatusOr<ChunkRecord> decoded = DecodeChunk(payload);
  REQUIRE_FALSE(decoded.ok());
  REQUIRE_THAT(decoded.status().message(), Catch::Contains("cannot hold 4 transitions"));
  CHECK_FALSE(KindOf(std::string(1, '\x09')).ok());
  CHECK_FALSE(DecodeFilterState(payload).ok());
}

TEST_CASE("the duplicate filter's state reads back to a filter that answers alike", "[log_record]") {
  DuplicateFilter filter;
  filter.Record(1, 100, 5);
  filter.Record(2, 200, 0);
  filter.Record(1, 100, 7);
  filter.Record(1, 100, 5000);  // 5 and 7 leave the window; 904 .. 5000 are inside
  filter.Record(3, 300, 4095);
  std::string record;
  AppendFilterRecord(filter.Save(), record);
  // 1 + 4 + 4 bytes, then 3 processes of 4 + 8 + 8 + 512 bytes.
  REQUIRE(record.size() == kRecordHeaderBytes + 9 + 3 * 532);
  const RecordRead read = ReadRecord(record, 0);
  REQUIRE(read.outcome == RecordRead::Outcome::kRecord);
  REQUIRE(KindOf(read.payload).value() == RecordKind::kFilterState);
  const auto state = DecodeFilterState(read.payload);
  REQUIRE(state.ok());
  REQUIRE(*state == filter.Save());
  DuplicateFilter restored;
  restored.Restore(*state);
  REQUIRE(restored.Save() == filter.Save());
  for (uint32_t actor : {1u, 2u, 3u}) {
    for (uint64_t sequence = 0; sequence < 6000; ++sequence) {
      const uint64_t incarnation = actor * 100;
      INFO("actor " << actor << ", sequence " << sequence);
      REQUIRE(restored.Contains(actor, incarnation, sequence) == filter.Contains(actor, incarnation, sequence));
    }
  }
  CHECK(restored.Contains(1, 100, 5000));
  CHECK_FALSE(restored.Contains(1, 100, 4999));
  CHECK(restored.Contains(3, 300, 4095));
  CHECK_FALSE(restored.Contains(3, 300, 4094));
}

TEST_CASE("a restored filter forgets the least recently recorded process first, as the saved one would",
          "[log_record]") {
  DuplicateFilter filter;
  for (uint64_t incarnation = 0; incarnation < DuplicateFilter::kMaxActorProcesses; ++incarnation) {
    filter.Record(1, incarnation, 0);
  }
  filter.Record(1, 0, 1);  // the oldest process records again: process 1 is now the least recent
  DuplicateFilter restored;
  restored.Restore(filter.Save());
  filter.Record(2, 0, 0);
  restored.Record(2, 0, 0);
  CHECK(restored.Save() == filter.Save());
  CHECK(restored.Contains(1, 0, 0));
  CHECK_FALSE(restored.Contains(1, 1, 0));
}

}  // namespace
}  // namespace ddpg::replay_log
