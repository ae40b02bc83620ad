#include "common/networks.h"

#include "common/torch_threads.h"

namespace ddpg {

torch::nn::Sequential MakeMlp(int input_dim, const std::vector<int>& hidden_sizes, int output_dim) {
  torch::nn::Sequential mlp;
  int width = input_dim;
  for (int hidden : hidden_sizes) {
    mlp->push_back(torch::nn::Linear(width, hidden));
    // In place on the linear layer's output, which nothing else reads: one activation fewer to allocate.
    mlp->push_back(torch::nn::ReLU(torch::nn::ReLUOptions().inplace(true)));
    width = hidden;
  }
  torch::nn::Linear output(width, output_dim);
  torch::NoGradGuard no_grad;
  output->weight.uniform_(-3e-3, 3e-3);
  output->bias.uniform_(-3e-3, 3e-3);
  mlp->push_back(output);
  return mlp;
}

torch::Tensor MlpForward(torch::nn::Sequential& mlp, const torch::Tensor& input, torch::ScalarType hidden_type) {
  if (hidden_type == torch::kFloat32) return mlp->forward(input);
  torch::Tensor x = input;
  const size_t layers = mlp->size();
  for (size_t i = 0; i < layers; ++i) {
    if (const auto* linear = mlp[i]->as<torch::nn::Linear>()) {
      const bool hidden = i > 0 && i + 1 < layers;
      if (hidden) {
        x = torch::linear(x.to(hidden_type), linear->weight.to(hidden_type), linear->bias.to(hidden_type));
      } else {
        x = torch::linear(x.to(torch::kFloat32), linear->weight, linear->bias);
      }
    } else {
      x = torch::relu_(x);  // MakeMlp's only other layer
    }
  }
  return x;
}

ActorImpl::ActorImpl(int obs_dim, int act_dim, const std::vector<int>& hidden_sizes, const std::vector<float>& act_low,
                     const std::vector<float>& act_high) {
  body_ = register_module("body", MakeMlp(obs_dim, hidden_sizes, act_dim));
  auto low = torch::tensor(act_low);
  auto high = torch::tensor(act_high);
  scale_ = register_buffer("scale", (high - low) / 2);
  offset_ = register_buffer("offset", (high + low) / 2);
}

torch::Tensor ActorImpl::forward(const torch::Tensor& observations) {
  return torch::tanh(MlpForward(body_, observations, hidden_type_)) * scale_ + offset_;
}

CriticImpl::CriticImpl(int obs_dim, int act_dim, const std::vector<int>& hidden_sizes, int outputs) {
  body_ = register_module("body", MakeMlp(obs_dim + act_dim, hidden_sizes, outputs));
}

torch::Tensor CriticImpl::forward(const torch::Tensor& observations, const torch::Tensor& actions) {
  return MlpForward(body_, torch::cat({observations, actions}, 1), hidden_type_);
}

std::vector<float> FlattenParameters(const torch::nn::Module& module) {
  std::vector<float> flat;
  for (const auto& p : module.parameters()) {
    auto values = p.detach().to(torch::kCPU, torch::kFloat32).contiguous();
    flat.insert(flat.end(), values.data_ptr<float>(), values.data_ptr<float>() + values.numel());
  }
  return flat;
}

Status LoadFlatParameters(torch::nn::Module& module, const std::vector<float>& flat) {
  size_t total = 0;
  for (const auto& p : module.parameters()) total += p.numel();
  if (total != flat.size()) {
    return InvalidArgument("parameter count mismatch: the network has " + std::to_string(total) +
                           " parameters, the weights carry " + std::to_string(flat.size()));
  }
  torch::NoGradGuard no_grad;
  size_t offset = 0;
  for (auto& p : module.parameters()) {
    auto source = torch::from_blob(const_cast<float*>(flat.data()) + offset, p.sizes(), torch::kFloat32);
    p.copy_(source);
    offset += p.numel();
  }
  return Status::Ok();
}

void SetTorchThreads(int threads) {
  torch::set_num_threads(threads);
  torch::set_num_interop_threads(threads);
}

void SetTorchIntraOpThreads(int threads) { torch::set_num_threads(threads); }

}  // namespace ddpg
