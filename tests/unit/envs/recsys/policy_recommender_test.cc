// A trained policy as a recommender (tools/policy_recommender.h) on a hand-made log of two users and seven items
// with two-dimensional factors, and networks set by hand and saved as a real checkpoint: the actor's action is
// a = (tanh 2, 0, 0), so k · a (k = [q, b], the item key) ranks items by their first factor, and the critic's
// Q(s, k) = q_y + 10 prefers their second. Re-ranking must follow the critic among the K best by k · a, leave the
// user's training items out of the candidates, and give the metrics code the rankings worked out here by hand.
// On a second log with item biases, the policy a = [p_u, 1] must rank exactly as greedy MF does.
#include "tools/policy_recommender.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "envs/recsys/matrix_factorization.h"
#include "envs/recsys/movielens_env.h"
#include "envs/recsys/ranking_metrics.h"
#include "learner/saved_policy.h"

using namespace ddpg;
using namespace ddpg::recsys;

namespace {

// User 1 trains on 70:5, 40:4 and holds out 10:5, 30:2; user 2 trains on 20:3, 50:4 and holds out 60:1, 10:5.
constexpr char kRatings[] =
    "userId,movieId,rating,timestamp\n"
    "1,70,5,100\n1,40,4,101\n1,10,5,102\n1,30,2,103\n"
    "2,20,3,100\n2,50,4,101\n2,60,1,102\n2,10,5,103\n";
// By q · a (first factor): 10 > 70 > 20 > 30 > 50 > 40 > 60. By Q (second factor): 70 > 40 > 30 > 20 > 60 > 10 > 50.
constexpr char kEmbeddings[] =
    "ddpg-factorization 1 2 3.5 2 7\n"
    "u 1 0 1 2\nu 2 0 0.5 -1\n"
    "i 10 0 1 0\ni 20 0 0.9 0.5\ni 30 0 0.8 0.9\ni 40 0 0.1 2\ni 50 0 0.5 -1\ni 60 0 -1 0.2\ni 70 0 0.99 3\n";

struct Files {
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("policy_recommender_test_" + std::to_string(::getpid()));
  explicit Files(const char* ratings = kRatings, const char* embeddings = kEmbeddings) {
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "ratings.csv") << ratings;
    std::ofstream(dir / "embeddings.txt") << embeddings;
  }
  ~Files() { std::filesystem::remove_all(dir); }
  std::string File(const std::string& name) const { return (dir / name).string(); }
  MovielensOptions Options(const std::string& split) const {
    MovielensOptions options;
    options.ratings = File("ratings.csv");
    options.embeddings = File("embeddings.txt");
    options.split = split;
    options.train_fraction = 0.5;
    options.min_ratings = 1;
    return options;
  }
};

DdpgOptions Sizes(int obs_dim, int act_dim) {
  DdpgOptions options;
  options.obs_dim = obs_dim;
  options.act_dim = act_dim;
  options.hidden_sizes = {1};
  options.act_low.assign(act_dim, -1.0f);
  options.act_high.assign(act_dim, 1.0f);
  return options;
}

// A checkpoint of one-unit networks: the actor's hidden unit is ReLU(1) = 1 whatever the state, its output
// tanh((2, 0, 0)); the critic's hidden unit is ReLU(q_y + 10), its output that unit.
std::string WriteCheckpoint(const Files& files) {
  DdpgAgent agent(Sizes(6, 3));
  const std::vector<float> actor = {0, 0, 0, 0, 0, 0, /*b1*/ 1, /*W2*/ 2, 0, 0, /*b2*/ 0, 0, 0};
  const std::vector<float> critic = {0, 0, 0, 0, 0, 0, /*a_x*/ 0, /*a_y*/ 1, /*a_b*/ 0, /*b1*/ 10, /*W2*/ 1, /*b2*/ 0};
  REQUIRE(agent.SetParameters(actor, critic).ok());
  const std::string path = files.File("checkpoint.pt");
  REQUIRE(agent.SaveCheckpoint(path, TrainingCounters{7}).ok());
  return path;
}

std::unique_ptr<PolicyRecommender> MakeRecommender(const Files& files, Rerank rerank, size_t candidates,
                                                   ItemIndexKind index = ItemIndexKind::kExact) {
  auto data = MovieLensData::Load(files.Options("train"));
  REQUIRE(data.ok());
  auto saved = LoadSavedAgent(WriteCheckpoint(files));
  INFO(saved.status().message());
  REQUIRE(saved.ok());
  CHECK(saved->counters.updates == 7);
  auto recommender = PolicyRecommender::Create(std::make_shared<const MovieLensData>(std::move(*data)),
                                               std::move(saved->agent), {rerank, candidates, index});
  INFO(recommender.status().message());
  REQUIRE(recommender.ok());
  return std::move(*recommender);
}

