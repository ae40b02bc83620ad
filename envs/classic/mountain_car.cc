#include "envs/classic/mountain_car.h"

#include <algorithm>
#include <cmath>

namespace ddpg {

namespace {
EnvSpec MountainCarContinuousSpec() {
  using Env = MountainCarContinuous;
  EnvSpec spec;
  spec.id = "MountainCarContinuous-v0";
  spec.obs_dim = 2;
  spec.act_dim = 1;
  spec.obs_low = {static_cast<float>(Env::kMinPosition), -static_cast<float>(Env::kMaxSpeed)};
  spec.obs_high = {static_cast<float>(Env::kMaxPosition), static_cast<float>(Env::kMaxSpeed)};
  spec.act_low = {static_cast<float>(Env::kMinAction)};
  spec.act_high = {static_cast<float>(Env::kMaxAction)};
  spec.max_episode_steps = 999;
  return spec;
}
}  // namespace

MountainCarContinuous::MountainCarContinuous() : Environment(MountainCarContinuousSpec()) {}

void MountainCarContinuous::SetState(double position, double velocity, float* observation) {
  position_ = position;
  velocity_ = velocity;
  Observe(observation);
}

void MountainCarContinuous::ResetState(float* observation) {
  std::uniform_real_distribution<double> start(-0.6, -0.4);
  position_ = start(rng());
  velocity_ = 0.0;
  Observe(observation);
}

StepResult MountainCarContinuous::StepState(const float* action, float* observation) {
  const double raw = action[0];
  const double force = std::clamp(raw, kMinAction, kMaxAction);
  double velocity = velocity_ + force * kPower - 0.0025 * std::cos(3.0 * position_);
  velocity = std::clamp(velocity, -kMaxSpeed, kMaxSpeed);
  double position = std::clamp(position_ + velocity, kMinPosition, kMaxPosition);
  // The left wall is inelastic; the right end needs no such rule because reaching it terminates.
  if (position == kMinPosition && velocity < 0.0) velocity = 0.0;

  const bool terminated = position >= kGoalPosition && velocity >= kGoalVelocity;
  const double reward = (terminated ? 100.0 : 0.0) - raw * raw * 0.1;

  // Gymnasium keeps self.state as float32 between steps; rounding here keeps trajectories alike.
  position_ = static_cast<float>(position);
  velocity_ = static_cast<float>(velocity);
  Observe(observation);
  return {static_cast<float>(reward), terminated, false};
}

void MountainCarContinuous::Observe(float* observation) const {
  observation[0] = static_cast<float>(position_);
  observation[1] = static_cast<float>(velocity_);
}

}  // namespace ddpg
