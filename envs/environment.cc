#include "envs/environment.h"

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

}  // namespace ddpg
