// Integration tests of the tools that use a trained policy outside training: `envtool eval` and
// `envtool rollout --policy FILE` (tools/envtool.cc) and `export_policy` (tools/export_policy.cc), run as
// binaries on files the learner's own DdpgAgent wrote, and checked against that agent acting on the same
// observations. The exported TorchScript module is loaded both with torch::jit::load here and with Python's
// torch.jit.load (torchscript_actions.py, Debian's python3-torch).
#include <torch/script.h>
#include <torch/torch.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <numeric>
#include <optional>
#include <random>
#include <regex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "envs/registry.h"
#include "harness.h"
#include "learner/ddpg.h"

using namespace std::chrono_literals;
using ddpg::DdpgAgent;
using ddpg::DdpgOptions;
using ddpg::testing::BinaryPath;
using ddpg::testing::ChildProcess;
using ddpg::testing::ReadJsonLines;
using ddpg::testing::SourcePath;
using ddpg::testing::TempDir;

namespace {

struct Run {
  std::optional<int> code;
  std::string output;  // stdout and stderr together
};

Run RunTool(const TempDir& dir, const std::string& program, const std::vector<std::string>& args) {
  static int runs = 0;
  ChildProcess process(program, args, dir.File("tool-" + std::to_string(runs++) + ".out"));
  const auto code = process.Wait(120s);
  return {code, process.Log()};
}

bool Contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

DdpgOptions PendulumOptions() {
  DdpgOptions options;
  options.obs_dim = 3;
  options.act_dim = 1;
  options.hidden_sizes = {32, 32};
  options.act_low = {-2.0f};
  options.act_high = {2.0f};
  options.seed = 3;
  return options;
}

// Gives the agent an actor whose actions vary over the whole action range. A fresh actor's output layer
// starts near zero, so all its actions sit near the middle of the bounds, and a tool that read the wrong
// network, or none, would act almost the same.
void RandomizeActor(DdpgAgent& agent, uint32_t seed, float stddev) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, stddev);
  std::vector<float> actor = agent.ActorParameters();
  for (float& value : actor) value = normal(rng);
  REQUIRE(agent.SetParameters(actor, agent.CriticParameters()).ok());
}

std::vector<float> RandomObservations(int rows, int obs_dim, uint32_t seed, float stddev) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, stddev);
  std::vector<float> observations(static_cast<size_t>(rows * obs_dim));
  for (float& value : observations) value = normal(rng);
  return observations;
}

ddpg::protocol::TransitionBatch RandomBatch(size_t n, uint32_t seed) {
  const std::vector<float> observations = RandomObservations(static_cast<int>(n), 3, seed, 1.0f);
  ddpg::protocol::TransitionBatch batch;
  batch.obs_dim = 3;
  batch.act_dim = 1;
  batch.observations = observations;
  batch.next_observations = RandomObservations(static_cast<int>(n), 3, seed + 1, 1.0f);
  batch.actions = RandomObservations(static_cast<int>(n), 1, seed + 2, 1.0f);
  for (size_t i = 0; i < n; ++i) {
    batch.rewards.push_back(-observations[3 * i] * observations[3 * i]);
    batch.discounts.push_back(0.99f);
    batch.policy_versions.push_back(0);
  }
  return batch;
}

using ActFunction = std::function<std::vector<float>(const std::vector<float>&)>;

// The returns of `episodes` Pendulum-v1 episodes as envtool runs them: the first reset seeded, later ones
// continuing the environment's generator.
std::vector<double> Returns(const ActFunction& act, uint64_t seed, int episodes) {
  auto env = ddpg::MakeEnvironment("Pendulum-v1");
  REQUIRE(env.ok());
  std::vector<float> obs(3), next_obs(3);
  std::vector<double> returns;
  for (int episode = 0; episode < episodes; ++episode) {
    if (episode == 0) {
      (*env)->Reset(seed, obs.data());
    } else {
      (*env)->Reset(obs.data());
    }
    double episode_return = 0.0;
    ddpg::StepResult result;
    while (!result.terminated && !result.truncated) {
      const std::vector<float> action = act(obs);
      result = (*env)->Step(action.data(), next_obs.data());
      episode_return += result.reward;
      obs.swap(next_obs);
    }
    returns.push_back(episode_return);
  }
  return returns;
}

