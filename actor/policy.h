// The actor's copy of the policy network, fed by Weights messages from the learner.
//
// LibTorch stays behind this header. Before the first SetWeights, has_weights() is false and the caller
// acts uniformly at random. Owned by the actor's thread; not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "common/protocol.h"
#include "common/status.h"
#include "envs/env_spec.h"

namespace ddpg {

class Policy {
 public:
  Policy(const EnvSpec& spec, const std::vector<int>& hidden_sizes);
  ~Policy();

  // Adopts the weights if they fit this network (InvalidArgument saying what differs otherwise) and are
  // newer than the ones held: from the same learner instance, an older version (FailedPrecondition) is a
  // frame that was overtaken, and the version held now (the learner republishes it for late joiners)
  // changes nothing. Weights of another learner instance (a restarted learner, whose versions may start
  // below the ones held) are always adopted.
  Status SetWeights(const protocol::Weights& weights);
  bool has_weights() const { return has_weights_; }
  uint64_t version() const { return version_; }
  uint64_t learner_instance() const { return learner_instance_; }

  // mu(s) for every row of observations (n x obs_dim), written to actions (n x act_dim).
  void Act(const std::vector<float>& observations, std::vector<float>& actions);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  bool has_weights_ = false;
  uint64_t version_ = 0;
  uint64_t learner_instance_ = 0;
};

}  // namespace ddpg
