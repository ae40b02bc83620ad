#include "replay_server/prioritized_sampler.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>

namespace ddpg {

PrioritizedSampler::PrioritizedSampler(size_t capacity, const PriorityOptions& options)
    : options_(options), tree_(capacity), priorities_(capacity, 0.0f) {}

void PrioritizedSampler::OnWrite(size_t slot) {
  priorities_[slot] = static_cast<float>(max_priority_);
  tree_.Set(slot, max_leaf_);
}

void PrioritizedSampler::SetPriorities(const std::vector<uint64_t>& slots, const std::vector<double>& priorities) {
  assert(slots.size() == priorities.size());
  leaves_.resize(slots.size());
  for (size_t i = 0; i < slots.size(); ++i) {
    assert(std::isfinite(priorities[i]) && priorities[i] >= 0.0 && priorities[i] <= kMaxPriority);
    const double p = priorities[i] + options_.epsilon;
    priorities_[slots[i]] = static_cast<float>(p);
    leaves_[i] = std::pow(p, options_.alpha);
    if (p > max_priority_) {
      max_priority_ = p;
      max_leaf_ = leaves_[i];
    }
  }
  tree_.SetMany(slots.data(), leaves_.data(), slots.size());
}

void PrioritizedSampler::Restore(double max_priority, uint64_t batches, const std::vector<uint64_t>& slots,
                                 const std::vector<float>& priorities) {
  assert(slots.size() == priorities.size());
  assert(std::isfinite(max_priority) && max_priority > 0.0);
  batches_ = batches;
  max_priority_ = max_priority;
  leaves_.resize(slots.size());
  for (size_t i = 0; i < slots.size(); ++i) {
    const double p = priorities[i];
    assert(std::isfinite(p) && p > 0.0);
    priorities_[slots[i]] = priorities[i];
    leaves_[i] = std::pow(p, options_.alpha);
    max_priority_ = std::max(max_priority_, p);
  }
  max_leaf_ = std::pow(max_priority_, options_.alpha);
  tree_.SetMany(slots.data(), leaves_.data(), slots.size());
}

double PrioritizedSampler::beta() const {
  const double progress = std::min(1.0, static_cast<double>(batches_) / static_cast<double>(options_.beta_steps));
  return options_.beta + (1.0 - options_.beta) * progress;
}

void PrioritizedSampler::Sample(size_t n, size_t stored, std::mt19937_64& rng, std::vector<uint64_t>& slots,
                                std::vector<float>& weights) {
  assert(stored > 0 && tree_.total() > 0.0);
  slots.resize(n);
  weights.resize(n);
  const double total = tree_.total();
  const double segment = total / static_cast<double>(n);
  std::uniform_real_distribution<double> within(0.0, 1.0);
  // log w_i = -beta * (log N + log p_i^alpha - log total); the logarithms keep a tiny P(i) (which could
  // round to 0 as a ratio) from making a weight infinite.
  const double beta = this->beta();
  const double log_n_over_total = std::log(static_cast<double>(stored)) - std::log(total);
  double largest_log_weight = -std::numeric_limits<double>::infinity();
  masses_.resize(n);
  for (size_t j = 0; j < n; ++j) masses_[j] = (static_cast<double>(j) + within(rng)) * segment;
  tree_.FindMany(masses_.data(), n, slots.data());
  log_weights_.resize(n);
  for (size_t j = 0; j < n; ++j) {
    log_weights_[j] = -beta * (log_n_over_total + std::log(tree_.Get(slots[j])));
    largest_log_weight = std::max(largest_log_weight, log_weights_[j]);
  }
  for (size_t j = 0; j < n; ++j) weights[j] = static_cast<float>(std::exp(log_weights_[j] - largest_log_weight));
  ++batches_;
}

double PrioritizedSampler::MeanPriority(size_t stored) const {
  if (stored == 0) return 0.0;
  double sum = 0.0;
  for (size_t slot = 0; slot < stored; ++slot) sum += priorities_[slot];
  return sum / static_cast<double>(stored);
}

}  // namespace ddpg
