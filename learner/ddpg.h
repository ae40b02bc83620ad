// The DDPG algorithm (Lillicrap et al. 2015): actor, critic, their target networks and Adam optimizers.
//
// Update performs one gradient step on a batch: the critic regresses Q(s, a) onto
// r + discount * Q'(s', mu'(s')) (discount already holds gamma^k, 0 at termination), the actor ascends
// Q(s, mu(s)), then both targets move by Polyak averaging with rate tau. LibTorch stays behind this header
// (pimpl), so the learner's service code compiles without it. Networks live on options.device, chosen
// once here. Not thread-safe: one thread drives an agent.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/protocol.h"
#include "common/status.h"

namespace ddpg {

struct DdpgOptions {
  int obs_dim = 0;
  int act_dim = 0;
  std::vector<int> hidden_sizes = {256, 256};
  std::vector<float> act_low, act_high;
  double gamma = 0.99;  // informational: discounts arrive in the batch
  double tau = 0.005;
  double actor_lr = 1e-3;
  double critic_lr = 1e-3;
  uint64_t seed = 0;
  Device device = Device::kCpu;
};

struct UpdateResult {
  double critic_loss = 0.0;
  double actor_loss = 0.0;
  double q_mean = 0.0;
};

// Counters stored with the networks, so a resumed learner continues its step count (see EnvStepCounter
// for the replay anchor) and its run id. Checkpoints written before run ids existed load with run_id 0.
struct TrainingCounters {
  uint64_t updates = 0;
  uint64_t env_steps = 0;
  uint64_t run_id = 0;
  uint64_t replay_instance = 0;
  uint64_t replay_run_inserted = 0;
};

// What SavePolicy wrote.
struct PolicyFile {
  uint64_t version = 0;
  double eval_return = 0.0;
  std::vector<float> actor_parameters;  // in the Weights wire order
};

// Reads a policy file for a network of options' sizes (InvalidArgument naming what differs otherwise).
StatusOr<PolicyFile> LoadPolicyFile(const std::string& path, const DdpgOptions& options);

class DdpgAgent {
 public:
  explicit DdpgAgent(const DdpgOptions& options);
  ~DdpgAgent();
  DdpgAgent(const DdpgAgent&) = delete;
  DdpgAgent& operator=(const DdpgAgent&) = delete;

  // One critic step, one actor step, one Polyak update. The batch must match the agent's dimensions.
  UpdateResult Update(const protocol::TransitionBatch& batch);

  // Deterministic policy mu(s) for n = observations.size() / obs_dim observations.
  std::vector<float> Act(const std::vector<float>& observations) const;
  // Q(s, a) of the online critic, one value per row.
  std::vector<float> QValues(const std::vector<float>& observations, const std::vector<float>& actions) const;
  // Q'(s, a) of the target critic and mu'(s) of the target actor (tests of the Polyak update and of the
  // critic's regression target r + discount * Q'(s', mu'(s'))).
  std::vector<float> TargetQValues(const std::vector<float>& observations, const std::vector<float>& actions) const;
  std::vector<float> TargetAct(const std::vector<float>& observations) const;

  // The online actor's parameters in the Weights wire order (see common/networks.h).
  std::vector<float> ActorParameters() const;
  std::vector<float> TargetActorParameters() const;
  std::vector<float> CriticParameters() const;
  std::vector<float> TargetCriticParameters() const;
  // Replaces the online actor and critic, and their targets, with flat parameter vectors in the order above
  // (for tests and tools that start an agent from known networks; the optimizers keep their state).
  // InvalidArgument, leaving the agent unchanged, when a vector's size does not fit its network.
  Status SetParameters(const std::vector<float>& actor, const std::vector<float>& critic);

  // Writes actor, critic, both targets, both optimizers and the counters to `path` atomically (a
  // temporary file renamed over the old one), so a crash mid-write never leaves a broken checkpoint.
  Status SaveCheckpoint(const std::string& path, const TrainingCounters& counters) const;
  // Restores everything SaveCheckpoint wrote. NotFound / InvalidArgument (e.g. other network sizes) on
  // failure, leaving the agent unchanged.
  StatusOr<TrainingCounters> LoadCheckpoint(const std::string& path);

  // Writes a policy file: an actor network holding `actor_parameters` (a published version that was
  // evaluated, which need not be the agent's current actor), its sizes and action bounds, its version
  // and evaluation return. Written atomically, like checkpoints. InvalidArgument if the parameters do not
  // fit the actor.
  Status SavePolicy(const std::string& path, const std::vector<float>& actor_parameters, uint64_t version,
                    double eval_return) const;

  const DdpgOptions& options() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ddpg