// The per-episode returns and the summary envtool eval printed.
struct EvalOutput {
  std::vector<double> returns;
  double mean = 0.0, std = 0.0, min = 0.0, max = 0.0;
};

EvalOutput ParseEval(const std::string& output) {
  static const std::regex kEpisode("episode ([0-9]+): return (\\S+), length 200, truncated");
  static const std::regex kSummary("return over ([0-9]+) episodes: mean (\\S+), std (\\S+), min (\\S+), max (\\S+)");
  EvalOutput parsed;
  for (auto it = std::sregex_iterator(output.begin(), output.end(), kEpisode); it != std::sregex_iterator(); ++it) {
    REQUIRE(std::stoul((*it)[1].str()) == parsed.returns.size());
    parsed.returns.push_back(std::stod((*it)[2].str()));
  }
  std::smatch summary;
  REQUIRE(std::regex_search(output, summary, kSummary));
  REQUIRE(std::stoul(summary[1].str()) == parsed.returns.size());
  parsed.mean = std::stod(summary[2].str());
  parsed.std = std::stod(summary[3].str());
  parsed.min = std::stod(summary[4].str());
  parsed.max = std::stod(summary[5].str());
  return parsed;
}

float LargestDifference(const std::vector<float>& a, const std::vector<float>& b) {
  REQUIRE(a.size() == b.size());
  float largest = 0.0f;
  for (size_t i = 0; i < a.size(); ++i) largest = std::max(largest, std::abs(a[i] - b[i]));
  return largest;
}

std::vector<float> ModuleActions(torch::jit::Module& module, const std::vector<float>& observations, int obs_dim) {
  torch::NoGradGuard no_grad;
  const auto rows = static_cast<int64_t>(observations.size()) / obs_dim;
  auto input = torch::from_blob(const_cast<float*>(observations.data()), {rows, obs_dim}, torch::kFloat32);
  auto output = module.forward({input}).toTensor().contiguous();
  REQUIRE(output.dim() == 2);
  REQUIRE(output.size(0) == rows);
  return {output.data_ptr<float>(), output.data_ptr<float>() + output.numel()};
}

// The exported module's actions computed by Python's torch.jit.load, and the attributes it read.
nlohmann::json PythonActions(const TempDir& dir, const std::string& module_path, const std::vector<float>& observations,
                             int obs_dim) {
  nlohmann::json rows = nlohmann::json::array();
  for (size_t i = 0; i < observations.size(); i += obs_dim) {
    rows.push_back(std::vector<float>(observations.begin() + i, observations.begin() + i + obs_dim));
  }
  std::ofstream(dir.File("observations.json")) << rows.dump();
  const Run run = RunTool(dir, SourcePath("tests/integration/torchscript_actions.py"),
                          {module_path, dir.File("observations.json"), dir.File("python_actions.json")});
  INFO(run.output);
  REQUIRE(run.code == std::optional<int>(0));
  std::ifstream file(dir.File("python_actions.json"));
  return nlohmann::json::parse(file);
}

std::vector<float> Flatten(const nlohmann::json& rows) {
  std::vector<float> flat;
  for (const auto& row : rows) {
    for (const auto& value : row) flat.push_back(value.get<float>());
  }
  return flat;
}

TEST_CASE("envtool eval of a saved policy reports the returns of the learner's actor on the same seeds") {
  TempDir dir;
  DdpgAgent agent(PendulumOptions());
  RandomizeActor(agent, 1, 0.3f);
  const std::string path = dir.File("best_policy.pt");
  REQUIRE(agent.SavePolicy(path, agent.ActorParameters(), 7, -123.0).ok());

  const Run run = RunTool(dir, BinaryPath("envtool"),
                          {"eval", "--policy", path, "--env", "Pendulum-v1", "--episodes", "4", "--seed", "5"});
  INFO(run.output);
  REQUIRE(run.code == std::optional<int>(0));
  CHECK(Contains(run.output, "policy v7, evaluation return -123.0 from " + path));
  const EvalOutput eval = ParseEval(run.output);

  const std::vector<double> expected = Returns([&](const std::vector<float>& obs) { return agent.Act(obs); }, 5, 4);
  const std::vector<double> zero = Returns([](const std::vector<float>&) { return std::vector<float>{0.0f}; }, 5, 4);
  REQUIRE(eval.returns.size() == 4);
  for (size_t i = 0; i < expected.size(); ++i) {
    INFO("episode " << i << ": the agent's return " << expected[i] << ", the zero policy's " << zero[i]);
    CHECK(eval.returns[i] == Approx(expected[i]).epsilon(1e-5));
    // The policy matters: a tool acting with zeros would not pass the check above.
    CHECK(std::abs(expected[i] - zero[i]) > 10.0);
  }
  const double mean = std::accumulate(expected.begin(), expected.end(), 0.0) / 4.0;
  double squares = 0.0;
  for (double value : expected) squares += (value - mean) * (value - mean);
  CHECK(eval.mean == Approx(mean).epsilon(1e-5));
  CHECK(eval.std == Approx(std::sqrt(squares / 4.0)).epsilon(1e-4));
  CHECK(eval.min == Approx(*std::min_element(expected.begin(), expected.end())).epsilon(1e-5));
  CHECK(eval.max == Approx(*std::max_element(expected.begin(), expected.end())).epsilon(1e-5));
}

