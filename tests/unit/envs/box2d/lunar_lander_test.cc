// Tests of LunarLanderContinuous-v3 (envs/box2d/lunar_lander.h) against Gymnasium's box2d/lunar_lander.py: the
// spec, determinism per seed, the reward as shaping differences minus fuel, and each way an episode ends.
// Gymnasium's formulas are written out here with their own constants so that a wrong constant in the
// implementation cannot hide in both.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <memory>
#include <numbers>
#include <random>
#include <vector>

#include "envs/box2d/lunar_lander.h"
#include "envs/environment.h"
#include "envs/registry.h"
#include "rollout.h"

namespace ddpg {
namespace {

constexpr int kObsDim = 8;
using Obs = std::array<float, kObsDim>;

// Gymnasium's shaping, from the observation: -100 |(x, y)| - 100 |(vx, vy)| - 100 |angle| + 10 per leg.
double GymShaping(const Obs& s) {
  return -100.0 * std::sqrt(double{s[0]} * s[0] + double{s[1]} * s[1]) -
         100.0 * std::sqrt(double{s[2]} * s[2] + double{s[3]} * s[3]) - 100.0 * std::abs(double{s[4]}) + 10.0 * s[6] +
         10.0 * s[7];
}

// Gymnasium's fuel cost of a continuous action: 0.3 m_power + 0.03 s_power after clipping to [-1, 1].
double GymFuelCost(float main, float lateral) {
  main = std::clamp(main, -1.0f, 1.0f);
  lateral = std::clamp(lateral, -1.0f, 1.0f);
  const double m_power = main > 0.0f ? (std::clamp(double{main}, 0.0, 1.0) + 1.0) * 0.5 : 0.0;
  const double s_power = std::abs(lateral) > 0.5f ? std::clamp(std::abs(double{lateral}), 0.5, 1.0) : 0.0;
  return 0.30 * m_power + 0.03 * s_power;
}

// Gymnasium's heuristic() for continuous actions, with an optional lift of the hover target so that the
// lander hovers instead of landing.
std::array<float, 2> Heuristic(const Obs& s, double hover_lift) {
  const double angle_targ = std::clamp(s[0] * 0.5 + s[2] * 1.0, -0.4, 0.4);
  const double hover_targ = 0.55 * std::abs(s[0]) + hover_lift;
  double angle_todo = (angle_targ - s[4]) * 0.5 - s[5] * 1.0;
  double hover_todo = (hover_targ - s[1]) * 0.5 - s[3] * 0.5;
  if (s[6] != 0.0f || s[7] != 0.0f) {
    angle_todo = 0.0;
    hover_todo = -s[3] * 0.5;
  }
  return {static_cast<float>(std::clamp(hover_todo * 20.0 - 1.0, -1.0, 1.0)),
          static_cast<float>(std::clamp(-angle_todo * 20.0, -1.0, 1.0))};
}

using Transition = TestTransition<kObsDim>;

// Resets with `seed` and plays `steps` actions from a fixed pseudo-random sequence (or until the end).
std::vector<Transition> Rollout(Environment& env, uint64_t seed, int steps) {
  return RandomRollout<kObsDim, 2>(env, seed, steps, /*action_seed=*/99);
}

TEST_CASE("lander: LunarLanderContinuous-v3 is registered with Gymnasium's spaces and time limit", "[lunar_lander]") {
  auto env = MakeEnvironment("LunarLanderContinuous-v3");
  REQUIRE(env.ok());
  const EnvSpec& spec = (*env)->spec();
  REQUIRE(spec.id == "LunarLanderContinuous-v3");
  REQUIRE(spec.obs_dim == 8);
  REQUIRE(spec.act_dim == 2);
  REQUIRE(spec.max_episode_steps == 1000);
  REQUIRE(spec.act_low == std::vector<float>{-1.0f, -1.0f});
  REQUIRE(spec.act_high == std::vector<float>{1.0f, 1.0f});
  const float two_pi = static_cast<float>(2.0 * std::numbers::pi);
  REQUIRE(spec.obs_low == std::vector<float>{-2.5f, -2.5f, -10.0f, -10.0f, -two_pi, -10.0f, 0.0f, 0.0f});
  REQUIRE(spec.obs_high == std::vector<float>{2.5f, 2.5f, 10.0f, 10.0f, two_pi, 10.0f, 1.0f, 1.0f});
}

TEST_CASE("lander: the lander starts at the top centre, legs in the air", "[lunar_lander]") {
  LunarLanderContinuous env;
  Obs obs;
  for (uint64_t seed : {0u, 1u, 2u}) {
    env.Reset(seed, obs.data());
    // One zero-action step from (W/2, H) under a random push: x ~ 0, y = (H - H/4 - 18/30) / (H/2).
    REQUIRE(std::abs(obs[0]) < 0.02);
    REQUIRE(obs[1] == Approx((40.0 / 3.0 - 10.0 / 3.0 - 0.6) / (20.0 / 3.0)).margin(0.02));
    REQUIRE(obs[6] == 0.0f);
    REQUIRE(obs[7] == 0.0f);
    REQUIRE(env.elapsed_steps() == 0);
    REQUIRE(env.helipad_y() == Approx(10.0 / 3.0));
  }
}

TEST_CASE("lander: the same seed gives the same trajectory and different seeds differ", "[lunar_lander]") {
  LunarLanderContinuous a, b;
  const auto first = Rollout(a, 7, 300);
  REQUIRE(SameTrajectory(first, Rollout(b, 7, 300)));
  // An instance's history does not leak into a re-seeded episode.
  Rollout(a, 8, 50);
  REQUIRE(SameTrajectory(first, Rollout(a, 7, 300)));
  REQUIRE_FALSE(SameTrajectory(first, Rollout(b, 8, 300)));
}

TEST_CASE("lander: the reward is the shaping difference minus fuel, as Gymnasium computes it", "[lunar_lander]") {
  LunarLanderContinuous env;
  std::mt19937 actions(5);
  // Beyond [-1, 1] on purpose: the fuel cost must use the clipped action.
  std::uniform_real_distribution<float> wide(-1.5f, 1.5f);
  int checked = 0;
  for (uint64_t seed = 0; seed < 5; ++seed) {
    Obs obs;
    env.Reset(seed, obs.data());
    double previous = GymShaping(obs);
    for (int t = 0; t < 1000; ++t) {
      const float action[2] = {wide(actions), wide(actions)};
      const StepResult r = env.Step(action, obs.data());
      if (r.terminated || r.truncated) break;
      const double expected = GymShaping(obs) - previous - GymFuelCost(action[0], action[1]);
      // The implementation shapes the double-precision state; the observation is its float32 rounding.
      REQUIRE(r.reward == Approx(expected).margin(2e-3));
      previous = GymShaping(obs);
      ++checked;
    }
  }
  REQUIRE(checked > 100);
}

TEST_CASE("lander: actions are clipped to [-1, 1]", "[lunar_lander]") {
  LunarLanderContinuous clipped, extreme;
  Obs a, b;
  clipped.Reset(3, a.data());
  extreme.Reset(3, b.data());
  for (int t = 0; t < 60; ++t) {
    const float in_range[2] = {1.0f, t % 2 == 0 ? -1.0f : 1.0f};
    const float beyond[2] = {4.0f, t % 2 == 0 ? -9.0f : 7.5f};
    const StepResult ra = clipped.Step(in_range, a.data());
    const StepResult rb = extreme.Step(beyond, b.data());
    REQUIRE(a == b);
    REQUIRE(ra.reward == rb.reward);
    if (ra.terminated) break;
  }
}

TEST_CASE("lander: the lander's body touching the ground ends the episode with -100", "[lunar_lander]") {
  LunarLanderContinuous env;
  Obs obs;
  env.Reset(0, obs.data());
  // Upside down, falling onto the helipad: the hull hits first.
  env.SetLanderPose(10.0, env.helipad_y() + 1.2, std::numbers::pi, 0.0, -3.0, 0.0);
  const float zero[2] = {0.0f, 0.0f};
  StepResult r;
  int steps = 0;
  do {
    r = env.Step(zero, obs.data());
    ++steps;
  } while (!r.terminated && steps < 100);
  REQUIRE(r.terminated);
  REQUIRE_FALSE(r.truncated);
  REQUIRE(env.game_over());
  REQUIRE(r.reward == -100.0f);
}

TEST_CASE("lander: leaving the screen sideways (|x| >= 1) ends the episode with -100", "[lunar_lander]") {
  const float zero[2] = {0.0f, 0.0f};
  for (const double direction : {1.0, -1.0}) {
    INFO("direction " << direction);
    LunarLanderContinuous env;
    Obs obs;
    env.Reset(1, obs.data());
    // x = 0.99 (observation units) from the centre, high above the moon, moving outwards at 10 m/s.
    env.SetLanderPose(10.0 + direction * 9.9, 10.0, 0.0, direction * 10.0, 0.0, 0.0);
    const StepResult r = env.Step(zero, obs.data());
    REQUIRE(std::abs(obs[0]) >= 1.0f);
    REQUIRE(r.terminated);
    REQUIRE_FALSE(env.game_over());
    REQUIRE(r.reward == -100.0f);
  }
  // Just inside the screen is not the end.
  LunarLanderContinuous env;
  Obs obs;
  env.Reset(1, obs.data());
  env.SetLanderPose(10.0 + 9.0, 10.0, 0.0, 0.0, 0.0, 0.0);
  REQUIRE_FALSE(env.Step(zero, obs.data()).terminated);
}

TEST_CASE("lander: coming to rest after Gymnasium's heuristic landing ends the episode with +100", "[lunar_lander]") {
  LunarLanderContinuous env;
  for (uint64_t seed : {0u, 1u, 2u}) {
    INFO("seed " << seed);
    Obs obs;
    env.Reset(seed, obs.data());
    double episode_return = 0.0;
    StepResult r;
    do {
      const auto action = Heuristic(obs, 0.0);
      r = env.Step(action.data(), obs.data());
      episode_return += r.reward;
    } while (!r.terminated && !r.truncated);
    REQUIRE(r.terminated);
    REQUIRE(r.reward == 100.0f);
    REQUIRE_FALSE(env.lander_state().awake);
    // Gymnasium keeps one flag per leg, set by BeginContact and cleared by any EndContact, so a resting
    // lander may report fewer legs than touch; it rests on its legs, not its body.
    REQUIRE((env.leg_contact(0) || env.leg_contact(1)));
    REQUIRE(obs[6] == (env.leg_contact(0) ? 1.0f : 0.0f));
    REQUIRE(obs[7] == (env.leg_contact(1) ? 1.0f : 0.0f));
    REQUIRE_FALSE(env.game_over());
    // Gymnasium's heuristic scores about 280 on average; a landing is worth well over 200.
    REQUIRE(episode_return > 200.0);
  }
}

TEST_CASE("lander: hovering until the time limit is truncated at step 1000, not terminated", "[lunar_lander]") {
  auto made = MakeEnvironment("LunarLanderContinuous-v3");
  REQUIRE(made.ok());
  Environment& env = **made;
  for (uint64_t seed : {0u, 1u}) {
    INFO("seed " << seed);
    Obs obs;
    env.Reset(seed, obs.data());
    for (int t = 1; t <= 1000; ++t) {
      const auto action = Heuristic(obs, 0.5);
      const StepResult r = env.Step(action.data(), obs.data());
      INFO("step " << t);
      REQUIRE_FALSE(r.terminated);
      REQUIRE(r.truncated == (t == 1000));
    }
    REQUIRE(env.elapsed_steps() == 1000);
  }
}

}  // namespace
}  // namespace ddpg
