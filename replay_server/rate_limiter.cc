#include "replay_server/rate_limiter.h"

namespace ddpg {

RateLimiter::RateLimiter(double samples_per_insert, uint64_t min_size_to_sample, double error_buffer)
    : samples_per_insert_(samples_per_insert),
      min_size_to_sample_(min_size_to_sample),
      min_diff_(samples_per_insert * static_cast<double>(min_size_to_sample) - error_buffer),
      max_diff_(samples_per_insert * static_cast<double>(min_size_to_sample) + error_buffer) {}

bool RateLimiter::CanInsert(uint64_t n) const {
  if (inserted_ < min_size_to_sample_) return true;
  const double diff = static_cast<double>(inserted_ + n) * samples_per_insert_ - static_cast<double>(sampled_);
  return diff <= max_diff_;
}

bool RateLimiter::CanSample(uint64_t n) const {
  if (inserted_ < min_size_to_sample_) return false;
  const double diff = static_cast<double>(inserted_) * samples_per_insert_ - static_cast<double>(sampled_ + n);
  return diff >= min_diff_;
}

}  // namespace ddpg
