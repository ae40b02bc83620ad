// envtool: inspects the environment registry, records rollouts as JSON lines, evaluates a trained policy,
// and measures environment throughput. See `envtool --help` and `envtool SUBCOMMAND --help`.
//
//   envtool list [--config INI]
//   envtool rollout --env ID [--seed S] [--episodes E] [--policy random|zero|FILE] [--out FILE] [--config INI]
//   envtool eval --policy random|zero|FILE --env ID [--episodes E] [--seed S] [--config INI]
//   envtool bench --env ID [--envs K] [--seconds T] [--seed S] [--config INI]
//
// FILE is a policy the learner wrote: best_policy.pt or checkpoint.pt of a run directory. INI is a run's
// configuration, read for its environment options ([recsim], [movielens]) only, so that a policy is evaluated in the
// world it was trained in. Single-threaded; blocks until the subcommand is done. Exit codes: 0 done, 1 failed while
// writing, 2 bad usage (unknown id, bad arguments, unwritable --out, unreadable or unfitting policy file), with
// `envtool: error: ...` on stderr.
#include <boost/program_options.hpp>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <numeric>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "actor/policy.h"
#include "common/command_line.h"
#include "common/status.h"
#include "envs/env_batch.h"
#include "envs/env_spec.h"
#include "envs/environment.h"
#include "envs/registry.h"
#include "learner/saved_policy.h"

namespace po = boost::program_options;

namespace ddpg {
namespace {

// Environments speak float; a float-typed document prints each number as the shortest text that reads
// back as the same float, instead of the 17 digits of its double.
using FloatJson =
    nlohmann::basic_json<nlohmann::ordered_map, std::vector, std::string, bool, std::int64_t, std::uint64_t, float>;

constexpr int kUsageError = 2;

const char* const kUsage =
    "usage: envtool SUBCOMMAND [OPTIONS]\n"
    "\n"
    "subcommands:\n"
    "  list      every registered environment id with its dimensions, bounds and time limit\n"
    "  rollout   episodes of one environment under a random, zero or trained policy, as JSON lines\n"
    "  eval      mean, std, min and max return of a trained policy (best_policy.pt, checkpoint.pt)\n"
    "  bench     environment steps per second of a batch of environments on one thread\n"
    "\n"
    "`envtool SUBCOMMAND --help` describes the options of one subcommand.\n";

int Fail(const std::string& message, int code = kUsageError) {
  std::cerr << "envtool: error: " << message << "\n";
  return code;
}

std::string FormatFloat(float value) {
  char text[32];
  const auto result = std::to_chars(text, text + sizeof text, value);
  return std::string(text, result.ptr);
}

std::string FormatVector(const std::vector<float>& values) {
  std::string text = "[";
  for (size_t i = 0; i < values.size(); ++i) text += (i ? ", " : "") + FormatFloat(values[i]);
  return text + "]";
}

bool AllFinite(const std::vector<float>& values) {
  for (float value : values) {
    if (!std::isfinite(value)) return false;
  }
  return true;
}

// Seeds are taken as text: Boost's lexical_cast would wrap "-1" around to 2^64 - 1.
StatusOr<uint64_t> ParseSeed(const std::string& text) {
  uint64_t seed = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), seed);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) {
    return InvalidArgument("--seed '" + text + "' is not an integer in [0, 2^64)");
  }
  return seed;
}

// Uniform actions over the action bounds. Seeded apart from the environment: the same seed in both
// mt19937_64 streams would tie the first action to the reset state.
class RandomPolicy {
 public:
  static StatusOr<RandomPolicy> Create(const EnvSpec& spec, uint64_t seed) {
    if (!AllFinite(spec.act_low) || !AllFinite(spec.act_high)) {
      return InvalidArgument("the random policy needs finite action bounds; " + spec.id + " has low " +
                             FormatVector(spec.act_low) + " high " + FormatVector(spec.act_high));
    }
    return RandomPolicy(spec, seed);
  }

  void Act(float* action) {
    for (size_t i = 0; i < distributions_.size(); ++i) action[i] = distributions_[i](generator_);
  }

