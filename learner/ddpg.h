// The learner's agent: DDPG (Lillicrap et al. 2015), TD3 (Fujimoto et al. 2018) or D4PG (Barth-Maron et
// al. 2018), chosen by options.algorithm. Actor, critic(s), their target networks and Adam optimizers.
//
// DDPG: Update performs one gradient step on a batch: the critic regresses Q(s, a) onto
// r + discount * Q'(s', mu'(s')) (discount already holds gamma^k of an n-step transition, 0 at
// termination), the actor ascends Q(s, mu(s)), then both targets move by Polyak averaging with rate tau.
// TD3 changes three things:
//  - twin critics Q1, Q2, both regressing onto r + discount * min(Q1', Q2')(s', a'), which counters the
//    overestimation a single critic's maximization builds up;
//  - target policy smoothing: a' = clip(mu'(s') + clip(eps, -c, c), act_low, act_high), eps ~ N(0, sigma^2),
//    with sigma = policy_noise and c = noise_clip times the action half-range, like the actors' noise;
//  - the actor (ascending Q1) and all target networks are updated only every policy_delay-th update.
// D4PG changes DDPG's critic into a distributional one (the "D4" of D4PG; its distributed actors and n-step
// returns are the cluster's and the actors' part, prioritized replay the replay server's): the critic
// outputs logits over `atoms` returns z_j evenly spaced from v_min to v_max, Q(s, a) = sum_j p_j z_j. Its
// target is C51's projection (learner/categorical_distribution.h) of r + discount * Z'(s', mu'(s')) onto
// the atoms, its loss the cross-entropy to that target, and the actor ascends the expected value.
// Prioritized replay (Schaul et al. 2016): given importance weights, the critics' loss is the weighted
// mean of the squared TD errors, mean_i(w_i * (Q(s_i, a_i) - y_i)^2), and the update returns a priority
// per sample for the replay server: |TD error|, for TD3 the mean of both critics' (both are trained on
// the sample, so its priority reflects both; the max, as in LAP, would let one critic's outlier decide).
// D4PG weights the cross-entropies the same way, mean_i(w_i * CE_i), and a sample's priority is its CE_i
// (as in the D4PG paper; it never reaches 0, since it includes the target distribution's entropy).
// The actor's loss is not weighted, as in Ape-X DPG: the weights correct the critics' regression target
// distribution, and the actor only follows the critic.
// Offline training (TD3+BC, Fujimoto & Gu 2021), for every algorithm when bc_alpha > 0: the actor minimises
// -lambda * mean Q(s, mu(s)) + mean((mu(s) - a)^2) with lambda = bc_alpha / mean|Q(s, mu(s))| (not
// differentiated) and a the batch's logged actions, so the actor stays near the actions the data holds,
// whose values the critic has seen. The paper's actions lie in [-1, 1]; here the difference is divided by
// the action half-range first, which is the paper's term for such a box and keeps bc_alpha's meaning for
// any other. Q is the first critic's (D4PG: the expected value), like the plain actor's. Without weights (uniform
// replay) the loss is torch::mse_loss exactly as before prioritized replay existed, so a seed gives the same networks.
// LibTorch stays behind this header (pimpl), so the learner's service code compiles without it. Networks
// live on options.device, chosen once here. Not thread-safe: one thread drives an agent.
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
  Algorithm algorithm = Algorithm::kDdpg;
  // bf16: the hidden-to-hidden layers (all but the first and the last) multiply in bfloat16; see
  // common/networks.h. Check it with CheckPrecisionSupport before making an agent.
  Precision precision = Precision::kFp32;
  // TD3 only: the smoothing noise's std and clip, as fractions of the action half-range, and the critic
  // updates per actor and target update.
  double policy_noise = 0.2;
  double noise_clip = 0.5;
  int policy_delay = 2;
  // D4PG only: the critic's categorical support, `atoms` returns evenly spaced from v_min to v_max.
  int atoms = 51;
  double v_min = -150.0;
  double v_max = 150.0;
  // TD3+BC's alpha (the paper's 2.5); 0: no behaviour cloning term, the plain actor loss.
  double bc_alpha = 0.0;
};

