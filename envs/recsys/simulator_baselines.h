// Reference recommenders for RecSim-LatentFactor-v0 and the evaluation loop they share.
//
//   oracle        knows the user's current preference (LatentFactorEnv::OracleAction) and recommends the item
//                 of the largest expected response: an upper bound no policy that sees only observations
//                 reaches on average
//   random        a uniform action in [-1, 1]^key_dim, what a policy that ignores its observation does
//   most popular  the action (0, ..., 0, 1): the most popular item not yet recommended
//
// EvaluatePolicy runs episodes of any recommender environment (this simulator, MovieLens-Offline-v0) the way envtool
// eval does (the first reset seeded, later ones continuing the generator); EvaluateRecommender is it for the
// recommenders above. The environments draw the same random numbers whatever is recommended, so one seed
// gives every recommender the same users, drifts and noise. Single-threaded; blocks for the whole evaluation.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "envs/recsys/latent_factor_env.h"

namespace ddpg::recsys {

enum class SimulatorBaseline { kOracle, kRandom, kMostPopular };
const char* BaselineName(SimulatorBaseline baseline);

// Writes the action for the current observation; it may read the environment's hidden state (the oracle).
using Recommender = std::function<void(const LatentFactorEnv& env, const float* observation, float* action)>;
// The baseline's recommender; `seed` seeds the random one's own generator.
Recommender MakeBaseline(SimulatorBaseline baseline, uint64_t seed);

struct EvaluationResult {
  double mean_return = 0.0;
  double std_return = 0.0;  // over episodes
  int episodes = 0;
  int64_t steps = 0;
  double seconds = 0.0;  // wall time of the steps and the recommender's actions
};

// Writes the action for the current observation.
using ObservationPolicy = std::function<void(const float* observation, float* action)>;
EvaluationResult EvaluatePolicy(Environment& env, const ObservationPolicy& policy, int episodes, uint64_t seed);
EvaluationResult EvaluateRecommender(LatentFactorEnv& env, const Recommender& recommender, int episodes, uint64_t seed);

}  // namespace ddpg::recsys
