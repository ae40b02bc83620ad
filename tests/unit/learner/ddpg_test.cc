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

#include "common/networks.h"

namespace ddpg {
namespace {

namespace fs = std::filesystem;

// Pendulum-v1's dimensions, with small layers so that a few hundred updates take well under a second.
DdpgOptions PendulumOptions(uint64_t seed, std::vector<int> hidden_sizes = {64, 64}) {
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
protocol::TransitionBatch MakeBatch(size_t n, uint32_t seed, int obs_dim = 3, int act_dim = 1) {
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

std::vector<float> ProbeObservations() { return {0.5f, -0.3f, 1.2f, -1.0f, 0.0f, 7.0f, 0.1f, 0.9f, -4.0f}; }
std::vector<float> ProbeActions() { return {1.5f, -0.2f, 0.0f}; }

// A directory of its own under the system's temporary directory, removed with everything in it.
class TemporaryDirectory {
 public:
  TemporaryDirectory() {
    const auto stamp = std::chrono::steady_clock::now().time_since_epoch().count();
    path_ = fs::temp_directory_path() /
            ("ddpg_test_" + std::to_string(stamp) + "_" + std::to_string(std::random_device{}()));
    fs::create_directories(path_);
  }
  ~TemporaryDirectory() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  TemporaryDirectory(const TemporaryDirectory&) = delete;
  TemporaryDirectory& operator=(const TemporaryDirectory&) = delete;

  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

struct SingleThreaded {
  SingleThreaded() { torch::set_num_threads(1); }
};

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

TEST_CASE("the Polyak update moves the target by tau towards the source") {
  torch::nn::Linear target(2, 1), source(2, 1);
  auto set = [](torch::nn::Linear& layer, std::vector<float> weight, float bias) {
    torch::NoGradGuard no_grad;
    layer->weight.copy_(torch::tensor(weight).view({1, 2}));
    layer->bias.fill_(bias);
  };
  set(source, {5.0f, 6.0f}, 7.0f);

  SECTION("tau = 0.25 mixes the parameters") {
    set(target, {1.0f, 2.0f}, 3.0f);
    PolyakUpdate(*target, *source, 0.25);
    CHECK(FlattenParameters(*target) == std::vector<float>{2.0f, 3.0f, 4.0f});
  }
  SECTION("tau = 1 copies the source") {
    set(target, {1.0f, 2.0f}, 3.0f);
    PolyakUpdate(*target, *source, 1.0);
    CHECK(FlattenParameters(*target) == std::vector<float>{5.0f, 6.0f, 7.0f});
  }
  SECTION("tau = 0 leaves the target unchanged") {
    set(target, {1.0f, 2.0f}, 3.0f);
    PolyakUpdate(*target, *source, 0.0);
    CHECK(FlattenParameters(*target) == std::vector<float>{1.0f, 2.0f, 3.0f});
  }
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
  REQUIRE(saved.SaveCheckpoint(path, {5, 1234}).ok());
  CHECK(fs::exists(path));
  CHECK_FALSE(fs::exists(path + ".tmp"));
  // Saving again replaces the file in place.
  REQUIRE(saved.SaveCheckpoint(path, {5, 1234}).ok());
  CHECK_FALSE(fs::exists(path + ".tmp"));

  DdpgAgent loaded(PendulumOptions(2));
  REQUIRE(loaded.ActorParameters() != saved.ActorParameters());
  const auto counters = loaded.LoadCheckpoint(path);
  REQUIRE(counters.ok());
  CHECK(counters->updates == 5);
  CHECK(counters->env_steps == 1234);

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
    CHECK_THAT(result.status().message(), Catch::Contains("hidden_sizes is 32,32 in the checkpoint but 64,64"));
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

}  // namespace
}  // namespace ddpg
