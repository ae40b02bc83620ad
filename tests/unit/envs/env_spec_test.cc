// Tests of the spec table (envs/env_spec.h) against the registry (envs/registry.h): the table is written by
// hand, so every entry is compared with the spec() of the environment the registry builds, and every id a
// family registers must have an entry. Ids of a family this build leaves out must fail with what to install.
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "envs/classic/registration.h"
#include "envs/env_registration.h"
#include "envs/env_spec.h"
#include "envs/recsys/movielens_spec.h"
#include "envs/recsys/registration.h"
#include "envs/registry.h"
#if DDPG_WITH_BOX2D
#include "envs/box2d/registration.h"
#endif
#if DDPG_WITH_MUJOCO
#include "envs/mujoco/registration.h"
#endif

namespace ddpg {
namespace {

bool Included(EnvFamily family) {
  switch (family) {
    case EnvFamily::kClassicControl:
    case EnvFamily::kRecommender: return true;
    case EnvFamily::kBox2d: return DDPG_WITH_BOX2D;
    case EnvFamily::kMujoco: return DDPG_WITH_MUJOCO;
  }
  return false;
}

// The ids the families of this build register, in registration order.
std::vector<std::string> FamilyRegisteredIds() {
  std::vector<EnvRegistration> registrations = ClassicControlEnvironments();
  for (EnvRegistration& registration : RecommenderEnvironments()) registrations.push_back(std::move(registration));
#if DDPG_WITH_BOX2D
  for (EnvRegistration& registration : Box2dEnvironments()) registrations.push_back(std::move(registration));
#endif
#if DDPG_WITH_MUJOCO
  for (EnvRegistration& registration : MujocoEnvironments()) registrations.push_back(std::move(registration));
#endif
  std::vector<std::string> ids;
  for (const EnvRegistration& registration : registrations) ids.push_back(registration.id);
  return ids;
}

// MovieLens-Offline-v0's spec follows data files named by its options; movielens_env_test checks it on
// hand-made ones.
bool NeedsDataFiles(const std::string& id) { return id == recsys::kMovieLensId; }

}  // namespace

TEST_CASE("the spec table equals the spec of every environment the registry builds", "[env_spec]") {
  for (const std::string& id : RegisteredEnvironmentIds()) {
    if (NeedsDataFiles(id)) continue;
    INFO(id);
    const StatusOr<EnvSpec> table = LookUpEnvSpec(id);
    REQUIRE(table.ok());
    const StatusOr<EnvFamily> family = LookUpEnvFamily(id);
    REQUIRE(family.ok());
    if (!Included(*family)) continue;  // the next test covers these
    auto env = MakeEnvironment(id);
    INFO(env.status().message());
    REQUIRE(env.ok());
    const EnvSpec& built = (*env)->spec();
    CHECK(table->id == built.id);
    CHECK(table->obs_dim == built.obs_dim);
    CHECK(table->act_dim == built.act_dim);
    // Exact float equality: a bound that differs in its last bit still differs.
    CHECK(table->obs_low == built.obs_low);
    CHECK(table->obs_high == built.obs_high);
    CHECK(table->act_low == built.act_low);
    CHECK(table->act_high == built.act_high);
    CHECK(table->max_episode_steps == built.max_episode_steps);
  }
}

TEST_CASE("an id whose family this build leaves out fails saying what to install and how to reconfigure",
          "[env_spec]") {
  for (const std::string& id : RegisteredEnvironmentIds()) {
    const EnvFamily family = *LookUpEnvFamily(id);
    if (Included(family)) continue;
    INFO(id);
    auto env = MakeEnvironment(id);
    REQUIRE_FALSE(env.ok());
    CHECK(env.status().code() == StatusCode::kFailedPrecondition);
    CHECK_THAT(env.status().message(), Catch::StartsWith(id + " needs "));
    if (family == EnvFamily::kMujoco) {
      CHECK_THAT(env.status().message(), Catch::Contains("libmujoco-dev") && Catch::Contains("-DDDPG_WITH_MUJOCO=ON"));
    } else {
      CHECK_THAT(env.status().message(), Catch::Contains("libbox2d-dev") && Catch::Contains("-DDDPG_WITH_BOX2D=ON"));
    }
  }
}

TEST_CASE("every id a family registers is in the spec table, and every included id of the table is registered",
          "[env_spec]") {
  const std::vector<std::string> registered = FamilyRegisteredIds();
  std::set<std::string> included_in_table;
  for (const std::string& id : RegisteredEnvironmentIds()) {
    if (Included(*LookUpEnvFamily(id))) included_in_table.insert(id);
  }
  CHECK(std::set<std::string>(registered.begin(), registered.end()) == included_in_table);
  CHECK(registered.size() == included_in_table.size());  // no family registers an id twice
}

TEST_CASE("the table lists 13 Gymnasium ids and the recommenders once each, by family", "[env_spec]") {
  const std::vector<std::string> ids = RegisteredEnvironmentIds();
  CHECK(ids == std::vector<std::string>{"Pendulum-v1", "MountainCarContinuous-v0", "LunarLanderContinuous-v3",
                                        "BipedalWalker-v3", "HalfCheetah-v4", "Hopper-v4", "Walker2d-v4", "Ant-v4",
                                        "Humanoid-v4", "Swimmer-v4", "Reacher-v4", "InvertedPendulum-v4",
                                        "InvertedDoublePendulum-v4", "RecSim-LatentFactor-v0", "MovieLens-Offline-v0"});
  CHECK(*LookUpEnvFamily("RecSim-LatentFactor-v0") == EnvFamily::kRecommender);
  CHECK(*LookUpEnvFamily("MovieLens-Offline-v0") == EnvFamily::kRecommender);
  CHECK(*LookUpEnvFamily("MountainCarContinuous-v0") == EnvFamily::kClassicControl);
  CHECK(*LookUpEnvFamily("BipedalWalker-v3") == EnvFamily::kBox2d);
  CHECK(*LookUpEnvFamily("InvertedDoublePendulum-v4") == EnvFamily::kMujoco);
}

TEST_CASE("every table entry has bounds of its dimensions with low <= high and a time limit", "[env_spec]") {
  for (const std::string& id : RegisteredEnvironmentIds()) {
    if (NeedsDataFiles(id)) continue;
    INFO(id);
    const EnvSpec spec = *LookUpEnvSpec(id);
    CHECK(spec.id == id);
    REQUIRE(spec.obs_dim > 0);
    REQUIRE(spec.act_dim > 0);
    REQUIRE(spec.obs_low.size() == static_cast<size_t>(spec.obs_dim));
    REQUIRE(spec.obs_high.size() == static_cast<size_t>(spec.obs_dim));
    REQUIRE(spec.act_low.size() == static_cast<size_t>(spec.act_dim));
    REQUIRE(spec.act_high.size() == static_cast<size_t>(spec.act_dim));
    for (int i = 0; i < spec.obs_dim; ++i) CHECK(spec.obs_low[i] <= spec.obs_high[i]);
    for (int i = 0; i < spec.act_dim; ++i) CHECK(spec.act_low[i] < spec.act_high[i]);
    CHECK(spec.max_episode_steps > 0);
  }
}

TEST_CASE("an unknown id is NotFound, in the table and in the registry, listing every known id", "[env_spec]") {
  for (const Status& status : {LookUpEnvSpec("CartPole-v1").status(), LookUpEnvFamily("CartPole-v1").status(),
                               MakeEnvironment("CartPole-v1").status()}) {
    CHECK(status.code() == StatusCode::kNotFound);
    CHECK_THAT(status.message(), Catch::Contains("unknown environment id 'CartPole-v1'"));
    for (const std::string& id : RegisteredEnvironmentIds()) CHECK_THAT(status.message(), Catch::Contains(id));
  }
}

}  // namespace ddpg