 private:
  RandomPolicy(const EnvSpec& spec, uint64_t seed) {
    std::seed_seq sequence{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32), 0x706f6c69u};
    generator_.seed(sequence);
    for (int i = 0; i < spec.act_dim; ++i) distributions_.emplace_back(spec.act_low[i], spec.act_high[i]);
  }

  std::mt19937_64 generator_;
  std::vector<std::uniform_real_distribution<float>> distributions_;
};

// A trained policy from a file the learner wrote, acting as the evaluator does: the deterministic mu(s),
// computed by the actor's own network code.
StatusOr<std::unique_ptr<Policy>> LoadTrainedPolicy(const std::string& path, const EnvSpec& spec,
                                                    std::string& description) {
  StatusOr<SavedPolicy> saved = LoadSavedPolicy(path);
  if (!saved.ok()) return saved.status();
  const DdpgOptions& network = saved->options;
  if (network.obs_dim != spec.obs_dim || network.act_dim != spec.act_dim || network.act_low != spec.act_low ||
      network.act_high != spec.act_high) {
    return InvalidArgument(path + " holds a policy for observations of " + std::to_string(network.obs_dim) +
                           " and actions of " + std::to_string(network.act_dim) + " in " +
                           FormatVector(network.act_low) + " .. " + FormatVector(network.act_high) + ", but " +
                           spec.id + " has " + std::to_string(spec.obs_dim) + " and " + std::to_string(spec.act_dim) +
                           " in " + FormatVector(spec.act_low) + " .. " + FormatVector(spec.act_high) +
                           ": was it trained on another environment?");
  }
  auto policy = std::make_unique<Policy>(spec, network.hidden_sizes);
  protocol::Weights weights;
  weights.obs_dim = static_cast<uint32_t>(network.obs_dim);
  weights.act_dim = static_cast<uint32_t>(network.act_dim);
  weights.hidden_sizes.assign(network.hidden_sizes.begin(), network.hidden_sizes.end());
  weights.parameters = saved->actor_parameters;
  DDPG_RETURN_IF_ERROR(policy->SetWeights(weights));
  description = saved->description + " from " + path;
  return policy;
}

// Where rollout and eval take their actions from: `random` (uniform over the action bounds), `zero`, or
// any other value as the path of a trained policy.
class EpisodePolicy {
 public:
  static StatusOr<EpisodePolicy> Create(const std::string& name, const EnvSpec& spec, uint64_t seed) {
    EpisodePolicy policy;
    policy.description_ = name + " policy";
    if (name == "random") {
      auto random = RandomPolicy::Create(spec, seed);
      if (!random.ok()) return random.status();
      policy.random_ = std::move(*random);
    } else if (name != "zero") {
      auto trained = LoadTrainedPolicy(name, spec, policy.description_);
      if (!trained.ok()) {
        if (trained.status().code() == StatusCode::kNotFound) {
          return InvalidArgument("--policy '" + name + "' is neither random, zero nor an existing policy file");
        }
        return trained.status();
      }
      policy.trained_ = std::move(*trained);
    }
    return policy;
  }

  void Act(const std::vector<float>& observation, std::vector<float>& action) {
    if (random_) random_->Act(action.data());
    if (trained_) trained_->Act(observation, action);
  }

  const std::string& description() const { return description_; }

 private:
  EpisodePolicy() = default;

  std::optional<RandomPolicy> random_;
  std::unique_ptr<Policy> trained_;
  std::string description_;
};

// Parses one subcommand's options; nullopt after printing --help.
std::optional<po::variables_map> ParseOptions(const std::string& subcommand, const po::options_description& options,
                                              int argc, char** argv) {
  po::options_description all(options);
  all.add_options()("help", "show this help");
  po::variables_map values;
  // An empty positional description makes a stray word an error instead of silently ignored.
  po::store(po::command_line_parser(argc, argv).options(all).positional({}).run(), values);
  if (values.count("help")) {
    std::cout << "usage: envtool " << subcommand << " [OPTIONS]\n\n" << all;
    return std::nullopt;
  }
  po::notify(values);
  return values;
}

