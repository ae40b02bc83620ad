// The recommender simulator's catalogue (envs/recsys/catalogue.h): the lookup is the exact argmax of
// key . action with exclusion, the popularity score follows the ranks, generation depends on the seed alone,
// and one catalogue is shared per options.
#include "envs/recsys/catalogue.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <set>

using ddpg::RecsimOptions;
using ddpg::recsys::Catalogue;
using ddpg::recsys::SharedCatalogue;

namespace {

// Four items in two dimensions; popularity order 2, 0, 3, 1.
Catalogue HandMade() {
  auto catalogue = Catalogue::FromItems({1.0f, 0.0f,   //
                                         0.0f, 1.0f,   //
                                         -1.0f, 0.0f,  //
                                         0.6f, 0.8f},  //
                                        2, {3.0, 1.0, 9.0, 2.0});
  REQUIRE(catalogue.ok());
  return std::move(*catalogue);
}

// The argmax by brute force in double precision, lowest index on ties.
int64_t DirectBest(const Catalogue& catalogue, const std::vector<float>& action, const std::set<int64_t>& excluded) {
  int64_t best = -1;
  double best_score = -1e300;
  std::vector<float> key(catalogue.key_dim());
  for (int64_t item = 0; item < catalogue.size(); ++item) {
    if (excluded.count(item) != 0) continue;
    catalogue.CopyKey(item, key.data());
    double score = 0.0;
    for (int j = 0; j < catalogue.key_dim(); ++j) score += static_cast<double>(key[j]) * action[j];
    if (score > best_score) {
      best_score = score;
      best = item;
    }
  }
  return best;
}

}  // namespace

TEST_CASE("popularity scores are 1 - ln(rank) / ln(N)", "[recsim]") {
  const Catalogue catalogue = HandMade();
  CHECK(catalogue.ItemOfRank(1) == 2);
  CHECK(catalogue.ItemOfRank(2) == 0);
  CHECK(catalogue.ItemOfRank(3) == 3);
  CHECK(catalogue.ItemOfRank(4) == 1);
  CHECK(catalogue.PopularityScore(2) == Approx(1.0));
  CHECK(catalogue.PopularityScore(0) == Approx(1.0 - std::log(2.0) / std::log(4.0)));
  CHECK(catalogue.PopularityScore(3) == Approx(1.0 - std::log(3.0) / std::log(4.0)));
  CHECK(catalogue.PopularityScore(1) == Approx(0.0).margin(1e-7));
  CHECK(catalogue.Key(3, 1) == 0.8f);
}

TEST_CASE("BestItem is the argmax of key . action on a hand-made catalogue", "[recsim]") {
  const Catalogue catalogue = HandMade();
  // Scores of (x, y, popularity weight): item 0 = x + 0.5 w, 1 = y, 2 = -x + w, 3 = 0.6x + 0.8y + 0.21 w.
  CHECK(catalogue.BestItem(std::vector<float>{1, 0, 0}.data(), {}) == 0);
  CHECK(catalogue.BestItem(std::vector<float>{0, 1, 0}.data(), {}) == 1);
  CHECK(catalogue.BestItem(std::vector<float>{-1, 0, 0}.data(), {}) == 2);
  CHECK(catalogue.BestItem(std::vector<float>{0.5f, 1, 0}.data(), {}) == 3);  // 1.1 against 1.0
  CHECK(catalogue.BestItem(std::vector<float>{0, 0, 1}.data(), {}) == 2);     // the most popular
  CHECK(catalogue.BestItem(std::vector<float>{0.9f, 0, 1}.data(), {}) == 0);  // 1.4 against 1.0 - 0.9
  // Ties go to the lowest index: every score is 0.
  CHECK(catalogue.BestItem(std::vector<float>{0, 0, 0}.data(), {}) == 0);
}

