// PublishedPolicies: the policy versions this learner process has published, against which evaluation
// reports are checked, and the newest ones' parameters, so that the weights behind an evaluation can be
// saved even though training went on while they were evaluated.
//
// Reports travel on a PUSH socket that outlives learner restarts, and an evaluation takes a while: a
// report may be about the weights of an earlier learner process (another learner_instance; its version
// numbers say nothing about this process's weights) or name a version this process never published. Only
// reports about a recorded version of this instance are accepted. Version numbers are kept up to
// kMaxVersions; parameters of the newest versions within a byte budget (always at least kMinKept).
//
// Ownership: plain value. Blocking: never. Thread-safety: not thread-safe; owned by the learner thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <utility>
#include <vector>

#include "common/protocol.h"
#include "common/status.h"

namespace ddpg {

class PublishedPolicies {
 public:
  static constexpr size_t kMaxVersions = size_t{1} << 20;
  static constexpr size_t kMinKept = 2;

  PublishedPolicies(uint64_t learner_instance, size_t parameter_budget_bytes);

  // Records a published version; versions only grow (a republished version is recorded once).
  void Record(uint64_t version, const std::vector<float>& parameters);
  // Ok if the report is about a version this instance published; FailedPrecondition saying why not.
  Status CheckReport(const protocol::EpisodeReport& report) const;
  // The parameters published as `version`, or nullptr once they were dropped to stay within the budget.
  const std::vector<float>* Parameters(uint64_t version) const;

  uint64_t learner_instance() const { return learner_instance_; }

 private:
  uint64_t learner_instance_;
  size_t parameter_budget_bytes_;
  size_t parameter_bytes_ = 0;
  std::deque<uint64_t> versions_;                                   // ascending
  std::deque<std::pair<uint64_t, std::vector<float>>> parameters_;  // ascending by version
};

}  // namespace ddpg
