// synchronous_loop: CleanRL's td3_continuous_action.py training loop, in one thread, on an environment of the
// registry and this project's DdpgAgent, with none of the cluster around them (no replay server, no actors,
// no rate limiter, no weight publishing). It is the baseline for "does the cluster's loop learn what the
// agent and the environment can?" (docs/results.md, Walker2d-v4).
//
//   synchronous_loop [--env Walker2d-v4] [--steps 300000] [--seed 0] [--algorithm td3|ddpg]
//                    [--random-steps 25000] [--sigma 0.1] [--eval-every 5000] [--threads 1]
//
// The loop: `random-steps` env steps of uniformly random actions, then per env step one action mu(s) +
// N(0, sigma * half-range), clipped to the bounds, stored, and one update on 256 transitions drawn uniformly
// from everything stored (capacity unbounded, as CleanRL's 1M buffer is at these lengths). A termination
// stores discount 0, a time-limit truncation gamma with the last observation. Adam 3e-4 for both networks,
// 256-256 networks, tau 0.005, gamma 0.99; TD3's policy noise 0.2 clipped at 0.5, delay 2. Every
// `eval-every` env steps, 10 deterministic episodes on a second instance. `threads`: LibTorch's intra-op
// threads for the updates, as learner.threads sets them in the cluster. CSV on stdout:
// env_steps,eval_return,eval_length,seconds.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "common/torch_threads.h"
#include "envs/registry.h"
#include "learner/ddpg.h"

namespace {

struct Options {
  std::string env = "Walker2d-v4";
  uint64_t steps = 300000;
  uint64_t seed = 0;
  ddpg::Algorithm algorithm = ddpg::Algorithm::kTd3;
  uint64_t random_steps = 25000;
  float sigma = 0.1f;
  uint64_t eval_every = 5000;
  int threads = 1;
};

constexpr int kBatchSize = 256;
constexpr float kGamma = 0.99f;
constexpr int kEvalEpisodes = 10;

bool ParseOptions(int argc, char** argv, Options& options) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i], value = argv[i + 1];
    if (key == "--env") {
      options.env = value;
    } else if (key == "--steps") {
      options.steps = std::strtoull(value.c_str(), nullptr, 10);
    } else if (key == "--seed") {
      options.seed = std::strtoull(value.c_str(), nullptr, 10);
    } else if (key == "--algorithm" && (value == "td3" || value == "ddpg")) {
      options.algorithm = value == "td3" ? ddpg::Algorithm::kTd3 : ddpg::Algorithm::kDdpg;
    } else if (key == "--random-steps") {
      options.random_steps = std::strtoull(value.c_str(), nullptr, 10);
    } else if (key == "--sigma") {
      options.sigma = std::strtof(value.c_str(), nullptr);
    } else if (key == "--eval-every") {
      options.eval_every = std::strtoull(value.c_str(), nullptr, 10);
    } else if (key == "--threads") {
      options.threads = std::atoi(value.c_str());
    } else {
      std::fprintf(stderr,
                   "synchronous_loop: unknown option or value '%s %s' (see the comment at the top of "
                   "bench/synchronous_loop.cc)\n",
                   key.c_str(), value.c_str());
      return false;
    }
  }
  if (argc % 2 == 0) {
    std::fprintf(stderr, "synchronous_loop: option '%s' has no value\n", argv[argc - 1]);
    return false;
  }
  if (options.eval_every == 0) {
    std::fprintf(stderr, "synchronous_loop: --eval-every must be at least 1\n");
    return false;
  }
  if (options.threads < 1 || options.threads > 256) {
    std::fprintf(stderr, "synchronous_loop: --threads must be 1 .. 256\n");
    return false;
  }
  return true;
}

// Transitions in the order they happened, never overwritten.
struct Store {
  int obs_dim, act_dim;
  std::vector<float> observations, actions, rewards, discounts, next_observations;

  void Add(const std::vector<float>& obs, const std::vector<float>& action, float reward, float discount,
           const std::vector<float>& next) {
    observations.insert(observations.end(), obs.begin(), obs.end());
    actions.insert(actions.end(), action.begin(), action.end());
    rewards.push_back(reward);
    discounts.push_back(discount);
    next_observations.insert(next_observations.end(), next.begin(), next.end());
  }

