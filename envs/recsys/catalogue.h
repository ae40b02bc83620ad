// The item catalogue of RecSim-LatentFactor-v0: every item's key and popularity, and the exact lookup from
// an action vector to the item whose key scores highest against it.
//
// An item's key is its latent vector (embedding_dim numbers, unit length) followed by its popularity score
// rho = 1 - ln(rank) / ln(N) in [0, 1] (rank 1 is the most popular item). Popularity p(rank) ~ rank^-s
// (Zipf, s = recsim.zipf_exponent) is what SamplePopular draws from. Keys are stored in tiles of kTile items,
// each tile coordinate-major, so that BestItem reads the catalogue once, front to back, in vectorizable loops:
// the lookup is a plain float loop (a million items of 17 floats is 68 MB per lookup, memory-bound) and keeps
// LibTorch out of the environment library.
//
// Immutable after construction, so thread-safe. SharedCatalogue hands every environment of a process with the
// same catalogue options the same instance; it blocks while a catalogue is generated (about a second for a
// million items).
#pragma once

#include <cstdint>
#include <memory>
#include <random>
#include <vector>

#include "common/config.h"
#include "common/status.h"

namespace ddpg::recsys {

class Catalogue {
 public:
  static constexpr int kTile = 256;

  // latent: N x dim, row-major; popularity: N positive weights (their order sets the ranks, ties by index).
  // InvalidArgument for empty or mismatched inputs.
  static StatusOr<Catalogue> FromItems(const std::vector<float>& latent, int dim,
                                       const std::vector<double>& popularity);
  // N = catalogue_size items with latent vectors uniform on the unit sphere and Zipf popularity over a random
  // order, from catalogue_seed alone. The options must be valid (ValidateRecsimOptions).
  static Catalogue Generate(const RecsimOptions& options);

  int64_t size() const { return size_; }
  int dim() const { return dim_; }
  int key_dim() const { return dim_ + 1; }

  // Writes the key_dim() numbers of an item's key.
  void CopyKey(int64_t item, float* key) const;
  float Key(int64_t item, int coordinate) const;
  float PopularityScore(int64_t item) const { return Key(item, dim_); }
  // The item of a popularity rank, 1 = the most popular.
  int64_t ItemOfRank(int64_t rank) const { return item_by_rank_[rank - 1]; }
  // An item drawn with probability proportional to its popularity.
  int64_t SamplePopular(std::mt19937_64& rng) const;

  // The item maximizing key . action (key_dim() numbers) among those not in `excluded`; of equal scores the
  // lowest index. When no score compares (NaN actions), the lowest index not excluded. `excluded` is
  // scanned linearly, only when an item would become the best: it is meant for one episode's items.
  int64_t BestItem(const float* action, const std::vector<int64_t>& excluded) const;

 private:
  Catalogue(int64_t size, int dim);
  float& KeyRef(int64_t item, int coordinate);

  int64_t size_;
  int dim_;
  std::vector<float> tiles_;               // ceil(N / kTile) tiles of key_dim x kTile floats
  std::vector<int64_t> item_by_rank_;      // N
  std::vector<double> cumulative_weight_;  // by rank, for SamplePopular
};

// The catalogue for `options` (catalogue_seed, catalogue_size, embedding_dim, zipf_exponent), generated on
// the first request and shared while any holder keeps it. Thread-safe.
std::shared_ptr<const Catalogue> SharedCatalogue(const RecsimOptions& options);

}  // namespace ddpg::recsys
