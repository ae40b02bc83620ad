// ActorRegistry: which actors the replay server has heard from lately, and actor ids for the actors that
// ask for one (actor.auto_id).
//
// An actor is alive while it is heard from within the liveness timeout (run.heartbeat_timeout_ms): a
// stored chunk or an assigned id makes it known, and its heartbeats (RefreshIfKnown) keep it alive, but a
// heartbeat alone never makes an id known, since anyone can send one. The lowest id no live actor holds
// is the next one assigned, and a request resent with the same nonce gets the id it was already given.
// Ids are not assigned within the first liveness timeout after the registry starts: a restarted server
// does not know the ids of the actors that outlived it until they have resent or sent a chunk.
//
// Ownership: plain value; time is passed in, so that tests control it. Blocking: never.
// Thread-safety: not thread-safe; owned by the replay service thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <unordered_map>

namespace ddpg {

class ActorRegistry {
 public:
  using Clock = std::chrono::steady_clock;

  ActorRegistry(Clock::duration liveness_timeout, Clock::time_point start);

  void MarkAlive(uint32_t actor_id, Clock::time_point now);
  // Like MarkAlive for an actor that is alive now; does nothing for any other id.
  void RefreshIfKnown(uint32_t actor_id, Clock::time_point now);
  // The number of live actors; forgets the others, which frees their ids.
  uint32_t CountAlive(Clock::time_point now);
  bool CanAssign(Clock::time_point now) const { return now >= assignable_from_; }
  // The id for the request with this nonce (requires CanAssign): the one it was given before, or the
  // lowest id no live actor holds.
  uint32_t Assign(uint64_t nonce, Clock::time_point now);

 private:
  struct LiveActor {
    Clock::time_point last_seen;
    std::optional<uint64_t> nonce;  // of the request this id was assigned to, if it was
  };

  Clock::duration liveness_timeout_;
  Clock::time_point assignable_from_;
  std::unordered_map<uint32_t, LiveActor> actors_;
};

}  // namespace ddpg
