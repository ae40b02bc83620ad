// DdpgAgent::Update against a textbook DDPG step written here with plain LibTorch modules, autograd and
// torch::optim::Adam: the learner's update is free to compute faster (flat parameters, its own Adam,
// preallocated batches, a cheaper finite check), but its networks must follow the same mathematics.
#include <torch/torch.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

#include "agent_test_support.h"
#include "common/networks.h"
#include "learner/ddpg.h"

namespace ddpg {
namespace {

using namespace agent_test;

torch::Tensor Rows(const std::vector<float>& values, int64_t cols) { return torch::tensor(values).view({-1, cols}); }

// DDPG as Lillicrap et al. write it, with the agent's sizes and learning rates, started from its networks.
struct ReferenceDdpg {
  explicit ReferenceDdpg(const DdpgOptions& options, const DdpgAgent& agent)
      : options(options),
        actor(options.obs_dim, options.act_dim, options.hidden_sizes, options.act_low, options.act_high),
        target_actor(options.obs_dim, options.act_dim, options.hidden_sizes, options.act_low, options.act_high),
        critic(options.obs_dim, options.act_dim, options.hidden_sizes),
        target_critic(options.obs_dim, options.act_dim, options.hidden_sizes),
        actor_optimizer(actor->parameters(), torch::optim::AdamOptions(options.actor_lr)),
        critic_optimizer(critic->parameters(), torch::optim::AdamOptions(options.critic_lr)) {
    REQUIRE(LoadFlatParameters(*actor, agent.ActorParameters()).ok());
    REQUIRE(LoadFlatParameters(*target_actor, agent.TargetActorParameters()).ok());
    REQUIRE(LoadFlatParameters(*critic, agent.CriticParameters()).ok());
    REQUIRE(LoadFlatParameters(*target_critic, agent.TargetCriticParameters()).ok());
  }

  // Returns the critic and actor losses.
  std::pair<double, double> Update(const protocol::TransitionBatch& batch, const std::vector<float>& weights) {
    const auto s = Rows(batch.observations, options.obs_dim), a = Rows(batch.actions, options.act_dim);
    const auto r = Rows(batch.rewards, 1), discount = Rows(batch.discounts, 1);
    const auto next_s = Rows(batch.next_observations, options.obs_dim);
    torch::Tensor y;
    {
      torch::NoGradGuard no_grad;
      y = r + discount * target_critic->forward(next_s, target_actor->forward(next_s));
    }
    const auto squared_error = (critic->forward(s, a) - y).square();
    const auto critic_loss = weights.empty() ? squared_error.mean() : (Rows(weights, 1) * squared_error).mean();
    critic_optimizer.zero_grad();
    critic_loss.backward();
    critic_optimizer.step();

    const auto actor_loss = -critic->forward(s, actor->forward(s)).mean();
    actor_optimizer.zero_grad();
    actor_loss.backward();
    actor_optimizer.step();

    ReferencePolyakUpdate(*target_actor, *actor, options.tau);
    ReferencePolyakUpdate(*target_critic, *critic, options.tau);
    return {critic_loss.item<double>(), actor_loss.item<double>()};
  }

