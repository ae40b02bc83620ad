#include "common/environment.h"

#include <functional>
#include <map>

#include "common/pendulum.h"

namespace ddpg {

void Environment::Reset(uint64_t seed, float* observation) {
  rng_.seed(seed);
  Reset(observation);
}

void Environment::Reset(float* observation) {
  elapsed_steps_ = 0;
  ResetState(observation);
}

StepResult Environment::Step(const float* action, float* observation) {
  StepResult result = StepState(action, observation);
  ++elapsed_steps_;
  if (spec_.max_episode_steps > 0 && elapsed_steps_ >= spec_.max_episode_steps) result.truncated = true;
  return result;
}

namespace {

using Factory = std::function<std::unique_ptr<Environment>()>;

const std::map<std::string, Factory>& Registry() {
  static const std::map<std::string, Factory> registry = {
      {"Pendulum-v1", [] { return std::make_unique<Pendulum>(); }},
  };
  return registry;
}

}  // namespace

std::vector<std::string> RegisteredEnvironmentIds() {
  std::vector<std::string> ids;
  for (const auto& [id, factory] : Registry()) ids.push_back(id);
  return ids;
}

StatusOr<std::unique_ptr<Environment>> MakeEnvironment(const std::string& id) {
  const auto it = Registry().find(id);
  if (it == Registry().end()) {
    std::string known;
    for (const std::string& name : RegisteredEnvironmentIds()) known += (known.empty() ? "" : ", ") + name;
    return NotFound("unknown environment id '" + id + "'; known ids: " + known);
  }
  return it->second();
}

StatusOr<EnvSpec> LookUpEnvSpec(const std::string& id) {
  auto env = MakeEnvironment(id);
  if (!env.ok()) return env.status();
  return (*env)->spec();
}

}  // namespace ddpg
