// Helpers shared by the learner agent's tests (ddpg_test.cc, td3_test.cc, ...): the reference Polyak
// averaging, options of Pendulum's sizes, batches, a temporary directory, and networks of known behaviour to
// start an agent from.
#pragma once

#include <torch/torch.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "common/networks.h"
#include "learner/ddpg.h"

namespace ddpg::agent_test {

// Textbook Polyak averaging, tensor by tensor: target <- tau * source + (1 - tau) * target. The reference
// the learner's flat PolyakUpdate (learner/flat_parameters.h) is checked against.
inline void ReferencePolyakUpdate(torch::nn::Module& target, const torch::nn::Module& source, double tau) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> target_parameters = target.parameters(), source_parameters = source.parameters();
  REQUIRE(target_parameters.size() == source_parameters.size());
  for (size_t i = 0; i < target_parameters.size(); ++i) {
    target_parameters[i].mul_(1.0 - tau).add_(source_parameters[i], tau);
  }
}

// Pendulum-v1's dimensions, with small layers so that a few hundred updates take well under a second.
inline DdpgOptions PendulumOptions(uint64_t seed, std::vector<int> hidden_sizes = {64, 64}) {
  DdpgOptions options;
  options.obs_dim = 3;
  options.act_dim = 1;
  options.hidden_sizes = std::move(hidden_sizes);
  options.act_low = {-2.0f};
  options.act_high = {2.0f};
  options.seed = seed;
  return options;
}

// A fixed batch whose rewards are a smooth function of (s, a), shaped like Pendulum's cost, so the critic
// has something learnable to regress onto. Every tenth transition terminates.
inline protocol::TransitionBatch MakeBatch(size_t n, uint32_t seed, int obs_dim = 3, int act_dim = 1) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> unit(-1.0f, 1.0f);
  protocol::TransitionBatch batch;
  batch.obs_dim = obs_dim;
  batch.act_dim = act_dim;
  for (size_t i = 0; i < n; ++i) {
    float cost = 0.0f;
    for (int j = 0; j < obs_dim; ++j) {
      const float o = unit(rng);
      batch.observations.push_back(o);
      batch.next_observations.push_back(o + 0.1f * unit(rng));
      cost += (j == 0 ? 1.0f : 0.1f) * o * o;
    }
    for (int j = 0; j < act_dim; ++j) {
      const float a = 2.0f * unit(rng);
      batch.actions.push_back(a);
      cost += 0.001f * a * a;
    }
    batch.rewards.push_back(-cost);
    batch.discounts.push_back(i % 10 == 9 ? 0.0f : 0.99f);
    batch.policy_versions.push_back(0);
  }
  return batch;
}

inline std::vector<float> ProbeObservations() { return {0.5f, -0.3f, 1.2f, -1.0f, 0.0f, 7.0f, 0.1f, 0.9f, -4.0f}; }
inline std::vector<float> ProbeActions() { return {1.5f, -0.2f, 0.0f}; }

// A directory of its own under the system's temporary directory, removed with everything in it.
class TemporaryDirectory {
 public:
  TemporaryDirectory() {
    const auto stamp = std::chrono::steady_clock::now().time_since_epoch().count();
    path_ = std::filesystem::temp_directory_path() /
            ("ddpg_test_" + std::to_string(stamp) + "_" + std::to_string(std::random_device{}()));
    std::filesystem::create_directories(path_);
  }
  ~TemporaryDirectory() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TemporaryDirectory(const TemporaryDirectory&) = delete;
  TemporaryDirectory& operator=(const TemporaryDirectory&) = delete;

  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

struct SingleThreaded {
  SingleThreaded() { torch::set_num_threads(1); }
};

// The value the shaped critic holds (see ShapedNetworks): far from zero, and depending on s and a.
inline torch::Tensor ShapedValue(const torch::Tensor& s, const torch::Tensor& a) {
  const auto s0 = s.narrow(1, 0, 1), s1 = s.narrow(1, 1, 1);
  return 5.0 + s0 - (a - s1).square();
}

struct Parameters {
  std::vector<float> actor, critic;
};

// Networks of known behaviour for the options' sizes, fitted with plain LibTorch rather than through
// DdpgAgent::Update, the code under test: a critic Q(s, a) ~ 5 + s0 - (a - s1)^2 (or `value`) and an actor
// mu(s) ~ s2 / 2.
// A fresh agent is useless to the tests below: its output layers start near zero, so Q' ~ 0 and mu' ~ 0,
// and a learner that dropped the bootstrap term, misused the discounts or fed the target critic other
// actions would still pass. The actor is far from the critic's best action a = s1, so it has room to climb.
inline Parameters ShapedNetworks(
    const DdpgOptions& options,
    const std::function<torch::Tensor(const torch::Tensor&, const torch::Tensor&)>& value = ShapedValue) {
  torch::manual_seed(101);
  Actor actor(options.obs_dim, options.act_dim, options.hidden_sizes, options.act_low, options.act_high);
  Critic critic(options.obs_dim, options.act_dim, options.hidden_sizes);
  const auto s = 2.0 * torch::rand({256, options.obs_dim}) - 1.0;
  const auto a = 4.0 * torch::rand({256, options.act_dim}) - 2.0;
  const auto q = value(s, a);
  const auto mu = 0.5 * s.narrow(1, 2, 1);
  torch::optim::Adam actor_optimizer(actor->parameters(), torch::optim::AdamOptions(3e-3));
  torch::optim::Adam critic_optimizer(critic->parameters(), torch::optim::AdamOptions(3e-3));
  for (int step = 0; step < 300; ++step) {
    critic_optimizer.zero_grad();
    torch::mse_loss(critic->forward(s, a), q).backward();
    critic_optimizer.step();
    actor_optimizer.zero_grad();
    torch::mse_loss(actor->forward(s), mu).backward();
    actor_optimizer.step();
  }
  return {FlattenParameters(*actor), FlattenParameters(*critic)};
}

inline double Mean(const std::vector<float>& values) {
  double sum = 0.0;
  for (float v : values) sum += v;
  return values.empty() ? 0.0 : sum / static_cast<double>(values.size());
}

}  // namespace ddpg::agent_test
