// recsys: the recommender scenario's offline steps on logged ratings.
//
//   recsys baselines --ratings FILE [--train-fraction F] [--dim D] [--epochs E] [--regularization auto|L]
//                    [--seed S] [--embeddings OUT]
//   recsys simulate [--config INI] [--catalogue-size N] [--episodes M] [--seed S]
//   recsys load-replay --config INI [--KEY VALUE ...]
//   recsys movielens-eval --config INI [--split train|test] [--candidates all|rated] [--episodes M] [--seed S]
//   recsys evaluate --config INI --checkpoint FILE [--rerank none|critic] [--k K] [--index dot|knn] [--name N]
//                   [--csv]
//   recsys recommend --config INI --checkpoint FILE --user ID [--top N] [--rerank ...] [--k K] [--index ...]
//                    [--movies FILE]
//
// `baselines` splits the ratings per user by time, fits the item embeddings (biased matrix factorization)
// on the training part only, optionally saves them, and prints the ranking metrics of the random,
// most-popular and greedy-MF recommenders on the test part (envs/recsys/ranking_metrics.h says how each
// is computed). With --regularization auto (the default) λ is chosen on a validation split: the training
// part split again per user by time with the same fraction, each λ of a grid fitted on its older part and
// ranked by NDCG@10 of the newer part's held-out items; the test part is not looked at until the chosen λ is
// fitted on the whole training part. `simulate` evaluates the oracle, random and most-popular recommenders on
// RecSim-LatentFactor-v0 (envs/recsys/simulator_baselines.h) with a run's environment options (INI's
// [recsim], defaults without; --catalogue-size overrides), printing each one's mean return per episode and
// the environment's steps per second. `load-replay` turns the training part of MovieLens-Offline-v0's ratings
// into transitions (MakeOfflineTransitions in envs/recsys/movielens_data.h: the same state as the environment,
// the logged item's key [q, b] as the action, every discount learner.gamma) and inserts them into the run's
// replay server (replay.address, with the run's security) as an actor would, through ReplayWriter, waiting for
// every acknowledgement; the learner then trains on them with no actors. It takes the run's INI file and key
// overrides like the cluster's binaries (env.id must be MovieLens-Offline-v0). `movielens-eval` runs the
// reference policies on MovieLens-Offline-v0 with the INI's [movielens] options, episodes seeded as envtool eval
// seeds them (so `envtool eval --seed S` sees the same users): random, a uniform action in the box, and the
// user factor a = [p_u, 1] (p_u the first d numbers of the state): k · a = b_i + p_u · q_i ranks the items as
// greedy MF's mu + b_u + b_i + p_u · q_i does. `evaluate` ranks with a trained run's checkpoint
// (tools/policy_recommender.h: the actor's proto-action from the test split's first state, optionally re-ranked by the
// critic) and prints its ranking metrics under the random, most-popular and greedy-MF rows of `baselines`, computed by
// the same code on the same users (the greedy MF from movielens.embeddings, the random recommender with seed 0,
// `baselines`' default). `recommend` prints the top movies of that ranking for one user beside the user's highest
// training ratings, with titles and genres from movies.csv. Single-threaded apart from LibTorch's own threads. Exit
// codes: 0 done, 1 failed while writing, 2 bad usage or unreadable data, with `recsys: error: ...` on stderr.
#include <boost/program_options.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "actor/replay_writer.h"
#include "common/command_line.h"
#include "common/curve_security.h"
#include "envs/recsys/latent_factor_spec.h"
#include "envs/recsys/matrix_factorization.h"
#include "envs/recsys/movielens_data.h"
#include "envs/recsys/movielens_env.h"
#include "envs/recsys/movielens_spec.h"
#include "envs/recsys/movies.h"
#include "envs/recsys/ranking_metrics.h"
#include "envs/recsys/ratings.h"
#include "envs/recsys/simulator_baselines.h"
#include "envs/registry.h"
#include "learner/saved_policy.h"
#include "tools/policy_recommender.h"

namespace po = boost::program_options;
using namespace ddpg::recsys;
using ddpg::StatusOr;

