// The mathematics of D4PG's distributional critic (Barth-Maron et al. 2018), which takes its categorical
// return distribution from C51 (Bellemare et al. 2017): a distribution is a probability per atom of a fixed
// support z_j = v_min + j * (v_max - v_min) / (atoms - 1), j = 0 .. atoms - 1.
//
// Pure tensor functions, vectorised over a batch (rows) and differentiable where a gradient is wanted
// (the cross-entropy in the logits). They run on the device of their arguments; no state, thread-safe as
// far as LibTorch's operators are.
#pragma once

#include <torch/torch.h>

namespace ddpg {

// The support [atoms], float32 on `device`. atoms >= 2 and v_min < v_max.
torch::Tensor CategoricalSupport(int atoms, double v_min, double v_max, const torch::Device& device);

// C51's projection of the distributional Bellman target onto the support of probabilities.size(1) atoms
// from v_min to v_max. Row i of `probabilities` [n, atoms] is the distribution of Z(s'_i, a'_i); the target puts its
// mass p_ij at Tz_ij = clip(rewards_i + discounts_i * z_j, v_min, v_max) and splits it between the two atoms around
// Tz_ij in proportion to their nearness (all of it to an atom that Tz_ij hits exactly). rewards and
// discounts are [n, 1]; a discount of 0 puts all mass at clip(r). Returns [n, atoms], each row summing to
// its input row's sum. Within the range the projection keeps the mean: sum_j m_ij z_j = r_i + d_i * E[Z].
torch::Tensor ProjectCategorical(const torch::Tensor& probabilities, const torch::Tensor& rewards,
                                 const torch::Tensor& discounts, double v_min, double v_max);

// Cross-entropy per row, -sum_j target_ij * log softmax(logits_i)_j, as [n]: the critic's loss per sample
// and its priority for prioritized replay. The target carries no gradient.
torch::Tensor CategoricalCrossEntropy(const torch::Tensor& target_probabilities, const torch::Tensor& logits);

// The expected value sum_j softmax(logits_i)_j z_j per row, as [n, 1] (the shape of a DDPG critic's Q).
torch::Tensor ExpectedValue(const torch::Tensor& logits, const torch::Tensor& support);

}  // namespace ddpg
