// MovieLens-Offline-v0's options and the spec they imply (envs/recsys/movielens_env.h has the environment).
// The spec follows the embeddings file: with item factors of dimension d the action is a vector in the space of
// the item keys [q_i, b_i] (envs/recsys/item_key.h: d + 1 numbers, each bounded by that coordinate's smallest and
// largest value over the catalogue) and the state is DRR-ave's [p_u, p_u * mean q, mean q] (3d numbers,
// unbounded).
//
// Validation reads the embeddings file whole (a few MB for ml-latest-small) and checks that the ratings file
// can be opened; it is done once per process, when the spec is looked up. Stateless: thread-safe; blocks on
// the file system.
#pragma once

#include "common/config.h"
#include "common/status.h"
#include "envs/env_spec.h"
#include "envs/recsys/factorization_file.h"

namespace ddpg::recsys {

inline constexpr char kMovieLensId[] = "MovieLens-Offline-v0";

// The first option out of range or file that cannot be used, naming the key and what to run to make the file.
Status ValidateMovielensOptions(const MovielensOptions& options);

// The spec for options whose embeddings file holds `embeddings`.
EnvSpec MovieLensSpec(const MovielensOptions& options, const FactorizationFile& embeddings);
// Validates the options, loads the embeddings and answers their spec.
StatusOr<EnvSpec> LoadMovieLensSpec(const MovielensOptions& options);

// The spec table's entry, for listing the id: no file is read, so the dimensions are those of the default
// factorization (recsys baselines --dim 32).
EnvSpec MovieLensPlaceholderSpec();

}  // namespace ddpg::recsys
