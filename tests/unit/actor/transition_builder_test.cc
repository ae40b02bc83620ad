// Tests of the transitions an actor builds from its environment steps (actor/transition_builder.h).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "actor/transition_builder.h"
#include "common/config.h"
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

// n-step returns, on hand-made episodes of one environment with obs_dim = act_dim = 1: step t is taken from
// observation 10 + t with action 100 + t, earns reward kRewards[t] and leads to observation 10 + t + 1.
// With gamma 0.5 every sum below is exact in binary, so the expected values are written out by hand.
constexpr double kHalf = 0.5;
const std::vector<float> kRewards = {1.0f, 2.0f, 3.0f, 4.0f, 5.0f};

struct Ending {
  bool terminated = false;
  bool truncated = false;
};

StepOutput OneEnvStep(int t, Ending ending) {
  StepOutput output;
  output.rewards = {kRewards[t]};
  output.terminated = {static_cast<uint8_t>(ending.terminated)};
  output.truncated = {static_cast<uint8_t>(ending.truncated)};
  output.next_observations = {10.0f + t + 1};
  return output;
}

// Adds steps 0 .. length-1 of an episode that ends as `ending` says at its last step (versions 1, 2, ...),
// and returns how many transitions each Add completed.
std::vector<size_t> AddEpisode(TransitionBuilder& builder, int length, Ending ending) {
  std::vector<size_t> completed;
  for (int t = 0; t < length; ++t) {
    const size_t before = builder.size();
    builder.Add({10.0f + t}, {100.0f + t}, OneEnvStep(t, t == length - 1 ? ending : Ending{}), t + 1);
    completed.push_back(builder.size() - before);
  }
  return completed;
}

TEST_CASE(
    "n = 3: each transition sums three rewards with discount gamma^3; a termination emits the rest with "
    "discount 0 and fewer rewards",
    "[transition_builder][n_step]") {
  TransitionBuilder builder(1, 1, kHalf, 3);
  // A transition is complete three steps after its first; the terminal step completes all three waiting.
  CHECK(AddEpisode(builder, 5, {.terminated = true}) == std::vector<size_t>{0, 0, 1, 1, 3});
  CHECK(builder.pending() == 0);
  const protocol::TransitionBatch batch = builder.Take();
  CHECK(batch.observations == std::vector<float>{10, 11, 12, 13, 14});
  CHECK(batch.actions == std::vector<float>{100, 101, 102, 103, 104});
  // 1 + 2/2 + 3/4, 2 + 3/2 + 4/4, 3 + 4/2 + 5/4, then the shorter sums 4 + 5/2 and 5.
  CHECK(batch.rewards == std::vector<float>{2.75f, 4.5f, 6.25f, 6.5f, 5.0f});
  CHECK(batch.discounts == std::vector<float>{0.125f, 0.125f, 0.0f, 0.0f, 0.0f});
  // s_{t+3}, and the final observation for those cut by the end.
  CHECK(batch.next_observations == std::vector<float>{13, 14, 15, 15, 15});
  // The version that chose the first action (step t was chosen by version t + 1).
  CHECK(batch.policy_versions == std::vector<uint64_t>{1, 2, 3, 4, 5});
  CHECK(protocol::ValidateBatch(batch).ok());
}

TEST_CASE("n = 3: a time-limit truncation emits the rest bootstrapping from the last observation with gamma^k",
          "[transition_builder][n_step]") {
  TransitionBuilder builder(1, 1, kHalf, 3);
  CHECK(AddEpisode(builder, 5, {.truncated = true}) == std::vector<size_t>{0, 0, 1, 1, 3});
  const protocol::TransitionBatch batch = builder.Take();
  CHECK(batch.rewards == std::vector<float>{2.75f, 4.5f, 6.25f, 6.5f, 5.0f});
  // k = 3, 3, 3, then 2 and 1 steps to the cut.
  CHECK(batch.discounts == std::vector<float>{0.125f, 0.125f, 0.125f, 0.25f, 0.5f});
  CHECK(batch.next_observations == std::vector<float>{13, 14, 15, 15, 15});
}

