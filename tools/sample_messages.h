// One small valid message of every protocol message type, in MessageType order: the material the fuzzers
// mutate (tools/fuzz_cluster, and the decoder fuzzer's seed corpus, tests/fuzz/write_seeds.cc).
// Header-only so that the fuzzer, built by clang outside CMake, includes it without a library.
#pragma once

#include <vector>

#include "common/protocol.h"

namespace ddpg::fuzzing {

// Two Pendulum-sized transitions with in-range values.
inline protocol::TransitionBatch SmallBatch() {
  protocol::TransitionBatch batch;
  batch.obs_dim = 3;
  batch.act_dim = 1;
  batch.observations = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f};
  batch.actions = {0.5f, -0.5f};
  batch.rewards = {-1.0f, -2.0f};
  batch.discounts = {0.99f, 0.0f};
  batch.next_observations = {0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f};
  batch.policy_versions = {0, 7};
  return batch;
}

inline std::vector<protocol::Message> OneMessageOfEachType() {
  using namespace protocol;
  const TransitionBatch batch = SmallBatch();
  return {
      Error{ErrorCode::kOverloaded, "busy", MessageType::kSampleRequest, 3},
      Heartbeat{"actor-1", 42},
      InsertChunk{1, 2, 3, batch},
      InsertAck{1, 3, false, 100, 42},
      SampleRequest{5, 2, 9},
      // A prioritized server's reply: with generations and weights.
      SampleReply{5, batch, {10, 11}, 100, 200, 2, 42, 150, {1, 3}, {1.0f, 0.5f}},
      StatsRequest{},
      StatsReply{100, 1000, 200, 300, 1, 2, 3, 4, 42},
      Weights{7, 3, 1, {4}, std::vector<float>(21, 0.25f), 43},
      EpisodeReport{1, true, -150.0, 200, 10, 7, 4000, 43},
      ActorIdRequest{99},
      ActorIdReply{99, 3},
      PriorityUpdate{42, {10, 11}, {1, 3}, {0.5f, 2.0f}},
  };
}

}  // namespace ddpg::fuzzing
