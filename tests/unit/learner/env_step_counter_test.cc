// Tests of the learner's environment-step count (learner/env_step_counter.h).
#include <catch2/catch.hpp>

#include "learner/env_step_counter.h"

namespace ddpg {
namespace {

TEST_CASE("a fresh run counts what the replay server inserted", "[env_step_counter]") {
  EnvStepCounter counter;
  CHECK(counter.env_steps() == 0);
  CHECK_FALSE(counter.has_observed());
  CHECK_FALSE(counter.Observe(1000));
  CHECK(counter.env_steps() == 1000);
  CHECK_FALSE(counter.Observe(1500));
  CHECK(counter.env_steps() == 1500);
}

TEST_CASE("a replay server restart is detected and the count never goes back", "[env_step_counter]") {
  EnvStepCounter counter;
  REQUIRE_FALSE(counter.Observe(5000));
  CHECK(counter.Observe(200));  // the new server starts again from 0
  CHECK(counter.env_steps() == 5200);
  CHECK_FALSE(counter.Observe(300));
  CHECK(counter.env_steps() == 5300);
}

TEST_CASE("a resumed run keeps its steps before the first batch, against a new or an old replay server",
          "[env_step_counter]") {
  EnvStepCounter before_any_batch(20000);
  CHECK(before_any_batch.env_steps() == 20000);  // a checkpoint written now must not say 0

  EnvStepCounter fresh_server(20000);
  REQUIRE_FALSE(fresh_server.Observe(1000));
  CHECK(fresh_server.env_steps() == 21000);

  EnvStepCounter kept_server(20000);  // the server outlived the learner and counts the earlier steps
  REQUIRE_FALSE(kept_server.Observe(20500));
  CHECK(kept_server.env_steps() == 20500);
}

}  // namespace
}  // namespace ddpg
