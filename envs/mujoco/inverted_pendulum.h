// Gymnasium's cart-pole balancing tasks in MuJoCo: InvertedPendulum-v4 and InvertedDoublePendulum-v4
// (gymnasium/envs/mujoco/inverted_pendulum_v4.py, inverted_double_pendulum_v4.py). Both truncate after
// 1000 steps.
//
// Ownership, blocking and thread-safety: as MujocoEnv (envs/mujoco/mujoco_env.h).
#pragma once

#include <vector>

#include "envs/mujoco/mujoco_env.h"

namespace ddpg {

// obs = qpos (cart x, hinge angle), qvel = 4; reward 1 per step; terminated when the observation is not
// finite or |angle| > 0.2. One action in [-3, 3]. Reset: U(-0.01, 0.01) on qpos and qvel. frame_skip 2.
class InvertedPendulum final : public MujocoEnv {
 public:
  static constexpr char kModelName[] = "inverted_pendulum";
  explicit InvertedPendulum(MujocoModelPtr model);

 protected:
  StepResult StepState(const float* action, float* observation) override;

 private:
  void PerturbInitialState(std::vector<double>& qpos, std::vector<double>& qvel) override;
  void Observe(float* observation) const override;
};

// obs = qpos[0], sin(qpos[1:3]), cos(qpos[1:3]), clip(qvel, -10, 10), clip(qfrc_constraint, -10, 10) = 11.
// With (x, _, y) the tip site's position (site_xpos[0]) after the step:
// reward = 10 - (0.01 x^2 + (y - 2)^2) - (1e-3 qvel[1]^2 + 5e-3 qvel[2]^2); terminated when y <= 1.
// Reset: qpos0 + U(-0.1, 0.1), qvel 0.1 * N(0, 1). frame_skip 5 (dt 0.05).
class InvertedDoublePendulum final : public MujocoEnv {
 public:
  static constexpr char kModelName[] = "inverted_double_pendulum";
  explicit InvertedDoublePendulum(MujocoModelPtr model);

 protected:
  StepResult StepState(const float* action, float* observation) override;

 private:
  void PerturbInitialState(std::vector<double>& qpos, std::vector<double>& qvel) override;
  void Observe(float* observation) const override;
};

}  // namespace ddpg