TEST_CASE("n larger than the episode: nothing is complete before the end, then every step's return to the end",
          "[transition_builder][n_step]") {
  TransitionBuilder builder(1, 1, kHalf, 10);
  SECTION("terminated") {
    CHECK(AddEpisode(builder, 4, {.terminated = true}) == std::vector<size_t>{0, 0, 0, 4});
    const protocol::TransitionBatch batch = builder.Take();
    // 1 + 2/2 + 3/4 + 4/8, 2 + 3/2 + 4/4, 3 + 4/2, 4.
    CHECK(batch.rewards == std::vector<float>{3.25f, 4.5f, 5.0f, 4.0f});
    CHECK(batch.discounts == std::vector<float>{0.0f, 0.0f, 0.0f, 0.0f});
    CHECK(batch.next_observations == std::vector<float>{14, 14, 14, 14});
    CHECK(batch.policy_versions == std::vector<uint64_t>{1, 2, 3, 4});
  }
  SECTION("truncated") {
    CHECK(AddEpisode(builder, 4, {.truncated = true}) == std::vector<size_t>{0, 0, 0, 4});
    const protocol::TransitionBatch batch = builder.Take();
    CHECK(batch.rewards == std::vector<float>{3.25f, 4.5f, 5.0f, 4.0f});
    CHECK(batch.discounts == std::vector<float>{0.0625f, 0.125f, 0.25f, 0.5f});
    CHECK(batch.next_observations == std::vector<float>{14, 14, 14, 14});
  }
}

TEST_CASE("n = 1 emits every step at once: its reward, gamma or 0, and the next observation",
          "[transition_builder][n_step]") {
  TransitionBuilder builder(1, 1, kHalf, 1);
  CHECK(AddEpisode(builder, 3, {.terminated = true}) == std::vector<size_t>{1, 1, 1});
  const protocol::TransitionBatch batch = builder.Take();
  CHECK(batch.rewards == std::vector<float>{1.0f, 2.0f, 3.0f});
  CHECK(batch.discounts == std::vector<float>{0.5f, 0.5f, 0.0f});
  CHECK(batch.next_observations == std::vector<float>{11, 12, 13});
}

TEST_CASE("an n-step window never reaches across an episode boundary or into another environment",
          "[transition_builder][n_step]") {
  // Two environments, n = 2. Env 0 terminates at its second step and starts again; env 1 goes on.
  TransitionBuilder builder(1, 1, kHalf, 2);
  auto step = [&](float reward0, bool terminated0, float reward1) {
    StepOutput output;
    output.rewards = {reward0, reward1};
    output.terminated = {static_cast<uint8_t>(terminated0), 0};
    output.truncated = {0, 0};
    output.next_observations = {0.0f, 0.0f};
    builder.Add({0.0f, 0.0f}, {0.0f, 0.0f}, output, 1);
  };
  step(1.0f, false, 100.0f);
  step(2.0f, /*terminated0=*/true, 200.0f);  // env 0: 1 + 2/2 and 2, both discount 0; env 1: 100 + 200/2
  step(4.0f, false, 400.0f);                 // env 1: 200 + 400/2
  step(8.0f, false, 800.0f);                 // env 0's new episode: 4 + 8/2; env 1: 400 + 800/2
  const protocol::TransitionBatch batch = builder.Take();
  CHECK(batch.rewards == std::vector<float>{2.0f, 2.0f, 200.0f, 400.0f, 8.0f, 800.0f});
  CHECK(batch.discounts == std::vector<float>{0.0f, 0.0f, 0.25f, 0.25f, 0.25f, 0.25f});
  CHECK(builder.pending() == 2);  // each environment's newest step
}

