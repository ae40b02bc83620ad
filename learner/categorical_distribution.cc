#include "learner/categorical_distribution.h"

namespace ddpg {

torch::Tensor CategoricalSupport(int atoms, double v_min, double v_max, const torch::Device& device) {
  return torch::linspace(v_min, v_max, atoms, torch::TensorOptions().dtype(torch::kFloat32).device(device));
}

torch::Tensor ProjectCategorical(const torch::Tensor& probabilities, const torch::Tensor& rewards,
                                 const torch::Tensor& discounts, double v_min, double v_max) {
  const int64_t atoms = probabilities.size(1);
  const auto support = CategoricalSupport(static_cast<int>(atoms), v_min, v_max, probabilities.device());
  const double spacing = (v_max - v_min) / static_cast<double>(atoms - 1);
  const auto shifted = rewards + discounts * support.unsqueeze(0);  // [n, atoms]
  // The fractional index of each Tz. Clamping it to the support clips Tz to [v_min, v_max], and also keeps
  // rounding at v_max from indexing past the last atom.
  const auto position = ((shifted - v_min) / spacing).clamp(0.0, static_cast<double>(atoms - 1));
  const auto lower = position.floor();
  const auto upper = position.ceil();
  // The lower atom takes the share of the distance to the upper one; where Tz sits on an atom, lower and
  // upper coincide, both shares are 0, and the indicator gives that atom the whole mass.
  const auto lower_mass = probabilities * (upper - position + (upper == lower).to(probabilities.dtype()));
  const auto upper_mass = probabilities * (position - lower);
  return torch::zeros_like(probabilities)
      .scatter_add_(1, lower.to(torch::kLong), lower_mass)
      .scatter_add_(1, upper.to(torch::kLong), upper_mass);
}

torch::Tensor CategoricalCrossEntropy(const torch::Tensor& target_probabilities, const torch::Tensor& logits) {
  return -(target_probabilities.detach() * torch::log_softmax(logits, 1)).sum(1);
}

torch::Tensor ExpectedValue(const torch::Tensor& logits, const torch::Tensor& support) {
  return (torch::softmax(logits, 1) * support.unsqueeze(0)).sum(1, /*keepdim=*/true);
}

}  // namespace ddpg