struct UpdateResult {
  double critic_loss = 0.0;  // TD3: the mean of the twin critics' losses; D4PG: the mean cross-entropy
  double actor_loss = 0.0;   // NaN when this update left the actor alone (TD3's delay); with bc_alpha, the whole loss
  double q_mean = 0.0;       // mean Q(s, a) of the (first) critic over the batch; D4PG: of the expected value
  bool actor_updated = true;
  // A loss or gradient was not finite (e.g. a reward of 1e38 overflowed): the part of the update it belongs
  // to was not applied, so the networks stay finite. critic_updated is false when nothing was applied.
  bool critic_updated = true;
  bool skipped_non_finite = false;
  // With importance weights and a critic update applied: one new priority per sample (see above), to send
  // back to the replay server. Empty otherwise.
  std::vector<float> priorities = {};
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

// OK when this machine computes options.precision's products natively: bf16 needs device cpu and a CPU with
// AVX512_BF16 (oneDNN's bfloat16 kernels; without it LibTorch emulates them, far slower than fp32).
// InvalidArgument saying so otherwise.
Status CheckPrecisionSupport(const DdpgOptions& options);

// Reads a policy file for a network of options' sizes (InvalidArgument naming what differs otherwise).
StatusOr<PolicyFile> LoadPolicyFile(const std::string& path, const DdpgOptions& options);

class DdpgAgent {
 public:
  explicit DdpgAgent(const DdpgOptions& options);
  ~DdpgAgent();
  DdpgAgent(const DdpgAgent&) = delete;
  DdpgAgent& operator=(const DdpgAgent&) = delete;

  // One critic step; DDPG: then one actor step and one Polyak update; TD3: those only every
  // policy_delay-th call. The batch must match the agent's dimensions. importance_weights: empty (uniform
  // replay, plain mean squared error) or one finite, non-negative weight per transition.
  UpdateResult Update(const protocol::TransitionBatch& batch, const std::vector<float>& importance_weights = {});

  // Critics: 1 for DDPG, 2 for TD3. `critic` below picks one, 0 .. critic_count() - 1; an index out of
  // range gives an empty result.
  int critic_count() const;

  // Deterministic policy mu(s) for n = observations.size() / obs_dim observations.
  std::vector<float> Act(const std::vector<float>& observations) const;
  // Q(s, a) of an online critic, one value per row (D4PG: the expected value of the critic's distribution).
  std::vector<float> QValues(const std::vector<float>& observations, const std::vector<float>& actions,
                             int critic = 0) const;
  // Q'(s, a) of a target critic and mu'(s) of the target actor (tests of the Polyak update and of the
  // critic's regression target r + discount * Q'(s', mu'(s'))).
  std::vector<float> TargetQValues(const std::vector<float>& observations, const std::vector<float>& actions,
                                   int critic = 0) const;
  std::vector<float> TargetAct(const std::vector<float>& observations) const;
  // D4PG: the online or target critic's probabilities over the atoms, options().atoms per row; empty for
  // the other algorithms (tests of the distributional target and loss).
  std::vector<float> QDistribution(const std::vector<float>& observations, const std::vector<float>& actions) const;
  std::vector<float> TargetQDistribution(const std::vector<float>& observations,
                                         const std::vector<float>& actions) const;
  // The actions a' at which the critics' target evaluates the target critics: mu'(s') for DDPG; for TD3
  // clip(mu'(s') + clipped noise) with a fresh noise draw on every call (tests of the smoothing).
  std::vector<float> TargetPolicyActions(const std::vector<float>& observations) const;

  // The online actor's parameters in the Weights wire order (see common/networks.h).
  std::vector<float> ActorParameters() const;
  std::vector<float> TargetActorParameters() const;
  std::vector<float> CriticParameters(int critic = 0) const;
  std::vector<float> TargetCriticParameters(int critic = 0) const;
  // Replaces the online actor and every critic (TD3's twins alike), and their targets, with flat parameter
  // vectors in the order above (for tests and tools that start an agent from known networks; the optimizers
  // keep their state). InvalidArgument, leaving the agent unchanged, when a vector's size does not fit its
  // network.
  Status SetParameters(const std::vector<float>& actor, const std::vector<float>& critic);
  // Replaces one critic and its target (e.g. to give TD3's twins different values). InvalidArgument,
  // leaving the agent unchanged, for an index out of range or a size that does not fit.
  Status SetCriticParameters(int critic, const std::vector<float>& parameters);

  // Writes the algorithm, the network sizes, actor, critic(s), all targets, both optimizers and the counters
  // to `path` atomically (a temporary file renamed over the old one), so a crash mid-write never leaves a
  // broken checkpoint.
  Status SaveCheckpoint(const std::string& path, const TrainingCounters& counters) const;
  // Restores everything SaveCheckpoint wrote. NotFound / InvalidArgument on failure, leaving the agent
  // unchanged; a checkpoint of another algorithm or other network sizes is InvalidArgument naming each
  // difference. Checkpoints from before the algorithm was recorded are DDPG's.
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
