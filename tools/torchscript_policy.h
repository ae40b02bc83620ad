// Writes a trained policy as a TorchScript module, for programs that load it without this project: Python's
// torch.jit.load, LibTorch's torch::jit::load (robots, C++ services).
//
// The module's forward(observations) maps a float32 batch [n, obs_dim] (or one observation [obs_dim]) to the
// deterministic actions [n, act_dim] within the environment's bounds, computed exactly as the learner's
// actor does: Linear and ReLU layers, then tanh scaled affinely onto [action_low, action_high]. Its method
// is TorchScript source defined here, its parameters are copies of the policy's; attributes obs_dim,
// act_dim, action_low, action_high and source (SavedPolicy::description) describe it. LibTorch stays
// behind this header. Blocks while it writes; thread-compatible.
#pragma once

#include <string>

#include "common/status.h"
#include "learner/saved_policy.h"

namespace ddpg {

// Written to a temporary file renamed onto `path`, so a failed export never leaves a broken module.
// InvalidArgument if the parameters do not fit the policy's sizes, Internal if writing fails.
Status WriteTorchScriptPolicy(const SavedPolicy& policy, const std::string& path);

}  // namespace ddpg
