// Gymnasium's Box2D environments with continuous actions.
#pragma once

#include <vector>

#include "common/environment.h"

namespace ddpg {
std::vector<EnvRegistration> Box2dEnvironments();
}  // namespace ddpg
