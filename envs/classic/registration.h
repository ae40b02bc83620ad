// Gymnasium's classic-control environments with continuous actions: Pendulum-v1 (envs/classic/pendulum.h) and
// MountainCarContinuous-v0 (envs/classic/mountain_car.h).
#pragma once

#include <vector>

#include "envs/env_registration.h"

namespace ddpg {
std::vector<EnvRegistration> ClassicControlEnvironments();
}  // namespace ddpg
