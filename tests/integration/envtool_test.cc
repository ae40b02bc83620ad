// Integration tests of the envtool binary (tools/envtool.cc): list, rollout (checked against Pendulum's
// reward formula and the JSON-lines contract), bench, and its usage errors.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness.h"

using namespace std::chrono_literals;
using ddpg::testing::BinaryPath;
using ddpg::testing::ChildProcess;
using ddpg::testing::ReadJsonLines;
using ddpg::testing::TempDir;

namespace {

struct Run {
  std::optional<int> code;
  std::string output;  // stdout and stderr together
};

Run RunEnvtool(const TempDir& dir, const std::vector<std::string>& args) {
  static int runs = 0;
  ChildProcess process(BinaryPath("envtool"), args, dir.File("envtool-" + std::to_string(runs++) + ".out"));
  const auto code = process.Wait(120s);
  return {code, process.Log()};
}

std::string ReadFile(const std::string& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

// The line of `envtool list` for `id`, or "" if there is none.
std::string ListLine(const std::string& output, const std::string& id) {
  std::istringstream lines(output);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(id + ": ", 0) == 0) return line;
  }
  return "";
}

std::vector<float> Floats(const nlohmann::json& array) { return array.get<std::vector<float>>(); }

bool Contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST_CASE("envtool list shows Pendulum-v1 and MountainCarContinuous-v0 with their dimensions and limits") {
  TempDir dir;
  const Run run = RunEnvtool(dir, {"list"});
  INFO(run.output);
  REQUIRE(run.code == std::optional<int>(0));
  const std::string pendulum = ListLine(run.output, "Pendulum-v1");
  CHECK(Contains(pendulum, "obs_dim 3, act_dim 1"));
  CHECK(Contains(pendulum, "action low [-2] high [2]"));
  CHECK(Contains(pendulum, "observation low [-1, -1, -8] high [1, 1, 8]"));
  CHECK(Contains(pendulum, "time limit 200 steps"));
  const std::string car = ListLine(run.output, "MountainCarContinuous-v0");
  CHECK(Contains(car, "obs_dim 2, act_dim 1"));
  CHECK(Contains(car, "action low [-1] high [1]"));
  CHECK(Contains(car, "observation low [-1.2, -0.07] high [0.6, 0.07]"));
  CHECK(Contains(car, "time limit 999 steps"));
}

TEST_CASE("envtool rollout of Pendulum-v1 writes one consistent JSON line per step") {
  TempDir dir;
  const std::string path = dir.File("seed3.jsonl");
  const Run run = RunEnvtool(
      dir, {"rollout", "--env", "Pendulum-v1", "--seed", "3", "--episodes", "2", "--policy", "random", "--out", path});
  INFO(run.output);
  REQUIRE(run.code == std::optional<int>(0));
  const std::vector<nlohmann::json> steps = ReadJsonLines(path);
  REQUIRE(steps.size() == 400);

  double returns[2] = {0.0, 0.0};
  bool some_action_nonzero = false;
  for (size_t i = 0; i < steps.size(); ++i) {
    const nlohmann::json& step = steps[i];
    INFO("line " << i << ": " << step.dump());
    for (const char* field : {"episode", "t", "obs", "action", "reward", "terminated", "truncated", "next_obs"}) {
      REQUIRE(step.contains(field));
    }
    REQUIRE(step.size() == 8);
    const int episode = step["episode"].get<int>();
    const int t = step["t"].get<int>();
    REQUIRE(episode == static_cast<int>(i / 200));
    REQUIRE(t == static_cast<int>(i % 200));
    REQUIRE(step["terminated"] == false);
    REQUIRE(step["truncated"] == (t == 199));

    const std::vector<float> obs = Floats(step["obs"]);
    const std::vector<float> action = Floats(step["action"]);
    const std::vector<float> next_obs = Floats(step["next_obs"]);
    REQUIRE(obs.size() == 3);
    REQUIRE(next_obs.size() == 3);
    REQUIRE(action.size() == 1);
    REQUIRE(std::abs(action[0]) <= 2.0f);
    some_action_nonzero |= action[0] != 0.0f;
    if (t < 199) REQUIRE(Floats(steps[i + 1]["obs"]) == next_obs);

    // Pendulum-v1's reward from the observation before the step: the angle from cos/sin, theta_dot as is.
    const double theta = std::atan2(obs[1], obs[0]);
    const double u = std::clamp(static_cast<double>(action[0]), -2.0, 2.0);
    const double expected = -(theta * theta + 0.1 * obs[2] * obs[2] + 0.001 * u * u);
    const float reward = step["reward"].get<float>();
    REQUIRE(reward == Approx(expected).epsilon(1e-5).margin(1e-5));
    returns[episode] += reward;
  }
  CHECK(some_action_nonzero);
  // The second episode starts from a fresh reset, not from where the first ended.
  CHECK(Floats(steps[200]["obs"]) != Floats(steps[199]["next_obs"]));
  // Returns and lengths on stderr, formatted the way an ostream prints a double.
  for (int episode = 0; episode < 2; ++episode) {
    std::ostringstream summary;
    summary << "episode " << episode << ": return " << returns[episode] << ", length 200, truncated";
    CHECK(Contains(run.output, summary.str()));
  }
}

