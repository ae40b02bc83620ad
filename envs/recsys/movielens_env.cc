#include "envs/recsys/movielens_env.h"

#include <algorithm>

#include "envs/recsys/movielens_spec.h"

namespace ddpg::recsys {

StatusOr<std::unique_ptr<Environment>> MovieLensEnv::Create(const EnvOptions& options) {
  if (Status valid = ValidateMovielensOptions(options.movielens); !valid.ok()) return valid;
  StatusOr<std::shared_ptr<const MovieLensData>> data = SharedMovieLensData(options.movielens);
  if (!data.ok()) return data.status();
  return std::unique_ptr<Environment>(std::make_unique<MovieLensEnv>(std::move(*data)));
}

MovieLensEnv::MovieLensEnv(std::shared_ptr<const MovieLensData> data)
    : Environment(MovieLensSpec(data->options(), data->embeddings())),
      data_(std::move(data)),
      rating_of_row_(data_->num_items(), 0.0f),
      shown_(data_->num_items(), 0) {}

void MovieLensEnv::ResetState(float* observation) {
  const std::vector<size_t>& eligible = data_->eligible();
  user_index_ = eligible[std::uniform_int_distribution<size_t>(0, eligible.size() - 1)(rng())];
  const UserLog& log = data_->users()[user_index_];
  // With candidates = rated every other item counts as shown from the start.
  const bool rated_only = data_->options().candidates == "rated";
  std::fill(shown_.begin(), shown_.end(), rated_only ? 1 : 0);
  shown_items_.clear();
  std::fill(rating_of_row_.begin(), rating_of_row_.end(), 0.0f);
  rated_left_ = 0;
  for (const LoggedRating& logged : log.part) {
    rated_left_ += rating_of_row_[logged.item_row] == 0.0f;
    rating_of_row_[logged.item_row] = logged.rating;
    shown_[logged.item_row] = 0;
  }
  data_->StateAfter(log, log.before, history_, observation);
}

StepResult MovieLensEnv::StepState(const float* action, float* observation) {
  const UserLog& log = data_->users()[user_index_];
  const int64_t item = data_->BestItem(action, shown_);
  float reward = 0.0f;
  if (item >= 0) {
    shown_[item] = 1;
    shown_items_.push_back(item);
    const float rating = rating_of_row_[item];
    if (rating > 0.0f) {
      reward = RatingReward(rating);
      --rated_left_;
      if (rating >= kPositiveRating) history_.push_back(item);
    }
  }
  data_->State(data_->UserFactors(log.user_row), history_, observation);
  return {reward, rated_left_ == 0 || item < 0, false};
}

}  // namespace ddpg::recsys
