#include "replay_server/duplicate_filter.h"

#include <algorithm>

namespace ddpg {

bool DuplicateFilter::Contains(uint32_t actor_id, uint64_t incarnation, uint64_t sequence) const {
  const auto found = windows_.find({actor_id, incarnation});
  if (found == windows_.end()) return false;
  const Window& window = found->second;
  if (sequence > window.highest) return false;
  if (window.highest - sequence >= kWindow) return true;
  return window.recorded.test(sequence % kWindow);
}

void DuplicateFilter::Record(uint32_t actor_id, uint64_t incarnation, uint64_t sequence) {
  auto [found, is_new] = windows_.try_emplace({actor_id, incarnation});
  Window& window = found->second;
  window.last_record = ++records_;
  if (is_new && windows_.size() > kMaxActorProcesses) ForgetLeastRecent();
  if (is_new) {
    window.highest = sequence;
  } else if (sequence > window.highest) {
    // The bits about to be reused still describe sequence numbers that are now leaving the window.
    if (sequence - window.highest >= kWindow) {
      window.recorded.reset();
    } else {
      for (uint64_t s = window.highest + 1; s <= sequence; ++s) window.recorded.reset(s % kWindow);
    }
    window.highest = sequence;
  } else if (window.highest - sequence >= kWindow) {
    return;  // already reported as stored by Contains; there is no bit for it
  }
  window.recorded.set(sequence % kWindow);
}

std::vector<DuplicateFilter::ProcessState> DuplicateFilter::Save() const {
  std::vector<std::pair<uint64_t, ProcessState>> by_recency;
  by_recency.reserve(windows_.size());
  for (const auto& [process, window] : windows_) {
    by_recency.push_back({window.last_record, {process.first, process.second, window.highest, window.recorded}});
  }
  std::sort(by_recency.begin(), by_recency.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<ProcessState> processes;
  processes.reserve(by_recency.size());
  for (auto& [last_record, state] : by_recency) processes.push_back(std::move(state));
  return processes;
}

void DuplicateFilter::Restore(const std::vector<ProcessState>& processes) {
  windows_.clear();
  records_ = 0;
  // Only the order of last_record matters to ForgetLeastRecent; the newest processes win a table overflow.
  const size_t skipped = processes.size() > kMaxActorProcesses ? processes.size() - kMaxActorProcesses : 0;
  for (size_t i = skipped; i < processes.size(); ++i) {
    const ProcessState& state = processes[i];
    windows_[{state.actor_id, state.incarnation}] =
        Window{.highest = state.highest, .recorded = state.recorded, .last_record = ++records_};
  }
}

void DuplicateFilter::ForgetLeastRecent() {
  // A linear scan, but only when a new actor process arrives with the table full.
  auto oldest = windows_.begin();
  for (auto it = windows_.begin(); it != windows_.end(); ++it) {
    if (it->second.last_record < oldest->second.last_record) oldest = it;
  }
  windows_.erase(oldest);
}

}  // namespace ddpg
