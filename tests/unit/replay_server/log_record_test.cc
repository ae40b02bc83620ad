#include "replay_server/log_record.h"

#include <cmath>
#include <cstring>

#include <catch2/catch.hpp>

#include "actor/transition_builder.h"
#include "log_record_bytes.h"
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

template <class T>
T At(const std::string& bytes, size_t offset) {
  T value;
  std::memcpy(&value, bytes.data() + offset, sizeof value);
  return value;
}

TEST_CASE("the reference CRC-32 gives the standard check value", "[log_record]") {
  REQUIRE(testing::ReferenceCrc32("123456789") == 0xCBF43926u);
}

TEST_CASE("a chunk record is laid out as docs/replay-log.md says", "[log_record]") {
  const protocol::InsertChunk chunk = Chunk(42, 5, 2);  // no next observation repeats an observation
  std::string record;
  AppendChunkRecord(chunk, /*first_transition=*/1000, record);
  // 53 bytes of header and fixed fields, then 2 transitions of 4 * (3 + 2 + 2 + 1) + 8 = 40 bytes and their
  // 2 next observations in full, 4 * 3 bytes each.
  REQUIRE(record.size() == 53 + 2 * 40 + 2 * 12);
  REQUIRE(record.size() == ChunkRecordBytes(2, kObsDim, kActDim, 2));
  CHECK(At<uint32_t>(record, 0) == record.size() - 8);
  CHECK(At<uint32_t>(record, 4) == testing::ReferenceCrc32(record.substr(0, 4) + record.substr(8)));
  CHECK(At<uint8_t>(record, 8 + 0) == 3);
  CHECK(At<uint32_t>(record, 8 + 1) == 7);
  CHECK(At<uint64_t>(record, 8 + 5) == 0x0123456789abcdefull);
  CHECK(At<uint64_t>(record, 8 + 13) == 42);
  CHECK(At<uint64_t>(record, 8 + 21) == 1000);
  CHECK(At<uint32_t>(record, 8 + 29) == 2);
  CHECK(At<uint32_t>(record, 8 + 33) == kObsDim);
  CHECK(At<uint32_t>(record, 8 + 37) == kActDim);
  CHECK(At<uint32_t>(record, 8 + 41) == 2);
  const size_t observations = 8 + 45;
  CHECK(At<float>(record, observations) == testing::ObservationValue(5, 0));
  CHECK(At<float>(record, observations + 4 * kObsDim) == testing::ObservationValue(6, 0));
  const size_t actions = observations + 4 * 2 * kObsDim;
  CHECK(At<float>(record, actions + 4) == testing::ActionValue(5, 1));
  const size_t rewards = actions + 4 * 2 * kActDim;
  CHECK(At<float>(record, rewards + 4) == testing::RewardValue(6));
  const size_t discounts = rewards + 4 * 2;
  CHECK(At<float>(record, discounts) == testing::DiscountValue(5));
  const size_t next_observation_rows = discounts + 4 * 2;
  CHECK(At<uint32_t>(record, next_observation_rows) == 0);
  CHECK(At<uint32_t>(record, next_observation_rows + 4) == 0);
  const size_t next_observations = next_observation_rows + 4 * 2;
  CHECK(At<float>(record, next_observations + 4 * 5) == testing::NextObservationValue(6, 2));
  const size_t policy_versions = next_observations + 4 * 2 * kObsDim;
  CHECK(At<uint64_t>(record, policy_versions + 8) == 6);
  CHECK(policy_versions + 16 == record.size());
}

// Two environments stepped twice, n_step 1: rows (step 0, env 0), (0, 1), (1, 0), (1, 1). Row r's next
// observation is row r + 2's observation for the first step; the last step's are new.
protocol::TransitionBatch TwoEnvsTwoSteps() {
  protocol::TransitionBatch batch = testing::MakeBatch(kObsDim, kActDim, 0, 4);
  for (uint32_t j = 0; j < kObsDim; ++j) {
    batch.next_observations[0 * kObsDim + j] = batch.observations[2 * kObsDim + j];
    batch.next_observations[1 * kObsDim + j] = batch.observations[3 * kObsDim + j];
  }
  return batch;
}

