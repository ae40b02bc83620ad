// TransitionStore: the replay server's bounded memory of transitions.
//
// A ring buffer of `capacity` transitions, kept struct-of-arrays in float32 exactly as they arrive on the
// wire (observations, actions, rewards, discounts, next observations) plus the policy version that acted.
// Once full, each insert overwrites the oldest transitions. A transition's slot index (0 .. capacity-1)
// names it until it is overwritten. Each slot also counts the transitions stored in it (its generation, 1
// after the first), so that (index, generation) names one transition for good and a priority update that
// arrives after its slot was overwritten is recognised as stale.
//
// Transitions are also numbered over the life of the store (and of the replay log it was recovered from): the
// n-th ever stored is number n - 1, so the stored ones are first_stored() .. total_inserted() - 1 and the
// newest is in the slot before next_slot_. Priority snapshots name transitions by number (SlotOf maps).
//
// Sampling is uniform, or prioritized (PrioritizedSampler) when the store is built with PriorityOptions;
// the choice is made once, here. The uniform path draws exactly as it did before prioritized sampling
// existed: one uniform slot per row from the caller's generator, so a seed gives the same batches.
//
// Ownership: owns all of its memory, allocated once in the constructor.
// Blocking: never blocks.
// Thread-safety: not thread-safe; owned by the replay service thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <vector>

#include "common/protocol.h"
#include "common/status.h"
#include "replay_server/prioritized_sampler.h"
#include "replay_server/priority_snapshot.h"

namespace ddpg {

// What a sample draws besides the transitions themselves.
struct SampledSlots {
  std::vector<uint64_t> indices;      // the slot of each row
  std::vector<uint64_t> generations;  // prioritized only (else empty): each slot's generation
  std::vector<float> weights;         // prioritized only (else empty): importance weights, the largest 1
};

struct PriorityUpdateOutcome {
  size_t applied = 0;
  size_t stale = 0;  // the slot was overwritten since (or never held) the transition the update names
};

class TransitionStore {
 public:
  // capacity must be at least 1. With `priorities` the store samples in proportion to priorities;
  // without, uniformly.
  TransitionStore(uint32_t obs_dim, uint32_t act_dim, size_t capacity,
                  std::optional<PriorityOptions> priorities = std::nullopt);

  // Appends every transition of `batch` in order, wrapping around and overwriting the oldest once full.
  // InvalidArgument, with nothing stored, when the batch's dimensions differ from the store's or its
  // arrays are inconsistent with its dimensions.
  Status Insert(const protocol::TransitionBatch& batch);
  // For recovery from the replay log (replay_server/recovery.h), on an empty store: the transitions inserted
  // next were the total_inserted-th and later of the store that wrote the log, so total_inserted() goes on
  // from there. Slots are filled from 0 as always.
  void StartCountAt(uint64_t total_inserted);

  // Draws n transitions with replacement from the stored ones into `out` (resized, dimensions set) and
  // what names them into `slots`: uniformly, or (prioritized) stratified by priority with importance
  // weights. Requires size() > 0 when n > 0.
  void Sample(size_t n, std::mt19937_64& rng, protocol::TransitionBatch& out, SampledSlots& slots);

  // Sets the priority of every slot whose generation still matches; the others are counted as stale and
  // left alone. The three arrays run in parallel. InvalidArgument, with nothing applied, when their
  // lengths differ, an index is not below capacity(), or a priority is not finite and within
  // [0, PrioritizedSampler::kMaxPriority]; FailedPrecondition when the store samples uniformly.
  StatusOr<PriorityUpdateOutcome> UpdatePriorities(const std::vector<uint64_t>& indices,
                                                   const std::vector<uint64_t>& generations,
                                                   const std::vector<float>& priorities);

  // Prioritized only: the p_i of every stored transition in number order, the sampler's running maximum and
  // batch count, stamped with the wall-clock time now. O(size()): a copy of size() floats.
  PrioritySnapshot TakePrioritySnapshot() const;
  // Prioritized only, after recovery: every stored transition that `snapshot` covers (by number) gets its p_i
  // from it, the others (stored after it was taken) the maximum it recorded, and the sampler its batch count.
  // Returns how many priorities came from the snapshot.
  size_t RestorePriorities(const PrioritySnapshot& snapshot);

  // The number of the oldest stored transition (total_inserted() when none is stored).
  uint64_t first_stored() const { return total_inserted_ - size_; }
  // The slot holding transition `number`, which must be stored (first_stored() <= number < total_inserted()).
  size_t SlotOf(uint64_t number) const;

  // Transitions stored in `slot` so far: 0 for a slot never written.
  uint64_t generation(size_t slot) const { return generations_[slot]; }
  // The prioritized sampler, or null when the store samples uniformly.
  const PrioritizedSampler* prioritized() const { return prioritized_ ? &*prioritized_ : nullptr; }

  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  uint64_t total_inserted() const { return total_inserted_; }
  uint32_t obs_dim() const { return obs_dim_; }
  uint32_t act_dim() const { return act_dim_; }

 private:
  void CopyIntoSlot(const protocol::TransitionBatch& batch, size_t row, size_t slot);
  void CopyFromSlot(size_t slot, size_t row, protocol::TransitionBatch& out) const;
  void PrefetchSlot(size_t slot) const;

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
  std::vector<uint64_t> generations_;      // capacity
  std::optional<PrioritizedSampler> prioritized_;
};

}  // namespace ddpg
