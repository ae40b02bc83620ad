// The recsys command on small rating files: the baselines table, a checkpoint's evaluation beside it and its
// recommendations, and refusals of bad data.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <tuple>

#include "harness.h"
#include "learner/ddpg.h"

using namespace std::chrono_literals;
using ddpg::testing::BinaryPath;
using ddpg::testing::ChildProcess;
using ddpg::testing::TempDir;

namespace {

// Runs `recsys args...` to completion; its exit code and output.
std::pair<int, std::string> RunRecsys(const TempDir& dir, const std::vector<std::string>& args) {
  ChildProcess recsys(BinaryPath("recsys"), args, dir.File("recsys.out"));
  const auto code = recsys.Wait(120s);
  REQUIRE(code);
  std::string output = recsys.Log();
  std::remove(dir.File("recsys.out").c_str());
  return {*code, output};
}

}  // namespace

TEST_CASE("recsys baselines ranks a small log's held-out ratings with every baseline") {
  TempDir dir;
  {
    std::ofstream ratings(dir.File("ratings.csv"));
    ratings << "userId,movieId,rating,timestamp\n";
    for (int user = 1; user <= 20; ++user) {
      for (int item = 1; item <= 15; ++item) {
        if ((user + item) % 3 != 0)
          ratings << user << "," << item << "," << 1 + (user * item) % 5 << "," << item << "\n";
      }
    }
  }
  const auto [code, output] = RunRecsys(
      dir, {"baselines", "--ratings", dir.File("ratings.csv"), "--epochs", "20", "--embeddings", dir.File("mf.txt")});
  INFO(output);
  CHECK(code == 0);
  CHECK(output.find("200 ratings, 20 users, 15 items") != std::string::npos);
  for (const char* row : {"random ", "popular ", "greedy MF "}) CHECK(output.find(row) != std::string::npos);
  CHECK(std::ifstream(dir.File("mf.txt")).good());
  // λ was chosen on the validation split by default, and the factorization used the chosen one.
  const size_t chosen = output.find("chosen: regularization ");
  REQUIRE(chosen != std::string::npos);
  const std::string lambda = output.substr(chosen + 23, output.find(' ', chosen + 23) - chosen - 23);
  CHECK(output.find("epochs, regularization " + lambda + ":") != std::string::npos);

  const auto [fixed_code, fixed] =
      RunRecsys(dir, {"baselines", "--ratings", dir.File("ratings.csv"), "--epochs", "20", "--regularization", "0.3"});
  CHECK(fixed_code == 0);
  CHECK(fixed.find("chosen:") == std::string::npos);
  CHECK(fixed.find("epochs, regularization 0.3:") != std::string::npos);
}

TEST_CASE("recsys baselines refuses a malformed ratings file naming the line, and bad usage") {
  TempDir dir;
  std::ofstream(dir.File("bad.csv")) << "userId,movieId,rating,timestamp\n1,2,3,4\n1,3,9,5\n";
  const auto [code, output] = RunRecsys(dir, {"baselines", "--ratings", dir.File("bad.csv")});
  CHECK(code == 2);
  CHECK(output.find("bad.csv:3: rating '9' lies outside [0.5, 5]") != std::string::npos);
  CHECK(RunRecsys(dir, {"baselines"}).first == 2);
  const auto [lambda_code, lambda] =
      RunRecsys(dir, {"baselines", "--ratings", dir.File("bad.csv"), "--regularization", "lots"});
  CHECK(lambda_code == 2);
  CHECK(lambda.find("--regularization must be auto or a number, not 'lots'") != std::string::npos);
  CHECK(RunRecsys(dir, {"train-everything"}).first == 2);
}

