#include "envs/recsys/item_key.h"

namespace ddpg::recsys {

std::vector<float> ItemKeys(const FactorizationFile& embeddings) {
  const size_t dim = static_cast<size_t>(embeddings.dim);
  std::vector<float> keys;
  keys.reserve(embeddings.items.size() * (dim + 1));
  for (size_t row = 0; row < embeddings.items.size(); ++row) {
    const float* factors = embeddings.item_factors.data() + row * dim;
    keys.insert(keys.end(), factors, factors + dim);
    keys.push_back(embeddings.item_bias[row]);
  }
  return keys;
}

}  // namespace ddpg::recsys
