#include "envs/env_batch.h"

#include <algorithm>

#include "envs/registry.h"

namespace ddpg {

StatusOr<std::unique_ptr<EnvBatch>> EnvBatch::Create(const std::string& id, int num_envs, uint64_t seed,
                                                     const EnvOptions& options) {
  if (num_envs < 1) return InvalidArgument("an environment batch needs at least one environment");
  std::vector<std::unique_ptr<Environment>> envs;
  for (int i = 0; i < num_envs; ++i) {
    auto env = MakeEnvironment(id, options);
    if (!env.ok()) return env.status();
    envs.push_back(std::move(*env));
  }
  return std::unique_ptr<EnvBatch>(new EnvBatch(std::move(envs), seed));
}

EnvBatch::EnvBatch(std::vector<std::unique_ptr<Environment>> envs, uint64_t seed)
    : envs_(std::move(envs)),
      observations_(envs_.size() * envs_.front()->spec().obs_dim),
      running_returns_(envs_.size(), 0.0) {
  const int obs_dim = spec().obs_dim;
  for (size_t i = 0; i < envs_.size(); ++i) envs_[i]->Reset(seed + i, observations_.data() + i * obs_dim);
}

void EnvBatch::ResetAll() {
  const int obs_dim = spec().obs_dim;
  for (size_t i = 0; i < envs_.size(); ++i) envs_[i]->Reset(observations_.data() + i * obs_dim);
  std::fill(running_returns_.begin(), running_returns_.end(), 0.0);
}

void EnvBatch::Step(const std::vector<float>& actions, StepOutput& output) {
  const int obs_dim = spec().obs_dim;
  const int act_dim = spec().act_dim;
  const size_t n = envs_.size();
  output.rewards.resize(n);
  output.terminated.resize(n);
  output.truncated.resize(n);
  output.next_observations.resize(n * obs_dim);
  output.finished.clear();
  for (size_t i = 0; i < n; ++i) {
    float* next = output.next_observations.data() + i * obs_dim;
    const StepResult result = envs_[i]->Step(actions.data() + i * act_dim, next);
    output.rewards[i] = result.reward;
    output.terminated[i] = result.terminated;
    output.truncated[i] = result.truncated;
    running_returns_[i] += result.reward;
    float* current = observations_.data() + i * obs_dim;
    if (result.terminated || result.truncated) {
      output.finished.push_back({static_cast<int>(i), running_returns_[i], envs_[i]->elapsed_steps()});
      running_returns_[i] = 0.0;
      envs_[i]->Reset(current);
    } else {
      std::copy(next, next + obs_dim, current);
    }
  }
}

}  // namespace ddpg
