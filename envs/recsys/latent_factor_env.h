// RecSim-LatentFactor-v0: a synthetic recommender (docs/recommender.md, "The simulator", has the equations).
//
// Each episode is one new user with a hidden unit preference vector u, drawn near a popular item: u0 =
// normalize(e_j + g) with j drawn by popularity (Catalogue::SamplePopular) and g ~ N(0, I / d). Each step the
// action a (key_dim numbers, clipped to [-1, 1]) recommends the item i maximizing key_i . a, never one
// already recommended this episode when recsim.exclude_recommended is set. The user responds with
//   r = clip(sigmoid(affinity_scale * u . e_i + popularity_weight * rho_i) + noise * N(0, 1), 0, 1)
// which is the reward; then u drifts: u = normalize(u + drift * g'), g' ~ N(0, I / d). Episodes never
// terminate; they are truncated after recsim.episode_length recommendations.
//
// The observation is what a recommender sees, never u: with t recommendations so far (keys k_1..k_t,
// responses r_1..r_t), the means over the episode of r_s * k_s and of k_s, the last key k_t, the last
// response r_t, the mean response and t / episode_length; all zero before the first recommendation.
// 3 * key_dim + 3 numbers. The response-weighted and plain means together let a policy estimate u (the
// liked directions minus the tried ones); the last key and response give it the latest evidence.
//
// All environments of a process with the same catalogue options share one Catalogue (SharedCatalogue).
// Not thread-safe, like every Environment; the shared catalogue is immutable.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "common/config.h"
#include "envs/environment.h"
#include "envs/recsys/catalogue.h"

namespace ddpg::recsys {

class LatentFactorEnv final : public Environment {
 public:
  // InvalidArgument naming the key for options out of range; the catalogue comes from SharedCatalogue.
  static StatusOr<std::unique_ptr<Environment>> Create(const EnvOptions& options);
  // On a given catalogue (tests, hand-made ones): catalogue_size, embedding_dim and zipf_exponent are the
  // catalogue's, the other options are used as given.
  LatentFactorEnv(const RecsimOptions& options, std::shared_ptr<const Catalogue> catalogue);

  const std::shared_ptr<const Catalogue>& catalogue() const { return catalogue_; }

  // Hidden state, for the oracle baseline and tests; a policy never sees it.
  const std::vector<float>& preference() const { return preference_; }
  // The expected response to an item under the current preference (the sigmoid, before noise).
  double ExpectedResponse(int64_t item) const;
  // The action whose best item maximizes ExpectedResponse: (affinity_scale * u, popularity_weight), scaled
  // into [-1, 1] (a positive scale keeps the maximizer).
  void OracleAction(float* action) const;
  // The item the last Step recommended (-1 before the first).
  int64_t last_item() const { return last_item_; }
  const std::vector<int64_t>& recommended() const { return recommended_; }

 protected:
  void ResetState(float* observation) override;
  StepResult StepState(const float* action, float* observation) override;

 private:
  double Logit(int64_t item) const;
  void RandomDirection(std::vector<float>& out);
  void Observe(float* observation) const;

  RecsimOptions options_;
  std::shared_ptr<const Catalogue> catalogue_;
  std::vector<float> preference_;
  std::vector<int64_t> recommended_;
  int64_t last_item_ = -1;
  // Running sums over the episode, for the observation.
  std::vector<double> weighted_key_sum_, key_sum_;
  std::vector<float> last_key_;
  float last_response_ = 0.0f;
  double response_sum_ = 0.0;
  // Scratch, kept to avoid allocating per step.
  std::vector<float> clipped_action_, noise_;
};

}  // namespace ddpg::recsys
