// The environment interface (EnvPool-like): a fixed spec, reset with a seed, step with an action.
//
// Semantics follow Gymnasium: Step returns the reward, `terminated` (the MDP reached a terminal state) and
// `truncated` (the time limit of spec().max_episode_steps was hit; not a terminal state). Observations are
// written into caller-owned buffers of spec().obs_dim floats. Each instance owns its random generator, so a
// given seed always yields the same trajectory for the same actions. Not thread-safe; one thread per
// instance.
#pragma once

#include <cstdint>
#include <random>
#include <utility>

#include "envs/env_spec.h"

namespace ddpg {

struct StepResult {
  float reward = 0.0f;
  bool terminated = false;
  bool truncated = false;
};

class Environment {
 public:
  explicit Environment(EnvSpec spec) : spec_(std::move(spec)) {}
  virtual ~Environment() = default;
  Environment(const Environment&) = delete;
  Environment& operator=(const Environment&) = delete;

  const EnvSpec& spec() const { return spec_; }

  // Re-seeds the generator, then resets (Gymnasium's reset(seed=...)).
  void Reset(uint64_t seed, float* observation);
  // Resets with the generator as it is (Gymnasium's reset() after the first seeded one).
  void Reset(float* observation);
  // Advances one step. The action is used as given; the environment clips where Gymnasium's does.
  StepResult Step(const float* action, float* observation);

  int elapsed_steps() const { return elapsed_steps_; }

 protected:
  virtual void ResetState(float* observation) = 0;
  // Returns reward and termination; truncation is handled by Step.
  virtual StepResult StepState(const float* action, float* observation) = 0;

  std::mt19937_64& rng() { return rng_; }

 private:
  EnvSpec spec_;
  std::mt19937_64 rng_{0};
  int elapsed_steps_ = 0;
};

}  // namespace ddpg
