#include "envs/mujoco/registration.h"

#include "envs/mujoco/inverted_pendulum.h"
#include "envs/mujoco/locomotion.h"
#include "envs/mujoco/mujoco_env.h"
#include "envs/mujoco/reacher.h"

namespace ddpg {

std::vector<EnvRegistration> MujocoEnvironments() {
  return {
      {"HalfCheetah-v4", MakeMujocoEnv<HalfCheetah>},
      {"Hopper-v4", MakeMujocoEnv<Hopper>},
      {"Walker2d-v4", MakeMujocoEnv<Walker2d>},
      {"Ant-v4", MakeMujocoEnv<Ant>},
      {"Humanoid-v4", MakeMujocoEnv<Humanoid>},
      {"Swimmer-v4", MakeMujocoEnv<Swimmer>},
      {"Reacher-v4", MakeMujocoEnv<Reacher>},
      {"InvertedPendulum-v4", MakeMujocoEnv<InvertedPendulum>},
      {"InvertedDoublePendulum-v4", MakeMujocoEnv<InvertedDoublePendulum>},
  };
}

}  // namespace ddpg
