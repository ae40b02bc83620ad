// Tests of BipedalWalker-v3 (envs/box2d/bipedal_walker.h) against Gymnasium's box2d/bipedal_walker.py: the
// spec, the terrain, determinism per seed, the observation's ranges, the reward as shaping differences
// minus motor cost, and each way an episode ends. Gymnasium's constants are written out here so that a
// wrong constant in the implementation cannot hide in both.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>
#include <random>
#include <vector>

#include "envs/box2d/bipedal_walker.h"
#include "envs/environment.h"
#include "envs/registry.h"
#include "rollout.h"

namespace ddpg {
namespace {

constexpr int kObsDim = 24;
using Obs = std::array<float, kObsDim>;
constexpr double kTerrainStep = 14.0 / 30.0;
constexpr double kTerrainHeight = 400.0 / 30.0 / 4.0;

using Transition = TestTransition<kObsDim>;

// Resets with `seed` and plays `steps` actions from a fixed pseudo-random sequence (or until the end).
std::vector<Transition> Rollout(Environment& env, uint64_t seed, int steps) {
  return RandomRollout<kObsDim, 4>(env, seed, steps, /*action_seed=*/42);
}

TEST_CASE("walker: BipedalWalker-v3 is registered with Gymnasium's spaces and time limit", "[bipedal_walker]") {
  auto env = MakeEnvironment("BipedalWalker-v3");
  REQUIRE(env.ok());
  const EnvSpec& spec = (*env)->spec();
  REQUIRE(spec.id == "BipedalWalker-v3");
  REQUIRE(spec.obs_dim == 24);
  REQUIRE(spec.act_dim == 4);
  REQUIRE(spec.max_episode_steps == 1600);
  REQUIRE(spec.act_low == std::vector<float>(4, -1.0f));
  REQUIRE(spec.act_high == std::vector<float>(4, 1.0f));
  const float pi = std::numbers::pi_v<float>;
  std::vector<float> low = {-pi, -5, -5, -5, -pi, -5, -pi, -5, 0, -pi, -5, -pi, -5, 0};
  std::vector<float> high = {pi, 5, 5, 5, pi, 5, pi, 5, 5, pi, 5, pi, 5, 5};
  low.resize(24, -1.0f);
  high.resize(24, 1.0f);
  REQUIRE(spec.obs_low == low);
  REQUIRE(spec.obs_high == high);
}

TEST_CASE("walker: the terrain is 200 steps of 14/30, flat over the start pad, gently rolling after",
          "[bipedal_walker]") {
  BipedalWalker env;
  Obs obs;
  env.Reset(3, obs.data());
  const auto& x = env.terrain_x();
  const auto& y = env.terrain_y();
  REQUIRE(x.size() == 200);
  REQUIRE(y.size() == 200);
  for (size_t i = 0; i < x.size(); ++i) REQUIRE(x[i] == Approx(i * kTerrainStep));
  for (int i = 0; i <= 20; ++i) REQUIRE(y[i] == kTerrainHeight);
  double lowest = y[0], highest = y[0];
  for (double h : y) {
    lowest = std::min(lowest, h);
    highest = std::max(highest, h);
  }
  REQUIRE(highest > lowest);
  // The damped walk stays near TERRAIN_HEIGHT: 0.8 damping of kicks of at most 1/30 per step.
  REQUIRE(lowest > kTerrainHeight - 3.0);
  REQUIRE(highest < kTerrainHeight + 3.0);
  // The walker starts standing at the start pad with its hull level.
  REQUIRE(env.hull_x() == Approx(kTerrainStep * 10).margin(0.05));
  REQUIRE(std::abs(obs[0]) < 0.05);
  REQUIRE(env.elapsed_steps() == 0);
}

TEST_CASE("walker: the same seed gives the same trajectory and different seeds differ", "[bipedal_walker]") {
  BipedalWalker a, b;
  const auto first = Rollout(a, 11, 400);
  REQUIRE(SameTrajectory(first, Rollout(b, 11, 400)));
  // An instance's history does not leak into a re-seeded episode.
  Rollout(a, 12, 100);
  REQUIRE(SameTrajectory(first, Rollout(a, 11, 400)));
  REQUIRE_FALSE(SameTrajectory(first, Rollout(b, 12, 400)));
  BipedalWalker c, d;
  Obs oc, od;
  c.Reset(11, oc.data());
  d.Reset(12, od.data());
  REQUIRE(c.terrain_y() != d.terrain_y());
}

TEST_CASE("walker: lidar fractions lie in [0, 1] and contacts are 0 or 1", "[bipedal_walker]") {
  BipedalWalker env;
  int hits = 0;
  for (uint64_t seed = 0; seed < 3; ++seed) {
    for (const Transition& t : Rollout(env, seed, 300)) {
      for (int i = 14; i < 24; ++i) {
        REQUIRE(t.obs[i] >= 0.0f);
        REQUIRE(t.obs[i] <= 1.0f);
        if (t.obs[i] < 1.0f) ++hits;
      }
      REQUIRE((t.obs[8] == 0.0f || t.obs[8] == 1.0f));
      REQUIRE((t.obs[13] == 0.0f || t.obs[13] == 1.0f));
      for (float v : t.obs) REQUIRE(std::isfinite(v));
    }
  }
  // The steeper rays reach the ground from a standing hull.
  REQUIRE(hits > 0);
}

TEST_CASE("walker: lidar rays measure the distance to the ground under the hull", "[bipedal_walker]") {
  BipedalWalker env;
  Obs obs;
  env.Reset(0, obs.data());
  // Ray 0 points straight down over the flat start pad: fraction = (hull y - ground) / (160 / 30).
  REQUIRE(obs[14] == Approx((env.hull_y() - kTerrainHeight) / (160.0 / 30.0)).margin(1e-4));
  // Lift the walker far above the ground: no ray reaches it.
  env.MoveWalker(0.0, 10.0, 0.0, 0.0);
  const float zero[4] = {0, 0, 0, 0};
  env.Step(zero, obs.data());
  for (int i = 14; i < 24; ++i) REQUIRE(obs[i] == 1.0f);
}

TEST_CASE("walker: the reward is the shaping difference minus motor cost, as Gymnasium computes it",
          "[bipedal_walker]") {
  BipedalWalker env;
  std::mt19937 actions(8);
  // Beyond [-1, 1] on purpose: the cost uses clip(|a|, 0, 1).
  std::uniform_real_distribution<float> wide(-1.3f, 1.3f);
  int checked = 0;
  for (uint64_t seed = 0; seed < 3; ++seed) {
    Obs obs;
    env.Reset(seed, obs.data());
    auto shaping = [&] { return 130.0 * env.hull_x() / 30.0 - 5.0 * std::abs(double{obs[0]}); };
    double previous = shaping();
    for (int t = 0; t < 400; ++t) {
      float action[4];
      double cost = 0.0;
      for (float& a : action) {
        a = wide(actions);
        cost += 0.00035 * 80.0 * std::clamp(std::abs(double{a}), 0.0, 1.0);
      }
      const StepResult r = env.Step(action, obs.data());
      if (r.terminated || r.truncated) break;
      REQUIRE(r.reward == Approx(shaping() - previous - cost).margin(1e-5));
      previous = shaping();
      ++checked;
    }
  }
  REQUIRE(checked > 100);
}

TEST_CASE("walker: the hull touching the ground ends the episode with -100", "[bipedal_walker]") {
  // With zero torque on every motor the legs fold and the hull drops onto the ground; the feet get there
  // first, which the observation reports through the lower legs' contact flags.
  BipedalWalker env;
  const float limp[4] = {0, 0, 0, 0};
  for (uint64_t seed : {0u, 1u}) {
    INFO("seed " << seed);
    Obs obs;
    env.Reset(seed, obs.data());
    StepResult r;
    int steps = 0;
    bool feet_touched = false;
    do {
      r = env.Step(limp, obs.data());
      ++steps;
      REQUIRE(obs[8] == (env.leg_contact(0) ? 1.0f : 0.0f));
      REQUIRE(obs[13] == (env.leg_contact(1) ? 1.0f : 0.0f));
      if (!env.game_over()) feet_touched = feet_touched || env.leg_contact(0) || env.leg_contact(1);
    } while (!r.terminated && !r.truncated);
    REQUIRE(feet_touched);
    REQUIRE(steps < 300);
    REQUIRE(r.terminated);
    REQUIRE(env.game_over());
    REQUIRE(r.reward == -100.0f);
  }
}

TEST_CASE("walker: falling off the left end (hull x < 0) ends the episode with -100", "[bipedal_walker]") {
  BipedalWalker env;
  Obs obs;
  env.Reset(4, obs.data());
  env.MoveWalker(-env.hull_x() - 1.0, 1.0, 0.0, 0.0);
  const float zero[4] = {0, 0, 0, 0};
  const StepResult r = env.Step(zero, obs.data());
  REQUIRE(env.hull_x() < 0.0);
  REQUIRE_FALSE(env.game_over());
  REQUIRE(r.terminated);
  REQUIRE(r.reward == -100.0f);
}

TEST_CASE("walker: passing the end of the course terminates without the fall penalty", "[bipedal_walker]") {
  BipedalWalker env;
  Obs obs;
  env.Reset(5, obs.data());
  const float zero[4] = {0, 0, 0, 0};
  // The finish line is at (200 - 10) terrain steps; stand just before it, then just past it, each time
  // lifted clear of the local ground.
  const double finish = (200 - 10) * kTerrainStep;
  const auto& terrain_y = env.terrain_y();
  const double ground = *std::max_element(terrain_y.begin() + 180, terrain_y.end());
  env.MoveWalker(finish - 0.3 - env.hull_x(), ground - kTerrainHeight + 0.3, 0.0, 0.0);
  StepResult r = env.Step(zero, obs.data());
  REQUIRE_FALSE(r.terminated);
  env.MoveWalker(0.6, 0.0, 0.0, 0.0);
  r = env.Step(zero, obs.data());
  REQUIRE(env.hull_x() > finish);
  REQUIRE(r.terminated);
  REQUIRE_FALSE(env.game_over());
  REQUIRE(r.reward > 0.0f);
}

TEST_CASE("walker: kneeling until the time limit is truncated at step 1600, not terminated", "[bipedal_walker]") {
  auto made = MakeEnvironment("BipedalWalker-v3");
  REQUIRE(made.ok());
  Environment& env = **made;
  // One hip forward, one back, both knees folded: a stable stance that neither falls nor walks.
  const float kneel[4] = {1.0f, -1.0f, -1.0f, -1.0f};
  for (uint64_t seed : {0u, 1u}) {
    INFO("seed " << seed);
    Obs obs;
    env.Reset(seed, obs.data());
    for (int t = 1; t <= 1600; ++t) {
      const StepResult r = env.Step(kneel, obs.data());
      INFO("step " << t);
      REQUIRE_FALSE(r.terminated);
      REQUIRE(r.truncated == (t == 1600));
    }
    REQUIRE(env.elapsed_steps() == 1600);
  }
}

}  // namespace
}  // namespace ddpg
