#include "learner/flat_parameters.h"

#include <ATen/record_function.h>
#include <c10/util/string_utils.h>

#include <cmath>
#include <memory>
#include <string>
#include <utility>

namespace ddpg {
namespace {

constexpr double kBeta1 = 0.9;
constexpr double kBeta2 = 0.999;
constexpr double kEpsilon = 1e-8;

// torch::optim::Optimizer keys a parameter's state by the address of its TensorImpl, as text.
std::string StateKey(const torch::Tensor& parameter) { return c10::guts::to_string(parameter.unsafeGetTensorImpl()); }

// The part of a flat tensor that belongs to each parameter, shaped like it.
std::vector<torch::Tensor> Views(const torch::Tensor& flat, const std::vector<torch::Tensor>& parameters) {
  std::vector<torch::Tensor> views;
  int64_t offset = 0;
  for (const torch::Tensor& parameter : parameters) {
    views.push_back(flat.narrow(0, offset, parameter.numel()).view(parameter.sizes()));
    offset += parameter.numel();
  }
  return views;
}

}  // namespace

FlatParameters::FlatParameters(std::vector<torch::Tensor> parameters) : parameters_(std::move(parameters)) {
  torch::NoGradGuard no_grad;
  int64_t total = 0;
  for (const torch::Tensor& parameter : parameters_) total += parameter.numel();
  const auto options = parameters_.empty() ? torch::TensorOptions() : parameters_.front().options();
  values_ = torch::empty({total}, options.requires_grad(false));
  gradients_ = torch::zeros({total}, options.requires_grad(false));
  const std::vector<torch::Tensor> values = Views(values_, parameters_);
  const std::vector<torch::Tensor> gradients = Views(gradients_, parameters_);
  for (size_t i = 0; i < parameters_.size(); ++i) {
    values[i].copy_(parameters_[i]);
    // set_data keeps the parameter the same autograd leaf (and module member), now backed by the view.
    parameters_[i].set_data(values[i]);
    // With a gradient already defined, autograd adds into it in place instead of replacing it.
    parameters_[i].mutable_grad() = gradients[i];
  }
}

bool FlatParameters::GradientsAndLossFinite(const torch::Tensor& loss) const {
  RECORD_USER_SCOPE("ddpg::finite_check");
  torch::NoGradGuard no_grad;
  // min and max propagate NaN, and an infinity is one of them, so these three say it for every element.
  // One copy to the host, the one synchronisation; the test itself is cheaper there than as LibTorch ops.
  const auto [low, high] = torch::aminmax(gradients_);
  const torch::Tensor extremes = torch::stack({low, high, loss.detach().reshape({}).to(low.scalar_type())}).cpu();
  const float* values = extremes.data_ptr<float>();
  return std::isfinite(values[0]) && std::isfinite(values[1]) && std::isfinite(values[2]);
}

void PolyakUpdate(FlatParameters& target, const FlatParameters& source, double tau) {
  torch::NoGradGuard no_grad;
  TORCH_CHECK(target.values().sizes() == source.values().sizes(), "PolyakUpdate needs networks of the same shape");
  target.values().mul_(1.0 - tau).add_(source.values(), tau);
}

FlatAdam::FlatAdam(const FlatParameters& parameters, double lr)
    : lr_(lr),
      exp_avg_(torch::zeros_like(parameters.values())),
      exp_avg_sq_(torch::zeros_like(parameters.values())),
      denominator_(torch::empty_like(parameters.values())) {}

void FlatAdam::Step(FlatParameters& parameters) {
  torch::NoGradGuard no_grad;
  ++step_;
  const double bias_correction1 = 1.0 - std::pow(kBeta1, static_cast<double>(step_));
  const double bias_correction2 = 1.0 - std::pow(kBeta2, static_cast<double>(step_));
  const torch::Tensor& gradients = parameters.gradients();
  exp_avg_.mul_(kBeta1).add_(gradients, 1.0 - kBeta1);
  exp_avg_sq_.mul_(kBeta2).addcmul_(gradients, gradients, 1.0 - kBeta2);
  torch::sqrt_out(denominator_, exp_avg_sq_).div_(std::sqrt(bias_correction2)).add_(kEpsilon);
  parameters.values().addcdiv_(exp_avg_, denominator_, -lr_ / bias_correction1);
}

void FlatAdam::Save(const FlatParameters& parameters, torch::serialize::OutputArchive& archive) const {
  torch::optim::Adam adam(parameters.parameters(), torch::optim::AdamOptions(lr_));
  if (step_ > 0) {
    const std::vector<torch::Tensor> exp_avg = Views(exp_avg_, parameters.parameters());
    const std::vector<torch::Tensor> exp_avg_sq = Views(exp_avg_sq_, parameters.parameters());
    for (size_t i = 0; i < parameters.parameters().size(); ++i) {
      auto state = std::make_unique<torch::optim::AdamParamState>();
      state->step(step_);
      state->exp_avg(exp_avg[i].clone());
      state->exp_avg_sq(exp_avg_sq[i].clone());
      adam.state()[StateKey(parameters.parameters()[i])] = std::move(state);
    }
  }
  adam.save(archive);
}

void FlatAdam::Load(const FlatParameters& parameters, torch::serialize::InputArchive& archive) {
  torch::optim::Adam adam(parameters.parameters(), torch::optim::AdamOptions(lr_));
  adam.load(archive);
  torch::NoGradGuard no_grad;
  torch::Tensor exp_avg = torch::zeros_like(exp_avg_), exp_avg_sq = torch::zeros_like(exp_avg_sq_);
  const std::vector<torch::Tensor> exp_avg_views = Views(exp_avg, parameters.parameters());
  const std::vector<torch::Tensor> exp_avg_sq_views = Views(exp_avg_sq, parameters.parameters());
  int64_t step = 0;
  for (size_t i = 0; i < parameters.parameters().size(); ++i) {
    const auto found = adam.state().find(StateKey(parameters.parameters()[i]));
    // A parameter without state has never been stepped (a checkpoint taken before the first update).
    if (found == adam.state().end()) continue;
    const auto& state = static_cast<const torch::optim::AdamParamState&>(*found->second);
    exp_avg_views[i].copy_(state.exp_avg());
    exp_avg_sq_views[i].copy_(state.exp_avg_sq());
    step = state.step();
  }
  exp_avg_ = exp_avg;
  exp_avg_sq_ = exp_avg_sq;
  step_ = step;
}

}  // namespace ddpg
