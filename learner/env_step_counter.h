// EnvStepCounter: how many environment steps the run has taken, for the step budget, the dashboard and
// checkpoints.
//
// The learner learns the count from the replay server's total_inserted, which starts again at 0 when the
// server restarts and does not include a resumed run's earlier steps. The counter adds an offset for
// both, and never reports less than it reported before: a checkpoint written before the first batch
// arrives keeps the resumed count instead of 0.
//
// Ownership: plain value. Blocking: never. Thread-safety: not thread-safe; owned by the learner thread.
#pragma once

#include <cstdint>

namespace ddpg {

class EnvStepCounter {
 public:
  // resumed_env_steps: the count in the checkpoint this run resumed from (0 for a fresh run).
  explicit EnvStepCounter(uint64_t resumed_env_steps = 0);

  // Takes the replay server's total_inserted from a sample reply. Returns true when it went down, which
  // means that the replay server restarted and its earlier contents are gone.
  bool Observe(uint64_t total_inserted);

  uint64_t env_steps() const;
  bool has_observed() const { return has_observed_; }

 private:
  uint64_t resumed_env_steps_;
  uint64_t offset_ = 0;
  uint64_t last_total_inserted_ = 0;
  bool has_observed_ = false;
};

}  // namespace ddpg
