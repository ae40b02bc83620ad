// Flat parameter storage for the learner's networks, and Adam on it.
//
// FlatParameters moves a list of parameters (one network's, or TD3's two critics') into one contiguous
// tensor: every parameter becomes a view of it with the same values, and its gradient a view of a second
// contiguous tensor, which autograd accumulates into in place. Adam (FlatAdam), Polyak averaging and the
// finite-gradient check then run as a few vectorised LibTorch operators over all of a network's values
// instead of a few per tensor: on the learner's 256-256 networks they were a quarter of an update (see
// docs/performance.md). The arithmetic is elementwise and unchanged, so results are bitwise those of the
// per-tensor code.
//
// Anything that gives a parameter new storage (torch::nn::Module::load, Module::to) ends the sharing: build
// a new FlatParameters afterwards. Not thread-safe, like the modules it wraps.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace ddpg {

class FlatParameters {
 public:
  FlatParameters() = default;
  // Moves `parameters` into the flat tensors (all on one device, float32); gradients start at zero.
  explicit FlatParameters(std::vector<torch::Tensor> parameters);

  // All values, in the order of the parameters given: [numel].
  const torch::Tensor& values() const { return values_; }
  // All gradients, [numel]: zero after ZeroGradients, accumulated into by backward passes.
  const torch::Tensor& gradients() const { return gradients_; }
  const std::vector<torch::Tensor>& parameters() const { return parameters_; }

  void ZeroGradients() { gradients_.zero_(); }
  // Every gradient and `loss` are finite (no NaN, no infinity); one synchronisation.
  bool GradientsAndLossFinite(const torch::Tensor& loss) const;

 private:
  std::vector<torch::Tensor> parameters_;
  torch::Tensor values_, gradients_;
};

// target <- (1 - tau) * target + tau * source over all values at once (Polyak averaging of target networks).
// Both must hold parameters of the same shapes in the same order.
void PolyakUpdate(FlatParameters& target, const FlatParameters& source, double tau);

// Adam (Kingma & Ba 2015) with LibTorch's default betas (0.9, 0.999), eps 1e-8 and no weight decay, as
// torch::optim::Adam computes it in LibTorch 1.13, on a FlatParameters' values and gradients:
//   m <- b1 m + (1 - b1) g,  v <- b2 v + (1 - b2) g^2,
//   p <- p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps).
// Save and Load write and read torch::optim::Adam's archive over the same parameters, so checkpoints keep
// their format, and one written before this class existed loads.
class FlatAdam {
 public:
  FlatAdam(const FlatParameters& parameters, double lr);

  void Step(FlatParameters& parameters);
  void Save(const FlatParameters& parameters, torch::serialize::OutputArchive& archive) const;
  // Replaces the moments and step count; the learning rate stays the configured one.
  void Load(const FlatParameters& parameters, torch::serialize::InputArchive& archive);

 private:
  double lr_;
  int64_t step_ = 0;
  torch::Tensor exp_avg_, exp_avg_sq_, denominator_;
};

}  // namespace ddpg
