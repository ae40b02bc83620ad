#include "common/classic_control.h"

#include "common/pendulum.h"

namespace ddpg {

std::vector<EnvRegistration> ClassicControlEnvironments() {
  return {
      {"Pendulum-v1", Construct<Pendulum>},
  };
}

}  // namespace ddpg
