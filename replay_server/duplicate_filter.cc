#include "replay_server/duplicate_filter.h"

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

void DuplicateFilter::ForgetLeastRecent() {
  // A linear scan, but only when a new actor process arrives with the table full.
  auto oldest = windows_.begin();
  for (auto it = windows_.begin(); it != windows_.end(); ++it) {
    if (it->second.last_record < oldest->second.last_record) oldest = it;
  }
  windows_.erase(oldest);
}

}  // namespace ddpg
