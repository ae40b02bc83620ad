// Tests of the locomotion environments (envs/mujoco/locomotion.h): each step's reward is recomputed from
// the simulator state around the step with Gymnasium's v4 formulas and default weights written out here,
// observations are checked against the state, and the health rules terminate exactly where Gymnasium's do.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "envs/mujoco/locomotion.h"
#include "tests/unit/envs/mujoco/mujoco_test_util.h"

namespace ddpg {
namespace {

using testing::Close;
using testing::Copy;
using testing::Make;

std::vector<float> Action(int n, int step, float bound) {
  std::vector<float> a(n);
  for (int i = 0; i < n; ++i) a[i] = bound * static_cast<float>(std::sin(0.7 * step + i));
  return a;
}

double SumSquares(const std::vector<float>& a) {
  double s = 0;
  for (float v : a) s += static_cast<double>(v) * v;
  return s;
}

// obs == values[from:] (clipped to +-clip) starting at obs[offset]; returns the offset after them.
int RequireSegment(const float* obs, int offset, std::span<const double> values, size_t from,
                   double clip = std::numeric_limits<double>::infinity()) {
  for (size_t i = from; i < values.size(); ++i, ++offset) {
    INFO("observation[" << offset << "]");
    REQUIRE(obs[offset] == Close(std::clamp(values[i], -clip, clip)));
  }
  return offset;
}

TEST_CASE("HalfCheetah-v4: reward = (x' - x) / 0.05 - 0.1 |a|^2, obs = qpos[1:], qvel", "[mujoco_locomotion]") {
  auto env = Make<HalfCheetah>("HalfCheetah-v4");
  std::vector<float> obs(17);
  env->Reset(1, obs.data());
  RequireSegment(obs.data(), RequireSegment(obs.data(), 0, env->qpos(), 1), env->qvel(), 0);
  for (int t = 0; t < 40; ++t) {
    INFO("step " << t);
    const std::vector<float> a = Action(6, t, 1.0f);
    const double x = env->qpos()[0];
    const StepResult r = env->Step(a.data(), obs.data());
    REQUIRE(r.reward == Close((env->qpos()[0] - x) / 0.05 - 0.1 * SumSquares(a)));
    REQUIRE_FALSE(r.terminated);
    RequireSegment(obs.data(), RequireSegment(obs.data(), 0, env->qpos(), 1), env->qvel(), 0);
  }
}

TEST_CASE("Swimmer-v4: reward = (x' - x) / 0.04 - 1e-4 |a|^2, obs = qpos[2:], qvel", "[mujoco_locomotion]") {
  auto env = Make<Swimmer>("Swimmer-v4");
  std::vector<float> obs(8);
  env->Reset(2, obs.data());
  for (int t = 0; t < 40; ++t) {
    INFO("step " << t);
    const std::vector<float> a = Action(2, t, 1.0f);
    const double x = env->qpos()[0];
    const StepResult r = env->Step(a.data(), obs.data());
    REQUIRE(r.reward == Close((env->qpos()[0] - x) / 0.04 - 1e-4 * SumSquares(a)));
    REQUIRE_FALSE(r.terminated);
    RequireSegment(obs.data(), RequireSegment(obs.data(), 0, env->qpos(), 2), env->qvel(), 0);
  }
}

// Hopper and Walker2d: reward = (x' - x) / 0.008 + 1 - 1e-3 |a|^2, obs = qpos[1:], clip(qvel, -10, 10).
template <class Env>
void CheckPlanarWalker(const char* id, int nu, int obs_dim) {
  auto env = Make<Env>(id);
  std::vector<float> obs(obs_dim);
  env->Reset(3, obs.data());
  for (int t = 0; t < 200; ++t) {
    INFO("step " << t);
    const std::vector<float> a = Action(nu, t, 1.0f);
    const double x = env->qpos()[0];
    const StepResult r = env->Step(a.data(), obs.data());
    REQUIRE(r.reward == Close((env->qpos()[0] - x) / 0.008 + 1.0 - 1e-3 * SumSquares(a)));
    RequireSegment(obs.data(), RequireSegment(obs.data(), 0, env->qpos(), 1), env->qvel(), 0, 10.0);
    REQUIRE(r.terminated == !env->IsHealthy());
    if (r.terminated) return;
  }
  FAIL("a sinusoidal policy should fall within 200 steps");
}

TEST_CASE("Hopper-v4 and Walker2d-v4: reward, clipped velocities and termination on a fall", "[mujoco_locomotion]") {
  CheckPlanarWalker<Hopper>("Hopper-v4", 3, 11);
  CheckPlanarWalker<Walker2d>("Walker2d-v4", 6, 17);
}

// MuJoCo warns about non-finite states on stdout and in MUJOCO_LOG.TXT; the health tests set them on purpose.
class QuietWarnings {
 public:
  QuietWarnings() : saved_(mju_user_warning) {
    mju_user_warning = [](const char*) {};
  }
  ~QuietWarnings() { mju_user_warning = saved_; }