  DdpgOptions options;
  Actor actor, target_actor;
  Critic critic, target_critic;
  torch::optim::Adam actor_optimizer, critic_optimizer;
};

// The largest difference between two parameter vectors, relative to the largest parameter.
double RelativeDifference(const std::vector<float>& a, const std::vector<float>& b) {
  REQUIRE(a.size() == b.size());
  double largest = 0.0, difference = 0.0;
  for (size_t i = 0; i < a.size(); ++i) {
    largest = std::max(largest, static_cast<double>(std::abs(b[i])));
    difference = std::max(difference, static_cast<double>(std::abs(a[i] - b[i])));
  }
  return difference / largest;
}

// Several updates, so that Adam's moments and bias corrections, and the targets' Polyak averages, have
// moved from their first values; tau and the learning rates differ from each other so that a swapped
// rate or tau shows. Summation order may differ between the two (a GEMM over a stacked batch, a flat
// parameter vector), so parameters agree within float rounding, far below one update's change.
void CheckAgainstReference(bool weighted) {
  SingleThreaded single;
  DdpgOptions options = PendulumOptions(21, {32, 32});
  options.tau = 0.05;
  options.actor_lr = 3e-3;
  options.critic_lr = 1e-2;
  DdpgAgent agent(options);
  ReferenceDdpg reference(options, agent);
  for (int step = 0; step < 5; ++step) {
    const auto batch = MakeBatch(64, 100 + step);
    std::vector<float> weights;
    if (weighted) {
      for (size_t i = 0; i < batch.size(); ++i) weights.push_back(0.2f + 0.05f * static_cast<float>(i % 17));
    }
    const std::vector<float> actor_before = agent.ActorParameters();
    const UpdateResult result = agent.Update(batch, weights);
    const auto [critic_loss, actor_loss] = reference.Update(batch, weights);
    INFO("update " << step);
    REQUIRE(result.critic_updated);
    REQUIRE(result.actor_updated);
    CHECK(result.critic_loss == Approx(critic_loss).epsilon(1e-5));
    CHECK(result.actor_loss == Approx(actor_loss).epsilon(1e-4));
    // The tolerance is far below what one step changes.
    REQUIRE(RelativeDifference(agent.ActorParameters(), actor_before) > 1e-4);
    CHECK(RelativeDifference(agent.ActorParameters(), FlattenParameters(*reference.actor)) < 1e-6);
    CHECK(RelativeDifference(agent.CriticParameters(), FlattenParameters(*reference.critic)) < 1e-6);
    CHECK(RelativeDifference(agent.TargetActorParameters(), FlattenParameters(*reference.target_actor)) < 1e-6);
    CHECK(RelativeDifference(agent.TargetCriticParameters(), FlattenParameters(*reference.target_critic)) < 1e-6);
  }
}

TEST_CASE("DDPG updates match a textbook DDPG step", "[ddpg]") { CheckAgainstReference(/*weighted=*/false); }

TEST_CASE("weighted DDPG updates match a textbook DDPG step", "[ddpg]") { CheckAgainstReference(/*weighted=*/true); }

// bf16 rounds the hidden layers' inputs and weights to 8 significant bits: Q-values and the loss differ
// from fp32's by about bfloat16's relative precision (2^-8), and after Adam's first step, which moves every
// parameter by +-lr (m / sqrt(v) = sign(g)), a parameter differs by at most 2 lr (a tiny gradient whose sign
// the rounding flipped), not by more, and not by nothing (which would mean the products never ran in
// bfloat16).
TEST_CASE("a bf16 update follows the fp32 one within bfloat16 rounding", "[ddpg]") {
  SingleThreaded single;
  DdpgOptions options = PendulumOptions(5, {64, 64, 64});
  REQUIRE(CheckPrecisionSupport(options).ok());
  options.precision = Precision::kBf16;
  if (!CheckPrecisionSupport(options).ok()) {
    WARN("not run: this CPU has no AVX512_BF16");
    return;
  }
  DdpgAgent bf16(options);
  options.precision = Precision::kFp32;
  DdpgAgent fp32(options);
  REQUIRE(bf16.ActorParameters() == fp32.ActorParameters());
  const auto batch = MakeBatch(128, 3);
  const UpdateResult bf16_result = bf16.Update(batch);
  const UpdateResult fp32_result = fp32.Update(batch);
  CHECK(bf16_result.critic_loss == Approx(fp32_result.critic_loss).epsilon(2e-2));
  const std::vector<float> observations = ProbeObservations(), actions = ProbeActions();
  const std::vector<float> q_bf16 = bf16.QValues(observations, actions), q_fp32 = fp32.QValues(observations, actions);
  CHECK(q_bf16 != q_fp32);
  for (size_t i = 0; i < q_fp32.size(); ++i) CHECK(q_bf16[i] == Approx(q_fp32[i]).margin(2e-3));
  const std::vector<float> critic_fp32 = fp32.CriticParameters(), critic_bf16 = bf16.CriticParameters();
  double largest_difference = 0.0;
  for (size_t i = 0; i < critic_fp32.size(); ++i) {
    largest_difference = std::max(largest_difference, static_cast<double>(std::abs(critic_fp32[i] - critic_bf16[i])));
  }
  CHECK(largest_difference > 0.0);
  CHECK(largest_difference <= 2.0 * options.critic_lr + 1e-6);
}

// learner.threads = auto switches the learner between one and two intra-op threads while it trains, and the
// synchronous baseline (bench/synchronous_loop) runs on one: the threads must split the work, not change
// it. On this machine they agree bit for bit (each thread computes whole output elements); another BLAS may
// sum in another order, so a difference in the last bits is allowed, never more. A pool that raced
// (OpenBLAS's own threads under LibTorch's OpenMP ones) would show in the losses at once. At Walker2d-v4's
// sizes (256-256, batch 256), large enough that the products are split.
TEST_CASE("a TD3 update on two intra-op threads computes what it computes on one", "[ddpg]") {
  const int threads_before = torch::get_num_threads();
  DdpgOptions options;
  options.obs_dim = 17;
  options.act_dim = 6;
  options.act_low.assign(6, -2.0f);  // MakeBatch's actions span [-2, 2]
  options.act_high.assign(6, 2.0f);
  options.algorithm = Algorithm::kTd3;
  options.actor_lr = options.critic_lr = 3e-4;
  options.seed = 8;
  DdpgAgent one_thread(options), two_threads(options);
  const std::vector<float> observations(3 * 17, 0.3f),
      actions = {0.1f, -0.5f, 0.9f, 0.0f,  0.2f, -0.2f, 0.4f, 0.4f,  -0.9f,
                 1.0f, 0.0f,  0.5f, -1.0f, 0.7f, 0.1f,  0.3f, -0.3f, 0.0f};
  for (int step = 0; step < 10; ++step) {
    const auto batch = MakeBatch(256, 40 + step, 17, 6);
    // The smoothing noise comes from LibTorch's global generator: the same draws for both.
    torch::set_num_threads(1);
    torch::manual_seed(100 + step);
    const UpdateResult one = one_thread.Update(batch);
    torch::set_num_threads(2);
    torch::manual_seed(100 + step);
    const UpdateResult two = two_threads.Update(batch);
    INFO("update " << step);
    CHECK(two.critic_loss == Approx(one.critic_loss).epsilon(1e-5));
    CHECK(two.q_mean == Approx(one.q_mean).epsilon(1e-5).margin(1e-6));
    CHECK(two.actor_updated == one.actor_updated);
    if (one.actor_updated) CHECK(two.actor_loss == Approx(one.actor_loss).epsilon(1e-5).margin(1e-6));
  }
  const std::vector<float> q_one = one_thread.QValues(observations, actions),
                           q_two = two_threads.QValues(observations, actions);
  for (size_t i = 0; i < q_one.size(); ++i) CHECK(q_two[i] == Approx(q_one[i]).epsilon(1e-5).margin(1e-6));
  torch::set_num_threads(threads_before);
}

TEST_CASE("bf16 is refused on a device it is not implemented for", "[ddpg]") {
  DdpgOptions options = PendulumOptions(1);
  options.precision = Precision::kBf16;
  options.device = Device::kCuda;
  const Status status = CheckPrecisionSupport(options);
  REQUIRE_FALSE(status.ok());
  CHECK_THAT(status.message(), Catch::Contains("learner.precision = bf16"));
}

}  // namespace
}  // namespace ddpg
