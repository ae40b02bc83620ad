// MovieLens-Offline-v0 (envs/recsys/movielens_env.h) on a hand-made log of two users and six items with
// two-dimensional factors and biases: the DRR-ave state and the reward rule against hand computations, no item
// shown twice, termination and truncation, actions addressing the item keys [q, b], the spec from the embeddings
// file, the [movielens] options from an INI file, and the offline transitions.
#include "envs/recsys/movielens_env.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <set>

#include <unistd.h>

#include "common/command_line.h"
#include "envs/env_spec.h"
#include "envs/recsys/movielens_spec.h"
#include "envs/registry.h"

using namespace ddpg;
using namespace ddpg::recsys;

namespace {

// User 1 (p = (1, 2)) rated 10:5, 20:2, 40:4, 30:1, 50:3 in that order; user 2 (p = (0.5, -1)) rated 10:4,
// 30:5, 20:4, 60:5. With train_fraction 0.5 user 1 trains on 10, 20 and is tested on 40, 30, 50; user 2
// trains on 10, 30 and is tested on 20, 60. The item biases order the items 50 > 30 > 10 > 60 > 20 > 40.
constexpr char kRatings[] =
    "userId,movieId,rating,timestamp\n"
    "1,10,5,100\n1,20,2,101\n1,40,4,102\n1,30,1,103\n1,50,3,104\n"
    "2,10,4,100\n2,30,5,101\n2,20,4,102\n2,60,5,103\n";
constexpr char kEmbeddings[] =
    "ddpg-factorization 1 2 3.5 2 6\n"
    "u 1 0 1 2\nu 2 0 0.5 -1\n"
    "i 10 0.1 1 0\ni 20 -0.2 0 1\ni 30 0.3 -0.5 0\ni 40 -0.4 0.5 0.5\ni 50 0.5 0 -1\ni 60 0 0.2 -0.3\n";

struct Files {
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("movielens_env_test_" + std::to_string(::getpid()));
  Files() {
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "ratings.csv") << kRatings;
    std::ofstream(dir / "embeddings.txt") << kEmbeddings;
  }
  ~Files() { std::filesystem::remove_all(dir); }
  EnvOptions Options(const std::string& split, int history = 2, int episode_length = 10) const {
    EnvOptions options;
    options.movielens.ratings = (dir / "ratings.csv").string();
    options.movielens.embeddings = (dir / "embeddings.txt").string();
    options.movielens.split = split;
    options.movielens.train_fraction = 0.5;
    options.movielens.history = history;
    options.movielens.episode_length = episode_length;
    options.movielens.min_ratings = 2;
    return options;
  }
};

std::unique_ptr<Environment> Make(const EnvOptions& options) {
  auto env = MakeEnvironment(kMovieLensId, options);
  INFO(env.status().message());
  REQUIRE(env.ok());
  return std::move(*env);
}

// Resets with the first seed that draws `user`.
void ResetTo(Environment& env, int64_t user, float* observation) {
  auto& movielens = dynamic_cast<MovieLensEnv&>(env);
  for (uint64_t seed = 0; seed < 100; ++seed) {
    env.Reset(seed, observation);
    if (movielens.data().users()[movielens.user_index()].user == user) return;
  }
  FAIL("no seed below 100 draws user " << user);
}

std::vector<float> Vec(const float* values, int n) { return std::vector<float>(values, values + n); }

}  // namespace

TEST_CASE("movielens spec: dims and action box from the embeddings", "[movielens]") {
  Files files;
  const auto spec = LookUpEnvSpec(kMovieLensId, files.Options("test", 2, 7));
  INFO(spec.status().message());
  REQUIRE(spec.ok());
  CHECK(spec->obs_dim == 6);
  // The factors' box, then the biases'.
  CHECK(spec->act_dim == 3);
  CHECK(spec->act_low == std::vector<float>{-0.5f, -1.0f, -0.4f});
  CHECK(spec->act_high == std::vector<float>{1.0f, 1.0f, 0.5f});
  CHECK(spec->max_episode_steps == 7);
  CHECK(Make(files.Options("test", 2, 7))->spec().act_low == spec->act_low);
}

