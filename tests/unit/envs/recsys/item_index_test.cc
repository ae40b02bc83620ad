// The action-to-item indexes (envs/recsys/item_index.h): the exact one against a direct computation, the
// approximate one's recall against the exact one.
#include "envs/recsys/item_index.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <numeric>
#include <random>

using ddpg::recsys::ApproximateIndexOptions;
using ddpg::recsys::ItemEmbeddings;
using ddpg::recsys::ItemIndexKind;
using ddpg::recsys::MakeItemIndex;
using ddpg::recsys::RecallAtK;
using ddpg::recsys::ScoredItem;

namespace {

ItemEmbeddings Gaussian(size_t items, size_t dim, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal;
  ItemEmbeddings embeddings{dim, std::vector<float>(items * dim)};
  for (float& value : embeddings.values) value = normal(rng);
  return embeddings;
}

// The k items of largest inner product with `query`, by sorting every score.
std::vector<int64_t> DirectTopK(const ItemEmbeddings& embeddings, const float* query, size_t k) {
  std::vector<std::pair<float, int64_t>> scored;
  for (size_t item = 0; item < embeddings.size(); ++item) {
    float score = 0;
    for (size_t d = 0; d < embeddings.dim; ++d) score += query[d] * embeddings.values[item * embeddings.dim + d];
    scored.push_back({-score, static_cast<int64_t>(item)});
  }
  std::sort(scored.begin(), scored.end());
  std::vector<int64_t> items;
  for (size_t j = 0; j < k; ++j) items.push_back(scored[j].second);
  return items;
}

}  // namespace

TEST_CASE("the exact index ranks items by inner product with the action, best first") {
  // Four items in the plane; the action (1, 0.5) scores them 1, 0.5, -1 and 1.25.
  const ItemEmbeddings embeddings{2, {1, 0, 0, 1, -1, 0, 1, 0.5f}};
  auto index = MakeItemIndex(ItemIndexKind::kExact, embeddings);
  REQUIRE(index.ok());
  const float action[] = {1.0f, 0.5f};
  const auto top = (*index)->TopK(action, 1, 3);
  REQUIRE(top.size() == 1);
  REQUIRE(top[0].size() == 3);
  CHECK(top[0][0].item == 3);
  CHECK(top[0][0].score == Approx(1.25));
  CHECK(top[0][1].item == 0);
  CHECK(top[0][1].score == Approx(1.0));
  CHECK(top[0][2].item == 1);
  CHECK(top[0][2].score == Approx(0.5));
  CHECK((*index)->TopK(action, 1, 10)[0].size() == 4);  // k beyond the catalogue: all of it
}

TEST_CASE("the exact index agrees with a direct computation for every query of a batch") {
  // 70 queries: more than two blocks of 32, so a block boundary off by one shows.
  const ItemEmbeddings embeddings = Gaussian(3000, 8, 1);
  const ItemEmbeddings queries = Gaussian(70, 8, 2);
  auto index = MakeItemIndex(ItemIndexKind::kExact, embeddings);
  REQUIRE(index.ok());
  const auto top = (*index)->TopK(queries.values.data(), 70, 10);
  REQUIRE(top.size() == 70);
  for (size_t query = 0; query < 70; ++query) {
    std::vector<int64_t> items;
    for (const ScoredItem& scored : top[query]) items.push_back(scored.item);
    CHECK(items == DirectTopK(embeddings, &queries.values[query * 8], 10));
  }
}

TEST_CASE("the approximate index finds at least 90% of the exact top 10 on a small catalogue") {
  const ItemEmbeddings embeddings = Gaussian(20000, 16, 3);
  const ItemEmbeddings queries = Gaussian(300, 16, 4);
  auto exact = MakeItemIndex(ItemIndexKind::kExact, embeddings);
  auto approximate = MakeItemIndex(ItemIndexKind::kApproximate, embeddings);
  REQUIRE(exact.ok());
  REQUIRE(approximate.ok());
  const auto reference = (*exact)->TopK(queries.values.data(), 300, 10);
  const auto found = (*approximate)->TopK(queries.values.data(), 300, 10);
  const double recall = RecallAtK(reference, found, 10);
  INFO("recall@10 " << recall);
  CHECK(recall >= 0.9);
  // Best first, scores being the true inner products.
  for (size_t query = 0; query < 300; ++query) {
    REQUIRE(found[query].size() == 10);
    for (size_t j = 0; j < 10; ++j) {
      float score = 0;
      for (size_t d = 0; d < 16; ++d) {
        score += queries.values[query * 16 + d] * embeddings.values[found[query][j].item * 16 + d];
      }
      CHECK(found[query][j].score == Approx(score).margin(1e-4));
      if (j > 0) CHECK(found[query][j - 1].score >= found[query][j].score);
    }
  }
  // A search list of 10 candidates finds fewer: the setting matters.
  ApproximateIndexOptions narrow;
  narrow.search_candidates = 10;
  narrow.build_candidates = 10;
  narrow.max_neighbors = 4;
  auto poor = MakeItemIndex(ItemIndexKind::kApproximate, embeddings, narrow);
  REQUIRE(poor.ok());
  CHECK(RecallAtK(reference, (*poor)->TopK(queries.values.data(), 300, 10), 10) < recall);
}

TEST_CASE("recall at k counts the exact top k found, per query, averaged") {
  const std::vector<std::vector<ScoredItem>> exact = {{{1, 0}, {2, 0}}, {{3, 0}, {4, 0}}};
  const std::vector<std::vector<ScoredItem>> approximate = {{{2, 0}, {9, 0}}, {{4, 0}, {3, 0}}};
  CHECK(RecallAtK(exact, approximate, 2) == Approx(0.75));  // (1/2 + 2/2) / 2
  CHECK(RecallAtK(exact, approximate, 1) == Approx(0.0));   // item 1 and item 3 not first
}

TEST_CASE("an index refuses embeddings it cannot use, naming what is wrong") {
  CHECK(MakeItemIndex(ItemIndexKind::kExact, {0, {}}).status().message().find("dimension") != std::string::npos);
  CHECK(MakeItemIndex(ItemIndexKind::kExact, {2, {}}).status().message().find("empty") != std::string::npos);
  CHECK(MakeItemIndex(ItemIndexKind::kExact, {2, {1, 2, 3}}).status().message().find("not a whole number") !=
        std::string::npos);
  CHECK(MakeItemIndex(ItemIndexKind::kApproximate, {1, {1, NAN}}).status().message() ==
        "item 1 has a non-finite embedding value");
  CHECK(ddpg::recsys::ParseItemIndexKind("knn").value() == ItemIndexKind::kApproximate);
  CHECK(ddpg::recsys::ParseItemIndexKind("dot").value() == ItemIndexKind::kExact);
  CHECK_FALSE(ddpg::recsys::ParseItemIndexKind("faiss").ok());
}