namespace {

int Fail(int code, const std::string& message) {
  std::cerr << "recsys: error: " << message << "\n";
  return code;
}

// Parses a subcommand's options into `values`: the exit code to return at once (0 after printing --help, 2
// for bad usage), or nothing to go on. `command` names the subcommand in the error's hint.
std::optional<int> ParseOptions(int argc, char** argv, const po::options_description& description,
                                const std::string& command, po::variables_map& values) {
  try {
    po::store(po::parse_command_line(argc, argv, description), values);
    if (values.count("help") != 0) {
      std::cout << description;
      return 0;
    }
    po::notify(values);
  } catch (const po::error& error) {
    return Fail(2, std::string(error.what()) + " (recsys " + command + " --help)");
  }
  return std::nullopt;
}

// A uniform score in [0, 1) from (seed, user, item): the same random ranking every time for a seed.
float HashedUniform(uint64_t seed, int64_t user, int64_t item) {
  uint64_t x = seed * 0x9E3779B97F4A7C15ULL ^ static_cast<uint64_t>(user) * 0xBF58476D1CE4E5B9ULL ^
               static_cast<uint64_t>(item) * 0x94D049BB133111EBULL;
  x ^= x >> 31;
  x *= 0xD6E8FEB86659FD93ULL;
  x ^= x >> 32;
  return static_cast<float>(x >> 40) / static_cast<float>(1ULL << 24);
}

struct TableRow {
  std::string recommender;
  RankingReport report;
};

// The ranking metrics of `rows` as a table, or with `csv` as comma-separated values under a header line.
void PrintTable(const std::vector<TableRow>& rows, bool csv) {
  if (csv) {
    std::printf(
        "recommender,p_at_5,p_at_10,ndcg_at_5,ndcg_at_10,catalogue_hr_at_10,catalogue_ndcg_at_10,held_out_users,"
        "catalogue_users\n");
    for (const TableRow& row : rows) {
      const RankingReport& r = row.report;
      std::printf("%s,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%zu,%zu\n", row.recommender.c_str(), r.precision_at_5,
                  r.precision_at_10, r.ndcg_at_5, r.ndcg_at_10, r.hit_rate_at_10, r.catalogue_ndcg_at_10,
                  r.held_out_users, r.catalogue_users);
    }
    return;
  }
  size_t width = 12;
  for (const TableRow& row : rows) width = std::max(width, row.recommender.size());
  const int w = static_cast<int>(width);
  std::printf("\n%-*s %6s %6s %7s %7s | %6s %7s\n", w, "recommender", "P@5", "P@10", "NDCG@5", "NDCG@10", "HR@10",
              "NDCG@10");
  std::printf("%-*s %-30s | %s\n", w, "", "(held-out items ranked)", "(whole catalogue ranked)");
  for (const TableRow& row : rows) {
    const RankingReport& r = row.report;
    std::printf("%-*s %6.4f %6.4f %7.4f %7.4f | %6.4f %7.4f\n", w, row.recommender.c_str(), r.precision_at_5,
                r.precision_at_10, r.ndcg_at_5, r.ndcg_at_10, r.hit_rate_at_10, r.catalogue_ndcg_at_10);
  }
  if (!rows.empty()) {
    std::printf(
        "%zu test users ranked their held-out items; %zu with a relevant (>= 4) held-out rating ranked the "
        "catalogue\n",
        rows.front().report.held_out_users, rows.front().report.catalogue_users);
  }
}

// The rows of the random (seeded), most-popular (training ratings per item) and greedy-MF recommenders.
std::vector<TableRow> RankBaselines(const RatingsSplit& split, const Factorization& fitted, uint64_t seed) {
  std::map<int64_t, float> popularity;  // training ratings per item
  for (const Rating& r : split.train) popularity[r.item] += 1.0f;
  const ItemScorer random = [seed](int64_t user, const std::vector<int64_t>& candidates, std::vector<float>& scores) {
    scores.clear();
    for (int64_t item : candidates) scores.push_back(HashedUniform(seed, user, item));
  };
  const ItemScorer popular = [&popularity](int64_t, const std::vector<int64_t>& candidates,
                                           std::vector<float>& scores) {
    scores.clear();
    for (int64_t item : candidates) {
      const auto it = popularity.find(item);
      scores.push_back(it == popularity.end() ? 0.0f : it->second);
    }
  };
  const ItemScorer greedy_mf = [&fitted](int64_t user, const std::vector<int64_t>& candidates,
                                         std::vector<float>& scores) {
    scores.clear();
    for (int64_t item : candidates) scores.push_back(fitted.Predict(user, item));
  };
  return {{"random", EvaluateRanking(split, random)},
          {"popular", EvaluateRanking(split, popular)},
          {"greedy MF", EvaluateRanking(split, greedy_mf)}};
}

// The λ of kRegularizationGrid whose factorization, fitted on the older part of `train` (split again by
// time), ranks the newer part's held-out items best (NDCG@10). Prints every candidate's figures.
constexpr double kRegularizationGrid[] = {0.01, 0.02, 0.05, 0.1, 0.2, 0.5};

StatusOr<double> ChooseRegularization(const std::vector<Rating>& train, double train_fraction,
                                      FactorizationOptions options) {
  StatusOr<RatingsSplit> validation = SplitByUserTime(train, train_fraction);
  if (!validation.ok()) return validation.status();
  std::printf("choosing the regularization on a validation split of the training part: %zu fit, %zu validate\n",
              validation->train.size(), validation->test.size());
  double best = kRegularizationGrid[0];
  double best_ndcg = -1;
  for (const double regularization : kRegularizationGrid) {
    options.regularization = regularization;
    StatusOr<Factorization> model = Factorization::Fit(validation->train, options);
    if (!model.ok()) return model.status();
    const Factorization& fitted = *model;
    const RankingReport report = EvaluateRanking(
        *validation, [&fitted](int64_t user, const std::vector<int64_t>& candidates, std::vector<float>& scores) {
          scores.clear();
          for (int64_t item : candidates) scores.push_back(fitted.Predict(user, item));
        });
    std::printf("  regularization %-5g validation RMSE %.4f, NDCG@10 %.4f, catalogue HR@10 %.4f\n", regularization,
                fitted.Rmse(validation->test), report.ndcg_at_10, report.hit_rate_at_10);
    if (report.ndcg_at_10 > best_ndcg) {
      best_ndcg = report.ndcg_at_10;
      best = regularization;
    }
  }
  std::printf("chosen: regularization %g (validation NDCG@10 %.4f)\n", best, best_ndcg);
  return best;
}

int Baselines(int argc, char** argv) {
  std::string ratings_path, embeddings_path, regularization = "auto";
  double train_fraction = 0.8;
  FactorizationOptions options;
  po::options_description description("recsys baselines");
  description.add_options()("help", "this help")("ratings", po::value(&ratings_path)->required(),
                                                 "ratings file (MovieLens CSV, ml-1m '::' or ml-100k tab layout)")(
      "train-fraction", po::value(&train_fraction)->default_value(0.8), "each user's oldest fraction trains")(
      "dim", po::value(&options.dim)->default_value(32), "embedding dimension")(
      "epochs", po::value(&options.epochs)->default_value(300), "full-batch Adam steps")(
      "regularization", po::value(&regularization)->default_value("auto"),
      "L2 weight λ, or auto: the best of 0.01 .. 0.5 on a validation split of the training part")(
      "seed", po::value(&options.seed)->default_value(0), "initial factors and the random recommender")(
      "embeddings", po::value(&embeddings_path), "write the fitted factorization here");
  po::variables_map values;
  if (const std::optional<int> exit_code = ParseOptions(argc, argv, description, "baselines", values)) {
    return *exit_code;
  }

  if (regularization != "auto") {
    char* end = nullptr;
    options.regularization = std::strtod(regularization.c_str(), &end);
    if (regularization.empty() || *end != '\0' || !std::isfinite(options.regularization)) {
      return Fail(2, "--regularization must be auto or a number, not '" + regularization + "'");
    }
  }

  auto ratings = LoadRatings(ratings_path);
  if (!ratings.ok()) return Fail(2, ratings.status().message());
  std::set<int64_t> users, items;
  for (const Rating& r : *ratings) {
    users.insert(r.user);
    items.insert(r.item);
  }
  auto split = SplitByUserTime(*ratings, train_fraction);
  if (!split.ok()) return Fail(2, split.status().message());
  std::printf("%zu ratings, %zu users, %zu items; per-user time split %.2f: %zu train, %zu test\n", ratings->size(),
              users.size(), items.size(), train_fraction, split->train.size(), split->test.size());

  if (regularization == "auto") {
    StatusOr<double> chosen = ChooseRegularization(split->train, train_fraction, options);
    if (!chosen.ok()) return Fail(2, chosen.status().message());
    options.regularization = *chosen;
  }
  auto model = Factorization::Fit(split->train, options);
  if (!model.ok()) return Fail(2, model.status().message());
  double mean_only = 0;
  for (const Rating& r : split->test)
    mean_only += (r.rating - model->global_mean()) * (r.rating - model->global_mean());
  std::printf(
      "matrix factorization: dim %d, %d epochs, regularization %g: RMSE train %.4f, test %.4f (the "
      "training mean alone: %.4f)\n",
      options.dim, options.epochs, options.regularization, model->Rmse(split->train), model->Rmse(split->test),
      std::sqrt(mean_only / static_cast<double>(split->test.size())));
  if (!embeddings_path.empty()) {
    if (auto status = model->Save(embeddings_path); !status.ok()) return Fail(1, status.message());
    std::printf("factorization written to %s\n", embeddings_path.c_str());
  }

  PrintTable(RankBaselines(*split, *model, options.seed), /*csv=*/false);
  return 0;
}

int Simulate(int argc, char** argv) {
  std::string config_path;
  uint64_t catalogue_size = 0;
  int episodes = 0;
  uint64_t seed = 0;
  po::options_description description("recsys simulate");
  description.add_options()("help", "this help")("config", po::value(&config_path),
                                                 "a run's INI file, for its [recsim] options (defaults without)")(
      "catalogue-size", po::value(&catalogue_size), "overrides recsim.catalogue_size")(
      "episodes", po::value(&episodes)->default_value(200), "episodes per recommender")(
      "seed", po::value(&seed)->default_value(0), "seeds the first reset: every recommender meets the same users");
  po::variables_map values;
  if (const std::optional<int> exit_code = ParseOptions(argc, argv, description, "simulate", values)) {
    return *exit_code;
  }
  if (episodes < 1) return Fail(2, "--episodes " + std::to_string(episodes) + " is not a positive number");
  ddpg::EnvOptions options;
  if (!config_path.empty()) {
    auto read = ddpg::ReadEnvOptions(config_path);
    if (!read.ok()) return Fail(2, read.status().message());
    options = *read;
  }
  if (values.count("catalogue-size") != 0) options.recsim.catalogue_size = catalogue_size;
  if (auto valid = ValidateRecsimOptions(options.recsim); !valid.ok()) return Fail(2, valid.message());

  const auto start = std::chrono::steady_clock::now();
  auto catalogue = SharedCatalogue(options.recsim);
  const double generation_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  LatentFactorEnv env(options.recsim, catalogue);
  const ddpg::RecsimOptions& o = options.recsim;
  std::printf(
      "%s: %llu items, dim %d, %d steps per episode, zipf %g, affinity %g, popularity %g, drift %g, noise %g, "
      "exclude %s, catalogue seed %llu (generated in %.2f s)\n",
      kLatentFactorId, static_cast<unsigned long long>(o.catalogue_size), o.embedding_dim, o.episode_length,
      o.zipf_exponent, o.affinity_scale, o.popularity_weight, o.drift, o.noise,
      o.exclude_recommended ? "true" : "false", static_cast<unsigned long long>(o.catalogue_seed), generation_s);
  std::printf("%d episodes per recommender, seed %llu\n\n%-13s %12s %10s %12s\n", episodes,
              static_cast<unsigned long long>(seed), "recommender", "mean return", "std", "steps/s");
  for (SimulatorBaseline baseline :
       {SimulatorBaseline::kOracle, SimulatorBaseline::kRandom, SimulatorBaseline::kMostPopular}) {
    const EvaluationResult result = EvaluateRecommender(env, MakeBaseline(baseline, seed), episodes, seed);
    std::printf("%-13s %12.3f %10.3f %12.0f\n", BaselineName(baseline), result.mean_return, result.std_return,
                static_cast<double>(result.steps) / result.seconds);
  }
  return 0;
}

// Transitions [begin, end) as one chunk.
ddpg::protocol::TransitionBatch Chunk(const OfflineTransitions& all, size_t begin, size_t end) {
  ddpg::protocol::TransitionBatch batch;
  batch.obs_dim = static_cast<uint32_t>(all.obs_dim);
  batch.act_dim = static_cast<uint32_t>(all.act_dim);
  const auto slice = [&](const std::vector<float>& values, size_t width) {
    return std::vector<float>(values.begin() + begin * width, values.begin() + end * width);
  };
  batch.observations = slice(all.observations, all.obs_dim);
  batch.actions = slice(all.actions, all.act_dim);
  batch.rewards = slice(all.rewards, 1);
  batch.discounts = slice(all.discounts, 1);
  batch.next_observations = slice(all.next_observations, all.obs_dim);
  batch.policy_versions.assign(end - begin, 0);  // logged, not chosen by any policy version
  return batch;
}

int LoadReplay(int argc, char** argv) {
  StatusOr<ddpg::CommandLine> command_line = ddpg::ParseCommandLine(argc, argv, ddpg::Program::kActor);
  if (!command_line.ok()) return Fail(2, command_line.status().message());
  if (command_line->show_help) {
    std::cout << "recsys load-replay --config INI: inserts the logged training ratings into the run's replay "
                 "server\n\n"
              << command_line->help;
    return 0;
  }
  ddpg::Config& config = command_line->config;
  if (config.env.id != kMovieLensId) {
    return Fail(2, "env.id = '" + config.env.id + "': load-replay makes transitions for " + kMovieLensId + " only");
  }
  const ddpg::MovielensOptions& options = config.env.options.movielens;
  auto ratings = LoadRatings(options.ratings);
  if (!ratings.ok()) return Fail(2, "movielens.ratings: " + ratings.status().message());
  auto embeddings = LoadFactorizationFile(options.embeddings);
  if (!embeddings.ok()) return Fail(2, "movielens.embeddings: " + embeddings.status().message());
  auto transitions = MakeOfflineTransitions(options, std::move(*ratings), std::move(*embeddings),
                                            static_cast<float>(config.learner.gamma));
  if (!transitions.ok()) return Fail(2, transitions.status().message());
  std::printf("%zu transitions from the training part of %s (obs_dim %d, act_dim %d, discount %g)\n",
              transitions->size(), options.ratings.c_str(), transitions->obs_dim, transitions->act_dim,
              config.learner.gamma);

  auto security = ddpg::LoadSocketSecurity(config.run, ddpg::SocketRoles::kClient);
  if (!security.ok()) return Fail(2, security.status().message());
  zmq::context_t context(1);
  if (config.actor.auto_id) {
    auto id = ddpg::AcquireActorId(context, config.replay.address, config.run.heartbeat_interval_ms,
                                   config.run.heartbeat_timeout_ms, security->client);
    if (!id.ok()) return Fail(1, id.status().message());
    config.actor.id = *id;
  }
  ddpg::ReplayWriter writer(context, config.replay.address, config.actor.id, config.actor.max_chunks_in_flight,
                            config.run.heartbeat_interval_ms, config.run.heartbeat_timeout_ms, security->client);
  const size_t total = transitions->size();
  const auto chunk_size = static_cast<size_t>(config.actor.chunk_size);
  size_t sent = 0;
  // Waits for the server however long it takes to come up, like an actor; every chunk is resent until acked.
  while (sent < total || writer.in_flight() > 0) {
    while (sent < total && writer.HasCredit()) {
      const size_t end = std::min(total, sent + chunk_size);
      writer.Send(Chunk(*transitions, sent, end));
      sent = end;
    }
    writer.Service(100, /*until_credit=*/sent < total);
  }
  std::printf("acknowledged %llu transitions, refused %llu; the replay server holds %llu\n",
              static_cast<unsigned long long>(writer.acked_transitions()),
              static_cast<unsigned long long>(writer.refused_transitions()),
              static_cast<unsigned long long>(writer.replay_size()));
  if (writer.refused_transitions() > 0) return Fail(1, "the replay server refused some transitions (its log says why)");
  return 0;
}

int MovieLensEval(int argc, char** argv) {
  std::string config_path, split, candidates;
  int episodes = 200;
  uint64_t seed = 0;
  po::options_description description("recsys movielens-eval");
  description.add_options()("help", "this text")("config", po::value(&config_path), "the run's INI file")(
      "split", po::value(&split), "train or test: overrides movielens.split")(
      "candidates", po::value(&candidates), "all or rated: overrides movielens.candidates")(
      "episodes", po::value(&episodes)->default_value(episodes), "episodes per policy")(
      "seed", po::value(&seed)->default_value(seed), "seed of the first reset and of the random policy");
  po::variables_map values;
  if (const std::optional<int> exit_code = ParseOptions(argc, argv, description, "movielens-eval", values)) {
    return *exit_code;
  }
  if (config_path.empty() || episodes < 1) return Fail(2, "movielens-eval needs --config INI and --episodes >= 1");
  auto options = ddpg::ReadEnvOptions(config_path);
  if (!options.ok()) return Fail(2, options.status().message());
  if (!split.empty()) options->movielens.split = split;
  if (!candidates.empty()) options->movielens.candidates = candidates;
  auto made = ddpg::MakeEnvironment(kMovieLensId, *options);
  if (!made.ok()) return Fail(2, made.status().message());
  ddpg::Environment& env = **made;
  const ddpg::EnvSpec& spec = env.spec();
  const ddpg::MovielensOptions& o = options->movielens;
  const MovieLensData& data = dynamic_cast<const MovieLensEnv&>(env).data();
  std::printf(
      "%s: split %s, candidates %s, history %d, %d steps per episode; %zu of %zu users with >= %d ratings "
      "in the split; %d episodes per policy, seed %llu\n\n",
      kMovieLensId, o.split.c_str(), o.candidates.c_str(), o.history, o.episode_length, data.eligible().size(),
      data.users().size(), o.min_ratings, episodes, static_cast<unsigned long long>(seed));
  std::printf("%-13s %12s %10s\n", "policy", "mean return", "std");
  for (const std::string policy : {"random", "user factor"}) {
    std::mt19937_64 rng(seed);
    const EvaluationResult result = EvaluatePolicy(
        env,
        [&](const float* observation, float* action) {
          for (int j = 0; j < spec.act_dim; ++j) {
            if (policy == "random") {
              action[j] = std::uniform_real_distribution<float>(spec.act_low[j], spec.act_high[j])(rng);
            } else {
              action[j] = j < data.dim() ? observation[j] : 1.0f;  // [p_u, 1]: the bias coordinate weighs b_i by 1
            }
          }
        },
        episodes, seed);
    std::printf("%-13s %12.3f %10.3f\n", policy.c_str(), result.mean_return, result.std_return);
  }
  return 0;
}

// A run's trained policy as a recommender, with the data both commands need.
struct TrainedRecommender {
  ddpg::MovielensOptions movielens;
  RatingsSplit split;
  std::shared_ptr<const MovieLensData> data;  // split = train: each user's training ratings
  std::unique_ptr<PolicyRecommender> recommender;
  std::string algorithm;    // "ddpg", "td3", "d4pg"
  std::string description;  // "checkpoint at update 20000"
};

// The failure's exit code and message, or the loaded policy.
StatusOr<TrainedRecommender> LoadTrainedRecommender(const std::string& config_path, const std::string& checkpoint,
                                                    const PolicyRecommenderOptions& options) {
  StatusOr<ddpg::EnvOptions> env_options = ddpg::ReadEnvOptions(config_path);
  if (!env_options.ok()) return env_options.status();
  TrainedRecommender trained;
  trained.movielens = env_options->movielens;
  if (ddpg::Status valid = ValidateMovielensOptions(trained.movielens); !valid.ok()) return valid;
  StatusOr<std::vector<Rating>> ratings = LoadRatings(trained.movielens.ratings);
  if (!ratings.ok()) return ddpg::InvalidArgument("movielens.ratings: " + ratings.status().message());
  StatusOr<RatingsSplit> split = SplitByUserTime(std::move(*ratings), trained.movielens.train_fraction);
  if (!split.ok()) return split.status();
  trained.split = std::move(*split);

  ddpg::MovielensOptions training = trained.movielens;
  training.split = "train";
  training.min_ratings = 1;
  StatusOr<MovieLensData> data = MovieLensData::Load(training);
  if (!data.ok()) return data.status();
  trained.data = std::make_shared<const MovieLensData>(std::move(*data));

  StatusOr<ddpg::SavedAgent> saved = ddpg::LoadSavedAgent(checkpoint);
  if (!saved.ok()) return saved.status();
  trained.algorithm = std::string(ddpg::ConfigEnumName(saved->agent->options().algorithm));
  trained.description = "checkpoint at update " + std::to_string(saved->counters.updates);
  StatusOr<std::unique_ptr<PolicyRecommender>> recommender =
      PolicyRecommender::Create(trained.data, std::move(saved->agent), options);
  if (!recommender.ok()) return ddpg::InvalidArgument(checkpoint + ": " + recommender.status().message());
  trained.recommender = std::move(*recommender);
  return trained;
}

// Reads --rerank, --k and --index into `options`; the usage error's message, or nothing.
std::optional<std::string> ReadRecommenderOptions(const std::string& rerank, int candidates, const std::string& index,
                                                  PolicyRecommenderOptions& options) {
  StatusOr<Rerank> parsed_rerank = ParseRerank(rerank);
  if (!parsed_rerank.ok()) return parsed_rerank.status().message();
  StatusOr<ItemIndexKind> parsed_index = ParseItemIndexKind(index);
  if (!parsed_index.ok()) return "--index: " + parsed_index.status().message();
  if (candidates < 1) return "--k " + std::to_string(candidates) + " is not a positive number";
  options = {*parsed_rerank, static_cast<size_t>(candidates), *parsed_index};
  return std::nullopt;
}

// The policy's row name: "ddpg", or with re-ranking "ddpg+critic@K" (and " knn" for the approximate index).
std::string PolicyRowName(const std::string& algorithm, const PolicyRecommenderOptions& options) {
  if (options.rerank == Rerank::kNone) return algorithm;
  return algorithm + "+critic@" + std::to_string(options.candidates) +
         (options.index == ItemIndexKind::kApproximate ? " knn" : "");
}

void AddRecommenderOptions(po::options_description& description, std::string& rerank, int& candidates,
                           std::string& index) {
  description.add_options()("config", po::value<std::string>()->required(), "the run's INI file ([movielens])")(
      "checkpoint", po::value<std::string>()->required(), "the run's checkpoint.pt (actor and critic)")(
      "rerank", po::value(&rerank)->default_value("none"),
      "none: rank by k · a (k = [q, b], the item key); critic: Wolpertinger, the K best by k · a re-ranked by the "
      "critic")("k", po::value(&candidates)->default_value(100), "K, the candidates the critic re-ranks")(
      "index", po::value(&index)->default_value("dot"),
      "where the catalogue's candidates come from: dot (exact) or knn (hnswlib)");
}

int Evaluate(int argc, char** argv) {
  std::string rerank, index, name;
  int candidates = 0;
  bool csv = false;
  po::options_description description("recsys evaluate");
  description.add_options()("help", "this help");
  AddRecommenderOptions(description, rerank, candidates, index);
  description.add_options()("name", po::value(&name), "the policy's row name (default: the algorithm, e.g. ddpg)")(
      "csv", po::bool_switch(&csv), "print the table as comma-separated values, everything else to stderr");
  po::variables_map values;
  if (const std::optional<int> exit_code = ParseOptions(argc, argv, description, "evaluate", values)) {
    return *exit_code;
  }
  PolicyRecommenderOptions options;
  if (auto error = ReadRecommenderOptions(rerank, candidates, index, options)) return Fail(2, *error);
  auto trained =
      LoadTrainedRecommender(values["config"].as<std::string>(), values["checkpoint"].as<std::string>(), options);
  if (!trained.ok()) return Fail(2, trained.status().message());
  for (const Rating& r : trained->split.test) {
    if (!trained->recommender->Knows(r.user)) {
      return Fail(2, "test user " + std::to_string(r.user) + " has no factors in movielens.embeddings = " +
                         trained->movielens.embeddings + ": was it fitted with movielens.train_fraction = " +
                         std::to_string(trained->movielens.train_fraction) + "?");
    }
  }
  auto factorization = Factorization::Load(trained->movielens.embeddings);
  if (!factorization.ok()) return Fail(2, "movielens.embeddings: " + factorization.status().message());

  std::fprintf(csv ? stderr : stdout,
               "%s (%s); ratings %s split %.2f: %zu train, %zu test; embeddings %s (dim %d, %lld items); state "
               "history %d\n",
               values["checkpoint"].as<std::string>().c_str(), trained->description.c_str(),
               trained->movielens.ratings.c_str(), trained->movielens.train_fraction, trained->split.train.size(),
               trained->split.test.size(), trained->movielens.embeddings.c_str(), trained->data->dim(),
               static_cast<long long>(trained->data->num_items()), trained->movielens.history);
  std::vector<TableRow> rows = RankBaselines(trained->split, *factorization, /*seed=*/0);
  const PolicyRecommender& policy = *trained->recommender;
  const ItemScorer held_out = [&policy](int64_t user, const std::vector<int64_t>& items, std::vector<float>& scores) {
    policy.ScoreHeldOut(user, items, scores);
  };
  const ItemScorer catalogue = [&policy](int64_t user, const std::vector<int64_t>& items, std::vector<float>& scores) {
    policy.ScoreCatalogue(user, items, scores);
  };
  rows.push_back({name.empty() ? PolicyRowName(trained->algorithm, options) : name,
                  EvaluateRanking(trained->split, held_out, catalogue)});
  PrintTable(rows, csv);
  return 0;
}

// "Title (1995), Comedy|Romance", or the id when the movies file lacks it.
std::string Describe(const std::unordered_map<int64_t, Movie>& movies, int64_t item) {
  const auto found = movies.find(item);
  if (found == movies.end()) return "movie " + std::to_string(item) + " (not in the movies file)";
  const Movie& movie = found->second;
  std::string text = movie.title.empty() ? "movie " + std::to_string(item) : movie.title;
  if (!movie.year.empty()) text += " (" + movie.year + ")";
  if (!movie.genres.empty()) text += ", " + movie.genres;
  return text;
}

int Recommend(int argc, char** argv) {
  std::string rerank, index, movies_path;
  int candidates = 0, k = 10;
  int64_t user = 0;
  po::options_description description("recsys recommend");
  description.add_options()("help", "this help");
  AddRecommenderOptions(description, rerank, candidates, index);
  description.add_options()("user", po::value(&user)->required(), "the user id, as the ratings file has it")(
      "top", po::value(&k)->default_value(10), "how many movies to recommend (and to show from the user's ratings)")(
      "movies", po::value(&movies_path),
      "titles and genres (default: movies.csv beside movielens.ratings, as scripts/get-movielens.sh writes it)");
  po::variables_map values;
  if (const std::optional<int> exit_code = ParseOptions(argc, argv, description, "recommend", values)) {
    return *exit_code;
  }
  PolicyRecommenderOptions options;
  if (auto error = ReadRecommenderOptions(rerank, candidates, index, options)) return Fail(2, *error);
  if (k < 1) return Fail(2, "--top " + std::to_string(k) + " is not a positive number");
  const std::string config_path = values["config"].as<std::string>();
  if (movies_path.empty()) {
    auto env_options = ddpg::ReadEnvOptions(config_path);
    if (!env_options.ok()) return Fail(2, env_options.status().message());
    movies_path = (std::filesystem::path(env_options->movielens.ratings).parent_path() / "movies.csv").string();
  }
  auto movies = LoadMovies(movies_path);
  if (!movies.ok()) return Fail(2, movies.status().message());
  auto trained = LoadTrainedRecommender(config_path, values["checkpoint"].as<std::string>(), options);
  if (!trained.ok()) return Fail(2, trained.status().message());
  if (!trained->recommender->Knows(user)) {
    const std::vector<UserLog>& users = trained->data->users();
    return Fail(2, "unknown user " + std::to_string(user) + ": " + trained->movielens.ratings +
                       " has no training rating by it (" + std::to_string(users.size()) + " users, ids " +
                       std::to_string(users.front().user) + " to " + std::to_string(users.back().user) + ")");
  }

  std::vector<Rating> trained_ratings;
  std::unordered_map<int64_t, float> held_out;
  for (const Rating& r : trained->split.train) {
    if (r.user == user) trained_ratings.push_back(r);
  }
  for (const Rating& r : trained->split.test) {
    if (r.user == user) held_out.emplace(r.item, r.rating);
  }
  // Highest first, the newest of equal ratings first.
  std::stable_sort(trained_ratings.begin(), trained_ratings.end(), [](const Rating& a, const Rating& b) {
    return a.rating != b.rating ? a.rating > b.rating : a.timestamp > b.timestamp;
  });
  std::printf("user %lld: %zu training ratings, %zu held out; %s %s (%s)\n\n", static_cast<long long>(user),
              trained_ratings.size(), held_out.size(), trained->algorithm.c_str(),
              values["checkpoint"].as<std::string>().c_str(), trained->description.c_str());
  std::printf("rated highest in the training part:\n");
  for (size_t i = 0; i < std::min(static_cast<size_t>(k), trained_ratings.size()); ++i) {
    std::printf("  %3.1f  %s\n", trained_ratings[i].rating, Describe(*movies, trained_ratings[i].item).c_str());
  }
  std::printf("\nrecommended (%s; the user's held-out rating in brackets where there is one):\n",
              PolicyRowName(trained->algorithm, options).c_str());
  const std::vector<int64_t> recommended = trained->recommender->Recommend(user, static_cast<size_t>(k));
  for (size_t i = 0; i < recommended.size(); ++i) {
    const auto rating = held_out.find(recommended[i]);
    std::printf("  %2zu. %s%s\n", i + 1, Describe(*movies, recommended[i]).c_str(),
                rating == held_out.end() ? "" : (" [" + std::to_string(rating->second).substr(0, 3) + "]").c_str());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string usage =
      "usage: recsys baselines --ratings FILE [options] | recsys simulate [options] | recsys load-replay --config INI "
      "| "
      "recsys movielens-eval --config INI | recsys evaluate --config INI --checkpoint FILE | recsys recommend "
      "--config INI --checkpoint FILE --user ID   (recsys COMMAND --help)";
  if (argc < 2) return Fail(2, usage);
  const std::string command = argv[1];
  if (command == "baselines") return Baselines(argc - 1, argv + 1);
  if (command == "simulate") return Simulate(argc - 1, argv + 1);
  if (command == "load-replay") return LoadReplay(argc - 1, argv + 1);
  if (command == "movielens-eval") return MovieLensEval(argc - 1, argv + 1);
  if (command == "evaluate") return Evaluate(argc - 1, argv + 1);
  if (command == "recommend") return Recommend(argc - 1, argv + 1);
  if (command == "--help" || command == "help") {
    std::cout << usage << "\n";
    return 0;
  }
  return Fail(2, "unknown command '" + command + "'; " + usage);
}
