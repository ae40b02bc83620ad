#include "envs/classic/pendulum.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace ddpg {

namespace {
EnvSpec PendulumSpec() {
  EnvSpec spec;
  spec.id = "Pendulum-v1";
  spec.obs_dim = 3;
  spec.act_dim = 1;
  spec.obs_low = {-1.0f, -1.0f, -static_cast<float>(Pendulum::kMaxSpeed)};
  spec.obs_high = {1.0f, 1.0f, static_cast<float>(Pendulum::kMaxSpeed)};
  spec.act_low = {-static_cast<float>(Pendulum::kMaxTorque)};
  spec.act_high = {static_cast<float>(Pendulum::kMaxTorque)};
  spec.max_episode_steps = 200;
  return spec;
}
}  // namespace

Pendulum::Pendulum() : Environment(PendulumSpec()) {}

double Pendulum::AngleNormalize(double x) {
  constexpr double kTwoPi = 2.0 * std::numbers::pi;
  double shifted = std::fmod(x + std::numbers::pi, kTwoPi);
  if (shifted < 0) shifted += kTwoPi;
  return shifted - std::numbers::pi;
}

void Pendulum::SetState(double theta, double theta_dot, float* observation) {
  theta_ = theta;
  theta_dot_ = theta_dot;
  Observe(observation);
}

void Pendulum::ResetState(float* observation) {
  std::uniform_real_distribution<double> angle(-std::numbers::pi, std::numbers::pi);
  std::uniform_real_distribution<double> speed(-1.0, 1.0);
  theta_ = angle(rng());
  theta_dot_ = speed(rng());
  Observe(observation);
}

StepResult Pendulum::StepState(const float* action, float* observation) {
  const double u = std::clamp(static_cast<double>(action[0]), -kMaxTorque, kMaxTorque);
  const double cost = std::pow(AngleNormalize(theta_), 2) + 0.1 * theta_dot_ * theta_dot_ + 0.001 * u * u;
  double new_theta_dot =
      theta_dot_ + (3.0 * kGravity / (2.0 * kLength) * std::sin(theta_) + 3.0 / (kMass * kLength * kLength) * u) * kDt;
  new_theta_dot = std::clamp(new_theta_dot, -kMaxSpeed, kMaxSpeed);
  theta_ = theta_ + new_theta_dot * kDt;
  theta_dot_ = new_theta_dot;
  Observe(observation);
  return {static_cast<float>(-cost), false, false};
}

void Pendulum::Observe(float* observation) const {
  observation[0] = static_cast<float>(std::cos(theta_));
  observation[1] = static_cast<float>(std::sin(theta_));
  observation[2] = static_cast<float>(theta_dot_);
}

}  // namespace ddpg
