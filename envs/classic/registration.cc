#include "envs/classic/registration.h"

#include "envs/classic/mountain_car.h"
#include "envs/classic/pendulum.h"

namespace ddpg {

std::vector<EnvRegistration> ClassicControlEnvironments() {
  return {
      {"Pendulum-v1", Construct<Pendulum>},
      {"MountainCarContinuous-v0", Construct<MountainCarContinuous>},
  };
}

}  // namespace ddpg
