// Tests of D4PG (Barth-Maron et al. 2018) in the learner's agent (learner/ddpg.h, algorithm = d4pg) and of
// the categorical mathematics it uses (learner/categorical_distribution.h): C51's projection on hand-computed
// cases, the cross-entropy loss and priorities, learning a known expected value and ascending it, and
// checkpoints that record the support.
#include <torch/torch.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "agent_test_support.h"
#include "common/networks.h"
#include "learner/categorical_distribution.h"
#include "learner/ddpg.h"
#include "learner/saved_policy.h"

namespace ddpg {
namespace {

using namespace agent_test;

// Five atoms one apart: z = -2, -1, 0, 1, 2, so the hand-computed cases below read off directly.
constexpr double kLow = -2.0, kHigh = 2.0;

std::vector<float> Values(const torch::Tensor& tensor) {
  const auto contiguous = tensor.contiguous();
  return {contiguous.data_ptr<float>(), contiguous.data_ptr<float>() + contiguous.numel()};
}

// ProjectCategorical of one row, on the five atoms above.
std::vector<float> Project(const std::vector<float>& probabilities, float reward, float discount) {
  const auto p = torch::tensor(probabilities).reshape({1, -1});
  return Values(ProjectCategorical(p, torch::full({1, 1}, reward), torch::full({1, 1}, discount), kLow, kHigh));
}

void CheckClose(const std::vector<float>& actual, const std::vector<double>& expected, double tolerance = 1e-6) {
  REQUIRE(actual.size() == expected.size());
  for (size_t j = 0; j < expected.size(); ++j) {
    INFO("atom " << j << ": " << actual[j] << ", expected " << expected[j]);
    CHECK(std::abs(actual[j] - expected[j]) < tolerance);
  }
}

TEST_CASE("C51 projection: a reward of one atom spacing moves every mass up one atom") {
  CheckClose(Project({0.1f, 0.2f, 0.3f, 0.4f, 0.0f}, 1.0f, 1.0f), {0.0, 0.1, 0.2, 0.3, 0.4});
  CheckClose(Project({0.0f, 0.1f, 0.2f, 0.3f, 0.4f}, -1.0f, 1.0f), {0.1, 0.2, 0.3, 0.4, 0.0});
  // The top atom's mass cannot move beyond v_max: it joins the mass arriving there from below.
  CheckClose(Project({0.1f, 0.2f, 0.3f, 0.2f, 0.2f}, 1.0f, 1.0f), {0.0, 0.1, 0.2, 0.3, 0.4});
}

// A quarter of an atom tells the lower atom's share from the upper one's: 75/25, not 25/75.
TEST_CASE("C51 projection: mass between two atoms is split by nearness") {
  CheckClose(Project({0.0f, 0.0f, 1.0f, 0.0f, 0.0f}, 0.5f, 1.0f), {0.0, 0.0, 0.5, 0.5, 0.0});
  CheckClose(Project({0.0f, 0.0f, 1.0f, 0.0f, 0.0f}, 0.25f, 1.0f), {0.0, 0.0, 0.75, 0.25, 0.0});
  CheckClose(Project({0.0f, 0.0f, 1.0f, 0.0f, 0.0f}, -0.25f, 1.0f), {0.0, 0.25, 0.75, 0.0, 0.0});
  CheckClose(Project({0.0f, 0.5f, 0.0f, 0.5f, 0.0f}, 0.25f, 1.0f), {0.0, 0.375, 0.125, 0.375, 0.125});
}

// r = 1.5 moves z = -2 .. 2 to -0.5, 0.5, 1.5, 2.5, 3.5; the last two are clipped to v_max = 2.
TEST_CASE("C51 projection: targets beyond the support are clipped to v_min and v_max") {
  const std::vector<float> uniform(5, 0.2f);
  CheckClose(Project(uniform, 1.5f, 1.0f), {0.0, 0.1, 0.2, 0.2, 0.5});
  CheckClose(Project(uniform, 10.0f, 0.99f), {0.0, 0.0, 0.0, 0.0, 1.0});
  CheckClose(Project(uniform, -10.0f, 0.99f), {1.0, 0.0, 0.0, 0.0, 0.0});
}

TEST_CASE("C51 projection: a discount of 0 puts all mass at clip(r)") {
  const std::vector<float> spread = {0.3f, 0.1f, 0.2f, 0.1f, 0.3f};
  CheckClose(Project(spread, 0.3f, 0.0f), {0.0, 0.0, 0.7, 0.3, 0.0});
  CheckClose(Project(spread, -1.0f, 0.0f), {0.0, 1.0, 0.0, 0.0, 0.0});
  CheckClose(Project(spread, 7.0f, 0.0f), {0.0, 0.0, 0.0, 0.0, 1.0});
}

// A discount of 0.5 halves the support around r = 0: z = -1, -0.5, 0, 0.5, 1.
TEST_CASE("C51 projection: the discount scales the next state's returns") {
  CheckClose(Project(std::vector<float>(5, 0.2f), 0.0f, 0.5f), {0.0, 0.3, 0.4, 0.3, 0.0});
  CheckClose(Project({0.0f, 0.0f, 0.0f, 0.0f, 1.0f}, 0.25f, 0.5f), {0.0, 0.0, 0.0, 0.75, 0.25});
}

// Each row on its own: a distribution (non-negative, summing to 1) whose mean is that of the clipped targets,
// sum_j p_j clip(r + d z_j), since splitting a mass between its two neighbours keeps its mean. Catches rows
// mixed up by broadcasting, a reward or discount of the wrong row, and lost or duplicated mass.
TEST_CASE("C51 projection: every row is a distribution with the mean of its clipped targets") {
  constexpr int kRows = 64, kAtoms = 51;
  constexpr double kMin = -10.0, kMax = 10.0;
  torch::manual_seed(3);
  const auto probabilities = torch::softmax(3.0 * torch::randn({kRows, kAtoms}), 1);
  const auto rewards = 6.0 * torch::rand({kRows, 1}) - 3.0;
  const auto discounts = torch::tensor({0.0f, 0.5f, 0.99f, 1.0f}).repeat(kRows / 4).reshape({kRows, 1});
  const auto projected = ProjectCategorical(probabilities, rewards, discounts, kMin, kMax);
  const auto support = CategoricalSupport(kAtoms, kMin, kMax, torch::kCPU);
  REQUIRE(projected.sizes() == probabilities.sizes());
  CHECK(projected.min().item<float>() >= 0.0f);
  const auto clipped_targets = (rewards + discounts * support.unsqueeze(0)).clamp(kMin, kMax);
  for (int i = 0; i < kRows; ++i) {
    INFO("row " << i << ": r " << rewards[i].item<float>() << ", d " << discounts[i].item<float>());
    CHECK(projected[i].sum().item<double>() == Approx(1.0).margin(1e-5));
    CHECK((projected[i] * support).sum().item<double>() ==
          Approx((probabilities[i] * clipped_targets[i]).sum().item<double>()).margin(1e-4));
  }
}

TEST_CASE("categorical cross-entropy is -sum target * log softmax per row, and the expected value sum p z") {
  const auto logits = torch::log(torch::tensor({0.1f, 0.2f, 0.3f, 0.4f, 0.7f, 0.1f, 0.1f, 0.1f})).reshape({2, 4});
  const auto target = torch::tensor({0.0f, 0.5f, 0.5f, 0.0f, 1.0f, 0.0f, 0.0f, 0.0f}).reshape({2, 4});
  const auto cross_entropy = CategoricalCrossEntropy(target, logits);
  REQUIRE(cross_entropy.sizes() == torch::IntArrayRef({2}));
  CHECK(cross_entropy[0].item<double>() == Approx(-(0.5 * std::log(0.2) + 0.5 * std::log(0.3))).epsilon(1e-5));
  CHECK(cross_entropy[1].item<double>() == Approx(-std::log(0.7)).epsilon(1e-5));
  const auto expected = ExpectedValue(logits, CategoricalSupport(4, -3.0, 3.0, torch::kCPU));  // z = -3, -1, 1, 3
  REQUIRE(expected.sizes() == torch::IntArrayRef({2, 1}));
  CHECK(expected[0][0].item<double>() == Approx(-0.3 - 0.2 + 0.3 + 1.2).epsilon(1e-5));
  CHECK(expected[1][0].item<double>() == Approx(-2.1 - 0.1 + 0.1 + 0.3).epsilon(1e-5));
}

DdpgOptions D4pgOptions(uint64_t seed, int atoms = 21, double v_min = -10.0, double v_max = 10.0) {
  DdpgOptions options = PendulumOptions(seed);
  options.algorithm = Algorithm::kD4pg;
  options.atoms = atoms;
  options.v_min = v_min;
  options.v_max = v_max;
  return options;
}

// A distributional critic whose distribution is a bump of std 1 around ShapedValue(s, a), and an actor
// mu(s) ~ s2 / 2, fitted with plain LibTorch (as ShapedNetworks does for DDPG): a fresh critic's nearly
// uniform distributions would hide a projection fed the wrong network or actions.
Parameters ShapedDistributionalNetworks(const DdpgOptions& options) {
  torch::manual_seed(101);
  Actor actor(options.obs_dim, options.act_dim, options.hidden_sizes, options.act_low, options.act_high);
  Critic critic(options.obs_dim, options.act_dim, options.hidden_sizes, options.atoms);
  const auto s = 2.0 * torch::rand({256, options.obs_dim}) - 1.0;
  const auto a = 4.0 * torch::rand({256, options.act_dim}) - 2.0;
  const auto support = CategoricalSupport(options.atoms, options.v_min, options.v_max, torch::kCPU);
  const auto bump = torch::softmax(-(support.unsqueeze(0) - ShapedValue(s, a)).square() / 2.0, 1);
  const auto mu = 0.5 * s.narrow(1, 2, 1);
  torch::optim::Adam actor_optimizer(actor->parameters(), torch::optim::AdamOptions(3e-3));
  torch::optim::Adam critic_optimizer(critic->parameters(), torch::optim::AdamOptions(3e-3));
  for (int step = 0; step < 300; ++step) {
    critic_optimizer.zero_grad();
    (-(bump * torch::log_softmax(critic->forward(s, a), 1)).sum(1)).mean().backward();
    critic_optimizer.step();
    actor_optimizer.zero_grad();
    torch::mse_loss(actor->forward(s), mu).backward();
    actor_optimizer.step();
  }
  return {FlattenParameters(*actor), FlattenParameters(*critic)};
}

// C51's projection of one row, written out loop by loop as the paper's Algorithm 1, independently of
// ProjectCategorical.
std::vector<double> ReferenceProjection(const float* p, int atoms, double r, double d, double v_min, double v_max) {
  const double spacing = (v_max - v_min) / (atoms - 1);
  std::vector<double> m(atoms, 0.0);
  for (int j = 0; j < atoms; ++j) {
    const double target = std::clamp(r + d * (v_min + j * spacing), v_min, v_max);
    const double b = (target - v_min) / spacing;
    const int l = static_cast<int>(std::floor(b)), u = static_cast<int>(std::ceil(b));
    if (l == u) {
      m[l] += p[j];
    } else {
      m[l] += p[j] * (u - b);
      m[u] += p[j] * (b - l);
    }
  }
  return m;
}

// The loss and priorities of one update, recomputed here from the agent's networks before it: the target
// is the reference projection of the TARGET critic's distribution at (s', mu'(s')) of the TARGET actor,
// the loss mean_i(w_i * CE_i) against the ONLINE critic at (s, a), the priorities CE_i. A few updates with
// tau = 0 first move the online networks away from the frozen targets, so that using the wrong one of
// either shows. Catches: swapped lower/upper shares, a forgotten discount, the online networks in the
// target, weights ignored or applied to the priorities, and a priority of anything but the sample's own CE.
TEST_CASE("D4PG's critic loss is the weighted cross-entropy to the projected target, priorities CE_i") {
  SingleThreaded single;
  DdpgOptions options = D4pgOptions(4);
  options.tau = 0.0;
  options.actor_lr = 1e-2;
  options.critic_lr = 3e-3;
  DdpgAgent agent(options);
  const Parameters shaped = ShapedDistributionalNetworks(options);
  REQUIRE(agent.SetParameters(shaped.actor, shaped.critic).ok());
  for (uint32_t step = 0; step < 20; ++step) agent.Update(MakeBatch(64, 100 + step));
  REQUIRE(agent.ActorParameters() != agent.TargetActorParameters());
  REQUIRE(agent.CriticParameters() != agent.TargetCriticParameters());

  constexpr int n = 32;
  protocol::TransitionBatch batch = MakeBatch(n, 9);
  for (int i = 0; i < n; ++i) batch.rewards[i] = 3.0f * std::sin(1.7f * i);  // rewards that move mass
  std::vector<float> weights(n);
  for (int i = 0; i < n; ++i) weights[i] = 0.2f + 0.05f * i;
  const auto next_actions = agent.TargetAct(batch.next_observations);
  const auto next_p = agent.TargetQDistribution(batch.next_observations, next_actions);
  const auto p = agent.QDistribution(batch.observations, batch.actions);
  REQUIRE(next_p.size() == static_cast<size_t>(n * options.atoms));
  REQUIRE(agent.QDistribution(batch.observations, agent.Act(batch.observations)) != p);  // the actions matter
  std::vector<double> cross_entropy(n, 0.0);
  double loss = 0.0;
  for (int i = 0; i < n; ++i) {
    const auto m = ReferenceProjection(&next_p[i * options.atoms], options.atoms, batch.rewards[i], batch.discounts[i],
                                       options.v_min, options.v_max);
    for (int j = 0; j < options.atoms; ++j) cross_entropy[i] -= m[j] * std::log(p[i * options.atoms + j]);
    loss += weights[i] * cross_entropy[i] / n;
  }

  const UpdateResult result = agent.Update(batch, weights);
  REQUIRE(result.critic_updated);
  CHECK(result.critic_loss == Approx(loss).epsilon(1e-4));
  REQUIRE(result.priorities.size() == static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    INFO("sample " << i << ": r " << batch.rewards[i] << ", discount " << batch.discounts[i]);
    CHECK(result.priorities[i] == Approx(cross_entropy[i]).epsilon(1e-4));
  }
  // Without weights the loss is the plain mean; here the unweighted result from an identical agent.
  DdpgAgent twin(options);
  REQUIRE(twin.SetParameters(shaped.actor, shaped.critic).ok());
  for (uint32_t step = 0; step < 20; ++step) twin.Update(MakeBatch(64, 100 + step));
  double plain = 0.0;
  for (double ce : cross_entropy) plain += ce / n;
  const UpdateResult unweighted = twin.Update(batch);
  CHECK(unweighted.critic_loss == Approx(plain).epsilon(1e-4));
  CHECK(unweighted.priorities.empty());
}

// A one-step problem (every discount 0): the return of (s, a) is its reward r = 1 + s0 - (a - s1)^2, so the
// critic's expected value must converge to r, and the actor, ascending it, to mu(s) = s1. Fresh random
// batches each update; the reward stays within [-9, 2], inside the support [-10, 10].
TEST_CASE("D4PG on a contextual bandit: the expected value learns the reward and the actor its best action") {
  SingleThreaded single;
  DdpgOptions options = D4pgOptions(5, 51);
  options.critic_lr = 3e-3;
  options.actor_lr = 1e-3;
  DdpgAgent agent(options);
  auto bandit_batch = [](size_t size, uint32_t seed) {
    protocol::TransitionBatch batch = MakeBatch(size, seed);
    for (size_t i = 0; i < size; ++i) {
      const float s0 = batch.observations[3 * i], s1 = batch.observations[3 * i + 1], a = batch.actions[i];
      batch.rewards[i] = 1.0f + s0 - (a - s1) * (a - s1);
      batch.discounts[i] = 0.0f;
    }
    return batch;
  };
  auto mean_squared_distance_to_s1 = [&](const protocol::TransitionBatch& batch) {
    const auto mu = agent.Act(batch.observations);
    double sum = 0.0;
    for (size_t i = 0; i < mu.size(); ++i) sum += std::pow(mu[i] - batch.observations[3 * i + 1], 2);
    return sum / mu.size();
  };
  const protocol::TransitionBatch probe = bandit_batch(256, 999);
  const double distance_before = mean_squared_distance_to_s1(probe);

  for (uint32_t step = 0; step < 1500; ++step) agent.Update(bandit_batch(128, step));

  const auto q = agent.QValues(probe.observations, probe.actions);
  double absolute_error = 0.0;
  for (size_t i = 0; i < q.size(); ++i) absolute_error += std::abs(q[i] - probe.rewards[i]) / q.size();
  const double distance_after = mean_squared_distance_to_s1(probe);
  INFO("mean |Q - r| " << absolute_error << "; mean (mu - s1)^2 " << distance_before << " -> " << distance_after);
  CHECK(absolute_error < 0.15);
  CHECK(distance_after < 0.1 * distance_before);
}

// QValues is the distribution's expected value (the learner's q_mean reports it), and the update's q_mean
// its mean over the batch before the step.
TEST_CASE("D4PG's Q is the expected value of the critic's distribution") {
  SingleThreaded single;
  const DdpgOptions options = D4pgOptions(6, 11, -3.0, 7.0);
  DdpgAgent agent(options);
  const Parameters shaped = ShapedDistributionalNetworks(options);
  REQUIRE(agent.SetParameters(shaped.actor, shaped.critic).ok());
  const auto batch = MakeBatch(16, 4);
  const auto p = agent.QDistribution(batch.observations, batch.actions);
  const auto q = agent.QValues(batch.observations, batch.actions);
  REQUIRE(q.size() == 16);
  double mean = 0.0;
  for (int i = 0; i < 16; ++i) {
    double expected = 0.0, total = 0.0;
    for (int j = 0; j < 11; ++j) {
      expected += p[i * 11 + j] * (-3.0 + j);
      total += p[i * 11 + j];
    }
    CHECK(total == Approx(1.0).margin(1e-5));
    CHECK(q[i] == Approx(expected).margin(1e-4));
    mean += q[i] / 16;
  }
  CHECK(mean > 2.0);  // the shaped critic's values, around 5, not the support's middle
  CHECK(agent.Update(batch).q_mean == Approx(mean).margin(1e-4));
  CHECK(DdpgAgent(PendulumOptions(1)).QDistribution(batch.observations, batch.actions).empty());
}

TEST_CASE("a D4PG checkpoint restores the distributional critics and policy files hold the actor") {
  SingleThreaded single;
  TemporaryDirectory directory;
  const std::string path = directory.File("checkpoint.pt");
  const std::string policy_path = directory.File("policy.pt");
  const DdpgOptions options = D4pgOptions(1, 31, -20.0, 5.0);
  const auto batch = MakeBatch(128, 21);
  DdpgAgent saved(options);
  for (int i = 0; i < 3; ++i) saved.Update(batch);
  REQUIRE(saved.SaveCheckpoint(path, {3, 300}).ok());
  REQUIRE(saved.SavePolicy(policy_path, saved.ActorParameters(), 3, -1.5).ok());

  DdpgAgent loaded(D4pgOptions(2, 31, -20.0, 5.0));
  const auto counters = loaded.LoadCheckpoint(path);
  INFO(counters.status().message());
  REQUIRE(counters.ok());
  CHECK(loaded.TargetQDistribution(batch.observations, batch.actions) ==
        saved.TargetQDistribution(batch.observations, batch.actions));
  const UpdateResult saved_result = saved.Update(batch);
  const UpdateResult loaded_result = loaded.Update(batch);
  CHECK(loaded_result.critic_loss == saved_result.critic_loss);
  CHECK(loaded.CriticParameters() == saved.CriticParameters());
  CHECK(loaded.ActorParameters() == saved.ActorParameters());

  // The tools (envtool, export_policy) read the support from the file: no configuration is needed.
  const StatusOr<SavedPolicy> from_checkpoint = LoadSavedPolicy(path);
  INFO(from_checkpoint.status().message());
  REQUIRE(from_checkpoint.ok());
  CHECK(from_checkpoint->options.atoms == 31);
  const StatusOr<SavedPolicy> from_policy = LoadSavedPolicy(policy_path);
  REQUIRE(from_policy.ok());
  CHECK(from_policy->actor_parameters.size() == saved.ActorParameters().size());
}

TEST_CASE("resuming a D4PG checkpoint with another support or algorithm is refused, naming what differs") {
  TemporaryDirectory directory;
  const std::string path = directory.File("d4pg.pt");
  REQUIRE(DdpgAgent(D4pgOptions(1, 51, -150.0, 150.0)).SaveCheckpoint(path, {}).ok());

  auto refusal = [&](const DdpgOptions& options) {
    DdpgAgent agent(options);
    const auto critic = agent.CriticParameters();
    const auto loaded = agent.LoadCheckpoint(path);
    CHECK(agent.CriticParameters() == critic);
    return loaded.status();
  };
  const Status atoms = refusal(D4pgOptions(2, 21, -150.0, 150.0));
  REQUIRE(atoms.code() == StatusCode::kInvalidArgument);
  CHECK_THAT(atoms.message(), Catch::Contains("learner.atoms is 51 in the file but 21 in the configuration"));
  const Status range = refusal(D4pgOptions(2, 51, -100.0, 150.5));
  CHECK_THAT(range.message(), Catch::Contains("learner.v_min is -150 in the file but -100 in the configuration") &&
                                  Catch::Contains("learner.v_max is 150 in the file but 150.5 in the configuration"));
  CHECK_THAT(range.message(), !Catch::Contains("learner.atoms"));
  const Status ddpg = refusal(PendulumOptions(2));
  CHECK_THAT(ddpg.message(), Catch::Contains("learner.algorithm is d4pg in the file but ddpg in the configuration"));
  const Status td3 = refusal([] {
    DdpgOptions options = PendulumOptions(2);
    options.algorithm = Algorithm::kTd3;
    return options;
  }());
  CHECK_THAT(td3.message(), Catch::Contains("learner.algorithm is d4pg in the file but td3") &&
                                Catch::Contains("critics is 1 in the file but 2"));

  // And the other way: a DDPG checkpoint for a D4PG learner.
  const std::string ddpg_path = directory.File("ddpg.pt");
  REQUIRE(DdpgAgent(PendulumOptions(1)).SaveCheckpoint(ddpg_path, {}).ok());
  const auto refused = DdpgAgent(D4pgOptions(3)).LoadCheckpoint(ddpg_path);
  CHECK_THAT(refused.status().message(), Catch::Contains("learner.algorithm is ddpg in the file but d4pg"));
}

}  // namespace
}  // namespace ddpg
