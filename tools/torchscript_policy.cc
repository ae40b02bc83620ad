#include "tools/torchscript_policy.h"

#include <torch/script.h>
#include <torch/torch.h>

#include <filesystem>
#include <sstream>
#include <system_error>

#include "common/networks.h"

namespace ddpg {
namespace {

// One statement per layer of the actor's MLP; layer i reads weight_i and bias_i.
std::string ForwardSource(int linear_layers) {
  std::ostringstream source;
  source << "def forward(self, observations: Tensor) -> Tensor:\n"
         << "    x = observations\n";
  for (int i = 0; i < linear_layers; ++i) {
    const std::string layer =
        "torch.linear(x, self.weight_" + std::to_string(i) + ", self.bias_" + std::to_string(i) + ")";
    source << "    x = " << (i + 1 < linear_layers ? "torch.relu(" + layer + ")" : layer) << "\n";
  }
  source << "    return torch.tanh(x) * self.action_scale + self.action_offset\n";
  return source.str();
}

c10::List<double> ToDoubles(const std::vector<float>& values) {
  c10::List<double> list;
  for (float value : values) list.push_back(value);
  return list;
}

// The policy's tensors come from the learner's own Actor module loaded with the flat parameters, so their
// order and shapes, and the scale and offset of the action bounds, are the ones the learner computes with.
torch::jit::Module BuildModule(const SavedPolicy& policy, const Actor& actor) {
  const DdpgOptions& network = policy.options;
  torch::jit::Module module("DdpgPolicy");
  int linear_layers = 0;
  const auto parameters = actor->named_parameters(/*recurse=*/true);
  for (size_t i = 0; i + 1 < parameters.size(); i += 2, ++linear_layers) {
    const std::string index = std::to_string(linear_layers);
    TORCH_CHECK(parameters[i].key().ends_with("weight") && parameters[i + 1].key().ends_with("bias"),
                "the actor's parameters are not (weight, bias) pairs at ", parameters[i].key());
    module.register_parameter("weight_" + index, parameters[i].value().detach().clone(), /*is_buffer=*/false);
    module.register_parameter("bias_" + index, parameters[i + 1].value().detach().clone(), /*is_buffer=*/false);
  }
  const auto buffers = actor->named_buffers();
  module.register_buffer("action_scale", buffers["scale"].clone());
  module.register_buffer("action_offset", buffers["offset"].clone());
  module.register_attribute("obs_dim", c10::IntType::get(), static_cast<int64_t>(network.obs_dim));
  module.register_attribute("act_dim", c10::IntType::get(), static_cast<int64_t>(network.act_dim));
  module.register_attribute("action_low", c10::ListType::ofFloats(), ToDoubles(network.act_low));
  module.register_attribute("action_high", c10::ListType::ofFloats(), ToDoubles(network.act_high));
  module.register_attribute("source", c10::StringType::get(), policy.description);
  module.define(ForwardSource(linear_layers));
  module.eval();
  return module;
}

}  // namespace

Status WriteTorchScriptPolicy(const SavedPolicy& policy, const std::string& path) {
  const DdpgOptions& network = policy.options;
  Actor actor(network.obs_dim, network.act_dim, network.hidden_sizes, network.act_low, network.act_high);
  DDPG_RETURN_IF_ERROR(LoadFlatParameters(*actor, policy.actor_parameters));
  const std::string temporary = path + ".tmp";
  std::string failure;
  try {
    BuildModule(policy, actor).save(temporary);
    std::filesystem::rename(temporary, path);
    return Status::Ok();
  } catch (const c10::Error& e) {
    failure = e.what_without_backtrace();
  } catch (const std::exception& e) {
    failure = e.what();
  }
  std::error_code ignored;
  std::filesystem::remove(temporary, ignored);
  return Internal("could not write the TorchScript policy " + path + ": " + failure);
}

}  // namespace ddpg
