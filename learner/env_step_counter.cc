#include "learner/env_step_counter.h"

namespace ddpg {

EnvStepCounter::EnvStepCounter(uint64_t env_steps, ReplayAnchor anchor) : env_steps_(env_steps), anchor_(anchor) {}

bool EnvStepCounter::Observe(uint64_t server_instance, uint64_t run_inserted) {
  if (server_instance == 0) return false;  // not a count any server vouches for
  has_observed_ = true;
  if (server_instance == anchor_.server_instance) {
    // A smaller count from the same server: it served another run in between and started ours again.
    env_steps_ += run_inserted >= anchor_.run_inserted ? run_inserted - anchor_.run_inserted : run_inserted;
    anchor_.run_inserted = run_inserted;
    return false;
  }
  const bool replaced = anchor_.server_instance != 0;
  env_steps_ += run_inserted;
  anchor_ = {server_instance, run_inserted};
  return replaced;
}

}  // namespace ddpg
