// synchronous_loop: CleanRL's td3_continuous_action.py training loop, in one thread, built from the cluster's own
// parts (the actor's EnvBatch, TransitionBuilder and Policy, the replay server's TransitionStore, the learner's
// DdpgAgent) with none of what joins them (no processes, sockets, rate limiter or weight lag). It is the
// baseline for "does the cluster's loop learn what the agent and the environment can?" (docs/results.md,
// Walker2d-v4).
//
//   synchronous_loop [--env Walker2d-v4] [--steps 300000] [--seed 0] [--algorithm td3|ddpg]
//                    [--random-steps 25000] [--sigma 0.1] [--eval-every 5000] [--threads 1]
//
// The loop: `random-steps` env steps of uniformly random actions, then per env step one action mu(s) +
// N(0, sigma * half-range), clipped to the bounds, stored, and one update on 256 transitions drawn uniformly
// from everything stored (capacity 1M, as CleanRL's buffer), after which the policy gets the new weights. One-step
// returns: a termination stores discount 0, a time-limit truncation gamma with the last observation. One random
// stream for the actions, the noise and the samples, in CleanRL's order. Adam 3e-4 for both networks, 256-256
// networks, tau 0.005, gamma 0.99; TD3's policy noise 0.2 clipped at 0.5, delay 2. Every `eval-every` env steps,
// 10 deterministic episodes on a second instance. `threads`: LibTorch's intra-op threads for the updates, as
// learner.threads sets them in the cluster. CSV on stdout: env_steps,eval_return,eval_length,seconds.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "actor/policy.h"
#include "actor/transition_builder.h"
#include "common/torch_threads.h"
#include "envs/env_batch.h"
#include "envs/registry.h"
#include "learner/ddpg.h"
#include "replay_server/transition_store.h"

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
constexpr size_t kCapacity = 1000000;

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
  StatusOr<std::unique_ptr<EnvBatch>> env = EnvBatch::Create(options.env, 1, options.seed, {});
  StatusOr<std::unique_ptr<Environment>> eval_env = MakeEnvironment(options.env);
  if (!env.ok() || !eval_env.ok()) {
    std::fprintf(stderr, "synchronous_loop: %s\n", (env.ok() ? eval_env.status() : env.status()).message().c_str());
    return 2;
  }
  const EnvSpec& spec = (*env)->spec();
  SetTorchIntraOpThreads(options.threads);

  // Before the agent: its initialisation draws from LibTorch's generator, which the agent then seeds.
  const std::vector<int> hidden_sizes = {256, 256};
  Policy policy(spec, hidden_sizes);
  DdpgOptions agent_options;
  agent_options.obs_dim = spec.obs_dim;
  agent_options.act_dim = spec.act_dim;
  agent_options.hidden_sizes = hidden_sizes;
  agent_options.act_low = spec.act_low;
  agent_options.act_high = spec.act_high;
  agent_options.actor_lr = 3e-4;
  agent_options.critic_lr = 3e-4;
  agent_options.algorithm = options.algorithm;
  agent_options.seed = options.seed;
  DdpgAgent agent(agent_options);

  TransitionBuilder transitions(spec.obs_dim, spec.act_dim, kGamma, /*n_step=*/1);
  TransitionStore store(spec.obs_dim, spec.act_dim, kCapacity);
  std::mt19937_64 rng(options.seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> observation, action(spec.act_dim);
  StepOutput output;
  protocol::TransitionBatch batch;
  SampledSlots slots;
  protocol::Weights weights;
  weights.obs_dim = spec.obs_dim;
  weights.act_dim = spec.act_dim;
  weights.hidden_sizes.assign(hidden_sizes.begin(), hidden_sizes.end());
  const auto start = std::chrono::steady_clock::now();
  std::printf("env_steps,eval_return,eval_length,seconds\n");
  for (uint64_t step = 1; step <= options.steps; ++step) {
    observation = (*env)->observations();
    if (step <= options.random_steps) {
      for (int d = 0; d < spec.act_dim; ++d) {
        action[d] = std::uniform_real_distribution<float>(spec.act_low[d], spec.act_high[d])(rng);
      }
    } else {
      policy.Act(observation, action);
      for (int d = 0; d < spec.act_dim; ++d) {
        const float half_range = (spec.act_high[d] - spec.act_low[d]) / 2;
        action[d] = std::clamp(action[d] + options.sigma * half_range * normal(rng), spec.act_low[d], spec.act_high[d]);
      }
    }
    (*env)->Step(action, output);
    transitions.Add(observation, action, output, weights.version);
    if (Status stored = store.Insert(transitions.Take()); !stored.ok()) {
      std::fprintf(stderr, "synchronous_loop: %s\n", stored.message().c_str());
      return 1;
    }
    if (step > options.random_steps) {
      store.Sample(kBatchSize, rng, batch, slots);
      agent.Update(batch);
    }
    // CleanRL acts with the current actor from the first step after the random ones on.
    if (step >= options.random_steps) {
      weights.version = step;
      weights.parameters = agent.ActorParameters();
      if (Status loaded = policy.SetWeights(weights); !loaded.ok()) {
        std::fprintf(stderr, "synchronous_loop: %s\n", loaded.message().c_str());
        return 1;
      }
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
