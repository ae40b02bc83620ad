#include "common/rate_limited_log.h"

#include <spdlog/spdlog.h>

namespace ddpg {

void RateLimitedLog::Warn(const std::string& message) {
  ++total_;
  const auto now = std::chrono::steady_clock::now();
  if (last_logged_ != std::chrono::steady_clock::time_point{} && now - last_logged_ < interval_) {
    ++suppressed_;
    return;
  }
  if (suppressed_ > 0) {
    spdlog::warn("{} ({} similar warnings suppressed)", message, suppressed_);
  } else {
    spdlog::warn("{}", message);
  }
  suppressed_ = 0;
  last_logged_ = now;
}

}  // namespace ddpg
