// The environment registry: builds an environment from its Gymnasium id.
//
// Every id of the spec table (envs/env_spec.h) is known here. A build may leave out Box2D or MuJoCo
// (-DDDPG_WITH_BOX2D=OFF, -DDDPG_WITH_MUJOCO=OFF); their ids then fail with FailedPrecondition saying what to
// install and how to reconfigure, instead of being unknown.
//
// Thread-safe. MakeEnvironment blocks while a MuJoCo model compiles, the first time a process needs it
// (milliseconds), and while a recommender catalogue is generated (up to about a second for a million items);
// the caller owns the environment it returns.
#pragma once

#include <memory>
#include <string>

#include "common/status.h"
#include "envs/environment.h"

namespace ddpg {

// The environment registered under `id`; NotFound listing the known ids for an id the spec table lacks;
// FailedPrecondition for an id whose family this build leaves out; or the family's own error (a missing
// MuJoCo model file, an option out of range). Only environments that take options read `options`
// (RecSim-LatentFactor-v0: EnvOptions::recsim, validated here); the same id and options always build the same
// environment, so every process of a run passes the run's config.env.options.
StatusOr<std::unique_ptr<Environment>> MakeEnvironment(const std::string& id, const EnvOptions& options = {});

}  // namespace ddpg