namespace {

// A small log (20 users, 15 items), its factorization of dimension 2 from `recsys baselines`, whose output is
// returned, an INI file naming both, titles for the items, and a checkpoint of networks of the right sizes
// (observations of 6 numbers, actions of 3: the item keys [q, b]) and one of a run from before actions had the
// bias (actions of 2).
std::string WriteTrainedRun(const TempDir& dir) {
  {
    std::ofstream ratings(dir.File("ratings.csv"));
    ratings << "userId,movieId,rating,timestamp\n";
    for (int user = 1; user <= 20; ++user) {
      for (int item = 1; item <= 15; ++item) {
        if ((user + item) % 3 != 0)
          ratings << user << "," << item << "," << 1 + (user * item) % 5 << "," << item << "\n";
      }
    }
    std::ofstream movies(dir.File("movies.csv"));
    movies << "\"movieId\",\"title\",\"year\",\"genres\"\n";
    for (int item = 1; item <= 15; ++item) movies << item << ",\"Film number " << item << "\",2000,\"Drama\"\n";
    std::ofstream(dir.File("run.ini")) << "[movielens]\nratings = " << dir.File("ratings.csv")
                                       << "\nembeddings = " << dir.File("mf.txt") << "\n";
  }
  const auto [code, output] =
      RunRecsys(dir, {"baselines", "--ratings", dir.File("ratings.csv"), "--epochs", "20", "--dim", "2",
                      "--regularization", "0.1", "--embeddings", dir.File("mf.txt")});
  REQUIRE(code == 0);
  for (const auto& [name, obs_dim, act_dim] : {std::tuple{"checkpoint.pt", 6, 3}, std::tuple{"old.pt", 6, 2}}) {
    ddpg::DdpgOptions options;
    options.obs_dim = obs_dim;
    options.act_dim = act_dim;
    options.hidden_sizes = {8};
    options.act_low.assign(act_dim, -1.0f);
    options.act_high.assign(act_dim, 1.0f);
    options.seed = 3;
    ddpg::DdpgAgent agent(options);
    REQUIRE(agent.SaveCheckpoint(dir.File(name), {}).ok());
    if (act_dim == 3) REQUIRE(agent.SavePolicy(dir.File("best_policy.pt"), agent.ActorParameters(), 1, 0.0).ok());
  }
  return output;
}

// The line of `text` that starts with `prefix`, or "".
std::string LineStarting(const std::string& text, const std::string& prefix) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(prefix, 0) == 0) return line;
  }
  return "";
}

}  // namespace

// The MovieLens environment's two reference policies. On the factorization's own training ratings, recommending by
// its predicted rating ([p_u, 1] scores item i as p_u . q_i + b_i) must beat recommending at random: a swap of the
// two policies, or a lost bias coordinate, shows here.
TEST_CASE("recsys movielens-eval prints both reference policies, the user factor above random") {
  TempDir dir;
  WriteTrainedRun(dir);
  std::ofstream(dir.File("short.ini")) << "[movielens]\nratings = " << dir.File("ratings.csv")
                                       << "\nembeddings = " << dir.File("mf.txt")
                                       << "\nmin_ratings = 3\nepisode_length = 3\nhistory = 2\n";
  const auto [code, output] =
      RunRecsys(dir, {"movielens-eval", "--config", dir.File("short.ini"), "--split", "train", "--episodes", "40"});
  INFO(output);
  REQUIRE(code == 0);
  CHECK(output.find("20 of 20 users with >= 3 ratings in the split; 40 episodes per policy") != std::string::npos);
  double random_mean = 0.0, random_std = -1.0, factor_mean = 0.0, factor_std = -1.0;
  std::istringstream(LineStarting(output, "random ").substr(6)) >> random_mean >> random_std;
  std::istringstream(LineStarting(output, "user factor ").substr(11)) >> factor_mean >> factor_std;
  CHECK(random_std >= 0.0);
  CHECK(factor_std >= 0.0);
  CHECK(factor_mean > random_mean + 1.0);

  const auto [bad_code, bad_output] = RunRecsys(dir, {"movielens-eval", "--config", dir.File("run.ini")});
  CHECK(bad_code == 2);
  CHECK(bad_output.find("movielens.min_ratings = 10: no user the factorization knows has that many ratings") !=
        std::string::npos);
}

