// RateLimiter: keeps the ratio of sampled to inserted transitions near samples_per_insert.
//
// Reverb's SampleToInsertRatio, counting transitions rather than items. With R = samples_per_insert,
// M = min_size_to_sample and E = error_buffer:
//
//   diff     = inserted * R - sampled
//   min_diff = R * M - E
//   max_diff = R * M + E
//
//   CanInsert(n): inserted < M (still filling up), or (inserted + n) * R - sampled <= max_diff
//   CanSample(n): inserted >= M and inserted * R - (sampled + n) >= min_diff
//
// Nothing is ever refused: when the learner falls behind (samples lag the ratio) inserts are held back
// until it catches up, and when actors fall behind samples are held back until enough new transitions
// arrive. The caller queues whatever cannot move yet and retries after every change.
//
// One side can always move, so the two waits never deadlock: a blocked insert of n and a blocked sample
// of b together imply n * R + b > 2E, and ValidateConfig guarantees 2E > learner.batch_size +
// R * (actor.chunk_size + actor.num_envs), which covers the largest chunk an actor sends. While filling
// up (inserted < M) samples cannot move, so inserts always may, even a chunk that overshoots M; Reverb
// admits one item at a time and never faces that case, and waiting for a chunk that lands exactly on M
// could wait forever.
//
// Ownership: plain value. Blocking: never blocks. Thread-safety: pure logic, not thread-safe.
#pragma once

#include <cstdint>

namespace ddpg {

class RateLimiter {
 public:
  RateLimiter(double samples_per_insert, uint64_t min_size_to_sample, double error_buffer);

  bool CanInsert(uint64_t n) const;
  bool CanSample(uint64_t n) const;
  void RecordInsert(uint64_t n) { inserted_ += n; }
  void RecordSample(uint64_t n) { sampled_ += n; }

  uint64_t inserted() const { return inserted_; }
  uint64_t sampled() const { return sampled_; }
  double min_diff() const { return min_diff_; }
  double max_diff() const { return max_diff_; }

 private:
  double samples_per_insert_;
  uint64_t min_size_to_sample_;
  double min_diff_;
  double max_diff_;
  uint64_t inserted_ = 0;
  uint64_t sampled_ = 0;
};

}  // namespace ddpg