RatingsSplit Split(const Files& files) {
  auto ratings = LoadRatings(files.File("ratings.csv"));
  REQUIRE(ratings.ok());
  auto split = SplitByUserTime(std::move(*ratings), 0.5);
  REQUIRE(split.ok());
  return std::move(*split);
}

RankingReport Evaluate(const RatingsSplit& split, const PolicyRecommender& policy) {
  return EvaluateRanking(
      split,
      [&](int64_t user, const std::vector<int64_t>& items, std::vector<float>& scores) {
        policy.ScoreHeldOut(user, items, scores);
      },
      [&](int64_t user, const std::vector<int64_t>& items, std::vector<float>& scores) {
        policy.ScoreCatalogue(user, items, scores);
      });
}

}  // namespace

TEST_CASE("policy recommender: the state is the test split's first", "[policy_recommender]") {
  Files files;
  const auto policy = MakeRecommender(files, Rerank::kNone, 3);
  // User 1: p = (1, 2); the positive training items 70 and 40 average to m = (0.545, 2.5).
  const std::vector<float> expected = {1, 2, 0.545f, 5, 0.545f, 2.5f};
  REQUIRE(policy->State(1).size() == 6);
  for (size_t j = 0; j < 6; ++j) CHECK(policy->State(1)[j] == Approx(expected[j]));
  CHECK(policy->ProtoAction(1)[0] == Approx(std::tanh(2.0f)));
  REQUIRE(policy->ProtoAction(1).size() == 3);
  CHECK(policy->ProtoAction(1)[1] == Approx(0.0f).margin(1e-6));
  CHECK(policy->ProtoAction(1)[2] == Approx(0.0f).margin(1e-6));

  // The environment's reset on the test split gives every user the same observation.
  auto data = SharedMovieLensData(files.Options("test"));
  REQUIRE(data.ok());
  MovieLensEnv env(*data);
  std::vector<float> observation(6);
  for (uint64_t seed = 0; seed < 20; ++seed) {
    env.Reset(seed, observation.data());
    const int64_t user = env.data().users()[env.user_index()].user;
    CHECK(observation == policy->State(user));
  }
  CHECK_FALSE(policy->Knows(3));
}

TEST_CASE("policy recommender: the critic re-ranks the K best by q.a", "[policy_recommender]") {
  Files files;
  // User 1 may get 10, 20, 30, 50, 60 (70 and 40 are training items).
  CHECK(MakeRecommender(files, Rerank::kNone, 3)->Recommend(1, 5) == std::vector<int64_t>{10, 20, 30, 50, 60});
  // The candidates are the 3 best by q · a that are not training items (70 is better than 20 and 30 by
  // q · a and best of all by Q, but trained on); Q orders them, the rest follow by q · a.
  for (ItemIndexKind index : {ItemIndexKind::kExact, ItemIndexKind::kApproximate}) {
    CHECK(MakeRecommender(files, Rerank::kCritic, 3, index)->Recommend(1, 5) ==
          std::vector<int64_t>{30, 20, 10, 50, 60});
  }
  // With K = 1 the critic has nothing to choose from; with K = 5 it orders all, so 60 (Q 10.2) beats 10 (Q 10).
  CHECK(MakeRecommender(files, Rerank::kCritic, 1)->Recommend(1, 5) == std::vector<int64_t>{10, 20, 30, 50, 60});
  CHECK(MakeRecommender(files, Rerank::kCritic, 5)->Recommend(1, 5) == std::vector<int64_t>{30, 20, 60, 10, 50});
}

