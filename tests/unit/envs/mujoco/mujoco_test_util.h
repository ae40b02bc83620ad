// Helpers shared by the MuJoCo environment tests.
#pragma once

#include <catch2/catch.hpp>

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "envs/environment.h"
#include "envs/mujoco/mujoco_env.h"
#include "envs/registry.h"

namespace ddpg::testing {

// Makes a registered MuJoCo environment as its concrete class; fails the test when the model is missing.
template <class Env>
std::unique_ptr<Env> Make(const std::string& id) {
  auto env = MakeEnvironment(id);
  INFO(env.status().message());
  REQUIRE(env.ok());
  auto* typed = dynamic_cast<Env*>(env->get());
  REQUIRE(typed != nullptr);
  env->release();
  return std::unique_ptr<Env>(typed);
}

inline std::vector<double> Copy(std::span<const double> values) { return {values.begin(), values.end()}; }

// Observations are float32 of double values.
inline Approx Close(double expected) { return Approx(expected).epsilon(1e-6).margin(1e-6); }

}  // namespace ddpg::testing
