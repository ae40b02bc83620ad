// Tests of proportional prioritized replay's mathematics (replay_server/prioritized_sampler.h): sampling
// frequencies against P(i) = p_i^alpha / sum p_k^alpha, stratification, the importance weights
// (N P(i))^-beta / max_j w_j on a hand-computed case, beta's annealing, and the running maximum that new
// transitions enter at.
#include "replay_server/prioritized_sampler.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include <catch2/catch.hpp>

#include "chi_square.h"

namespace ddpg {
namespace {

PrioritizedSampler FilledSampler(size_t slots, const PriorityOptions& options) {
  PrioritizedSampler sampler(slots, options);
  for (size_t slot = 0; slot < slots; ++slot) sampler.OnWrite(slot);
  return sampler;
}

// 50 slots with priorities from 0.2 to 10 in a scrambled order, alpha 0.7, epsilon 0.01: the slot counts
// of 400 batches of 64 must fit P(i) = (priority_i + epsilon)^0.7 / sum_k (priority_k + epsilon)^0.7,
// computed here independently, by a chi-square test at a false-alarm probability of 1e-4 (the seed is
// fixed, so the test is deterministic; the threshold says how unlucky a seed would have to be).
// Stratification makes the counts vary less than independent draws would, so the test errs on the safe
// side. Bugs it catches: a missing alpha (P proportional to p: chi-square in the thousands), epsilon not
// added or added after the exponent, a search that picks the wrong neighbour of an interval.
TEST_CASE("sampling frequencies match P(i) = p_i^alpha / sum_k p_k^alpha by a chi-square test",
          "[prioritized_sampler]") {
  constexpr size_t kSlots = 50;
  const PriorityOptions options{.alpha = 0.7, .beta = 0.4, .beta_steps = 1000, .epsilon = 0.01};
  PrioritizedSampler sampler = FilledSampler(kSlots, options);
  std::vector<double> expected(kSlots);
  double sum = 0.0;
  for (size_t slot = 0; slot < kSlots; ++slot) {
    const double priority = 0.2 + static_cast<double>((slot * 37) % kSlots) / 5.0;
    sampler.SetPriorities({slot}, {priority});
    expected[slot] = std::pow(priority + 0.01, 0.7);
    sum += expected[slot];
  }
  constexpr size_t kBatches = 400, kBatchSize = 64;
  for (size_t slot = 0; slot < kSlots; ++slot) {
    CHECK(sampler.Probability(slot) == Approx(expected[slot] / sum).epsilon(1e-12));
    expected[slot] *= kBatches * kBatchSize / sum;
  }
  std::mt19937_64 rng(42);
  std::vector<size_t> counts(kSlots, 0);
  std::vector<uint64_t> slots;
  std::vector<float> weights;
  for (size_t batch = 0; batch < kBatches; ++batch) {
    sampler.Sample(kBatchSize, kSlots, rng, slots, weights);
    REQUIRE(slots.size() == kBatchSize);
    for (uint64_t slot : slots) {
      REQUIRE(slot < kSlots);
      ++counts[slot];
    }
  }
  const double chi_square = testing::ChiSquare(counts, expected);
  const double critical = testing::ChiSquareCriticalValue(kSlots - 1, 3.719);
  INFO("chi-square " << chi_square << " over " << kSlots - 1 << " degrees of freedom, critical value " << critical);
  CHECK(chi_square < critical);
}

// With equal priorities and a batch as large as the buffer, each of the n equal segments of the total is
// exactly one slot's interval: a stratified sampler returns every slot once, in order. Independent draws
// would miss about a third of them.
TEST_CASE("a batch is stratified: one draw from each of n equal segments of the total", "[prioritized_sampler]") {
  constexpr size_t kSlots = 32;
  PrioritizedSampler sampler = FilledSampler(kSlots, PriorityOptions{});
  std::mt19937_64 rng(3);
  std::vector<uint64_t> slots;
  std::vector<float> weights;
  for (int batch = 0; batch < 10; ++batch) {
    sampler.Sample(kSlots, kSlots, rng, slots, weights);
    std::vector<uint64_t> every(kSlots);
    for (size_t slot = 0; slot < kSlots; ++slot) every[slot] = slot;
    CHECK(slots == every);
    CHECK(std::all_of(weights.begin(), weights.end(), [](float w) { return w == 1.0f; }));
  }
}

// p = 1, 2, 3, 4 (priorities 0.5 .. 3.5 plus epsilon 0.5), alpha 1: P = 0.1, 0.2, 0.3, 0.4 and N = 4.
// A batch of 40 splits the total 10 into segments of 0.25 that each lie inside one slot's interval, so
// the batch is exactly 4 x slot 0, 8 x slot 1, 12 x slot 2, 16 x slot 3, whatever the generator draws.
// By hand, at beta = 0.5: w_i = (4 P_i)^-0.5 = 1.58114, 1.11803, 0.91287, 0.79057, divided by the
// batch's largest (slot 0's): 1, 0.70711, 0.57735, 0.5. Beta rises by (1 - 0.5) / 2 per batch: 0.75
// gives (P_0 / P_i)^0.75 = 1, 0.59460, 0.43869, 0.35355, and from the third batch on beta = 1 gives
// P_0 / P_i = 1, 0.5, 0.33333, 0.25. Catches a sign flip of beta (slot 3 would weigh most), a missing
// normalisation, N or P swapped for counts, and annealing that runs the wrong way or past 1.
TEST_CASE("importance weights are (N P(i))^-beta over the batch's largest, with beta annealed to 1",
          "[prioritized_sampler]") {
  const PriorityOptions options{.alpha = 1.0, .beta = 0.5, .beta_steps = 2, .epsilon = 0.5};
  PrioritizedSampler sampler = FilledSampler(4, options);
  for (size_t slot = 0; slot < 4; ++slot) sampler.SetPriorities({slot}, {0.5 + static_cast<double>(slot)});
  std::vector<uint64_t> expected_slots;
  for (uint64_t slot = 0; slot < 4; ++slot) expected_slots.insert(expected_slots.end(), 4 * (slot + 1), slot);
  const std::vector<std::pair<double, std::vector<double>>> batches = {
      {0.5, {1.0, 0.70710678, 0.57735027, 0.5}},
      {0.75, {1.0, 0.59460356, 0.43869134, 0.35355339}},
      {1.0, {1.0, 0.5, 0.33333333, 0.25}},
      {1.0, {1.0, 0.5, 0.33333333, 0.25}},
  };
  std::mt19937_64 rng(11);
  std::vector<uint64_t> slots;
  std::vector<float> weights;
  for (const auto& [beta, slot_weights] : batches) {
    INFO("beta " << beta);
    CHECK(sampler.beta() == Approx(beta));
    sampler.Sample(40, 4, rng, slots, weights);
    REQUIRE(slots == expected_slots);
    REQUIRE(weights.size() == 40);
    for (size_t row = 0; row < 40; ++row) CHECK(weights[row] == Approx(slot_weights[slots[row]]).epsilon(1e-6));
  }
}

TEST_CASE("weights are normalised over the batch, so a batch of one weighs 1", "[prioritized_sampler]") {
  const PriorityOptions options{.alpha = 1.0, .beta = 1.0, .beta_steps = 1, .epsilon = 0.5};
  PrioritizedSampler sampler = FilledSampler(4, options);
  for (size_t slot = 0; slot < 4; ++slot) sampler.SetPriorities({slot}, {0.5 + static_cast<double>(slot)});
  std::mt19937_64 rng(5);
  std::vector<uint64_t> slots;
  std::vector<float> weights;
  std::vector<bool> seen(4, false);
  for (int batch = 0; batch < 100; ++batch) {
    sampler.Sample(1, 4, rng, slots, weights);
    seen[slots[0]] = true;
    CHECK(weights[0] == 1.0f);  // normalised over the buffer, slot 3's would be P_0 / P_3 = 0.25
  }
  CHECK(seen[3]);
}

TEST_CASE("with alpha 0 every slot is equally likely and every weight is 1", "[prioritized_sampler]") {
  const PriorityOptions options{.alpha = 0.0, .beta = 0.4, .beta_steps = 10, .epsilon = 1e-6};
  PrioritizedSampler sampler = FilledSampler(8, options);
  for (size_t slot = 0; slot < 8; ++slot) sampler.SetPriorities({slot}, {std::pow(10.0, static_cast<double>(slot))});
  for (size_t slot = 0; slot < 8; ++slot) CHECK(sampler.Probability(slot) == 0.125);
  std::mt19937_64 rng(1);
  std::vector<uint64_t> slots;
  std::vector<float> weights;
  sampler.Sample(64, 8, rng, slots, weights);
  CHECK(std::all_of(weights.begin(), weights.end(), [](float w) { return w == 1.0f; }));
}

TEST_CASE("new transitions enter at the running maximum priority, 1 before any update", "[prioritized_sampler]") {
  const PriorityOptions options{.alpha = 0.6, .beta = 0.4, .beta_steps = 10, .epsilon = 0.25};
  PrioritizedSampler sampler(8, options);
  sampler.OnWrite(0);
  sampler.OnWrite(1);
  CHECK(sampler.priority(0) == 1.0);
  CHECK(sampler.max_priority() == 1.0);
  sampler.SetPriorities({0}, {5.0});
  sampler.SetPriorities({1}, {0.5});
  CHECK(sampler.priority(0) == 5.25);  // epsilon added
  CHECK(sampler.priority(1) == 0.75);
  CHECK(sampler.max_priority() == 5.25);
  sampler.OnWrite(2);
  CHECK(sampler.priority(2) == 5.25);
  // Lowering the slot that set the maximum does not lower it: the maximum runs over every priority seen.
  sampler.SetPriorities({0}, {0.0});
  CHECK(sampler.priority(0) == 0.25);
  sampler.OnWrite(3);
  CHECK(sampler.priority(3) == 5.25);
  // Within one update a repeated slot keeps its last priority; the maximum still saw the first.
  sampler.SetPriorities({3, 3}, {9.0, 2.0});
  CHECK(sampler.priority(3) == 2.25);
  CHECK(sampler.max_priority() == 9.25);
  sampler.SetPriorities({3}, {5.0});
  // An overwritten slot starts again at the maximum, forgetting its old priority.
  sampler.OnWrite(1);
  CHECK(sampler.priority(1) == 9.25);
  CHECK(sampler.Probability(1) ==
        Approx(std::pow(9.25, 0.6) / (std::pow(0.25, 0.6) + 2 * std::pow(5.25, 0.6) + std::pow(9.25, 0.6))));
  CHECK(sampler.MeanPriority(4) == Approx((0.25 + 9.25 + 2 * 5.25) / 4));
}

// Slots never written hold 0 and must never be drawn, however large the buffer and however the draws fall.
TEST_CASE("at a million slots with a thousand written, only written slots are drawn", "[prioritized_sampler]") {
  constexpr size_t kCapacity = 1000000;
  PrioritizedSampler sampler(kCapacity, PriorityOptions{});
  for (size_t slot = 0; slot < 1000; ++slot) sampler.OnWrite(slot);
  std::mt19937_64 rng(8);
  std::vector<uint64_t> slots;
  std::vector<float> weights;
  for (int batch = 0; batch < 100; ++batch) {
    sampler.Sample(256, 1000, rng, slots, weights);
    for (uint64_t slot : slots) REQUIRE(slot < 1000);
    for (float w : weights) REQUIRE((w > 0.0f && w <= 1.0f));
  }
}

}  // namespace
}  // namespace ddpg