TEST_CASE("policy recommender: metrics of hand-ranked lists", "[policy_recommender]") {
  Files files;
  const RatingsSplit split = Split(files);
  // Without re-ranking both users rank their relevant held-out item 10 first, by q · a, in both protocols.
  const auto plain = MakeRecommender(files, Rerank::kNone, 3);
  const RankingReport none = Evaluate(split, *plain);
  CHECK(none.held_out_users == 2);
  CHECK(none.catalogue_users == 2);
  CHECK(none.precision_at_5 == Approx(0.2));
  CHECK(none.precision_at_10 == Approx(0.1));
  CHECK(none.ndcg_at_10 == Approx(1.0));
  CHECK(none.hit_rate_at_10 == Approx(1.0));
  CHECK(none.catalogue_ndcg_at_10 == Approx(1.0));
  // The same as a plain k · a scorer through the one-scorer evaluation the baselines use.
  const RankingReport direct =
      EvaluateRanking(split, [&](int64_t user, const std::vector<int64_t>& items, std::vector<float>& scores) {
        scores.clear();
        auto data = MovieLensData::Load(files.Options("train"));
        for (int64_t item : items) {
          float score = -1e9f;
          for (int64_t row = 0; row < data->num_items(); ++row) {
            if (data->ItemId(row) != item) continue;
            score = 0;
            for (int j = 0; j < 3; ++j) score += data->ItemKey(row)[j] * plain->ProtoAction(user)[j];
          }
          scores.push_back(score);
        }
      });
  CHECK(direct.ndcg_at_5 == none.ndcg_at_5);
  CHECK(direct.catalogue_ndcg_at_10 == none.catalogue_ndcg_at_10);

  // Re-ranked with K = 3: held out, user 1 gets [30, 10] (Q 10.9 > 10) and user 2 [60, 10] (Q 10.2 > 10), so
  // NDCG = 1 / log2(3). Over the catalogue user 1 gets [30, 20, 10, ...] and user 2 [70, 30, 10, 40, 60]: the
  // relevant 10 third, NDCG = 1 / log2(4), still a hit.
  const RankingReport critic = Evaluate(split, *MakeRecommender(files, Rerank::kCritic, 3));
  CHECK(critic.precision_at_5 == Approx(0.2));
  CHECK(critic.ndcg_at_5 == Approx(1.0 / std::log2(3.0)));
  CHECK(critic.ndcg_at_10 == Approx(1.0 / std::log2(3.0)));
  CHECK(critic.hit_rate_at_10 == Approx(1.0));
  CHECK(critic.catalogue_ndcg_at_10 == Approx(0.5));
}

TEST_CASE("policy recommender: refuses networks of other sizes", "[policy_recommender]") {
  Files files;
  auto data = MovieLensData::Load(files.Options("train"));
  REQUIRE(data.ok());
  const auto shared = std::make_shared<const MovieLensData>(std::move(*data));
  auto recommender = PolicyRecommender::Create(shared, std::make_unique<DdpgAgent>(Sizes(9, 3)), {});
  REQUIRE_FALSE(recommender.ok());
  CHECK_THAT(recommender.status().message(),
             Catch::Contains("observations of 9 and actions of 3 numbers") && Catch::Contains("need 6 and 3"));
  // A run from before actions had the item bias: actions of d numbers.
  recommender = PolicyRecommender::Create(shared, std::make_unique<DdpgAgent>(Sizes(6, 2)), {});
  REQUIRE_FALSE(recommender.ok());
  CHECK_THAT(recommender.status().message(),
             Catch::Contains("actions of 2 numbers") && Catch::Contains("need 6 and 3 (the item key [q, b])"));

  // A policy file has no critic.
  DdpgAgent agent(Sizes(6, 3));
  REQUIRE(agent.SavePolicy(files.File("best_policy.pt"), agent.ActorParameters(), 1, 0.0).ok());
  auto saved = LoadSavedAgent(files.File("best_policy.pt"));
  REQUIRE_FALSE(saved.ok());
  CHECK_THAT(saved.status().message(), Catch::Contains("holds the actor alone"));
  CHECK(LoadSavedAgent(files.File("missing.pt")).status().code() == StatusCode::kNotFound);
}

