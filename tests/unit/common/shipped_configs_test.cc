// Every configuration shipped in configs/ parses, validates, and names an environment that can be built.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include <unistd.h>

#include "common/command_line.h"
#include "envs/env_spec.h"
#include "envs/environment.h"
#include "envs/registry.h"

namespace ddpg {
namespace {

std::vector<std::string> ShippedConfigs() {
  std::vector<std::string> paths;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(DDPG_SOURCE_DIR) + "/configs")) {
    if (entry.path().extension() == ".ini") paths.push_back(entry.path().string());
  }
  return paths;
}

}  // namespace

// MovieLens-Offline-v0's data files are not in the repository (scripts/get-movielens.sh, recsys baselines): a
// tiny log and factorization stand in for them, passed to every configuration (the others ignore them).
struct StandInMovieLensFiles {
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("shipped_configs_test_" + std::to_string(::getpid()));
  std::string ratings = (dir / "ratings.csv").string();
  std::string embeddings = (dir / "embeddings.txt").string();
  StandInMovieLensFiles() {
    std::filesystem::create_directories(dir);
    // One user with 20 ratings: 16 train, 4 test (min_ratings = 10 holds for the training split).
    std::ofstream log(ratings);
    std::ofstream factors(embeddings);
    log << "userId,movieId,rating,timestamp\n";
    factors << "ddpg-factorization 1 2 3.5 1 20\nu 1 0 0.5 -0.5\n";
    for (int item = 1; item <= 20; ++item) {
      log << "1," << item << "," << 1 + item % 5 << "," << item << "\n";
      factors << "i " << item << " 0 " << 0.1 * item << " " << -0.05 * item << "\n";
    }
  }
  ~StandInMovieLensFiles() { std::filesystem::remove_all(dir); }
};

TEST_CASE("every shipped configuration is valid for every binary and its environment can be built") {
  const StandInMovieLensFiles movielens;
  const std::vector<std::string> paths = ShippedConfigs();
  REQUIRE(paths.size() >= 13);
  std::set<std::string> environments;
  for (const std::string& path : paths) {
    for (Program program : {Program::kReplayServer, Program::kLearner, Program::kActor}) {
      const std::vector<const char*> argv = {"test",
                                             "--config",
                                             path.c_str(),
                                             "--movielens.ratings",
                                             movielens.ratings.c_str(),
                                             "--movielens.embeddings",
                                             movielens.embeddings.c_str()};
      const StatusOr<CommandLine> parsed = ParseCommandLine(static_cast<int>(argv.size()), argv.data(), program);
      INFO(path << ": " << parsed.status().message());
      REQUIRE(parsed.ok());
      CHECK(parsed->config.learner.max_env_steps > parsed->config.replay.min_size_to_sample);
      auto env = MakeEnvironment(parsed->config.env.id, parsed->config.env.options);
      INFO(env.status().message());
      CHECK(env.ok());
      environments.insert(parsed->config.env.id);
    }
  }
  // One configuration per registered environment.
  const std::vector<std::string> ids = RegisteredEnvironmentIds();
  CHECK(environments == std::set<std::string>(ids.begin(), ids.end()));
}

}  // namespace ddpg