TEST_CASE("recsys evaluate puts a checkpoint's row under the baselines' rows") {
  TempDir dir;
  const std::string baselines = WriteTrainedRun(dir);
  const auto [code, output] =
      RunRecsys(dir, {"evaluate", "--config", dir.File("run.ini"), "--checkpoint", dir.File("checkpoint.pt")});
  INFO(baselines << "\n" << output);
  CHECK(code == 0);
  // The same users and the same metric code: the baselines' rows are those `recsys baselines` printed.
  for (const char* row : {"random ", "popular ", "greedy MF ", "recommender ", "20 test users"}) {
    CHECK(!LineStarting(output, row).empty());
    CHECK(LineStarting(output, row) == LineStarting(baselines, row));
  }
  CHECK(!LineStarting(output, "ddpg ").empty());

  const auto [csv_code, csv] =
      RunRecsys(dir, {"evaluate", "--config", dir.File("run.ini"), "--checkpoint", dir.File("checkpoint.pt"),
                      "--rerank", "critic", "--k", "5", "--index", "knn", "--csv", "--name", "seed 3"});
  INFO(csv);
  CHECK(csv_code == 0);
  CHECK(!LineStarting(csv,
                      "recommender,p_at_5,p_at_10,ndcg_at_5,ndcg_at_10,catalogue_hr_at_10,catalogue_ndcg_at_10,"
                      "held_out_users,catalogue_users")
             .empty());
  for (const char* row : {"random,", "popular,", "greedy MF,", "seed 3,"}) {
    const std::string line = LineStarting(csv, row);
    CHECK(std::count(line.begin(), line.end(), ',') == 8);
  }
}

TEST_CASE("recsys recommend prints titles, and refuses bad users, files and checkpoints") {
  TempDir dir;
  WriteTrainedRun(dir);
  const std::vector<std::string> common = {"recommend", "--config", dir.File("run.ini"), "--top", "3"};
  const auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = common;
    args.insert(args.end(), extra.begin(), extra.end());
    return RunRecsys(dir, args);
  };
  const auto [code, output] = with({"--checkpoint", dir.File("checkpoint.pt"), "--user", "4", "--rerank", "critic"});
  INFO(output);
  CHECK(code == 0);
  CHECK(output.find("user 4: 8 training ratings, 2 held out") != std::string::npos);
  CHECK(output.find("rated highest in the training part:\n  5.0  Film number") != std::string::npos);
  CHECK(output.find("recommended (ddpg+critic@100;") != std::string::npos);
  for (const char* place : {"   1. Film number ", "   2. Film number ", "   3. Film number "}) {
    CHECK(output.find(place) != std::string::npos);
  }
  CHECK(output.find("   4. ") == std::string::npos);
  CHECK(output.find("(2000), Drama") != std::string::npos);

  const auto refusal = [&](std::vector<std::string> extra, const std::string& message) {
    const auto [refused_code, refused] = with(extra);
    INFO(refused);
    CHECK(refused_code == 2);
    CHECK(refused.find(message) != std::string::npos);
  };
  refusal({"--checkpoint", dir.File("checkpoint.pt"), "--user", "99"},
          "unknown user 99: " + dir.File("ratings.csv") + " has no training rating by it (20 users, ids 1 to 20)");
  refusal({"--checkpoint", dir.File("checkpoint.pt"), "--user", "4", "--movies", dir.File("none.csv")},
          "movies file " + dir.File("none.csv") + " cannot be read (scripts/get-movielens.sh writes it)");
  refusal({"--checkpoint", dir.File("old.pt"), "--user", "4"},
          "the checkpoint's networks take observations of 6 and actions of 2 numbers; factors of dimension 2");
  refusal({"--checkpoint", dir.File("old.pt"), "--user", "4"}, "need 6 and 3 (the item key [q, b])");
  refusal({"--checkpoint", dir.File("best_policy.pt"), "--user", "4"}, "holds the actor alone");
  refusal({"--checkpoint", dir.File("checkpoint.pt"), "--user", "4", "--rerank", "best"},
          "--rerank 'best': expected none");
  std::filesystem::remove(dir.File("movies.csv"));
  refusal({"--checkpoint", dir.File("checkpoint.pt"), "--user", "4"}, "movies.csv cannot be read");
}
