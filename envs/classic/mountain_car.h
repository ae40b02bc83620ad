// MountainCarContinuous-v0, as Gymnasium's classic_control/continuous_mountain_car.py defines it.
//
// State and observation (position, velocity); one force, clipped to [-1, 1] for the dynamics:
//   velocity += force * 0.0015 - 0.0025 cos(3 position), clipped to [-0.07, 0.07];
//   position += velocity, clipped to [-1.2, 0.6]; at the left wall a negative velocity becomes 0.
// Terminated when position >= 0.45 and velocity >= 0. reward = -0.1 action^2 with the action as given,
// not clipped (Gymnasium squares action[0]), plus 100 on the terminating step. Truncated after 999 steps.
// Reset draws position ~ U(-0.6, -0.4), velocity 0.
//
// Precision follows Gymnasium: each step computes in double (NumPy promotes the float32 state to float64
// against Python floats) and stores the new state as float32, so the observation is the state exactly.
// The state that reset draws stays float64 until the first step, as Gymnasium's np.array(...) without a
// dtype does. Owned by one thread, like every Environment.
#pragma once

#include "envs/environment.h"

namespace ddpg {

class MountainCarContinuous final : public Environment {
 public:
  static constexpr double kMinAction = -1.0;
  static constexpr double kMaxAction = 1.0;
  static constexpr double kMinPosition = -1.2;
  static constexpr double kMaxPosition = 0.6;
  static constexpr double kMaxSpeed = 0.07;
  static constexpr double kGoalPosition = 0.45;
  static constexpr double kGoalVelocity = 0.0;
  static constexpr double kPower = 0.0015;

  MountainCarContinuous();

  // Sets the state directly (tests and evaluation of hand-computed transitions).
  void SetState(double position, double velocity, float* observation);
  double position() const { return position_; }
  double velocity() const { return velocity_; }

 protected:
  void ResetState(float* observation) override;
  StepResult StepState(const float* action, float* observation) override;

 private:
  void Observe(float* observation) const;

  double position_ = 0.0;
  double velocity_ = 0.0;
};

}  // namespace ddpg
