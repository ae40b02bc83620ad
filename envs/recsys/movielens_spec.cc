#include "envs/recsys/movielens_spec.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <string>

#include "envs/recsys/item_key.h"

namespace ddpg::recsys {

namespace {

constexpr int kDefaultDim = 32;  // recsys baselines --dim

Status IntInRange(const char* key, int value, int low, int high) {
  if (value >= low && value <= high) return Status::Ok();
  return InvalidArgument(std::string(key) + " = " + std::to_string(value) + " is out of range: allowed " +
                         std::to_string(low) + " .. " + std::to_string(high));
}

}  // namespace

Status ValidateMovielensOptions(const MovielensOptions& o) {
  const Status checks[] = {
      IntInRange("movielens.history", o.history, 1, 100),
      IntInRange("movielens.episode_length", o.episode_length, 1, 1000),
      IntInRange("movielens.min_ratings", o.min_ratings, 1, 100000),
  };
  for (const Status& status : checks) {
    if (!status.ok()) return status;
  }
  if (o.split != "train" && o.split != "test")
    return InvalidArgument("movielens.split = '" + o.split + "' is neither train nor test");
  if (o.candidates != "all" && o.candidates != "rated")
    return InvalidArgument("movielens.candidates = '" + o.candidates + "' is neither all nor rated");
  if (!(o.train_fraction > 0.0 && o.train_fraction <= 1.0)) {
    return InvalidArgument("movielens.train_fraction = " + std::to_string(o.train_fraction) +
                           " is out of range: allowed (0, 1]");
  }
  if (!std::ifstream(o.ratings)) {
    return FailedPrecondition("movielens.ratings = '" + o.ratings +
                              "' cannot be read (scripts/get-movielens.sh writes data/movielens/ratings.csv)");
  }
  if (!std::ifstream(o.embeddings)) {
    return FailedPrecondition("movielens.embeddings = '" + o.embeddings +
                              "' cannot be read (write it with `recsys baselines --ratings " + o.ratings +
                              " --embeddings " + o.embeddings + "`)");
  }
  return Status::Ok();
}

EnvSpec MovieLensSpec(const MovielensOptions& options, const FactorizationFile& embeddings) {
  const int dim = embeddings.dim;
  const int key_dim = ItemKeyDim(dim);
  EnvSpec spec;
  spec.id = kMovieLensId;
  spec.act_dim = key_dim;
  spec.act_low.assign(key_dim, std::numeric_limits<float>::infinity());
  spec.act_high.assign(key_dim, -std::numeric_limits<float>::infinity());
  const std::vector<float> keys = ItemKeys(embeddings);
  for (size_t row = 0; row < embeddings.items.size(); ++row) {
    for (int j = 0; j < key_dim; ++j) {
      const float value = keys[row * key_dim + j];
      spec.act_low[j] = std::min(spec.act_low[j], value);
      spec.act_high[j] = std::max(spec.act_high[j], value);
    }
  }
  // A coordinate that is the same for every item (or no items at all) still needs a box of positive width.
  for (int j = 0; j < key_dim; ++j) {
    if (!(spec.act_high[j] > spec.act_low[j])) {
      const float center = std::isfinite(spec.act_low[j]) ? spec.act_low[j] : 0.0f;
      spec.act_low[j] = center - 1.0f;
      spec.act_high[j] = center + 1.0f;
    }
  }
  spec.obs_dim = 3 * dim;
  spec.obs_low.assign(spec.obs_dim, -std::numeric_limits<float>::infinity());
  spec.obs_high.assign(spec.obs_dim, std::numeric_limits<float>::infinity());
  spec.max_episode_steps = options.episode_length;
  return spec;
}

StatusOr<EnvSpec> LoadMovieLensSpec(const MovielensOptions& options) {
  if (Status valid = ValidateMovielensOptions(options); !valid.ok()) return valid;
  StatusOr<FactorizationFile> embeddings = LoadFactorizationFile(options.embeddings);
  // Not NotFound: to LookUpEnvSpec's callers that means an unknown environment id.
  if (!embeddings.ok()) return FailedPrecondition("movielens.embeddings: " + embeddings.status().message());
  if (embeddings->items.empty())
    return InvalidArgument("movielens.embeddings = '" + options.embeddings + "' holds no items");
  return MovieLensSpec(options, *embeddings);
}

EnvSpec MovieLensPlaceholderSpec() {
  FactorizationFile none;
  none.dim = kDefaultDim;
  return MovieLensSpec(MovielensOptions{}, none);
}

}  // namespace ddpg::recsys
