// Tests of Reacher-v4 (envs/mujoco/reacher.h) against Gymnasium's reacher_v4.py, written out here.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "envs/mujoco/reacher.h"
#include "tests/unit/envs/mujoco/mujoco_test_util.h"

namespace ddpg {
namespace {

using testing::Close;
using testing::Make;

std::vector<double> TipMinusTarget(const Reacher& env) {
  const double* x = env.data().xpos;
  std::vector<double> v(3);
  for (int k = 0; k < 3; ++k) v[k] = x[3 * env.fingertip_body() + k] - x[3 * env.target_body() + k];
  return v;
}

void RequireObservation(const Reacher& env, const std::vector<float>& obs) {
  const auto q = env.qpos();
  const auto v = env.qvel();
  const std::vector<double> expected = {std::cos(q[0]), std::cos(q[1]), std::sin(q[0]), std::sin(q[1]),
                                        q[2],           q[3],           v[0],           v[1]};
  for (int i = 0; i < 8; ++i) {
    INFO("observation[" << i << "]");
    REQUIRE(obs[i] == Close(expected[i]));
  }
  const std::vector<double> diff = TipMinusTarget(env);
  for (int k = 0; k < 3; ++k) REQUIRE(obs[8 + k] == Close(diff[k]));
}

TEST_CASE("Reacher-v4 charges distance and action measured before the step", "[mujoco_reacher]") {
  auto env = Make<Reacher>("Reacher-v4");
  std::vector<float> obs(11);
  env->Reset(9, obs.data());
  RequireObservation(*env, obs);
  for (int t = 0; t < 50; ++t) {
    INFO("step " << t);
    const std::vector<float> a = {static_cast<float>(std::sin(0.4 * t)), static_cast<float>(std::cos(0.3 * t))};
    const std::vector<double> before = TipMinusTarget(*env);
    const double distance = std::sqrt(before[0] * before[0] + before[1] * before[1] + before[2] * before[2]);
    const StepResult r = env->Step(a.data(), obs.data());
    const double ctrl = static_cast<double>(a[0]) * a[0] + static_cast<double>(a[1]) * a[1];
    REQUIRE(r.reward == Close(-distance - ctrl));
    REQUIRE_FALSE(r.terminated);
    REQUIRE(r.truncated == (t == 49));
    RequireObservation(*env, obs);
  }
}

TEST_CASE("Reacher-v4 resets the target inside the disk of radius 0.2, at rest, with the arm near zero",
          "[mujoco_reacher]") {
  auto env = Make<Reacher>("Reacher-v4");
  std::vector<float> obs(11);
  env->Reset(0, obs.data());
  double max_radius = 0;
  int outer_ring = 0;
  const int n = 3000;
  for (int i = 0; i < n; ++i) {
    env->Reset(obs.data());
    const auto q = env->qpos();
    const auto v = env->qvel();
    const double radius = std::hypot(q[2], q[3]);
    REQUIRE(radius < 0.2);
    max_radius = std::max(max_radius, radius);
    // Uniform over the disk: the ring beyond r = 0.2 / sqrt(2) holds half of the area.
    if (radius > 0.2 / std::sqrt(2.0)) ++outer_ring;
    REQUIRE(std::abs(q[0]) <= 0.1);
    REQUIRE(std::abs(q[1]) <= 0.1);
    REQUIRE(std::abs(v[0]) <= 5e-3);
    REQUIRE(std::abs(v[1]) <= 5e-3);
    REQUIRE(v[2] == 0.0);
    REQUIRE(v[3] == 0.0);
    // The target body sits at (goal_x, goal_y): the slide joints' ref cancels the body's offset.
    const double* target = env->data().xpos + 3 * env->target_body();
    REQUIRE(target[0] == Approx(q[2]).margin(1e-12));
    REQUIRE(target[1] == Approx(q[3]).margin(1e-12));
  }
  REQUIRE(max_radius > 0.195);
  REQUIRE(outer_ring / static_cast<double>(n) == Approx(0.5).margin(0.04));
}

}  // namespace
}  // namespace ddpg
