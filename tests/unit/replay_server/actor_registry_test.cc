// Tests of actor liveness and id assignment (replay_server/actor_registry.h), with time passed in.
#include <catch2/catch.hpp>

#include "replay_server/actor_registry.h"

namespace ddpg {
namespace {

using namespace std::chrono_literals;
using Clock = ActorRegistry::Clock;

const Clock::time_point kStart = Clock::time_point{} + 1000s;

TEST_CASE("ids are not assigned during the first liveness timeout", "[actor_registry]") {
  ActorRegistry registry(5s, kStart);
  CHECK_FALSE(registry.CanAssign(kStart));
  CHECK_FALSE(registry.CanAssign(kStart + 4999ms));
  CHECK(registry.CanAssign(kStart + 5s));
}

TEST_CASE("the lowest id no live actor holds is assigned, and a resent request gets its id again", "[actor_registry]") {
  ActorRegistry registry(5s, kStart);
  const Clock::time_point now = kStart + 5s;
  registry.MarkAlive(0, now);  // a configured actor
  registry.MarkAlive(2, now);
  CHECK(registry.Assign(/*nonce=*/111, now) == 1);
  CHECK(registry.Assign(/*nonce=*/222, now) == 3);
  CHECK(registry.Assign(/*nonce=*/111, now + 1s) == 1);
  CHECK(registry.CountAlive(now + 1s) == 4);
}

TEST_CASE("an actor silent for longer than the timeout stops counting and frees its id", "[actor_registry]") {
  ActorRegistry registry(5s, kStart);
  const Clock::time_point now = kStart + 5s;
  CHECK(registry.Assign(111, now) == 0);
  CHECK(registry.Assign(222, now) == 1);
  registry.MarkAlive(1, now + 4s);
  CHECK(registry.CountAlive(now + 5s) == 2);  // exactly the timeout: still alive
  CHECK(registry.CountAlive(now + 5s + 1ms) == 1);
  CHECK(registry.Assign(333, now + 6s) == 0);
}

}  // namespace
}  // namespace ddpg