TEST_CASE("envtool rollout is reproducible for a seed and differs between seeds") {
  TempDir dir;
  const std::vector<std::string> common = {"rollout", "--env", "Pendulum-v1", "--episodes", "2", "--policy", "random"};
  auto rollout = [&](const std::string& seed, const std::string& name) {
    std::vector<std::string> args = common;
    args.insert(args.end(), {"--seed", seed, "--out", dir.File(name)});
    const Run run = RunEnvtool(dir, args);
    INFO(run.output);
    REQUIRE(run.code == std::optional<int>(0));
    return ReadFile(dir.File(name));
  };
  const std::string a = rollout("3", "a.jsonl");
  const std::string b = rollout("3", "b.jsonl");
  const std::string c = rollout("4", "c.jsonl");
  REQUIRE_FALSE(a.empty());
  CHECK(a == b);
  CHECK(a != c);

  // Without --out the same lines go to stdout.
  const Run to_stdout = RunEnvtool(dir, {"rollout", "--env", "Pendulum-v1", "--episodes", "1", "--seed", "3"});
  REQUIRE(to_stdout.code == std::optional<int>(0));
  CHECK(Contains(to_stdout.output, a.substr(0, a.find('\n') + 1)));
}

TEST_CASE("envtool rollout --policy zero takes zero actions") {
  TempDir dir;
  const std::string pendulum = dir.File("pendulum.jsonl");
  Run run = RunEnvtool(dir, {"rollout", "--env", "Pendulum-v1", "--seed", "1", "--policy", "zero", "--out", pendulum});
  INFO(run.output);
  REQUIRE(run.code == std::optional<int>(0));
  const auto pendulum_steps = ReadJsonLines(pendulum);
  REQUIRE(pendulum_steps.size() == 200);
  for (const auto& step : pendulum_steps) REQUIRE(Floats(step["action"]) == std::vector<float>{0.0f});

  // MountainCar under zero force never reaches the goal: 999 steps of reward 0, then truncation.
  const std::string car = dir.File("car.jsonl");
  run = RunEnvtool(dir, {"rollout", "--env", "MountainCarContinuous-v0", "--policy", "zero", "--out", car});
  REQUIRE(run.code == std::optional<int>(0));
  const auto car_steps = ReadJsonLines(car);
  REQUIRE(car_steps.size() == 999);
  for (const auto& step : car_steps) {
    REQUIRE(Floats(step["action"]) == std::vector<float>{0.0f});
    REQUIRE(step["reward"].get<float>() == 0.0f);
    REQUIRE(step["terminated"] == false);
    REQUIRE(step["truncated"] == (step["t"].get<int>() == 998));
  }
  CHECK(Contains(run.output, "episode 0: return 0, length 999, truncated"));
}

