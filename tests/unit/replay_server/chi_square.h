// Test helper: the chi-square goodness-of-fit test of sampling frequencies (transition_store_test.cc,
// prioritized_sampler_test.cc).
#pragma once

#include <cmath>
#include <vector>

namespace ddpg::testing {

// Upper critical value of the chi-square distribution with k degrees of freedom at standard normal quantile
// z, by the Wilson-Hilferty approximation (chi2_k / k is close to normal after a cube root):
//   chi2_{k, 1 - alpha} ~ k * (1 - 2 / (9k) + z * sqrt(2 / (9k)))^3.
// For k = 49 and z = 3.719 (alpha = 1e-4) it gives 94.77; the exact value is 94.60 (the approximation errs
// slightly on the safe side here).
inline double ChiSquareCriticalValue(int k, double z) {
  const double v = 2.0 / (9.0 * k);
  return k * std::pow(1.0 - v + z * std::sqrt(v), 3);
}

// sum over i of (observed_i - expected_i)^2 / expected_i.
inline double ChiSquare(const std::vector<size_t>& observed, const std::vector<double>& expected) {
  double statistic = 0.0;
  for (size_t i = 0; i < observed.size(); ++i) {
    const double difference = static_cast<double>(observed[i]) - expected[i];
    statistic += difference * difference / expected[i];
  }
  return statistic;
}

}  // namespace ddpg::testing
