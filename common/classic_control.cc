#include "common/classic_control.h"

#include "common/mountain_car.h"
#include "common/pendulum.h"

namespace ddpg {

std::vector<EnvRegistration> ClassicControlEnvironments() {
  return {
      {"Pendulum-v1", Construct<Pendulum>},
      {"MountainCarContinuous-v0", Construct<MountainCarContinuous>},
  };
}

}  // namespace ddpg
