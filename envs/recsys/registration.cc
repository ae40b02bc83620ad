#include "envs/recsys/registration.h"

#include "envs/recsys/latent_factor_env.h"
#include "envs/recsys/latent_factor_spec.h"

namespace ddpg {

std::vector<EnvRegistration> RecommenderEnvironments() {
  return {
      {recsys::kLatentFactorId, recsys::LatentFactorEnv::Create},
  };
}

}  // namespace ddpg
