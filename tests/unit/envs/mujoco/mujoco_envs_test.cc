// Tests common to the nine MuJoCo environments (envs/mujoco/registration.h): registry, specs, seeding, time
// limits, reset noise and action clipping, against Gymnasium's v4 definitions written out here.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "envs/env_spec.h"
#include "envs/environment.h"
#include "envs/mujoco/mujoco_env.h"
#include "tests/unit/envs/mujoco/mujoco_test_util.h"

namespace ddpg {
namespace {

using testing::Copy;
using testing::Make;

struct SpecCase {
  const char* id;
  int obs_dim;
  int act_dim;
  float act_bound;  // every action lies in [-bound, bound]
  int max_steps;
  double dt;
};

// Gymnasium's Box shapes and bounds, TimeLimits and dt = timestep * frame_skip.
const std::vector<SpecCase> kSpecs = {
    {"HalfCheetah-v4", 17, 6, 1.0f, 1000, 0.01 * 5},
    {"Hopper-v4", 11, 3, 1.0f, 1000, 0.002 * 4},
    {"Walker2d-v4", 17, 6, 1.0f, 1000, 0.002 * 4},
    {"Ant-v4", 27, 8, 1.0f, 1000, 0.01 * 5},
    {"Humanoid-v4", 376, 17, 0.4f, 1000, 0.003 * 5},
    {"Swimmer-v4", 8, 2, 1.0f, 1000, 0.01 * 4},
    {"Reacher-v4", 11, 2, 1.0f, 50, 0.01 * 2},
    {"InvertedPendulum-v4", 4, 1, 3.0f, 1000, 0.02 * 2},
    {"InvertedDoublePendulum-v4", 11, 1, 1.0f, 1000, 0.01 * 5},
};

TEST_CASE("the nine MuJoCo ids are registered with Gymnasium's spaces, time limits and dt", "[mujoco_envs]") {
  const std::vector<std::string> ids = RegisteredEnvironmentIds();
  constexpr float kInf = std::numeric_limits<float>::infinity();
  for (const SpecCase& c : kSpecs) {
    INFO(c.id);
    REQUIRE(std::count(ids.begin(), ids.end(), c.id) == 1);
    auto env = Make<MujocoEnv>(c.id);
    const EnvSpec& spec = env->spec();
    REQUIRE(spec.id == c.id);
    REQUIRE(spec.obs_dim == c.obs_dim);
    REQUIRE(spec.act_dim == c.act_dim);
    REQUIRE(spec.obs_low == std::vector<float>(c.obs_dim, -kInf));
    REQUIRE(spec.obs_high == std::vector<float>(c.obs_dim, kInf));
    REQUIRE(spec.act_low == std::vector<float>(c.act_dim, -c.act_bound));
    REQUIRE(spec.act_high == std::vector<float>(c.act_dim, c.act_bound));
    REQUIRE(spec.max_episode_steps == c.max_steps);
    REQUIRE(env->dt() == Approx(c.dt).epsilon(1e-12));
    auto looked_up = LookUpEnvSpec(c.id);
    REQUIRE(looked_up.ok());
    REQUIRE(looked_up->obs_dim == c.obs_dim);
  }
}

// A deterministic action sequence within the bounds.
std::vector<float> ActionAt(const SpecCase& c, int step) {
  std::vector<float> action(c.act_dim);
  for (int i = 0; i < c.act_dim; ++i) action[i] = c.act_bound * static_cast<float>(std::sin(0.3 * step + 1.7 * i));
  return action;
}

std::vector<float> Rollout(const SpecCase& c, uint64_t seed, int steps) {
  auto env = Make<MujocoEnv>(c.id);
  std::vector<float> obs(c.obs_dim);
  env->Reset(seed, obs.data());
  std::vector<float> trace = obs;
  for (int t = 0; t < steps; ++t) {
    const StepResult r = env->Step(ActionAt(c, t).data(), obs.data());
    trace.insert(trace.end(), obs.begin(), obs.end());
    trace.push_back(r.reward);
    trace.push_back(r.terminated ? 1.0f : 0.0f);
    if (r.terminated) env->Reset(obs.data());
  }
  return trace;
}

TEST_CASE("the same seed gives the same trajectory and different seeds differ, for every MuJoCo id", "[mujoco_envs]") {
  for (const SpecCase& c : kSpecs) {
    INFO(c.id);
    const std::vector<float> a = Rollout(c, 42, 30);
    REQUIRE(a == Rollout(c, 42, 30));
    const std::vector<float> b = Rollout(c, 43, 30);
    REQUIRE(a != b);
    // The reset observations themselves differ.
    REQUIRE(!std::equal(a.begin(), a.begin() + c.obs_dim, b.begin()));
  }
}

TEST_CASE("Reset(seed) on a used environment starts over identically; Reset() continues the generator",
          "[mujoco_envs]") {
  auto env = Make<MujocoEnv>("Hopper-v4");
  std::vector<float> first(11), again(11), next(11), obs(11);
  env->Reset(5, first.data());
  const std::vector<double> qpos_first = Copy(env->qpos());
  const float action[3] = {0.5f, -0.5f, 0.2f};
  for (int i = 0; i < 10; ++i) env->Step(action, obs.data());
  env->Reset(5, again.data());
  REQUIRE(first == again);
  REQUIRE(Copy(env->qpos()) == qpos_first);
  REQUIRE(env->elapsed_steps() == 0);
  env->Reset(next.data());
  REQUIRE(next != first);
}

TEST_CASE("episodes that never terminate are truncated, not terminated, at the time limit", "[mujoco_envs]") {
  for (const char* id : {"HalfCheetah-v4", "Swimmer-v4", "Reacher-v4"}) {
    INFO(id);
    auto env = Make<MujocoEnv>(id);
    const int limit = env->spec().max_episode_steps;
    std::vector<float> obs(env->spec().obs_dim);
    std::vector<float> action(env->spec().act_dim, 0.3f);
    env->Reset(0, obs.data());
    for (int step = 1; step <= limit; ++step) {
      const StepResult r = env->Step(action.data(), obs.data());
      REQUIRE_FALSE(r.terminated);
      if (r.truncated != (step == limit)) FAIL("truncated at step " << step);
    }
    REQUIRE(env->elapsed_steps() == limit);
  }
}

struct NoiseCase {
  const char* id;
  bool qpos_normal, qvel_normal;  // else uniform
  double qpos_scale, qvel_scale;
  int skip_qpos_from;  // Reacher's target is drawn separately; -1 for none
  bool free_joint;     // qpos[3:7] is a quaternion, which mj_forward normalizes in place
};

// reset_model of each v4 environment.
const std::vector<NoiseCase> kNoise = {
    {"HalfCheetah-v4", false, true, 0.1, 0.1, -1, false},
    {"Hopper-v4", false, false, 5e-3, 5e-3, -1, false},
    {"Walker2d-v4", false, false, 5e-3, 5e-3, -1, false},
    {"Ant-v4", false, true, 0.1, 0.1, -1, true},
    {"Humanoid-v4", false, false, 1e-2, 1e-2, -1, true},
    {"Swimmer-v4", false, false, 0.1, 0.1, -1, false},
    {"Reacher-v4", false, false, 0.1, 5e-3, 2, false},
    {"InvertedPendulum-v4", false, false, 0.01, 0.01, -1, false},
    {"InvertedDoublePendulum-v4", false, true, 0.1, 0.1, -1, false},
};

// Checks draws of noise: uniform ones stay within the scale with variance scale^2 / 3; normal ones have
// variance scale^2 and exceed the scale about a third of the time.
void CheckNoise(const std::vector<double>& draws, bool normal, double scale) {
  double sum = 0, sum2 = 0;
  int beyond = 0;
  for (double d : draws) {
    sum += d;
    sum2 += d * d;
    if (std::abs(d) > scale) ++beyond;
  }
  const double n = static_cast<double>(draws.size());
  REQUIRE(sum / n == Approx(0.0).margin(0.05 * scale));
  if (normal) {
    REQUIRE(sum2 / n == Approx(scale * scale).epsilon(0.06));
    REQUIRE(beyond / n == Approx(0.3173).margin(0.02));
  } else {
    REQUIRE(beyond == 0);
    REQUIRE(sum2 / n == Approx(scale * scale / 3.0).epsilon(0.06));
  }
}

TEST_CASE("reset noise has Gymnasium's distribution and scale around qpos0 and zero velocity", "[mujoco_envs]") {
  for (const NoiseCase& c : kNoise) {
    INFO(c.id);
    auto env = Make<MujocoEnv>(c.id);
    const mjModel& m = env->model();
    std::vector<float> obs(env->spec().obs_dim);
    std::vector<double> qpos_noise, qvel_noise;
    env->Reset(11, obs.data());
    for (int i = 0; i < 1500; ++i) {
      env->Reset(obs.data());
      for (int j = 0; j < m.nq; ++j) {
        if (c.skip_qpos_from >= 0 && j >= c.skip_qpos_from) continue;
        if (c.free_joint && j >= 3 && j < 7) continue;
        qpos_noise.push_back(env->qpos()[j] - m.qpos0[j]);
      }
      const int nv = c.skip_qpos_from < 0 ? m.nv : c.skip_qpos_from;
      for (int j = 0; j < nv; ++j) qvel_noise.push_back(env->qvel()[j]);
    }
    CheckNoise(qpos_noise, c.qpos_normal, c.qpos_scale);
    CheckNoise(qvel_noise, c.qvel_normal, c.qvel_scale);
  }
}

TEST_CASE("actions outside ctrlrange act like the bound but are charged as given", "[mujoco_envs]") {
  auto big = Make<MujocoEnv>("HalfCheetah-v4");
  auto bound = Make<MujocoEnv>("HalfCheetah-v4");
  std::vector<float> obs_big(17), obs_bound(17);
  big->Reset(3, obs_big.data());
  bound->Reset(3, obs_bound.data());
  const std::vector<float> a_big = {5.0f, -7.0f, 2.0f, -1.5f, 1.0f, 0.5f};
  const std::vector<float> a_bound = {1.0f, -1.0f, 1.0f, -1.0f, 1.0f, 0.5f};
  const StepResult r_big = big->Step(a_big.data(), obs_big.data());
  const StepResult r_bound = bound->Step(a_bound.data(), obs_bound.data());
  REQUIRE(obs_big == obs_bound);
  // ctrl keeps the action as given ...
  REQUIRE(big->ctrl()[0] == 5.0);
  // ... and the control cost is 0.1 * |a|^2 of the raw action: 0.1 * (25 + 49 + 4 + 2.25 - 4) more.
  REQUIRE(r_bound.reward - r_big.reward == Approx(0.1 * (25 + 49 + 4 + 2.25 - 4)).epsilon(1e-5));

  auto pendulum = Make<MujocoEnv>("InvertedPendulum-v4");
  auto limited = Make<MujocoEnv>("InvertedPendulum-v4");
  std::vector<float> p(4), q(4);
  pendulum->Reset(1, p.data());
  limited->Reset(1, q.data());
  const float push[1] = {30.0f}, three[1] = {3.0f};
  pendulum->Step(push, p.data());
  limited->Step(three, q.data());
  REQUIRE(p == q);
}

}  // namespace
}  // namespace ddpg