TEST_CASE("envtool rollout --policy FILE takes the saved policy's actions") {
  TempDir dir;
  DdpgAgent agent(PendulumOptions());
  RandomizeActor(agent, 2, 0.3f);
  const std::string path = dir.File("best_policy.pt");
  REQUIRE(agent.SavePolicy(path, agent.ActorParameters(), 1, 0.0).ok());

  const std::string out = dir.File("rollout.jsonl");
  const Run run = RunTool(dir, BinaryPath("envtool"),
                          {"rollout", "--env", "Pendulum-v1", "--policy", path, "--seed", "2", "--out", out});
  INFO(run.output);
  REQUIRE(run.code == std::optional<int>(0));
  const auto steps = ReadJsonLines(out);
  REQUIRE(steps.size() == 200);
  float low = 2.0f, high = -2.0f;
  for (const auto& step : steps) {
    const auto obs = step["obs"].get<std::vector<float>>();
    const auto action = step["action"].get<std::vector<float>>();
    REQUIRE(action.size() == 1);
    REQUIRE(action[0] == Approx(agent.Act(obs)[0]).margin(1e-6));
    low = std::min(low, action[0]);
    high = std::max(high, action[0]);
  }
  // The trajectory exercises more than one corner of the policy.
  CHECK(high - low > 1.0f);
}

TEST_CASE("a checkpoint's online actor, not its target, is what envtool and export_policy use") {
  TempDir dir;
  DdpgOptions options = PendulumOptions();
  options.actor_lr = 1e-2;
  DdpgAgent agent(options);
  RandomizeActor(agent, 3, 0.3f);
  for (uint32_t i = 0; i < 20; ++i) agent.Update(RandomBatch(64, 10 * i));
  const std::vector<float> probe = RandomObservations(64, 3, 99, 1.0f);
  REQUIRE(LargestDifference(agent.Act(probe), agent.TargetAct(probe)) > 1e-2f);
  const std::string path = dir.File("checkpoint.pt");
  REQUIRE(agent.SaveCheckpoint(path, {.updates = 20}).ok());

  const std::string out = dir.File("rollout.jsonl");
  Run run = RunTool(dir, BinaryPath("envtool"),
                    {"rollout", "--env", "Pendulum-v1", "--policy", path, "--seed", "4", "--out", out});
  INFO(run.output);
  REQUIRE(run.code == std::optional<int>(0));
  for (const auto& step : ReadJsonLines(out)) {
    const auto obs = step["obs"].get<std::vector<float>>();
    REQUIRE(step["action"][0].get<float>() == Approx(agent.Act(obs)[0]).margin(1e-6));
  }

  run = RunTool(dir, BinaryPath("envtool"),
                {"eval", "--policy", path, "--env", "Pendulum-v1", "--episodes", "2", "--seed", "4"});
  REQUIRE(run.code == std::optional<int>(0));
  CHECK(Contains(run.output, "checkpoint at update 20 from " + path));
  const std::vector<double> expected = Returns([&](const std::vector<float>& obs) { return agent.Act(obs); }, 4, 2);
  const EvalOutput eval = ParseEval(run.output);
  REQUIRE(eval.returns.size() == 2);
  CHECK(eval.returns[0] == Approx(expected[0]).epsilon(1e-5));
  CHECK(eval.returns[1] == Approx(expected[1]).epsilon(1e-5));

  const std::string module_path = dir.File("policy.ts");
  run = RunTool(dir, BinaryPath("export_policy"), {"--policy", path, "--out", module_path});
  REQUIRE(run.code == std::optional<int>(0));
  torch::jit::Module module = torch::jit::load(module_path);
  CHECK(LargestDifference(ModuleActions(module, probe, 3), agent.Act(probe)) <= 1e-6f);
}

