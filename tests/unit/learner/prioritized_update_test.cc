// Tests of the agent's update under prioritized replay (learner/ddpg.h): importance weights in the critics'
// loss, mean_i(w_i * delta_i^2), and the per-sample priorities it returns, |delta_i| (TD3: the mean of both
// critics'), for DDPG and TD3.
#include <torch/torch.h>

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <vector>

#include "agent_test_support.h"
#include "learner/ddpg.h"

namespace ddpg {
namespace {

using namespace agent_test;

constexpr size_t kBatch = 32;

std::vector<float> AllParameters(const DdpgAgent& agent) {
  std::vector<float> all;
  for (const std::vector<float>& part :
       {agent.ActorParameters(), agent.TargetActorParameters(), agent.CriticParameters(0),
        agent.TargetCriticParameters(0), agent.CriticParameters(1), agent.TargetCriticParameters(1)}) {
    all.insert(all.end(), part.begin(), part.end());
  }
  return all;
}

DdpgOptions Options(Algorithm algorithm) {
  DdpgOptions options = PendulumOptions(7);
  options.algorithm = algorithm;
  options.policy_delay = 1;    // TD3's actor steps too, so every network takes part
  options.policy_noise = 0.0;  // TD3's target is then a function of the batch: see the priorities test
  return options;
}

// Weights of 1 make the weighted loss mean(1 * delta^2), the plain mean squared error: the same loss and,
// up to rounding of the differently ordered gradient arithmetic, the same networks after 20 updates.
TEST_CASE("importance weights of 1 give the unweighted update", "[prioritized_update]") {
  SingleThreaded single;
  for (Algorithm algorithm : {Algorithm::kDdpg, Algorithm::kTd3}) {
    INFO(ConfigEnumName(algorithm));
    DdpgAgent unweighted(Options(algorithm));
    DdpgAgent weighted(Options(algorithm));
    const std::vector<float> ones(kBatch, 1.0f);
    for (uint32_t step = 0; step < 20; ++step) {
      const protocol::TransitionBatch batch = MakeBatch(kBatch, 50 + step);
      const UpdateResult plain = unweighted.Update(batch);
      const UpdateResult with_ones = weighted.Update(batch, ones);
      CHECK(plain.priorities.empty());
      CHECK(with_ones.priorities.size() == kBatch);
      CHECK(with_ones.critic_loss == Approx(plain.critic_loss).epsilon(1e-5));
    }
    const std::vector<float> a = AllParameters(unweighted), b = AllParameters(weighted);
    REQUIRE(a.size() == b.size());
    float largest_difference = 0.0f;
    for (size_t i = 0; i < a.size(); ++i) largest_difference = std::max(largest_difference, std::abs(a[i] - b[i]));
    INFO("largest parameter difference " << largest_difference);
    CHECK(largest_difference < 1e-5f);
  }
}

// Sample 5 gets weight 0 and an absurd reward and next observation in one of two otherwise identical
// batches: its gradient must be exactly zero, so both agents end bit-identical, critics, actor and
// targets alike. With weight 1 the same change moves them apart (the control). Catches an update that
// ignores the weights, weighs after averaging, or weighs only one of TD3's critics.
TEST_CASE("a sample of importance weight 0 contributes nothing to the update", "[prioritized_update]") {
  SingleThreaded single;
  for (Algorithm algorithm : {Algorithm::kDdpg, Algorithm::kTd3}) {
    INFO(ConfigEnumName(algorithm));
    const protocol::TransitionBatch batch = MakeBatch(kBatch, 3);
    protocol::TransitionBatch changed = batch;
    changed.rewards[5] = 250.0f;
    for (int j = 0; j < 3; ++j) changed.next_observations[5 * 3 + j] = 9.0f;
    std::vector<float> weights(kBatch);
    for (size_t i = 0; i < kBatch; ++i) weights[i] = 0.25f + 0.75f * static_cast<float>(i) / kBatch;
    for (float weight_of_5 : {0.0f, 1.0f}) {
      INFO("weight of sample 5: " << weight_of_5);
      weights[5] = weight_of_5;
      DdpgAgent original(Options(algorithm));
      DdpgAgent other(Options(algorithm));
      for (int step = 0; step < 3; ++step) {
        original.Update(batch, weights);
        other.Update(changed, weights);
      }
      if (weight_of_5 == 0.0f) {
        CHECK(AllParameters(original) == AllParameters(other));
      } else {
        CHECK(AllParameters(original) != AllParameters(other));
      }
    }
  }
}

// The target y = r + discount * Q'(s', mu'(s')) (TD3 without smoothing noise: the minimum of the target
// critics) and Q(s, a) of each online critic are computed here before the update, from the agent's own
// networks; the update must report |Q - y| as priorities (TD3: the mean over both critics) and
// mean(w * (Q - y)^2) as the critic loss (TD3: the mean of both critics' losses). The twins are given
// different shapes so that the first critic's errors alone, or the larger of the two, differ clearly.
TEST_CASE("the update reports |TD error| as priorities and the importance-weighted loss", "[prioritized_update]") {
  SingleThreaded single;
  for (Algorithm algorithm : {Algorithm::kDdpg, Algorithm::kTd3}) {
    INFO(ConfigEnumName(algorithm));
    const DdpgOptions options = Options(algorithm);
    DdpgAgent agent(options);
    const Parameters shaped = ShapedNetworks(options);
    REQUIRE(agent.SetParameters(shaped.actor, shaped.critic).ok());
    if (algorithm == Algorithm::kTd3) {
      const auto twin = [](const torch::Tensor& s, const torch::Tensor& a) {
        return ShapedValue(s, a) + s.narrow(1, 2, 1);
      };
      REQUIRE(agent.SetCriticParameters(1, ShapedNetworks(options, twin).critic).ok());
    }
    const protocol::TransitionBatch batch = MakeBatch(kBatch, 11);
    const std::vector<float> next_actions = agent.TargetAct(batch.next_observations);
    std::vector<std::vector<float>> next_q, q;
    for (int critic = 0; critic < agent.critic_count(); ++critic) {
      next_q.push_back(agent.TargetQValues(batch.next_observations, next_actions, critic));
      q.push_back(agent.QValues(batch.observations, batch.actions, critic));
    }
    std::vector<float> weights(kBatch);
    for (size_t i = 0; i < kBatch; ++i) weights[i] = static_cast<float>((i * 7) % kBatch + 1) / kBatch;

    const UpdateResult result = agent.Update(batch, weights);
    REQUIRE(result.critic_updated);
    REQUIRE(result.priorities.size() == kBatch);
    double expected_loss = 0.0;
    double differs_from_first = 0.0;
    for (size_t i = 0; i < kBatch; ++i) {
      double y_next = next_q[0][i];
      for (const auto& values : next_q) y_next = std::min<double>(y_next, values[i]);
      const double y = batch.rewards[i] + static_cast<double>(batch.discounts[i]) * y_next;
      double priority = 0.0;
      for (const auto& values : q) {
        const double delta = values[i] - y;
        priority += std::abs(delta) / static_cast<double>(q.size());
        expected_loss += weights[i] * delta * delta / static_cast<double>(kBatch * q.size());
      }
      differs_from_first = std::max(differs_from_first, std::abs(priority - std::abs(q[0][i] - y)));
      INFO("row " << i);
      CHECK(result.priorities[i] == Approx(priority).epsilon(1e-4).margin(1e-5));
    }
    CHECK(result.critic_loss == Approx(expected_loss).epsilon(1e-4));
    if (algorithm == Algorithm::kTd3) CHECK(differs_from_first > 0.1);  // the test can tell the twins apart
  }
}

TEST_CASE("an update with the wrong number of importance weights takes no step", "[prioritized_update]") {
  SingleThreaded single;
  DdpgAgent agent(Options(Algorithm::kDdpg));
  const std::vector<float> before = AllParameters(agent);
  const UpdateResult result = agent.Update(MakeBatch(kBatch, 1), std::vector<float>(kBatch - 1, 1.0f));
  CHECK_FALSE(result.critic_updated);
  CHECK(std::isnan(result.critic_loss));
  CHECK(result.priorities.empty());
  CHECK(AllParameters(agent) == before);
}

}  // namespace
}  // namespace ddpg
