#include "common/box2d_envs.h"

#include "common/bipedal_walker.h"
#include "common/lunar_lander.h"

namespace ddpg {

std::vector<EnvRegistration> Box2dEnvironments() {
  return {
      {"LunarLanderContinuous-v3", Construct<LunarLanderContinuous>},
      {"BipedalWalker-v3", Construct<BipedalWalker>},
  };
}

}  // namespace ddpg
