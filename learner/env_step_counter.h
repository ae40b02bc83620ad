// EnvStepCounter: how many environment steps the run has taken, for the step budget, the dashboard and
// checkpoints.
//
// It counts only what the replay server vouches for: SampleReply.run_inserted, the transitions one server
// instance stored for this run, summed over the instances the run has used. The anchor (the instance and
// its run_inserted when the count was last brought up to date) travels in checkpoints, so that
//  - a learner resumed against the server that kept running adds only what that server stored since the
//    checkpoint;
//  - a learner resumed against a restarted server adds that server's whole count for this run;
//  - a learner of a new run against a server that served another run starts from 0 (the server starts
//    run_inserted again when another run samples);
//  - a server restart is seen from its instance id, whatever its new count;
//  - the count never goes down, and before the first batch it is the checkpoint's.
// Transitions a server stored but never reported before it died are not counted: they cannot be known.
//
// Ownership: plain value. Blocking: never. Thread-safety: not thread-safe; owned by the learner thread.
#pragma once

#include <cstdint>

namespace ddpg {

struct ReplayAnchor {
  uint64_t server_instance = 0;  // 0: none yet
  uint64_t run_inserted = 0;
  bool operator==(const ReplayAnchor&) const = default;
};

class EnvStepCounter {
 public:
  // A fresh run starts at 0 without an anchor; a resumed one from its checkpoint's count and anchor.
  explicit EnvStepCounter(uint64_t env_steps = 0, ReplayAnchor anchor = {});

  // Takes (server_instance, run_inserted) from a sample reply. Returns true when another server instance
  // than the anchor's answers: that server restarted or was replaced, and its earlier contents are gone.
  bool Observe(uint64_t server_instance, uint64_t run_inserted);

  uint64_t env_steps() const { return env_steps_; }
  const ReplayAnchor& anchor() const { return anchor_; }
  bool has_observed() const { return has_observed_; }

 private:
  uint64_t env_steps_;
  ReplayAnchor anchor_;
  bool has_observed_ = false;
};

}  // namespace ddpg
