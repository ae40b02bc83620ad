// A trained policy as a recommender (tools/policy_recommender.h) on a hand-made log of two users and seven items
// with two-dimensional factors, and networks set by hand and saved as a real checkpoint: the actor's action is
// a = (tanh 2, 0), so q · a ranks items by their first factor, and the critic's Q(s, q) = q_y + 10 prefers their
// second. Re-ranking must follow the critic among the K best by q · a, leave the user's training items out of
// the candidates, and give the metrics code the rankings worked out here by hand.
#include "tools/policy_recommender.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>

#include <unistd.h>

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
  Files() {
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "ratings.csv") << kRatings;
    std::ofstream(dir / "embeddings.txt") << kEmbeddings;
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
// tanh((2, 0)); the critic's hidden unit is ReLU(q_y + 10), its output that unit.
std::string WriteCheckpoint(const Files& files) {
  DdpgAgent agent(Sizes(6, 2));
  const std::vector<float> actor = {0, 0, 0, 0, 0, 0, /*b1*/ 1, /*W2*/ 2, 0, /*b2*/ 0, 0};
  const std::vector<float> critic = {0, 0, 0, 0, 0, 0, /*a_x*/ 0, /*a_y*/ 1, /*b1*/ 10, /*W2*/ 1, /*b2*/ 0};
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
  CHECK(policy->ProtoAction(1)[1] == Approx(0.0f).margin(1e-6));

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
  // The same as a plain q · a scorer through the one-scorer evaluation the baselines use.
  const RankingReport direct =
      EvaluateRanking(split, [&](int64_t user, const std::vector<int64_t>& items, std::vector<float>& scores) {
        scores.clear();
        auto data = MovieLensData::Load(files.Options("train"));
        for (int64_t item : items) {
          float score = -1e9f;
          for (int64_t row = 0; row < data->num_items(); ++row) {
            if (data->ItemId(row) != item) continue;
            score = 0;
            for (int j = 0; j < 2; ++j) score += data->ItemFactors(row)[j] * plain->ProtoAction(user)[j];
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
  auto recommender = PolicyRecommender::Create(std::make_shared<const MovieLensData>(std::move(*data)),
                                               std::make_unique<DdpgAgent>(Sizes(9, 3)), {});
  REQUIRE_FALSE(recommender.ok());
  CHECK_THAT(recommender.status().message(),
             Catch::Contains("observations of 9 and actions of 3 numbers") && Catch::Contains("need 6 and 2"));

  // A policy file has no critic.
  DdpgAgent agent(Sizes(6, 2));
  REQUIRE(agent.SavePolicy(files.File("best_policy.pt"), agent.ActorParameters(), 1, 0.0).ok());
  auto saved = LoadSavedAgent(files.File("best_policy.pt"));
  REQUIRE_FALSE(saved.ok());
  CHECK_THAT(saved.status().message(), Catch::Contains("holds the actor alone"));
  CHECK(LoadSavedAgent(files.File("missing.pt")).status().code() == StatusCode::kNotFound);
}
