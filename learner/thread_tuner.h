// ThreadTuner: picks the learner's LibTorch intra-op thread count by measuring it (learner.threads = auto).
//
// Whether a second thread helps depends on what else runs on the machine: alone, two threads of the
// default (spinning) OpenMP policy make ~1.4x the updates of one; beside busy actors on the same cores
// they can collapse a hundredfold (docs/performance.md). No rule from the core count gets both right, so
// the tuner measures: it runs each candidate count for probe_seconds, keeps the fastest (a larger count
// only when it beats the smaller by `margin`), and probes again every reprobe_seconds, as the load
// changes. A probe whose rate falls below half the best measured so far ends early, so a collapse costs
// a fraction of a probe. Between probes it keeps measuring in windows of probe_seconds: when more than
// one thread was chosen and a window's rate falls below half of what that count measured, it probes at
// once rather than waiting out reprobe_seconds (a collapse that started after the choice, when another
// process took a core, would otherwise cost up to two minutes at a tenth of the speed). The rate is
// updates per second of wall time, what the run gets from a choice: a learner waiting for batches measures
// the same for every count and keeps the smallest.
//
// Ownership: plain value; the caller applies the counts it returns (SetTorchIntraOpThreads). Blocking:
// never. Thread-safety: not thread-safe; owned by the learner thread.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace ddpg {

class ThreadTuner {
 public:
  struct Options {
    std::vector<int> candidates = {1, 2};  // ascending; the first is where it starts
    double probe_seconds = 3.0;
    double reprobe_seconds = 120.0;
    double margin = 1.05;
  };
  // The candidates for a machine with `cores` cores: 1, 2, 4, ... up to min(cores, 8).
  static std::vector<int> CandidatesFor(unsigned cores);

  explicit ThreadTuner(Options options);

  int threads() const { return threads_; }
  const Options& options() const { return options_; }
  // How many probes have ended with a choice; the last choice.
  int decisions() const { return decisions_; }
  int chosen() const { return options_.candidates[chosen_index_]; }
  // The updates/s the chosen count measured in its probe.
  double chosen_rate() const { return rates_[chosen_index_]; }
  // How many probes started early, because the rate of a chosen count above the smallest collapsed.
  int early_probes() const { return early_probes_; }
  // Called after updates, with the seconds of a steady clock and the learner's update count. Returns the
  // thread count to switch to when it changes.
  std::optional<int> Record(double now_seconds, uint64_t updates);
  // The updates/s measured for each candidate in the last complete probe (0 where not measured).
  const std::vector<double>& rates() const { return rates_; }

 private:
  std::optional<int> StartWindow(size_t candidate, double now_seconds, uint64_t updates);
  std::optional<int> Choose(double now_seconds, uint64_t updates);
  // Between probes: whether the window that ends now ran below half the chosen count's measured rate.
  bool ChosenCountCollapsed(double now_seconds, uint64_t updates);

  Options options_;
  int threads_;
  int decisions_ = 0;
  size_t chosen_index_ = 0;
  int early_probes_ = 0;
  bool probing_ = true;
  bool started_ = false;
  size_t probe_index_ = 0;
  double window_start_ = 0.0;
  uint64_t window_updates_ = 0;
  double next_probe_ = 0.0;
  std::vector<double> probe_rates_;
  std::vector<double> rates_;
};

}  // namespace ddpg
