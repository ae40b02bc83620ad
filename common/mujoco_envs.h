// Gymnasium's MuJoCo environments (v4): HalfCheetah, Hopper, Walker2d, Ant, Humanoid, Swimmer
// (common/mujoco_locomotion.h), Reacher (common/mujoco_reacher.h), InvertedPendulum and
// InvertedDoublePendulum (common/mujoco_inverted_pendulum.h). Making one fails with NotFound when Gym's model
// files are missing (see common/mujoco_model.h).
#pragma once

#include <vector>

#include "common/environment.h"

namespace ddpg {
std::vector<EnvRegistration> MujocoEnvironments();
}  // namespace ddpg
