#include "envs/recsys/catalogue.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <mutex>
#include <numeric>
#include <tuple>

namespace ddpg::recsys {

Catalogue::Catalogue(int64_t size, int dim)
    : size_(size),
      dim_(dim),
      tiles_(static_cast<size_t>((size + kTile - 1) / kTile) * (dim + 1) * kTile, 0.0f),
      item_by_rank_(size),
      cumulative_weight_(size) {}

float& Catalogue::KeyRef(int64_t item, int coordinate) {
  return tiles_[(static_cast<size_t>(item / kTile) * key_dim() + coordinate) * kTile + item % kTile];
}

float Catalogue::Key(int64_t item, int coordinate) const {
  return tiles_[(static_cast<size_t>(item / kTile) * key_dim() + coordinate) * kTile + item % kTile];
}

void Catalogue::CopyKey(int64_t item, float* key) const {
  for (int j = 0; j < key_dim(); ++j) key[j] = Key(item, j);
}

StatusOr<Catalogue> Catalogue::FromItems(const std::vector<float>& latent, int dim,
                                         const std::vector<double>& popularity) {
  if (dim < 1 || popularity.empty() || latent.size() != popularity.size() * dim) {
    return InvalidArgument("a catalogue needs N >= 1 items of dim >= 1 latent numbers and N popularity weights; got " +
                           std::to_string(latent.size()) + " latent numbers, dim " + std::to_string(dim) + ", " +
                           std::to_string(popularity.size()) + " weights");
  }
  for (double weight : popularity) {
    if (!(weight > 0.0) || !std::isfinite(weight)) return InvalidArgument("popularity weights must be positive");
  }
  const auto size = static_cast<int64_t>(popularity.size());
  Catalogue catalogue(size, dim);
  for (int64_t item = 0; item < size; ++item) {
    for (int j = 0; j < dim; ++j) catalogue.KeyRef(item, j) = latent[item * dim + j];
  }
  std::iota(catalogue.item_by_rank_.begin(), catalogue.item_by_rank_.end(), 0);
  std::stable_sort(catalogue.item_by_rank_.begin(), catalogue.item_by_rank_.end(),
                   [&](int64_t a, int64_t b) { return popularity[a] > popularity[b]; });
  // rho = 1 - ln(rank) / ln(N): 1 for the most popular item, 0 for the least.
  const double log_size = std::log(static_cast<double>(std::max<int64_t>(size, 2)));
  double total = 0.0;
  for (int64_t rank = 1; rank <= size; ++rank) {
    const int64_t item = catalogue.item_by_rank_[rank - 1];
    catalogue.KeyRef(item, dim) = static_cast<float>(1.0 - std::log(static_cast<double>(rank)) / log_size);
    total += popularity[item];
    catalogue.cumulative_weight_[rank - 1] = total;
  }
  return catalogue;
}

Catalogue Catalogue::Generate(const RecsimOptions& options) {
  const auto size = static_cast<int64_t>(options.catalogue_size);
  const int dim = options.embedding_dim;
  std::seed_seq sequence{static_cast<uint32_t>(options.catalogue_seed),
                         static_cast<uint32_t>(options.catalogue_seed >> 32), 0x63617461u};
  std::mt19937_64 rng(sequence);
  std::normal_distribution<float> normal;
  std::vector<float> latent(static_cast<size_t>(size) * dim);
  for (int64_t item = 0; item < size; ++item) {
    float* vector = latent.data() + item * dim;
    double norm = 0.0;
    // A zero draw has probability 0 in exact arithmetic; redrawing keeps the unit norm well defined.
    while (norm < 1e-12) {
      norm = 0.0;
      for (int j = 0; j < dim; ++j) {
        vector[j] = normal(rng);
        norm += static_cast<double>(vector[j]) * vector[j];
      }
    }
    const auto scale = static_cast<float>(1.0 / std::sqrt(norm));
    for (int j = 0; j < dim; ++j) vector[j] *= scale;
  }
  // Ranks are a random order of the items, independent of their vectors: popularity is not a direction.
  std::vector<int64_t> order(size);
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<double> popularity(size);
  for (int64_t rank = 1; rank <= size; ++rank) {
    popularity[order[rank - 1]] = std::pow(static_cast<double>(rank), -options.zipf_exponent);
  }
  // Ties (zipf_exponent = 0) rank by index, so the popularity scores still spread over [0, 1].
  auto catalogue = FromItems(latent, dim, popularity);
  return std::move(*catalogue);
}

int64_t Catalogue::SamplePopular(std::mt19937_64& rng) const {
  const double draw = std::uniform_real_distribution<double>(0.0, cumulative_weight_.back())(rng);
  const auto rank =
      std::upper_bound(cumulative_weight_.begin(), cumulative_weight_.end(), draw) - cumulative_weight_.begin();
  return item_by_rank_[std::min<int64_t>(rank, size_ - 1)];
}

int64_t Catalogue::BestItem(const float* action, const std::vector<int64_t>& excluded) const {
  const int keys = key_dim();
  const auto is_excluded = [&](int64_t item) {
    return std::find(excluded.begin(), excluded.end(), item) != excluded.end();
  };
  float best_score = -std::numeric_limits<float>::infinity();
  int64_t best = -1;
  float scores[kTile];
  for (int64_t first = 0; first < size_; first += kTile) {
    const float* tile = tiles_.data() + static_cast<size_t>(first / kTile) * keys * kTile;
    std::fill(scores, scores + kTile, 0.0f);
    for (int j = 0; j < keys; ++j) {
      const float weight = action[j];
      const float* column = tile + j * kTile;
      for (int i = 0; i < kTile; ++i) scores[i] += weight * column[i];
    }
    const int count = static_cast<int>(std::min<int64_t>(kTile, size_ - first));
    for (int i = 0; i < count; ++i) {
      if (scores[i] > best_score && !is_excluded(first + i)) {
        best_score = scores[i];
        best = first + i;
      }
    }
  }
  if (best >= 0) return best;
  for (int64_t item = 0; item < size_; ++item) {
    if (!is_excluded(item)) return item;
  }
  return 0;
}

std::shared_ptr<const Catalogue> SharedCatalogue(const RecsimOptions& options) {
  using CacheKey = std::tuple<uint64_t, uint64_t, int, double>;
  static std::mutex mutex;
  static std::map<CacheKey, std::weak_ptr<const Catalogue>> cache;
  const CacheKey key{options.catalogue_seed, options.catalogue_size, options.embedding_dim, options.zipf_exponent};
  std::lock_guard<std::mutex> lock(mutex);
  if (auto shared = cache[key].lock()) return shared;
  auto catalogue = std::make_shared<const Catalogue>(Catalogue::Generate(options));
  cache[key] = catalogue;
  return catalogue;
}

}  // namespace ddpg::recsys
