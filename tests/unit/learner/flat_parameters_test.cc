// FlatParameters and FlatAdam against LibTorch's per-tensor code: the same values bit for bit, and
// torch::optim::Adam's archives in both directions.
#include "learner/flat_parameters.h"

#include <torch/torch.h>

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <sstream>
#include <vector>

#include "agent_test_support.h"
#include "common/networks.h"

namespace ddpg {
namespace {

torch::nn::Sequential Network(uint64_t seed) {
  torch::manual_seed(seed);
  return MakeMlp(3, {16, 8}, 2);
}

// Gives every parameter of both networks the same gradient, drawn from `seed`.
void SetGradients(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b, uint64_t seed) {
  torch::manual_seed(seed);
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < a.size(); ++i) {
    const torch::Tensor gradient = torch::randn_like(a[i]);
    a[i].mutable_grad().copy_(gradient);
    b[i].mutable_grad() = gradient.clone();
  }
}

TEST_CASE("FlatParameters keeps the values and shares storage with the modules") {
  torch::nn::Sequential network = Network(1);
  const std::vector<float> before = FlattenParameters(*network);
  FlatParameters flat(network->parameters());
  CHECK(FlattenParameters(*network) == before);
  REQUIRE(flat.values().numel() == static_cast<int64_t>(before.size()));
  {
    torch::NoGradGuard no_grad;
    flat.values().add_(1.0);
  }
  const std::vector<float> after = FlattenParameters(*network);
  for (size_t i = 0; i < before.size(); ++i) REQUIRE(after[i] == before[i] + 1.0f);
  // A backward pass accumulates into the flat gradients.
  network->forward(torch::ones({4, 3})).sum().backward();
  CHECK(flat.gradients().abs().sum().item<float>() > 0.0f);
  CHECK(flat.GradientsAndLossFinite(torch::tensor(1.0f)));
  flat.ZeroGradients();
  CHECK(flat.gradients().abs().sum().item<float>() == 0.0f);
}

TEST_CASE("FlatParameters finds any non-finite gradient or loss") {
  torch::nn::Sequential network = Network(2);
  FlatParameters flat(network->parameters());
  const int64_t last = flat.values().numel() - 1;
  for (const float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                          -std::numeric_limits<float>::infinity()}) {
    for (const int64_t index : {int64_t{0}, last / 2, last}) {
      flat.ZeroGradients();
      flat.gradients()[index].fill_(bad);
      INFO("value " << bad << " at " << index);
      CHECK_FALSE(flat.GradientsAndLossFinite(torch::tensor(1.0f)));
    }
    flat.ZeroGradients();
    CHECK_FALSE(flat.GradientsAndLossFinite(torch::tensor(bad)));
  }
  flat.ZeroGradients();
  flat.gradients()[0].fill_(3e38f);
  CHECK(flat.GradientsAndLossFinite(torch::tensor(-3e38f)));
}

TEST_CASE("Polyak averaging moves the target by tau towards the source") {
  torch::nn::Linear target(2, 1), source(2, 1);
  auto set = [](torch::nn::Linear& layer, std::vector<float> weight, float bias) {
    torch::NoGradGuard no_grad;
    layer->weight.copy_(torch::tensor(weight).view({1, 2}));
    layer->bias.fill_(bias);
  };
  set(source, {5.0f, 6.0f}, 7.0f);
  set(target, {1.0f, 2.0f}, 3.0f);
  FlatParameters flat_source(source->parameters()), flat_target(target->parameters());

  SECTION("tau = 0.25 mixes the parameters") {
    PolyakUpdate(flat_target, flat_source, 0.25);
    CHECK(FlattenParameters(*target) == std::vector<float>{2.0f, 3.0f, 4.0f});
  }
  SECTION("tau = 1 copies the source") {
    PolyakUpdate(flat_target, flat_source, 1.0);
    CHECK(FlattenParameters(*target) == std::vector<float>{5.0f, 6.0f, 7.0f});
  }
  SECTION("tau = 0 leaves the target unchanged") {
    PolyakUpdate(flat_target, flat_source, 0.0);
    CHECK(FlattenParameters(*target) == std::vector<float>{1.0f, 2.0f, 3.0f});
  }
  CHECK(FlattenParameters(*source) == std::vector<float>{5.0f, 6.0f, 7.0f});
}

TEST_CASE("flat Polyak averaging equals the per-tensor one") {
  torch::nn::Sequential source = Network(3), target = Network(4), flat_target = Network(4);
  FlatParameters flat_source(source->parameters()), flat_target_values(flat_target->parameters());
  agent_test::ReferencePolyakUpdate(*target, *source, 0.3);
  PolyakUpdate(flat_target_values, flat_source, 0.3);
  CHECK(FlattenParameters(*flat_target) == FlattenParameters(*target));
}

TEST_CASE("FlatAdam steps as torch::optim::Adam does, and reads and writes its archives") {
  constexpr double kLr = 0.01;
  torch::nn::Sequential reference = Network(5), network = Network(5);
  for (auto& parameter : reference->parameters()) parameter.mutable_grad() = torch::zeros_like(parameter);
  torch::optim::Adam adam(reference->parameters(), torch::optim::AdamOptions(kLr));
  FlatParameters flat(network->parameters());
  FlatAdam flat_adam(flat, kLr);
  for (uint64_t step = 0; step < 4; ++step) {
    SetGradients(network->parameters(), reference->parameters(), 10 + step);
    adam.step();
    flat_adam.Step(flat);
    INFO("step " << step);
    REQUIRE(FlattenParameters(*network) == FlattenParameters(*reference));
  }

  SECTION("an archive of torch::optim::Adam continues where it left off") {
    torch::serialize::OutputArchive archive;
    adam.save(archive);
    std::stringstream stream;
    archive.save_to(stream);
    torch::serialize::InputArchive input;
    input.load_from(stream);
    FlatAdam loaded(flat, kLr);
    loaded.Load(flat, input);
    SetGradients(network->parameters(), reference->parameters(), 99);
    adam.step();
    loaded.Step(flat);
    CHECK(FlattenParameters(*network) == FlattenParameters(*reference));
  }
  SECTION("torch::optim::Adam continues from FlatAdam's archive") {
    torch::serialize::OutputArchive archive;
    flat_adam.Save(flat, archive);
    std::stringstream stream;
    archive.save_to(stream);
    torch::serialize::InputArchive input;
    input.load_from(stream);
    torch::optim::Adam loaded(reference->parameters(), torch::optim::AdamOptions(kLr));
    loaded.load(input);
    SetGradients(network->parameters(), reference->parameters(), 77);
    loaded.step();
    flat_adam.Step(flat);
    CHECK(FlattenParameters(*network) == FlattenParameters(*reference));
  }
}

}  // namespace
}  // namespace ddpg