constexpr char kConfigHelp[] =
    "a run's INI file, for its environment options ([recsim], [movielens]); defaults without";

// The environment options of --config, or the defaults when it was not given.
StatusOr<EnvOptions> EnvOptionsOf(const std::string& config_path) {
  if (config_path.empty()) return EnvOptions{};
  return ReadEnvOptions(config_path);
}

int List(int argc, char** argv) {
  std::string config_path;
  po::options_description options("envtool list: every registered id, with the error for one that cannot be made");
  options.add_options()("config", po::value(&config_path), kConfigHelp);
  if (!ParseOptions("list", options, argc, argv)) return 0;
  auto env_options = EnvOptionsOf(config_path);
  if (!env_options.ok()) return Fail(env_options.status().message());
  for (const std::string& id : RegisteredEnvironmentIds()) {
    auto env = MakeEnvironment(id, *env_options);
    if (!env.ok()) {
      std::cout << id << ": error: " << env.status().message() << "\n";
      continue;
    }
    const EnvSpec& spec = (*env)->spec();
    std::cout << id << ": obs_dim " << spec.obs_dim << ", act_dim " << spec.act_dim << ", action low "
              << FormatVector(spec.act_low) << " high " << FormatVector(spec.act_high);
    if (AllFinite(spec.obs_low) && AllFinite(spec.obs_high)) {
      std::cout << ", observation low " << FormatVector(spec.obs_low) << " high " << FormatVector(spec.obs_high);
    }
    if (spec.max_episode_steps > 0) {
      std::cout << ", time limit " << spec.max_episode_steps << " steps\n";
    } else {
      std::cout << ", no time limit\n";
    }
  }
  return 0;
}

// Runs `episodes` episodes one after another: the first reset is seeded, later ones continue the
// environment's generator (Gymnasium's reset(seed=S) followed by reset()). `on_step` sees every step;
// `on_episode` each finished episode's return, length and whether it terminated.
struct EpisodeSummary {
  double episode_return = 0.0;
  int length = 0;
  bool terminated = false;
};

void RunEpisodes(
    Environment& env, EpisodePolicy& policy, uint64_t seed, int episodes,
    const std::function<void(int episode, int t, const std::vector<float>& obs, const std::vector<float>& action,
                             const StepResult& result, const std::vector<float>& next_obs)>& on_step,
    const std::function<void(int episode, const EpisodeSummary& result)>& on_episode) {
  const EnvSpec& spec = env.spec();
  std::vector<float> obs(spec.obs_dim), next_obs(spec.obs_dim), action(spec.act_dim, 0.0f);
  for (int episode = 0; episode < episodes; ++episode) {
    if (episode == 0) {
      env.Reset(seed, obs.data());
    } else {
      env.Reset(obs.data());
    }
    EpisodeSummary summary;
    StepResult result;
    for (; !result.terminated && !result.truncated; ++summary.length) {
      policy.Act(obs, action);
      result = env.Step(action.data(), next_obs.data());
      summary.episode_return += result.reward;
      if (on_step) on_step(episode, summary.length, obs, action, result, next_obs);
      obs.swap(next_obs);
    }
    summary.terminated = result.terminated;
    on_episode(episode, summary);
  }
}

void PrintEpisode(int episode, const EpisodeSummary& result) {
  std::cerr << "episode " << episode << ": return " << result.episode_return << ", length " << result.length << ", "
            << (result.terminated ? "terminated" : "truncated") << "\n";
}

