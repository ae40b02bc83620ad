// A trained policy as a MovieLens recommender, for `recsys evaluate` and `recsys recommend`: the actor's
// proto-action for a user, and item scores from it that the ranking metrics (envs/recsys/ranking_metrics.h) rank
// exactly as they rank the baselines'.
//
// State: MovieLens-Offline-v0's DRR-ave state after the user's training ratings (MovieLensData::StateAfter), the
// state an episode of the test split starts from. Proto-action: a = mu(s), the checkpoint's online actor, in the
// space of the item keys k_i = [q_i, b_i] (envs/recsys/item_key.h). Scores of the items to be ranked (`rerank`):
//   none    k_i · a
//   critic  Wolpertinger (Dulac-Arnold et al. 2015): the K (`candidates`) items with the largest k_i · a among
//           those to be ranked are re-ranked by the online critic's Q(s, k_i) (TD3: its first critic, the one
//           its actor ascends) and come first; the other items follow by k_i · a. Over the catalogue the K come
//           from the item index over the keys (`index`: exact dot, or approximate knn), asked for K plus the
//           number of items it holds that are not to be ranked (the user's training items), so that K remain
//           after those are left out. Over a user's held-out items (a few dozen) they are the K best by exact k_i · a:
//           with K at least the number of held-out items, the critic orders all of them.
// An item without factors (rated only in the test part) cannot be recommended and ranks last. Equal scores are
// ordered by item id, as everywhere in the metrics.
//
// Create blocks while it computes every user's action and builds the index (a second for ml-latest-small's
// 7,745 items with knn). The scorers are const but run the agent, which is not thread-safe: one thread at a
// time. LibTorch stays behind learner/ddpg.h and envs/recsys/item_index.h.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "envs/recsys/item_index.h"
#include "envs/recsys/movielens_data.h"
#include "learner/ddpg.h"

namespace ddpg::recsys {

enum class Rerank { kNone, kCritic };

// "none" or "critic"; InvalidArgument naming both otherwise.
StatusOr<Rerank> ParseRerank(const std::string& name);

struct PolicyRecommenderOptions {
  Rerank rerank = Rerank::kNone;
  size_t candidates = 100;  // K
  ItemIndexKind index = ItemIndexKind::kExact;
};

class PolicyRecommender {
 public:
  // `data` loaded with split = train (its users' `part` is their training ratings, oldest first); `agent` from a
  // checkpoint. InvalidArgument when the agent's networks do not take the factorization's sizes (observations
  // of 3d numbers, actions of d + 1: a checkpoint from before actions gained the item bias has d) or K is 0.
  static StatusOr<std::unique_ptr<PolicyRecommender>> Create(std::shared_ptr<const MovieLensData> data,
                                                             std::unique_ptr<DdpgAgent> agent,
                                                             const PolicyRecommenderOptions& options);

  // Whether the user has training ratings the factorization knows (every other method needs one).
  bool Knows(int64_t user) const { return users_.count(user) != 0; }
  // The user's state and proto-action.
  const std::vector<float>& State(int64_t user) const { return users_.at(user).state; }
  const std::vector<float>& ProtoAction(int64_t user) const { return users_.at(user).action; }

  // ItemScorers (ranking_metrics.h) for the two protocols: `items` are a user's held-out items, or the items
  // the user has no training rating of. Scores are only good for ordering (with re-ranking they are minus the
  // rank). A user the policy does not know gets the lowest score for every item.
  void ScoreHeldOut(int64_t user, const std::vector<int64_t>& items, std::vector<float>& scores) const;
  void ScoreCatalogue(int64_t user, const std::vector<int64_t>& items, std::vector<float>& scores) const;

  // The k best items (ids) over the catalogue less the user's training items, best first: what
  // ScoreCatalogue's ranking puts on top.
  std::vector<int64_t> Recommend(int64_t user, size_t k) const;

  const PolicyRecommenderOptions& options() const { return options_; }

 private:
  struct UserPolicy {
    std::vector<float> state, action;
    size_t log = 0;  // index into data_->users()
  };

  PolicyRecommender() = default;
  void Score(int64_t user, const std::vector<int64_t>& items, bool candidates_from_index,
             std::vector<float>& scores) const;

  std::shared_ptr<const MovieLensData> data_;
  std::unique_ptr<DdpgAgent> agent_;
  std::unique_ptr<ItemIndex> index_;
  PolicyRecommenderOptions options_;
  std::unordered_map<int64_t, int64_t> item_row_;  // item id -> factor row
  std::unordered_map<int64_t, UserPolicy> users_;
};

}  // namespace ddpg::recsys
