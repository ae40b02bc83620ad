#include "actor/policy.h"

#include <spdlog/fmt/fmt.h>

#include "common/networks.h"

namespace ddpg {

struct Policy::Impl {
  EnvSpec spec;
  std::vector<int> hidden_sizes;
  Actor network;
};

Policy::Policy(const EnvSpec& spec, const std::vector<int>& hidden_sizes)
    : impl_(
          new Impl{spec, hidden_sizes, Actor(spec.obs_dim, spec.act_dim, hidden_sizes, spec.act_low, spec.act_high)}) {
  impl_->network->eval();
}

Policy::~Policy() = default;

Status Policy::SetWeights(const protocol::Weights& weights) {
  const std::vector<uint32_t> expected_hidden(impl_->hidden_sizes.begin(), impl_->hidden_sizes.end());
  if (weights.obs_dim != static_cast<uint32_t>(impl_->spec.obs_dim) ||
      weights.act_dim != static_cast<uint32_t>(impl_->spec.act_dim) || weights.hidden_sizes != expected_hidden) {
    auto describe = [](uint32_t in, const std::vector<uint32_t>& hidden, uint32_t out) {
      std::string text = std::to_string(in);
      for (uint32_t width : hidden) text += fmt::format("-{}", width);
      return text + fmt::format("-{}", out);
    };
    return InvalidArgument("weights are for a " + describe(weights.obs_dim, weights.hidden_sizes, weights.act_dim) +
                           " network, this actor runs " + impl_->spec.id + " with a " +
                           describe(impl_->spec.obs_dim, expected_hidden, impl_->spec.act_dim) +
                           " network: give learner and actors the same env.id and network.hidden_sizes");
  }
  const bool same_learner = has_weights_ && weights.learner_instance == learner_instance_;
  if (same_learner && weights.version < version_) {
    return FailedPrecondition(fmt::format("older than the v{} this actor holds", version_));
  }
  if (same_learner && weights.version == version_) return Status::Ok();
  Status status = LoadFlatParameters(*impl_->network, weights.parameters);
  if (!status.ok()) return status;
  has_weights_ = true;
  version_ = weights.version;
  learner_instance_ = weights.learner_instance;
  return Status::Ok();
}

void Policy::Act(const std::vector<float>& observations, std::vector<float>& actions) {
  torch::NoGradGuard no_grad;
  const int64_t rows = static_cast<int64_t>(observations.size()) / impl_->spec.obs_dim;
  auto input = torch::from_blob(const_cast<float*>(observations.data()), {rows, impl_->spec.obs_dim});
  auto output = impl_->network->forward(input).contiguous();
  actions.assign(output.data_ptr<float>(), output.data_ptr<float>() + output.numel());
}

}  // namespace ddpg