TEST_CASE("a TD3 checkpoint and policy file are read with their twin critics and evaluate like the agent") {
  TempDir dir;
  DdpgOptions options = PendulumOptions();
  options.algorithm = ddpg::Algorithm::kTd3;
  DdpgAgent agent(options);
  RandomizeActor(agent, 5, 0.3f);
  const std::string checkpoint = dir.File("checkpoint.pt");
  REQUIRE(agent.SaveCheckpoint(checkpoint, {.updates = 3}).ok());
  const std::string policy = dir.File("best_policy.pt");
  REQUIRE(agent.SavePolicy(policy, agent.ActorParameters(), 3, -100.0).ok());
  const std::vector<double> expected = Returns([&](const std::vector<float>& obs) { return agent.Act(obs); }, 4, 1);
  for (const std::string& path : {checkpoint, policy}) {
    Run run = RunTool(dir, BinaryPath("envtool"),
                      {"eval", "--policy", path, "--env", "Pendulum-v1", "--episodes", "1", "--seed", "4"});
    INFO(run.output);
    REQUIRE(run.code == std::optional<int>(0));
    const EvalOutput eval = ParseEval(run.output);
    REQUIRE(eval.returns.size() == 1);
    CHECK(eval.returns[0] == Approx(expected[0]).epsilon(1e-5));
  }
}

TEST_CASE("export_policy writes a TorchScript module whose actions are the learner's, in C++ and in Python") {
  TempDir dir;
  // Asymmetric bounds and layers of different widths, so that a swapped scale and offset, a dropped bound or
  // a layer read in the wrong order changes the actions.
  DdpgOptions options;
  options.obs_dim = 3;
  options.act_dim = 2;
  options.hidden_sizes = {16, 8};
  options.act_low = {-1.0f, 0.0f};
  options.act_high = {3.0f, 0.5f};
  DdpgAgent agent(options);
  RandomizeActor(agent, 4, 1.0f);
  const std::string policy_path = dir.File("best_policy.pt");
  REQUIRE(agent.SavePolicy(policy_path, agent.ActorParameters(), 11, -42.5).ok());
  const std::string module_path = dir.File("policy.ts");
  const Run run = RunTool(dir, BinaryPath("export_policy"), {"--policy", policy_path, "--out", module_path});
  INFO(run.output);
  REQUIRE(run.code == std::optional<int>(0));
  CHECK(Contains(run.output, "wrote " + module_path + ": policy v11, evaluation return -42.5"));

  constexpr int kRows = 256;
  const std::vector<float> observations = RandomObservations(kRows, 3, 5, 2.0f);
  const std::vector<float> expected = agent.Act(observations);
  // The actions reach far into both halves of each dimension's range, and never leave it.
  for (int j = 0; j < 2; ++j) {
    float low = 1e9f, high = -1e9f;
    for (int i = 0; i < kRows; ++i) {
      low = std::min(low, expected[2 * i + j]);
      high = std::max(high, expected[2 * i + j]);
    }
    const float range = options.act_high[j] - options.act_low[j];
    INFO("dimension " << j << ": actions in " << low << " .. " << high);
    REQUIRE(low < options.act_low[j] + 0.2f * range);
    REQUIRE(high > options.act_high[j] - 0.2f * range);
  }

  torch::jit::Module module = torch::jit::load(module_path);
  const std::vector<float> cpp_actions = ModuleActions(module, observations, 3);
  for (int i = 0; i < kRows; ++i) {
    for (int j = 0; j < 2; ++j) {
      REQUIRE(cpp_actions[2 * i + j] >= options.act_low[j]);
      REQUIRE(cpp_actions[2 * i + j] <= options.act_high[j]);
    }
  }
  // One observation without a batch dimension gives that observation's action.
  {
    torch::NoGradGuard no_grad;
    const auto single =
        module.forward({torch::tensor(std::vector<float>(observations.begin(), observations.begin() + 3))}).toTensor();
    REQUIRE(single.sizes() == std::vector<int64_t>{2});
    CHECK(single[0].item<float>() == Approx(expected[0]).margin(1e-6));
    CHECK(single[1].item<float>() == Approx(expected[1]).margin(1e-6));
  }
  CHECK(module.attr("obs_dim").toInt() == 3);
  CHECK(module.attr("act_dim").toInt() == 2);
  CHECK(module.attr("action_low").toDoubleVector() == std::vector<double>{-1.0, 0.0});
  CHECK(module.attr("action_high").toDoubleVector() == std::vector<double>{3.0, 0.5});

  const nlohmann::json python = PythonActions(dir, module_path, observations, 3);
  const std::vector<float> python_actions = Flatten(python["actions"]);
  CHECK(python["obs_dim"] == 3);
  CHECK(python["action_low"] == nlohmann::json({-1.0, 0.0}));
  CHECK(python["action_high"] == nlohmann::json({3.0, 0.5}));

  const float cpp_difference = LargestDifference(cpp_actions, expected);
  const float python_difference = LargestDifference(python_actions, expected);
  std::cout << "export round trip over " << kRows << " observations: largest |TorchScript - DdpgAgent::Act| "
            << cpp_difference << " (torch::jit::load), " << python_difference << " (Python torch.jit.load)\n";
  CHECK(cpp_difference <= 1e-6f);
  CHECK(python_difference <= 1e-6f);
}

