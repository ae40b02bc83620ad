// Offline training on MovieLens-Offline-v0 with the real binaries: `recsys load-replay` turns a small log's
// training ratings into transitions and inserts them into a replay server on free ports, which then holds
// exactly one transition per training rating; a learner with no actors trains on them to learner.max_updates.
#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>

#include "harness.h"

using namespace std::chrono_literals;
using ddpg::testing::BinaryPath;
using ddpg::testing::ChildProcess;
using ddpg::testing::LastMetric;
using ddpg::testing::QueryReplayStats;
using ddpg::testing::TempDir;
using ddpg::testing::TestCluster;
using ddpg::testing::WaitFor;

namespace {

// 20 users rate the 10 of items 1..15 with (user + item) % 3 != 0, oldest first: with train_fraction 0.8 each
// trains on 8, 160 training ratings. The factorization's factors and item biases are small made-up numbers of
// dimension 2: the actions are the items' keys [q, b], 3 numbers, which the replay server checks against the box.
void WriteLog(const TempDir& dir) {
  std::ofstream ratings(dir.File("ratings.csv"));
  ratings << "userId,movieId,rating,timestamp\n";
  std::ofstream embeddings(dir.File("embeddings.txt"));
  embeddings << "ddpg-factorization 1 2 3.5 20 15\n";
  for (int user = 1; user <= 20; ++user) {
    embeddings << "u " << user << " 0 " << 0.1 * (user % 7) << " " << -0.1 * (user % 5) << "\n";
    for (int item = 1; item <= 15; ++item) {
      if ((user + item) % 3 != 0) ratings << user << "," << item << "," << 1 + (user * item) % 5 << "," << item << "\n";
    }
  }
  for (int item = 1; item <= 15; ++item)
    embeddings << "i " << item << " " << 0.02 * item - 0.15 << " " << 0.05 * item - 0.4 << " " << 0.3 - 0.04 * item
               << "\n";
}

}  // namespace

TEST_CASE("recsys load-replay fills a replay server for a learner") {
  TempDir dir;
  WriteLog(dir);
  TestCluster cluster("movielens");
  const std::vector<std::string> args = {"--env.id",
                                         "MovieLens-Offline-v0",
                                         "--movielens.ratings",
                                         dir.File("ratings.csv"),
                                         "--movielens.embeddings",
                                         dir.File("embeddings.txt"),
                                         "--actor.chunk_size",
                                         "50",
                                         "--replay.min_size_to_sample",
                                         "100",
                                         "--learner.max_updates",
                                         "30",
                                         "--learner.batch_size",
                                         "32",
                                         "--replay.rate_error_buffer",
                                         "1e9",
                                         "--learner.stop_at_target",
                                         "false"};
  auto replay = cluster.StartReplay(args);
  std::vector<std::string> load_args = {"load-replay"};
  for (const std::string& arg : cluster.Args(args)) load_args.push_back(arg);
  ChildProcess load(BinaryPath("recsys"), load_args, dir.File("load.out"));
  const auto code = load.Wait(60s);
  INFO(load.Log());
  REQUIRE(code);
  CHECK(*code == 0);
  CHECK(load.Log().find("160 transitions") != std::string::npos);
  CHECK(load.Log().find("act_dim 3") != std::string::npos);
  CHECK(load.Log().find("acknowledged 160 transitions, refused 0") != std::string::npos);
  const auto stats = QueryReplayStats(cluster.replay_endpoint());
  REQUIRE(stats);
  CHECK(stats->replay_size == 160);
  CHECK(stats->total_inserted == 160);

  auto learner = cluster.StartLearner(args);
  INFO(learner->Log());
  const auto learner_code = learner->Wait(90s);
  REQUIRE(learner_code);
  CHECK(*learner_code == 0);
  CHECK(LastMetric(cluster.MetricsPath("learner"), "step").value_or(0) >= 30);
}
