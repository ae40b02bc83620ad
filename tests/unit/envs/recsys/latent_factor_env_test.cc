// RecSim-LatentFactor-v0 (envs/recsys/latent_factor_env.h): its options from an INI file to the spec and the
// registry, the response model and observation against hand computations, seeding, truncation, exclusion,
// the shared catalogue, and the baselines' order.
#include "envs/recsys/latent_factor_env.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>

#include "common/command_line.h"
#include "envs/env_batch.h"
#include "envs/env_spec.h"
#include "envs/recsys/latent_factor_spec.h"
#include "envs/recsys/simulator_baselines.h"
#include "envs/registry.h"

using namespace ddpg;
using namespace ddpg::recsys;

namespace {

EnvOptions Small() {
  EnvOptions options;
  options.recsim.catalogue_size = 1000;
  options.recsim.embedding_dim = 4;
  options.recsim.episode_length = 20;
  return options;
}

std::unique_ptr<Environment> Make(const EnvOptions& options) {
  auto env = MakeEnvironment(kLatentFactorId, options);
  INFO(env.status().message());
  REQUIRE(env.ok());
  return std::move(*env);
}

LatentFactorEnv& AsLatentFactor(Environment& env) { return dynamic_cast<LatentFactorEnv&>(env); }

std::vector<float> RandomAction(std::mt19937_64& rng, int dim) {
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::vector<float> action(dim);
  for (float& x : action) x = uniform(rng);
  return action;
}

}  // namespace

TEST_CASE("recsim options out of range fail naming the key", "[recsim]") {
  const auto message = [](void (*change)(RecsimOptions&)) {
    EnvOptions options;
    change(options.recsim);
    auto env = MakeEnvironment(kLatentFactorId, options);
    REQUIRE_FALSE(env.ok());
    CHECK(env.status().code() == StatusCode::kInvalidArgument);
    auto spec = LookUpEnvSpec(kLatentFactorId, options);
    REQUIRE_FALSE(spec.ok());
    CHECK(spec.status().message() == env.status().message());
    return env.status().message();
  };
  CHECK(message([](RecsimOptions& o) { o.catalogue_size = 999; }) ==
        "recsim.catalogue_size = 999 is out of range: allowed 1000 .. 1000000");
  CHECK(message([](RecsimOptions& o) { o.catalogue_size = 1000001; }) ==
        "recsim.catalogue_size = 1000001 is out of range: allowed 1000 .. 1000000");
  CHECK(message([](RecsimOptions& o) { o.embedding_dim = 1; }) ==
        "recsim.embedding_dim = 1 is out of range: allowed 2 .. 256");
  CHECK(message([](RecsimOptions& o) { o.episode_length = 0; }) ==
        "recsim.episode_length = 0 is out of range: allowed 1 .. 1000");
  CHECK(message([](RecsimOptions& o) { o.drift = -0.1; }) == "recsim.drift = -0.1 is out of range: allowed 0 .. 1");
  CHECK(message([](RecsimOptions& o) { o.noise = std::nan(""); }) == "recsim.noise = nan is not a finite number");
  CHECK_THAT(message([](RecsimOptions& o) { o.zipf_exponent = 6; }), Catch::StartsWith("recsim.zipf_exponent = 6"));
  CHECK_THAT(message([](RecsimOptions& o) { o.affinity_scale = -1; }), Catch::StartsWith("recsim.affinity_scale"));
  CHECK_THAT(message([](RecsimOptions& o) { o.popularity_weight = 1e9; }),
             Catch::StartsWith("recsim.popularity_weight"));
  // The bounds themselves are allowed.
  EnvOptions edge;
  edge.recsim.catalogue_size = 1000;
  edge.recsim.embedding_dim = 2;
  edge.recsim.episode_length = 1000;
  CHECK(MakeEnvironment(kLatentFactorId, edge).ok());
  // Other environments ignore the options.
  EnvOptions bad;
  bad.recsim.catalogue_size = 1;
  CHECK(MakeEnvironment("Pendulum-v1", bad).ok());
}

TEST_CASE("an INI's [recsim] options reach the spec of every process", "[recsim]") {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("recsim_test_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "run.ini").string();
  std::ofstream(path) << "[env]\nid = RecSim-LatentFactor-v0\n\n[recsim]\ncatalogue_size = 5000\nembedding_dim = 8\n"
                         "episode_length = 30\n";
  for (Program program : {Program::kReplayServer, Program::kLearner, Program::kActor}) {
    const std::vector<const char*> argv = {"test", "--config", path.c_str()};
    const StatusOr<CommandLine> parsed = ParseCommandLine(static_cast<int>(argv.size()), argv.data(), program);
    INFO(parsed.status().message());
    REQUIRE(parsed.ok());
    const EnvOptions& options = parsed->config.env.options;
    CHECK(options.recsim.catalogue_size == 5000);
    const EnvSpec spec = *LookUpEnvSpec(kLatentFactorId, options);
    CHECK(spec.act_dim == 9);
    CHECK(spec.obs_dim == 3 * 9 + 3);
    CHECK(spec.max_episode_steps == 30);
    const auto env = Make(options);
    CHECK(env->spec().obs_dim == spec.obs_dim);
    CHECK(AsLatentFactor(*env).catalogue()->size() == 5000);
  }
  auto tool_options = ReadEnvOptions(path);  // envtool and recsys simulate
  REQUIRE(tool_options.ok());
  CHECK(tool_options->recsim.embedding_dim == 8);

  // A bad value fails the parse with the key's own message, not as an unknown environment.
  std::ofstream(path) << "[env]\nid = RecSim-LatentFactor-v0\n\n[recsim]\ncatalogue_size = 500\n";
  const std::vector<const char*> argv = {"test", "--config", path.c_str()};
  const StatusOr<CommandLine> parsed = ParseCommandLine(static_cast<int>(argv.size()), argv.data(), Program::kActor);
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.status().message() == "recsim.catalogue_size = 500 is out of range: allowed 1000 .. 1000000");
  std::filesystem::remove_all(dir);
}

