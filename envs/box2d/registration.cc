#include "envs/box2d/registration.h"

#include "envs/box2d/bipedal_walker.h"
#include "envs/box2d/lunar_lander.h"

namespace ddpg {

std::vector<EnvRegistration> Box2dEnvironments() {
  return {
      {"LunarLanderContinuous-v3", Construct<LunarLanderContinuous>},
      {"BipedalWalker-v3", Construct<BipedalWalker>},
  };
}

}  // namespace ddpg
