#include "common/environment.h"

#include "common/box2d_envs.h"
#include "common/classic_control.h"
#include "common/mujoco_envs.h"

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

const std::vector<EnvRegistration>& Registry() {
  static const std::vector<EnvRegistration> registry = [] {
    std::vector<EnvRegistration> all;
    for (auto family : {ClassicControlEnvironments, Box2dEnvironments, MujocoEnvironments}) {
      for (EnvRegistration& registration : family()) all.push_back(std::move(registration));
    }
    return all;
  }();
  return registry;
}

}  // namespace

std::vector<std::string> RegisteredEnvironmentIds() {
  std::vector<std::string> ids;
  for (const EnvRegistration& registration : Registry()) ids.push_back(registration.id);
  return ids;
}

StatusOr<std::unique_ptr<Environment>> MakeEnvironment(const std::string& id) {
  for (const EnvRegistration& registration : Registry()) {
    if (registration.id == id) return registration.make();
  }
  std::string known;
  for (const std::string& name : RegisteredEnvironmentIds()) known += (known.empty() ? "" : ", ") + name;
  return NotFound("unknown environment id '" + id + "'; known ids: " + known);
}

StatusOr<EnvSpec> LookUpEnvSpec(const std::string& id) {
  auto env = MakeEnvironment(id);
  if (!env.ok()) return env.status();
  return (*env)->spec();
}

}  // namespace ddpg
