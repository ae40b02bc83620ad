// Every configuration shipped in configs/ parses, validates, and names an environment that can be built.
#include <catch2/catch.hpp>

#include <filesystem>
#include <set>
#include <string>
#include <vector>

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

TEST_CASE("every shipped configuration is valid for every binary and its environment can be built") {
  const std::vector<std::string> paths = ShippedConfigs();
  REQUIRE(paths.size() >= 13);
  std::set<std::string> environments;
  for (const std::string& path : paths) {
    for (Program program : {Program::kReplayServer, Program::kLearner, Program::kActor}) {
      const std::vector<const char*> argv = {"test", "--config", path.c_str()};
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
