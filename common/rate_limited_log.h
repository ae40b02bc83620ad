// A warning that is logged at most once per interval, with a count of the ones it held back, so that a
// peer flooding a socket with garbage cannot flood the log. Owned by one thread.
#pragma once

#include <chrono>
#include <string>

namespace ddpg {

class RateLimitedLog {
 public:
  explicit RateLimitedLog(std::chrono::milliseconds interval = std::chrono::seconds(1)) : interval_(interval) {}
  // Logs `message` as a warning unless one was logged less than an interval ago.
  void Warn(const std::string& message);
  uint64_t total() const { return total_; }

 private:
  std::chrono::milliseconds interval_;
  std::chrono::steady_clock::time_point last_logged_{};
  uint64_t suppressed_ = 0;
  uint64_t total_ = 0;
};

}  // namespace ddpg
