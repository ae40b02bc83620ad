#include "actor/transition_builder.h"

#include <utility>

namespace ddpg {
namespace {

// Row `index` of a row-major batch of rows `width` wide.
std::vector<float> Row(const std::vector<float>& values, size_t index, size_t width) {
  return std::vector<float>(values.begin() + index * width, values.begin() + (index + 1) * width);
}

}  // namespace

TransitionBuilder::TransitionBuilder(uint32_t obs_dim, uint32_t act_dim, double gamma, int n_step)
    : obs_dim_(obs_dim), act_dim_(act_dim), gamma_(gamma), n_step_(static_cast<size_t>(n_step)) {
  chunk_.obs_dim = obs_dim;
  chunk_.act_dim = act_dim;
}

void TransitionBuilder::Add(const std::vector<float>& observations, const std::vector<float>& actions,
                            const StepOutput& output, uint64_t policy_version) {
  const size_t num_envs = output.rewards.size();
  if (windows_.size() != num_envs) windows_.resize(num_envs);
  for (size_t i = 0; i < num_envs; ++i) {
    Window& window = windows_[i];
    window.steps.push_back(
        {Row(observations, i, obs_dim_), Row(actions, i, act_dim_), output.rewards[i], policy_version});
    window.last_observation = Row(output.next_observations, i, obs_dim_);
    if (output.terminated[i] || output.truncated[i]) {
      while (!window.steps.empty()) EmitOldest(window, output.terminated[i] != 0);
    } else if (window.steps.size() == n_step_) {
      EmitOldest(window, /*terminated=*/false);
    }
  }
}

void TransitionBuilder::Flush() {
  for (Window& window : windows_) {
    while (!window.steps.empty()) EmitOldest(window, /*terminated=*/false);
  }
}

void TransitionBuilder::EmitOldest(Window& window, bool terminated) {
  // Summed in double: with n in the tens, float rounding of gamma^j would show in the last digits.
  double reward = 0.0;
  double discount = 1.0;
  for (const Step& step : window.steps) {
    reward += discount * step.reward;
    discount *= gamma_;
  }
  const Step& first = window.steps.front();
  chunk_.observations.insert(chunk_.observations.end(), first.observation.begin(), first.observation.end());
  chunk_.actions.insert(chunk_.actions.end(), first.action.begin(), first.action.end());
  chunk_.rewards.push_back(static_cast<float>(reward));
  chunk_.discounts.push_back(terminated ? 0.0f : static_cast<float>(discount));
  chunk_.next_observations.insert(chunk_.next_observations.end(), window.last_observation.begin(),
                                  window.last_observation.end());
  chunk_.policy_versions.push_back(first.policy_version);
  window.steps.pop_front();
}

size_t TransitionBuilder::pending() const {
  size_t steps = 0;
  for (const Window& window : windows_) steps += window.steps.size();
  return steps;
}

protocol::TransitionBatch TransitionBuilder::Take() {
  protocol::TransitionBatch next;
  next.obs_dim = obs_dim_;
  next.act_dim = act_dim_;
  return std::exchange(chunk_, std::move(next));
}

}  // namespace ddpg
