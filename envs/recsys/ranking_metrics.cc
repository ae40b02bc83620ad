#include "envs/recsys/ranking_metrics.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <set>

namespace ddpg::recsys {
namespace {

double Discount(size_t rank) { return 1.0 / std::log2(static_cast<double>(rank) + 2.0); }  // rank from 0

}  // namespace

double PrecisionAtK(const std::vector<int64_t>& ranked, const std::unordered_set<int64_t>& relevant, size_t k) {
  if (k == 0) return 0.0;
  size_t hits = 0;
  for (size_t i = 0; i < k && i < ranked.size(); ++i) hits += relevant.count(ranked[i]);
  return static_cast<double>(hits) / static_cast<double>(k);
}

double NdcgAtK(const std::vector<int64_t>& ranked, const std::unordered_set<int64_t>& relevant, size_t k) {
  double dcg = 0.0;
  for (size_t i = 0; i < k && i < ranked.size(); ++i) {
    if (relevant.count(ranked[i]) != 0) dcg += Discount(i);
  }
  double ideal = 0.0;
  for (size_t i = 0; i < k && i < relevant.size(); ++i) ideal += Discount(i);
  return ideal == 0.0 ? 0.0 : dcg / ideal;
}

double HitAtK(const std::vector<int64_t>& ranked, const std::unordered_set<int64_t>& relevant, size_t k) {
  for (size_t i = 0; i < k && i < ranked.size(); ++i) {
    if (relevant.count(ranked[i]) != 0) return 1.0;
  }
  return 0.0;
}

std::vector<int64_t> RankByScore(const std::vector<int64_t>& items, const std::vector<float>& scores) {
  std::vector<size_t> order(items.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return scores[a] != scores[b] ? scores[a] > scores[b] : items[a] < items[b]; });
  std::vector<int64_t> ranked;
  ranked.reserve(items.size());
  for (size_t i : order) ranked.push_back(items[i]);
  return ranked;
}

RankingReport EvaluateRanking(const RatingsSplit& split, const ItemScorer& scorer) {
  return EvaluateRanking(split, scorer, scorer);
}

RankingReport EvaluateRanking(const RatingsSplit& split, const ItemScorer& held_out_scorer,
                              const ItemScorer& catalogue_scorer) {
  std::set<int64_t> catalogue;
  std::map<int64_t, std::unordered_set<int64_t>> trained;  // user -> items with a training rating
  std::map<int64_t, std::vector<const Rating*>> held_out;  // user -> test ratings
  for (const Rating& rating : split.train) {
    catalogue.insert(rating.item);
    trained[rating.user].insert(rating.item);
  }
  for (const Rating& rating : split.test) {
    catalogue.insert(rating.item);
    held_out[rating.user].push_back(&rating);
  }

  RankingReport report;
  std::vector<float> scores;
  for (const auto& [user, ratings] : held_out) {
    std::vector<int64_t> items;
    std::unordered_set<int64_t> relevant;
    for (const Rating* rating : ratings) {
      items.push_back(rating->item);
      if (rating->rating >= kRelevantRating) relevant.insert(rating->item);
    }
    held_out_scorer(user, items, scores);
    const std::vector<int64_t> ranked = RankByScore(items, scores);
    report.precision_at_5 += PrecisionAtK(ranked, relevant, 5);
    report.precision_at_10 += PrecisionAtK(ranked, relevant, 10);
    report.ndcg_at_5 += NdcgAtK(ranked, relevant, 5);
    report.ndcg_at_10 += NdcgAtK(ranked, relevant, 10);
    ++report.held_out_users;

    if (relevant.empty()) continue;
    std::vector<int64_t> candidates;
    const std::unordered_set<int64_t>& seen = trained[user];
    for (int64_t item : catalogue) {
      if (seen.count(item) == 0) candidates.push_back(item);
    }
    catalogue_scorer(user, candidates, scores);
    const std::vector<int64_t> catalogue_ranked = RankByScore(candidates, scores);
    report.hit_rate_at_10 += HitAtK(catalogue_ranked, relevant, 10);
    report.catalogue_ndcg_at_10 += NdcgAtK(catalogue_ranked, relevant, 10);
    ++report.catalogue_users;
  }
  if (report.held_out_users > 0) {
    const double users = static_cast<double>(report.held_out_users);
    report.precision_at_5 /= users;
    report.precision_at_10 /= users;
    report.ndcg_at_5 /= users;
    report.ndcg_at_10 /= users;
  }
  if (report.catalogue_users > 0) {
    report.hit_rate_at_10 /= static_cast<double>(report.catalogue_users);
    report.catalogue_ndcg_at_10 /= static_cast<double>(report.catalogue_users);
  }
  return report;
}

}  // namespace ddpg::recsys
