// Tests of the learner's environment-step count (learner/env_step_counter.h). The scenarios are issue 8's:
// each one double-counted or lost steps under the old rule that compared total_inserted with the
// resumed count.
#include <catch2/catch.hpp>

#include "learner/env_step_counter.h"

namespace ddpg {
namespace {

constexpr uint64_t kFirstServer = 0x1111;
constexpr uint64_t kSecondServer = 0x2222;

TEST_CASE("a fresh run counts what the replay server stored for it", "[env_step_counter]") {
  EnvStepCounter counter;
  CHECK(counter.env_steps() == 0);
  CHECK_FALSE(counter.has_observed());
  CHECK_FALSE(counter.Observe(kFirstServer, 1000));
  CHECK(counter.env_steps() == 1000);
  CHECK_FALSE(counter.Observe(kFirstServer, 1500));
  CHECK(counter.env_steps() == 1500);
  CHECK(counter.anchor() == ReplayAnchor{kFirstServer, 1500});
}

TEST_CASE("a replay server restart is seen from its instance even when its new count exceeds the old",
          "[env_step_counter]") {
  EnvStepCounter counter;
  REQUIRE_FALSE(counter.Observe(kFirstServer, 500));
  // The restarted server took in 800 transitions before the learner's next batch: more than the old 500,
  // which a rule based on the count going down would miss.
  CHECK(counter.Observe(kSecondServer, 800));
  CHECK(counter.env_steps() == 1300);
  CHECK_FALSE(counter.Observe(kSecondServer, 900));
  CHECK(counter.env_steps() == 1400);
}

TEST_CASE("a resumed run keeps its steps before the first batch", "[env_step_counter]") {
  const EnvStepCounter before_any_batch(20000, {kFirstServer, 20000});
  CHECK(before_any_batch.env_steps() == 20000);  // a checkpoint written now must not say 0
}

TEST_CASE("compose down and up at 20k then a learner-only crash at 35k stops a 50k budget at a true 50k",
          "[env_step_counter]") {
  // First cluster: checkpoint at 20k against the first server.
  EnvStepCounter first;
  first.Observe(kFirstServer, 20000);
  const uint64_t checkpoint_steps = first.env_steps();
  const ReplayAnchor checkpoint_anchor = first.anchor();

  // down/up: a new server; the resumed learner adds everything the new server stores.
  EnvStepCounter second(checkpoint_steps, checkpoint_anchor);
  CHECK(second.Observe(kSecondServer, 1000));
  CHECK(second.env_steps() == 21000);
  second.Observe(kSecondServer, 13000);
  CHECK(second.env_steps() == 33000);  // checkpoint here
  const uint64_t steps_at_checkpoint = second.env_steps();
  const ReplayAnchor anchor_at_checkpoint = second.anchor();

  // The learner alone crashes at a true 35k; the server keeps running and has stored 15k for this run.
  EnvStepCounter third(steps_at_checkpoint, anchor_at_checkpoint);
  CHECK_FALSE(third.Observe(kSecondServer, 15000));
  CHECK(third.env_steps() == 35000);
  third.Observe(kSecondServer, 30000);
  CHECK(third.env_steps() == 50000);
}

TEST_CASE("a fresh learner against a server that served another run counts from that server's restarted count",
          "[env_step_counter]") {
  // The server resets run_inserted when another run samples, so the new run sees only its own.
  EnvStepCounter counter;
  REQUIRE_FALSE(counter.Observe(kFirstServer, 64));
  CHECK(counter.env_steps() == 64);
}

TEST_CASE("the same server counting another run in between starts our count again without losing steps",
          "[env_step_counter]") {
  EnvStepCounter counter(0, {kFirstServer, 5000});
  CHECK_FALSE(counter.Observe(kFirstServer, 100));
  CHECK(counter.env_steps() == 100);
}

TEST_CASE("a reply without a server instance changes nothing", "[env_step_counter]") {
  EnvStepCounter counter(700, {kFirstServer, 700});
  CHECK_FALSE(counter.Observe(0, 999999));
  CHECK(counter.env_steps() == 700);
  CHECK_FALSE(counter.has_observed());
}

}  // namespace
}  // namespace ddpg