TEST_CASE("Flush completes the waiting steps as if truncated now", "[transition_builder][n_step]") {
  TransitionBuilder builder(1, 1, kHalf, 3);
  CHECK(AddEpisode(builder, 4, {}) == std::vector<size_t>{0, 0, 1, 1});
  CHECK(builder.pending() == 2);
  builder.Flush();
  CHECK(builder.pending() == 0);
  const protocol::TransitionBatch batch = builder.Take();
  REQUIRE(batch.size() == 4);  // one transition per step taken
  CHECK(batch.rewards == std::vector<float>{2.75f, 4.5f, 5.0f, 4.0f});
  CHECK(batch.discounts == std::vector<float>{0.125f, 0.125f, 0.25f, 0.5f});
  CHECK(batch.next_observations == std::vector<float>{13, 14, 14, 14});
  CHECK(batch.policy_versions == std::vector<uint64_t>{1, 2, 3, 4});
}

TEST_CASE("one step adds at most num_envs * n transitions, as LargestChunkTransitions assumes",
          "[transition_builder][n_step]") {
  ActorConfig actor;
  actor.num_envs = 2;
  actor.n_step = 3;
  actor.chunk_size = 10;
  TransitionBuilder builder(1, 1, kHalf, actor.n_step);
  // Both environments end with a full window in the same step: the most one step can complete.
  for (int t = 0; t < actor.n_step; ++t) {
    const bool last = t == actor.n_step - 1;
    StepOutput output;
    output.rewards = {1.0f, 1.0f};
    output.terminated = {static_cast<uint8_t>(last), 0};
    output.truncated = {0, static_cast<uint8_t>(last)};
    output.next_observations = {0.0f, 0.0f};
    const size_t before = builder.size();
    builder.Add({0.0f, 0.0f}, {0.0f, 0.0f}, output, 1);
    if (last) CHECK(builder.size() - before == LargestChunkTransitions(actor) - (actor.chunk_size - 1));
  }
}

TEST_CASE(
    "n = 3 on Pendulum: 200 steps give 200 transitions, chained three steps apart, the last three cut by "
    "the time limit",
    "[transition_builder][n_step]") {
  auto envs = EnvBatch::Create("Pendulum-v1", 1, 5);
  REQUIRE(envs.ok());
  TransitionBuilder builder(3, 1, kGamma, 3);
  StepOutput output;
  std::vector<float> rewards;
  for (int step = 0; step < 200; ++step) {
    const std::vector<float> observations = (*envs)->observations();
    (*envs)->Step({0.5f}, output);
    builder.Add(observations, {0.5f}, output, 1);
    rewards.push_back(output.rewards[0]);
  }
  REQUIRE(output.truncated[0] == 1);
  CHECK(builder.pending() == 0);
  const protocol::TransitionBatch batch = builder.Take();
  REQUIRE(batch.size() == 200);
  const std::vector<float> last(output.next_observations);
  const double g = kGamma;
  for (size_t i = 0; i < 200; ++i) {
    const size_t k = std::min<size_t>(3, 200 - i);
    double expected_reward = 0.0;
    for (size_t j = 0; j < k; ++j) expected_reward += std::pow(g, j) * rewards[i + j];
    INFO("transition " << i);
    REQUIRE(batch.rewards[i] == Approx(expected_reward).epsilon(1e-6));
    REQUIRE(batch.discounts[i] == Approx(std::pow(g, k)).epsilon(1e-6));
    const std::vector<float> next(batch.next_observations.begin() + 3 * i, batch.next_observations.begin() + 3 * i + 3);
    if (i + 3 < 200) {
      REQUIRE(next ==
              std::vector<float>(batch.observations.begin() + 3 * (i + 3), batch.observations.begin() + 3 * (i + 4)));
    } else {
      REQUIRE(next == last);
    }
  }
}

}  // namespace
}  // namespace ddpg