int Rollout(int argc, char** argv) {
  std::string id, seed_text, policy_name, out, config_path;
  int episodes = 0;
  po::options_description options(
      "envtool rollout: one JSON object per step (episode, t, obs, action, reward, "
      "terminated, truncated, next_obs); each episode's return and length on stderr");
  options.add_options()("env", po::value(&id)->required(), "environment id (see envtool list)")(
      "seed", po::value(&seed_text)->default_value("0"),
      "seeds the first reset and the random policy; later episodes continue both generators")(
      "episodes", po::value(&episodes)->default_value(1), "number of episodes")(
      "policy", po::value(&policy_name)->default_value("random"),
      "random (uniform over the action bounds), zero, or a policy file (best_policy.pt or checkpoint.pt)")(
      "out", po::value(&out), "write the JSON lines to this file instead of stdout")("config", po::value(&config_path),
                                                                                     kConfigHelp);
  if (!ParseOptions("rollout", options, argc, argv)) return 0;

  auto seed = ParseSeed(seed_text);
  if (!seed.ok()) return Fail(seed.status().message());
  if (episodes < 1) return Fail("--episodes " + std::to_string(episodes) + " is not a positive number");
  auto env_options = EnvOptionsOf(config_path);
  if (!env_options.ok()) return Fail(env_options.status().message());
  auto env = MakeEnvironment(id, *env_options);
  if (!env.ok()) return Fail(env.status().message());
  auto policy = EpisodePolicy::Create(policy_name, (*env)->spec(), *seed);
  if (!policy.ok()) return Fail(policy.status().message());
  std::ofstream file;
  if (!out.empty()) {
    file.open(out, std::ios::out | std::ios::trunc);
    if (!file) return Fail("cannot open --out '" + out + "' for writing: " + std::strerror(errno));
  }
  std::ostream& lines = out.empty() ? std::cout : file;

  RunEpisodes(
      **env, *policy, *seed, episodes,
      [&](int episode, int t, const std::vector<float>& obs, const std::vector<float>& action, const StepResult& result,
          const std::vector<float>& next_obs) {
        FloatJson line = {{"episode", episode},
                          {"t", t},
                          {"obs", obs},
                          {"action", action},
                          {"reward", result.reward},
                          {"terminated", result.terminated},
                          {"truncated", result.truncated},
                          {"next_obs", next_obs}};
        lines << line.dump() << '\n';
      },
      PrintEpisode);
  lines.flush();
  if (!lines) return Fail("writing the rollout to " + (out.empty() ? std::string("stdout") : out) + " failed", 1);
  return 0;
}

int Eval(int argc, char** argv) {
  std::string id, seed_text, policy_name, config_path;
  int episodes = 0;
  po::options_description options(
      "envtool eval: runs episodes with a policy's deterministic actions and prints the mean, standard "
      "deviation (over episodes), min and max of their returns on stdout; each episode on stderr");
  options.add_options()("policy", po::value(&policy_name)->required(),
                        "a policy file the learner wrote (best_policy.pt or checkpoint.pt), or random or zero")(
      "env", po::value(&id)->required(), "environment id (see envtool list); the one the policy was trained on")(
      "episodes", po::value(&episodes)->default_value(10), "number of episodes")(
      "seed", po::value(&seed_text)->default_value("0"),
      "seeds the first reset (and the random policy); later episodes continue the generators")(
      "config", po::value(&config_path), kConfigHelp);
  if (!ParseOptions("eval", options, argc, argv)) return 0;

  auto seed = ParseSeed(seed_text);
  if (!seed.ok()) return Fail(seed.status().message());
  if (episodes < 1) return Fail("--episodes " + std::to_string(episodes) + " is not a positive number");
  auto env_options = EnvOptionsOf(config_path);
  if (!env_options.ok()) return Fail(env_options.status().message());
  auto env = MakeEnvironment(id, *env_options);
  if (!env.ok()) return Fail(env.status().message());
  auto policy = EpisodePolicy::Create(policy_name, (*env)->spec(), *seed);
  if (!policy.ok()) return Fail(policy.status().message());
  std::cerr << "evaluating the " << policy->description() << " on " << id << "\n";

  std::vector<double> returns;
  RunEpisodes(**env, *policy, *seed, episodes, nullptr, [&](int episode, const EpisodeSummary& result) {
    PrintEpisode(episode, result);
    returns.push_back(result.episode_return);
  });
  const double n = static_cast<double>(returns.size());
  const double mean = std::accumulate(returns.begin(), returns.end(), 0.0) / n;
  double squares = 0.0;
  for (double value : returns) squares += (value - mean) * (value - mean);
  const auto [low, high] = std::minmax_element(returns.begin(), returns.end());
  std::cout << id << ": return over " << returns.size() << " episodes: mean " << mean << ", std "
            << std::sqrt(squares / n) << ", min " << *low << ", max " << *high << "\n";
  return 0;
}

