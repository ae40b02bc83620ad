// Exploration noise for a batch of environments: Gaussian or Ornstein-Uhlenbeck, one process per
// environment and action dimension.
//
// AddTo adds noise of scale sigma (in action units) to K x act_dim actions in place. OU keeps per-env
// state, which ResetEnv clears at episode boundaries (Gaussian ignores it). Seeded; not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "common/config.h"

namespace ddpg {

class ExplorationNoise {
 public:
  virtual ~ExplorationNoise() = default;
  virtual void AddTo(std::vector<float>& actions) = 0;
  virtual void ResetEnv(int env_index) = 0;
};

class GaussianNoise final : public ExplorationNoise {
 public:
  GaussianNoise(std::vector<float> sigma, uint64_t seed);
  void AddTo(std::vector<float>& actions) override;
  void ResetEnv(int) override {}

 private:
  std::vector<float> sigma_;  // per action dimension
  std::mt19937_64 rng_;
  std::normal_distribution<float> normal_{0.0f, 1.0f};
};

// dx = theta (mu - x) dt + sigma sqrt(dt) N(0, 1), mu = 0, dt = 0.01 (as in Lillicrap et al. and OpenAI
// Baselines).
class OrnsteinUhlenbeckNoise final : public ExplorationNoise {
 public:
  static constexpr double kDt = 0.01;
  OrnsteinUhlenbeckNoise(std::vector<float> sigma, double theta, int num_envs, uint64_t seed);
  void AddTo(std::vector<float>& actions) override;
  void ResetEnv(int env_index) override;
  const std::vector<float>& state() const { return state_; }

 private:
  std::vector<float> sigma_;
  double theta_;
  std::vector<float> state_;  // num_envs x act_dim
  std::mt19937_64 rng_;
  std::normal_distribution<float> normal_{0.0f, 1.0f};
};

// sigma per action dimension; ou_theta is used by Ornstein-Uhlenbeck noise only.
std::unique_ptr<ExplorationNoise> MakeNoise(NoiseKind kind, std::vector<float> sigma, double ou_theta, int num_envs,
                                            uint64_t seed);

}  // namespace ddpg
