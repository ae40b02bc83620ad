// Gymnasium's MuJoCo locomotion environments (v4).
#pragma once

#include <vector>

#include "common/environment.h"

namespace ddpg {
std::vector<EnvRegistration> MujocoEnvironments();
}  // namespace ddpg
