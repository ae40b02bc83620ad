// TransitionBuilder: turns an actor's batched environment steps into the n-step transitions it sends to
// the replay server (Acme's NStepTransitionAdder, kept apart from the actor loop).
//
// A transition starting at step t of an environment holds s_t, a_t, the discounted reward sum
// r_t + gamma r_{t+1} + ... + gamma^(k-1) r_{t+k-1}, the discount gamma^k and s_{t+k}, so the learner's
// target r + discount * Q'(s', mu'(s')) is the k-step return whatever k is. Normally k = n: a step's
// transition is complete, and emitted, n steps later. When an episode ends, every transition still
// waiting in its window is emitted at once with the k steps that remain:
//  - at a termination the discount is 0 (nothing follows a terminal state);
//  - at a time-limit truncation the discount stays gamma^k and s' is the episode's last observation
//    (EnvBatch reports it before resetting), so the learner bootstraps from it. Flush treats a stop of the
//    actor the same way.
// With n = 1 every step is emitted at once: discount gamma, or 0 at a termination.
//
// Every env step yields exactly one transition, sooner or later. After Add, an environment's window holds at
// most n - 1 steps (pending()); one Add emits at most n transitions per environment (an episode ending
// with a full window), so a chunk taken once it reaches chunk_size holds at most
// chunk_size - 1 + num_envs * n of them (LargestChunkTransitions in common/config.h).
//
// Ownership: plain value holding the chunk being built and each environment's window. Blocking: never.
// Thread-safety: not thread-safe; owned by the actor's thread.
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

#include "common/protocol.h"
#include "envs/env_batch.h"

namespace ddpg {

class TransitionBuilder {
 public:
  // n_step >= 1 (ValidateConfig checks actor.n_step).
  TransitionBuilder(uint32_t obs_dim, uint32_t act_dim, double gamma, int n_step = 1);

  // One step of every environment of a batch: the observations the actions were chosen from, the actions
  // taken, what the step returned, and the version of the policy that chose the actions (0: uniformly
  // random actions before the first weights arrived). A transition carries the version that chose its
  // first action.
  void Add(const std::vector<float>& observations, const std::vector<float>& actions, const StepOutput& output,
           uint64_t policy_version);
  // Completes every waiting transition as if each episode were truncated now: discount gamma^k and s' the
  // latest observation. For an actor that stops, so that no env step is lost.
  void Flush();

  // Complete transitions built since the last Take.
  size_t size() const { return chunk_.size(); }
  // Steps whose transitions are not complete yet (at most n - 1 per environment).
  size_t pending() const;
  // Hands over the complete transitions built so far and starts an empty chunk.
  protocol::TransitionBatch Take();

 private:
  struct Step {
    std::vector<float> observation;
    std::vector<float> action;
    float reward = 0.0f;
    uint64_t policy_version = 0;
  };
  struct Window {
    std::deque<Step> steps;
    std::vector<float> last_observation;  // s after the newest step
  };

  // Appends the transition that starts at the window's oldest step and spans all its steps, then drops
  // that step.
  void EmitOldest(Window& window, bool terminated);

  uint32_t obs_dim_;
  uint32_t act_dim_;
  double gamma_;
  size_t n_step_;
  std::vector<Window> windows_;  // one per environment, sized by the first Add
  protocol::TransitionBatch chunk_;
};

}  // namespace ddpg