 private:
  void (*saved_)(const char*);
};

// Sets qpos[index] = value on top of the model's qpos0 and reports health.
template <class Env>
bool HealthyWith(Env& env, std::vector<std::pair<int, double>> qpos_changes,
                 std::vector<std::pair<int, double>> qvel_changes = {}) {
  const mjModel& m = env.model();
  std::vector<double> qpos(m.qpos0, m.qpos0 + m.nq);
  std::vector<double> qvel(m.nv, 0.0);
  for (auto [i, v] : qpos_changes) qpos[i] = v;
  for (auto [i, v] : qvel_changes) qvel[i] = v;
  std::vector<float> obs(env.spec().obs_dim);
  env.SetState(qpos, qvel, obs.data());
  return env.IsHealthy();
}

TEST_CASE("Hopper-v4 is healthy strictly inside z > 0.7, |angle| < 0.2 and |state| < 100", "[mujoco_locomotion]") {
  auto env = Make<Hopper>("Hopper-v4");
  REQUIRE(HealthyWith(*env, {}));
  REQUIRE(HealthyWith(*env, {{1, 0.7001}}));
  REQUIRE_FALSE(HealthyWith(*env, {{1, 0.7}}));
  REQUIRE(HealthyWith(*env, {{1, 50.0}}));  // no upper bound on z
  REQUIRE(HealthyWith(*env, {{2, 0.1999}}));
  REQUIRE_FALSE(HealthyWith(*env, {{2, 0.2}}));
  REQUIRE_FALSE(HealthyWith(*env, {{2, -0.2}}));
  // The state range covers qpos[2:] and all of qvel, the x velocity included, but not qpos[0:2].
  REQUIRE(HealthyWith(*env, {{0, 500.0}}));
  REQUIRE(HealthyWith(*env, {}, {{0, 99.9}}));
  REQUIRE_FALSE(HealthyWith(*env, {}, {{0, 100.0}}));
  REQUIRE_FALSE(HealthyWith(*env, {}, {{5, -100.0}}));
  REQUIRE_FALSE(HealthyWith(*env, {{4, 100.0}}));

  // A step from a tilted torso terminates, and the terminal step still pays the healthy reward.
  std::vector<double> qpos(env->model().qpos0, env->model().qpos0 + 6);
  qpos[2] = 0.5;
  std::vector<float> obs(11);
  env->SetState(qpos, std::vector<double>(6, 0.0), obs.data());
  const std::vector<float> a = {0.1f, 0.2f, 0.3f};
  const StepResult r = env->Step(a.data(), obs.data());
  REQUIRE(r.terminated);
  REQUIRE_FALSE(r.truncated);
  REQUIRE(r.reward == Close(env->qpos()[0] / 0.008 + 1.0 - 1e-3 * 0.14));

  const QuietWarnings quiet;
  REQUIRE_FALSE(HealthyWith(*env, {}, {{3, std::nan("")}}));
}

TEST_CASE("Walker2d-v4 is healthy strictly inside 0.8 < z < 2 and |angle| < 1", "[mujoco_locomotion]") {
  auto env = Make<Walker2d>("Walker2d-v4");
  REQUIRE(HealthyWith(*env, {}));
  REQUIRE(HealthyWith(*env, {{1, 0.8001}}));
  REQUIRE_FALSE(HealthyWith(*env, {{1, 0.8}}));
  REQUIRE(HealthyWith(*env, {{1, 1.9999}}));
  REQUIRE_FALSE(HealthyWith(*env, {{1, 2.0}}));
  REQUIRE(HealthyWith(*env, {{2, -0.999}}));
  REQUIRE_FALSE(HealthyWith(*env, {{2, 1.0}}));
  REQUIRE_FALSE(HealthyWith(*env, {{2, -1.0}}));
  // No state range: large velocities stay healthy.
  REQUIRE(HealthyWith(*env, {}, {{3, 1000.0}}));

  std::vector<double> qpos(env->model().qpos0, env->model().qpos0 + 9);
  qpos[2] = 1.5;
  std::vector<float> obs(17);
  env->SetState(qpos, std::vector<double>(9, 0.0), obs.data());
  const std::vector<float> a(6, 0.0f);
  REQUIRE(env->Step(a.data(), obs.data()).terminated);
}

TEST_CASE("Ant-v4: reward from the torso frame's x, 27 observations, healthy for finite state and 0.2 <= z <= 1",
          "[mujoco_locomotion]") {
  auto env = Make<Ant>("Ant-v4");
  const int torso = mj_name2id(&env->model(), mjOBJ_BODY, "torso");
  std::vector<float> obs(27);
  env->Reset(4, obs.data());
  for (int t = 0; t < 60; ++t) {
    INFO("step " << t);
    const std::vector<float> a = Action(8, t, 1.0f);
    const double x = env->data().xpos[3 * torso];
    const StepResult r = env->Step(a.data(), obs.data());
    // use_contact_forces=False: no contact cost.
    REQUIRE(r.reward == Close((env->data().xpos[3 * torso] - x) / 0.05 + 1.0 - 0.5 * SumSquares(a)));
    RequireSegment(obs.data(), RequireSegment(obs.data(), 0, env->qpos(), 2), env->qvel(), 0);
    REQUIRE(r.terminated == !env->IsHealthy());
    if (r.terminated) env->Reset(obs.data());
  }
  REQUIRE(HealthyWith(*env, {}));
  REQUIRE(HealthyWith(*env, {{2, 0.2}}));  // closed interval
  REQUIRE(HealthyWith(*env, {{2, 1.0}}));
  REQUIRE_FALSE(HealthyWith(*env, {{2, 0.1999}}));
  REQUIRE_FALSE(HealthyWith(*env, {{2, 1.0001}}));

  // Dropped from 1.5 m, it is still above 1 m after one step of 0.05 s.
  std::vector<double> qpos(env->model().qpos0, env->model().qpos0 + 15);
  qpos[2] = 1.5;
  env->SetState(qpos, std::vector<double>(14, 0.0), obs.data());
  const std::vector<float> zero(8, 0.0f);
  REQUIRE(env->Step(zero.data(), obs.data()).terminated);

  const QuietWarnings quiet;
  REQUIRE_FALSE(HealthyWith(*env, {}, {{7, std::numeric_limits<double>::infinity()}}));
}

double MassCenterX(const mjModel& m, const mjData& d) {
  double weighted = 0, total = 0;
  for (int b = 0; b < m.nbody; ++b) {
    weighted += m.body_mass[b] * d.xipos[3 * b];
    total += m.body_mass[b];
  }
  return weighted / total;
}

TEST_CASE("Humanoid-v4: 376 observations, mass-centre reward and 1 < z < 2 health", "[mujoco_locomotion]") {
  auto env = Make<Humanoid>("Humanoid-v4");
  const mjModel& m = env->model();
  std::vector<float> obs(376);
  env->Reset(5, obs.data());
  bool saw_contact = false;
  // It falls within about 25 steps; stepping on after the terminal step lets the feet reach the floor.
  for (int t = 0; t < 60; ++t) {
    INFO("step " << t);
    const std::vector<float> a = Action(17, t, 0.4f);
    const double x = MassCenterX(m, env->data());
    REQUIRE(env->MassCenterX() == x);
    const StepResult r = env->Step(a.data(), obs.data());
    double ctrl_cost = 0;
    for (double c : env->ctrl()) ctrl_cost += c * c;
    REQUIRE(ctrl_cost == Approx(SumSquares(a)).epsilon(1e-12));
    REQUIRE(r.reward == Close(1.25 * (MassCenterX(m, env->data()) - x) / 0.015 + 5.0 - 0.1 * ctrl_cost));
    // qpos[2:] (22), qvel (23), then cinert, cvel, qfrc_actuator, cfrc_ext of all 14 bodies.
    int at = RequireSegment(obs.data(), 0, env->qpos(), 2);
    REQUIRE(at == 22);
    at = RequireSegment(obs.data(), at, env->qvel(), 0);
    const mjData& d = env->data();
    at = RequireSegment(obs.data(), at, {d.cinert, static_cast<size_t>(10 * m.nbody)}, 0);
    REQUIRE(at == 185);
    at = RequireSegment(obs.data(), at, {d.cvel, static_cast<size_t>(6 * m.nbody)}, 0);
    at = RequireSegment(obs.data(), at, {d.qfrc_actuator, static_cast<size_t>(m.nv)}, 0);
    REQUIRE(at == 292);
    at = RequireSegment(obs.data(), at, {d.cfrc_ext, static_cast<size_t>(6 * m.nbody)}, 0);
    REQUIRE(at == 376);
    // cfrc_ext is filled (mj_rnePostConstraint ran) once the feet touch the floor.
    saw_contact = saw_contact || std::any_of(obs.begin() + 292, obs.end(), [](float v) { return v != 0.0f; });
    REQUIRE(r.terminated == !env->IsHealthy());
  }
  REQUIRE(saw_contact);

  REQUIRE(HealthyWith(*env, {}));
  REQUIRE(HealthyWith(*env, {{2, 1.0001}}));
  REQUIRE_FALSE(HealthyWith(*env, {{2, 1.0}}));
  REQUIRE(HealthyWith(*env, {{2, 1.9999}}));
  REQUIRE_FALSE(HealthyWith(*env, {{2, 2.0}}));

  std::vector<double> qpos(m.qpos0, m.qpos0 + m.nq);
  qpos[2] = 2.5;
  env->SetState(qpos, std::vector<double>(m.nv, 0.0), obs.data());
  const std::vector<float> zero(17, 0.0f);
  const StepResult r = env->Step(zero.data(), obs.data());
  REQUIRE(r.terminated);
  REQUIRE_FALSE(r.truncated);
}

}  // namespace
}  // namespace ddpg
