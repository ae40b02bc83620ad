// A batch of K environments of one id stepped together, with automatic reset.
//
// observations() holds the K current observations (K x obs_dim, row-major). Step takes K actions and
// fills a StepOutput: rewards, terminated, truncated, and next_observations, which are the observations
// the step produced (the final ones for finished episodes); finished environments are then reset and
// observations() holds their first observation of the next episode. Environment i is seeded with
// seed + i on construction and continues its own generator afterwards. Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "envs/environment.h"

namespace ddpg {

struct EpisodeResult {
  int env_index = 0;
  double episode_return = 0.0;
  int length = 0;
};

struct StepOutput {
  std::vector<float> rewards;
  std::vector<uint8_t> terminated;
  std::vector<uint8_t> truncated;
  std::vector<float> next_observations;
  std::vector<EpisodeResult> finished;  // episodes that ended in this step
};

class EnvBatch {
 public:
  // Fails with the registry's message for an unknown id or invalid options.
  static StatusOr<std::unique_ptr<EnvBatch>> Create(const std::string& id, int num_envs, uint64_t seed,
                                                    const EnvOptions& options = {});

  const EnvSpec& spec() const { return envs_.front()->spec(); }
  int size() const { return static_cast<int>(envs_.size()); }
  const std::vector<float>& observations() const { return observations_; }

  void Step(const std::vector<float>& actions, StepOutput& output);
  // Resets every environment (keeping generators) and clears running returns.
  void ResetAll();

 private:
  explicit EnvBatch(std::vector<std::unique_ptr<Environment>> envs, uint64_t seed);

  std::vector<std::unique_ptr<Environment>> envs_;
  std::vector<float> observations_;
  std::vector<double> running_returns_;
};

}  // namespace ddpg
