// Biased matrix factorization (envs/recsys/matrix_factorization.h): its prediction formula, its fit to a
// known low-rank model, and its file.
#include "envs/recsys/matrix_factorization.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include <unistd.h>

using ddpg::recsys::Factorization;
using ddpg::recsys::FactorizationOptions;
using ddpg::recsys::Rating;

namespace {

std::string TempPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() / (name + "-" + std::to_string(getpid()))).string();
}

std::string Write(const std::string& name, const std::string& text) {
  const std::string path = TempPath(name);
  std::ofstream(path) << text;
  return path;
}

// Ratings of 60 users on 40 items from a known model: mean 3, biases, rank-2 factors, a little noise.
struct Synthetic {
  std::vector<Rating> observed, held_out;
};

Synthetic MakeSynthetic() {
  std::mt19937_64 rng(7);
  std::normal_distribution<float> normal;
  std::uniform_real_distribution<float> uniform;
  std::vector<float> p(60 * 2), q(40 * 2), bu(60), bi(40);
  for (float& v : p) v = normal(rng);
  for (float& v : q) v = normal(rng);
  for (float& v : bu) v = 0.3f * normal(rng);
  for (float& v : bi) v = 0.3f * normal(rng);
  Synthetic data;
  for (int64_t u = 0; u < 60; ++u) {
    for (int64_t i = 0; i < 40; ++i) {
      const float r = 3 + bu[u] + bi[i] + p[u * 2] * q[i * 2] + p[u * 2 + 1] * q[i * 2 + 1] + 0.05f * normal(rng);
      (uniform(rng) < 0.7f ? data.observed : data.held_out).push_back({100 + u, 500 + i, r, 0});
    }
  }
  return data;
}

}  // namespace

TEST_CASE("a factorization predicts mean plus user and item biases plus the factors' inner product") {
  // dim 2, mean 3.5; user 7: bias 0.25, factors (1, 2); item 9: bias -0.5, factors (0.5, -1).
  const std::string path = Write("mf-formula", "ddpg-factorization 1 2 3.5 1 1\nu 7 0.25 1 2\ni 9 -0.5 0.5 -1\n");
  auto model = Factorization::Load(path);
  std::filesystem::remove(path);
  REQUIRE(model.ok());
  CHECK(model->Predict(7, 9) == Approx(3.5 + 0.25 - 0.5 + (0.5 - 2.0)));
  CHECK(model->Predict(8, 9) == Approx(3.5 - 0.5));    // an unknown user: the item's bias only
  CHECK(model->Predict(7, 10) == Approx(3.5 + 0.25));  // an unknown item: the user's bias only
  CHECK(model->Predict(8, 10) == Approx(3.5));
  CHECK(model->ItemRow(9) == 0);
  CHECK(model->ItemRow(10) == -1);
  REQUIRE(model->UserFactors(7) != nullptr);
  CHECK(model->UserFactors(7)[1] == 2.0f);
}

TEST_CASE("a factorization fitted to a rank-2 model predicts its held-out ratings") {
  const Synthetic data = MakeSynthetic();
  FactorizationOptions options;
  options.dim = 4;
  options.regularization = 0.001;
  auto model = Factorization::Fit(data.observed, options);
  REQUIRE(model.ok());
  double mean = 0;
  for (const Rating& r : data.observed) mean += r.rating;
  mean /= static_cast<double>(data.observed.size());
  double mean_only = 0;
  for (const Rating& r : data.held_out) mean_only += (r.rating - mean) * (r.rating - mean);
  mean_only = std::sqrt(mean_only / static_cast<double>(data.held_out.size()));
  const double held_out = model->Rmse(data.held_out);
  INFO("held-out RMSE " << held_out << " against " << mean_only << " for the mean");
  CHECK(model->global_mean() == Approx(mean).epsilon(1e-4));
  CHECK(model->Rmse(data.observed) < 0.15);
  CHECK(held_out < 0.25 * mean_only);
  CHECK(model->item_factors().size() == 40);
  CHECK(model->item_factors().dim == 4);

  // Regularized hard, the factors and biases shrink to nothing: every prediction is the mean.
  options.regularization = 1000;
  auto shrunk = Factorization::Fit(data.observed, options);
  REQUIRE(shrunk.ok());
  CHECK(shrunk->Predict(100, 500) == Approx(mean).margin(0.05));
  CHECK(shrunk->Predict(159, 539) == Approx(mean).margin(0.05));
}

TEST_CASE("a saved factorization loads with the same predictions") {
  FactorizationOptions options;
  options.dim = 3;
  options.epochs = 20;
  auto model = Factorization::Fit(MakeSynthetic().observed, options);
  REQUIRE(model.ok());
  const std::string path = TempPath("mf-roundtrip");
  REQUIRE(model->Save(path).ok());
  auto loaded = Factorization::Load(path);
  std::filesystem::remove(path);
  REQUIRE(loaded.ok());
  for (int64_t u : {100, 130, 159}) {
    for (int64_t i : {500, 520, 539}) CHECK(loaded->Predict(u, i) == model->Predict(u, i));
  }
  CHECK(loaded->items() == model->items());
  CHECK(loaded->item_factors().values == model->item_factors().values);
}

TEST_CASE("a malformed factorization file is refused naming the line") {
  const auto error_of = [](const std::string& text) {
    const std::string path = Write("mf-bad", text);
    auto model = Factorization::Load(path);
    std::filesystem::remove(path);
    REQUIRE_FALSE(model.ok());
    return model.status().message().substr(model.status().message().find(':') + 1);
  };
  CHECK(error_of("hello\n").find("1: not a factorization file") == 0);
  CHECK(error_of("ddpg-factorization 2 2 3.5 0 0\n") == "1: format version 2, expected 1");
  CHECK(error_of("ddpg-factorization 1 2 3.5 1 0\nu 7 0.25 1\n") == "2: factor 2 is missing or not finite");
  CHECK(error_of("ddpg-factorization 1 2 3.5 1 0\nu 7 0.25 1 2 3\n") == "2: more than 2 factors");
  CHECK(error_of("ddpg-factorization 1 2 3.5 2 0\nu 7 0.25 1 2\nu 7 0.25 1 2\n") == "3: id 7 appears twice");
  CHECK(error_of("ddpg-factorization 1 2 3.5 2 0\nu 7 0.25 1 2\n").find("announces 2 users") != std::string::npos);
  CHECK(Factorization::Load("/nonexistent/mf.txt").status().code() == ddpg::StatusCode::kNotFound);
  CHECK_FALSE(Factorization::Fit({}, {}).ok());
}
