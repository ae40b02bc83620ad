#include "common/noise.h"

#include <cmath>

namespace ddpg {

GaussianNoise::GaussianNoise(std::vector<float> sigma, uint64_t seed) : sigma_(std::move(sigma)), rng_(seed) {}

void GaussianNoise::AddTo(std::vector<float>& actions) {
  const size_t dims = sigma_.size();
  for (size_t i = 0; i < actions.size(); ++i) actions[i] += sigma_[i % dims] * normal_(rng_);
}

OrnsteinUhlenbeckNoise::OrnsteinUhlenbeckNoise(std::vector<float> sigma, double theta, int num_envs, uint64_t seed)
    : sigma_(std::move(sigma)), theta_(theta), state_(num_envs * sigma_.size(), 0.0f), rng_(seed) {}

void OrnsteinUhlenbeckNoise::AddTo(std::vector<float>& actions) {
  const size_t dims = sigma_.size();
  const float sqrt_dt = static_cast<float>(std::sqrt(kDt));
  for (size_t i = 0; i < actions.size() && i < state_.size(); ++i) {
    float& x = state_[i];
    x += static_cast<float>(theta_ * -x * kDt) + sigma_[i % dims] * sqrt_dt * normal_(rng_);
    actions[i] += x;
  }
}

void OrnsteinUhlenbeckNoise::ResetEnv(int env_index) {
  const size_t dims = sigma_.size();
  for (size_t d = 0; d < dims; ++d) state_[env_index * dims + d] = 0.0f;
}

std::unique_ptr<ExplorationNoise> MakeNoise(NoiseKind kind, std::vector<float> sigma, double ou_theta, int num_envs,
                                            uint64_t seed) {
  switch (kind) {
    case NoiseKind::kOrnsteinUhlenbeck:
      return std::make_unique<OrnsteinUhlenbeckNoise>(std::move(sigma), ou_theta, num_envs, seed);
    case NoiseKind::kGaussian: break;
  }
  return std::make_unique<GaussianNoise>(std::move(sigma), seed);
}

}  // namespace ddpg
