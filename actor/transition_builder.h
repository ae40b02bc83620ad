// TransitionBuilder: turns an actor's batched environment steps into the transitions it sends to the
// replay server. This is where the discount of each transition is decided (and where n-step returns will
// be built): gamma for a step that did not terminate, 0 for one that did. A time-limit truncation is not
// a termination: it keeps gamma, and its next observation is the episode's last one (EnvBatch reports it
// before resetting), so the learner bootstraps from it.
//
// Ownership: plain value holding the chunk being built. Blocking: never. Thread-safety: not thread-safe;
// owned by the actor's thread.
#pragma once

#include <cstdint>
#include <vector>

#include "common/protocol.h"
#include "envs/env_batch.h"

namespace ddpg {

class TransitionBuilder {
 public:
  TransitionBuilder(uint32_t obs_dim, uint32_t act_dim, float gamma);

  // One step of every environment of a batch: the observations the actions were chosen from, the actions
  // taken, what the step returned, and the version of the policy that chose the actions (0: uniformly
  // random actions before the first weights arrived).
  void Add(const std::vector<float>& observations, const std::vector<float>& actions, const StepOutput& output,
           uint64_t policy_version);

  // Transitions built since the last Take.
  size_t size() const { return chunk_.size(); }
  // Hands over the transitions built so far and starts an empty chunk.
  protocol::TransitionBatch Take();

 private:
  float gamma_;
  protocol::TransitionBatch chunk_;
};

}  // namespace ddpg
