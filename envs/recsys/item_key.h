// The item key: an item as MovieLens-Offline-v0's actions address it. For item i with factors q_i and bias b_i
// in the factorization, k_i = [q_i, b_i] (d + 1 numbers). The environment recommends argmax_i k_i · a, the
// offline transitions log the key of the rated item as their action, and `recsys evaluate` ranks by k_i · a.
//
// Why the bias: greedy MF predicts mu + b_u + b_i + p_u · q_i, and mu + b_u is the same for every item of a user,
// so the action a = [p_u, 1] ranks exactly as greedy MF does; with q_i alone the item bias, which carries much of
// the signal (an item's popularity and quality), could not be expressed by any action.
//
// A plain function over values: no threads, no state.
#pragma once

#include <vector>

#include "envs/recsys/factorization_file.h"

namespace ddpg::recsys {

inline int ItemKeyDim(int factor_dim) { return factor_dim + 1; }

// Every item's key in file order, row-major, ItemKeyDim(embeddings.dim) numbers per row.
std::vector<float> ItemKeys(const FactorizationFile& embeddings);

}  // namespace ddpg::recsys
