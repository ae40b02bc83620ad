#include "learner/published_policies.h"

#include <algorithm>
#include <string>

#include <spdlog/fmt/fmt.h>

namespace ddpg {

PublishedPolicies::PublishedPolicies(uint64_t learner_instance, size_t parameter_budget_bytes)
    : learner_instance_(learner_instance), parameter_budget_bytes_(parameter_budget_bytes) {}

void PublishedPolicies::Record(uint64_t version, const std::vector<float>& parameters) {
  if (!versions_.empty() && version <= versions_.back()) return;
  versions_.push_back(version);
  if (versions_.size() > kMaxVersions) versions_.pop_front();
  parameters_.emplace_back(version, parameters);
  parameter_bytes_ += parameters.size() * sizeof(float);
  while (parameters_.size() > kMinKept && parameter_bytes_ > parameter_budget_bytes_) {
    parameter_bytes_ -= parameters_.front().second.size() * sizeof(float);
    parameters_.pop_front();
  }
}

Status PublishedPolicies::CheckReport(const protocol::EpisodeReport& report) const {
  if (report.learner_instance != learner_instance_) {
    return FailedPrecondition(fmt::format(
        "it is about weights v{} of learner instance {:016x}, not of this learner ({:016x}): an earlier learner "
        "process published them",
        report.policy_version, report.learner_instance, learner_instance_));
  }
  if (!std::binary_search(versions_.begin(), versions_.end(), report.policy_version)) {
    return FailedPrecondition(
        fmt::format("this learner never published v{} (or published it more than {} "
                    "versions ago)",
                    report.policy_version, kMaxVersions));
  }
  return Status::Ok();
}

const std::vector<float>* PublishedPolicies::Parameters(uint64_t version) const {
  auto it = std::lower_bound(parameters_.begin(), parameters_.end(), version,
                             [](const auto& entry, uint64_t v) { return entry.first < v; });
  return it != parameters_.end() && it->first == version ? &it->second : nullptr;
}

}  // namespace ddpg
