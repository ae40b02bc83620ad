#include "learner/env_step_counter.h"

#include <algorithm>

namespace ddpg {

EnvStepCounter::EnvStepCounter(uint64_t resumed_env_steps) : resumed_env_steps_(resumed_env_steps) {}

bool EnvStepCounter::Observe(uint64_t total_inserted) {
  bool restarted = false;
  if (!has_observed_) {
    has_observed_ = true;
    // A replay server that kept running while the learner restarted already counts the earlier steps.
    offset_ = total_inserted >= resumed_env_steps_ ? 0 : resumed_env_steps_;
  } else if (total_inserted < last_total_inserted_) {
    offset_ += last_total_inserted_;
    restarted = true;
  }
  last_total_inserted_ = total_inserted;
  return restarted;
}

uint64_t EnvStepCounter::env_steps() const { return std::max(resumed_env_steps_, offset_ + last_total_inserted_); }

}  // namespace ddpg
