#include "learner/ddpg.h"

#include <torch/torch.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "agent_test_support.h"
#include "common/networks.h"

namespace ddpg {
namespace {

namespace fs = std::filesystem;
using namespace agent_test;

// The critic's regression target is r + discount * Q'(s', mu'(s')) with the *target* networks, the
// batch's own discounts (gamma^k, 0 at termination) and the reward. With tau = 0 the targets stay frozen,
// so the online critic, trained long enough on one batch, must reach exactly that fixed point, which this
// test computes independently from TargetQValues and TargetAct. Bugs it catches, each moving the fixed
// point by far more than the tolerance:
//  - bootstrapping from the online critic and/or actor (after training they differ from the frozen targets;
//    the closed trajectory below makes Q(s', mu'(s')) a value the online critic itself was fitted to);
//  - ignoring `discounts` (e.g. options.gamma for every row, or gamma * discount): rows have discounts
//    0, 0.5, 0.9 and 0.99, none equal to gamma, and Q' ~ 2..6 makes the bootstrap term large;
//  - feeding the target critic other actions than mu'(s') (the batch's actions, or mu'(s) of the current
//    state): the shaped target actor depends on the state and the shaped critic on the action;
//  - dropping the reward, or bootstrapping through terminal rows (those must converge to r alone).
TEST_CASE("with frozen targets the critic converges to r + discount * Q'(s', mu'(s')) of the target networks") {
  SingleThreaded single;
  DdpgOptions options = PendulumOptions(1);
  options.tau = 0.0;
  options.gamma = 0.8;  // informational; no row's discount equals it
  options.critic_lr = 3e-3;
  options.actor_lr = 1e-2;  // moves the online actor away from the frozen target actor
  DdpgAgent agent(options);
  const Parameters shaped = ShapedNetworks(options);
  REQUIRE(agent.SetParameters(shaped.actor, shaped.critic).ok());

  // A closed trajectory of n states: row i goes from s_i to s_{(i+1) mod n} with the target actor's action,
  // so that Q(s'_i, mu'(s'_i)) is the value of row i+1, one the online critic is fitted to.
  constexpr int n = 16;
  const std::vector<float> discount_cycle = {0.0f, 0.99f, 0.5f, 0.9f};
  std::mt19937 rng(5);
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
    const float magnitude = 0.5f + 0.5f * (unit(rng) + 1.0f);  // 0.5 .. 1.5: dropping it is visible
    batch.rewards.push_back(i % 2 == 0 ? magnitude : -magnitude);
    batch.discounts.push_back(discount_cycle[i % discount_cycle.size()]);
    batch.policy_versions.push_back(0);
  }
  REQUIRE(batch.actions.size() == static_cast<size_t>(n));

  const auto target_actor = agent.TargetActorParameters();
  const auto target_critic = agent.TargetCriticParameters();
  const auto next_values = agent.TargetQValues(batch.next_observations, agent.TargetAct(batch.next_observations));
  std::vector<double> expected(n);
  for (int i = 0; i < n; ++i) {
    expected[i] = batch.rewards[i] + static_cast<double>(batch.discounts[i]) * next_values[i];
    // The bootstrap term must be large for misused discounts to show.
    if (batch.discounts[i] > 0.0f) REQUIRE(std::abs(batch.discounts[i] * next_values[i]) > 0.5);
  }

  for (int step = 0; step < 1500; ++step) agent.Update(batch);

  // tau = 0 froze the targets, so `expected` still holds ...
  REQUIRE(agent.TargetActorParameters() == target_actor);
  REQUIRE(agent.TargetCriticParameters() == target_critic);
  // ... while the online networks moved away from them: bootstrapping from those would show.
  const auto online_next_values = agent.QValues(batch.next_observations, agent.Act(batch.next_observations));
  double online_difference = 0.0;
  for (int i = 0; i < n; ++i) online_difference += std::abs(online_next_values[i] - next_values[i]) / n;
  INFO("mean |Q(s', mu(s')) - Q'(s', mu'(s'))| = " << online_difference);
  REQUIRE(online_difference > 0.3);

