// Test helper: transition batches whose every value encodes the transition's id, so that a test can tell
// from any sampled row which inserted transition it came from and whether its fields stayed together.
#pragma once

#include <cstdint>

#include "common/protocol.h"

namespace ddpg::testing {

inline float ObservationValue(uint64_t id, uint32_t j) { return static_cast<float>(id * 100 + j); }
inline float NextObservationValue(uint64_t id, uint32_t j) { return ObservationValue(id, j) + 0.5f; }
// Small enough to lie within Pendulum's action bounds [-2, 2] for ids below 20,000, which the replay
// server checks; still one distinct float per (id, j).
inline float ActionValue(uint64_t id, uint32_t j) { return -static_cast<float>(id * 100 + j) * 1e-6f; }
inline float RewardValue(uint64_t id) { return static_cast<float>(id) + 0.25f; }
inline float DiscountValue(uint64_t id) { return id % 2 == 0 ? 0.99f : 0.0f; }

// Transitions first_id .. first_id + count - 1.
inline protocol::TransitionBatch MakeBatch(uint32_t obs_dim, uint32_t act_dim, uint64_t first_id, size_t count) {
  protocol::TransitionBatch batch;
  batch.obs_dim = obs_dim;
  batch.act_dim = act_dim;
  for (uint64_t id = first_id; id < first_id + count; ++id) {
    for (uint32_t j = 0; j < obs_dim; ++j) batch.observations.push_back(ObservationValue(id, j));
    for (uint32_t j = 0; j < act_dim; ++j) batch.actions.push_back(ActionValue(id, j));
    batch.rewards.push_back(RewardValue(id));
    batch.discounts.push_back(DiscountValue(id));
    for (uint32_t j = 0; j < obs_dim; ++j) batch.next_observations.push_back(NextObservationValue(id, j));
    batch.policy_versions.push_back(id);
  }
  return batch;
}

}  // namespace ddpg::testing
