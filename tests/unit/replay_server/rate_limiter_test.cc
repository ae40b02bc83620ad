#include "replay_server/rate_limiter.h"

#include <catch2/catch.hpp>

namespace ddpg {
namespace {

// samples_per_insert 2, min_size_to_sample 10, error_buffer 5: min_diff = 15, max_diff = 25.
RateLimiter MakeLimiter() { return RateLimiter(2.0, 10, 5.0); }

TEST_CASE("the rate limiter derives its bounds from Reverb's SampleToInsertRatio", "[rate_limiter]") {
  const RateLimiter limiter = MakeLimiter();
  CHECK(limiter.min_diff() == 15.0);
  CHECK(limiter.max_diff() == 25.0);
}

TEST_CASE("samples wait until min_size_to_sample transitions were inserted", "[rate_limiter]") {
  RateLimiter limiter = MakeLimiter();
  CHECK_FALSE(limiter.CanSample(1));
  limiter.RecordInsert(9);
  CHECK_FALSE(limiter.CanSample(1));
  limiter.RecordInsert(1);
  CHECK(limiter.CanSample(1));
}

TEST_CASE("inserts are never held back while the store fills up, even one that overshoots", "[rate_limiter]") {
  RateLimiter limiter = MakeLimiter();
  limiter.RecordInsert(8);
  // 8 + 100 would be far above max_diff once counted, but samples cannot move yet, so only an insert can.
  CHECK(limiter.CanInsert(100));
  limiter.RecordInsert(100);
  CHECK(limiter.inserted() == 108);
  CHECK_FALSE(limiter.CanInsert(1));
  CHECK(limiter.CanSample(100));
}

TEST_CASE("inserts are held back when the learner falls behind and released by its samples", "[rate_limiter]") {
  RateLimiter limiter = MakeLimiter();
  limiter.RecordInsert(10);           // diff 20
  CHECK(limiter.CanInsert(2));        // 24 <= 25
  CHECK_FALSE(limiter.CanInsert(3));  // 26 > 25
  limiter.RecordSample(1);
  CHECK(limiter.CanInsert(3));        // 26 - 1 = 25 <= 25
  CHECK_FALSE(limiter.CanInsert(4));  // 28 - 1 = 27 > 25
}

TEST_CASE("samples are held back when actors fall behind and released by their inserts", "[rate_limiter]") {
  RateLimiter limiter = MakeLimiter();
  limiter.RecordInsert(10);           // diff 20
  CHECK(limiter.CanSample(5));        // 20 - 5 = 15 >= 15
  CHECK_FALSE(limiter.CanSample(6));  // 14 < 15
  limiter.RecordSample(5);
  CHECK_FALSE(limiter.CanSample(1));
  limiter.RecordInsert(1);  // diff 22 - 5 = 17
  CHECK(limiter.CanSample(2));
  CHECK_FALSE(limiter.CanSample(3));
  CHECK(limiter.sampled() == 5);
  CHECK(limiter.inserted() == 11);
}

TEST_CASE("a fractional ratio lets several inserts pay for one sample", "[rate_limiter]") {
  // samples_per_insert 0.25, min_size_to_sample 4, error_buffer 1: min_diff 0, max_diff 2.
  RateLimiter limiter(0.25, 4, 1.0);
  limiter.RecordInsert(4);  // diff 1
  CHECK(limiter.CanSample(1));
  CHECK_FALSE(limiter.CanSample(2));
  limiter.RecordSample(1);      // diff 0
  CHECK(limiter.CanInsert(8));  // 12 * 0.25 - 1 = 2 <= 2
  CHECK_FALSE(limiter.CanInsert(9));
  limiter.RecordInsert(4);  // diff 1
  CHECK(limiter.CanSample(1));
  CHECK_FALSE(limiter.CanSample(2));
}

TEST_CASE("with the validated error buffer one side can always move", "[rate_limiter]") {
  // ValidateConfig requires 2E > batch + R * chunk. Drive the limiter into each of its extremes in turn
  // (samples until they must wait, then inserts until they must wait) and check the other side can move.
  const double ratio = 4.0;
  const uint64_t chunk = 7, batch = 16, min_size = 30;
  const double error_buffer = (batch + ratio * chunk) / 2.0 + 1.0;
  RateLimiter limiter(ratio, min_size, error_buffer);
  for (int round = 0; round < 1000; ++round) {
    while (limiter.CanSample(batch)) limiter.RecordSample(batch);
    REQUIRE(limiter.CanInsert(chunk));
    while (limiter.CanInsert(chunk)) limiter.RecordInsert(chunk);
    REQUIRE(limiter.CanSample(batch));
  }
  const double ratio_seen = static_cast<double>(limiter.sampled()) / static_cast<double>(limiter.inserted());
  CHECK(ratio_seen == Approx(ratio).epsilon(0.01));
}

}  // namespace
}  // namespace ddpg
