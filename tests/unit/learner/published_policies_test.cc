// Tests of the learner's record of published policies (learner/published_policies.h).
#include "learner/published_policies.h"

#include <catch2/catch.hpp>

namespace ddpg {
namespace {

constexpr uint64_t kInstance = 0xabc;

protocol::EpisodeReport Evaluation(uint64_t version, uint64_t instance = kInstance) {
  protocol::EpisodeReport report;
  report.evaluation = true;
  report.episode_return = -150.0;
  report.policy_version = version;
  report.learner_instance = instance;
  return report;
}

TEST_CASE("an evaluation of a published version of this learner is accepted", "[published_policies]") {
  PublishedPolicies published(kInstance, 1 << 20);
  published.Record(100, {1.0f, 2.0f});
  published.Record(150, {3.0f, 4.0f});
  CHECK(published.CheckReport(Evaluation(100)).ok());
  CHECK(published.CheckReport(Evaluation(150)).ok());
}

TEST_CASE("an evaluation of a version this learner never published is refused", "[published_policies]") {
  PublishedPolicies published(kInstance, 1 << 20);
  published.Record(100, {1.0f});
  published.Record(150, {2.0f});
  // Between two published versions, and beyond the newest (an earlier learner's higher numbers).
  for (uint64_t version : {uint64_t{120}, uint64_t{5000}}) {
    const Status refused = published.CheckReport(Evaluation(version));
    CHECK(refused.code() == StatusCode::kFailedPrecondition);
    CHECK_THAT(refused.message(), Catch::Contains("never published v" + std::to_string(version)));
  }
}

TEST_CASE("an evaluation of another learner instance's weights is refused even for a published version number",
          "[published_policies]") {
  PublishedPolicies published(kInstance, 1 << 20);
  published.Record(100, {1.0f});
  const Status refused = published.CheckReport(Evaluation(100, 0xdef));
  CHECK(refused.code() == StatusCode::kFailedPrecondition);
  CHECK_THAT(refused.message(), Catch::Contains("earlier learner process"));
}

TEST_CASE("the parameters of each kept version are the ones recorded for it", "[published_policies]") {
  PublishedPolicies published(kInstance, 1 << 20);
  published.Record(10, {1.0f, 1.5f});
  published.Record(20, {2.0f, 2.5f});
  published.Record(20, {9.0f, 9.5f});  // republished: the first record stands
  REQUIRE(published.Parameters(10) != nullptr);
  CHECK(*published.Parameters(10) == std::vector<float>{1.0f, 1.5f});
  REQUIRE(published.Parameters(20) != nullptr);
  CHECK(*published.Parameters(20) == std::vector<float>{2.0f, 2.5f});
  CHECK(published.Parameters(15) == nullptr);
}

TEST_CASE("parameters beyond the byte budget are dropped oldest first, version numbers stay accepted",
          "[published_policies]") {
  // 3 versions of 4 floats (16 bytes) fit a 48-byte budget.
  PublishedPolicies published(kInstance, 48);
  for (uint64_t version = 1; version <= 5; ++version) published.Record(version, std::vector<float>(4, 1.0f * version));
  CHECK(published.Parameters(1) == nullptr);
  CHECK(published.Parameters(2) == nullptr);
  REQUIRE(published.Parameters(3) != nullptr);
  CHECK(published.Parameters(3)->front() == 3.0f);
  CHECK(published.Parameters(5) != nullptr);
  CHECK(published.CheckReport(Evaluation(1)).ok());
}

TEST_CASE("at least the newest versions are kept whatever the budget", "[published_policies]") {
  PublishedPolicies published(kInstance, 0);
  for (uint64_t version = 1; version <= 4; ++version) published.Record(version, std::vector<float>(4, 0.0f));
  CHECK(published.Parameters(2) == nullptr);
  CHECK(published.Parameters(3) != nullptr);
  CHECK(published.Parameters(4) != nullptr);
}

}  // namespace
}  // namespace ddpg
