// Item (and user) embeddings from logged ratings: biased matrix factorization (Koren, Bell, Volinsky 2009),
//   r̂(u, i) = μ + b_u + b_i + p_u · q_i,
// fitted to the training ratings by full-batch Adam on the mean squared error plus
// λ (‖p_u‖² + ‖q_i‖² + b_u² + b_i²) averaged over the ratings. The item factors q_i are the catalogue's
// embeddings, the action space of the recommender's policy; r̂ itself is the greedy-MF baseline.
//
// A fitted factorization is an immutable value; Fit blocks for the whole fit (a few seconds for
// ml-latest-small on one thread). LibTorch stays in the .cc.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "envs/recsys/item_index.h"
#include "envs/recsys/ratings.h"

namespace ddpg::recsys {

struct FactorizationOptions {
  int dim = 32;
  int epochs = 300;  // full-batch Adam steps
  double learning_rate = 0.02;
  double regularization = 0.05;  // λ
  uint64_t seed = 0;             // the factors start as N(0, 0.1²) drawn from it
};

class Factorization {
 public:
  // Fits the model to `train`. InvalidArgument for no ratings or options out of range (dim < 1, epochs < 1,
  // learning_rate ≤ 0, regularization < 0).
  static StatusOr<Factorization> Fit(const std::vector<Rating>& train, const FactorizationOptions& options);

  // r̂(user, item) with raw ids; a user or item the training ratings lack contributes no bias and no factor.
  float Predict(int64_t user, int64_t item) const;
  // Root mean squared error of Predict over `ratings`.
  double Rmse(const std::vector<Rating>& ratings) const;

  // The item embeddings in the order of items(); items() maps a row back to the raw item id.
  const ItemEmbeddings& item_factors() const { return item_factors_; }
  const std::vector<int64_t>& items() const { return items_; }
  // The row of a raw item id, or -1 for an item the training ratings lack.
  int64_t ItemRow(int64_t item) const;
  const float* UserFactors(int64_t user) const;  // nullptr for an unknown user
  float global_mean() const { return global_mean_; }

  // The model as a text file (one header line, then one line per user and per item); Load gives
  // InvalidArgument naming the line of anything malformed, NotFound for a missing file.
  Status Save(const std::string& path) const;
  static StatusOr<Factorization> Load(const std::string& path);

 private:
  Factorization() = default;

  int dim_ = 0;
  float global_mean_ = 0;
  std::vector<int64_t> users_, items_;
  std::unordered_map<int64_t, int64_t> user_row_, item_row_;
  std::vector<float> user_factors_, user_bias_, item_bias_;
  ItemEmbeddings item_factors_;
};

}  // namespace ddpg::recsys