TEST_CASE("envtool and export_policy refuse a file that is not a fitting policy with exit code 2") {
  TempDir dir;
  DdpgAgent agent(PendulumOptions());
  const std::string valid = dir.File("best_policy.pt");
  REQUIRE(agent.SavePolicy(valid, agent.ActorParameters(), 1, 0.0).ok());
  const std::string text = dir.File("notes.txt");
  std::ofstream(text) << "not a policy\n";
  // The first half of a real policy file, as a copy cut short would leave it.
  const std::string truncated = dir.File("truncated.pt");
  std::filesystem::copy_file(valid, truncated);
  std::filesystem::resize_file(truncated, std::filesystem::file_size(valid) / 2);
  const std::string missing = dir.File("missing.pt");

  struct Case {
    std::string file, env, message;
  };
  for (const Case& bad : std::vector<Case>{
           {missing, "Pendulum-v1", "neither random, zero nor an existing policy file"},
           {text, "Pendulum-v1", text + " is neither a policy file (best_policy.pt) nor a checkpoint"},
           {truncated, "Pendulum-v1", truncated + " is neither a policy file (best_policy.pt) nor a checkpoint"},
           {valid, "MountainCarContinuous-v0",
            "holds a policy for observations of 3 and actions of 1 in [-2] .. [2], but MountainCarContinuous-v0 "
            "has 2 and 1 in [-1] .. [1]"},
       }) {
    for (const char* subcommand : {"eval", "rollout"}) {
      const Run run = RunTool(dir, BinaryPath("envtool"), {subcommand, "--policy", bad.file, "--env", bad.env});
      INFO("envtool " << subcommand << " --policy " << bad.file << " --env " << bad.env << "\n" << run.output);
      CHECK(run.code == std::optional<int>(2));
      CHECK(Contains(run.output, "envtool: error: "));
      CHECK(Contains(run.output, bad.message));
    }
  }

  for (const auto& [file, message] :
       std::vector<std::pair<std::string, std::string>>{{missing, "policy file " + missing + " does not exist"},
                                                        {text, text + " is neither a policy file"},
                                                        {truncated, truncated + " is neither a policy file"}}) {
    const Run run = RunTool(dir, BinaryPath("export_policy"), {"--policy", file, "--out", dir.File("policy.ts")});
    INFO(run.output);
    CHECK(run.code == std::optional<int>(2));
    CHECK(Contains(run.output, "export_policy: error: " + message));
  }
  CHECK_FALSE(std::filesystem::exists(dir.File("policy.ts")));

  Run run = RunTool(dir, BinaryPath("export_policy"), {"--policy", valid, "--out", dir.File("no-such-dir/policy.ts")});
  INFO(run.output);
  CHECK(run.code == std::optional<int>(1));
  CHECK(Contains(run.output, "could not write the TorchScript policy"));
  run = RunTool(dir, BinaryPath("export_policy"), {"--policy", valid});
  CHECK(run.code == std::optional<int>(2));
  CHECK(Contains(run.output, "'--out' is required"));
}

}  // namespace
