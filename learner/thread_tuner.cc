#include "learner/thread_tuner.h"

#include <algorithm>
#include <utility>

namespace ddpg {

std::vector<int> ThreadTuner::CandidatesFor(unsigned cores) {
  std::vector<int> candidates = {1};
  const int most = static_cast<int>(std::min(cores, 8u));
  for (int count = 2; count <= most; count *= 2) candidates.push_back(count);
  return candidates;
}

ThreadTuner::ThreadTuner(Options options)
    : options_(std::move(options)),
      threads_(options_.candidates.front()),
      probe_rates_(options_.candidates.size(), 0.0),
      rates_(options_.candidates.size(), 0.0) {}

std::optional<int> ThreadTuner::Record(double now_seconds, uint64_t updates) {
  if (options_.candidates.size() < 2) return std::nullopt;
  if (!started_) {
    started_ = true;
    return StartWindow(0, now_seconds, updates);
  }
  if (!probing_) {
    if (now_seconds < next_probe_ && !ChosenCountCollapsed(now_seconds, updates)) return std::nullopt;
    probing_ = true;
    return StartWindow(0, now_seconds, updates);
  }
  const double elapsed = now_seconds - window_start_;
  const double rate = static_cast<double>(updates - window_updates_) / std::max(elapsed, 1e-9);
  const double best_so_far =
      probe_index_ == 0 ? 0.0 : *std::max_element(probe_rates_.begin(), probe_rates_.begin() + probe_index_);
  const bool collapsed = elapsed >= options_.probe_seconds / 4 && rate < 0.5 * best_so_far;
  if (elapsed < options_.probe_seconds && !collapsed) return std::nullopt;
  probe_rates_[probe_index_] = rate;
  if (probe_index_ + 1 < options_.candidates.size()) return StartWindow(probe_index_ + 1, now_seconds, updates);
  return Choose(now_seconds, updates);
}

bool ThreadTuner::ChosenCountCollapsed(double now_seconds, uint64_t updates) {
  const double elapsed = now_seconds - window_start_;
  if (elapsed < options_.probe_seconds) return false;
  const double rate = static_cast<double>(updates - window_updates_) / elapsed;
  window_start_ = now_seconds;
  window_updates_ = updates;
  // With the smallest count there is nothing less to fall back to: a slower window is the load's doing.
  if (chosen_index_ == 0 || rate >= 0.5 * chosen_rate()) return false;
  ++early_probes_;
  return true;
}

std::optional<int> ThreadTuner::StartWindow(size_t candidate, double now_seconds, uint64_t updates) {
  probe_index_ = candidate;
  window_start_ = now_seconds;
  window_updates_ = updates;
  if (threads_ == options_.candidates[candidate]) return std::nullopt;
  threads_ = options_.candidates[candidate];
  return threads_;
}

std::optional<int> ThreadTuner::Choose(double now_seconds, uint64_t updates) {
  size_t best = 0;
  for (size_t i = 1; i < probe_rates_.size(); ++i) {
    if (probe_rates_[i] > probe_rates_[best] * options_.margin) best = i;
  }
  rates_ = probe_rates_;
  ++decisions_;
  chosen_index_ = best;
  probing_ = false;
  next_probe_ = now_seconds + options_.reprobe_seconds;
  window_start_ = now_seconds;  // the first window watching the chosen count
  window_updates_ = updates;
  if (threads_ == options_.candidates[best]) return std::nullopt;
  threads_ = options_.candidates[best];
  return threads_;
}

}  // namespace ddpg
