#include "replay_server/actor_registry.h"

#include <spdlog/spdlog.h>

namespace ddpg {

ActorRegistry::ActorRegistry(Clock::duration liveness_timeout, Clock::time_point start)
    : liveness_timeout_(liveness_timeout), assignable_from_(start + liveness_timeout) {}

void ActorRegistry::MarkAlive(uint32_t actor_id, Clock::time_point now) { actors_[actor_id].last_seen = now; }

void ActorRegistry::RefreshIfKnown(uint32_t actor_id, Clock::time_point now) {
  auto it = actors_.find(actor_id);
  if (it != actors_.end() && it->second.last_seen >= now - liveness_timeout_) it->second.last_seen = now;
}

uint32_t ActorRegistry::CountAlive(Clock::time_point now) {
  const Clock::time_point cutoff = now - liveness_timeout_;
  std::erase_if(actors_, [&](const auto& entry) { return entry.second.last_seen < cutoff; });
  return static_cast<uint32_t>(actors_.size());
}

uint32_t ActorRegistry::Assign(uint64_t nonce, Clock::time_point now) {
  CountAlive(now);
  for (auto& [id, actor] : actors_) {
    if (actor.nonce == nonce) {
      actor.last_seen = now;
      return id;
    }
  }
  uint32_t id = 0;
  while (actors_.contains(id)) ++id;
  actors_[id] = {now, nonce};
  spdlog::info("assigned actor id {} ({} live actors)", id, actors_.size());
  return id;
}

}  // namespace ddpg
