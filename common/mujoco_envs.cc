#include "common/mujoco_envs.h"

namespace ddpg {

std::vector<EnvRegistration> MujocoEnvironments() { return {}; }

}  // namespace ddpg
