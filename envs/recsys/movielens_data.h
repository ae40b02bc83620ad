// The logged data behind MovieLens-Offline-v0 and its offline transitions: the ratings split per user by time,
// the factorization's user and item factors, and the DRR-ave state both are built from.
//
// State (DRR-ave, Liu et al. 2018, "Deep Reinforcement Learning based Recommendation with Explicit User-Item
// Interactions Modeling"): with p_u the user's factors and m the mean of the item factors q of the user's last
// `history` positively rated items (rating >= 4; m = 0 before the first),
//   s = [p_u, p_u ⊙ m, m]          (3d numbers for factors of dimension d).
// The history runs over the user's whole record in time order: in the test split it starts with the positive
// items of the user's training ratings, in the training split it starts empty.
//
// Reward of recommending an item: (r - 3) / 2 ∈ [-1.25, 1] for the user's rating r of it in the chosen split,
// 0 for an item the user did not rate there (DRR's offline rule: the log says nothing about unrated items).
//
// A loaded MovieLensData is immutable and shared by every environment of a process with the same options
// (SharedMovieLensData); thread-safe to read. Loading blocks on the files (about a second for ml-latest-small).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "common/config.h"
#include "common/status.h"
#include "envs/recsys/factorization_file.h"
#include "envs/recsys/item_key.h"
#include "envs/recsys/ratings.h"

namespace ddpg::recsys {

inline constexpr float kPositiveRating = 4.0f;

inline float RatingReward(float rating) { return (rating - 3.0f) / 2.0f; }

// One logged rating, with the item as its row in the factorization (items it lacks are left out).
struct LoggedRating {
  int64_t item_row = 0;
  float rating = 0;
};

struct UserLog {
  int64_t user = 0;                  // the id in the ratings file
  int64_t user_row = 0;              // its row in the factorization
  std::vector<LoggedRating> before;  // the ratings before the split's part, oldest first (test split: training)
  std::vector<LoggedRating> part;    // the split's ratings, oldest first: the rewards
};

class MovieLensData {
 public:
  // Reads both files, splits the ratings (SplitByUserTime with options.train_fraction) and keeps the users
  // the factorization knows. InvalidArgument naming the key when no user has min_ratings ratings in the split.
  static StatusOr<MovieLensData> Load(const MovielensOptions& options);
  // The same from values (tests).
  static StatusOr<MovieLensData> FromValues(const MovielensOptions& options, std::vector<Rating> ratings,
                                            FactorizationFile embeddings);

  const FactorizationFile& embeddings() const { return embeddings_; }
  int dim() const { return embeddings_.dim; }
  int64_t num_items() const { return static_cast<int64_t>(embeddings_.items.size()); }
  const float* ItemFactors(int64_t row) const { return embeddings_.item_factors.data() + row * dim(); }
  // The item key [q, b] (envs/recsys/item_key.h): what actions address, key_dim() = d + 1 numbers.
  int key_dim() const { return ItemKeyDim(dim()); }
  const float* ItemKey(int64_t row) const { return item_keys_.data() + row * key_dim(); }
  const float* UserFactors(int64_t row) const { return embeddings_.user_factors.data() + row * dim(); }
  int64_t ItemId(int64_t row) const { return embeddings_.items[row]; }
  // Every user the factorization knows with at least one rating in the split, in id order.
  const std::vector<UserLog>& users() const { return users_; }
  // Indices into users() of those with at least min_ratings ratings in the split: the ones episodes draw.
  const std::vector<size_t>& eligible() const { return eligible_; }
  const MovielensOptions& options() const { return options_; }

  // The item row whose key k maximizes k · action among those with shown[row] == 0 (ties: the lowest row); -1
  // when every item was shown. A plain loop over the catalogue: exact, no LibTorch.
  int64_t BestItem(const float* action, const std::vector<char>& shown) const;

  // Writes the DRR-ave state for a user with factors p and positive items `history` (item rows, oldest first;
  // only the last options().history count) into state[0 .. 3d).
  void State(const float* user_factors, const std::vector<int64_t>& history, float* state) const;
  // The state after every rating of `ratings` (oldest first), with `history` left holding their positive items:
  // an episode of the test split starts from the user's training ratings (UserLog::before) this way, and a
  // policy evaluated on the held-out part (recsys evaluate) from the same ratings as the training split's part.
  void StateAfter(const UserLog& log, const std::vector<LoggedRating>& ratings, std::vector<int64_t>& history,
                  float* state) const;

 private:
  MovieLensData() = default;

  MovielensOptions options_;
  FactorizationFile embeddings_;
  std::vector<float> item_keys_;
  std::vector<UserLog> users_;
  std::vector<size_t> eligible_;
};

// The process's data for these options, loaded on first use and shared while any environment holds it.
StatusOr<std::shared_ptr<const MovieLensData>> SharedMovieLensData(const MovielensOptions& options);

// Transitions from the logged training ratings (options.split is ignored: always the training part), per user
// in time order: s_t from the positive items before t, the action k = [q, b] of the logged item (its key), the
// reward RatingReward(r_t), s_{t+1} after adding the item to the history when r_t >= 4. Every discount is gamma,
// the last one of a user included: the log ends there, the user does not (truncation, not termination).
struct OfflineTransitions {
  int obs_dim = 0;
  int act_dim = 0;
  std::vector<float> observations, actions, rewards, discounts, next_observations;
  size_t size() const { return rewards.size(); }
};
StatusOr<OfflineTransitions> MakeOfflineTransitions(const MovielensOptions& options, std::vector<Rating> ratings,
                                                    FactorizationFile embeddings, float gamma);

}  // namespace ddpg::recsys
