// The environment spec table: what every environment id looks like from outside (dimensions, bounds, time
// limit) and which simulator it needs, answered from static data and the environment options of the run.
//
// Processes that only need shapes (the replay server sizing its store, the learner sizing its networks,
// command-line validation) look them up here instead of building a simulator, so they neither link MuJoCo
// or Box2D nor load a model file. The table is written by hand; tests/unit/envs/env_spec_test.cc checks it
// against the spec() of every environment the registry (envs/registry.h) builds.
//
// Stateless apart from immutable static data: thread-safe, never blocks.
#pragma once

#include <string>
#include <vector>

#include "common/config.h"
#include "common/status.h"

namespace ddpg {

struct EnvSpec {
  std::string id;
  int obs_dim = 0;
  int act_dim = 0;
  std::vector<float> obs_low, obs_high;
  std::vector<float> act_low, act_high;
  int max_episode_steps = 0;  // Gymnasium's TimeLimit
};

// The simulator an environment runs on; a build may leave out Box2D or MuJoCo (envs/registry.h).
enum class EnvFamily { kClassicControl, kBox2d, kMujoco, kRecommender };

// The spec of a Gymnasium id under `options`, or NotFound listing the known ids. Only environments that take
// options read them (RecSim-LatentFactor-v0: its dimensions follow recsim.embedding_dim); their options are
// validated here, InvalidArgument naming the key.
StatusOr<EnvSpec> LookUpEnvSpec(const std::string& id, const EnvOptions& options = {});
// The family of a Gymnasium id, or NotFound listing the known ids.
StatusOr<EnvFamily> LookUpEnvFamily(const std::string& id);
// Every id in the table, whether or not this build can construct it.
std::vector<std::string> RegisteredEnvironmentIds();

}  // namespace ddpg
