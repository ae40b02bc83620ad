// MovieLens-Offline-v0: recommending from logged MovieLens ratings, DRR-style (Liu et al. 2018); the state,
// the reward rule and the data are those of envs/recsys/movielens_data.h, docs/recommender.md explains them.
//
// Each episode is one user, drawn uniformly by the environment's generator from the users with at least
// movielens.min_ratings ratings in the chosen split. Each step the action a (d + 1 numbers, in the space of the
// item keys k = [q, b], envs/recsys/item_key.h) recommends the item maximizing k · a among those not yet shown in
// this episode (exact), and with
// movielens.candidates = rated among the items the user rated in the split only. The reward is
// (r - 3) / 2 for the user's rating r of it in the split, 0 for an unrated item; an item rated >= 4 joins the
// history. The episode terminates once every item the user rated in the split was shown (nothing is left to
// earn, so the true value there is 0) and is truncated after movielens.episode_length steps.
//
// All environments of a process with the same options share one MovieLensData. Not thread-safe, like every
// Environment.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "common/config.h"
#include "envs/environment.h"
#include "envs/recsys/movielens_data.h"

namespace ddpg::recsys {

class MovieLensEnv final : public Environment {
 public:
  // FailedPrecondition or InvalidArgument naming the key for unusable options or files.
  static StatusOr<std::unique_ptr<Environment>> Create(const EnvOptions& options);
  explicit MovieLensEnv(std::shared_ptr<const MovieLensData> data);

  // The episode's user (an index into data().users()) and the item rows shown so far, for tests.
  const MovieLensData& data() const { return *data_; }
  size_t user_index() const { return user_index_; }
  const std::vector<int64_t>& shown_items() const { return shown_items_; }

 protected:
  void ResetState(float* observation) override;
  StepResult StepState(const float* action, float* observation) override;

 private:
  std::shared_ptr<const MovieLensData> data_;
  size_t user_index_ = 0;
  std::vector<int64_t> history_;      // positively rated item rows, oldest first
  std::vector<float> rating_of_row_;  // the user's rating of each item row in the split, 0 for none
  std::vector<char> shown_;           // per item row: shown, or not a candidate
  std::vector<int64_t> shown_items_;
  size_t rated_left_ = 0;  // rated items in the split not shown yet
};

}  // namespace ddpg::recsys