TEST_CASE("the same seed gives the same episode, another seed another", "[recsim]") {
  const auto a = Make(Small());
  const auto b = Make(Small());
  const int obs_dim = a->spec().obs_dim;
  std::vector<float> obs_a(obs_dim), obs_b(obs_dim);
  a->Reset(42, obs_a.data());
  b->Reset(42, obs_b.data());
  std::mt19937_64 rng(1);
  double return_a = 0.0;
  for (int t = 0; t < 20; ++t) {
    const std::vector<float> action = RandomAction(rng, a->spec().act_dim);
    const StepResult ra = a->Step(action.data(), obs_a.data());
    const StepResult rb = b->Step(action.data(), obs_b.data());
    REQUIRE(ra.reward == rb.reward);
    REQUIRE(obs_a == obs_b);
    REQUIRE(AsLatentFactor(*a).preference() == AsLatentFactor(*b).preference());
    return_a += ra.reward;
  }
  b->Reset(43, obs_b.data());
  CHECK(AsLatentFactor(*a).preference() != AsLatentFactor(*b).preference());
  CHECK(return_a > 0.0);
}

TEST_CASE("episodes are truncated after episode_length steps, never terminated", "[recsim]") {
  EnvOptions options = Small();
  options.recsim.episode_length = 7;
  auto batch = EnvBatch::Create(kLatentFactorId, 2, 5, options);
  REQUIRE(batch.ok());
  std::vector<float> actions(2 * (*batch)->spec().act_dim, 0.3f);
  StepOutput output;
  for (int step = 1; step <= 21; ++step) {
    (*batch)->Step(actions, output);
    CHECK(output.terminated[0] == 0);
    CHECK(output.truncated[0] == (step % 7 == 0));
    if (step % 7 == 0) {
      REQUIRE(output.finished.size() == 2);
      CHECK(output.finished[0].length == 7);
      // The final observation's step fraction is 1; the next episode starts at 0.
      const int obs_dim = (*batch)->spec().obs_dim;
      CHECK(output.next_observations[obs_dim - 1] == 1.0f);
      CHECK((*batch)->observations()[obs_dim - 1] == 0.0f);
    }
  }
}

TEST_CASE("the recommended item is the argmax of the clipped action, never repeated", "[recsim]") {
  EnvOptions options = Small();
  options.recsim.episode_length = 1000;  // the whole catalogue
  const auto env = Make(options);
  LatentFactorEnv& sim = AsLatentFactor(*env);
  const Catalogue& catalogue = *sim.catalogue();
  std::vector<float> obs(env->spec().obs_dim), key(catalogue.key_dim());
  env->Reset(3, obs.data());
  std::mt19937_64 rng(2);
  std::set<int64_t> seen;
  for (int t = 0; t < 1000; ++t) {
    // Every third action is the same far-out vector: the clipped one picks the same item first, then its
    // runners-up, because the earlier picks are excluded.
    std::vector<float> action =
        t % 3 == 0 ? std::vector<float>(catalogue.key_dim(), 5.0f) : RandomAction(rng, catalogue.key_dim());
    int64_t expected = -1;
    double best = -1e300;
    for (int64_t item = 0; item < catalogue.size(); ++item) {
      if (seen.count(item) != 0) continue;
      catalogue.CopyKey(item, key.data());
      double score = 0.0;
      for (int j = 0; j < catalogue.key_dim(); ++j) score += key[j] * std::clamp(action[j], -1.0f, 1.0f);
      if (score > best) {
        best = score;
        expected = item;
      }
    }
    const StepResult result = env->Step(action.data(), obs.data());
    REQUIRE(sim.last_item() == expected);
    REQUIRE(seen.insert(sim.last_item()).second);
    CHECK(result.truncated == (t == 999));
  }
  CHECK(seen.size() == 1000);
}

TEST_CASE("without exclusion the same action recommends the same item again", "[recsim]") {
  EnvOptions options = Small();
  options.recsim.exclude_recommended = false;
  options.recsim.drift = 0.0;
  const auto env = Make(options);
  std::vector<float> obs(env->spec().obs_dim), action(env->spec().act_dim, 0.5f);
  env->Reset(0, obs.data());
  env->Step(action.data(), obs.data());
  const int64_t first = AsLatentFactor(*env).last_item();
  env->Step(action.data(), obs.data());
  CHECK(AsLatentFactor(*env).last_item() == first);
}

