// recsys: the recommender scenario's offline steps on logged ratings.
//
//   recsys baselines --ratings FILE [--train-fraction F] [--dim D] [--epochs E] [--regularization auto|L]
//                    [--seed S] [--embeddings OUT]
//   recsys simulate [--config INI] [--catalogue-size N] [--episodes M] [--seed S]
//   recsys load-replay --config INI [--KEY VALUE ...]
//   recsys movielens-eval --config INI [--split train|test] [--candidates all|rated] [--episodes M] [--seed S]
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
// the logged item's factors as the action, every discount learner.gamma) and inserts them into the run's
// replay server (replay.address, with the run's security) as an actor would, through ReplayWriter, waiting for
// every acknowledgement; the learner then trains on them with no actors. It takes the run's INI file and key
// overrides like the cluster's binaries (env.id must be MovieLens-Offline-v0). `movielens-eval` runs the
// reference policies on MovieLens-Offline-v0 with the INI's [movielens] options, episodes seeded as envtool eval
// seeds them (so `envtool eval --seed S` sees the same users): random, a uniform action in the box, and the
// user's factor p_u as the action (the first d numbers of the state: the unbiased p_u · q ranking of matrix
// factorization). Single-threaded apart from LibTorch's
// own threads. Exit codes: 0 done, 1 failed while writing, 2 bad usage or unreadable data, with `recsys: error: ...` on
// stderr.
#include <boost/program_options.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>

#include "actor/replay_writer.h"
#include "common/command_line.h"
#include "common/curve_security.h"
#include "envs/recsys/latent_factor_spec.h"
#include "envs/recsys/matrix_factorization.h"
#include "envs/recsys/movielens_data.h"
#include "envs/recsys/movielens_env.h"
#include "envs/recsys/movielens_spec.h"
#include "envs/recsys/ranking_metrics.h"
#include "envs/recsys/ratings.h"
#include "envs/recsys/simulator_baselines.h"
#include "envs/registry.h"

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

void PrintRow(const std::string& name, const RankingReport& report) {
  std::printf("%-12s %6.4f %6.4f %7.4f %7.4f | %6.4f %7.4f\n", name.c_str(), report.precision_at_5,
              report.precision_at_10, report.ndcg_at_5, report.ndcg_at_10, report.hit_rate_at_10,
              report.catalogue_ndcg_at_10);
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

  std::map<int64_t, float> popularity;  // training ratings per item
  for (const Rating& r : split->train) popularity[r.item] += 1.0f;
  const uint64_t seed = options.seed;
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
  const Factorization& fitted = *model;
  const ItemScorer greedy_mf = [&fitted](int64_t user, const std::vector<int64_t>& candidates,
                                         std::vector<float>& scores) {
    scores.clear();
    for (int64_t item : candidates) scores.push_back(fitted.Predict(user, item));
  };

  std::printf("\n%-12s %6s %6s %7s %7s | %6s %7s\n", "recommender", "P@5", "P@10", "NDCG@5", "NDCG@10", "HR@10",
              "NDCG@10");
  std::printf("%-12s %-30s | %s\n", "", "(held-out items ranked)", "(whole catalogue ranked)");
  const RankingReport random_report = EvaluateRanking(*split, random);
  PrintRow("random", random_report);
  PrintRow("popular", EvaluateRanking(*split, popular));
  PrintRow("greedy MF", EvaluateRanking(*split, greedy_mf));
  std::printf(
      "%zu test users ranked their held-out items; %zu with a relevant (>= 4) held-out rating ranked the "
      "catalogue\n",
      random_report.held_out_users, random_report.catalogue_users);
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
  std::vector<float> observation(spec.obs_dim), action(spec.act_dim);
  for (const std::string policy : {"random", "user factor"}) {
    std::mt19937_64 rng(seed);
    double sum = 0.0, sum_squares = 0.0;
    for (int episode = 0; episode < episodes; ++episode) {
      if (episode == 0) {
        env.Reset(seed, observation.data());
      } else {
        env.Reset(observation.data());
      }
      double episode_return = 0.0;
      for (;;) {
        for (int j = 0; j < spec.act_dim; ++j) {
          action[j] = policy == "random" ? std::uniform_real_distribution<float>(spec.act_low[j], spec.act_high[j])(rng)
                                         : observation[j];
        }
        const ddpg::StepResult step = env.Step(action.data(), observation.data());
        episode_return += step.reward;
        if (step.terminated || step.truncated) break;
      }
      sum += episode_return;
      sum_squares += episode_return * episode_return;
    }
    const double mean = sum / episodes;
    std::printf("%-13s %12.3f %10.3f\n", policy.c_str(), mean,
                std::sqrt(std::max(0.0, sum_squares / episodes - mean * mean)));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string usage =
      "usage: recsys baselines --ratings FILE [options] | recsys simulate [options] | recsys load-replay --config INI "
      "| "
      "recsys movielens-eval --config INI"
      "   (recsys COMMAND --help)";
  if (argc < 2) return Fail(2, usage);
  const std::string command = argv[1];
  if (command == "baselines") return Baselines(argc - 1, argv + 1);
  if (command == "simulate") return Simulate(argc - 1, argv + 1);
  if (command == "load-replay") return LoadReplay(argc - 1, argv + 1);
  if (command == "movielens-eval") return MovieLensEval(argc - 1, argv + 1);
  if (command == "--help" || command == "help") {
    std::cout << usage << "\n";
    return 0;
  }
  return Fail(2, "unknown command '" + command + "'; " + usage);
}
