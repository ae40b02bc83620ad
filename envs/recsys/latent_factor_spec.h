// RecSim-LatentFactor-v0's options and the spec they imply, without the simulator: the spec table
// (envs/env_spec.h) answers this environment's shapes from here, so processes that only size networks or
// stores need no catalogue.
//
// The action is a vector in the items' key space (embedding_dim latent coordinates and one popularity
// coordinate, in [-1, 1]); the observation is a summary of the episode so far, 3 * (embedding_dim + 1) + 3
// numbers (envs/recsys/latent_factor_env.h lists them). Stateless: thread-safe, never blocks.
#pragma once

#include "common/config.h"
#include "common/status.h"
#include "envs/env_spec.h"

namespace ddpg::recsys {

inline constexpr char kLatentFactorId[] = "RecSim-LatentFactor-v0";

// The first option out of range, as "recsim.catalogue_size = 500 is out of range: allowed 1000 .. 1000000".
Status ValidateRecsimOptions(const RecsimOptions& options);

// The spec for valid options (ValidateRecsimOptions).
EnvSpec LatentFactorSpec(const RecsimOptions& options);

// Length of an item's key: the latent vector and the popularity score.
inline int KeyDim(const RecsimOptions& options) { return options.embedding_dim + 1; }

}  // namespace ddpg::recsys
