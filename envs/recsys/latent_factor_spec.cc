#include "envs/recsys/latent_factor_spec.h"

#include <cmath>
#include <sstream>
#include <string>

namespace ddpg::recsys {

namespace {

template <typename T>
std::string Text(T value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

template <typename T>
Status InRange(const char* key, T value, T low, T high) {
  if constexpr (std::is_floating_point_v<T>) {
    if (!std::isfinite(value))
      return InvalidArgument(std::string(key) + " = " + Text(value) + " is not a finite number");
  }
  if (value >= low && value <= high) return Status::Ok();
  return InvalidArgument(std::string(key) + " = " + Text(value) + " is out of range: allowed " + Text(low) + " .. " +
                         Text(high));
}

}  // namespace

Status ValidateRecsimOptions(const RecsimOptions& o) {
  const Status checks[] = {
      InRange<uint64_t>("recsim.catalogue_size", o.catalogue_size, 1000, 1000000),
      InRange("recsim.embedding_dim", o.embedding_dim, 2, 256),
      // At most the smallest catalogue, so that excluding recommended items never runs out of items.
      InRange("recsim.episode_length", o.episode_length, 1, 1000),
      InRange("recsim.zipf_exponent", o.zipf_exponent, 0.0, 5.0),
      InRange("recsim.affinity_scale", o.affinity_scale, 0.0, 100.0),
      InRange("recsim.popularity_weight", o.popularity_weight, 0.0, 100.0),
      InRange("recsim.drift", o.drift, 0.0, 1.0),
      InRange("recsim.noise", o.noise, 0.0, 1.0),
  };
  for (const Status& status : checks) {
    if (!status.ok()) return status;
  }
  return Status::Ok();
}

EnvSpec LatentFactorSpec(const RecsimOptions& options) {
  const int key_dim = KeyDim(options);
  EnvSpec spec;
  spec.id = kLatentFactorId;
  spec.act_dim = key_dim;
  spec.act_low.assign(key_dim, -1.0f);
  spec.act_high.assign(key_dim, 1.0f);
  // Three key-space summaries (latent coordinates in [-1, 1], popularity in [0, 1]), then three numbers in
  // [0, 1]: the last response, the mean response and the fraction of the episode gone.
  spec.obs_dim = 3 * key_dim + 3;
  spec.obs_low.assign(spec.obs_dim, -1.0f);
  spec.obs_high.assign(spec.obs_dim, 1.0f);
  for (int i = 3 * key_dim; i < spec.obs_dim; ++i) spec.obs_low[i] = 0.0f;
  spec.max_episode_steps = options.episode_length;
  return spec;
}

}  // namespace ddpg::recsys
