// Gymnasium's classic-control environments with continuous actions: Pendulum-v1 (common/pendulum.h) and
// MountainCarContinuous-v0 (common/mountain_car.h).
#pragma once

#include <vector>

#include "common/environment.h"

namespace ddpg {
std::vector<EnvRegistration> ClassicControlEnvironments();
}  // namespace ddpg
