// Gymnasium's MuJoCo environments (v4): HalfCheetah, Hopper, Walker2d, Ant, Humanoid, Swimmer
// (envs/mujoco/locomotion.h), Reacher (envs/mujoco/reacher.h), InvertedPendulum and
// InvertedDoublePendulum (envs/mujoco/inverted_pendulum.h). Making one fails with NotFound when Gym's model
// files are missing (see envs/mujoco/model_loader.h).
#pragma once

#include <vector>

#include "envs/env_registration.h"

namespace ddpg {
std::vector<EnvRegistration> MujocoEnvironments();
}  // namespace ddpg
