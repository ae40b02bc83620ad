// Tests of TD3 (Fujimoto et al. 2018) in the learner's agent (learner/ddpg.h, algorithm = td3): the twin
// critics' regression target with the minimum of the target critics, target policy smoothing, the delayed
// actor and target updates, the actor ascending Q1, and checkpoints that record the algorithm.
#include <torch/torch.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "agent_test_support.h"
#include "common/networks.h"
#include "learner/ddpg.h"

namespace ddpg {
namespace {

using namespace agent_test;

DdpgOptions Td3Options(uint64_t seed) {
  DdpgOptions options = PendulumOptions(seed);
  options.algorithm = Algorithm::kTd3;
  return options;
}

// A second critic shape for the twin: the first one's value plus 1.5 * s2, so the twin is the smaller of
// the two where s2 < 0 and the larger where s2 > 0, by up to 1.5.
torch::Tensor TwinValue(const torch::Tensor& s, const torch::Tensor& a) {
  return ShapedValue(s, a) + 1.5 * s.narrow(1, 2, 1);
}

// Q2 of the actor test: the first shape's parabola mirrored, with its best action at a = -s1 instead of s1.
torch::Tensor MirroredValue(const torch::Tensor& s, const torch::Tensor& a) {
  const auto s0 = s.narrow(1, 0, 1), s1 = s.narrow(1, 1, 1);
  return 5.0 + s0 - (a + s1).square();
}

// A closed trajectory of n states (as in ddpg_test.cc): row i goes from s_i to s_{(i+1) mod n} with the
// target actor's action, so that every s' is a state the online critics are fitted at too. Discounts cycle
// through 0, 0.99, 0.5, 0.9; rewards alternate in sign with magnitudes 0.5 .. 1.5.
protocol::TransitionBatch ClosedTrajectory(const DdpgAgent& agent, int n, uint32_t seed) {
  const std::vector<float> discount_cycle = {0.0f, 0.99f, 0.5f, 0.9f};
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> unit(-1.0f, 1.0f);
  protocol::TransitionBatch batch;
  batch.obs_dim = 3;
  batch.act_dim = 1;
  for (int i = 0; i < 3 * n; ++i) batch.observations.push_back(unit(rng));
  batch.actions = agent.TargetAct(batch.observations);
  batch.next_observations.assign(batch.observations.begin() + 3, batch.observations.end());
  batch.next_observations.insert(batch.next_observations.end(), batch.observations.begin(),
                                 batch.observations.begin() + 3);
  for (int i = 0; i < n; ++i) {
    const float magnitude = 0.5f + 0.5f * (unit(rng) + 1.0f);
    batch.rewards.push_back(i % 2 == 0 ? magnitude : -magnitude);
    batch.discounts.push_back(discount_cycle[i % discount_cycle.size()]);
    batch.policy_versions.push_back(0);
  }
  return batch;
}

// Both twin critics regress onto r + discount * min(Q1', Q2')(s', mu'(s')) with the target networks. Smoothing
// is off (policy_noise 0) and tau = 0 freezes the targets, so the fixed point is computed here from
// TargetQValues of each target critic. The target twin is Q1' + 1.5 s2', so the minimum is Q1' on some rows
// and Q2' on others, by a margin the tolerance cannot hide. Catches: the maximum or the mean of the two
// instead of the minimum, one target critic only, each critic bootstrapping from its own target, the twin
// regressing onto anything but the shared target.
TEST_CASE("TD3 without smoothing noise: both critics converge to r + discount * min(Q1', Q2')(s', mu'(s'))") {
  SingleThreaded single;
  DdpgOptions options = Td3Options(1);
  options.tau = 0.0;
  options.policy_noise = 0.0;
  options.critic_lr = 3e-3;
  DdpgAgent agent(options);
  REQUIRE(agent.critic_count() == 2);
  const Parameters shaped = ShapedNetworks(options);
  REQUIRE(agent.SetParameters(shaped.actor, shaped.critic).ok());
  REQUIRE(agent.SetCriticParameters(1, ShapedNetworks(options, TwinValue).critic).ok());

  constexpr int n = 16;
  const protocol::TransitionBatch batch = ClosedTrajectory(agent, n, 5);
  const auto next_actions = agent.TargetAct(batch.next_observations);
  REQUIRE(agent.TargetPolicyActions(batch.next_observations) == next_actions);  // no noise
  const auto next_q1 = agent.TargetQValues(batch.next_observations, next_actions, 0);
  const auto next_q2 = agent.TargetQValues(batch.next_observations, next_actions, 1);
  std::vector<double> expected(n);
  int twin_smaller = 0, first_smaller = 0;
  for (int i = 0; i < n; ++i) {
    expected[i] = batch.rewards[i] + static_cast<double>(batch.discounts[i]) * std::min(next_q1[i], next_q2[i]);
    // Rows where choosing the wrong critic would move the target by more than the tolerance.
    if (batch.discounts[i] * std::abs(next_q1[i] - next_q2[i]) > 0.2)
      (next_q2[i] < next_q1[i] ? twin_smaller : first_smaller)++;
  }
  REQUIRE(twin_smaller >= 2);
  REQUIRE(first_smaller >= 2);

  const auto target_critics = std::vector{agent.TargetCriticParameters(0), agent.TargetCriticParameters(1)};
  for (int step = 0; step < 1500; ++step) agent.Update(batch);
  REQUIRE(agent.TargetCriticParameters(0) == target_critics[0]);
  REQUIRE(agent.TargetCriticParameters(1) == target_critics[1]);

  for (int critic = 0; critic < 2; ++critic) {
    const auto q = agent.QValues(batch.observations, batch.actions, critic);
    for (int i = 0; i < n; ++i) {
      INFO("critic " << critic << ", row " << i << ": r " << batch.rewards[i] << ", discount " << batch.discounts[i]
                     << ", Q1' " << next_q1[i] << ", Q2' " << next_q2[i] << ", Q " << q[i] << ", expected "
                     << expected[i]);
      CHECK(std::abs(q[i] - expected[i]) < 0.05);
    }
  }
}

// With smoothing on, the fixed point is the expectation over the noise of r + discount * min(Q1', Q2')(s', a')
// with a' = clip(mu'(s') + clipped noise). It is estimated here by Monte Carlo from TargetPolicyActions. The
// shaped critics are parabolas in a, so the noise lowers every bootstrapped target, by 0.23 on average: a
// target that ignored the smoothing noise would sit that far above. Each update draws new noise, so the
// critic hovers around the fixed point; the test averages its last 1000 updates' values. Per row, the
// optimizer's noise leaves errors of up to about 0.13 (seen across learning rates 1e-3 .. 3e-3 and up to
// 8000 updates), with either sign, so rows are checked loosely and the mean over rows tightly.
TEST_CASE("TD3 with smoothing noise: the critics converge to the expected target over the smoothing noise") {
  SingleThreaded single;
  DdpgOptions options = Td3Options(3);
  options.tau = 0.0;
  options.policy_noise = 0.4;
  options.noise_clip = 0.5;
  options.critic_lr = 3e-3;
  DdpgAgent agent(options);
  const Parameters shaped = ShapedNetworks(options);
  REQUIRE(agent.SetParameters(shaped.actor, shaped.critic).ok());
  REQUIRE(agent.SetCriticParameters(1, ShapedNetworks(options, TwinValue).critic).ok());

  constexpr int n = 16;
  constexpr int kDraws = 4000;
  const protocol::TransitionBatch batch = ClosedTrajectory(agent, n, 7);
  std::vector<float> repeated;
  for (int draw = 0; draw < kDraws; ++draw) {
    repeated.insert(repeated.end(), batch.next_observations.begin(), batch.next_observations.end());
  }
  const auto smoothed = agent.TargetPolicyActions(repeated);
  const auto q1 = agent.TargetQValues(repeated, smoothed, 0);
  const auto q2 = agent.TargetQValues(repeated, smoothed, 1);
  const auto next_actions = agent.TargetAct(batch.next_observations);
  const auto noise_free = std::vector{agent.TargetQValues(batch.next_observations, next_actions, 0),
                                      agent.TargetQValues(batch.next_observations, next_actions, 1)};
  std::vector<double> expected(n, 0.0);
  double mean_shift = 0.0;  // how much the noise lowers the targets, on average over the rows
  for (int i = 0; i < n; ++i) {
    double sum = 0.0;
    for (int draw = 0; draw < kDraws; ++draw) sum += std::min(q1[draw * n + i], q2[draw * n + i]);
    const double smoothed_value = sum / kDraws;
    expected[i] = batch.rewards[i] + batch.discounts[i] * smoothed_value;
    mean_shift += batch.discounts[i] * (std::min(noise_free[0][i], noise_free[1][i]) - smoothed_value) / n;
  }
  INFO("mean effect of the smoothing on a target: " << mean_shift);
  REQUIRE(mean_shift > 0.2);

  for (int step = 0; step < 3000; ++step) agent.Update(batch);
  constexpr int kAveraged = 1000;
  std::vector<std::vector<double>> q(2, std::vector<double>(n, 0.0));
  for (int step = 0; step < kAveraged; ++step) {
    agent.Update(batch);
    for (int critic = 0; critic < 2; ++critic) {
      const auto values = agent.QValues(batch.observations, batch.actions, critic);
      for (int i = 0; i < n; ++i) q[critic][i] += values[i] / kAveraged;
    }
  }
  for (int critic = 0; critic < 2; ++critic) {
    double mean_error = 0.0;
    for (int i = 0; i < n; ++i) {
      INFO("critic " << critic << ", row " << i << ": discount " << batch.discounts[i] << ", Q " << q[critic][i]
                     << ", expected " << expected[i]);
      CHECK(std::abs(q[critic][i] - expected[i]) < 0.2);
      mean_error += (q[critic][i] - expected[i]) / n;
    }
    INFO("critic " << critic << ": mean Q - expected over the rows " << mean_error);
    CHECK(std::abs(mean_error) < 0.05);
  }
}

// The smoothed target action a' = clip(mu'(s') + clip(eps, -c, c) * half_range, low, high). Two action
// dimensions with different half-ranges (1 and 1.5) catch noise scaled by the wrong dimension's range, by
// the full range or not at all.
TEST_CASE("TD3's smoothing noise has std policy_noise and stays within noise_clip, in action half-ranges") {
  SingleThreaded single;
  DdpgOptions options = Td3Options(4);
  options.act_dim = 2;
  options.act_low = {-1.0f, 0.0f};
  options.act_high = {1.0f, 3.0f};
  const std::vector<double> half_range = {1.0, 1.5};
  constexpr int kSamples = 20000;
  const std::vector<float> observations(3 * kSamples, 0.25f);

  // A fresh actor's output layer starts near zero, so mu'(s) sits near the middle of the bounds and the
  // noise below never reaches them.
  auto deviations = [&](const DdpgAgent& agent) {
    const auto mu = agent.TargetAct(observations);
    const auto smoothed = agent.TargetPolicyActions(observations);
    REQUIRE(smoothed.size() == mu.size());
    std::vector<std::vector<double>> per_dimension(2);
    for (size_t i = 0; i < mu.size(); ++i) per_dimension[i % 2].push_back((smoothed[i] - mu[i]) / half_range[i % 2]);
    return per_dimension;
  };

  SECTION("a clip the noise rarely reaches: mean 0, std policy_noise") {
    options.policy_noise = 0.2;
    options.noise_clip = 0.5;
    DdpgAgent agent(options);
    for (const std::vector<double>& noise : deviations(agent)) {
      double sum = 0.0, squares = 0.0, largest = 0.0;
      for (double value : noise) {
        sum += value;
        squares += value * value;
        largest = std::max(largest, std::abs(value));
      }
      const double mean = sum / noise.size();
      const double std = std::sqrt(squares / noise.size() - mean * mean);
      INFO("mean " << mean << ", std " << std << ", largest " << largest);
      CHECK(std::abs(mean) < 0.01);
      // N(0, 0.2) clipped at 2.5 standard deviations has std 0.197.
      CHECK(std == Approx(0.197).margin(0.006));
      CHECK(largest <= 0.5 + 1e-5);
    }
  }
  SECTION("a clip the noise usually reaches: no deviation beyond noise_clip, most of them at it") {
    options.policy_noise = 1.0;
    options.noise_clip = 0.3;
    DdpgAgent agent(options);
    for (const std::vector<double>& noise : deviations(agent)) {
      size_t at_clip = 0;
      double largest = 0.0;
      for (double value : noise) {
        largest = std::max(largest, std::abs(value));
        at_clip += std::abs(std::abs(value) - 0.3) < 1e-4;
      }
      INFO("largest " << largest << ", at the clip " << at_clip << " of " << noise.size());
      CHECK(largest <= 0.3 + 1e-5);
      // P(|N(0, 1)| > 0.3) = 0.76.
      CHECK(static_cast<double>(at_clip) / noise.size() == Approx(0.764).margin(0.02));
    }
  }
  SECTION("an action at its bound stays within the bounds") {
    options.policy_noise = 0.2;
    options.noise_clip = 0.5;
    DdpgAgent agent(options);
    // Zero weights and output biases of +20 and -20: mu'(s) = tanh(+-20) at the upper bound of dimension 0
    // and the lower bound of dimension 1, for every s.
    std::vector<float> actor(agent.ActorParameters().size(), 0.0f);
    actor[actor.size() - 2] = 20.0f;
    actor[actor.size() - 1] = -20.0f;
    REQUIRE(agent.SetParameters(actor, agent.CriticParameters()).ok());
    const auto smoothed = agent.TargetPolicyActions(observations);
    size_t on_bound = 0;
    for (size_t i = 0; i < smoothed.size(); i += 2) {
      REQUIRE(smoothed[i] <= 1.0f);
      REQUIRE(smoothed[i] >= 0.5f - 1e-5f);
      REQUIRE(smoothed[i + 1] >= 0.0f);
      REQUIRE(smoothed[i + 1] <= 0.75f + 1e-5f);
      on_bound += smoothed[i] == 1.0f;
    }
    // Half of the noise pushes past the bound and is clipped onto it.
    CHECK(static_cast<double>(on_bound) / kSamples == Approx(0.5).margin(0.02));
  }
}

TEST_CASE("DDPG's target policy actions are mu'(s') itself") {
  DdpgAgent agent(PendulumOptions(1));
  CHECK(agent.critic_count() == 1);
  CHECK(agent.TargetPolicyActions(ProbeObservations()) == agent.TargetAct(ProbeObservations()));
  CHECK(agent.QValues(ProbeObservations(), ProbeActions(), 1).empty());
  CHECK(agent.SetCriticParameters(1, agent.CriticParameters()).code() == StatusCode::kInvalidArgument);
}

// policy_delay = 3: updates 1 and 2 step the critics only; update 3 steps the actor and moves every target
// (the actor's and both critics') by Polyak averaging; update 4 is a critic-only one again. Catches an
// off-by-one in the delay, targets moved on every update, and a twin target that is never moved.
TEST_CASE("TD3 updates the actor and all targets only on every policy_delay-th update, the critics on every one") {
  SingleThreaded single;
  DdpgOptions options = Td3Options(5);
  options.policy_delay = 3;
  options.tau = 0.1;
  DdpgAgent agent(options);
  const auto batch = MakeBatch(128, 9);

  struct State {
    std::vector<float> actor, target_actor, critic0, critic1, target_critic0, target_critic1;
  };
  auto state = [&] {
    return State{agent.ActorParameters(),   agent.TargetActorParameters(),   agent.CriticParameters(0),
                 agent.CriticParameters(1), agent.TargetCriticParameters(0), agent.TargetCriticParameters(1)};
  };
  auto polyak = [&](const std::vector<float>& old_target, const std::vector<float>& online,
                    const std::vector<float>& target) {
    REQUIRE(target.size() == online.size());
    for (size_t i = 0; i < online.size(); ++i) {
      INFO("parameter " << i);
      REQUIRE(std::abs(target[i] - ((1.0 - options.tau) * old_target[i] + options.tau * online[i])) < 1e-6);
    }
  };

  for (int update = 1; update <= 7; ++update) {
    INFO("update " << update);
    const State before = state();
    const UpdateResult result = agent.Update(batch);
    const State after = state();
    CHECK(after.critic0 != before.critic0);
    CHECK(after.critic1 != before.critic1);
    if (update % 3 == 0) {
      CHECK(result.actor_updated);
      CHECK(std::isfinite(result.actor_loss));
      CHECK(after.actor != before.actor);
      polyak(before.target_actor, after.actor, after.target_actor);
      polyak(before.target_critic0, after.critic0, after.target_critic0);
      polyak(before.target_critic1, after.critic1, after.target_critic1);
      CHECK(after.target_critic1 != before.target_critic1);
    } else {
      CHECK_FALSE(result.actor_updated);
      CHECK(std::isnan(result.actor_loss));
      CHECK(std::isfinite(result.critic_loss));
      CHECK(after.actor == before.actor);
      CHECK(after.target_actor == before.target_actor);
      CHECK(after.target_critic0 == before.target_critic0);
      CHECK(after.target_critic1 == before.target_critic1);
    }
  }
}

// Q1 has its best action at a = s1, Q2 at a = -s1; their minimum and their mean peak at a = 0. With both
// critics frozen (critic_lr = 0), an actor that ascends Q1 moves mu(s) towards s1 and raises the mean Q1;
// one that ascended Q2, min(Q1, Q2) or their mean would not.
TEST_CASE("TD3's actor ascends the first critic") {
  SingleThreaded single;
  DdpgOptions options = Td3Options(6);
  options.critic_lr = 0.0;
  options.actor_lr = 1e-2;
  options.policy_delay = 1;
  DdpgAgent agent(options);
  const Parameters shaped = ShapedNetworks(options);
  REQUIRE(agent.SetParameters(shaped.actor, shaped.critic).ok());
  REQUIRE(agent.SetCriticParameters(1, ShapedNetworks(options, MirroredValue).critic).ok());
  const auto batch = MakeBatch(64, 31);
  auto mean_squared_distance = [&](double sign) {
    const auto mu = agent.Act(batch.observations);
    double sum = 0.0;
    for (size_t i = 0; i < mu.size(); ++i) sum += std::pow(mu[i] - sign * batch.observations[3 * i + 1], 2);
    return sum / mu.size();
  };
  const double q1_before = Mean(agent.QValues(batch.observations, agent.Act(batch.observations), 0));
  const double from_s1_before = mean_squared_distance(1.0);

  for (int step = 0; step < 200; ++step) agent.Update(batch);

  const double q1_after = Mean(agent.QValues(batch.observations, agent.Act(batch.observations), 0));
  const double from_s1 = mean_squared_distance(1.0), from_zero = mean_squared_distance(0.0),
               from_minus_s1 = mean_squared_distance(-1.0);
  INFO("mean Q1(s, mu(s)) " << q1_before << " -> " << q1_after << "; mean (mu - s1)^2 " << from_s1_before << " -> "
                            << from_s1 << ", mean mu^2 " << from_zero << ", mean (mu + s1)^2 " << from_minus_s1);
  CHECK(q1_after > q1_before + 0.2);
  CHECK(from_s1 < 0.5 * from_s1_before);
  CHECK(from_s1 < 0.5 * from_zero);
  CHECK(from_s1 < 0.5 * from_minus_s1);
}

TEST_CASE("a TD3 checkpoint restores both critics, their targets and the phase of the delay") {
  SingleThreaded single;
  TemporaryDirectory directory;
  const std::string path = directory.File("checkpoint.pt");
  const auto batch = MakeBatch(256, 21);
  DdpgAgent saved(Td3Options(1));
  for (int i = 0; i < 3; ++i) saved.Update(batch);  // the next update is the 4th: an actor update
  REQUIRE(saved.SaveCheckpoint(path, {3, 300}).ok());

  DdpgAgent loaded(Td3Options(2));
  REQUIRE(loaded.CriticParameters(1) != saved.CriticParameters(1));
  REQUIRE(loaded.LoadCheckpoint(path).ok());
  for (int critic = 0; critic < 2; ++critic) {
    CHECK(loaded.CriticParameters(critic) == saved.CriticParameters(critic));
    CHECK(loaded.TargetCriticParameters(critic) == saved.TargetCriticParameters(critic));
  }
  // The same smoothing noise for both, then the same step: Adam's state and the delay's phase were restored.
  torch::manual_seed(9);
  const UpdateResult saved_result = saved.Update(batch);
  torch::manual_seed(9);
  const UpdateResult loaded_result = loaded.Update(batch);
  CHECK(saved_result.actor_updated);
  CHECK(loaded_result.actor_updated);
  CHECK(loaded_result.critic_loss == saved_result.critic_loss);
  CHECK(loaded.ActorParameters() == saved.ActorParameters());
  CHECK(loaded.TargetActorParameters() == saved.TargetActorParameters());
  for (int critic = 0; critic < 2; ++critic) {
    CHECK(loaded.CriticParameters(critic) == saved.CriticParameters(critic));
    CHECK(loaded.TargetCriticParameters(critic) == saved.TargetCriticParameters(critic));
  }
}

TEST_CASE("resuming a checkpoint of the other algorithm is refused, naming what differs") {
  TemporaryDirectory directory;
  const std::string ddpg_path = directory.File("ddpg.pt");
  const std::string td3_path = directory.File("td3.pt");
  REQUIRE(DdpgAgent(PendulumOptions(1)).SaveCheckpoint(ddpg_path, {}).ok());
  REQUIRE(DdpgAgent(Td3Options(1)).SaveCheckpoint(td3_path, {}).ok());

  DdpgAgent td3(Td3Options(2));
  const auto critic = td3.CriticParameters(1);
  const auto refused_ddpg = td3.LoadCheckpoint(ddpg_path);
  REQUIRE(refused_ddpg.status().code() == StatusCode::kInvalidArgument);
  CHECK_THAT(refused_ddpg.status().message(),
             Catch::Contains("learner.algorithm is ddpg in the file but td3 in the configuration") &&
                 Catch::Contains("critics is 1 in the file but 2 in the configuration"));
  CHECK(td3.CriticParameters(1) == critic);

  DdpgAgent ddpg(PendulumOptions(2));
  const auto refused_td3 = ddpg.LoadCheckpoint(td3_path);
  REQUIRE(refused_td3.status().code() == StatusCode::kInvalidArgument);
  CHECK_THAT(refused_td3.status().message(),
             Catch::Contains("learner.algorithm is td3 in the file but ddpg in the configuration"));

  // Other sizes and another algorithm are named together.
  DdpgOptions wider = Td3Options(3);
  wider.hidden_sizes = {32, 32};
  const auto refused_both = DdpgAgent(wider).LoadCheckpoint(ddpg_path);
  CHECK_THAT(refused_both.status().message(),
             Catch::Contains("learner.algorithm is ddpg") && Catch::Contains("hidden_sizes is 64,64 in the file"));
}

// A checkpoint written before the algorithm was recorded: the keys and modules the learner wrote then,
// without "algorithm", "critics" and "critic_updates".
void WriteCheckpointWithoutAlgorithm(const std::string& path, const DdpgOptions& options) {
  Actor actor(options.obs_dim, options.act_dim, options.hidden_sizes, options.act_low, options.act_high);
  Critic critic(options.obs_dim, options.act_dim, options.hidden_sizes);
  torch::optim::Adam actor_optimizer(actor->parameters(), torch::optim::AdamOptions(1e-3));
  torch::optim::Adam critic_optimizer(critic->parameters(), torch::optim::AdamOptions(1e-3));
  torch::serialize::OutputArchive archive;
  archive.write("obs_dim", c10::IValue(static_cast<int64_t>(options.obs_dim)));
  archive.write("act_dim", c10::IValue(static_cast<int64_t>(options.act_dim)));
  archive.write("hidden_sizes",
                c10::IValue(std::vector<int64_t>(options.hidden_sizes.begin(), options.hidden_sizes.end())));
  archive.write("act_low", c10::IValue(std::vector<double>(options.act_low.begin(), options.act_low.end())));
  archive.write("act_high", c10::IValue(std::vector<double>(options.act_high.begin(), options.act_high.end())));
  archive.write("updates", c10::IValue(int64_t{12}));
  archive.write("env_steps", c10::IValue(int64_t{345}));
  auto write = [&](const std::string& key, const auto& saveable) {
    torch::serialize::OutputArchive nested;
    saveable.save(nested);
    archive.write(key, nested);
  };
  write("actor", *actor);
  write("critic", *critic);
  write("target_actor", *actor);
  write("target_critic", *critic);
  write("actor_optimizer", actor_optimizer);
  write("critic_optimizer", critic_optimizer);
  archive.save_to(path);
}

TEST_CASE("a checkpoint without the algorithm key is DDPG's") {
  TemporaryDirectory directory;
  const std::string path = directory.File("old.pt");
  WriteCheckpointWithoutAlgorithm(path, PendulumOptions(1));

  DdpgAgent ddpg(PendulumOptions(2));
  const auto counters = ddpg.LoadCheckpoint(path);
  INFO(counters.status().message());
  REQUIRE(counters.ok());
  CHECK(counters->updates == 12);
  CHECK(counters->env_steps == 345);
  CHECK(ddpg.Update(MakeBatch(64, 3)).actor_updated);

  const auto refused = DdpgAgent(Td3Options(2)).LoadCheckpoint(path);
  CHECK_THAT(refused.status().message(), Catch::Contains("learner.algorithm is ddpg in the file but td3"));
}

}  // namespace
}  // namespace ddpg
