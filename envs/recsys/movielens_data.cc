#include "envs/recsys/movielens_data.h"

#include <algorithm>
#include <limits>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <unordered_map>

namespace ddpg::recsys {

StatusOr<MovieLensData> MovieLensData::Load(const MovielensOptions& options) {
  StatusOr<std::vector<Rating>> ratings = LoadRatings(options.ratings);
  if (!ratings.ok()) return FailedPrecondition("movielens.ratings: " + ratings.status().message());
  StatusOr<FactorizationFile> embeddings = LoadFactorizationFile(options.embeddings);
  if (!embeddings.ok()) return FailedPrecondition("movielens.embeddings: " + embeddings.status().message());
  return FromValues(options, std::move(*ratings), std::move(*embeddings));
}

StatusOr<MovieLensData> MovieLensData::FromValues(const MovielensOptions& options, std::vector<Rating> ratings,
                                                  FactorizationFile embeddings) {
  StatusOr<RatingsSplit> split = SplitByUserTime(std::move(ratings), options.train_fraction);
  if (!split.ok()) return split.status();
  MovieLensData data;
  data.options_ = options;
  data.embeddings_ = std::move(embeddings);
  data.item_keys_ = ItemKeys(data.embeddings_);
  std::unordered_map<int64_t, int64_t> user_row, item_row;
  for (size_t row = 0; row < data.embeddings_.users.size(); ++row) user_row.emplace(data.embeddings_.users[row], row);
  for (size_t row = 0; row < data.embeddings_.items.size(); ++row) item_row.emplace(data.embeddings_.items[row], row);

  // Both parts are ordered by (user, timestamp, item), so each user's ratings come out oldest first.
  const bool test = options.split == "test";
  std::map<int64_t, UserLog> logs;
  const auto add = [&](const std::vector<Rating>& ratings, bool in_part) {
    for (const Rating& rating : ratings) {
      const auto user = user_row.find(rating.user);
      const auto item = item_row.find(rating.item);
      if (user == user_row.end() || item == item_row.end()) continue;
      UserLog& log = logs[rating.user];
      log.user = rating.user;
      log.user_row = user->second;
      (in_part ? log.part : log.before).push_back({item->second, rating.rating});
    }
  };
  if (test) add(split->train, false);
  add(test ? split->test : split->train, true);
  for (auto& [user, log] : logs) {
    if (log.part.empty()) continue;
    if (static_cast<int>(log.part.size()) >= options.min_ratings) data.eligible_.push_back(data.users_.size());
    data.users_.push_back(std::move(log));
  }
  if (data.eligible_.empty()) {
    return InvalidArgument("movielens.min_ratings = " + std::to_string(options.min_ratings) +
                           ": no user the factorization knows has that many ratings in the " + options.split +
                           " split");
  }
  return data;
}

int64_t MovieLensData::BestItem(const float* action, const std::vector<char>& shown) const {
  const int key_dim = this->key_dim();
  int64_t best = -1;
  float best_score = -std::numeric_limits<float>::infinity();
  for (int64_t row = 0; row < num_items(); ++row) {
    if (shown[row]) continue;
    const float* key = ItemKey(row);
    float score = 0.0f;
    for (int j = 0; j < key_dim; ++j) score += key[j] * action[j];
    if (best < 0 || score > best_score) {
      best = row;
      best_score = score;
    }
  }
  return best;
}

void MovieLensData::State(const float* user_factors, const std::vector<int64_t>& history, float* state) const {
  const int d = dim();
  const size_t count = std::min(history.size(), static_cast<size_t>(options_.history));
  float* mean = state + 2 * d;
  std::fill(mean, mean + d, 0.0f);
  for (size_t k = history.size() - count; k < history.size(); ++k) {
    const float* q = ItemFactors(history[k]);
    for (int j = 0; j < d; ++j) mean[j] += q[j];
  }
  if (count > 0) {
    for (int j = 0; j < d; ++j) mean[j] /= static_cast<float>(count);
  }
  for (int j = 0; j < d; ++j) {
    state[j] = user_factors[j];
    state[d + j] = user_factors[j] * mean[j];
  }
}

void MovieLensData::StateAfter(const UserLog& log, const std::vector<LoggedRating>& ratings,
                               std::vector<int64_t>& history, float* state) const {
  history.clear();
  for (const LoggedRating& logged : ratings) {
    if (logged.rating >= kPositiveRating) history.push_back(logged.item_row);
  }
  State(UserFactors(log.user_row), history, state);
}

StatusOr<std::shared_ptr<const MovieLensData>> SharedMovieLensData(const MovielensOptions& options) {
  using CacheKey = std::tuple<std::string, std::string, std::string, double, int, int>;
  static std::mutex mutex;
  static std::map<CacheKey, std::weak_ptr<const MovieLensData>> cache;
  const CacheKey key{options.ratings,        options.embeddings, options.split,
                     options.train_fraction, options.history,    options.min_ratings};
  std::lock_guard<std::mutex> lock(mutex);
  if (auto shared = cache[key].lock()) return shared;
  StatusOr<MovieLensData> data = MovieLensData::Load(options);
  if (!data.ok()) return data.status();
  auto shared = std::make_shared<const MovieLensData>(std::move(*data));
  cache[key] = shared;
  return shared;
}

StatusOr<OfflineTransitions> MakeOfflineTransitions(const MovielensOptions& options, std::vector<Rating> ratings,
                                                    FactorizationFile embeddings, float gamma) {
  MovielensOptions training = options;
  training.split = "train";
  training.min_ratings = 1;
  StatusOr<MovieLensData> data = MovieLensData::FromValues(training, std::move(ratings), std::move(embeddings));
  if (!data.ok()) return data.status();
  const int d = data->dim();
  OfflineTransitions out;
  out.obs_dim = 3 * d;
  out.act_dim = data->key_dim();
  std::vector<float> state(out.obs_dim);
  std::vector<int64_t> history;
  for (const UserLog& log : data->users()) {
    const float* p = data->UserFactors(log.user_row);
    history.clear();
    data->State(p, history, state.data());
    for (const LoggedRating& logged : log.part) {
      out.observations.insert(out.observations.end(), state.begin(), state.end());
      const float* key = data->ItemKey(logged.item_row);
      out.actions.insert(out.actions.end(), key, key + out.act_dim);
      out.rewards.push_back(RatingReward(logged.rating));
      out.discounts.push_back(gamma);
      if (logged.rating >= kPositiveRating) history.push_back(logged.item_row);
      data->State(p, history, state.data());
      out.next_observations.insert(out.next_observations.end(), state.begin(), state.end());
    }
  }
  return out;
}

}  // namespace ddpg::recsys