TEST_CASE("movielens episode: DRR state, reward rule, no repeats, end", "[movielens]") {
  Files files;
  auto env = Make(files.Options("test"));
  float obs[6];
  ResetTo(*env, 1, obs);
  // The test split's history starts with the positive training item 10 (rated 5; 20 was rated 2): m = q_10.
  CHECK(Vec(obs, 6) == std::vector<float>{1, 2, 1, 0, 1, 0});

  // One action throughout, with no weight on the bias; scores 10: .6, 40: .5, 20: .4, 60: 0, 30: -.3, 50: -.4,
  // so the items come in that order, each once.
  const float action[3] = {0.6f, 0.4f, 0};
  // 10 is the user's but not in the test split: 0. 40 is rated 4: (4 - 3) / 2 and it joins the history.
  const std::vector<float> rewards = {0.0f, 0.5f, 0.0f, 0.0f, -1.0f, 0.0f};
  const std::vector<int64_t> items = {10, 40, 20, 60, 30, 50};
  for (size_t t = 0; t < rewards.size(); ++t) {
    INFO("step " << t);
    const StepResult step = env->Step(action, obs);
    const auto& movielens = dynamic_cast<MovieLensEnv&>(*env);
    CHECK(movielens.data().ItemId(movielens.shown_items().back()) == items[t]);
    CHECK(step.reward == Approx(rewards[t]));
    // Every rated test item (40, 30, 50) shown after step 6: nothing left to earn.
    CHECK(step.terminated == (t + 1 == rewards.size()));
    CHECK_FALSE(step.truncated);
    if (t == 1) {
      // History [10, 40]: m = ((1 + 0.5) / 2, (0 + 0.5) / 2) = (0.75, 0.25).
      CHECK(Vec(obs, 6) == std::vector<float>{1, 2, 0.75f, 0.5f, 0.75f, 0.25f});
    }
  }
  // 30 (rated 1) and 50 (rated 3) did not join the history.
  CHECK(Vec(obs, 6) == std::vector<float>{1, 2, 0.75f, 0.5f, 0.75f, 0.25f});
  const auto& shown = dynamic_cast<MovieLensEnv&>(*env).shown_items();
  CHECK(std::set<int64_t>(shown.begin(), shown.end()).size() == 6);
}

TEST_CASE("movielens candidates = rated: only the split's items", "[movielens]") {
  Files files;
  EnvOptions options = files.Options("test");
  options.movielens.candidates = "rated";
  auto env = Make(options);
  float obs[6];
  ResetTo(*env, 1, obs);
  const float action[3] = {0.6f, 0.4f, 0};
  // Of 10, 40, 20, 60, 30, 50 only the test items 40, 30, 50 remain, in that order.
  const std::vector<float> rewards = {0.5f, -1.0f, 0.0f};
  for (size_t t = 0; t < rewards.size(); ++t) {
    const StepResult step = env->Step(action, obs);
    CHECK(step.reward == Approx(rewards[t]));
    CHECK(step.terminated == (t == 2));
  }
  const auto& movielens = dynamic_cast<MovieLensEnv&>(*env);
  CHECK(movielens.data().ItemId(movielens.shown_items().front()) == 40);
  options.movielens.candidates = "some";
  CHECK_THAT(LookUpEnvSpec(kMovieLensId, options).status().message(), Catch::Contains("movielens.candidates"));
}

TEST_CASE("movielens history keeps only the last items", "[movielens]") {
  Files files;
  auto env = Make(files.Options("test", /*history=*/1));
  float obs[6];
  ResetTo(*env, 1, obs);
  const float action[3] = {0.6f, 0.4f, 0};
  env->Step(action, obs);  // 10
  env->Step(action, obs);  // 40, rated 4: the history's last item, m = q_40
  CHECK(Vec(obs, 6) == std::vector<float>{1, 2, 0.5f, 1.0f, 0.5f, 0.5f});
}

