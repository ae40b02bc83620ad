#include "envs/registry.h"

#include <utility>
#include <vector>

#include "envs/classic/registration.h"
#include "envs/env_registration.h"
#include "envs/env_spec.h"
#include "envs/recsys/registration.h"
#if DDPG_WITH_BOX2D
#include "envs/box2d/registration.h"
#endif
#if DDPG_WITH_MUJOCO
#include "envs/mujoco/registration.h"
#endif

namespace ddpg {

namespace {

const std::vector<EnvRegistration>& Registry() {
  static const std::vector<EnvRegistration> registry = [] {
    std::vector<EnvRegistration> all = ClassicControlEnvironments();
    for (EnvRegistration& registration : RecommenderEnvironments()) all.push_back(std::move(registration));
#if DDPG_WITH_BOX2D
    for (EnvRegistration& registration : Box2dEnvironments()) all.push_back(std::move(registration));
#endif
#if DDPG_WITH_MUJOCO
    for (EnvRegistration& registration : MujocoEnvironments()) all.push_back(std::move(registration));
#endif
    return all;
  }();
  return registry;
}

// Whether this build includes a family, and what to install and switch on when it does not.
struct FamilyBuild {
  bool included;
  const char* simulator;
  const char* package;
  const char* option;
};

FamilyBuild BuildOf(EnvFamily family) {
  switch (family) {
    case EnvFamily::kClassicControl:
    case EnvFamily::kRecommender: return {true, "", "", ""};
    case EnvFamily::kBox2d: return {DDPG_WITH_BOX2D, "Box2D", "libbox2d-dev", "DDPG_WITH_BOX2D"};
    case EnvFamily::kMujoco: return {DDPG_WITH_MUJOCO, "MuJoCo", "libmujoco-dev", "DDPG_WITH_MUJOCO"};
  }
  return {true, "", "", ""};
}

}  // namespace

StatusOr<std::unique_ptr<Environment>> MakeEnvironment(const std::string& id, const EnvOptions& options) {
  for (const EnvRegistration& registration : Registry()) {
    if (registration.id == id) return registration.make(options);
  }
  auto family = LookUpEnvFamily(id);
  if (!family.ok()) return family.status();
  const FamilyBuild build = BuildOf(*family);
  if (build.included) return Internal(id + " is in the spec table but its family does not register it");
  return FailedPrecondition(id + " needs " + build.simulator + ", which this build leaves out: install " +
                            build.package + " and reconfigure with -D" + build.option + "=ON");
}

}  // namespace ddpg
