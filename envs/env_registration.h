// One entry of the environment registry (envs/registry.h): a Gymnasium id and the factory that builds it.
// Each family (envs/classic, envs/box2d, envs/mujoco) lists its entries in its registration.h.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "common/status.h"
#include "envs/environment.h"

namespace ddpg {

// make may fail (e.g. a MuJoCo model file is missing), with a message that says what to install or fix.
struct EnvRegistration {
  std::string id;
  std::function<StatusOr<std::unique_ptr<Environment>>()> make;
};

// A registry factory for environments that cannot fail to construct.
template <class Env>
StatusOr<std::unique_ptr<Environment>> Construct() {
  return std::unique_ptr<Environment>(std::make_unique<Env>());
}

}  // namespace ddpg
