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

}  // namespace ddpg
