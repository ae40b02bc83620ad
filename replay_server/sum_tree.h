// SumTree: non-negative values over `capacity` leaves with O(log n) updates and O(log n) prefix-sum search,
// the data structure of proportional prioritized replay (Schaul et al. 2016, "Prioritized Experience
// Replay", appendix B.2.1).
//
// Each node has kFanOut = 8 children, one 64-byte cache line of doubles, so a search at a million leaves
// reads 7 cache lines where a binary tree reads 20, most of them outside the caches. The nodes are stored
// level by level, leaves first: entry k of level l + 1 sums entries 8k .. 8k + 7 of level l (a block);
// every level is padded with zeros to whole blocks, and the top level is one block, whose sum is total().
//
// Invariant: every internal entry holds the floating-point sum of its block, added left to right, and
// total() the sum of the top block. Updates recompute these sums on the leaf's path from the children
// instead of adding the difference, so no rounding error accumulates however many updates come (1M
// leaves updated billions of times stay consistent), and an entry is 0 exactly when its whole block is 0.
// Values are doubles: float sums of 1M leaves would lose small priorities entirely.
//
// Find(mass) returns the leaf whose interval [prefix, prefix + value) holds mass, where prefix is the sum
// of the leaves before it. It never returns a leaf of value 0, even when rounding puts mass at or beyond
// total() or beyond the sum of the block it entered (it then takes the block's last positive entry), so a
// sampler cannot draw an empty slot.
//
// Ownership: plain value, owns its arrays. Blocking: never blocks. Thread-safety: pure logic, not
// thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace ddpg {

class SumTree {
 public:
  static constexpr size_t kFanOut = 8;

  // capacity must be at least 1. All leaves start at 0.
  explicit SumTree(size_t capacity);

  // Sets leaf `index` (< capacity) to `value` (finite, >= 0) and updates the sums above it.
  void Set(size_t index, double value);
  // Set for each of indices[0 .. n-1] with values[0 .. n-1], in order (a repeated index keeps its last
  // value). The sums are recomputed one level at a time for all leaves together, with prefetching, as in
  // FindMany; the tree ends exactly as n calls of Set would leave it.
  void SetMany(const uint64_t* indices, const double* values, size_t n);
  double Get(size_t index) const { return Level(0)[index]; }
  // The sum of all leaves.
  double total() const { return total_; }
  size_t capacity() const { return capacity_; }

  // The leaf i with prefix(i) <= mass < prefix(i) + Get(i), where prefix(i) is the sum of the leaves
  // before i. A mass below 0 finds the first leaf of positive value, one at or beyond total() the last.
  // Never a leaf of value 0. Requires total() > 0.
  size_t Find(double mass) const;
  // Find for each of masses[0 .. n-1], into leaves[0 .. n-1]; overwrites the masses. The searches descend
  // together, one level at a time, each prefetching its next block, so that their cache misses overlap
  // instead of queueing.
  void FindMany(double* masses, size_t n, uint64_t* leaves) const;

 private:
  double* Level(size_t level) { return storage_.data() + offsets_[level]; }
  const double* Level(size_t level) const { return storage_.data() + offsets_[level]; }
  // Recomputes the entry of level + 1 that sums block `block` of `level`.
  void Resum(size_t level, size_t block);
  void ResumTotal();

  size_t capacity_;
  std::vector<double> storage_;  // every level, each starting on a 64-byte boundary
  std::vector<size_t> offsets_;  // of each level in storage_, leaves first; the last is the top block
  double total_ = 0.0;
  std::vector<uint64_t> set_many_nodes_;  // scratch of SetMany, kept to spare an allocation per call
};

}  // namespace ddpg
