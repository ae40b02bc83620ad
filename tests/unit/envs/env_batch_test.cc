// Tests of EnvBatch (envs/env_batch.h): seeding, auto-reset at truncation, episode bookkeeping.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "envs/classic/pendulum.h"
#include "envs/env_batch.h"

namespace ddpg {
namespace {

constexpr int kEnvs = 3;
constexpr uint64_t kSeed = 1000;

// The action environment i takes at step t (deterministic, different per environment).
float ActionFor(int env, int step) { return static_cast<float>(2.2 * std::sin(0.05 * step + 1.3 * env)); }

std::vector<float> Actions(int step) {
  std::vector<float> actions(kEnvs);
  for (int i = 0; i < kEnvs; ++i) actions[i] = ActionFor(i, step);
  return actions;
}

// Reference: K individual Pendulums, seeded seed + i.
struct Reference {
  std::vector<std::unique_ptr<Pendulum>> envs;
  std::vector<float> obs;
  Reference() : obs(kEnvs * 3) {
    for (int i = 0; i < kEnvs; ++i) {
      envs.push_back(std::make_unique<Pendulum>());
      envs.back()->Reset(kSeed + i, obs.data() + 3 * i);
    }
  }
};

std::unique_ptr<EnvBatch> MakeBatch() {
  auto batch = EnvBatch::Create("Pendulum-v1", kEnvs, kSeed);
  INFO(batch.status().message());
  REQUIRE(batch.ok());
  return std::move(*batch);
}

TEST_CASE("EnvBatch::Create with an unknown id is NotFound listing the known ids", "[env_batch]") {
  auto batch = EnvBatch::Create("CartPole-v1", 2, 0);
  REQUIRE_FALSE(batch.ok());
  REQUIRE(batch.status().code() == StatusCode::kNotFound);
  REQUIRE_THAT(batch.status().message(), Catch::Contains("'CartPole-v1'"));
  REQUIRE_THAT(batch.status().message(), Catch::Contains("known ids: Pendulum-v1"));

  auto empty = EnvBatch::Create("Pendulum-v1", 0, 0);
  REQUIRE_FALSE(empty.ok());
  REQUIRE(empty.status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("environment i of a batch starts like a Pendulum reset with seed + i", "[env_batch]") {
  auto batch = MakeBatch();
  REQUIRE(batch->size() == kEnvs);
  REQUIRE(batch->spec().id == "Pendulum-v1");
  REQUIRE(batch->spec().obs_dim == 3);
  Reference reference;
  REQUIRE(batch->observations() == reference.obs);
  // The environments do not all start alike.
  REQUIRE(!std::equal(reference.obs.begin(), reference.obs.begin() + 3, reference.obs.begin() + 3));
}

TEST_CASE("a batch steps like its individual environments and auto-resets after 200 steps", "[env_batch]") {
  auto batch = MakeBatch();
  Reference reference;
  StepOutput out;
  std::vector<double> returns(kEnvs, 0.0);
  float obs[3];
  for (int step = 1; step <= 200; ++step) {
    INFO("step " << step);
    const std::vector<float> actions = Actions(step);
    batch->Step(actions, out);
    REQUIRE(out.rewards.size() == kEnvs);
    REQUIRE(out.terminated.size() == kEnvs);
    REQUIRE(out.truncated.size() == kEnvs);
    REQUIRE(out.next_observations.size() == kEnvs * 3);
    for (int i = 0; i < kEnvs; ++i) {
      const StepResult r = reference.envs[i]->Step(&actions[i], obs);
      returns[i] += r.reward;
      REQUIRE(out.rewards[i] == r.reward);
      REQUIRE(out.terminated[i] == 0);
      REQUIRE(out.truncated[i] == (step == 200 ? 1 : 0));
      REQUIRE(std::equal(obs, obs + 3, out.next_observations.begin() + 3 * i));
      if (step < 200) {
        // Not finished: the current observation is the one the step produced.
        REQUIRE(std::equal(obs, obs + 3, batch->observations().begin() + 3 * i));
      }
    }
    if (step < 200) REQUIRE(out.finished.empty());
  }

  // Every environment finished an episode of 200 steps whose return is the sum of its rewards.
  REQUIRE(out.finished.size() == kEnvs);
  for (int i = 0; i < kEnvs; ++i) {
    INFO("env " << i);
    REQUIRE(out.finished[i].env_index == i);
    REQUIRE(out.finished[i].length == 200);
    REQUIRE(out.finished[i].episode_return == Approx(returns[i]).epsilon(1e-9));
    REQUIRE(out.finished[i].episode_return < 0.0);
  }
  // The returns differ per environment (they are not one episode counted K times).
  REQUIRE(out.finished[0].episode_return != out.finished[1].episode_return);

  // next_observations holds the final observation; observations() the first of the next episode, which
  // is the reference environment's unseeded reset.
  for (int i = 0; i < kEnvs; ++i) {
    INFO("env " << i);
    float final_obs[3];
    final_obs[0] = static_cast<float>(std::cos(reference.envs[i]->theta()));
    final_obs[1] = static_cast<float>(std::sin(reference.envs[i]->theta()));
    final_obs[2] = static_cast<float>(reference.envs[i]->theta_dot());
    REQUIRE(std::equal(final_obs, final_obs + 3, out.next_observations.begin() + 3 * i));
    reference.envs[i]->Reset(reference.obs.data() + 3 * i);
    REQUIRE(!std::equal(final_obs, final_obs + 3, batch->observations().begin() + 3 * i));
  }
  REQUIRE(batch->observations() == reference.obs);

  // Stepping continues correctly: a second episode, with fresh returns, truncated again at 200 steps.
  std::fill(returns.begin(), returns.end(), 0.0);
  for (int step = 1; step <= 200; ++step) {
    INFO("second episode, step " << step);
    const std::vector<float> actions = Actions(1000 + step);
    batch->Step(actions, out);
    for (int i = 0; i < kEnvs; ++i) {
      const StepResult r = reference.envs[i]->Step(&actions[i], obs);
      returns[i] += r.reward;
      REQUIRE(out.rewards[i] == r.reward);
      REQUIRE(out.truncated[i] == (step == 200 ? 1 : 0));
      REQUIRE(std::equal(obs, obs + 3, out.next_observations.begin() + 3 * i));
    }
    REQUIRE(out.finished.size() == (step == 200 ? kEnvs : 0u));
  }
  for (int i = 0; i < kEnvs; ++i) {
    REQUIRE(out.finished[i].length == 200);
    REQUIRE(out.finished[i].episode_return == Approx(returns[i]).epsilon(1e-9));
  }
}

TEST_CASE("ResetAll restarts every environment from its generator and clears running returns", "[env_batch]") {
  auto batch = MakeBatch();
  Reference reference;
  StepOutput out;
  float obs[3];
  for (int step = 0; step < 50; ++step) {
    const std::vector<float> actions = Actions(step);
    batch->Step(actions, out);
    for (int i = 0; i < kEnvs; ++i) reference.envs[i]->Step(&actions[i], obs);
  }
  batch->ResetAll();
  for (int i = 0; i < kEnvs; ++i) reference.envs[i]->Reset(reference.obs.data() + 3 * i);
  REQUIRE(batch->observations() == reference.obs);

  // The next episode is a full 200 steps with a return counted from the reset.
  double returns0 = 0.0;
  for (int step = 1; step <= 200; ++step) {
    const std::vector<float> actions = Actions(step);
    batch->Step(actions, out);
    returns0 += reference.envs[0]->Step(&actions[0], obs).reward;
    REQUIRE(out.finished.size() == (step == 200 ? kEnvs : 0u));
  }
  REQUIRE(out.finished[0].length == 200);
  REQUIRE(out.finished[0].episode_return == Approx(returns0).epsilon(1e-9));
}

}  // namespace
}  // namespace ddpg
