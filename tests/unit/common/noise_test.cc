// Tests of exploration noise (common/noise.h).
#include <catch2/catch.hpp>

#include <cmath>
#include <memory>
#include <random>
#include <vector>

#include "common/noise.h"

namespace ddpg {
namespace {

struct Moments {
  double mean = 0.0;
  double stddev = 0.0;
};

// Moments of every `stride`-th value starting at `offset`.
Moments Measure(const std::vector<float>& values, size_t offset, size_t stride) {
  double sum = 0.0, sum2 = 0.0;
  size_t n = 0;
  for (size_t i = offset; i < values.size(); i += stride, ++n) {
    sum += values[i];
    sum2 += static_cast<double>(values[i]) * values[i];
  }
  const double mean = sum / n;
  return {mean, std::sqrt(sum2 / n - mean * mean)};
}

TEST_CASE("Gaussian noise of scale sigma has mean 0 and standard deviation sigma", "[noise]") {
  for (float sigma : {0.05f, 0.3f, 2.0f}) {
    INFO("sigma " << sigma);
    GaussianNoise noise({sigma}, 11);
    std::vector<float> actions(200000, 0.0f);
    noise.AddTo(actions);
    const Moments m = Measure(actions, 0, 1);
    REQUIRE(m.mean == Approx(0.0).margin(0.02 * sigma));
    REQUIRE(m.stddev == Approx(sigma).epsilon(0.02));
  }
}

TEST_CASE("Gaussian noise is added to the actions and does not overwrite them", "[noise]") {
  GaussianNoise noise({0.1f}, 5);
  std::vector<float> actions(100000, 1.5f);
  noise.AddTo(actions);
  const Moments m = Measure(actions, 0, 1);
  REQUIRE(m.mean == Approx(1.5).margin(0.005));
  REQUIRE(m.stddev == Approx(0.1).epsilon(0.03));
}

TEST_CASE("Gaussian noise respects a per-dimension sigma", "[noise]") {
  // 3 action dimensions, 50000 environments: actions[i * 3 + d] gets sigma[d].
  const std::vector<float> sigma = {0.1f, 1.0f, 0.0f};
  GaussianNoise noise(sigma, 3);
  std::vector<float> actions(3 * 50000, 0.0f);
  noise.AddTo(actions);
  const Moments d0 = Measure(actions, 0, 3);
  const Moments d1 = Measure(actions, 1, 3);
  REQUIRE(d0.stddev == Approx(0.1).epsilon(0.03));
  REQUIRE(d1.stddev == Approx(1.0).epsilon(0.03));
  REQUIRE(d0.mean == Approx(0.0).margin(0.003));
  REQUIRE(d1.mean == Approx(0.0).margin(0.03));
  for (size_t i = 2; i < actions.size(); i += 3) REQUIRE(actions[i] == 0.0f);
}

TEST_CASE("Gaussian noise with the same seed repeats and another seed differs", "[noise]") {
  GaussianNoise a({0.3f, 0.2f}, 42), b({0.3f, 0.2f}, 42), c({0.3f, 0.2f}, 43);
  std::vector<float> xa(64, 0.0f), xb(64, 0.0f), xc(64, 0.0f);
  for (int round = 0; round < 3; ++round) {
    std::fill(xa.begin(), xa.end(), 0.0f);
    std::fill(xb.begin(), xb.end(), 0.0f);
    std::fill(xc.begin(), xc.end(), 0.0f);
    a.AddTo(xa);
    b.AddTo(xb);
    c.AddTo(xc);
    REQUIRE(xa == xb);
    REQUIRE(xa != xc);
  }
}

// The OU update x' = x + theta * (0 - x) * dt + sigma * sqrt(dt) * N(0, 1), replayed with the same
// generator the implementation uses.
TEST_CASE("OU noise follows dx = -theta x dt + sigma sqrt(dt) N with N standard normal", "[noise]") {
  const float sigma = 0.4f;
  const double theta = 0.15;
  const uint64_t seed = 1234;
  OrnsteinUhlenbeckNoise noise({sigma}, theta, /*num_envs=*/2, seed);
  REQUIRE(noise.state() == std::vector<float>{0.0f, 0.0f});

  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  const double dt = 0.01;
  std::vector<double> x = {0.0, 0.0};
  for (int step = 0; step < 500; ++step) {
    std::vector<float> actions = {0.25f, -0.5f};
    noise.AddTo(actions);
    for (size_t i = 0; i < 2; ++i) {
      x[i] = x[i] - theta * x[i] * dt + sigma * std::sqrt(dt) * normal(rng);
      INFO("step " << step << " env " << i);
      REQUIRE(noise.state()[i] == Approx(x[i]).margin(1e-4));
    }
    // The action gets the new state added.
    REQUIRE(actions[0] == Approx(0.25f + noise.state()[0]).margin(1e-6));
    REQUIRE(actions[1] == Approx(-0.5f + noise.state()[1]).margin(1e-6));
  }
}

TEST_CASE("OU noise reverts to the mean: a state difference decays by (1 - theta dt) per step", "[noise]") {
  // Two processes with the same seed draw the same normals; resetting one makes their states differ by
  // d, and from then on d' = d (1 - theta dt) exactly: the noise cancels, only mean reversion remains.
  const double theta = 2.0;
  OrnsteinUhlenbeckNoise a({0.5f}, theta, 1, 77), b({0.5f}, theta, 1, 77);
  std::vector<float> scratch_a(1), scratch_b(1);
  for (int i = 0; i < 100; ++i) {
    a.AddTo(scratch_a);
    b.AddTo(scratch_b);
  }
  REQUIRE(a.state()[0] == b.state()[0]);
  REQUIRE(std::abs(a.state()[0]) > 0.01f);
  b.ResetEnv(0);
  REQUIRE(b.state()[0] == 0.0f);
  const double d0 = a.state()[0] - b.state()[0];
  double d = d0;
  for (int step = 0; step < 200; ++step) {
    a.AddTo(scratch_a);
    b.AddTo(scratch_b);
    d *= 1.0 - theta * 0.01;
    INFO("step " << step);
    REQUIRE(static_cast<double>(a.state()[0]) - b.state()[0] == Approx(d).margin(1e-5));
  }
  // After 200 steps of 2% decay only 1.8% of the initial difference remains.
  REQUIRE(std::abs(a.state()[0] - b.state()[0]) < 0.02 * std::abs(d0));
}

TEST_CASE("OU noise with sigma 0 stays at its mean", "[noise]") {
  OrnsteinUhlenbeckNoise noise({0.0f, 0.0f}, 0.15, 3, 9);
  std::vector<float> actions = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f};
  const std::vector<float> original = actions;
  for (int i = 0; i < 10; ++i) noise.AddTo(actions);
  REQUIRE(actions == original);
  REQUIRE(noise.state() == std::vector<float>(6, 0.0f));
}

TEST_CASE("OU ResetEnv zeroes only that environment's state", "[noise]") {
  // 3 environments x 2 action dimensions.
  OrnsteinUhlenbeckNoise noise({0.3f, 0.6f}, 0.15, 3, 21);
  std::vector<float> actions(6, 0.0f);
  for (int i = 0; i < 20; ++i) noise.AddTo(actions);
  const std::vector<float> before = noise.state();
  REQUIRE(before.size() == 6);
  for (float v : before) REQUIRE(v != 0.0f);
  noise.ResetEnv(1);
  const std::vector<float>& after = noise.state();
  REQUIRE(after[0] == before[0]);
  REQUIRE(after[1] == before[1]);
  REQUIRE(after[2] == 0.0f);
  REQUIRE(after[3] == 0.0f);
  REQUIRE(after[4] == before[4]);
  REQUIRE(after[5] == before[5]);
}

TEST_CASE("OU noise with the same seed gives the same sequence", "[noise]") {
  OrnsteinUhlenbeckNoise a({0.2f}, 0.15, 4, 555), b({0.2f}, 0.15, 4, 555), c({0.2f}, 0.15, 4, 556);
  for (int step = 0; step < 50; ++step) {
    std::vector<float> xa(4, 0.0f), xb(4, 0.0f), xc(4, 0.0f);
    a.AddTo(xa);
    b.AddTo(xb);
    c.AddTo(xc);
    REQUIRE(xa == xb);
    REQUIRE(a.state() == b.state());
    REQUIRE(xa != xc);
  }
}

TEST_CASE("OU noise is temporally correlated while Gaussian noise is not", "[noise]") {
  auto lag1 = [](ExplorationNoise& noise) {
    std::vector<double> series;
    for (int i = 0; i < 20000; ++i) {
      std::vector<float> a(1, 0.0f);
      noise.AddTo(a);
      series.push_back(a[0]);
    }
    double mean = 0;
    for (double v : series) mean += v;
    mean /= series.size();
    double num = 0, den = 0;
    for (size_t i = 0; i + 1 < series.size(); ++i) num += (series[i] - mean) * (series[i + 1] - mean);
    for (double v : series) den += (v - mean) * (v - mean);
    return num / den;
  };
  OrnsteinUhlenbeckNoise ou({0.3f}, 0.15, 1, 1);
  GaussianNoise gaussian({0.3f}, 1);
  REQUIRE(lag1(ou) > 0.9);
  REQUIRE(std::abs(lag1(gaussian)) < 0.05);
}

TEST_CASE("MakeNoise builds the kind it is asked for", "[noise]") {
  auto gaussian = MakeNoise(NoiseKind::kGaussian, {0.2f}, 0.15, 2, 1);
  REQUIRE(dynamic_cast<GaussianNoise*>(gaussian.get()) != nullptr);
  auto ou = MakeNoise(NoiseKind::kOrnsteinUhlenbeck, {0.2f}, 0.15, 2, 1);
  auto* ou_noise = dynamic_cast<OrnsteinUhlenbeckNoise*>(ou.get());
  REQUIRE(ou_noise != nullptr);
  REQUIRE(ou_noise->state().size() == 2);
}

}  // namespace
}  // namespace ddpg
