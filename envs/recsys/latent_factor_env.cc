#include "envs/recsys/latent_factor_env.h"

#include <algorithm>
#include <cmath>

#include "envs/recsys/latent_factor_spec.h"

namespace ddpg::recsys {

namespace {

RecsimOptions WithCatalogue(RecsimOptions options, const Catalogue& catalogue) {
  options.catalogue_size = static_cast<uint64_t>(catalogue.size());
  options.embedding_dim = catalogue.dim();
  return options;
}

void Normalize(std::vector<float>& vector) {
  double norm = 0.0;
  for (float x : vector) norm += static_cast<double>(x) * x;
  if (norm < 1e-24) return;
  const auto scale = static_cast<float>(1.0 / std::sqrt(norm));
  for (float& x : vector) x *= scale;
}

}  // namespace

StatusOr<std::unique_ptr<Environment>> LatentFactorEnv::Create(const EnvOptions& options) {
  if (Status valid = ValidateRecsimOptions(options.recsim); !valid.ok()) return valid;
  return std::unique_ptr<Environment>(
      std::make_unique<LatentFactorEnv>(options.recsim, SharedCatalogue(options.recsim)));
}

LatentFactorEnv::LatentFactorEnv(const RecsimOptions& options, std::shared_ptr<const Catalogue> catalogue)
    : Environment(LatentFactorSpec(WithCatalogue(options, *catalogue))),
      options_(WithCatalogue(options, *catalogue)),
      catalogue_(std::move(catalogue)),
      preference_(catalogue_->dim()),
      weighted_key_sum_(catalogue_->key_dim()),
      key_sum_(catalogue_->key_dim()),
      last_key_(catalogue_->key_dim()),
      clipped_action_(catalogue_->key_dim()),
      noise_(catalogue_->dim()) {
  recommended_.reserve(options_.episode_length);
}

double LatentFactorEnv::Logit(int64_t item) const {
  double affinity = 0.0;
  for (int j = 0; j < catalogue_->dim(); ++j)
    affinity += static_cast<double>(preference_[j]) * catalogue_->Key(item, j);
  return options_.affinity_scale * affinity + options_.popularity_weight * catalogue_->PopularityScore(item);
}

double LatentFactorEnv::ExpectedResponse(int64_t item) const { return 1.0 / (1.0 + std::exp(-Logit(item))); }

void LatentFactorEnv::OracleAction(float* action) const {
  const int dim = catalogue_->dim();
  double largest = options_.popularity_weight;
  for (int j = 0; j < dim; ++j) largest = std::max(largest, options_.affinity_scale * std::abs(preference_[j]));
  const double scale = largest > 0.0 ? 1.0 / largest : 0.0;
  for (int j = 0; j < dim; ++j) action[j] = static_cast<float>(options_.affinity_scale * preference_[j] * scale);
  action[dim] = static_cast<float>(options_.popularity_weight * scale);
}

// Gaussian with covariance I / d: a vector of expected length about 1 in any dimension.
void LatentFactorEnv::RandomDirection(std::vector<float>& out) {
  std::normal_distribution<float> normal(0.0f, static_cast<float>(1.0 / std::sqrt(catalogue_->dim())));
  for (float& x : out) x = normal(rng());
}

void LatentFactorEnv::ResetState(float* observation) {
  const int64_t anchor = catalogue_->SamplePopular(rng());
  RandomDirection(noise_);
  for (int j = 0; j < catalogue_->dim(); ++j) preference_[j] = catalogue_->Key(anchor, j) + noise_[j];
  Normalize(preference_);
  recommended_.clear();
  last_item_ = -1;
  std::fill(weighted_key_sum_.begin(), weighted_key_sum_.end(), 0.0);
  std::fill(key_sum_.begin(), key_sum_.end(), 0.0);
  std::fill(last_key_.begin(), last_key_.end(), 0.0f);
  last_response_ = 0.0f;
  response_sum_ = 0.0;
  Observe(observation);
}

StepResult LatentFactorEnv::StepState(const float* action, float* observation) {
  for (int j = 0; j < catalogue_->key_dim(); ++j) clipped_action_[j] = std::clamp(action[j], -1.0f, 1.0f);
  static const std::vector<int64_t> kNothingExcluded;
  const int64_t item =
      catalogue_->BestItem(clipped_action_.data(), options_.exclude_recommended ? recommended_ : kNothingExcluded);
  const double expected = ExpectedResponse(item);
  const double noisy = expected + options_.noise * std::normal_distribution<double>()(rng());
  const auto response = static_cast<float>(std::clamp(noisy, 0.0, 1.0));

  last_item_ = item;
  recommended_.push_back(item);
  catalogue_->CopyKey(item, last_key_.data());
  for (int j = 0; j < catalogue_->key_dim(); ++j) {
    weighted_key_sum_[j] += static_cast<double>(response) * last_key_[j];
    key_sum_[j] += last_key_[j];
  }
  last_response_ = response;
  response_sum_ += response;

  RandomDirection(noise_);
  for (int j = 0; j < catalogue_->dim(); ++j) preference_[j] += static_cast<float>(options_.drift) * noise_[j];
  Normalize(preference_);
  Observe(observation);
  return {response, false, false};
}

void LatentFactorEnv::Observe(float* observation) const {
  const int keys = catalogue_->key_dim();
  const auto steps = static_cast<double>(recommended_.size());
  const double per_step = steps > 0 ? 1.0 / steps : 0.0;
  for (int j = 0; j < keys; ++j) {
    observation[j] = static_cast<float>(weighted_key_sum_[j] * per_step);
    observation[keys + j] = static_cast<float>(key_sum_[j] * per_step);
    observation[2 * keys + j] = last_key_[j];
  }
  observation[3 * keys] = last_response_;
  observation[3 * keys + 1] = static_cast<float>(response_sum_ * per_step);
  observation[3 * keys + 2] = static_cast<float>(steps / options_.episode_length);
}

}  // namespace ddpg::recsys