TEST_CASE("BestItem never returns an excluded item", "[recsim]") {
  const Catalogue catalogue = HandMade();
  const std::vector<float> action{0, 0, 1};
  CHECK(catalogue.BestItem(action.data(), {2}) == 0);
  CHECK(catalogue.BestItem(action.data(), {2, 0}) == 3);
  CHECK(catalogue.BestItem(action.data(), {2, 0, 3}) == 1);
  const float nan = std::nanf("");
  CHECK(catalogue.BestItem(std::vector<float>{nan, nan, nan}.data(), {0, 1}) == 2);
}

TEST_CASE("BestItem equals a brute-force argmax across tiles", "[recsim]") {
  RecsimOptions options;
  options.catalogue_size = 3 * Catalogue::kTile + 17;  // a partial last tile
  options.embedding_dim = 5;
  const Catalogue catalogue = Catalogue::Generate(options);
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::set<int64_t> last_tile_hits;
  for (int trial = 0; trial < 2000; ++trial) {
    std::vector<float> action(catalogue.key_dim());
    for (float& x : action) x = uniform(rng);
    std::set<int64_t> excluded;
    std::vector<int64_t> excluded_list;
    for (int i = 0; i < trial % 5; ++i) {
      const int64_t item = DirectBest(catalogue, action, excluded);
      excluded.insert(item);
      excluded_list.push_back(item);
    }
    const int64_t best = catalogue.BestItem(action.data(), excluded_list);
    REQUIRE(best == DirectBest(catalogue, action, excluded));
    if (best >= 3 * Catalogue::kTile) last_tile_hits.insert(best);
  }
  CHECK(!last_tile_hits.empty());  // the partial tile was searched
}

TEST_CASE("a generated catalogue depends on its seed alone", "[recsim]") {
  RecsimOptions options;
  options.catalogue_size = 1000;
  const Catalogue a = Catalogue::Generate(options);
  const Catalogue b = Catalogue::Generate(options);
  options.catalogue_seed = 1;
  const Catalogue c = Catalogue::Generate(options);
  int differing = 0;
  for (int64_t item = 0; item < a.size(); ++item) {
    double norm = 0.0;
    for (int j = 0; j < a.key_dim(); ++j) {
      REQUIRE(a.Key(item, j) == b.Key(item, j));
      if (a.Key(item, j) != c.Key(item, j)) ++differing;
      if (j < a.dim()) norm += static_cast<double>(a.Key(item, j)) * a.Key(item, j);
    }
    CHECK(norm == Approx(1.0).epsilon(1e-5));  // latent vectors are unit length
  }
  CHECK(differing > 900 * a.key_dim());
}

TEST_CASE("SamplePopular follows Zipf: rank 1 about twice as often as rank 2", "[recsim]") {
  RecsimOptions options;
  options.catalogue_size = 1000;
  options.zipf_exponent = 1.0;
  const Catalogue catalogue = Catalogue::Generate(options);
  std::mt19937_64 rng(3);
  constexpr int kDraws = 200000;
  int first = 0, second = 0;
  for (int i = 0; i < kDraws; ++i) {
    const int64_t item = catalogue.SamplePopular(rng);
    first += item == catalogue.ItemOfRank(1);
    second += item == catalogue.ItemOfRank(2);
  }
  // p(1) = 1 / H_1000 = 0.1336, p(2) = p(1) / 2.
  CHECK(first / static_cast<double>(kDraws) == Approx(0.1336).margin(0.005));
  CHECK(second / static_cast<double>(kDraws) == Approx(0.0668).margin(0.004));
}

TEST_CASE("SharedCatalogue returns one instance per catalogue options", "[recsim]") {
  RecsimOptions options;
  options.catalogue_size = 2000;
  auto first = SharedCatalogue(options);
  RecsimOptions other_episode_options = options;
  other_episode_options.noise = 0.5;  // not a catalogue option
  other_episode_options.episode_length = 7;
  CHECK(SharedCatalogue(other_episode_options).get() == first.get());
  options.catalogue_seed = 9;
  CHECK(SharedCatalogue(options).get() != first.get());
}
