// Tests of the sum tree's mathematics (replay_server/sum_tree.h): prefix sums, updates, the interval each
// search lands in and its boundaries, and the invariant under many updates at a million leaves.
#include "replay_server/sum_tree.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include <catch2/catch.hpp>

namespace ddpg {
namespace {

TEST_CASE("a sum tree's total is the sum of its leaves and follows every update", "[sum_tree]") {
  SumTree tree(5);  // not a power of two: three padding leaves that must stay out of every sum
  CHECK(tree.capacity() == 5);
  CHECK(tree.total() == 0.0);
  const std::vector<double> leaves = {1.0, 2.0, 0.5, 4.0, 0.25};
  for (size_t i = 0; i < leaves.size(); ++i) tree.Set(i, leaves[i]);
  CHECK(tree.total() == 7.75);
  for (size_t i = 0; i < leaves.size(); ++i) CHECK(tree.Get(i) == leaves[i]);
  tree.Set(3, 1.0);  // replaces, does not add
  CHECK(tree.total() == 4.75);
  tree.Set(0, 0.0);
  CHECK(tree.total() == 3.75);
}

// Leaves 1, 2, 0.5, 4, 0.25 own the intervals [0, 1), [1, 3), [3, 3.5), [3.5, 7.5), [7.5, 7.75): each
// interval's first mass finds its leaf, the mass just below its end still does, and its end finds the
// next leaf. Catches a search that compares with <= instead of <, or forgets to subtract the left sum.
TEST_CASE("Find returns the leaf whose prefix-sum interval holds the mass, boundaries included", "[sum_tree]") {
  SumTree tree(5);
  const std::vector<double> leaves = {1.0, 2.0, 0.5, 4.0, 0.25};
  for (size_t i = 0; i < leaves.size(); ++i) tree.Set(i, leaves[i]);
  const std::vector<double> starts = {0.0, 1.0, 3.0, 3.5, 7.5};
  for (size_t i = 0; i < leaves.size(); ++i) {
    INFO("leaf " << i);
    CHECK(tree.Find(starts[i]) == i);
    CHECK(tree.Find(std::nextafter(starts[i] + leaves[i], 0.0)) == i);
    CHECK(tree.Find(starts[i] + leaves[i] / 2) == i);
  }
  CHECK(tree.Find(1.0) == 1);
  CHECK(tree.Find(3.0) == 2);
  // Masses outside [0, total) clamp to the first and last leaf.
  CHECK(tree.Find(-1.0) == 0);
  CHECK(tree.Find(7.75) == 4);
  CHECK(tree.Find(100.0) == 4);
}

TEST_CASE("Find never returns a leaf of value 0, wherever the mass falls", "[sum_tree]") {
  SumTree tree(20);  // three levels: 24 leaves, 3 sums, the total
  // Zero leaves at the start, in the middle, and at the end: only leaves 2 and 5 can be found.
  tree.Set(2, 3.0);
  tree.Set(5, 2.0);
  CHECK(tree.Find(-0.5) == 2);
  CHECK(tree.Find(0.0) == 2);
  CHECK(tree.Find(2.999) == 2);
  CHECK(tree.Find(3.0) == 5);  // the start of leaf 3's empty interval: the next positive leaf
  CHECK(tree.Find(4.999) == 5);
  CHECK(tree.Find(5.0) == 5);  // at the total: the last positive leaf, not the empty leaves after it
  CHECK(tree.Find(1e9) == 5);
  tree.Set(5, 0.0);  // leaf 5 leaves the sampling for good
  for (double mass : {0.0, 1.0, 2.9, 3.0, 5.0}) CHECK(tree.Find(mass) == 2);
}

// Rounding can put the mass beyond every leaf a search may enter: 1e16 + 1 rounds to 1e16 (doubles are
// 2 apart there), so leaves 0 .. 7 = 1e16, 1, 1, ... sum to 1e16 and so does the tree, although the leaves
// hold more. A mass at the total passes leaf 0 and, in exact arithmetic, still lies within leaf 1's
// interval; with a search that only compared mass with each interval and subtracted, rounding would walk
// it past the last positive leaf of its block into the empty ones (or past the end). The search must
// stay on a positive leaf.
TEST_CASE("a mass beyond the rounded sum of a block does not land on an empty leaf", "[sum_tree]") {
  SumTree tree(16);
  tree.Set(0, 1e16);
  for (size_t leaf = 1; leaf < 8; ++leaf) tree.Set(leaf, 1.0);
  REQUIRE(tree.total() == 1e16);  // the rounding this test is about
  for (double mass : {tree.total(), std::nextafter(tree.total(), 0.0), 2e16}) {
    const size_t found = tree.Find(mass);
    INFO("mass " << mass << " found " << found);
    CHECK(found < 8);
    CHECK(tree.Get(found) > 0.0);
  }
  // A block whose entries add up to more than the entry above it, entered with a mass beyond its sum:
  // 8 leaves of 0.1 add up to 0.7999999999999999 from left to right, the same as the entry above; a mass
  // of 0.8, just above, passes them all and takes the last positive one, leaf 7, not the empty leaf 8.
  SumTree small(16);
  for (size_t leaf = 0; leaf < 8; ++leaf) small.Set(leaf, 0.1);
  CHECK(small.Find(0.8) == 7);
}

// 2^20 + 3 leaves (three over a power of two: padding in every level), a million random updates of values
// spanning 12 orders of magnitude, half of them zero: every entry must still be the exact sum of its
// block, which shows as the total equal to a recomputation from the leaves by the same rule, and the
// total must agree with an accurate (Kahan) sum of the leaves to 1e-12. A search at a random mass must
// land on a positive leaf whose interval, from prefix sums in long double, holds the mass (up to 1e-9 of
// the total, the rounding of the tree's own sums); one at the total or just below it too.
TEST_CASE("at a million leaves and a million updates the sums stay exact and searches find positive leaves",
          "[sum_tree]") {
  constexpr size_t kLeaves = (size_t{1} << 20) + 3;
  SumTree tree(kLeaves);
  std::vector<double> leaves(kLeaves, 0.0);
  std::mt19937_64 rng(2016);
  std::uniform_int_distribution<size_t> pick(0, kLeaves - 1);
  std::uniform_real_distribution<double> exponent(-6.0, 6.0);
  for (int update = 0; update < 1000000; ++update) {
    const size_t i = pick(rng);
    const double value = update % 2 == 0 ? std::pow(10.0, exponent(rng)) : 0.0;
    leaves[i] = value;
    tree.Set(i, value);
  }
  // Blocks of 8 summed left to right, level by level, each level padded with zeros to whole blocks.
  std::vector<double> level = leaves;
  do {
    level.resize((level.size() + 7) / 8 * 8, 0.0);
    std::vector<double> up(level.size() / 8, 0.0);
    for (size_t k = 0; k < up.size(); ++k) {
      for (size_t c = 0; c < 8; ++c) up[k] += level[8 * k + c];
    }
    level.swap(up);
  } while (level.size() > 1);
  CHECK(tree.total() == level[0]);
  double kahan = 0.0, compensation = 0.0;
  for (double value : leaves) {
    const double y = value - compensation;
    const double t = kahan + y;
    compensation = (t - kahan) - y;
    kahan = t;
  }
  CHECK(std::abs(tree.total() - kahan) <= 1e-12 * kahan);

  std::vector<long double> prefix(kLeaves + 1, 0.0L);
  for (size_t i = 0; i < kLeaves; ++i) prefix[i + 1] = prefix[i] + leaves[i];
  const long double tolerance = 1e-9L * prefix[kLeaves];
  std::uniform_real_distribution<double> mass(0.0, tree.total());
  for (int search = 0; search < 10000; ++search) {
    const double m = mass(rng);
    const size_t found = tree.Find(m);
    INFO("mass " << m << " found leaf " << found);
    REQUIRE(found < kLeaves);
    REQUIRE(tree.Get(found) > 0.0);
    CHECK(prefix[found] - tolerance <= m);
    CHECK(m < prefix[found + 1] + tolerance);
  }
  for (double m : {tree.total(), std::nextafter(tree.total(), 0.0), 0.0}) {
    const size_t found = tree.Find(m);
    REQUIRE(found < kLeaves);
    CHECK(tree.Get(found) > 0.0);
  }
}

// SetMany and FindMany are the batched forms the sampler uses: they must agree exactly with Set and Find.
// Batches of 256 updates with repeated indices (the last value wins) on a tree of 5,000 leaves, half of the
// values zero; after each batch the two trees' totals and leaves are equal, and 256 masses (sorted as the
// stratified sampler makes them, and some at or beyond the total) find the same leaves.
TEST_CASE("SetMany and FindMany give exactly what Set and Find one at a time give", "[sum_tree]") {
  constexpr size_t kLeaves = 5000;
  SumTree one_by_one(kLeaves), batched(kLeaves);
  std::mt19937_64 rng(99);
  std::uniform_int_distribution<uint64_t> pick(0, 300);  // a narrow range: repeats within a batch
  std::uniform_real_distribution<double> value(0.0, 10.0);
  for (int batch = 0; batch < 50; ++batch) {
    std::vector<uint64_t> indices(256);
    std::vector<double> values(256);
    for (size_t i = 0; i < 256; ++i) {
      indices[i] = batch % 2 == 0 ? pick(rng) : pick(rng) * 16;
      values[i] = i % 2 == 0 ? value(rng) : 0.0;
      one_by_one.Set(indices[i], values[i]);
    }
    batched.SetMany(indices.data(), values.data(), indices.size());
    REQUIRE(batched.total() == one_by_one.total());
    for (size_t leaf = 0; leaf < kLeaves; ++leaf) REQUIRE(batched.Get(leaf) == one_by_one.Get(leaf));

    std::vector<double> masses(256);
    std::uniform_real_distribution<double> within(0.0, 1.0);
    const double segment = batched.total() / 256;
    for (size_t j = 0; j < 256; ++j) masses[j] = (static_cast<double>(j) + within(rng)) * segment;
    masses[255] = batched.total();
    masses[254] = 2 * batched.total();
    std::vector<double> expected_masses = masses;
    std::vector<uint64_t> leaves(256);
    batched.FindMany(masses.data(), masses.size(), leaves.data());
    for (size_t j = 0; j < 256; ++j) {
      INFO("mass " << expected_masses[j]);
      REQUIRE(leaves[j] == one_by_one.Find(expected_masses[j]));
    }
  }
}

}  // namespace
}  // namespace ddpg
