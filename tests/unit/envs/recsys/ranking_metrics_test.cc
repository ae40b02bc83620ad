// The ranking metrics (envs/recsys/ranking_metrics.h) on hand-computed cases.
#include "envs/recsys/ranking_metrics.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <map>

using namespace ddpg::recsys;

TEST_CASE("precision, NDCG and hits at k of one ranking, computed by hand") {
  const std::vector<int64_t> ranked = {1, 2, 3, 4, 5};
  const std::unordered_set<int64_t> relevant = {2, 5, 99};  // 99 was not ranked at all
  CHECK(PrecisionAtK(ranked, relevant, 5) == Approx(0.4));
  CHECK(PrecisionAtK(ranked, relevant, 3) == Approx(1.0 / 3));
  CHECK(PrecisionAtK(ranked, relevant, 10) == Approx(0.2));  // fewer than k ranked: still divided by k
  // DCG = 1/log2(3) + 1/log2(6); the ideal puts all three relevant items first: 1 + 1/log2(3) + 1/log2(4).
  const double dcg = 1 / std::log2(3.0) + 1 / std::log2(6.0);
  CHECK(NdcgAtK(ranked, relevant, 5) == Approx(dcg / (1 + 1 / std::log2(3.0) + 0.5)));
  CHECK(NdcgAtK(ranked, relevant, 2) == Approx((1 / std::log2(3.0)) / (1 + 1 / std::log2(3.0))));
  CHECK(NdcgAtK({2, 5, 99}, relevant, 3) == Approx(1.0));
  CHECK(NdcgAtK(ranked, {}, 5) == 0.0);
  CHECK(HitAtK(ranked, relevant, 1) == 0.0);
  CHECK(HitAtK(ranked, relevant, 2) == 1.0);
}

TEST_CASE("ranking by score puts the highest first and breaks ties by item id") {
  CHECK(RankByScore({7, 3, 9, 1}, {0.5f, 2.0f, 0.5f, -1.0f}) == std::vector<int64_t>{3, 7, 9, 1});
}

TEST_CASE("the evaluation averages both protocols over the right users") {
  // User 1 trained on item 10 and holds out 11 (5 stars), 12 (1 star) and 13 (4 stars); user 2 trained on
  // 11 and holds out 10 (2 stars), so it has nothing relevant.
  RatingsSplit split;
  split.train = {{1, 10, 5.0f, 0}, {2, 11, 3.0f, 0}};
  split.test = {{1, 11, 5.0f, 1}, {1, 12, 1.0f, 2}, {1, 13, 4.0f, 3}, {2, 10, 2.0f, 1}};
  std::map<std::pair<int64_t, int64_t>, float> truth;
  for (const Rating& r : split.test) truth[{r.user, r.item}] = r.rating;
  const auto scorer_from = [&](float sign) -> ItemScorer {
    return [&truth, sign](int64_t user, const std::vector<int64_t>& items, std::vector<float>& scores) {
      scores.clear();
      for (int64_t item : items) {
        const auto it = truth.find({user, item});
        scores.push_back(it == truth.end() ? 0.0f : sign * it->second);
      }
    };
  };

  const RankingReport oracle = EvaluateRanking(split, scorer_from(1.0f));
  CHECK(oracle.held_out_users == 2);
  CHECK(oracle.precision_at_5 == Approx((0.4 + 0.0) / 2));
  CHECK(oracle.precision_at_10 == Approx((0.2 + 0.0) / 2));
  CHECK(oracle.ndcg_at_5 == Approx((1.0 + 0.0) / 2));
  CHECK(oracle.ndcg_at_10 == Approx((1.0 + 0.0) / 2));
  // Only user 1 has a relevant held-out item; its candidates are 11, 12, 13 (10 was trained on).
  CHECK(oracle.catalogue_users == 1);
  CHECK(oracle.hit_rate_at_10 == Approx(1.0));
  CHECK(oracle.catalogue_ndcg_at_10 == Approx(1.0));

  // Worst first: user 1's ranking is 12, 13, 11, so DCG@5 = 1/log2(3) + 1/log2(4).
  const RankingReport reversed = EvaluateRanking(split, scorer_from(-1.0f));
  const double ideal = 1 + 1 / std::log2(3.0);
  CHECK(reversed.ndcg_at_5 == Approx((1 / std::log2(3.0) + 0.5) / ideal / 2));
  CHECK(reversed.precision_at_5 == Approx(0.2));  // all three held out items fit in the top 5 either way
  CHECK(reversed.catalogue_ndcg_at_10 == Approx((1 / std::log2(3.0) + 0.5) / ideal));

  // A constant scorer ranks by item id: 11, 12, 13.
  const RankingReport constant =
      EvaluateRanking(split, [](int64_t, const std::vector<int64_t>& items, std::vector<float>& scores) {
        scores.assign(items.size(), 1.0f);
      });
  CHECK(constant.ndcg_at_5 == Approx((1 + 0.5) / ideal / 2));
}