namespace {

// Three users rate six of eight items, the first three in training (train_fraction 0.5), the last three held out.
// The item biases carry the ratings and the factors point elsewhere: by p_u · q alone each user's top held-out
// item is one rated below 4 (user 1: 8, user 2: 2, user 3: 4), by b_i + p_u · q_i it is one rated at least 4
// (6, 3, 1). The user biases differ, to show they do not matter.
constexpr char kBiasedRatings[] =
    "userId,movieId,rating,timestamp\n"
    "1,2,3,1\n1,4,2,2\n1,7,4,3\n1,6,5,4\n1,3,4,5\n1,8,2,6\n"
    "2,1,4,1\n2,5,3,2\n2,8,3,3\n2,2,1,4\n2,6,4,5\n2,3,5,6\n"
    "3,3,2,1\n3,6,4,2\n3,2,3,3\n3,1,5,4\n3,4,1,5\n3,5,4,6\n";
constexpr char kBiasedEmbeddings[] =
    "ddpg-factorization 1 2 3.5 3 8\n"
    "u 1 0.2 1 0\nu 2 -0.1 0 1\nu 3 0.3 0.5 -0.5\n"
    "i 1 0.8 0.5 0\ni 2 -0.6 0 0.5\ni 3 0.6 -0.3 0.2\ni 4 -0.8 0.4 -0.4\n"
    "i 5 0.3 0.1 0.1\ni 6 0.9 -0.2 -0.3\ni 7 -0.3 0.3 0.3\ni 8 0 0.2 -0.1\n";

// A checkpoint whose actor outputs a = tanh(eps [p_u, bias_weight]), in the box [-1, 1]: for a small eps that is
// eps [p_u, bias_weight] to a relative 1e-6, and k · a ranks as b_i * bias_weight + p_u · q_i does. The hidden
// layer passes p_u through ReLU as ReLU(p) - ReLU(-p), its last unit is ReLU(1) = 1.
std::string WriteUserFactorCheckpoint(const Files& files, float bias_weight) {
  constexpr float eps = 1e-3f;
  DdpgOptions sizes = Sizes(6, 3);
  sizes.hidden_sizes = {5};
  DdpgAgent agent(sizes);
  // clang-format off
  const std::vector<float> actor = {
      /*W1*/ 1, 0, 0, 0, 0, 0,   -1, 0, 0, 0, 0, 0,   0, 1, 0, 0, 0, 0,   0, -1, 0, 0, 0, 0,   0, 0, 0, 0, 0, 0,
      /*b1*/ 0, 0, 0, 0, 1,
      /*W2*/ eps, -eps, 0, 0, 0,   0, 0, eps, -eps, 0,   0, 0, 0, 0, eps * bias_weight,
      /*b2*/ 0, 0, 0};
  // clang-format on
  const std::vector<float> critic((6 + 3) * 5 + 5 + 5 + 1, 0.0f);
  REQUIRE(agent.SetParameters(actor, critic).ok());
  const std::string path = files.File("user_factor.pt");
  REQUIRE(agent.SaveCheckpoint(path, TrainingCounters{}).ok());
  return path;
}

RankingReport EvaluateUserFactorPolicy(const Files& files, float bias_weight) {
  auto data = MovieLensData::Load(files.Options("train"));
  REQUIRE(data.ok());
  auto saved = LoadSavedAgent(WriteUserFactorCheckpoint(files, bias_weight));
  REQUIRE(saved.ok());
  auto policy = PolicyRecommender::Create(std::make_shared<const MovieLensData>(std::move(*data)),
                                          std::move(saved->agent), {Rerank::kNone, 100, ItemIndexKind::kExact});
  REQUIRE(policy.ok());
  CHECK((*policy)->ProtoAction(3)[0] == Approx(0.5e-3f));
  CHECK((*policy)->ProtoAction(3)[2] == Approx(1e-3f * bias_weight).margin(1e-9));
  return Evaluate(Split(files), **policy);
}

}  // namespace

TEST_CASE("policy recommender: a = [p_u, 1] ranks as greedy MF", "[policy_recommender]") {
  Files files(kBiasedRatings, kBiasedEmbeddings);
  const RatingsSplit split = Split(files);
  // Greedy MF's row as `recsys baselines` and `recsys evaluate` compute it: mu + b_u + b_i + p_u · q_i.
  auto factorization = Factorization::Load(files.File("embeddings.txt"));
  REQUIRE(factorization.ok());
  const RankingReport greedy_mf =
      EvaluateRanking(split, [&](int64_t user, const std::vector<int64_t>& items, std::vector<float>& scores) {
        scores.clear();
        for (int64_t item : items) scores.push_back(factorization->Predict(user, item));
      });
  // Every user's relevant held-out items come first (user 1: 6, 3, then 8; user 2: 3, 6, 2; user 3: 1, 5, 4).
  CHECK(greedy_mf.held_out_users == 3);
  CHECK(greedy_mf.ndcg_at_10 == Approx(1.0));

  // The same rankings, so the same numbers to the last bit.
  const RankingReport with_bias = EvaluateUserFactorPolicy(files, 1.0f);
  CHECK(with_bias.precision_at_5 == greedy_mf.precision_at_5);
  CHECK(with_bias.precision_at_10 == greedy_mf.precision_at_10);
  CHECK(with_bias.ndcg_at_5 == greedy_mf.ndcg_at_5);
  CHECK(with_bias.ndcg_at_10 == greedy_mf.ndcg_at_10);
  CHECK(with_bias.hit_rate_at_10 == greedy_mf.hit_rate_at_10);
  CHECK(with_bias.catalogue_ndcg_at_10 == greedy_mf.catalogue_ndcg_at_10);

  // Without the bias coordinate (a = [p_u, 0], all q · a could express) each user's top held-out item is an
  // irrelevant one.
  const RankingReport without_bias = EvaluateUserFactorPolicy(files, 0.0f);
  CHECK(without_bias.ndcg_at_10 < greedy_mf.ndcg_at_10 - 0.1);
  CHECK(without_bias.catalogue_ndcg_at_10 != greedy_mf.catalogue_ndcg_at_10);
}