TEST_CASE("a repeated next observation is stored as its row's index", "[log_record]") {
  const protocol::TransitionBatch batch = TwoEnvsTwoSteps();
  std::string record;
  AppendChunkRecord({.actor_id = 1, .transitions = batch}, 0, record);
  REQUIRE(record.size() == ChunkRecordBytes(4, kObsDim, kActDim, 2));
  CHECK(At<uint32_t>(record, 8 + 41) == 2);
  const size_t next_observation_rows = 8 + 45 + 4 * 4 * (kObsDim + kActDim + 2);
  CHECK(At<uint32_t>(record, next_observation_rows + 0) == 2 + 1);  // observation row 2
  CHECK(At<uint32_t>(record, next_observation_rows + 4) == 3 + 1);
  CHECK(At<uint32_t>(record, next_observation_rows + 8) == 0);  // in full, first of the two
  CHECK(At<uint32_t>(record, next_observation_rows + 12) == 0);
  const size_t stored = next_observation_rows + 16;
  CHECK(At<float>(record, stored) == testing::NextObservationValue(2, 0));
  CHECK(At<float>(record, stored + 4 * kObsDim) == testing::NextObservationValue(3, 0));
  const StatusOr<ChunkRecord> decoded = DecodeChunk(ReadRecord(record, 0).payload);
  REQUIRE(decoded.ok());
  CHECK(decoded->chunk.transitions == batch);
}

template <class T>
bool SameBytes(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0);
}

bool BitwiseEqual(const protocol::TransitionBatch& a, const protocol::TransitionBatch& b) {
  return a.obs_dim == b.obs_dim && a.act_dim == b.act_dim && SameBytes(a.observations, b.observations) &&
         SameBytes(a.actions, b.actions) && SameBytes(a.rewards, b.rewards) && SameBytes(a.discounts, b.discounts) &&
         SameBytes(a.next_observations, b.next_observations) && SameBytes(a.policy_versions, b.policy_versions);
}

protocol::TransitionBatch RoundTrip(const protocol::TransitionBatch& batch) {
  std::string record;
  AppendChunkRecord({.actor_id = 2, .incarnation = 3, .sequence = 4, .transitions = batch}, 5, record);
  const RecordRead read = ReadRecord(record, 0);
  REQUIRE(read.outcome == RecordRead::Outcome::kRecord);
  StatusOr<ChunkRecord> decoded = DecodeChunk(read.payload);
  INFO(decoded.status().message());
  REQUIRE(decoded.ok());
  return std::move(decoded->chunk.transitions);
}

TEST_CASE("a chunk whose every next observation repeats stores none in full", "[log_record]") {
  for (const size_t shift : {0, 1, 4}) {  // 0: each row's own observation; 4: the row after the last step
    INFO("next observation of row r is observation row (r + " << shift << ") mod 5");
    protocol::TransitionBatch batch = testing::MakeBatch(kObsDim, kActDim, 0, 5);
    for (size_t row = 0; row < 5; ++row) {
      for (uint32_t j = 0; j < kObsDim; ++j) {
        batch.next_observations[row * kObsDim + j] = batch.observations[(row + shift) % 5 * kObsDim + j];
      }
    }
    std::string record;
    AppendChunkRecord({.transitions = batch}, 0, record);
    CHECK(record.size() == ChunkRecordBytes(5, kObsDim, kActDim, 0));
    CHECK(BitwiseEqual(RoundTrip(batch), batch));
  }
}

TEST_CASE("a next observation of -0.0 does not repeat an observation of 0.0", "[log_record]") {
  protocol::TransitionBatch batch = testing::MakeBatch(kObsDim, kActDim, 0, 2);
  batch.observations = {0.0f, 1.0f, 2.0f, 5.0f, 6.0f, 7.0f};
  batch.next_observations = {-0.0f, 1.0f, 2.0f, 0.0f, 1.0f, 2.0f};
  std::string record;
  AppendChunkRecord({.transitions = batch}, 0, record);
  // Row 1's next observation is row 0's observation; row 0's, with -0.0, is no row's and stored in full.
  CHECK(record.size() == ChunkRecordBytes(2, kObsDim, kActDim, 1));
  const protocol::TransitionBatch decoded = RoundTrip(batch);
  CHECK(BitwiseEqual(decoded, batch));
  CHECK(std::signbit(decoded.next_observations[0]));
  CHECK_FALSE(std::signbit(decoded.next_observations[3]));
}