TEST_CASE("movielens truncates after episode_length", "[movielens]") {
  Files files;
  auto env = Make(files.Options("test", 2, /*episode_length=*/3));
  float obs[6];
  ResetTo(*env, 1, obs);
  const float action[3] = {0.6f, 0.4f, 0};
  CHECK_FALSE(env->Step(action, obs).truncated);
  CHECK_FALSE(env->Step(action, obs).truncated);
  const StepResult last = env->Step(action, obs);
  CHECK(last.truncated);
  CHECK_FALSE(last.terminated);
}

TEST_CASE("movielens train split: empty history, training rewards", "[movielens]") {
  Files files;
  auto env = Make(files.Options("train"));
  float obs[6];
  ResetTo(*env, 2, obs);
  CHECK(Vec(obs, 6) == std::vector<float>{0.5f, -1, 0, 0, 0, 0});
  const float toward_10[3] = {1, 0, 0};  // 10 rated 4 in training: 0.5
  CHECK(env->Step(toward_10, obs).reward == Approx(0.5f));
  CHECK(Vec(obs, 6) == std::vector<float>{0.5f, -1, 0.5f, 0, 1, 0});
  const float toward_30[3] = {-1, 0, 0};  // 30 rated 5: 1, and both training items are shown
  const StepResult step = env->Step(toward_30, obs);
  CHECK(step.reward == Approx(1.0f));
  CHECK(step.terminated);
}

TEST_CASE("movielens action's last coordinate weighs the item bias", "[movielens]") {
  Files files;
  auto env = Make(files.Options("train"));
  float obs[6];
  ResetTo(*env, 2, obs);
  // Scores k · a = b alone: 50 first (not rated by user 2 in training: 0), then 30 (rated 5: 1). Without the
  // bias every score would be 0 and the lowest row, 10, would come first.
  const float bias_only[3] = {0, 0, 1};
  CHECK(env->Step(bias_only, obs).reward == 0.0f);
  CHECK(env->Step(bias_only, obs).reward == Approx(1.0f));
  const auto& movielens = dynamic_cast<MovieLensEnv&>(*env);
  CHECK(movielens.data().ItemId(movielens.shown_items()[0]) == 50);
  CHECK(movielens.data().ItemId(movielens.shown_items()[1]) == 30);
  // Factors and bias together: a = (1, 0, -2) scores q_x - 2b, among the items left 10: 0.8, 20: 0.4, 40: 1.3,
  // 60: 0.2, so 40 (not a training item of user 2: 0) comes next.
  const float mixed[3] = {1, 0, -2};
  CHECK(env->Step(mixed, obs).reward == 0.0f);
  CHECK(movielens.data().ItemId(movielens.shown_items()[2]) == 40);
}

TEST_CASE("movielens draws users by the seed", "[movielens]") {
  Files files;
  auto env = Make(files.Options("train"));
  auto& movielens = dynamic_cast<MovieLensEnv&>(*env);
  float obs[6];
  std::set<int64_t> drawn;
  for (uint64_t seed = 0; seed < 20; ++seed) {
    env->Reset(seed, obs);
    const size_t first = movielens.user_index();
    env->Reset(seed, obs);
    CHECK(movielens.user_index() == first);
    drawn.insert(movielens.data().users()[first].user);
  }
  CHECK(drawn == std::set<int64_t>{1, 2});
}

