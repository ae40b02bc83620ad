// TransitionStore: the replay server's bounded memory of transitions.
//
// A ring buffer of `capacity` transitions, kept struct-of-arrays in float32 exactly as they arrive on the
// wire (observations, actions, rewards, discounts, next observations) plus the policy version that acted.
// Once full, each insert overwrites the oldest transitions. A transition's slot index (0 .. capacity-1)
// names it until it is overwritten; sampled indices are reported to the learner so that later priority
// updates can refer to the same slots.
//
// Ownership: owns all of its memory, allocated once in the constructor.
// Blocking: never blocks.
// Thread-safety: not thread-safe; owned by the replay service thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

#include "common/protocol.h"
#include "common/status.h"

namespace ddpg {

class TransitionStore {
 public:
  // capacity must be at least 1.
  TransitionStore(uint32_t obs_dim, uint32_t act_dim, size_t capacity);

  // Appends every transition of `batch` in order, wrapping around and overwriting the oldest once full.
  // InvalidArgument, with nothing stored, when the batch's dimensions differ from the store's or its
  // arrays are inconsistent with its dimensions.
  Status Insert(const protocol::TransitionBatch& batch);
  // For recovery from the replay log (replay_server/recovery.h), on an empty store: the transitions inserted
  // next were the total_inserted-th and later of the store that wrote the log, so total_inserted() goes on
  // from there. Slots are filled from 0 as always.
  void StartCountAt(uint64_t total_inserted);

  // Draws n transitions uniformly with replacement from the stored ones into `out` (resized, dimensions
  // set) and their slot indices into `indices`. Requires size() > 0 when n > 0.
  void Sample(size_t n, std::mt19937_64& rng, protocol::TransitionBatch& out, std::vector<uint64_t>& indices) const;

  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  uint64_t total_inserted() const { return total_inserted_; }
  uint32_t obs_dim() const { return obs_dim_; }
  uint32_t act_dim() const { return act_dim_; }

 private:
  void CopyIntoSlot(const protocol::TransitionBatch& batch, size_t row, size_t slot);

  uint32_t obs_dim_;
  uint32_t act_dim_;
  size_t capacity_;
  size_t size_ = 0;
  size_t next_slot_ = 0;  // where the next transition goes; the oldest one once the store is full
  uint64_t total_inserted_ = 0;

  std::vector<float> observations_;        // capacity x obs_dim
  std::vector<float> actions_;             // capacity x act_dim
  std::vector<float> rewards_;             // capacity
  std::vector<float> discounts_;           // capacity
  std::vector<float> next_observations_;   // capacity x obs_dim
  std::vector<uint64_t> policy_versions_;  // capacity
};

}  // namespace ddpg