  void Sample(std::mt19937_64& rng, ddpg::protocol::TransitionBatch& batch) const {
    batch.obs_dim = obs_dim;
    batch.act_dim = act_dim;
    batch.observations.resize(kBatchSize * obs_dim);
    batch.actions.resize(kBatchSize * act_dim);
    batch.rewards.resize(kBatchSize);
    batch.discounts.resize(kBatchSize);
    batch.next_observations.resize(kBatchSize * obs_dim);
    batch.policy_versions.assign(kBatchSize, 0);
    std::uniform_int_distribution<size_t> pick(0, rewards.size() - 1);
    for (int row = 0; row < kBatchSize; ++row) {
      const size_t j = pick(rng);
      std::copy_n(&observations[j * obs_dim], obs_dim, &batch.observations[row * obs_dim]);
      std::copy_n(&actions[j * act_dim], act_dim, &batch.actions[row * act_dim]);
      batch.rewards[row] = rewards[j];
      batch.discounts[row] = discounts[j];
      std::copy_n(&next_observations[j * obs_dim], obs_dim, &batch.next_observations[row * obs_dim]);
    }
  }
};

// Mean return and length of kEvalEpisodes deterministic episodes.
std::pair<double, double> Evaluate(const ddpg::DdpgAgent& agent, ddpg::Environment& env, uint64_t seed) {
  const int obs_dim = env.spec().obs_dim;
  double total_return = 0.0, total_length = 0.0;
  for (int episode = 0; episode < kEvalEpisodes; ++episode) {
    std::vector<float> obs(obs_dim), next(obs_dim);
    env.Reset(seed + episode, obs.data());
    while (true) {
      const std::vector<float> action = agent.Act(obs);
      const ddpg::StepResult result = env.Step(action.data(), next.data());
      total_return += result.reward;
      total_length += 1;
      if (result.terminated || result.truncated) break;
      obs = next;
    }
  }
  return {total_return / kEvalEpisodes, total_length / kEvalEpisodes};
}

}  // namespace

int main(int argc, char** argv) {
  using namespace ddpg;
  Options options;
  if (!ParseOptions(argc, argv, options)) return 2;
  StatusOr<std::unique_ptr<Environment>> env = MakeEnvironment(options.env);
  StatusOr<std::unique_ptr<Environment>> eval_env = MakeEnvironment(options.env);
  if (!env.ok() || !eval_env.ok()) {
    std::fprintf(stderr, "synchronous_loop: %s\n", (env.ok() ? eval_env : env).status().message().c_str());
    return 2;
  }
  const EnvSpec& spec = (*env)->spec();
  SetTorchIntraOpThreads(options.threads);

  DdpgOptions agent_options;
  agent_options.obs_dim = spec.obs_dim;
  agent_options.act_dim = spec.act_dim;
  agent_options.act_low = spec.act_low;
  agent_options.act_high = spec.act_high;
  agent_options.actor_lr = 3e-4;
  agent_options.critic_lr = 3e-4;
  agent_options.algorithm = options.algorithm;
  agent_options.seed = options.seed;
  DdpgAgent agent(agent_options);

  Store store{spec.obs_dim, spec.act_dim, {}, {}, {}, {}, {}};
  std::mt19937_64 rng(options.seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> obs(spec.obs_dim), next(spec.obs_dim), action(spec.act_dim);
  protocol::TransitionBatch batch;
  (*env)->Reset(options.seed, obs.data());
  const auto start = std::chrono::steady_clock::now();
  std::printf("env_steps,eval_return,eval_length,seconds\n");
  for (uint64_t step = 1; step <= options.steps; ++step) {
    if (step <= options.random_steps) {
      for (int d = 0; d < spec.act_dim; ++d) {
        action[d] = std::uniform_real_distribution<float>(spec.act_low[d], spec.act_high[d])(rng);
      }
    } else {
      action = agent.Act(obs);
      for (int d = 0; d < spec.act_dim; ++d) {
        const float half_range = (spec.act_high[d] - spec.act_low[d]) / 2;
        action[d] = std::clamp(action[d] + options.sigma * half_range * normal(rng), spec.act_low[d], spec.act_high[d]);
      }
    }
    const StepResult result = (*env)->Step(action.data(), next.data());
    store.Add(obs, action, result.reward, result.terminated ? 0.0f : kGamma, next);
    if (result.terminated || result.truncated) {
      (*env)->Reset(obs.data());
    } else {
      obs = next;
    }
    if (step > options.random_steps) {
      store.Sample(rng, batch);
      agent.Update(batch);
    }
    if (step % options.eval_every == 0) {
      const auto [eval_return, eval_length] = Evaluate(agent, **eval_env, 1000000 + step);
      std::printf("%llu,%.1f,%.0f,%.0f\n", static_cast<unsigned long long>(step), eval_return, eval_length,
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      std::fflush(stdout);
    }
  }
  return 0;
}
