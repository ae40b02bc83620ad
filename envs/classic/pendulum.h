// Pendulum-v1, as Gymnasium's classic_control/pendulum.py defines it.
//
// State (theta, theta_dot); observation (cos theta, sin theta, theta_dot); one torque in [-2, 2], clipped.
// reward = -(angle_normalize(theta)^2 + 0.1 theta_dot^2 + 0.001 u^2), computed from the state before the
// step; theta_dot is clipped to [-8, 8] after the Euler update; never terminates; truncated after 200
// steps. Reset draws theta ~ U(-pi, pi), theta_dot ~ U(-1, 1). Dynamics in double precision like NumPy's.
#pragma once

#include "envs/environment.h"

namespace ddpg {

class Pendulum final : public Environment {
 public:
  static constexpr double kMaxSpeed = 8.0;
  static constexpr double kMaxTorque = 2.0;
  static constexpr double kDt = 0.05;
  static constexpr double kGravity = 10.0;
  static constexpr double kMass = 1.0;
  static constexpr double kLength = 1.0;

  Pendulum();

  // Sets the state directly (tests and evaluation of hand-computed transitions).
  void SetState(double theta, double theta_dot, float* observation);
  double theta() const { return theta_; }
  double theta_dot() const { return theta_dot_; }

  // ((x + pi) mod 2pi) - pi with Python's floored modulo.
  static double AngleNormalize(double x);

 protected:
  void ResetState(float* observation) override;
  StepResult StepState(const float* action, float* observation) override;

 private:
  void Observe(float* observation) const;

  double theta_ = 0.0;
  double theta_dot_ = 0.0;
};

}  // namespace ddpg