TEST_CASE("reward is sigmoid(affinity u.e + weight rho) without noise; u drifts on the sphere", "[recsim]") {
  EnvOptions options = Small();
  options.recsim.noise = 0.0;
  options.recsim.affinity_scale = 3.0;
  options.recsim.popularity_weight = 0.7;
  const auto env = Make(options);
  LatentFactorEnv& sim = AsLatentFactor(*env);
  const Catalogue& catalogue = *sim.catalogue();
  const int keys = catalogue.key_dim();
  std::vector<float> obs(env->spec().obs_dim), key(keys);
  env->Reset(11, obs.data());
  for (float x : obs) CHECK(x == 0.0f);
  std::mt19937_64 rng(4);
  std::vector<double> weighted(keys), plain(keys);
  double responses = 0.0;
  for (int t = 1; t <= 5; ++t) {
    const std::vector<float> u = sim.preference();
    const std::vector<float> action = RandomAction(rng, keys);
    const StepResult result = env->Step(action.data(), obs.data());
    catalogue.CopyKey(sim.last_item(), key.data());
    double dot = 0.0;
    for (int j = 0; j < catalogue.dim(); ++j) dot += u[j] * key[j];
    const double expected = 1.0 / (1.0 + std::exp(-(3.0 * dot + 0.7 * key[keys - 1])));
    CHECK(result.reward == Approx(expected).epsilon(1e-5));
    // The observation: means of r k and of k, the last key and response, the mean response, t / T.
    responses += result.reward;
    for (int j = 0; j < keys; ++j) {
      weighted[j] += result.reward * key[j];
      plain[j] += key[j];
      CHECK(obs[j] == Approx(weighted[j] / t).margin(1e-6));
      CHECK(obs[keys + j] == Approx(plain[j] / t).margin(1e-6));
      CHECK(obs[2 * keys + j] == key[j]);
    }
    CHECK(obs[3 * keys] == result.reward);
    CHECK(obs[3 * keys + 1] == Approx(responses / t));
    CHECK(obs[3 * keys + 2] == Approx(t / 20.0));
    double norm = 0.0, moved = 0.0;
    for (int j = 0; j < catalogue.dim(); ++j) {
      norm += sim.preference()[j] * sim.preference()[j];
      moved += std::abs(sim.preference()[j] - u[j]);
    }
    CHECK(norm == Approx(1.0).epsilon(1e-5));
    CHECK(moved > 0.0);
    CHECK(moved < 0.5);  // drift 0.05: a small step
  }
}

TEST_CASE("the oracle's action recommends the item of largest expected response", "[recsim]") {
  const auto env = Make(Small());
  LatentFactorEnv& sim = AsLatentFactor(*env);
  std::vector<float> obs(env->spec().obs_dim), action(env->spec().act_dim);
  env->Reset(8, obs.data());
  for (int t = 0; t < 10; ++t) {
    sim.OracleAction(action.data());
    for (float x : action) REQUIRE(std::abs(x) <= 1.0f);
    std::vector<double> expected(sim.catalogue()->size());
    double best = -1.0;
    for (int64_t item = 0; item < sim.catalogue()->size(); ++item) {
      expected[item] = sim.ExpectedResponse(item);
      const auto& done = sim.recommended();
      if (std::find(done.begin(), done.end(), item) == done.end()) best = std::max(best, expected[item]);
    }
    env->Step(action.data(), obs.data());
    CHECK(expected[sim.last_item()] == Approx(best).epsilon(1e-6));
  }
}

TEST_CASE("over 200 episodes the oracle beats most popular, which beats random", "[recsim]") {
  EnvOptions options;
  options.recsim.catalogue_size = 10000;
  LatentFactorEnv env(options.recsim, SharedCatalogue(options.recsim));
  const auto score = [&](SimulatorBaseline baseline) {
    return EvaluateRecommender(env, MakeBaseline(baseline, 1), 200, 1).mean_return;
  };
  const double oracle = score(SimulatorBaseline::kOracle);
  const double popular = score(SimulatorBaseline::kMostPopular);
  const double random = score(SimulatorBaseline::kRandom);
  INFO("oracle " << oracle << ", popular " << popular << ", random " << random);
  CHECK(oracle > popular + 5.0);
  CHECK(popular > random + 1.0);
}

TEST_CASE("environments with the same catalogue options share one catalogue", "[recsim]") {
  EnvOptions options;
  options.recsim.catalogue_size = 20000;
  const auto a = Make(options);
  options.recsim.noise = 0.3;  // an episode option: still the same catalogue
  const auto b = Make(options);
  CHECK(AsLatentFactor(*a).catalogue().get() == AsLatentFactor(*b).catalogue().get());
  CHECK(AsLatentFactor(*a).catalogue().use_count() >= 2);
  options.recsim.catalogue_seed = 1;
  const auto c = Make(options);
  CHECK(AsLatentFactor(*c).catalogue().get() != AsLatentFactor(*a).catalogue().get());
}
