// A trained policy read back from a file the learner wrote, for tools that use it outside training
// (envtool eval / rollout, export_policy, recsys evaluate / recommend): `best_policy.pt` (DdpgAgent::SavePolicy, the
// weights of the best evaluation) or `checkpoint.pt` (DdpgAgent::SaveCheckpoint, whose online actor is taken).
//
// Both files store the network's sizes and action bounds next to its tensors, so no configuration is needed
// to read them. LibTorch stays behind this header. Blocks while it reads the file; thread-compatible.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "learner/ddpg.h"

namespace ddpg {

struct SavedPolicy {
  // obs_dim, act_dim, hidden_sizes, act_low and act_high as the file stores them; the other fields are the
  // defaults, which do not affect the actor.
  DdpgOptions options;
  std::vector<float> actor_parameters;  // in the Weights wire order
  // What the file held, for messages: "policy v2850, evaluation return -169.7" or "checkpoint at update 2877".
  std::string description;
};

// NotFound if `path` does not exist; InvalidArgument naming the file if it is neither a policy file nor a
// checkpoint of this learner (or is corrupt).
StatusOr<SavedPolicy> LoadSavedPolicy(const std::string& path);

// A checkpoint's whole agent, critic(s) included, for tools that need more than the actor (recsys evaluate's
// re-ranking by the critic).
struct SavedAgent {
  std::unique_ptr<DdpgAgent> agent;
  TrainingCounters counters;
};

// NotFound if `path` does not exist; InvalidArgument for a policy file (it has no critic) and for anything that
// is not a checkpoint of this learner.
StatusOr<SavedAgent> LoadSavedAgent(const std::string& path);

}  // namespace ddpg
