// Tests of the actor's policy copy (actor/policy.h): which weights it adopts.
#include <catch2/catch.hpp>

#include "actor/policy.h"
#include "envs/env_spec.h"

namespace ddpg {
namespace {

const std::vector<int> kHidden = {8};

// Weights for the policy of `spec` with every parameter equal to `value`.
protocol::Weights UniformWeights(const EnvSpec& spec, uint64_t version, float value) {
  protocol::Weights weights;
  weights.version = version;
  weights.obs_dim = spec.obs_dim;
  weights.act_dim = spec.act_dim;
  weights.hidden_sizes = {8};
  const size_t count = (spec.obs_dim * 8 + 8) + (8 * spec.act_dim + spec.act_dim);
  weights.parameters.assign(count, value);
  return weights;
}

std::vector<float> ActionFor(Policy& policy, const EnvSpec& spec) {
  std::vector<float> actions;
  policy.Act(std::vector<float>(spec.obs_dim, 0.5f), actions);
  return actions;
}

TEST_CASE("the policy adopts newer weights and ignores older ones", "[policy]") {
  const EnvSpec spec = *LookUpEnvSpec("Pendulum-v1");
  Policy policy(spec, kHidden);
  REQUIRE_FALSE(policy.has_weights());
  REQUIRE(policy.SetWeights(UniformWeights(spec, 10, 0.01f)).ok());
  const std::vector<float> at_v10 = ActionFor(policy, spec);
  REQUIRE(policy.version() == 10);

  const Status older = policy.SetWeights(UniformWeights(spec, 9, -0.02f));
  CHECK(older.code() == StatusCode::kFailedPrecondition);
  CHECK(policy.version() == 10);
  CHECK(ActionFor(policy, spec) == at_v10);

  REQUIRE(policy.SetWeights(UniformWeights(spec, 11, -0.02f)).ok());
  CHECK(policy.version() == 11);
  CHECK(ActionFor(policy, spec) != at_v10);
}

TEST_CASE("weights of a restarted learner are adopted even when their version is lower", "[policy]") {
  // A learner resumed from an older checkpoint publishes versions below the ones actors hold; ignoring
  // them would leave the actors on the dead learner's weights until the new one caught up.
  const EnvSpec spec = *LookUpEnvSpec("Pendulum-v1");
  Policy policy(spec, kHidden);
  protocol::Weights first = UniformWeights(spec, 500, 0.01f);
  first.learner_instance = 0xaaaa;
  REQUIRE(policy.SetWeights(first).ok());
  const std::vector<float> from_first = ActionFor(policy, spec);

  protocol::Weights resumed = UniformWeights(spec, 400, -0.02f);
  resumed.learner_instance = 0xbbbb;
  REQUIRE(policy.SetWeights(resumed).ok());
  CHECK(policy.version() == 400);
  CHECK(policy.learner_instance() == 0xbbbb);
  CHECK(ActionFor(policy, spec) != from_first);

  protocol::Weights stale = UniformWeights(spec, 399, 0.01f);  // the new learner's own, overtaken
  stale.learner_instance = 0xbbbb;
  CHECK(policy.SetWeights(stale).code() == StatusCode::kFailedPrecondition);
}

TEST_CASE("weights of another network are refused naming both shapes", "[policy]") {
  const EnvSpec spec = *LookUpEnvSpec("Pendulum-v1");
  Policy policy(spec, kHidden);
  protocol::Weights weights = UniformWeights(spec, 1, 0.0f);
  weights.hidden_sizes = {16};
  const Status refused = policy.SetWeights(weights);
  CHECK(refused.code() == StatusCode::kInvalidArgument);
  CHECK_THAT(refused.message(), Catch::Contains("3-16-1") && Catch::Contains("3-8-1"));
  CHECK_FALSE(policy.has_weights());
}

}  // namespace
}  // namespace ddpg