TEST_CASE("envtool refuses an unknown id and bad arguments with exit code 2") {
  TempDir dir;
  Run run = RunEnvtool(dir, {"rollout", "--env", "Nope-v0"});
  INFO(run.output);
  CHECK(run.code == std::optional<int>(2));
  CHECK(Contains(run.output, "envtool: error: unknown environment id 'Nope-v0'"));
  CHECK(Contains(run.output, "Pendulum-v1"));
  CHECK(Contains(run.output, "MountainCarContinuous-v0"));

  run = RunEnvtool(dir, {"bench", "--env", "Nope-v0", "--seconds", "0.1"});
  CHECK(run.code == std::optional<int>(2));
  CHECK(Contains(run.output, "known ids: Pendulum-v1"));

  const std::vector<std::vector<std::string>> bad = {
      {},
      {"frobnicate"},
      {"list", "extra"},
      {"rollout"},
      {"rollout", "--env", "Pendulum-v1", "--episodes", "0"},
      {"rollout", "--env", "Pendulum-v1", "--episodes", "two"},
      {"rollout", "--env", "Pendulum-v1", "--seed", "-1"},
      {"rollout", "--env", "Pendulum-v1", "--policy", "greedy"},
      {"rollout", "--env", "Pendulum-v1", "--out", dir.File("missing-directory/out.jsonl")},
      {"rollout", "--env", "Pendulum-v1", "--unknown-option", "1"},
      {"bench", "--env", "Pendulum-v1", "--envs", "0"},
      {"bench", "--env", "Pendulum-v1", "--seconds", "-1"},
  };
  for (const auto& args : bad) {
    std::string joined;
    for (const auto& arg : args) joined += arg + " ";
    run = RunEnvtool(dir, args);
    INFO("envtool " << joined << "\n" << run.output);
    CHECK(run.code == std::optional<int>(2));
    CHECK(Contains(run.output, "envtool: error: "));
  }
}

TEST_CASE("envtool --help describes every subcommand") {
  TempDir dir;
  Run run = RunEnvtool(dir, {"--help"});
  CHECK(run.code == std::optional<int>(0));
  CHECK(Contains(run.output, "rollout"));
  CHECK(Contains(run.output, "eval"));
  CHECK(Contains(run.output, "bench"));
  for (const auto& [subcommand, option] : std::vector<std::pair<std::string, std::string>>{
           {"list", "--help"}, {"rollout", "--policy"}, {"eval", "--episodes"}, {"bench", "--seconds"}}) {
    run = RunEnvtool(dir, {subcommand, "--help"});
    INFO(subcommand << ": " << run.output);
    CHECK(run.code == std::optional<int>(0));
    CHECK(Contains(run.output, "usage: envtool " + subcommand));
    CHECK(Contains(run.output, option));
  }
}

TEST_CASE("envtool bench prints a positive number of steps per second") {
  TempDir dir;
  const Run run = RunEnvtool(dir, {"bench", "--env", "Pendulum-v1", "--envs", "4", "--seconds", "0.3"});
  INFO(run.output);
  REQUIRE(run.code == std::optional<int>(0));
  // stdout's one line is the number alone; stderr's line describes it.
  std::istringstream lines(run.output);
  std::string line;
  std::optional<double> rate;
  while (std::getline(lines, line)) {
    char* end = nullptr;
    const double value = std::strtod(line.c_str(), &end);
    if (!line.empty() && *end == '\0') rate = value;
  }
  REQUIRE(rate.has_value());
  CHECK(*rate > 0.0);
  CHECK(Contains(run.output, "steps of 4 environments"));
}

}  // namespace
