#include "common/box2d_envs.h"

namespace ddpg {

std::vector<EnvRegistration> Box2dEnvironments() { return {}; }

}  // namespace ddpg
