#include "replay_server/transition_store.h"

#include <algorithm>
#include <cassert>
#include <chrono>
#include <string>

namespace ddpg {

TransitionStore::TransitionStore(uint32_t obs_dim, uint32_t act_dim, size_t capacity,
                                 std::optional<PriorityOptions> priorities)
    : obs_dim_(obs_dim),
      act_dim_(act_dim),
      capacity_(capacity),
      observations_(capacity * obs_dim),
      actions_(capacity * act_dim),
      rewards_(capacity),
      discounts_(capacity),
      next_observations_(capacity * obs_dim),
      policy_versions_(capacity),
      generations_(capacity, 0) {
  assert(capacity > 0);
  if (priorities) prioritized_.emplace(capacity, *priorities);
}

Status TransitionStore::Insert(const protocol::TransitionBatch& batch) {
  if (batch.obs_dim != obs_dim_ || batch.act_dim != act_dim_) {
    return InvalidArgument("transition batch has obs_dim " + std::to_string(batch.obs_dim) + ", act_dim " +
                           std::to_string(batch.act_dim) + "; the store holds obs_dim " + std::to_string(obs_dim_) +
                           ", act_dim " + std::to_string(act_dim_));
  }
  // The arrays are indexed below by the declared dimensions, so an inconsistent batch would read out of
  // bounds; the decoder already checks this for frames, but the store must not rely on its callers.
  Status consistent = protocol::ValidateBatch(batch);
  if (!consistent.ok()) return consistent;

  const size_t n = batch.size();
  // Rows that a later row of the same batch would overwrite are never visible, so they are not copied.
  const size_t first_kept = n > capacity_ ? n - capacity_ : 0;
  next_slot_ = (next_slot_ + first_kept) % capacity_;
  for (size_t row = first_kept; row < n; ++row) {
    CopyIntoSlot(batch, row, next_slot_);
    next_slot_ = (next_slot_ + 1) % capacity_;
  }
  size_ = std::min(capacity_, size_ + n);
  total_inserted_ += n;
  return Status::Ok();
}

void TransitionStore::StartCountAt(uint64_t total_inserted) {
  assert(size_ == 0);
  total_inserted_ = total_inserted;
}

size_t TransitionStore::SlotOf(uint64_t number) const {
  assert(number >= first_stored() && number < total_inserted_);
  // total_inserted_ - number transitions, this one included, were written since it: it lies that many slots
  // before next_slot_, which is at most capacity_ back.
  const uint64_t back = total_inserted_ - number;
  return (next_slot_ + capacity_ - back) % capacity_;
}

PrioritySnapshot TransitionStore::TakePrioritySnapshot() const {
  assert(prioritized_);
  PrioritySnapshot snapshot{
      .capacity = capacity_,
      .first_transition = first_stored(),
      .max_priority = prioritized_->max_priority(),
      .batches = prioritized_->batches(),
      .taken_unix_ms = static_cast<uint64_t>(
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
              .count()),
      .priorities = std::vector<float>(size_)};
  if (size_ == 0) return snapshot;
  // The oldest transition's slot onwards to the end of the ring, then from slot 0: two plain copies.
  const std::vector<float>& by_slot = prioritized_->priorities();
  const size_t oldest = SlotOf(first_stored());
  const size_t until_end = std::min(size_, capacity_ - oldest);
  std::copy_n(by_slot.begin() + static_cast<ptrdiff_t>(oldest), until_end, snapshot.priorities.begin());
  std::copy_n(by_slot.begin(), size_ - until_end, snapshot.priorities.begin() + static_cast<ptrdiff_t>(until_end));
  return snapshot;
}

size_t TransitionStore::RestorePriorities(const PrioritySnapshot& snapshot) {
  assert(prioritized_);
  std::vector<uint64_t> slots;
  std::vector<float> priorities;
  const uint64_t first = std::max(first_stored(), snapshot.first_transition);
  const uint64_t end = std::min(total_inserted_, snapshot.end_transition());
  slots.reserve(end > first ? end - first : 0);
  priorities.reserve(slots.capacity());
  for (uint64_t number = first; number < end; ++number) {
    slots.push_back(SlotOf(number));
    priorities.push_back(snapshot.priorities[number - snapshot.first_transition]);
  }
  prioritized_->Restore(snapshot.max_priority, snapshot.batches, slots, priorities);
  // Recovery wrote every transition at the fresh sampler's maximum, 1; those the snapshot does not cover
  // entered after it was taken, at its maximum then (or later, a larger one: at most one interval's worth).
  for (uint64_t number = first_stored(); number < total_inserted_; ++number) {
    if (number < snapshot.first_transition || number >= snapshot.end_transition())
      prioritized_->OnWrite(SlotOf(number));
  }
  return slots.size();
}

void TransitionStore::CopyIntoSlot(const protocol::TransitionBatch& batch, size_t row, size_t slot) {
  std::copy_n(batch.observations.begin() + row * obs_dim_, obs_dim_, observations_.begin() + slot * obs_dim_);
  std::copy_n(batch.actions.begin() + row * act_dim_, act_dim_, actions_.begin() + slot * act_dim_);
  rewards_[slot] = batch.rewards[row];
  discounts_[slot] = batch.discounts[row];
  std::copy_n(batch.next_observations.begin() + row * obs_dim_, obs_dim_, next_observations_.begin() + slot * obs_dim_);
  policy_versions_[slot] = batch.policy_versions[row];
  ++generations_[slot];
  if (prioritized_) prioritized_->OnWrite(slot);
}

void TransitionStore::CopyFromSlot(size_t slot, size_t row, protocol::TransitionBatch& out) const {
  std::copy_n(observations_.begin() + slot * obs_dim_, obs_dim_, out.observations.begin() + row * obs_dim_);
  std::copy_n(actions_.begin() + slot * act_dim_, act_dim_, out.actions.begin() + row * act_dim_);
  out.rewards[row] = rewards_[slot];
  out.discounts[row] = discounts_[slot];
  std::copy_n(next_observations_.begin() + slot * obs_dim_, obs_dim_, out.next_observations.begin() + row * obs_dim_);
  out.policy_versions[row] = policy_versions_[slot];
}

void TransitionStore::Sample(size_t n, std::mt19937_64& rng, protocol::TransitionBatch& out, SampledSlots& slots) {
  assert(n == 0 || size_ > 0);
  out.obs_dim = obs_dim_;
  out.act_dim = act_dim_;
  out.observations.resize(n * obs_dim_);
  out.actions.resize(n * act_dim_);
  out.rewards.resize(n);
  out.discounts.resize(n);
  out.next_observations.resize(n * obs_dim_);
  out.policy_versions.resize(n);
  if (prioritized_) {
    prioritized_->Sample(n, size_, rng, slots.indices, slots.weights);
    slots.generations.resize(n);
    for (uint64_t slot : slots.indices) __builtin_prefetch(&generations_[slot]);
    for (size_t row = 0; row < n; ++row) slots.generations[row] = generations_[slots.indices[row]];
  } else {
    slots.indices.resize(n);
    slots.generations.clear();
    slots.weights.clear();
    // Until the ring first wraps, the stored transitions occupy slots 0 .. size-1; afterwards all slots.
    std::uniform_int_distribution<size_t> pick_slot(0, size_ - 1);
    for (size_t row = 0; row < n; ++row) slots.indices[row] = pick_slot(rng);
  }
  // The slots are scattered over the whole ring: asking for all of their memory first lets the cache
  // misses overlap instead of each copy waiting for its own.
  for (uint64_t slot : slots.indices) PrefetchSlot(slot);
  for (size_t row = 0; row < n; ++row) CopyFromSlot(slots.indices[row], row, out);
}

void TransitionStore::PrefetchSlot(size_t slot) const {
  __builtin_prefetch(&observations_[slot * obs_dim_]);
  __builtin_prefetch(&actions_[slot * act_dim_]);
  __builtin_prefetch(&rewards_[slot]);
  __builtin_prefetch(&discounts_[slot]);
  __builtin_prefetch(&next_observations_[slot * obs_dim_]);
  __builtin_prefetch(&policy_versions_[slot]);
}

StatusOr<PriorityUpdateOutcome> TransitionStore::UpdatePriorities(const std::vector<uint64_t>& indices,
                                                                  const std::vector<uint64_t>& generations,
                                                                  const std::vector<float>& priorities) {
  if (!prioritized_) return FailedPrecondition("the store samples uniformly: priorities have no effect");
  if (generations.size() != indices.size() || priorities.size() != indices.size()) {
    return InvalidArgument("a priority update has " + std::to_string(indices.size()) + " indices, " +
                           std::to_string(generations.size()) + " generations and " +
                           std::to_string(priorities.size()) + " priorities");
  }
  // Everything is checked before anything is applied, so a refused update changes nothing.
  for (size_t i = 0; i < indices.size(); ++i) {
    if (indices[i] >= capacity_) {
      return InvalidArgument("priority update entry " + std::to_string(i) + " names slot " +
                             std::to_string(indices[i]) + ", beyond the capacity " + std::to_string(capacity_));
    }
    __builtin_prefetch(&generations_[indices[i]]);  // read below, once all entries are checked
    // Written as a negation so that NaN, which fails every comparison, is refused too.
    if (!(priorities[i] >= 0.0f && priorities[i] <= PrioritizedSampler::kMaxPriority)) {
      return InvalidArgument("priority update entry " + std::to_string(i) + " has priority " +
                             std::to_string(priorities[i]) + ", which is not finite and within [0, 1e30]");
    }
  }
  std::vector<uint64_t> slots;
  std::vector<double> values;
  slots.reserve(indices.size());
  values.reserve(indices.size());
  for (size_t i = 0; i < indices.size(); ++i) {
    // A slot never written has generation 0, and no transition was ever sampled from it.
    const uint64_t current = generations_[indices[i]];
    if (current == 0 || generations[i] != current) continue;
    slots.push_back(indices[i]);
    values.push_back(priorities[i]);
  }
  prioritized_->SetPriorities(slots, values);
  return PriorityUpdateOutcome{.applied = slots.size(), .stale = indices.size() - slots.size()};
}

}  // namespace ddpg
