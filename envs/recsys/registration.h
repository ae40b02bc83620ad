// The recommender family's registry entries (envs/registry.h): RecSim-LatentFactor-v0 and MovieLens-Offline-v0.
#pragma once

#include <vector>

#include "envs/env_registration.h"

namespace ddpg {
std::vector<EnvRegistration> RecommenderEnvironments();
}  // namespace ddpg
