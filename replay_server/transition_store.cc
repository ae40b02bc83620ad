#include "replay_server/transition_store.h"

#include <algorithm>
#include <cassert>
#include <string>

namespace ddpg {

TransitionStore::TransitionStore(uint32_t obs_dim, uint32_t act_dim, size_t capacity)
    : obs_dim_(obs_dim),
      act_dim_(act_dim),
      capacity_(capacity),
      observations_(capacity * obs_dim),
      actions_(capacity * act_dim),
      rewards_(capacity),
      discounts_(capacity),
      next_observations_(capacity * obs_dim),
      policy_versions_(capacity) {
  assert(capacity > 0);
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

void TransitionStore::CopyIntoSlot(const protocol::TransitionBatch& batch, size_t row, size_t slot) {
  std::copy_n(batch.observations.begin() + row * obs_dim_, obs_dim_, observations_.begin() + slot * obs_dim_);
  std::copy_n(batch.actions.begin() + row * act_dim_, act_dim_, actions_.begin() + slot * act_dim_);
  rewards_[slot] = batch.rewards[row];
  discounts_[slot] = batch.discounts[row];
  std::copy_n(batch.next_observations.begin() + row * obs_dim_, obs_dim_, next_observations_.begin() + slot * obs_dim_);
  policy_versions_[slot] = batch.policy_versions[row];
}

void TransitionStore::Sample(size_t n, std::mt19937_64& rng, protocol::TransitionBatch& out,
                             std::vector<uint64_t>& indices) const {
  assert(n == 0 || size_ > 0);
  out.obs_dim = obs_dim_;
  out.act_dim = act_dim_;
  out.observations.resize(n * obs_dim_);
  out.actions.resize(n * act_dim_);
  out.rewards.resize(n);
  out.discounts.resize(n);
  out.next_observations.resize(n * obs_dim_);
  out.policy_versions.resize(n);
  indices.resize(n);
  // Until the ring first wraps, the stored transitions occupy slots 0 .. size-1; afterwards all slots.
  std::uniform_int_distribution<size_t> pick_slot(0, size_ - 1);
  for (size_t row = 0; row < n; ++row) {
    const size_t slot = pick_slot(rng);
    indices[row] = slot;
    std::copy_n(observations_.begin() + slot * obs_dim_, obs_dim_, out.observations.begin() + row * obs_dim_);
    std::copy_n(actions_.begin() + slot * act_dim_, act_dim_, out.actions.begin() + row * act_dim_);
    out.rewards[row] = rewards_[slot];
    out.discounts[row] = discounts_[slot];
    std::copy_n(next_observations_.begin() + slot * obs_dim_, obs_dim_, out.next_observations.begin() + row * obs_dim_);
    out.policy_versions[row] = policy_versions_[slot];
  }
}

}  // namespace ddpg
