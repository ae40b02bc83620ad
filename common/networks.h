// Actor and critic MLPs (Lillicrap et al. 2015, with the layer widths from the config).
//
// Actor: obs -> hidden (ReLU) ... -> act_dim, tanh, scaled affinely to [act_low, act_high].
// Critic: concat(obs, action) -> hidden (ReLU) ... -> outputs: 1 for a value, or one logit per atom of a
// categorical return distribution (D4PG).
// Output layers start at U(-3e-3, 3e-3) as in the DDPG paper, so initial actions and values are near zero.
// set_hidden_type(torch::kBFloat16) makes the hidden-to-hidden layers (every linear layer but the first and
// the last) multiply in bfloat16: their inputs and float32 weights are rounded to bfloat16 for the product,
// which oneDNN runs several times faster than float32 on CPUs with AVX512_BF16 / AMX, and autograd carries
// the gradients back to the float32 weights. The first layer (raw observations) and the last (the values or
// actions) stay float32. The default, float32 throughout, is what actors use.
// Modules follow LibTorch's rules: not thread-safe; use from one thread or guard externally.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "common/status.h"

namespace ddpg {

torch::nn::Sequential MakeMlp(int input_dim, const std::vector<int>& hidden_sizes, int output_dim);
// mlp->forward(input), with MakeMlp's hidden-to-hidden layers computed in `hidden_type`.
torch::Tensor MlpForward(torch::nn::Sequential& mlp, const torch::Tensor& input, torch::ScalarType hidden_type);

class ActorImpl : public torch::nn::Module {
 public:
  ActorImpl(int obs_dim, int act_dim, const std::vector<int>& hidden_sizes, const std::vector<float>& act_low,
            const std::vector<float>& act_high);
  torch::Tensor forward(const torch::Tensor& observations);
  void set_hidden_type(torch::ScalarType type) { hidden_type_ = type; }

 private:
  torch::nn::Sequential body_{nullptr};
  torch::ScalarType hidden_type_ = torch::kFloat32;
  torch::Tensor scale_;
  torch::Tensor offset_;
};
TORCH_MODULE(Actor);

class CriticImpl : public torch::nn::Module {
 public:
  CriticImpl(int obs_dim, int act_dim, const std::vector<int>& hidden_sizes, int outputs = 1);
  torch::Tensor forward(const torch::Tensor& observations, const torch::Tensor& actions);
  void set_hidden_type(torch::ScalarType type) { hidden_type_ = type; }

 private:
  torch::nn::Sequential body_{nullptr};
  torch::ScalarType hidden_type_ = torch::kFloat32;
};
TORCH_MODULE(Critic);

// Parameters in module.parameters() order, flattened into one float vector (the Weights wire format).
std::vector<float> FlattenParameters(const torch::nn::Module& module);
// Copies a flat vector back; fails if the total size differs.
Status LoadFlatParameters(torch::nn::Module& module, const std::vector<float>& flat);

}  // namespace ddpg