TEST_CASE("movielens offline transitions follow the log", "[movielens]") {
  Files files;
  auto ratings = LoadRatings((files.dir / "ratings.csv").string());
  auto embeddings = LoadFactorizationFile((files.dir / "embeddings.txt").string());
  REQUIRE(ratings.ok());
  REQUIRE(embeddings.ok());
  // The split in the options is ignored: the training part always.
  auto made = MakeOfflineTransitions(files.Options("test").movielens, *ratings, *embeddings, 0.9f);
  REQUIRE(made.ok());
  const OfflineTransitions& t = *made;
  REQUIRE(t.size() == 4);
  CHECK(t.obs_dim == 6);
  CHECK(t.act_dim == 3);
  // User 1: 10 rated 5, then 20 rated 2; user 2: 10 rated 4, then 30 rated 5.
  CHECK(t.observations == std::vector<float>{1,    2,  0, 0, 0, 0, 1,    2,  1,    0, 1, 0,  // user 1
                                             0.5f, -1, 0, 0, 0, 0, 0.5f, -1, 0.5f, 0, 1, 0});
  // The keys [q, b] of 10, 20, 10, 30.
  CHECK(t.actions == std::vector<float>{1, 0, 0.1f, 0, 1, -0.2f, 1, 0, 0.1f, -0.5f, 0, 0.3f});
  CHECK(t.rewards == std::vector<float>{1.0f, -0.5f, 0.5f, 1.0f});
  CHECK(t.discounts == std::vector<float>(4, 0.9f));
  // User 2's second next state averages q_10 and q_30: m = (0.25, 0).
  CHECK(t.next_observations ==
        std::vector<float>{1, 2, 1, 0, 1, 0, 1, 2, 1, 0, 1, 0, 0.5f, -1, 0.5f, 0, 1, 0, 0.5f, -1, 0.125f, 0, 0.25f, 0});
}

TEST_CASE("movielens options: INI keys, and errors naming the key", "[movielens]") {
  Files files;
  const std::string ini = (files.dir / "run.ini").string();
  std::ofstream(ini) << "[movielens]\nratings = " << (files.dir / "ratings.csv").string()
                     << "\nembeddings = " << (files.dir / "embeddings.txt").string()
                     << "\nhistory = 3\nepisode_length = 4\nsplit = test\ntrain_fraction = 0.5\nmin_ratings = 2\n";
  auto read = ReadEnvOptions(ini);
  REQUIRE(read.ok());
  CHECK(read->movielens.history == 3);
  CHECK(read->movielens.split == "test");
  CHECK(read->movielens.train_fraction == 0.5);
  CHECK(Make(*read)->spec().max_episode_steps == 4);

  EnvOptions missing = files.Options("test");
  missing.movielens.ratings = (files.dir / "nothing.csv").string();
  auto no_ratings = LookUpEnvSpec(kMovieLensId, missing);
  REQUIRE_FALSE(no_ratings.ok());
  CHECK_THAT(no_ratings.status().message(),
             Catch::Contains("movielens.ratings") && Catch::Contains("scripts/get-movielens.sh"));
  missing = files.Options("test");
  missing.movielens.embeddings = (files.dir / "nothing.txt").string();
  auto no_embeddings = MakeEnvironment(kMovieLensId, missing);
  REQUIRE_FALSE(no_embeddings.ok());
  CHECK_THAT(no_embeddings.status().message(),
             Catch::Contains("movielens.embeddings") && Catch::Contains("recsys baselines"));
  EnvOptions bad = files.Options("validation");
  CHECK_THAT(LookUpEnvSpec(kMovieLensId, bad).status().message(), Catch::Contains("movielens.split"));
  bad = files.Options("test", /*history=*/0);
  CHECK_THAT(LookUpEnvSpec(kMovieLensId, bad).status().message(), Catch::Contains("movielens.history"));
  bad = files.Options("test");
  bad.movielens.min_ratings = 4;  // no user has 4 test ratings
  auto nobody = MakeEnvironment(kMovieLensId, bad);
  REQUIRE_FALSE(nobody.ok());
  CHECK_THAT(nobody.status().message(), Catch::Contains("movielens.min_ratings"));
}
