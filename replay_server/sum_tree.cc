#include "replay_server/sum_tree.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdint>

namespace ddpg {
namespace {

constexpr size_t kFanOut = SumTree::kFanOut;

size_t WholeBlocks(size_t entries) { return (entries + kFanOut - 1) / kFanOut * kFanOut; }

double BlockSum(const double* block) {
  double sum = 0.0;
  for (size_t c = 0; c < kFanOut; ++c) sum += block[c];
  return sum;
}

// The entry of `block` whose interval holds mass, with mass reduced by the entries before it. An entry of
// value 0 is never taken: when mass lies beyond every interval (rounding made the block's entries add up
// to more than the sum above it), the last positive entry is, with mass relative to its start.
size_t Choose(const double* block, double& mass) {
  size_t chosen = 0;
  double mass_at_chosen = mass;
  for (size_t c = 0; c < kFanOut; ++c) {
    if (block[c] > 0.0) {
      chosen = c;
      mass_at_chosen = mass;
      if (mass < block[c]) break;
    }
    mass -= block[c];
  }
  mass = mass_at_chosen;
  return chosen;
}

}  // namespace

SumTree::SumTree(size_t capacity) : capacity_(capacity) {
  assert(capacity > 0);
  std::vector<size_t> sizes = {WholeBlocks(capacity)};
  while (sizes.back() > kFanOut) sizes.push_back(WholeBlocks(sizes.back() / kFanOut));
  size_t entries = 0;
  for (size_t size : sizes) entries += size;
  // One block of slack to start the first level on a 64-byte boundary; the others follow in whole blocks.
  storage_.assign(entries + kFanOut, 0.0);
  const auto address = reinterpret_cast<uintptr_t>(storage_.data());
  size_t offset = (kFanOut - (address / sizeof(double)) % kFanOut) % kFanOut;
  for (size_t size : sizes) {
    offsets_.push_back(offset);
    offset += size;
  }
}

void SumTree::Resum(size_t level, size_t block) { Level(level + 1)[block] = BlockSum(Level(level) + block * kFanOut); }

void SumTree::ResumTotal() { total_ = BlockSum(Level(offsets_.size() - 1)); }

void SumTree::Set(size_t index, double value) {
  assert(index < capacity_);
  assert(std::isfinite(value) && value >= 0.0);
  Level(0)[index] = value;
  for (size_t level = 0; level + 1 < offsets_.size(); ++level) {
    index /= kFanOut;
    Resum(level, index);
  }
  ResumTotal();
}

void SumTree::SetMany(const uint64_t* indices, const double* values, size_t n) {
  std::vector<uint64_t>& entries = set_many_nodes_;
  entries.assign(indices, indices + n);
  for (size_t i = 0; i < n; ++i) {
    assert(indices[i] < capacity_);
    assert(std::isfinite(values[i]) && values[i] >= 0.0);
    Level(0)[indices[i]] = values[i];
  }
  // Level by level from the leaves up: an entry is summed only after all of its block below is final, so
  // an entry shared by several paths ends as the sum of its final block, as with Set one at a time.
  for (size_t level = 0; level + 1 < offsets_.size(); ++level) {
    // The blocks below were just written, so they are in cache; the entries above are what each path
    // waits for.
    for (uint64_t& entry : entries) {
      entry /= kFanOut;
      __builtin_prefetch(Level(level + 1) + entry, /*rw=*/1);
    }
    for (uint64_t entry : entries) Resum(level, entry);
  }
  ResumTotal();
}

size_t SumTree::Find(double mass) const {
  assert(total() > 0.0);
  // Every block entered sums to more than 0 (the top one by the precondition, and then only a positive
  // entry is chosen), so every block holds a positive entry to choose.
  size_t index = 0;
  for (size_t level = offsets_.size(); level-- > 0;) {
    index = index * kFanOut + Choose(Level(level) + index * kFanOut, mass);
  }
  return index;
}

void SumTree::FindMany(double* masses, size_t n, uint64_t* leaves) const {
  assert(total() > 0.0);
  std::fill_n(leaves, n, uint64_t{0});
  for (size_t level = offsets_.size(); level-- > 0;) {
    const double* entries = Level(level);
    for (size_t i = 0; i < n; ++i) {
      leaves[i] = leaves[i] * kFanOut + Choose(entries + leaves[i] * kFanOut, masses[i]);
      if (level > 0) __builtin_prefetch(Level(level - 1) + leaves[i] * kFanOut);
    }
  }
}

}  // namespace ddpg
