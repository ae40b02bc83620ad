// Tests of MountainCarContinuous-v0 (envs/classic/mountain_car.h) against Gymnasium's equations, written out here
// with explicit constants so that a wrong constant in the implementation cannot hide in both.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>
#include <vector>

#include "envs/classic/mountain_car.h"
#include "envs/env_spec.h"
#include "envs/environment.h"
#include "envs/registry.h"

namespace ddpg {
namespace {

// Gymnasium's continuous_mountain_car.py, step(), in double precision like NumPy 1.x; the new state is
// stored as float32 like its self.state.
struct Expected {
  double position;
  double velocity;
  double reward;
  bool terminated;
};

Expected GymStep(double position, double velocity, double action) {
  const double force = std::min(std::max(action, -1.0), 1.0);
  velocity += force * 0.0015 - 0.0025 * std::cos(3 * position);
  if (velocity > 0.07) velocity = 0.07;
  if (velocity < -0.07) velocity = -0.07;
  position += velocity;
  if (position > 0.6) position = 0.6;
  if (position < -1.2) position = -1.2;
  if (position == -1.2 && velocity < 0) velocity = 0;
  const bool terminated = position >= 0.45 && velocity >= 0.0;
  double reward = terminated ? 100.0 : 0.0;
  reward -= std::pow(action, 2) * 0.1;
  return {static_cast<float>(position), static_cast<float>(velocity), reward, terminated};
}

Approx Close(double expected) { return Approx(expected).epsilon(1e-6).margin(1e-9); }

// Steps `env` (set to the state first) and compares everything with GymStep.
StepResult StepAndCompare(MountainCarContinuous& env, double position, double velocity, float action) {
  float obs[2];
  env.SetState(position, velocity, obs);
  const float a[1] = {action};
  const StepResult r = env.Step(a, obs);
  const Expected e = GymStep(position, velocity, static_cast<double>(action));
  INFO("position " << position << " velocity " << velocity << " action " << action);
  REQUIRE(env.position() == Close(e.position));
  REQUIRE(env.velocity() == Close(e.velocity));
  REQUIRE(obs[0] == Close(e.position));
  REQUIRE(obs[1] == Close(e.velocity));
  REQUIRE(r.reward == Close(e.reward));
  REQUIRE(r.terminated == e.terminated);
  REQUIRE_FALSE(r.truncated);
  return r;
}

TEST_CASE("a mountain car transition from a generic state matches Gymnasium's equations", "[mountain_car]") {
  MountainCarContinuous env;
  float obs[2];
  env.SetState(-0.5, 0.01, obs);
  REQUIRE(obs[0] == -0.5f);
  REQUIRE(obs[1] == 0.01f);

  const float action[1] = {0.5f};
  const StepResult r = env.Step(action, obs);
  // By hand: v' = 0.01 + 0.5 * 0.0015 - 0.0025 cos(-1.5) = 0.010573156996; x' = -0.5 + v'.
  const double velocity = 0.01 + 0.5 * 0.0015 - 0.0025 * std::cos(-1.5);
  REQUIRE(velocity == Approx(0.010573156996).epsilon(1e-10));  // sanity of the hand computation
  REQUIRE(obs[0] == Close(-0.5 + velocity));
  REQUIRE(obs[1] == Close(velocity));
  REQUIRE(r.reward == Close(-0.025));
  REQUIRE_FALSE(r.terminated);
  REQUIRE_FALSE(r.truncated);

  // Several more steps through the generic formula, from the state the environment reached.
  for (int i = 0; i < 30; ++i) {
    const float a = static_cast<float>(0.9 * std::sin(0.41 * i));
    INFO("step " << i);
    StepAndCompare(env, env.position(), env.velocity(), a);
  }
}

TEST_CASE("the state is float32 after a step, like Gymnasium's self.state", "[mountain_car]") {
  MountainCarContinuous env;
  float obs[2];
  env.Reset(5, obs);
  // Reset's draw is float64 until the first step (np.array without a dtype).
  REQUIRE(obs[0] == static_cast<float>(env.position()));
  const float a[1] = {0.25f};
  for (int i = 0; i < 10; ++i) {
    env.Step(a, obs);
    REQUIRE(env.position() == static_cast<double>(obs[0]));
    REQUIRE(env.velocity() == static_cast<double>(obs[1]));
  }
}

TEST_CASE("at the left wall a negative velocity becomes 0", "[mountain_car]") {
  MountainCarContinuous env;
  // By hand: v' = -0.05 - 0.0015 - 0.0025 cos(-3.57) = -0.049224 < 0; x' = -1.239 -> -1.2, so v' = 0.
  StepAndCompare(env, -1.19, -0.05, -1.0f);
  REQUIRE(env.position() == Approx(-1.2).margin(1e-7));
  REQUIRE(env.velocity() == 0.0);

  // At rest at the wall, a push to the right moves the car away: the rule only stops leftward motion.
  float obs[2];
  env.SetState(-1.2, 0.0, obs);
  const float push[1] = {1.0f};
  env.Step(push, obs);
  REQUIRE(obs[1] > 0.0f);  // 0.0015 - 0.0025 cos(-3.6) = 0.00374
  REQUIRE(obs[1] == Close(0.0015 - 0.0025 * std::cos(-3.6)));

  // Near the wall without reaching it, the velocity stays negative.
  StepAndCompare(env, -1.1, -0.05, -1.0f);
  REQUIRE(env.velocity() < -0.04);
  REQUIRE(env.position() > -1.2);
}

TEST_CASE("velocity is clipped to +-0.07 before the position update", "[mountain_car]") {
  MountainCarContinuous env;
  constexpr double kFlat = -std::numbers::pi / 6;  // cos(3 x) = 0: gravity does nothing here
  // v' = 0.0695 + 0.0015 = 0.071 -> 0.07; x' = x + 0.07.
  StepAndCompare(env, kFlat, 0.0695, 1.0f);
  REQUIRE(env.velocity() == static_cast<float>(0.07));
  REQUIRE(env.position() == Close(kFlat + 0.07));

  StepAndCompare(env, kFlat, -0.0695, -1.0f);
  REQUIRE(env.velocity() == static_cast<float>(-0.07));
  REQUIRE(env.position() == Close(kFlat - 0.07));

  // Just inside the limit nothing is clipped: 0.06 + 0.0015 = 0.0615.
  StepAndCompare(env, kFlat, 0.06, 1.0f);
  REQUIRE(env.velocity() == Close(0.0615));
}

TEST_CASE("position is clipped to 0.6 at the right end, which is past the goal", "[mountain_car]") {
  MountainCarContinuous env;
  // v' = 0.065 + 0.0015 - 0.0025 cos(1.74) = 0.06692; x' = 0.64692 -> 0.6.
  const StepResult r = StepAndCompare(env, 0.58, 0.065, 1.0f);
  REQUIRE(env.position() == static_cast<float>(0.6));
  REQUIRE(env.velocity() == Close(0.065 + 0.0015 - 0.0025 * std::cos(1.74)));
  REQUIRE(r.terminated);
  REQUIRE(r.reward == Close(100.0 - 0.1));
}

TEST_CASE("the force is clipped to +-1 but the reward squares the action as given", "[mountain_car]") {
  struct Pair {
    float big, clipped;
  };
  for (const Pair p : {Pair{5.0f, 1.0f}, Pair{-7.0f, -1.0f}, Pair{1e10f, 1.0f}}) {
    INFO("action " << p.big);
    MountainCarContinuous a, b;
    float obs_a[2], obs_b[2];
    a.SetState(-0.3, 0.02, obs_a);
    b.SetState(-0.3, 0.02, obs_b);
    const float ua[1] = {p.big}, ub[1] = {p.clipped};
    const StepResult ra = a.Step(ua, obs_a);
    const StepResult rb = b.Step(ub, obs_b);
    // Same dynamics ...
    REQUIRE(obs_a[0] == obs_b[0]);
    REQUIRE(obs_a[1] == obs_b[1]);
    // ... but Gymnasium's reward is -0.1 * action[0]^2 of the unclipped action.
    REQUIRE(rb.reward == Close(-0.1));
    REQUIRE(ra.reward == Close(-0.1 * static_cast<double>(p.big) * p.big));
    StepAndCompare(a, -0.3, 0.02, p.big);
  }
}

TEST_CASE("reaching the goal with non-negative velocity terminates with the +100 bonus", "[mountain_car]") {
  MountainCarContinuous env;
  // v' = 0.02 + 0.3 * 0.0015 - 0.0025 cos(1.32) = 0.019829; x' = 0.459829 >= 0.45.
  StepResult r = StepAndCompare(env, 0.44, 0.02, 0.3f);
  REQUIRE(r.terminated);
  REQUIRE(r.reward == Close(100.0 - 0.1 * 0.09));

  // Past the goal but moving left: not terminated (goal_velocity = 0).
  r = StepAndCompare(env, 0.5, -0.01, -1.0f);
  REQUIRE(env.position() >= 0.45);
  REQUIRE(env.velocity() < 0.0);
  REQUIRE_FALSE(r.terminated);
  REQUIRE(r.reward == Close(-0.1));

  // Just short of the goal: no bonus.
  r = StepAndCompare(env, 0.40, 0.02, 0.0f);
  REQUIRE(env.position() < 0.45);
  REQUIRE_FALSE(r.terminated);
  REQUIRE(r.reward == 0.0f);
}

TEST_CASE("pushing along the velocity reaches the goal from every start", "[mountain_car]") {
  MountainCarContinuous env;
  float obs[2];
  for (uint64_t seed = 0; seed < 10; ++seed) {
    env.Reset(seed, obs);
    double episode_return = 0.0;
    StepResult r;
    int steps = 0;
    while (!r.terminated && !r.truncated) {
      const float a[1] = {obs[1] >= 0.0f ? 1.0f : -1.0f};
      r = env.Step(a, obs);
      episode_return += r.reward;
      ++steps;
    }
    INFO("seed " << seed << " steps " << steps);
    REQUIRE(r.terminated);
    REQUIRE_FALSE(r.truncated);
    REQUIRE(obs[0] >= 0.45f);
    REQUIRE(r.reward == Close(99.9));
    REQUIRE(episode_return == Approx(100.0 - 0.1 * steps).margin(1e-4));
  }
}

TEST_CASE("MountainCarContinuous-v0's spec: 2 observations, 1 action in [-1, 1], 999 steps", "[mountain_car]") {
  MountainCarContinuous env;
  const EnvSpec& spec = env.spec();
  REQUIRE(spec.id == "MountainCarContinuous-v0");
  REQUIRE(spec.obs_dim == 2);
  REQUIRE(spec.act_dim == 1);
  REQUIRE(spec.obs_low == std::vector<float>{-1.2f, -0.07f});
  REQUIRE(spec.obs_high == std::vector<float>{0.6f, 0.07f});
  REQUIRE(spec.act_low == std::vector<float>{-1.0f});
  REQUIRE(spec.act_high == std::vector<float>{1.0f});
  REQUIRE(spec.max_episode_steps == 999);

  auto made = MakeEnvironment("MountainCarContinuous-v0");
  REQUIRE(made.ok());
  REQUIRE(dynamic_cast<MountainCarContinuous*>(made->get()) != nullptr);
  const std::vector<std::string> ids = RegisteredEnvironmentIds();
  REQUIRE(std::count(ids.begin(), ids.end(), "MountainCarContinuous-v0") == 1);
  REQUIRE(std::count(ids.begin(), ids.end(), "Pendulum-v1") == 1);
}

TEST_CASE("an episode without a goal is truncated, not terminated, at step 999", "[mountain_car]") {
  MountainCarContinuous env;
  float obs[2];
  for (uint64_t seed : {0ull, 1ull, 777ull}) {
    env.Reset(seed, obs);
    for (int step = 1; step <= 999; ++step) {
      // Zero force only rocks the car in the valley; it never climbs to the goal.
      const float a[1] = {0.0f};
      const StepResult r = env.Step(a, obs);
      INFO("seed " << seed << " step " << step);
      REQUIRE(env.elapsed_steps() == step);
      REQUIRE_FALSE(r.terminated);
      REQUIRE(r.truncated == (step == 999));
      REQUIRE(r.reward == 0.0f);
      REQUIRE(obs[0] >= -1.2f);
      REQUIRE(obs[0] < 0.45f);
      REQUIRE(std::abs(obs[1]) <= 0.07f);
    }
  }
}

std::vector<float> Rollout(uint64_t seed, std::vector<float>* rewards) {
  MountainCarContinuous env;
  std::vector<float> trace(2);
  env.Reset(seed, trace.data());
  float obs[2];
  for (int i = 0; i < 300; ++i) {
    const float a[1] = {static_cast<float>(std::cos(0.05 * i))};
    rewards->push_back(env.Step(a, obs).reward);
    trace.insert(trace.end(), obs, obs + 2);
  }
  return trace;
}

TEST_CASE("the same seed gives the same trajectory, different seeds different starts", "[mountain_car]") {
  std::vector<float> rewards_a, rewards_b;
  const std::vector<float> a = Rollout(2024, &rewards_a);
  const std::vector<float> b = Rollout(2024, &rewards_b);
  REQUIRE(a == b);
  REQUIRE(rewards_a == rewards_b);

  MountainCarContinuous env;
  std::vector<std::array<float, 2>> seen;
  for (uint64_t seed = 0; seed < 20; ++seed) {
    std::array<float, 2> obs;
    env.Reset(seed, obs.data());
    for (const auto& other : seen) REQUIRE(obs != other);
    seen.push_back(obs);
  }
  // Reset(seed) on a used environment starts over; an unseeded reset continues the generator.
  std::array<float, 2> first, again, next;
  env.Reset(2024, first.data());
  env.Reset(next.data());
  env.Reset(2024, again.data());
  REQUIRE(first == again);
  REQUIRE(first[0] == a[0]);
  REQUIRE(next != first);
}

TEST_CASE("reset draws position uniformly in [-0.6, -0.4] with velocity 0", "[mountain_car]") {
  MountainCarContinuous env;
  float obs[2];
  env.Reset(99, obs);
  const int n = 20000;
  double lowest = 0, highest = -1, sum = 0, sum2 = 0;
  for (int i = 0; i < n; ++i) {
    env.Reset(obs);
    const double x = env.position();
    REQUIRE(x >= -0.6);
    REQUIRE(x <= -0.4);
    REQUIRE(obs[0] == static_cast<float>(x));
    REQUIRE(obs[1] == 0.0f);
    REQUIRE(env.velocity() == 0.0);
    lowest = std::min(lowest, x);
    highest = std::max(highest, x);
    sum += x;
    sum2 += (x + 0.5) * (x + 0.5);
  }
  REQUIRE(lowest < -0.599);
  REQUIRE(highest > -0.401);
  // Uniform: mean -0.5, variance 0.2^2 / 12.
  REQUIRE(sum / n == Approx(-0.5).margin(0.002));
  REQUIRE(sum2 / n == Approx(0.04 / 12.0).epsilon(0.03));
}

}  // namespace
}  // namespace ddpg
