#include "envs/recsys/registration.h"

#include "envs/recsys/latent_factor_env.h"
#include "envs/recsys/latent_factor_spec.h"
#include "envs/recsys/movielens_env.h"
#include "envs/recsys/movielens_spec.h"

namespace ddpg {

std::vector<EnvRegistration> RecommenderEnvironments() {
  return {
      {recsys::kLatentFactorId, recsys::LatentFactorEnv::Create},
      {recsys::kMovieLensId, recsys::MovieLensEnv::Create},
  };
}

}  // namespace ddpg
