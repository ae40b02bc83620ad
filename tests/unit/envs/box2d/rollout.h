// Test helpers shared by the Box2D environment tests: a seeded rollout with uniform random actions and
// an exact comparison of two trajectories (determinism checks).
#pragma once

#include <array>
#include <cstdint>
#include <random>
#include <vector>

#include "envs/environment.h"

namespace ddpg {

template <int kObsDim>
struct TestTransition {
  std::array<float, kObsDim> obs;
  StepResult result;
};

// Resets with `seed` and plays `steps` actions uniform in [-1, 1] from a generator seeded with
// `action_seed` (or until the episode ends). Element 0 holds the reset observation.
template <int kObsDim, int kActDim>
std::vector<TestTransition<kObsDim>> RandomRollout(Environment& env, uint64_t seed, int steps, uint32_t action_seed) {
  std::vector<TestTransition<kObsDim>> trajectory(1);
  env.Reset(seed, trajectory[0].obs.data());
  std::mt19937 actions(action_seed);
  std::uniform_real_distribution<float> unit(-1.0f, 1.0f);
  for (int t = 0; t < steps; ++t) {
    std::array<float, kActDim> action;
    for (float& a : action) a = unit(actions);
    TestTransition<kObsDim> next;
    next.result = env.Step(action.data(), next.obs.data());
    trajectory.push_back(next);
    if (next.result.terminated || next.result.truncated) break;
  }
  return trajectory;
}

template <int kObsDim>
bool SameTrajectory(const std::vector<TestTransition<kObsDim>>& a, const std::vector<TestTransition<kObsDim>>& b) {
  if (a.size() != b.size()) return false;
  for (size_t t = 0; t < a.size(); ++t) {
    if (a[t].obs != b[t].obs || a[t].result.reward != b[t].result.reward ||
        a[t].result.terminated != b[t].result.terminated || a[t].result.truncated != b[t].result.truncated) {
      return false;
    }
  }
  return true;
}

}  // namespace ddpg
