// Tests of InvertedPendulum-v4 and InvertedDoublePendulum-v4 (envs/mujoco/inverted_pendulum.h) against
// Gymnasium's inverted_pendulum_v4.py and inverted_double_pendulum_v4.py, written out here.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

#include "envs/mujoco/inverted_pendulum.h"
#include "tests/unit/envs/mujoco/mujoco_test_util.h"

namespace ddpg {
namespace {

using testing::Close;
using testing::Make;

TEST_CASE("InvertedPendulum-v4 pays 1 per step, observes qpos and qvel, and ends past |angle| 0.2",
          "[mujoco_inverted_pendulum]") {
  auto env = Make<InvertedPendulum>("InvertedPendulum-v4");
  std::vector<float> obs(4);
  env->Reset(1, obs.data());
  bool ended = false;
  for (int t = 0; t < 200 && !ended; ++t) {
    const float a[1] = {0.5f};
    const StepResult r = env->Step(a, obs.data());
    REQUIRE(r.reward == 1.0f);
    REQUIRE(obs[0] == Close(env->qpos()[0]));
    REQUIRE(obs[1] == Close(env->qpos()[1]));
    REQUIRE(obs[2] == Close(env->qvel()[0]));
    REQUIRE(obs[3] == Close(env->qvel()[1]));
    REQUIRE(r.terminated == (std::abs(env->qpos()[1]) > 0.2));
    ended = r.terminated;
  }
  REQUIRE(ended);

  // Driven to the limit: an upright pole at rest continues, one tilted past 0.2 ends.
  const float zero[1] = {0.0f};
  env->SetState(std::vector<double>{0.0, 0.0}, std::vector<double>{0.0, 0.0}, obs.data());
  REQUIRE_FALSE(env->Step(zero, obs.data()).terminated);
  env->SetState(std::vector<double>{0.0, 0.21}, std::vector<double>{0.0, 0.0}, obs.data());
  REQUIRE(env->Step(zero, obs.data()).terminated);
  env->SetState(std::vector<double>{0.0, -0.21}, std::vector<double>{0.0, 0.0}, obs.data());
  REQUIRE(env->Step(zero, obs.data()).terminated);
}

TEST_CASE("InvertedDoublePendulum-v4: alive bonus minus tip distance and velocity penalties, ends when y <= 1",
          "[mujoco_inverted_pendulum]") {
  auto env = Make<InvertedDoublePendulum>("InvertedDoublePendulum-v4");
  std::vector<float> obs(11);
  env->Reset(2, obs.data());
  bool ended = false;
  for (int t = 0; t < 300 && !ended; ++t) {
    INFO("step " << t);
    const float a[1] = {static_cast<float>(0.8 * std::sin(0.2 * t))};
    const StepResult r = env->Step(a, obs.data());
    const auto q = env->qpos();
    const auto v = env->qvel();
    const double x = env->data().site_xpos[0];
    const double y = env->data().site_xpos[2];
    REQUIRE(r.reward == Close(10.0 - (0.01 * x * x + (y - 2) * (y - 2)) - (1e-3 * v[1] * v[1] + 5e-3 * v[2] * v[2])));
    REQUIRE(r.terminated == (y <= 1.0));
    const std::vector<double> expected = {q[0], std::sin(q[1]), std::sin(q[2]), std::cos(q[1]), std::cos(q[2])};
    for (int i = 0; i < 5; ++i) REQUIRE(obs[i] == Close(expected[i]));
    for (int i = 0; i < 3; ++i) {
      REQUIRE(obs[5 + i] == Close(std::clamp(v[i], -10.0, 10.0)));
      REQUIRE(obs[8 + i] == Close(std::clamp(env->data().qfrc_constraint[i], -10.0, 10.0)));
    }
    ended = r.terminated;
  }
  REQUIRE(ended);

  // Upright at rest the tip is at 1.2 m: reward 10 - 0.8^2 and no termination. Both links tilted by 1.2 rad
  // put it at 1.2 cos(1.2) = 0.43 m: terminated.
  const float zero[1] = {0.0f};
  env->SetState(std::vector<double>{0.0, 0.0, 0.0}, std::vector<double>{0.0, 0.0, 0.0}, obs.data());
  REQUIRE(env->data().site_xpos[2] == Approx(1.2));
  const StepResult upright = env->Step(zero, obs.data());
  REQUIRE_FALSE(upright.terminated);
  REQUIRE(upright.reward == Approx(10.0 - 0.64).margin(1e-3));
  env->SetState(std::vector<double>{0.0, 1.2, 0.0}, std::vector<double>{0.0, 0.0, 0.0}, obs.data());
  REQUIRE(env->Step(zero, obs.data()).terminated);
}

}  // namespace
}  // namespace ddpg