  const auto q = agent.QValues(batch.observations, batch.actions);
  for (int i = 0; i < n; ++i) {
    INFO("row " << i << ": r " << batch.rewards[i] << ", discount " << batch.discounts[i] << ", Q'(s', mu'(s')) "
                << next_values[i] << ", Q(s, a) " << q[i] << ", expected " << expected[i]);
    CHECK(std::abs(q[i] - expected[i]) < 0.05);
    if (batch.discounts[i] == 0.0f) CHECK(std::abs(q[i] - batch.rewards[i]) < 0.05);
  }
}

// The actor ascends Q(s, mu(s)). With the critic frozen (critic_lr = 0: Adam's step is lr times its
// direction, exactly zero) and holding Q(s, a) = 5 + s0 - (a - s1)^2, while the actor starts at mu(s) ~ s2 / 2,
// actor updates must raise the batch's mean Q(s, mu(s)) towards its maximum. Catches a sign flip (descending
// Q, or minimizing -Q with the wrong sign) and an actor step that does not reach the actor's parameters.
TEST_CASE("with a frozen critic, actor updates raise the mean Q(s, mu(s)) over the batch") {
  SingleThreaded single;
  DdpgOptions options = PendulumOptions(2);
  options.critic_lr = 0.0;
  options.actor_lr = 1e-2;
  DdpgAgent agent(options);
  const Parameters shaped = ShapedNetworks(options);
  REQUIRE(agent.SetParameters(shaped.actor, shaped.critic).ok());
  const auto batch = MakeBatch(64, 31);
  const auto critic = agent.CriticParameters();
  auto mean_q = [&] { return Mean(agent.QValues(batch.observations, agent.Act(batch.observations))); };

  const double before = mean_q();
  const UpdateResult first = agent.Update(batch);
  // The reported actor loss is -mean Q(s, mu(s)) before the actor's step.
  CHECK(first.actor_loss == Approx(-before).margin(1e-5));
  for (int step = 0; step < 99; ++step) agent.Update(batch);
  const double after = mean_q();

  REQUIRE(agent.CriticParameters() == critic);
  INFO("mean Q(s, mu(s)) before " << before << ", after 100 actor updates " << after);
  CHECK(after > before + 0.2);
}

TEST_CASE("a DDPG update on a fixed batch lowers the critic loss") {
  SingleThreaded single;
  DdpgAgent agent(PendulumOptions(7));
  const auto batch = MakeBatch(256, 11);
  const UpdateResult first = agent.Update(batch);
  UpdateResult last = first;
  for (int i = 0; i < 200; ++i) last = agent.Update(batch);
  INFO("first critic loss " << first.critic_loss << ", last " << last.critic_loss);
  CHECK(std::isfinite(last.actor_loss));
  CHECK(std::isfinite(last.q_mean));
  CHECK(last.critic_loss < 0.2 * first.critic_loss);
}

TEST_CASE("after an update the targets are (1 - tau) * old target + tau * new online") {
  SingleThreaded single;
  DdpgOptions options = PendulumOptions(3);
  options.tau = 0.1;
  DdpgAgent agent(options);
  const auto batch = MakeBatch(256, 5);
  // A first update, so that online and target differ before the one checked.
  agent.Update(batch);

  auto check = [&](const std::vector<float>& old_target, const std::vector<float>& online,
                   const std::vector<float>& target) {
    REQUIRE(old_target.size() == online.size());
    REQUIRE(target.size() == online.size());
    size_t moved = 0;
    for (size_t i = 0; i < online.size(); ++i) {
      const double expected = (1.0 - options.tau) * old_target[i] + options.tau * online[i];
      INFO("parameter " << i);
      REQUIRE(std::abs(target[i] - expected) < 1e-6);
      moved += target[i] != old_target[i];
    }
    CHECK(moved > 0);
  };
  const auto old_actor_target = agent.TargetActorParameters();
  const auto old_critic_target = agent.TargetCriticParameters();
  agent.Update(batch);
  check(old_actor_target, agent.ActorParameters(), agent.TargetActorParameters());
  check(old_critic_target, agent.CriticParameters(), agent.TargetCriticParameters());
}

TEST_CASE("targets start as exact copies of the online networks") {
  DdpgAgent agent(PendulumOptions(1));
  CHECK(agent.TargetActorParameters() == agent.ActorParameters());
  CHECK(agent.TargetCriticParameters() == agent.CriticParameters());
  CHECK(agent.TargetQValues(ProbeObservations(), ProbeActions()) == agent.QValues(ProbeObservations(), ProbeActions()));
}

TEST_CASE("SetParameters replaces the online networks and their targets, or nothing on a size mismatch") {
  DdpgAgent agent(PendulumOptions(1)), other(PendulumOptions(2));
  const auto actor = agent.ActorParameters();
  const auto critic = agent.CriticParameters();
  auto short_critic = other.CriticParameters();
  short_critic.pop_back();
  CHECK(agent.SetParameters(other.ActorParameters(), short_critic).code() == StatusCode::kInvalidArgument);
  CHECK(agent.ActorParameters() == actor);
  CHECK(agent.TargetActorParameters() == actor);
  CHECK(agent.CriticParameters() == critic);

  REQUIRE(agent.SetParameters(other.ActorParameters(), other.CriticParameters()).ok());
  CHECK(agent.ActorParameters() == other.ActorParameters());
  CHECK(agent.TargetActorParameters() == other.ActorParameters());
  CHECK(agent.CriticParameters() == other.CriticParameters());
  CHECK(agent.TargetCriticParameters() == other.CriticParameters());
  CHECK(agent.TargetAct(ProbeObservations()) == other.Act(ProbeObservations()));
}

TEST_CASE("construction is deterministic for a given seed") {
  DdpgAgent a(PendulumOptions(42)), b(PendulumOptions(42)), c(PendulumOptions(43));
  CHECK(a.ActorParameters() == b.ActorParameters());
  CHECK(a.CriticParameters() == b.CriticParameters());
  CHECK(a.ActorParameters() != c.ActorParameters());
}

TEST_CASE("actions stay within the action bounds for extreme observations") {
  SingleThreaded single;
  DdpgOptions options = PendulumOptions(9);
  options.obs_dim = 2;
  options.act_dim = 2;
  options.act_low = {-1.0f, 0.0f};
  options.act_high = {1.0f, 3.0f};
  // Large-learning-rate steps push the output layer away from its near-zero initialization.
  options.actor_lr = 0.05;
  options.critic_lr = 0.05;
  DdpgAgent agent(options);
  const auto batch = MakeBatch(64, 1, 2, 2);
  for (int i = 0; i < 20; ++i) agent.Update(batch);

  const std::vector<float> extremes = {1e6f, -1e6f, -1e6f, 1e6f, 1e30f, 1e30f, -1e30f, -1e30f, 0.0f, 0.0f, 1e3f, -5e2f};
  const auto actions = agent.Act(extremes);
  REQUIRE(actions.size() == extremes.size());
  for (size_t i = 0; i < actions.size(); ++i) {
    INFO("action " << i << " = " << actions[i]);
    CHECK(actions[i] >= options.act_low[i % 2]);
    CHECK(actions[i] <= options.act_high[i % 2]);
  }
}

TEST_CASE("a batch of other dimensions is skipped without a step") {
  DdpgAgent agent(PendulumOptions(4));
  const auto before = agent.CriticParameters();
  auto wrong_dims = MakeBatch(16, 2, 4, 1);
  auto short_rewards = MakeBatch(16, 2);
  short_rewards.rewards.pop_back();
  for (const auto& batch : {wrong_dims, short_rewards, protocol::TransitionBatch{}}) {
    const UpdateResult result = agent.Update(batch);
    CHECK(std::isnan(result.critic_loss));
    CHECK(std::isnan(result.actor_loss));
    CHECK_FALSE(result.critic_updated);  // the learner must not count it
  }
  CHECK(agent.CriticParameters() == before);
  CHECK(agent.Act({1.0f, 2.0f}).empty());
  CHECK(agent.QValues({1.0f, 2.0f, 3.0f}, {1.0f, 2.0f}).empty());
}

TEST_CASE("checkpoint save then load gives identical outputs") {
  SingleThreaded single;
  TemporaryDirectory directory;
  const std::string path = directory.File("checkpoint.pt");
  const auto batch = MakeBatch(256, 21);

  DdpgAgent saved(PendulumOptions(1));
  for (int i = 0; i < 5; ++i) saved.Update(batch);
  const TrainingCounters counters_saved{5, 1234, 0xfeedfacecafef00dull, 0x8000000000000001ull, 777};
  REQUIRE(saved.SaveCheckpoint(path, {1, 2}).ok());
  CHECK(fs::exists(path));
  CHECK_FALSE(fs::exists(path + ".tmp"));
  // Saving again replaces the file in place.
  REQUIRE(saved.SaveCheckpoint(path, counters_saved).ok());
  CHECK_FALSE(fs::exists(path + ".tmp"));

  DdpgAgent loaded(PendulumOptions(2));
  REQUIRE(loaded.ActorParameters() != saved.ActorParameters());
  const auto counters = loaded.LoadCheckpoint(path);
  REQUIRE(counters.ok());
  CHECK(counters->updates == 5);
  CHECK(counters->env_steps == 1234);
  CHECK(counters->run_id == 0xfeedfacecafef00dull);  // ids use all 64 bits, stored as int64
  CHECK(counters->replay_instance == 0x8000000000000001ull);
  CHECK(counters->replay_run_inserted == 777);

  const auto observations = ProbeObservations();
  const auto actions = ProbeActions();
  CHECK(loaded.Act(observations) == saved.Act(observations));
  CHECK(loaded.QValues(observations, actions) == saved.QValues(observations, actions));
  CHECK(loaded.TargetQValues(observations, actions) == saved.TargetQValues(observations, actions));
  CHECK(loaded.TargetActorParameters() == saved.TargetActorParameters());

  // Adam's moments and step count decide the next step, so equal parameters after it mean they were restored.
  const UpdateResult saved_result = saved.Update(batch);
  const UpdateResult loaded_result = loaded.Update(batch);
  CHECK(loaded_result.critic_loss == saved_result.critic_loss);
  CHECK(loaded.ActorParameters() == saved.ActorParameters());
  CHECK(loaded.CriticParameters() == saved.CriticParameters());
  CHECK(loaded.TargetActorParameters() == saved.TargetActorParameters());
  CHECK(loaded.TargetCriticParameters() == saved.TargetCriticParameters());
}

TEST_CASE("a policy file holds the parameters it was given, not the agent's current actor") {
  SingleThreaded single;
  TemporaryDirectory directory;
  const std::string path = directory.File("best_policy.pt");
  DdpgAgent agent(PendulumOptions(1));
  const std::vector<float> evaluated = agent.ActorParameters();
  agent.Update(MakeBatch(256, 21));  // training moves past the evaluated weights
  REQUIRE(agent.ActorParameters() != evaluated);

  REQUIRE(agent.SavePolicy(path, evaluated, 42, -150.5).ok());
  CHECK_FALSE(fs::exists(path + ".tmp"));
  const StatusOr<PolicyFile> loaded = LoadPolicyFile(path, PendulumOptions(1));
  INFO(loaded.status().message());
  REQUIRE(loaded.ok());
  CHECK(loaded->version == 42);
  CHECK(loaded->eval_return == -150.5);
  CHECK(loaded->actor_parameters == evaluated);

  CHECK(agent.SavePolicy(path, std::vector<float>(3, 0.0f), 43, 0.0).code() == StatusCode::kInvalidArgument);
  const StatusOr<PolicyFile> other_network = LoadPolicyFile(path, PendulumOptions(1, {32, 32}));
  CHECK(other_network.status().code() == StatusCode::kInvalidArgument);
  CHECK(LoadPolicyFile(directory.File("missing.pt"), PendulumOptions(1)).status().code() == StatusCode::kNotFound);
}

TEST_CASE("after a checkpoint load the configured learning rates apply") {
  SingleThreaded single;
  TemporaryDirectory directory;
  const std::string path = directory.File("checkpoint.pt");
  const auto batch = MakeBatch(256, 21);
  DdpgAgent saved(PendulumOptions(1));
  saved.Update(batch);
  REQUIRE(saved.SaveCheckpoint(path, {}).ok());

  DdpgOptions faster = PendulumOptions(1);
  faster.actor_lr = 10 * saved.options().actor_lr;
  faster.critic_lr = 10 * saved.options().critic_lr;
  DdpgAgent loaded(faster);
  REQUIRE(loaded.LoadCheckpoint(path).ok());
  saved.Update(batch);
  loaded.Update(batch);
  // With the checkpoint's learning rates both would have taken the very same step.
  CHECK(loaded.ActorParameters() != saved.ActorParameters());
  CHECK(loaded.CriticParameters() != saved.CriticParameters());
}

TEST_CASE("a failed checkpoint load reports why and leaves the agent unchanged") {
  TemporaryDirectory directory;
  DdpgAgent agent(PendulumOptions(1));
  const auto actor = agent.ActorParameters();
  const auto critic = agent.CriticParameters();
  const auto target_critic = agent.TargetCriticParameters();
  auto unchanged = [&] {
    CHECK(agent.ActorParameters() == actor);
    CHECK(agent.CriticParameters() == critic);
    CHECK(agent.TargetCriticParameters() == target_critic);
  };

  SECTION("a missing file is NotFound") {
    const std::string path = directory.File("missing.pt");
    const auto result = agent.LoadCheckpoint(path);
    REQUIRE_FALSE(result.ok());
    CHECK(result.status().code() == StatusCode::kNotFound);
    CHECK_THAT(result.status().message(), Catch::Contains(path) && Catch::Contains("--resume"));
  }
  SECTION("other hidden sizes are InvalidArgument") {
    const std::string path = directory.File("other_sizes.pt");
    REQUIRE(DdpgAgent(PendulumOptions(1, {32, 32})).SaveCheckpoint(path, {}).ok());
    const auto result = agent.LoadCheckpoint(path);
    REQUIRE_FALSE(result.ok());
    CHECK(result.status().code() == StatusCode::kInvalidArgument);
    CHECK_THAT(result.status().message(), Catch::Contains("hidden_sizes is 32,32 in the file but 64,64"));
  }
  SECTION("other action bounds are InvalidArgument") {
    const std::string path = directory.File("other_bounds.pt");
    DdpgOptions options = PendulumOptions(1);
    options.act_high = {3.0f};
    REQUIRE(DdpgAgent(options).SaveCheckpoint(path, {}).ok());
    const auto result = agent.LoadCheckpoint(path);
    REQUIRE_FALSE(result.ok());
    CHECK(result.status().code() == StatusCode::kInvalidArgument);
    CHECK_THAT(result.status().message(), Catch::Contains("act_high"));
  }
  SECTION("garbage bytes are an error, not a crash") {
    const std::string path = directory.File("garbage.pt");
    std::ofstream(path, std::ios::binary) << std::string(4096, '\x5a') << "not a checkpoint";
    const auto result = agent.LoadCheckpoint(path);
    REQUIRE_FALSE(result.ok());
    CHECK(result.status().code() == StatusCode::kInvalidArgument);
  }
  SECTION("a truncated checkpoint is an error, not a crash") {
    const std::string whole = directory.File("whole.pt");
    const std::string path = directory.File("truncated.pt");
    REQUIRE(DdpgAgent(PendulumOptions(5)).SaveCheckpoint(whole, {}).ok());
    std::ifstream in(whole, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::ofstream(path, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
    const auto result = agent.LoadCheckpoint(path);
    REQUIRE_FALSE(result.ok());
    CHECK(result.status().code() == StatusCode::kInvalidArgument);
  }
  unchanged();
}

TEST_CASE("a checkpoint that cannot be written is an error") {
  TemporaryDirectory directory;
  DdpgAgent agent(PendulumOptions(1));
  const Status status = agent.SaveCheckpoint(directory.File("no/such/directory/checkpoint.pt"), {});
  CHECK_FALSE(status.ok());
  CHECK_THAT(status.message(), Catch::Contains("no/such/directory/checkpoint.pt"));
}

TEST_CASE("an update whose loss overflows is skipped whole and every network keeps its finite values", "[ddpg]") {
  SingleThreaded single;
  for (Algorithm algorithm : {Algorithm::kDdpg, Algorithm::kTd3}) {
    INFO(ConfigEnumName(algorithm));
    DdpgOptions options = PendulumOptions(1);
    options.algorithm = algorithm;
    DdpgAgent agent(options);
    const auto actor = agent.ActorParameters();
    const auto critic = agent.CriticParameters();
    const auto target_actor = agent.TargetActorParameters();
    const auto target_critic = agent.TargetCriticParameters();

    // Finite, so the replay server stores it; its square is not, so the critic's loss overflows.
    protocol::TransitionBatch batch = MakeBatch(64, 3);
    batch.rewards[5] = 3e38f;
    const UpdateResult result = agent.Update(batch);
    CHECK(result.skipped_non_finite);
    CHECK_FALSE(result.critic_updated);
    CHECK_FALSE(result.actor_updated);
    CHECK(agent.ActorParameters() == actor);
    CHECK(agent.CriticParameters() == critic);
    CHECK(agent.TargetActorParameters() == target_actor);
    CHECK(agent.TargetCriticParameters() == target_critic);

    // The agent trains on as before: the skipped update left no gradients or optimizer state behind.
    const UpdateResult next = agent.Update(MakeBatch(64, 4));
    CHECK(next.critic_updated);
    CHECK_FALSE(next.skipped_non_finite);
    CHECK(std::isfinite(next.critic_loss));
    for (float value : agent.CriticParameters()) REQUIRE(std::isfinite(value));
  }
}

}  // namespace
}  // namespace ddpg
