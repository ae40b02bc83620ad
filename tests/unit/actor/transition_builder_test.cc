// Tests of the transitions an actor builds from its environment steps (actor/transition_builder.h).
#include <catch2/catch.hpp>

#include "actor/transition_builder.h"
#include "envs/env_batch.h"

namespace ddpg {
namespace {

constexpr float kGamma = 0.9f;

// Two environments with obs_dim 2, act_dim 1; env 0's step is described by the arguments, env 1 goes on.
StepOutput TwoEnvStep(bool terminated0, bool truncated0) {
  StepOutput output;
  output.rewards = {1.5f, -2.0f};
  output.terminated = {static_cast<uint8_t>(terminated0), 0};
  output.truncated = {static_cast<uint8_t>(truncated0), 0};
  output.next_observations = {10.0f, 11.0f, 20.0f, 21.0f};
  return output;
}

TEST_CASE("a terminated step has discount 0 and one that goes on has gamma", "[transition_builder]") {
  TransitionBuilder builder(2, 1, kGamma);
  builder.Add({1.0f, 2.0f, 3.0f, 4.0f}, {0.5f, -0.5f}, TwoEnvStep(/*terminated0=*/true, false), 7);
  const protocol::TransitionBatch batch = builder.Take();
  REQUIRE(batch.size() == 2);
  CHECK(batch.discounts == std::vector<float>{0.0f, kGamma});
  CHECK(batch.rewards == std::vector<float>{1.5f, -2.0f});
  CHECK(batch.observations == std::vector<float>{1.0f, 2.0f, 3.0f, 4.0f});
  CHECK(batch.actions == std::vector<float>{0.5f, -0.5f});
  CHECK(batch.next_observations == std::vector<float>{10.0f, 11.0f, 20.0f, 21.0f});
  CHECK(protocol::ValidateBatch(batch).ok());
}

TEST_CASE("a time-limit truncation keeps gamma: it is not a termination", "[transition_builder]") {
  TransitionBuilder builder(2, 1, kGamma);
  builder.Add({1.0f, 2.0f, 3.0f, 4.0f}, {0.5f, -0.5f}, TwoEnvStep(false, /*truncated0=*/true), 7);
  CHECK(builder.Take().discounts == std::vector<float>{kGamma, kGamma});
}

TEST_CASE("a truncated episode's next observation is its last one, not the next episode's first",
          "[transition_builder]") {
  // Pendulum-v1 truncates after 200 steps; EnvBatch resets it right after, so the builder must take the
  // step's next observation, not the batch's current one.
  auto envs = EnvBatch::Create("Pendulum-v1", 1, 3);
  REQUIRE(envs.ok());
  TransitionBuilder builder(3, 1, kGamma);
  StepOutput output;
  std::vector<float> last_next_observation;
  for (int step = 0; step < 200; ++step) {
    const std::vector<float> observations = (*envs)->observations();
    (*envs)->Step({0.0f}, output);
    builder.Add(observations, {0.0f}, output, 1);
    last_next_observation = output.next_observations;
  }
  REQUIRE(output.truncated[0] == 1);
  const protocol::TransitionBatch batch = builder.Take();
  REQUIRE(batch.size() == 200);
  const std::vector<float> stored(batch.next_observations.end() - 3, batch.next_observations.end());
  CHECK(stored == last_next_observation);
  CHECK(stored != (*envs)->observations());
  CHECK(batch.discounts.back() == kGamma);
  // Consecutive transitions chain: each next observation is the following transition's observation.
  for (size_t i = 0; i + 1 < batch.size(); ++i) {
    for (size_t d = 0; d < 3; ++d) REQUIRE(batch.next_observations[i * 3 + d] == batch.observations[(i + 1) * 3 + d]);
  }
}

TEST_CASE("every transition carries the policy version that chose its action", "[transition_builder]") {
  TransitionBuilder builder(2, 1, kGamma);
  builder.Add({1.0f, 2.0f, 3.0f, 4.0f}, {0.5f, -0.5f}, TwoEnvStep(false, false), 0);
  builder.Add({1.0f, 2.0f, 3.0f, 4.0f}, {0.5f, -0.5f}, TwoEnvStep(false, false), 42);
  CHECK(builder.Take().policy_versions == std::vector<uint64_t>{0, 0, 42, 42});
}

TEST_CASE("Take hands over the chunk and starts an empty one of the same dimensions", "[transition_builder]") {
  TransitionBuilder builder(2, 1, kGamma);
  builder.Add({1.0f, 2.0f, 3.0f, 4.0f}, {0.5f, -0.5f}, TwoEnvStep(false, false), 1);
  REQUIRE(builder.size() == 2);
  CHECK(builder.Take().size() == 2);
  CHECK(builder.size() == 0);
  const protocol::TransitionBatch empty = builder.Take();
  CHECK(empty.obs_dim == 2);
  CHECK(empty.act_dim == 1);
  CHECK(empty.size() == 0);
}

}  // namespace
}  // namespace ddpg