// The chunks of `chunk_size` an actor sends over `steps` steps of `envs` environments with n-step returns,
// built by its own TransitionBuilder. Observations are distinct per environment and step; environment e's
// episodes last episode_steps + e steps and end alternately by termination and truncation; the first
// observation of an episode is one no other step has.
std::vector<protocol::TransitionBatch> ActorChunks(uint32_t obs_dim, uint32_t act_dim, size_t envs, int n_step,
                                                   int steps, int episode_steps, size_t chunk_size) {
  auto observation = [obs_dim](size_t env, int step, float sign) {
    std::vector<float> values;
    for (uint32_t j = 0; j < obs_dim; ++j)
      values.push_back(sign * static_cast<float>(env * 100000 + step * 30 + j + 1));
    return values;
  };
  TransitionBuilder builder(obs_dim, act_dim, 0.99, n_step);
  std::vector<float> observations;
  for (size_t env = 0; env < envs; ++env) {
    const std::vector<float> first = observation(env, 0, -1.0f);
    observations.insert(observations.end(), first.begin(), first.end());
  }
  std::vector<int> episode_step(envs, 0), episodes(envs, 0);
  std::vector<protocol::TransitionBatch> chunks;
  for (int step = 0; step < steps; ++step) {
    StepOutput output{.rewards = std::vector<float>(envs, 0.5f),
                      .terminated = std::vector<uint8_t>(envs, 0),
                      .truncated = std::vector<uint8_t>(envs, 0),
                      .next_observations = {},
                      .finished = {}};
    std::vector<float> next_observations;
    for (size_t env = 0; env < envs; ++env) {
      const std::vector<float> next = observation(env, step + 1, 1.0f);
      output.next_observations.insert(output.next_observations.end(), next.begin(), next.end());
      std::vector<float> after = next;
      if (++episode_step[env] == episode_steps + static_cast<int>(env)) {
        (episodes[env]++ % 2 == 0 ? output.terminated : output.truncated)[env] = 1;
        episode_step[env] = 0;
        after = observation(env, step + 1, -1.0f);  // the next episode's first observation
      }
      next_observations.insert(next_observations.end(), after.begin(), after.end());
    }
    builder.Add(observations, std::vector<float>(envs * act_dim, 0.25f), output, static_cast<uint64_t>(step));
    observations = next_observations;
    if (builder.size() >= chunk_size) chunks.push_back(builder.Take());
  }
  return chunks;
}

TEST_CASE("an actor's chunks read back bit for bit", "[log_record]") {
  for (const auto& [envs, n_step, episode_steps] :
       {std::tuple{1, 1, 7}, std::tuple{3, 1, 5}, std::tuple{1, 3, 6}, std::tuple{4, 3, 9}, std::tuple{2, 1, 1}}) {
    INFO("envs " << envs << ", n_step " << n_step << ", episodes of " << episode_steps << " steps or more");
    const std::vector<protocol::TransitionBatch> chunks = ActorChunks(4, 1, envs, n_step, 80, episode_steps, 20);
    REQUIRE(chunks.size() >= 3);
    for (const protocol::TransitionBatch& chunk : chunks) REQUIRE(BitwiseEqual(RoundTrip(chunk), chunk));
  }
}

