#include "actor/transition_builder.h"

#include <utility>

namespace ddpg {

TransitionBuilder::TransitionBuilder(uint32_t obs_dim, uint32_t act_dim, float gamma) : gamma_(gamma) {
  chunk_.obs_dim = obs_dim;
  chunk_.act_dim = act_dim;
}

void TransitionBuilder::Add(const std::vector<float>& observations, const std::vector<float>& actions,
                            const StepOutput& output, uint64_t policy_version) {
  chunk_.observations.insert(chunk_.observations.end(), observations.begin(), observations.end());
  chunk_.actions.insert(chunk_.actions.end(), actions.begin(), actions.end());
  chunk_.rewards.insert(chunk_.rewards.end(), output.rewards.begin(), output.rewards.end());
  for (uint8_t terminated : output.terminated) chunk_.discounts.push_back(terminated ? 0.0f : gamma_);
  chunk_.next_observations.insert(chunk_.next_observations.end(), output.next_observations.begin(),
                                  output.next_observations.end());
  chunk_.policy_versions.insert(chunk_.policy_versions.end(), output.rewards.size(), policy_version);
}

protocol::TransitionBatch TransitionBuilder::Take() {
  protocol::TransitionBatch next;
  next.obs_dim = chunk_.obs_dim;
  next.act_dim = chunk_.act_dim;
  return std::exchange(chunk_, std::move(next));
}

}  // namespace ddpg
