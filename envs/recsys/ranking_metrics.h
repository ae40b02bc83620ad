// How good a recommender's rankings are, measured on held-out ratings the same way for every method (the
// DDPG policy and the baselines), so that their figures compare.
//
// Binary relevance: a held-out rating of at least kRelevantRating is relevant. Two protocols:
//   held-out ranking (DRR's, Liu et al. 2018): each test user's held-out items are ranked among themselves;
//     Precision@k = relevant items in the top k / k, NDCG@k = DCG@k / ideal DCG@k with
//     DCG@k = sum over ranks i = 1..k of rel_i / log2(i + 1). Users with no relevant held-out item count
//     with 0 for both (nothing could be ranked well).
//   full-catalogue ranking: every item the user has no training rating of is ranked; HR@10 = 1 when a
//     relevant held-out item is in the top 10, NDCG@10 as above. Users with no relevant held-out item are
//     left out (no hit is possible).
// Ties in score are broken by item id (lower first), so a constant scorer gives a fixed, not a lucky, order.
//
// Plain functions; the scorer is called from the calling thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <unordered_set>
#include <vector>

#include "envs/recsys/ratings.h"

namespace ddpg::recsys {

inline constexpr float kRelevantRating = 4.0f;

// The items of `ranked`, best first, that the metrics look at; `relevant` the user's relevant items.
double PrecisionAtK(const std::vector<int64_t>& ranked, const std::unordered_set<int64_t>& relevant, size_t k);
double NdcgAtK(const std::vector<int64_t>& ranked, const std::unordered_set<int64_t>& relevant, size_t k);
double HitAtK(const std::vector<int64_t>& ranked, const std::unordered_set<int64_t>& relevant, size_t k);

// Scores `items` for `user` into `scores` (resized by the scorer to items.size()); higher is better.
using ItemScorer = std::function<void(int64_t user, const std::vector<int64_t>& items, std::vector<float>& scores)>;

// `items` ordered by descending score, ties by ascending id.
std::vector<int64_t> RankByScore(const std::vector<int64_t>& items, const std::vector<float>& scores);

struct RankingReport {
  // held-out ranking, averaged over users with at least one held-out rating
  double precision_at_5 = 0, precision_at_10 = 0, ndcg_at_5 = 0, ndcg_at_10 = 0;
  size_t held_out_users = 0;
  // full-catalogue ranking, averaged over users with a relevant held-out rating
  double hit_rate_at_10 = 0, catalogue_ndcg_at_10 = 0;
  size_t catalogue_users = 0;
};

// Evaluates `scorer` on the split's test part; the catalogue is every item of the split.
RankingReport EvaluateRanking(const RatingsSplit& split, const ItemScorer& scorer);
// The same with a scorer per protocol: `held_out` ranks a user's held-out items, `catalogue` the items the user
// has no training rating of, for a recommender that picks its candidates differently in the two (from an item
// index over the catalogue). The users, the items each one ranks and the metrics are those above.
RankingReport EvaluateRanking(const RatingsSplit& split, const ItemScorer& held_out, const ItemScorer& catalogue);

}  // namespace ddpg::recsys
