// One entry of the environment registry (envs/registry.h): a Gymnasium id and the factory that builds it.
// Each family (envs/classic, envs/box2d, envs/mujoco, envs/recsys) lists its entries in its registration.h.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "common/config.h"
#include "common/status.h"
#include "envs/environment.h"

namespace ddpg {

// make may fail (e.g. a MuJoCo model file is missing, an option is out of range), with a message that says
// what to install or fix. Environments without options register a factory that takes none.
struct EnvRegistration {
  using Factory = std::function<StatusOr<std::unique_ptr<Environment>>(const EnvOptions&)>;

  EnvRegistration(std::string id, Factory make) : id(std::move(id)), make(std::move(make)) {}
  EnvRegistration(std::string id, StatusOr<std::unique_ptr<Environment>> (*make_without_options)())
      : id(std::move(id)), make([make_without_options](const EnvOptions&) { return make_without_options(); }) {}

  std::string id;
  Factory make;
};

// A registry factory for environments that cannot fail to construct.
template <class Env>
StatusOr<std::unique_ptr<Environment>> Construct() {
  return std::unique_ptr<Environment>(std::make_unique<Env>());
}

}  // namespace ddpg