int Bench(int argc, char** argv) {
  std::string id, seed_text, config_path;
  int num_envs = 0;
  double seconds = 0.0;
  po::options_description options(
      "envtool bench: steps an EnvBatch with random actions on one thread and prints "
      "environment steps per second on stdout (the details on stderr)");
  options.add_options()("env", po::value(&id)->required(), "environment id (see envtool list)")(
      "envs", po::value(&num_envs)->default_value(16), "environments in the batch")(
      "seconds", po::value(&seconds)->default_value(3.0), "how long to step")(
      "seed", po::value(&seed_text)->default_value("0"), "seeds the batch and the actions")(
      "config", po::value(&config_path), kConfigHelp);
  if (!ParseOptions("bench", options, argc, argv)) return 0;

  auto seed = ParseSeed(seed_text);
  if (!seed.ok()) return Fail(seed.status().message());
  if (num_envs < 1) return Fail("--envs " + std::to_string(num_envs) + " is not a positive number");
  if (!(seconds > 0.0) || !std::isfinite(seconds)) return Fail("--seconds must be a positive number");
  auto env_options = EnvOptionsOf(config_path);
  if (!env_options.ok()) return Fail(env_options.status().message());
  auto batch = EnvBatch::Create(id, num_envs, *seed, *env_options);
  if (!batch.ok()) return Fail(batch.status().message());
  const EnvSpec& spec = (*batch)->spec();
  auto policy = RandomPolicy::Create(spec, *seed);
  if (!policy.ok()) return Fail(policy.status().message());

  // Actions are drawn before the clock starts so that the number measures the environments, not the
  // generator; a few hundred batches are enough to keep the trajectories from repeating in lockstep.
  constexpr int kActionBatches = 256;
  std::vector<std::vector<float>> actions(kActionBatches, std::vector<float>(num_envs * spec.act_dim));
  for (auto& batch_actions : actions) {
    for (int i = 0; i < num_envs; ++i) policy->Act(batch_actions.data() + i * spec.act_dim);
  }

  StepOutput output;
  int64_t batch_steps = 0;
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + std::chrono::duration<double>(seconds);
  auto now = start;
  while (now < deadline) {
    (*batch)->Step(actions[batch_steps % kActionBatches], output);
    ++batch_steps;
    now = std::chrono::steady_clock::now();
  }
  const double elapsed = std::chrono::duration<double>(now - start).count();
  const int64_t steps = batch_steps * num_envs;
  std::cerr << id << ": " << steps << " steps of " << num_envs << " environments in " << elapsed << " s\n";
  std::cout << static_cast<int64_t>(std::llround(steps / elapsed)) << "\n";
  return 0;
}

int Main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << kUsage;
    return Fail("no subcommand given");
  }
  const std::string subcommand = argv[1];
  if (subcommand == "--help" || subcommand == "-h" || subcommand == "help") {
    std::cout << kUsage;
    return 0;
  }
  const std::map<std::string, int (*)(int, char**)> subcommands = {
      {"list", List}, {"rollout", Rollout}, {"eval", Eval}, {"bench", Bench}};
  const auto found = subcommands.find(subcommand);
  if (found == subcommands.end())
    return Fail("unknown subcommand '" + subcommand + "'; expected list, rollout, eval or bench");
  try {
    // The subcommand sees its own name as argv[0], so that its parser starts at its options.
    return found->second(argc - 1, argv + 1);
  } catch (const po::error& error) {
    return Fail(subcommand + ": " + error.what() + " (see envtool " + subcommand + " --help)");
  }
}

}  // namespace
}  // namespace ddpg

int main(int argc, char** argv) { return ddpg::Main(argc, argv); }
