#include "replay_server/transition_store.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <set>

#include <catch2/catch.hpp>

#include "chi_square.h"
#include "transition_batches.h"

namespace ddpg {
namespace {

using testing::MakeBatch;

constexpr uint32_t kObsDim = 3;
constexpr uint32_t kActDim = 2;

// Samples many times and returns, for each slot index seen, the id of the transition it returned; fails
// if any returned row mixes fields of different transitions or a slot returns two different ids.
std::map<uint64_t, uint64_t> SlotContents(TransitionStore& store, size_t draws) {
  std::mt19937_64 rng(7);
  protocol::TransitionBatch out;
  SampledSlots slots;
  store.Sample(draws, rng, out, slots);
  const std::vector<uint64_t>& indices = slots.indices;
  REQUIRE(out.obs_dim == store.obs_dim());
  REQUIRE(out.act_dim == store.act_dim());
  REQUIRE(out.size() == draws);
  REQUIRE(indices.size() == draws);
  REQUIRE(protocol::ValidateBatch(out).ok());
  std::map<uint64_t, uint64_t> contents;
  for (size_t row = 0; row < draws; ++row) {
    const uint64_t id = out.policy_versions[row];
    for (uint32_t j = 0; j < out.obs_dim; ++j) {
      REQUIRE(out.observations[row * out.obs_dim + j] == testing::ObservationValue(id, j));
      REQUIRE(out.next_observations[row * out.obs_dim + j] == testing::NextObservationValue(id, j));
    }
    for (uint32_t j = 0; j < out.act_dim; ++j)
      REQUIRE(out.actions[row * out.act_dim + j] == testing::ActionValue(id, j));
    REQUIRE(out.rewards[row] == testing::RewardValue(id));
    REQUIRE(out.discounts[row] == testing::DiscountValue(id));
    const auto [slot, inserted] = contents.emplace(indices[row], id);
    REQUIRE(slot->second == id);
  }
  return contents;
}

TEST_CASE("a new store is empty and has the requested capacity", "[transition_store]") {
  TransitionStore store(kObsDim, kActDim, 5);
  CHECK(store.size() == 0);
  CHECK(store.capacity() == 5);
  CHECK(store.total_inserted() == 0);
}

TEST_CASE("inserts fill the ring in order and wrap around over the oldest transitions", "[transition_store]") {
  TransitionStore store(kObsDim, kActDim, 5);
  REQUIRE(store.Insert(MakeBatch(kObsDim, kActDim, 0, 3)).ok());
  CHECK(store.size() == 3);
  CHECK(SlotContents(store, 500) == std::map<uint64_t, uint64_t>{{0, 0}, {1, 1}, {2, 2}});

  // Transitions 3 and 4 fill slots 3 and 4; 5 and 6 overwrite the oldest, 0 and 1, in slots 0 and 1.
  REQUIRE(store.Insert(MakeBatch(kObsDim, kActDim, 3, 4)).ok());
  CHECK(store.size() == 5);
  CHECK(store.total_inserted() == 7);
  CHECK(SlotContents(store, 1000) == std::map<uint64_t, uint64_t>{{0, 5}, {1, 6}, {2, 2}, {3, 3}, {4, 4}});
}

TEST_CASE("a store that starts counting at n fills its slots from 0 and counts on from n", "[transition_store]") {
  TransitionStore store(kObsDim, kActDim, 5);
  store.StartCountAt(1000);
  REQUIRE(store.Insert(MakeBatch(kObsDim, kActDim, 1000, 2)).ok());
  CHECK(store.total_inserted() == 1002);
  CHECK(store.size() == 2);
  CHECK(SlotContents(store, 500) == std::map<uint64_t, uint64_t>{{0, 1000}, {1, 1001}});
}

TEST_CASE("a batch larger than the capacity keeps only its newest transitions", "[transition_store]") {
  TransitionStore store(kObsDim, kActDim, 3);
  REQUIRE(store.Insert(MakeBatch(kObsDim, kActDim, 100, 1)).ok());
  // Seven more: slots continue from 1, so 101..107 land in 1,2,0,1,2,0,1 and only 105..107 survive.
  REQUIRE(store.Insert(MakeBatch(kObsDim, kActDim, 101, 7)).ok());
  CHECK(store.size() == 3);
  CHECK(store.total_inserted() == 8);
  CHECK(SlotContents(store, 500) == std::map<uint64_t, uint64_t>{{0, 106}, {1, 107}, {2, 105}});
}

TEST_CASE("a batch of other dimensions is rejected and nothing is stored", "[transition_store]") {
  TransitionStore store(kObsDim, kActDim, 5);
  const Status wrong_obs = store.Insert(MakeBatch(kObsDim + 1, kActDim, 0, 2));
  CHECK(wrong_obs.code() == StatusCode::kInvalidArgument);
  CHECK_THAT(wrong_obs.message(), Catch::Contains("obs_dim 4") && Catch::Contains("obs_dim 3"));
  const Status wrong_act = store.Insert(MakeBatch(kObsDim, kActDim + 1, 0, 2));
  CHECK(wrong_act.code() == StatusCode::kInvalidArgument);
  CHECK_THAT(wrong_act.message(), Catch::Contains("act_dim 3") && Catch::Contains("act_dim 2"));
  CHECK(store.size() == 0);
  CHECK(store.total_inserted() == 0);
}

TEST_CASE("a batch whose arrays disagree with its dimensions is rejected", "[transition_store]") {
  TransitionStore store(kObsDim, kActDim, 5);
  protocol::TransitionBatch batch = MakeBatch(kObsDim, kActDim, 0, 2);
  batch.next_observations.pop_back();
  const Status status = store.Insert(batch);
  CHECK(status.code() == StatusCode::kInvalidArgument);
  CHECK_THAT(status.message(), Catch::Contains("next_observations"));
  CHECK(store.size() == 0);
}

TEST_CASE("sampling a partly filled store returns only stored transitions, each of them", "[transition_store]") {
  TransitionStore store(kObsDim, kActDim, 100);
  REQUIRE(store.Insert(MakeBatch(kObsDim, kActDim, 40, 3)).ok());
  // 600 uniform draws over 3 slots miss one with probability about 3 * (2/3)^600: never.
  CHECK(SlotContents(store, 600) == std::map<uint64_t, uint64_t>{{0, 40}, {1, 41}, {2, 42}});
}

// After the ring wrapped, with the write position mid-ring, every slot must be drawn with probability 1/C
// and hold one of the last C transitions inserted. A chi-square goodness-of-fit test of the slot counts
// against uniform, at a false-alarm probability of 1e-4 (the seed is fixed, so the test is deterministic;
// the threshold says how unlucky a seed would have to be). Bugs it catches: a range off by one that never
// picks the last slot (uniform_int_distribution(0, size - 2)), sampling only the slots written since the
// wrap or only the stale part of the ring, a size that stops growing, or an insert that writes to the wrong
// slot so that overwritten transitions remain visible.
TEST_CASE("sampling a wrapped store is uniform over its slots and sees only the last capacity transitions",
          "[transition_store]") {
  constexpr size_t kCapacity = 50;
  TransitionStore store(kObsDim, kActDim, kCapacity);
  // 17, then 61 (more than the capacity: its oldest rows are skipped), then 5: 83 in all, so the newest 50
  // are ids 33..82 and the next write goes to slot 83 % 50 = 33, mid-ring.
  REQUIRE(store.Insert(MakeBatch(kObsDim, kActDim, 0, 17)).ok());
  REQUIRE(store.Insert(MakeBatch(kObsDim, kActDim, 17, 61)).ok());
  REQUIRE(store.Insert(MakeBatch(kObsDim, kActDim, 78, 5)).ok());
  REQUIRE(store.size() == kCapacity);
  const uint64_t total = store.total_inserted();
  REQUIRE(total == 83);

  constexpr size_t kDraws = 200 * kCapacity;
  std::mt19937_64 rng(12345);
  protocol::TransitionBatch out;
  SampledSlots slots;
  store.Sample(kDraws, rng, out, slots);
  const std::vector<uint64_t>& indices = slots.indices;
  REQUIRE(indices.size() == kDraws);
  REQUIRE(out.size() == kDraws);

  std::vector<size_t> counts(kCapacity, 0);
  std::map<uint64_t, uint64_t> slot_ids;
  for (size_t row = 0; row < kDraws; ++row) {
    const uint64_t slot = indices[row];
    const uint64_t id = out.policy_versions[row];
    INFO("draw " << row << ": slot " << slot << ", transition " << id);
    REQUIRE(slot < kCapacity);
    ++counts[slot];
    // Only the last kCapacity transitions, and the one the ring put in this slot (ids are written in order,
    // so transition id lives in slot id % capacity).
    REQUIRE(id >= total - kCapacity);
    REQUIRE(id < total);
    REQUIRE(id % kCapacity == slot);
    REQUIRE(out.rewards[row] == testing::RewardValue(id));
    REQUIRE(out.observations[row * kObsDim] == testing::ObservationValue(id, 0));
    slot_ids.emplace(slot, id);
  }
  CHECK(slot_ids.size() == kCapacity);

  const double expected = static_cast<double>(kDraws) / kCapacity;
  const double chi_square = testing::ChiSquare(counts, std::vector<double>(kCapacity, expected));
  const double critical = testing::ChiSquareCriticalValue(static_cast<int>(kCapacity) - 1, 3.719);
  INFO("chi-square " << chi_square << " over " << kCapacity - 1 << " degrees of freedom, critical value " << critical
                     << "; fewest draws of a slot " << *std::min_element(counts.begin(), counts.end()) << ", most "
                     << *std::max_element(counts.begin(), counts.end()) << ", expected " << expected);
  CHECK(chi_square < critical);
}

TEST_CASE("sampling draws with replacement, so a batch may exceed the stored size", "[transition_store]") {
  TransitionStore store(kObsDim, kActDim, 10);
  REQUIRE(store.Insert(MakeBatch(kObsDim, kActDim, 0, 2)).ok());
  std::mt19937_64 rng(1);
  protocol::TransitionBatch out;
  SampledSlots slots;
  store.Sample(8, rng, out, slots);
  const std::vector<uint64_t>& indices = slots.indices;
  CHECK(out.size() == 8);
  CHECK(std::set<uint64_t>(indices.begin(), indices.end()).size() <= 2);
}

}  // namespace
}  // namespace ddpg

