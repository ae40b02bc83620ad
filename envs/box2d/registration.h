// Gymnasium's Box2D environments with continuous actions: LunarLanderContinuous-v3 (envs/box2d/lunar_lander.h)
// and BipedalWalker-v3 (envs/box2d/bipedal_walker.h).
#pragma once

#include <vector>

#include "envs/env_registration.h"

namespace ddpg {
std::vector<EnvRegistration> Box2dEnvironments();
}  // namespace ddpg
