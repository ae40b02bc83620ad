// The whole cluster trains on every registered environment: a short smoke run per id, each with the real
// replay_server, learner, actor and evaluator binaries.
#include <catch2/catch.hpp>

#include "envs/env_spec.h"
#include "harness.h"

using namespace std::chrono_literals;
using ddpg::testing::LastMetric;
using ddpg::testing::TestCluster;
using ddpg::testing::WaitFor;

TEST_CASE("the cluster trains on every registered environment") {
  for (const std::string& id : ddpg::RegisteredEnvironmentIds()) {
    // Its data files are made by scripts/get-movielens.sh and recsys baselines; movielens_offline_test runs it.
    if (id == "MovieLens-Offline-v0") continue;
    DYNAMIC_SECTION(id) {
      TestCluster cluster("smoke");
      const std::vector<std::string> args = {"--env.id",
                                             id,
                                             "--network.hidden_sizes",
                                             "32,32",
                                             "--learner.batch_size",
                                             "32",
                                             "--replay.samples_per_insert",
                                             "32",
                                             "--replay.min_size_to_sample",
                                             "300",
                                             "--actor.eval_episodes",
                                             "2",
                                             "--learner.publish_every",
                                             "20",
                                             "--learner.stop_at_target",
                                             "false"};
      auto replay = cluster.StartReplay(args);
      auto learner = cluster.StartLearner(args);
      auto actor = cluster.StartActor(0, 1, args);
      auto evaluator = cluster.StartEvaluator(args);
      INFO(learner->Log() << actor->Log());
      REQUIRE(WaitFor([&] { return LastMetric(cluster.MetricsPath("learner"), "step").value_or(0) >= 100; }, 60s));
      REQUIRE(
          WaitFor([&] { return LastMetric(cluster.MetricsPath("actor-0"), "policy_version").value_or(0) > 0; }, 30s));
      // Losses are finite numbers, not NaN (written as null).
      REQUIRE(WaitFor([&] { return LastMetric(cluster.MetricsPath("learner"), "critic_loss").has_value(); }, 10s));
      CHECK(learner->Running());
      CHECK(actor->Running());
      CHECK(evaluator->Running());
      CHECK(replay->Running());
    }
  }
}
