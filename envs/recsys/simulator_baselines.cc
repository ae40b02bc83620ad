#include "envs/recsys/simulator_baselines.h"

#include <chrono>
#include <cmath>
#include <memory>
#include <random>
#include <vector>

namespace ddpg::recsys {

const char* BaselineName(SimulatorBaseline baseline) {
  switch (baseline) {
    case SimulatorBaseline::kOracle: return "oracle";
    case SimulatorBaseline::kRandom: return "random";
    case SimulatorBaseline::kMostPopular: return "most popular";
  }
  return "?";
}

Recommender MakeBaseline(SimulatorBaseline baseline, uint64_t seed) {
  switch (baseline) {
    case SimulatorBaseline::kOracle:
      return [](const LatentFactorEnv& env, const float*, float* action) { env.OracleAction(action); };
    case SimulatorBaseline::kRandom: {
      // Its own stream: sharing the environment's seed would tie the actions to the users.
      auto rng = std::make_shared<std::mt19937_64>(seed ^ 0x72616e646f6dULL);
      return [rng](const LatentFactorEnv& env, const float*, float* action) {
        std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
        for (int j = 0; j < env.spec().act_dim; ++j) action[j] = uniform(*rng);
      };
    }
    case SimulatorBaseline::kMostPopular:
      return [](const LatentFactorEnv& env, const float*, float* action) {
        const int popularity = env.spec().act_dim - 1;
        for (int j = 0; j < popularity; ++j) action[j] = 0.0f;
        action[popularity] = 1.0f;
      };
  }
  return nullptr;
}

EvaluationResult EvaluatePolicy(Environment& env, const ObservationPolicy& policy, int episodes, uint64_t seed) {
  std::vector<float> observation(env.spec().obs_dim), action(env.spec().act_dim);
  std::vector<double> returns;
  EvaluationResult result;
  const auto start = std::chrono::steady_clock::now();
  for (int episode = 0; episode < episodes; ++episode) {
    if (episode == 0) {
      env.Reset(seed, observation.data());
    } else {
      env.Reset(observation.data());
    }
    double episode_return = 0.0;
    StepResult step;
    while (!step.terminated && !step.truncated) {
      policy(observation.data(), action.data());
      step = env.Step(action.data(), observation.data());
      episode_return += step.reward;
      ++result.steps;
    }
    returns.push_back(episode_return);
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  result.episodes = episodes;
  for (double value : returns) result.mean_return += value / episodes;
  for (double value : returns) result.std_return += (value - result.mean_return) * (value - result.mean_return);
  result.std_return = episodes > 0 ? std::sqrt(result.std_return / episodes) : 0.0;
  return result;
}

EvaluationResult EvaluateRecommender(LatentFactorEnv& env, const Recommender& recommender, int episodes,
                                     uint64_t seed) {
  return EvaluatePolicy(
      env, [&](const float* observation, float* action) { recommender(env, observation, action); }, episodes, seed);
}

}  // namespace ddpg::recsys
