// Tests of TD3+BC (Fujimoto & Gu 2021) in the learner's agent (learner/ddpg.h, bc_alpha > 0): the actor's
// loss -lambda * mean Q(s, mu(s)) + mean(((mu(s) - a) / half-range)^2) with lambda = alpha / mean|Q| held
// constant, its gradient against a direct computation with LibTorch, and its effect: the actor stays at the
// logged actions when the cloning term dominates, and leaves them without it.
#include <torch/torch.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "agent_test_support.h"
#include "common/networks.h"
#include "learner/ddpg.h"

namespace ddpg {
namespace {

using namespace agent_test;

// A critic shape whose values take both signs over the batch (about -8 .. 2.5), so that mean Q and mean|Q|
// differ: a lambda of alpha / mean Q, or no lambda at all, changes the loss.
torch::Tensor MixedSignValue(const torch::Tensor& s, const torch::Tensor& a) {
  const auto s0 = s.narrow(1, 0, 1), s1 = s.narrow(1, 1, 1);
  return 0.5 + 2.0 * s0 - (a - s1).square();
}

// Q2 for TD3: another shape, so that an actor loss on the twin critic would show.
torch::Tensor OtherValue(const torch::Tensor& s, const torch::Tensor& a) {
  const auto s2 = s.narrow(1, 2, 1);
  return 3.0 - (a + s2).square();
}

DdpgOptions BcOptions(Algorithm algorithm, double bc_alpha) {
  DdpgOptions options = PendulumOptions(3, {16, 16});
  options.algorithm = algorithm;
  options.policy_delay = 1;  // TD3: the actor steps on every update
  options.bc_alpha = bc_alpha;
  options.critic_lr = 0.0;  // Adam's step is lr times its direction: the critics stay exactly as they are
  options.actor_lr = 1e-3;
  return options;
}

// The paper's loss written out as in its code (pi = actor(s); Q = critic(s, pi); lmbda = alpha /
// Q.abs().mean().detach(); -lmbda * Q.mean() + mse_loss(pi, a)), with actions first mapped affinely from
// the box onto the paper's [-1, 1]; computed here with plain LibTorch on networks holding `networks`.
// bc_sign = -1 is the broken variant (the cloning term's sign flipped), 0 the actor loss without it.
struct ActorLossReference {
  double loss = 0.0;
  std::vector<float> gradient;  // d loss / d actor parameters, in FlattenParameters' order
};

ActorLossReference ReferenceActorLoss(const DdpgOptions& options, const Parameters& networks,
                                      const protocol::TransitionBatch& batch, double bc_sign = 1.0) {
  Actor actor(options.obs_dim, options.act_dim, options.hidden_sizes, options.act_low, options.act_high);
  Critic critic(options.obs_dim, options.act_dim, options.hidden_sizes);
  REQUIRE(LoadFlatParameters(*actor, networks.actor).ok());
  REQUIRE(LoadFlatParameters(*critic, networks.critic).ok());
  const auto n = static_cast<int64_t>(batch.size());
  const auto s = torch::tensor(batch.observations).reshape({n, options.obs_dim});
  const auto a = torch::tensor(batch.actions).reshape({n, options.act_dim});
  const auto low = torch::tensor(options.act_low), high = torch::tensor(options.act_high);
  auto to_unit_box = [&](const torch::Tensor& x) { return (2.0 * x - (high + low)) / (high - low); };
  const auto pi = actor->forward(s);
  const auto q = critic->forward(s, pi);
  const auto lambda = options.bc_alpha / q.abs().mean().detach();
  const auto loss = -lambda * q.mean() + bc_sign * torch::mse_loss(to_unit_box(pi), to_unit_box(a));
  loss.backward();
  ActorLossReference reference{loss.item<double>(), {}};
  for (const auto& p : actor->parameters()) {
    const auto g = p.grad().contiguous();
    reference.gradient.insert(reference.gradient.end(), g.data_ptr<float>(), g.data_ptr<float>() + g.numel());
  }
  return reference;
}

// Parameters whose gradient is clearly non-zero, and of those the ones where `gradient` and `reference`
// have opposite signs.
struct SignComparison {
  int compared = 0;
  int opposite = 0;
};

SignComparison CompareSigns(const std::vector<float>& gradient, const std::vector<float>& reference) {
  SignComparison comparison;
  for (size_t i = 0; i < gradient.size(); ++i) {
    if (std::abs(reference[i]) < 1e-6f) continue;
    ++comparison.compared;
    if ((gradient[i] > 0) != (reference[i] > 0)) ++comparison.opposite;
  }
  return comparison;
}

// One update on fixed networks against the reference. The reported loss is the loss before the step, and
// Adam's first step moves every parameter by -lr * g / (|g| + eps), i.e. by lr against the sign of its
// gradient g: so each parameter's step shows the sign of the agent's gradient, which must be the
// reference's. The networks and batch are chosen so that the two terms pull against each other: the
// gradient without the cloning term, and with its sign flipped, differ from the right one in many signs.
TEST_CASE("one TD3+BC actor step matches the loss and gradient computed directly") {
  SingleThreaded single;
  const Algorithm algorithm = GENERATE(Algorithm::kDdpg, Algorithm::kTd3);
  const DdpgOptions options = BcOptions(algorithm, 0.3);
  DdpgAgent agent(options);
  const Parameters shaped = ShapedNetworks(options, MixedSignValue);
  REQUIRE(agent.SetParameters(shaped.actor, shaped.critic).ok());
  if (algorithm == Algorithm::kTd3) {
    REQUIRE(agent.SetCriticParameters(1, ShapedNetworks(options, OtherValue).critic).ok());
  }
  const auto batch = MakeBatch(64, 17);  // logged actions uniform in the box [-2, 2]
  const auto q = agent.QValues(batch.observations, agent.Act(batch.observations));
  // Mixed signs: mean Q and mean|Q| differ.
  REQUIRE(*std::min_element(q.begin(), q.end()) < -0.5f);
  REQUIRE(*std::max_element(q.begin(), q.end()) > 0.5f);

  const ActorLossReference reference = ReferenceActorLoss(options, shaped, batch);
  const UpdateResult result = agent.Update(batch);
  REQUIRE(result.actor_updated);
  CHECK(result.actor_loss == Approx(reference.loss).epsilon(1e-5));

  const std::vector<float> after = agent.ActorParameters();
  std::vector<float> steps(after.size());
  for (size_t i = 0; i < after.size(); ++i) steps[i] = shaped.actor[i] - after[i];  // = lr * sign(g)
  const SignComparison agreement = CompareSigns(steps, reference.gradient);
  INFO(agreement.compared << " of " << after.size() << " parameters with |g| >= 1e-6, " << agreement.opposite
                          << " stepped the wrong way");
  REQUIRE(agreement.compared > static_cast<int>(after.size()) / 2);
  CHECK(agreement.opposite == 0);
  for (size_t i = 0; i < after.size(); ++i) {
    if (std::abs(reference.gradient[i]) >= 1e-6f) CHECK(std::abs(steps[i]) == Approx(options.actor_lr).epsilon(0.01));
  }

  // The test can tell: the broken variants' gradients point elsewhere in many coordinates.
  const auto flipped = CompareSigns(ReferenceActorLoss(options, shaped, batch, -1.0).gradient, reference.gradient);
  const auto without = CompareSigns(ReferenceActorLoss(options, shaped, batch, 0.0).gradient, reference.gradient);
  INFO("flipped cloning term: " << flipped.opposite << ", none: " << without.opposite << " opposite signs");
  CHECK(flipped.opposite > agreement.compared / 10);
  CHECK(without.opposite > agreement.compared / 20);
}

// D4PG's actor uses the expected value of the critic's distribution as Q, in the cloning loss too. With
// tau = 0 a few steps first move the online actor away from its frozen target, so that a loss on the target
// actor would show.
TEST_CASE("D4PG's TD3+BC loss uses the expected value and the online actor") {
  SingleThreaded single;
  DdpgOptions options = BcOptions(Algorithm::kD4pg, 2.5);
  options.atoms = 21;
  options.v_min = -10.0;
  options.v_max = 10.0;
  options.tau = 0.0;
  options.actor_lr = 1e-2;
  DdpgAgent agent(options);
  const auto batch = MakeBatch(64, 23);
  for (int step = 0; step < 20; ++step) agent.Update(batch);
  const auto mu = agent.Act(batch.observations);
  const auto target_mu = agent.TargetAct(batch.observations);
  double moved = 0.0;
  for (size_t i = 0; i < mu.size(); ++i) moved += std::abs(mu[i] - target_mu[i]) / mu.size();
  REQUIRE(moved > 0.05);

  const auto q = agent.QValues(batch.observations, mu);
  double q_sum = 0.0, abs_q_sum = 0.0, cloning = 0.0;
  for (size_t i = 0; i < q.size(); ++i) {
    q_sum += q[i];
    abs_q_sum += std::abs(q[i]);
    cloning += std::pow((mu[i] - batch.actions[i]) / 2.0, 2) / q.size();  // half-range 2
  }
  const double expected = -options.bc_alpha * q_sum / abs_q_sum + cloning;
  INFO("mean Q " << q_sum / q.size() << ", mean|Q| " << abs_q_sum / q.size() << ", cloning term " << cloning);
  CHECK(agent.Update(batch).actor_loss == Approx(expected).epsilon(1e-4));
}

// With a frozen critic Q = 5 + s0 - (a - s1)^2 and logged actions a = -s1, each sample's loss is, up to
// constants, lambda * (a - s1)^2 + (a + s1)^2 / 4 (the box's half-range is 2), smallest at
// a = c * s1 with c = (lambda - 1/4) / (lambda + 1/4): without the cloning term the actor climbs to s1
// (c = 1), with a small alpha it settles at the logged actions (c -> -1), with a large one near s1 again, and
// with the paper's 2.5 in between, where c is measured against lambda = alpha / mean|Q(s, mu(s))| at the end.
// Catches a flipped cloning term (it would push away from the logged actions), a lambda that is
// differentiated (Q > 0 here, so alpha * mean Q / mean|Q| is constant and the critic's pull would vanish),
// and a difference not divided by the half-range (c would be (lambda - 1) / (lambda + 1)).
TEST_CASE("with TD3+BC the actor settles between the logged actions and the critic's best") {
  SingleThreaded single;
  const Algorithm algorithm = GENERATE(Algorithm::kDdpg, Algorithm::kTd3);
  struct Outcome {
    double to_best = 0.0, to_logged = 0.0;
    double slope = 0.0;      // least-squares c in mu ~ c * s1
    double predicted = 0.0;  // (lambda - 1/4) / (lambda + 1/4)
  };
  auto train = [&](double bc_alpha) {
    DdpgOptions options = BcOptions(algorithm, bc_alpha);
    options.hidden_sizes = {64, 64};
    options.actor_lr = 1e-2;
    DdpgAgent agent(options);
    const Parameters shaped = ShapedNetworks(options);
    REQUIRE(agent.SetParameters(shaped.actor, shaped.critic).ok());
    auto batch = MakeBatch(64, 31);
    for (size_t i = 0; i < batch.size(); ++i) batch.actions[i] = -batch.observations[3 * i + 1];
    for (int step = 0; step < 400; ++step) agent.Update(batch);
    const auto mu = agent.Act(batch.observations);
    const auto q = agent.QValues(batch.observations, mu);
    Outcome outcome;
    double mu_s1 = 0.0, s1_s1 = 0.0, abs_q = 0.0;
    for (size_t i = 0; i < mu.size(); ++i) {
      const double s1 = batch.observations[3 * i + 1];
      outcome.to_best += std::pow(mu[i] - s1, 2) / mu.size();
      outcome.to_logged += std::pow(mu[i] - batch.actions[i], 2) / mu.size();
      mu_s1 += mu[i] * s1;
      s1_s1 += s1 * s1;
      abs_q += std::abs(q[i]) / mu.size();
    }
    outcome.slope = mu_s1 / s1_s1;
    const double lambda = bc_alpha / abs_q;
    outcome.predicted = (lambda - 0.25) / (lambda + 0.25);
    UNSCOPED_INFO("alpha " << bc_alpha << ": mean squared distance to the critic's best " << outcome.to_best
                           << ", to the logged actions " << outcome.to_logged << "; mu ~ " << outcome.slope
                           << " * s1, predicted " << outcome.predicted);
    return outcome;
  };
  const Outcome plain = train(0.0);
  CHECK(plain.to_best < 0.2 * plain.to_logged);
  const Outcome cloning = train(0.1);
  CHECK(cloning.to_logged < 0.05);
  CHECK(cloning.slope == Approx(cloning.predicted).margin(0.08));
  const Outcome paper = train(2.5);
  CHECK(paper.slope == Approx(paper.predicted).margin(0.08));
  const Outcome critic_heavy = train(25.0);
  CHECK(critic_heavy.to_best < 0.1 * critic_heavy.to_logged);
  CHECK(critic_heavy.slope == Approx(critic_heavy.predicted).margin(0.08));
}

}  // namespace
}  // namespace ddpg