TEST_CASE("an actor's chunk stores in full only its last n steps' next observations", "[log_record]") {
  // Episodes longer than the run: no episode ends. A chunk then holds the transitions of consecutive steps,
  // and only those of its last n_step steps have a next observation that no row of it holds.
  for (const auto& [envs, n_step] : {std::tuple{4, 1}, std::tuple{1, 1}, std::tuple{2, 3}}) {
    INFO("envs " << envs << ", n_step " << n_step);
    const std::vector<protocol::TransitionBatch> chunks = ActorChunks(4, 1, envs, n_step, 200, 1000, 100);
    REQUIRE(chunks.size() >= 2);
    for (const protocol::TransitionBatch& chunk : chunks) {
      std::string record;
      AppendChunkRecord({.transitions = chunk}, 0, record);
      const size_t in_full = static_cast<size_t>(envs * n_step);
      CHECK(record.size() == ChunkRecordBytes(chunk.size(), chunk.obs_dim, chunk.act_dim, in_full));
    }
  }
  // HalfCheetah-v4's dimensions, 4 environments, n_step 1, 100 transitions: 53 + 100 * 112 + 4 * 68 = 11,525
  // bytes instead of format 1's 49 + 100 * 176 = 17,649.
  const protocol::TransitionBatch cheetah = ActorChunks(17, 6, 4, 1, 25, 1000, 100).at(0);
  std::string record;
  AppendChunkRecord({.transitions = cheetah}, 0, record);
  CHECK(record.size() == 11525);
  CHECK(testing::Format1ChunkRecord({.transitions = cheetah}, 0).size() == 17649);
  CHECK(BitwiseEqual(RoundTrip(cheetah), cheetah));
}

TEST_CASE("a next observation referring beyond the chunk is refused", "[log_record]") {
  std::string record;
  AppendChunkRecord({.transitions = TwoEnvsTwoSteps()}, 0, record);
  std::string payload = record.substr(kRecordHeaderBytes);
  const size_t next_observation_rows = 45 + 4 * 4 * (kObsDim + kActDim + 2);
  auto decode_with_row_0 = [&](uint32_t entry) {
    std::string changed = payload;
    std::memcpy(changed.data() + next_observation_rows, &entry, 4);
    return DecodeChunk(changed);
  };
  // Entries 1 .. 4 name observation rows 0 .. 3: the last one is still inside the chunk.
  REQUIRE(decode_with_row_0(4).ok());
  CHECK(decode_with_row_0(4)->chunk.transitions.next_observations[0] == testing::ObservationValue(3, 0));
  CHECK(decode_with_row_0(1)->chunk.transitions.next_observations[0] == testing::ObservationValue(0, 0));
  for (uint32_t beyond : {5u, 0xFFFFFFFFu}) {
    const StatusOr<ChunkRecord> decoded = decode_with_row_0(beyond);
    REQUIRE_FALSE(decoded.ok());
    CHECK_THAT(decoded.status().message(),
               Catch::Contains("row 0 refers to observation row " + std::to_string(beyond - 1) + ", beyond its 4"));
  }
  // A row claiming an observation where the count says the next observation is stored in full.
  std::string miscounted = payload;
  const uint32_t entry = 1;
  std::memcpy(miscounted.data() + next_observation_rows + 8, &entry, 4);
  const StatusOr<ChunkRecord> decoded = DecodeChunk(miscounted);
  REQUIRE_FALSE(decoded.ok());
  CHECK_THAT(decoded.status().message(),
             Catch::Contains("2 next observations are stored in full, but its rows name 1"));
}

TEST_CASE("a chunk record of format 1 still reads back", "[log_record]") {
  const protocol::InsertChunk chunk = Chunk(42, 5, 3);
  const std::string record = testing::Format1ChunkRecord(chunk, 1000);
  REQUIRE(record.size() == 49 + 3 * 48);  // as format 1's formula says
  const RecordRead read = ReadRecord(record, 0);
  REQUIRE(read.outcome == RecordRead::Outcome::kRecord);
  REQUIRE(KindOf(read.payload).value() == RecordKind::kChunkFormat1);
  const StatusOr<ChunkRecord> decoded = DecodeChunk(read.payload);
  INFO(decoded.status().message());
  REQUIRE(decoded.ok());
  CHECK(decoded->chunk == chunk);
  CHECK(decoded->first_transition == 1000);
  // Its own size rule: one byte fewer is refused.
  const StatusOr<ChunkRecord> short_one = DecodeChunk(read.payload.substr(0, read.payload.size() - 1));
  REQUIRE_FALSE(short_one.ok());
  CHECK_THAT(short_one.status().message(), Catch::Contains("cannot hold 3 transitions"));
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
  REQUIRE(record.size() == 53);
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
