// PrioritizedSampler: proportional prioritized experience replay (Schaul et al. 2016) over the slots of a
// TransitionStore.
//
// With p_i = priority_i + epsilon (priority_i the |TD error|, or any non-negative loss, the learner
// reported for slot i) and N the stored transitions:
//
//   P(i) = p_i^alpha / sum_k p_k^alpha                         (sampling probability)
//   w_i  = (N * P(i))^(-beta) / max_j w_j                      (importance weight)
//   beta = beta_0 + (1 - beta_0) * min(1, batches / beta_steps)
//
// - A SumTree holds p_i^alpha per slot. A new transition enters at the running maximum of every p_i seen
//   so far (1 before any), so it is sampled soon whatever its error turns out to be.
// - Sampling is stratified: the total is split into n equal segments and one slot is drawn from each, which
//   keeps a batch's spread close to P even for small batches.
// - The max_j in w_i runs over the batch, not the buffer: the largest weight of a batch is 1, so weights
//   only ever scale steps down. Normalising by the buffer's smallest P would need a second (min) tree kept
//   up to date at every priority change; over the batch it costs nothing.
// - beta is annealed here, where the weights are computed: by the batches this sampler has served (about
//   the learner's updates), from beta_0 to 1 over beta_steps batches.
// - A replay server restarted on its log (replay.durability = disk) gets the p_i, the running maximum and the
//   batch count of its last priority snapshot back through Restore (replay_server/priority_snapshot.h), so
//   that neither the priorities nor beta's annealing start again.
// - Priorities are bounded by kMaxPriority and alpha by ValidateConfig (<= 10), so every p_i^alpha and
//   their sum over 1e8 slots stay finite in double, and epsilon > 0 keeps every stored slot positive.
//
// Ownership: plain value, owns its tree. Blocking: never blocks. Thread-safety: not thread-safe; owned by
// its TransitionStore.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

#include "replay_server/sum_tree.h"

namespace ddpg {

struct PriorityOptions {
  double alpha = 0.6;  // 0: uniform; 1: fully proportional
  double beta = 0.4;   // beta_0, the importance-sampling exponent before annealing
  uint64_t beta_steps = 100000;
  double epsilon = 1e-6;
};

class PrioritizedSampler {
 public:
  // The largest priority accepted: with alpha <= 10, 1e30^alpha <= 1e300 and a sum over 1e8 slots of
  // those is still finite.
  static constexpr double kMaxPriority = 1e30;

  PrioritizedSampler(size_t capacity, const PriorityOptions& options);

  // Slot `slot` now holds a new transition: it gets the running maximum priority.
  void OnWrite(size_t slot);
  // Sets the priority (before epsilon) of each slot in `slots` to the corresponding entry of `priorities`,
  // finite and within [0, kMaxPriority], in order (a repeated slot keeps its last priority).
  void SetPriorities(const std::vector<uint64_t>& slots, const std::vector<double>& priorities);

  // Recovery from a priority snapshot: the running maximum and the batches served become what the snapshot
  // recorded, then p_i of each slot in `slots` becomes the corresponding entry of `priorities` (epsilon
  // included, as priority() returns it; positive and at most kMaxPriority + epsilon). A p_i above the
  // recorded maximum (float rounding) raises the maximum, so that it stays the largest p_i.
  void Restore(double max_priority, uint64_t batches, const std::vector<uint64_t>& slots,
               const std::vector<float>& priorities);

  // Draws n slots (stratified, each from its segment of the total) into `slots`, and their importance
  // weights into `weights`; `stored` is N, the number of slots holding a transition. Advances beta by one
  // batch. Requires stored > 0 and at least one positive slot.
  void Sample(size_t n, size_t stored, std::mt19937_64& rng, std::vector<uint64_t>& slots, std::vector<float>& weights);

  // The beta the next Sample uses.
  double beta() const;
  // p_i = priority + epsilon of slot i (0 for a slot never written).
  double priority(size_t slot) const { return priorities_[slot]; }
  // P(i): the probability that one draw picks slot i.
  double Probability(size_t slot) const { return tree_.Get(slot) / tree_.total(); }
  // Every slot's p_i (0 for a slot never written), indexed by slot.
  const std::vector<float>& priorities() const { return priorities_; }
  // The running maximum p_i that new transitions enter at.
  double max_priority() const { return max_priority_; }
  // The batches Sample served, which beta is annealed by.
  uint64_t batches() const { return batches_; }
  // The mean p_i over slots 0 .. stored - 1 (O(stored): for reports, not for every batch).
  double MeanPriority(size_t stored) const;

 private:
  PriorityOptions options_;
  SumTree tree_;                   // p_i^alpha
  std::vector<float> priorities_;  // p_i, for reports
  double max_priority_ = 1.0;
  double max_leaf_ = 1.0;  // max_priority_^alpha, what OnWrite stores
  uint64_t batches_ = 0;
  // Scratch of Sample and SetPriorities, kept to spare allocations per batch.
  std::vector<double> masses_;
  std::vector<double> log_weights_;
  std::vector<double> leaves_;
};

}  // namespace ddpg
