// Tests of Pendulum-v1 (envs/classic/pendulum.h) against Gymnasium's equations, written out here with explicit
// constants so that a wrong constant in the implementation cannot hide in both.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>
#include <vector>

#include "envs/classic/pendulum.h"
#include "envs/env_spec.h"
#include "envs/environment.h"
#include "envs/registry.h"

namespace ddpg {
namespace {

constexpr double kPi = std::numbers::pi;

// Gymnasium's classic_control/pendulum.py, step() and angle_normalize(), in double precision.
double GymAngleNormalize(double x) {
  // Python: ((x + pi) % (2 * pi)) - pi, with % the floored modulo.
  const double m = 2.0 * kPi;
  double r = std::fmod(x + kPi, m);
  if (r < 0) r += m;
  return r - kPi;
}

struct Expected {
  double theta;
  double theta_dot;
  double reward;
  std::array<double, 3> obs;
};

Expected GymStep(double th, double thdot, double u_raw) {
  const double g = 10.0, m = 1.0, l = 1.0, dt = 0.05, max_speed = 8.0, max_torque = 2.0;
  const double u = std::clamp(u_raw, -max_torque, max_torque);
  const double costs = std::pow(GymAngleNormalize(th), 2) + 0.1 * thdot * thdot + 0.001 * (u * u);
  double newthdot = thdot + (3.0 * g / (2.0 * l) * std::sin(th) + 3.0 / (m * l * l) * u) * dt;
  newthdot = std::clamp(newthdot, -max_speed, max_speed);
  const double newth = th + newthdot * dt;
  return {newth, newthdot, -costs, {std::cos(newth), std::sin(newth), newthdot}};
}

// Observations are float32 of double math.
Approx Close(double expected) { return Approx(expected).epsilon(1e-6).margin(1e-7); }

void RequireObservation(const float* obs, const std::array<double, 3>& expected) {
  for (int i = 0; i < 3; ++i) {
    INFO("observation[" << i << "]");
    REQUIRE(obs[i] == Close(expected[i]));
  }
}

TEST_CASE("a transition from a generic state matches Gymnasium's equations", "[pendulum]") {
  Pendulum env;
  float obs[3];
  const double th = 0.7, thdot = -1.3;
  env.SetState(th, thdot, obs);
  RequireObservation(obs, {std::cos(0.7), std::sin(0.7), -1.3});
  REQUIRE(env.theta() == th);
  REQUIRE(env.theta_dot() == thdot);

  const float action[1] = {0.6f};
  const StepResult r = env.Step(action, obs);

  // By hand: u = 0.6f; thdot' = -1.3 + (15 sin 0.7 + 3 u) * 0.05; th' = 0.7 + thdot' * 0.05;
  // reward = -(0.49 + 0.1 * 1.69 + 0.001 u^2).
  const double u = static_cast<double>(0.6f);
  const double new_thdot = -1.3 + (15.0 * std::sin(0.7) + 3.0 * u) * 0.05;
  const double new_th = 0.7 + new_thdot * 0.05;
  const double reward = -(0.49 + 0.169 + 0.001 * u * u);
  REQUIRE(new_thdot == Approx(-0.7268367310).epsilon(1e-9));  // sanity of the hand computation
  REQUIRE(r.reward == Close(reward));
  REQUIRE_FALSE(r.terminated);
  REQUIRE_FALSE(r.truncated);
  RequireObservation(obs, {std::cos(new_th), std::sin(new_th), new_thdot});
  REQUIRE(env.theta() == Approx(new_th).epsilon(1e-12));
  REQUIRE(env.theta_dot() == Approx(new_thdot).epsilon(1e-12));

  // Same thing through the generic formula, for several more steps with varying actions.
  double s_th = new_th, s_thdot = new_thdot;
  for (int i = 0; i < 20; ++i) {
    const float a[1] = {static_cast<float>(1.9 * std::sin(0.37 * i))};
    const Expected e = GymStep(s_th, s_thdot, static_cast<double>(a[0]));
    const StepResult step = env.Step(a, obs);
    INFO("step " << i);
    REQUIRE(step.reward == Close(e.reward));
    RequireObservation(obs, e.obs);
    REQUIRE(env.theta() == Approx(e.theta).epsilon(1e-9));
    s_th = env.theta();
    s_thdot = env.theta_dot();
  }
}

TEST_CASE("the reward uses the normalized angle: 3pi/2 + 2k pi costs like -pi/2", "[pendulum]") {
  const float action[1] = {0.5f};
  Pendulum reference;
  float obs[3];
  reference.SetState(-kPi / 2, 0.4, obs);
  const StepResult ref = reference.Step(action, obs);
  // -((pi/2)^2 + 0.1 * 0.16 + 0.001 * 0.25)
  REQUIRE(ref.reward == Close(-(kPi * kPi / 4.0 + 0.016 + 0.00025)));
  const std::array<float, 3> ref_obs = {obs[0], obs[1], obs[2]};

  for (int k = -3; k <= 3; ++k) {
    INFO("k = " << k);
    Pendulum env;
    env.SetState(3.0 * kPi / 2.0 + 2.0 * kPi * k, 0.4, obs);
    const StepResult r = env.Step(action, obs);
    REQUIRE(r.reward == Close(ref.reward));
    // Same physical state: same next observation.
    for (int i = 0; i < 3; ++i) REQUIRE(obs[i] == Approx(ref_obs[i]).margin(1e-5));
  }

  // A large angle is not squared as is: theta = 10 pi + 0.1 costs like 0.1.
  Pendulum far;
  far.SetState(10.0 * kPi + 0.1, 0.0, obs);
  const float zero[1] = {0.0f};
  REQUIRE(far.Step(zero, obs).reward == Close(-0.01));
}

TEST_CASE("AngleNormalize maps into the half-open interval from -pi to pi like Python's floored modulo", "[pendulum]") {
  REQUIRE(Pendulum::AngleNormalize(0.0) == 0.0);
  REQUIRE(Pendulum::AngleNormalize(1.0) == Approx(1.0).epsilon(1e-15));
  REQUIRE(Pendulum::AngleNormalize(-1.0) == Approx(-1.0).epsilon(1e-15));
  REQUIRE(Pendulum::AngleNormalize(3.5 * kPi) == Approx(-0.5 * kPi).epsilon(1e-12));
  REQUIRE(Pendulum::AngleNormalize(-3.5 * kPi) == Approx(0.5 * kPi).epsilon(1e-12));
  REQUIRE(Pendulum::AngleNormalize(1.5 * kPi) == Approx(-0.5 * kPi).epsilon(1e-12));
  REQUIRE(Pendulum::AngleNormalize(-1.5 * kPi) == Approx(0.5 * kPi).epsilon(1e-12));
  // The boundary: Python gives -pi for both pi and -pi.
  REQUIRE(Pendulum::AngleNormalize(kPi) == -kPi);
  REQUIRE(Pendulum::AngleNormalize(-kPi) == -kPi);
  REQUIRE(Pendulum::AngleNormalize(3.0 * kPi) == Approx(-kPi).epsilon(1e-12));
  for (double x = -50.0; x <= 50.0; x += 0.173) {
    INFO("x = " << x);
    const double y = Pendulum::AngleNormalize(x);
    REQUIRE(y >= -kPi);
    REQUIRE(y < kPi);
    REQUIRE(y == Approx(GymAngleNormalize(x)).margin(1e-12));
    // y differs from x by a whole number of turns.
    const double turns = (x - y) / (2.0 * kPi);
    REQUIRE(turns == Approx(std::round(turns)).margin(1e-9));
  }
}

TEST_CASE("angular speed is clipped to exactly +-8 after the update", "[pendulum]") {
  Pendulum env;
  float obs[3];
  const float push[1] = {2.0f};
  // thdot' = 7.8 + (15 * 1 + 3 * 2) * 0.05 = 8.85 -> 8.
  env.SetState(kPi / 2, 7.8, obs);
  StepResult r = env.Step(push, obs);
  REQUIRE(obs[2] == 8.0f);
  REQUIRE(env.theta_dot() == 8.0);
  REQUIRE(env.theta() == Approx(kPi / 2 + 8.0 * 0.05).epsilon(1e-12));
  REQUIRE(obs[0] == Close(std::cos(kPi / 2 + 0.4)));
  REQUIRE(obs[1] == Close(std::sin(kPi / 2 + 0.4)));
  // The reward uses the speed before clipping and stepping.
  REQUIRE(r.reward == Close(-(kPi * kPi / 4 + 0.1 * 7.8 * 7.8 + 0.004)));

  const float pull[1] = {-2.0f};
  env.SetState(-kPi / 2, -7.8, obs);
  r = env.Step(pull, obs);
  REQUIRE(obs[2] == -8.0f);
  REQUIRE(env.theta_dot() == -8.0);
  REQUIRE(env.theta() == Approx(-kPi / 2 - 0.4).epsilon(1e-12));

  // Just below the limit nothing is clipped: 7.0 + 0.05 * (15 * 0.5 + 0) = 7.375.
  const float none[1] = {0.0f};
  env.SetState(kPi / 6, 7.0, obs);
  env.Step(none, obs);
  REQUIRE(env.theta_dot() == Approx(7.0 + 0.05 * 15.0 * std::sin(kPi / 6)).epsilon(1e-12));
}

TEST_CASE("torque is clipped to +-2: u = 5 acts like 2 and u = -7 like -2", "[pendulum]") {
  struct Pair {
    float big, clipped;
  };
  for (const Pair p : {Pair{5.0f, 2.0f}, Pair{-7.0f, -2.0f}, Pair{1e30f, 2.0f}}) {
    INFO("u = " << p.big);
    Pendulum a, b;
    float obs_a[3], obs_b[3];
    a.SetState(1.1, -0.4, obs_a);
    b.SetState(1.1, -0.4, obs_b);
    const float ua[1] = {p.big}, ub[1] = {p.clipped};
    const StepResult ra = a.Step(ua, obs_a);
    const StepResult rb = b.Step(ub, obs_b);
    REQUIRE(ra.reward == rb.reward);
    for (int i = 0; i < 3; ++i) REQUIRE(obs_a[i] == obs_b[i]);
    const Expected e = GymStep(1.1, -0.4, p.clipped);
    REQUIRE(ra.reward == Close(e.reward));
    RequireObservation(obs_a, e.obs);
    // The control cost is 0.001 * 4, not 0.001 * u^2 of the raw action.
    REQUIRE(ra.reward == Close(-(1.21 + 0.016 + 0.004)));
  }
}

TEST_CASE("Pendulum-v1's spec has 3 observations and 1 action bounded by 2 and lasts 200 steps", "[pendulum]") {
  Pendulum env;
  const EnvSpec& spec = env.spec();
  REQUIRE(spec.id == "Pendulum-v1");
  REQUIRE(spec.obs_dim == 3);
  REQUIRE(spec.act_dim == 1);
  REQUIRE(spec.obs_low == std::vector<float>{-1.0f, -1.0f, -8.0f});
  REQUIRE(spec.obs_high == std::vector<float>{1.0f, 1.0f, 8.0f});
  REQUIRE(spec.act_low == std::vector<float>{-2.0f});
  REQUIRE(spec.act_high == std::vector<float>{2.0f});
  REQUIRE(spec.max_episode_steps == 200);

  // The registry hands out the same environment.
  auto made = MakeEnvironment("Pendulum-v1");
  REQUIRE(made.ok());
  REQUIRE((*made)->spec().obs_high == spec.obs_high);
  REQUIRE(dynamic_cast<Pendulum*>(made->get()) != nullptr);
  auto looked_up = LookUpEnvSpec("Pendulum-v1");
  REQUIRE(looked_up.ok());
  REQUIRE(looked_up->max_episode_steps == 200);
  const std::vector<std::string> ids = RegisteredEnvironmentIds();
  REQUIRE(std::count(ids.begin(), ids.end(), "Pendulum-v1") == 1);
  auto unknown = LookUpEnvSpec("Pendulum-v0");
  REQUIRE_FALSE(unknown.ok());
  REQUIRE(unknown.status().code() == StatusCode::kNotFound);
  REQUIRE_THAT(unknown.status().message(), Catch::Contains("Pendulum-v0"));
}

TEST_CASE("an episode is truncated exactly at step 200 and never terminates", "[pendulum]") {
  Pendulum env;
  float obs[3];
  for (uint64_t seed : {0ull, 1ull, 12345ull}) {
    env.Reset(seed, obs);
    REQUIRE(env.elapsed_steps() == 0);
    for (int step = 1; step <= 200; ++step) {
      const float a[1] = {static_cast<float>(2.0 * std::sin(0.1 * step))};
      const StepResult r = env.Step(a, obs);
      INFO("seed " << seed << " step " << step);
      REQUIRE(env.elapsed_steps() == step);
      REQUIRE_FALSE(r.terminated);
      REQUIRE(r.truncated == (step == 200));
      REQUIRE(r.reward <= 0.0f);
      // Observations stay within the spec's bounds.
      REQUIRE(std::abs(obs[2]) <= 8.0f);
      REQUIRE(obs[0] * obs[0] + obs[1] * obs[1] == Approx(1.0f).epsilon(1e-5));
    }
  }
  // Reset starts a fresh episode of 200 steps.
  env.Reset(obs);
  const float a[1] = {0.0f};
  for (int step = 1; step < 200; ++step) REQUIRE_FALSE(env.Step(a, obs).truncated);
  REQUIRE(env.Step(a, obs).truncated);
}

std::vector<float> Rollout(uint64_t seed, int steps, std::vector<float>* rewards) {
  Pendulum env;
  std::vector<float> trace(3);
  env.Reset(seed, trace.data());
  float obs[3];
  for (int i = 0; i < steps; ++i) {
    const float a[1] = {static_cast<float>(2.0 * std::cos(0.3 * i))};
    rewards->push_back(env.Step(a, obs).reward);
    trace.insert(trace.end(), obs, obs + 3);
  }
  return trace;
}

TEST_CASE("the same seed gives the same reset observation and trajectory", "[pendulum]") {
  std::vector<float> rewards_a, rewards_b;
  const std::vector<float> a = Rollout(2024, 200, &rewards_a);
  const std::vector<float> b = Rollout(2024, 200, &rewards_b);
  REQUIRE(a == b);
  REQUIRE(rewards_a == rewards_b);

  // Reset(seed) on a used environment starts over identically.
  Pendulum env;
  float first[3], again[3], obs[3];
  env.Reset(2024, first);
  const float act[1] = {1.0f};
  for (int i = 0; i < 50; ++i) env.Step(act, obs);
  env.Reset(2024, again);
  REQUIRE(std::equal(first, first + 3, again));
  REQUIRE(std::equal(first, first + 3, a.begin()));
}

TEST_CASE("different seeds give different reset observations", "[pendulum]") {
  std::vector<std::array<float, 3>> seen;
  Pendulum env;
  for (uint64_t seed = 0; seed < 20; ++seed) {
    std::array<float, 3> obs;
    env.Reset(seed, obs.data());
    for (const auto& other : seen) REQUIRE(obs != other);
    seen.push_back(obs);
  }
  // An unseeded reset continues the generator: a new start, not the seeded one again.
  std::array<float, 3> seeded, next;
  env.Reset(7, seeded.data());
  env.Reset(next.data());
  REQUIRE(seeded != next);
}

TEST_CASE("reset draws theta uniformly between -pi and pi and theta_dot between -1 and 1", "[pendulum]") {
  Pendulum env;
  float obs[3];
  env.Reset(99, obs);
  const int n = 20000;
  double min_th = 10, max_th = -10, min_w = 10, max_w = -10;
  double sum_th = 0, sum_th2 = 0, sum_w = 0, sum_w2 = 0;
  for (int i = 0; i < n; ++i) {
    env.Reset(obs);
    const double th = env.theta();
    const double w = env.theta_dot();
    REQUIRE(th >= -kPi);
    REQUIRE(th <= kPi);
    REQUIRE(w >= -1.0);
    REQUIRE(w <= 1.0);
    // The observation encodes the state.
    REQUIRE(std::atan2(obs[1], obs[0]) == Approx(th).margin(1e-5));
    REQUIRE(obs[2] == static_cast<float>(w));
    min_th = std::min(min_th, th);
    max_th = std::max(max_th, th);
    min_w = std::min(min_w, w);
    max_w = std::max(max_w, w);
    sum_th += th;
    sum_th2 += th * th;
    sum_w += w;
    sum_w2 += w * w;
  }
  // The whole ranges are covered ...
  REQUIRE(min_th < -kPi + 0.01);
  REQUIRE(max_th > kPi - 0.01);
  REQUIRE(min_w < -0.99);
  REQUIRE(max_w > 0.99);
  // ... uniformly: mean 0, variance (b - a)^2 / 12.
  REQUIRE(sum_th / n == Approx(0.0).margin(0.05));
  REQUIRE(sum_th2 / n == Approx(kPi * kPi / 3.0).epsilon(0.03));
  REQUIRE(sum_w / n == Approx(0.0).margin(0.02));
  REQUIRE(sum_w2 / n == Approx(1.0 / 3.0).epsilon(0.03));
}

}  // namespace
}  // namespace ddpg