namespace ddpg {
namespace {

const PriorityOptions kPriorities{.alpha = 1.0, .beta = 0.4, .beta_steps = 100, .epsilon = 1e-3};

TEST_CASE("a slot's generation counts the transitions stored in it", "[transition_store]") {
  TransitionStore store(kObsDim, kActDim, 3);
  CHECK(store.generation(0) == 0);
  REQUIRE(store.Insert(MakeBatch(kObsDim, kActDim, 0, 2)).ok());
  CHECK(store.generation(0) == 1);
  CHECK(store.generation(1) == 1);
  CHECK(store.generation(2) == 0);
  REQUIRE(store.Insert(MakeBatch(kObsDim, kActDim, 2, 3)).ok());  // slots 2, 0, 1
  CHECK(store.generation(0) == 2);
  CHECK(store.generation(1) == 2);
  CHECK(store.generation(2) == 1);
}

TEST_CASE("a uniform store sends no generations or weights and refuses priorities", "[transition_store]") {
  TransitionStore store(kObsDim, kActDim, 10);
  CHECK(store.prioritized() == nullptr);
  REQUIRE(store.Insert(MakeBatch(kObsDim, kActDim, 0, 4)).ok());
  std::mt19937_64 rng(1);
  protocol::TransitionBatch out;
  SampledSlots slots;
  store.Sample(8, rng, out, slots);
  CHECK(slots.indices.size() == 8);
  CHECK(slots.generations.empty());
  CHECK(slots.weights.empty());
  const auto refused = store.UpdatePriorities({0}, {1}, {2.0f});
  CHECK(refused.status().code() == StatusCode::kFailedPrecondition);
}

TEST_CASE("a prioritized store sends each row's generation and weight, and follows the priorities it is given",
          "[transition_store]") {
  TransitionStore store(kObsDim, kActDim, 8, kPriorities);
  REQUIRE(store.prioritized() != nullptr);
  REQUIRE(store.Insert(MakeBatch(kObsDim, kActDim, 0, 12)).ok());  // ids 4..11 survive, slots 0..3 written twice
  std::mt19937_64 rng(2);
  protocol::TransitionBatch out;
  SampledSlots slots;
  store.Sample(64, rng, out, slots);
  REQUIRE(slots.indices.size() == 64);
  REQUIRE(slots.generations.size() == 64);
  REQUIRE(slots.weights.size() == 64);
  for (size_t row = 0; row < 64; ++row) {
    const uint64_t slot = slots.indices[row];
    CHECK(slots.generations[row] == store.generation(slot));
    CHECK(out.policy_versions[row] % 8 == slot);  // the row is the slot's transition
    CHECK(slots.weights[row] == 1.0f);            // all at the initial maximum: equal weights
  }
  // Every slot but 5 down to priority 0: slot 5 holds 1 / (1 + 7 * 1e-3) of the mass.
  std::vector<uint64_t> indices, generations;
  std::vector<float> priorities;
  for (uint64_t slot = 0; slot < 8; ++slot) {
    indices.push_back(slot);
    generations.push_back(store.generation(slot));
    priorities.push_back(slot == 5 ? 1.0f : 0.0f);
  }
  const auto outcome = store.UpdatePriorities(indices, generations, priorities);
  REQUIRE(outcome.ok());
  CHECK(outcome->applied == 8);
  CHECK(outcome->stale == 0);
  store.Sample(256, rng, out, slots);
  const auto fives = std::count(slots.indices.begin(), slots.indices.end(), 5u);
  CHECK(fives >= 250);
}

// Slots 0 and 1 are sampled, then overwritten; their updates arrive afterwards and must not touch the new
// transitions, which keep the maximum priority they entered at. Slot 2's update is current and applies.
// Catches a store that ignores generations, compares them the wrong way, or never advances them.
TEST_CASE("a priority update for a slot overwritten since it was sampled is ignored and counted stale",
          "[transition_store]") {
  TransitionStore store(kObsDim, kActDim, 4, kPriorities);
  REQUIRE(store.Insert(MakeBatch(kObsDim, kActDim, 0, 4)).ok());
  const std::vector<uint64_t> sampled = {0, 1, 2};
  const std::vector<uint64_t> generations = {store.generation(0), store.generation(1), store.generation(2)};
  REQUIRE(store.Insert(MakeBatch(kObsDim, kActDim, 4, 2)).ok());  // overwrites slots 0 and 1
  const auto outcome = store.UpdatePriorities(sampled, generations, {7.0f, 8.0f, 9.0f});
  REQUIRE(outcome.ok());
  CHECK(outcome->applied == 1);
  CHECK(outcome->stale == 2);
  const PrioritizedSampler& sampler = *store.prioritized();
  CHECK(sampler.priority(0) == 1.0);  // the running maximum when they were written
  CHECK(sampler.priority(1) == 1.0);
  CHECK(sampler.priority(2) == Approx(9.001));
  // With the new generations the same update applies.
  const auto current = store.UpdatePriorities({0, 1}, {store.generation(0), store.generation(1)}, {7.0f, 8.0f});
  REQUIRE(current.ok());
  CHECK(current->applied == 2);
  CHECK(sampler.priority(1) == Approx(8.001));
}

TEST_CASE("priority updates for slots never written are stale, whatever generation they claim", "[transition_store]") {
  TransitionStore store(kObsDim, kActDim, 10, kPriorities);
  REQUIRE(store.Insert(MakeBatch(kObsDim, kActDim, 0, 3)).ok());
  const auto outcome = store.UpdatePriorities({5, 6}, {0, 1}, {3.0f, 3.0f});
  REQUIRE(outcome.ok());
  CHECK(outcome->applied == 0);
  CHECK(outcome->stale == 2);
  CHECK(store.prioritized()->priority(5) == 0.0);  // still never sampled
}

TEST_CASE("a priority update with a value out of range is refused whole", "[transition_store]") {
  TransitionStore store(kObsDim, kActDim, 4, kPriorities);
  REQUIRE(store.Insert(MakeBatch(kObsDim, kActDim, 0, 4)).ok());
  const std::vector<uint64_t> generations(2, 1);
  struct Case {
    const char* name;
    std::vector<uint64_t> indices;
    std::vector<float> priorities;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"index at capacity", {0, 4}, {2.0f, 2.0f}, "slot 4, beyond the capacity 4"},
      {"NaN", {0, 1}, {2.0f, std::nanf("")}, "priority nan"},
      {"negative", {0, 1}, {2.0f, -0.5f}, "priority -0.5"},
      {"infinite", {0, 1}, {2.0f, std::numeric_limits<float>::infinity()}, "priority inf"},
      {"above 1e30", {0, 1}, {2.0f, 1e31f}, "not finite and within [0, 1e30]"},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    const auto refused = store.UpdatePriorities(c.indices, generations, c.priorities);
    CHECK(refused.status().code() == StatusCode::kInvalidArgument);
    CHECK_THAT(refused.status().message(), Catch::Contains(c.message));
    CHECK(store.prioritized()->priority(0) == 1.0);  // the valid first entry was not applied either
  }
  const auto mismatched = store.UpdatePriorities({0, 1}, {1}, {2.0f, 2.0f});
  CHECK(mismatched.status().code() == StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace ddpg
