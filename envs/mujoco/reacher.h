// Gymnasium's Reacher-v4 (gymnasium/envs/mujoco/reacher_v4.py): a two-link arm brings its fingertip to a
// target in the plane.
//
// obs = cos(qpos[0:2]), sin(qpos[0:2]), qpos[2:4] (the target), qvel[0:2], fingertip - target (xpos, 3) = 11.
// reward = -|fingertip - target| - |a|^2, both measured BEFORE the step (Gymnasium computes the reward first
// and then simulates); never terminates; truncated after 50 steps. Reset: qpos0 + U(-0.1, 0.1) for the arm,
// the target drawn uniformly from the disk of radius 0.2 by rejection from the square, qvel U(-5e-3, 5e-3)
// for the arm and 0 for the target. frame_skip 2 (dt 0.02).
//
// Ownership, blocking and thread-safety: as MujocoEnv (envs/mujoco/mujoco_env.h).
#pragma once

#include <vector>

#include "envs/mujoco/mujoco_env.h"

namespace ddpg {

class Reacher final : public MujocoEnv {
 public:
  static constexpr char kModelName[] = "reacher";
  explicit Reacher(MujocoModelPtr model);

  int fingertip_body() const { return fingertip_; }
  int target_body() const { return target_; }

 protected:
  StepResult StepState(const float* action, float* observation) override;

 private:
  void PerturbInitialState(std::vector<double>& qpos, std::vector<double>& qvel) override;
  void Observe(float* observation) const override;

  int fingertip_;
  int target_;
};

}  // namespace ddpg
