// Tests of configuration parsing and validation (common/config.h, common/command_line.h).
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <unistd.h>

#include "common/command_line.h"
#include "common/config.h"
#include "common/curve_security.h"

namespace ddpg {
namespace {

namespace fs = std::filesystem;

// A unique temporary directory, removed with everything in it when the test ends.
class TempDir {
 public:
  TempDir() {
    std::random_device device;
    const fs::path base = fs::temp_directory_path();
    for (int attempt = 0; attempt < 100; ++attempt) {
      fs::path candidate = base / ("ddpg_config_test_" + std::to_string(::getpid()) + "_" + std::to_string(device()));
      if (fs::create_directory(candidate)) {
        path_ = candidate;
        return;
      }
    }
    FAIL("could not create a temporary directory");
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // Writes `text` to a file in the directory and returns its path.
  std::string Write(const std::string& name, const std::string& text) const {
    const fs::path file = path_ / name;
    std::ofstream out(file, std::ios::binary);
    out << text;
    out.close();
    REQUIRE(out.good());
    return file.string();
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

StatusOr<CommandLine> Parse(const std::vector<std::string>& args, Program program = Program::kLearner) {
  std::vector<const char*> argv = {"ddpg_test_program"};
  for (const std::string& arg : args) argv.push_back(arg.c_str());
  return ParseCommandLine(static_cast<int>(argv.size()), argv.data(), program);
}

// Every key's value as the INI file would spell it.
std::map<std::string, std::string> Formatted(const Config& config) {
  Config copy = config;
  std::map<std::string, std::string> values;
  VisitConfig(copy,
              [&](const std::string& key, const auto& value, const char*) { values[key] = FormatConfigValue(value); });
  return values;
}

// Parses a file holding `ini` with ParseCommandLine and returns the error it gives.
Status ParseIniError(const std::string& ini, Program program = Program::kLearner) {
  TempDir dir;
  const std::string path = dir.Write("run.ini", ini);
  const StatusOr<CommandLine> parsed = Parse({"--config", path}, program);
  REQUIRE_FALSE(parsed.ok());
  return parsed.status();
}

TEST_CASE("values from the INI file are applied", "[config]") {
  TempDir dir;
  const std::string path = dir.Write("pendulum.ini",
                                     "# a comment\n"
                                     "[run]\n"
                                     "name = pendulum_test\n"
                                     "heartbeat_interval_ms = 250\n"
                                     "\n"
                                     "[env]\n"
                                     "seed = 42\n"
                                     "[network]\n"
                                     "hidden_sizes = 64, 32\n"
                                     "[replay]\n"
                                     "address = tcp://10.1.2.3:6000\n"
                                     "capacity = 50000\n"
                                     "[learner]\n"
                                     "batch_size = 128\n"
                                     "gamma = 0.98\n"
                                     "stop_at_target = false\n"
                                     "[actor]\n"
                                     "noise = ou\n"
                                     "count = 4\n"
                                     "id = 3\n");
  const StatusOr<CommandLine> parsed = Parse({"--config", path});
  INFO(parsed.status().message());
  REQUIRE(parsed.ok());
  const Config& c = parsed->config;
  REQUIRE(parsed->config_path == path);
  REQUIRE_FALSE(parsed->show_help);
  REQUIRE(c.run.name == "pendulum_test");
  REQUIRE(c.run.heartbeat_interval_ms == 250);
  REQUIRE(c.env.seed == 42);
  REQUIRE(c.network.hidden_sizes == std::vector<int>{64, 32});
  REQUIRE(c.replay.address == "tcp://10.1.2.3:6000");
  REQUIRE(c.replay.capacity == 50000);
  REQUIRE(c.learner.batch_size == 128);
  REQUIRE(c.learner.gamma == 0.98);
  REQUIRE(c.learner.stop_at_target == false);
  REQUIRE(c.actor.noise == NoiseKind::kOrnsteinUhlenbeck);
  REQUIRE(c.actor.count == 4);
  REQUIRE(c.actor.id == 3);
  // Keys the file does not set keep their defaults.
  const Config defaults;
  REQUIRE(c.run.root == defaults.run.root);
  REQUIRE(c.learner.tau == defaults.learner.tau);
  REQUIRE(c.replay.bind == defaults.replay.bind);
}

TEST_CASE("without --config every key has its default value", "[config]") {
  const StatusOr<CommandLine> parsed = Parse({});
  INFO(parsed.status().message());
  REQUIRE(parsed.ok());
  REQUIRE(parsed->config_path.empty());
  REQUIRE(Formatted(parsed->config) == Formatted(Config{}));
}

TEST_CASE("a command-line value overrides the INI file", "[config]") {
  TempDir dir;
  const std::string path = dir.Write("run.ini", "[learner]\nbatch_size = 128\ngamma = 0.9\n");
  const StatusOr<CommandLine> parsed =
      Parse({"--config", path, "--learner.batch_size", "512", "--actor.noise_sigma=0.25"});
  INFO(parsed.status().message());
  REQUIRE(parsed.ok());
  REQUIRE(parsed->config.learner.batch_size == 512);
  REQUIRE(parsed->config.learner.gamma == 0.9);  // from the file, not overridden
  REQUIRE(parsed->config.actor.noise_sigma == 0.25);

  // The order of --config and the override does not matter.
  const StatusOr<CommandLine> reordered = Parse({"--learner.batch_size", "512", "--config", path});
  REQUIRE(reordered.ok());
  REQUIRE(reordered->config.learner.batch_size == 512);
}

TEST_CASE("a key given twice on the command line takes its last value", "[config]") {
  const StatusOr<CommandLine> parsed =
      Parse({"--learner.batch_size", "128", "--learner.gamma", "0.9", "--learner.batch_size", "64"});
  INFO(parsed.status().message());
  REQUIRE(parsed.ok());
  REQUIRE(parsed->config.learner.batch_size == 64);
  REQUIRE(parsed->config.learner.gamma == 0.9);
}

TEST_CASE("an unknown key in the INI file is an error naming the key", "[config]") {
  Status status = ParseIniError("[learner]\nbatch_size = 64\nbatchsize = 64\n");
  REQUIRE(status.code() == StatusCode::kInvalidArgument);
  REQUIRE_THAT(status.message(), Catch::Contains("learner.batchsize"));

  status = ParseIniError("[lerner]\nbatch_size = 64\n");
  REQUIRE_THAT(status.message(), Catch::Contains("lerner.batch_size"));
}

TEST_CASE("an unknown option on the command line is an error naming it", "[config]") {
  const StatusOr<CommandLine> parsed = Parse({"--learner.bogus_key", "3"});
  REQUIRE_FALSE(parsed.ok());
  REQUIRE(parsed.status().code() == StatusCode::kInvalidArgument);
  REQUIRE_THAT(parsed.status().message(), Catch::Contains("learner.bogus_key"));
}

TEST_CASE("a value that is not a number is an error naming the key", "[config]") {
  Status status = ParseIniError("[learner]\nbatch_size = many\n");
  REQUIRE(status.code() == StatusCode::kInvalidArgument);
  REQUIRE_THAT(status.message(), Catch::Contains("learner.batch_size"));
  REQUIRE_THAT(status.message(), Catch::Contains("'many'"));

  status = ParseIniError("[learner]\ngamma = 0.9x\n");
  REQUIRE_THAT(status.message(), Catch::Contains("learner.gamma"));
  REQUIRE_THAT(status.message(), Catch::Contains("not a number"));

  status = ParseIniError("[learner]\nbatch_size = 12.5\n");
  REQUIRE_THAT(status.message(), Catch::Contains("learner.batch_size"));

  status = ParseIniError("[replay]\ncapacity = -5\n");
  REQUIRE_THAT(status.message(), Catch::Contains("replay.capacity"));

  status = ParseIniError("[learner]\nstop_at_target = maybe\n");
  REQUIRE_THAT(status.message(), Catch::Contains("learner.stop_at_target"));

  status = ParseIniError("[network]\nhidden_sizes = 64,wide\n");
  REQUIRE_THAT(status.message(), Catch::Contains("network.hidden_sizes"));

  status = ParseIniError("[env]\nseed = 99999999999999999999999\n");
  REQUIRE_THAT(status.message(), Catch::Contains("env.seed"));

  const StatusOr<CommandLine> parsed = Parse({"--learner.batch_size", "abc"});
  REQUIRE_FALSE(parsed.ok());
  REQUIRE_THAT(parsed.status().message(), Catch::Contains("learner.batch_size"));
}

TEST_CASE("an out-of-range value is an error naming the key and the allowed range", "[config]") {
  struct Case {
    const char* ini;
    std::vector<const char*> expected;
  };
  const std::vector<Case> cases = {
      {"[learner]\nbatch_size = 0\n", {"learner.batch_size = 0", "allowed 1 .. 65536"}},
      {"[learner]\nbatch_size = 65537\n", {"learner.batch_size = 65537", "allowed 1 .. 65536"}},
      {"[learner]\ngamma = 1.5\n", {"learner.gamma = 1.5", "allowed 0 .. 1"}},
      {"[learner]\ngamma = nan\n", {"learner.gamma", "not a finite number"}},
      {"[actor]\nnoise = foo\n", {"actor.noise = 'foo'", "gaussian", "ou"}},
      {"[replay]\nbind = localhost:5550\n", {"replay.bind = 'localhost:5550'", "tcp://"}},
      {"[learner]\ndevice = tpu\n", {"learner.device = 'tpu'", "cpu", "cuda"}},
      {"[learner]\nalgorithm = sac\n", {"learner.algorithm = 'sac'", "ddpg", "td3", "d4pg"}},
      {"[learner]\natoms = 1\n", {"learner.atoms = 1", "allowed 2 .. 10000"}},
      {"[learner]\nv_min = 5\nv_max = 5\n", {"learner.v_min = 5 must be below learner.v_max = 5"}},
      {"[learner]\nv_min = 10\nv_max = -10\n", {"learner.v_min = 10 must be below learner.v_max = -10"}},
      {"[learner]\nv_max = inf\n", {"learner.v_max", "not a finite number"}},
      {"[learner]\nv_min = nan\n", {"learner.v_min", "not a finite number"}},
      {"[learner]\npolicy_delay = 0\n", {"learner.policy_delay = 0", "allowed 1 .. 1000"}},
      {"[learner]\nnoise_clip = -0.5\n", {"learner.noise_clip = -0.5", "allowed 0 .. 10"}},
      {"[learner]\nbc_alpha = -1\n", {"learner.bc_alpha = -1", "allowed 0 .. 1e+06"}},
      {"[actor]\nn_step = 0\n", {"actor.n_step = 0", "allowed 1 .. 100"}},
      {"[actor]\nn_step = 101\n", {"actor.n_step = 101", "allowed 1 .. 100"}},
      {"[replay]\ncapacity = 0\n", {"replay.capacity = 0", "allowed 1 .. 100000000"}},
      {"[replay]\ncapacity = 100\nmin_size_to_sample = 101\n", {"replay.min_size_to_sample = 101", "allowed 1 .. 100"}},
      {"[run]\nheartbeat_interval_ms = 1000\nheartbeat_timeout_ms = 1500\n",
       {"run.heartbeat_timeout_ms = 1500", "allowed 2000 .. 600000"}},
      {"[actor]\nnoise_sigma = 1.25\n", {"actor.noise_sigma = 1.25", "allowed 0 .. 1"}},
      {"[actor]\ncount = 4\nid = 4\n", {"actor.id = 4", "0 .. actor.count-1 = 3"}},
      {"[network]\nhidden_sizes = 64,0\n", {"network.hidden_sizes = 64,0", "1 .. 65536"}},
      {"[run]\nname = a/b\n", {"run.name = 'a/b'"}},
      {"[run]\nmetrics_port = 65536\n", {"run.metrics_port = 65536", "allowed 0 .. 65535"}},
      {"[run]\nmetrics_port = -1\n", {"run.metrics_port = -1", "allowed 0 .. 65535"}},
      {"[run]\nmetrics_bind = 0.0.0.0:9100\n", {"run.metrics_bind = '0.0.0.0:9100'", "IPv4 address"}},
      {"[run]\nmetrics_bind = 127.0.0.1,0.0.0.0\n", {"run.metrics_bind = '127.0.0.1,0.0.0.0'"}},
      {"[env]\nid = CartPole-v1\n", {"env.id = 'CartPole-v1'", "Pendulum-v1"}},
      {"[replay]\nsampler = rank\n", {"replay.sampler = 'rank'", "uniform", "prioritized"}},
      {"[replay]\npriority_alpha = -0.1\n", {"replay.priority_alpha = -0.1", "allowed 0 .. 10"}},
      {"[replay]\npriority_beta = 1.5\n", {"replay.priority_beta = 1.5", "allowed 0 .. 1"}},
      {"[replay]\npriority_beta = -0.5\n", {"replay.priority_beta = -0.5", "allowed 0 .. 1"}},
      {"[replay]\npriority_beta_steps = 0\n", {"replay.priority_beta_steps = 0", "allowed 1 .. "}},
      {"[replay]\npriority_epsilon = 0\n", {"replay.priority_epsilon = 0", "allowed 1e-12 .. 1e+06"}},
  };
  for (const Case& c : cases) {
    INFO(c.ini);
    const Status status = ParseIniError(c.ini);
    REQUIRE(status.code() == StatusCode::kInvalidArgument);
    for (const char* text : c.expected) REQUIRE_THAT(status.message(), Catch::Contains(text));
  }
}

TEST_CASE("every program refuses an unknown env.id on the command line, naming the known ids", "[config]") {
  for (Program program : {Program::kReplayServer, Program::kLearner, Program::kActor}) {
    const StatusOr<CommandLine> parsed = Parse({"--env.id", "CartPole-v1"}, program);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.status().code() == StatusCode::kInvalidArgument);
    CHECK_THAT(parsed.status().message(), Catch::StartsWith("env.id = 'CartPole-v1': unknown environment id"));
    CHECK_THAT(parsed.status().message(), Catch::Contains("known ids: Pendulum-v1") &&
                                              Catch::Contains("HalfCheetah-v4") && Catch::Contains("BipedalWalker-v3"));
  }
  // The check sits in ParseCommandLine because common does not depend on envs/: ValidateConfig leaves it out.
  Config unknown_env;
  unknown_env.env.id = "CartPole-v1";
  CHECK(ValidateConfig(unknown_env).ok());
}

TEST_CASE("a missing config file is NotFound naming the path", "[config]") {
  TempDir dir;
  const std::string missing = (dir.path() / "no_such_file.ini").string();
  StatusOr<CommandLine> parsed = Parse({"--config", missing});
  REQUIRE_FALSE(parsed.ok());
  REQUIRE(parsed.status().code() == StatusCode::kNotFound);
  REQUIRE_THAT(parsed.status().message(), Catch::Contains(missing));

  // A directory is not a config file either.
  parsed = Parse({"--config", dir.path().string()});
  REQUIRE_FALSE(parsed.ok());
  REQUIRE(parsed.status().code() == StatusCode::kNotFound);
  REQUIRE_THAT(parsed.status().message(), Catch::Contains(dir.path().string()));
}

TEST_CASE("the help flag sets show_help and the help text lists every key", "[config]") {
  for (Program program : {Program::kReplayServer, Program::kLearner, Program::kActor}) {
    const StatusOr<CommandLine> parsed = Parse({"--help"}, program);
    INFO(parsed.status().message());
    REQUIRE(parsed.ok());
    REQUIRE(parsed->show_help);
    Config defaults;
    VisitConfig(defaults, [&](const std::string& key, const auto&, const char*) {
      REQUIRE_THAT(parsed->help, Catch::Contains("--" + key));
    });
    REQUIRE_THAT(parsed->help, Catch::Contains("learner.batch_size"));
    REQUIRE_THAT(parsed->help, Catch::Contains("(default: 256)"));
    REQUIRE_THAT(parsed->help, Catch::Contains("--config"));
  }
  REQUIRE_THAT(Parse({"--help"}, Program::kLearner)->help, Catch::Contains("learner [--config FILE]"));
  REQUIRE_THAT(Parse({"--help"}, Program::kLearner)->help, Catch::Contains("--resume"));
  REQUIRE_THAT(Parse({"--help"}, Program::kActor)->help, Catch::Contains("--eval"));
  REQUIRE_THAT(Parse({"-h"}, Program::kReplayServer)->help, Catch::Contains("replay_server"));
  REQUIRE(Parse({"-h"}, Program::kReplayServer)->show_help);

  // Without --help, show_help is false but the help text is still filled.
  const StatusOr<CommandLine> normal = Parse({});
  REQUIRE(normal.ok());
  REQUIRE_FALSE(normal->show_help);
  REQUIRE_THAT(normal->help, Catch::Contains("learner.batch_size"));
}

TEST_CASE("the resume flag sets learner.resume for the learner only", "[config]") {
  StatusOr<CommandLine> parsed = Parse({}, Program::kLearner);
  REQUIRE(parsed.ok());
  REQUIRE(parsed->config.learner.resume == ResumeMode::kNo);

  parsed = Parse({"--resume"}, Program::kLearner);
  INFO(parsed.status().message());
  REQUIRE(parsed.ok());
  REQUIRE(parsed->config.learner.resume == ResumeMode::kYes);

  parsed = Parse({"--resume"}, Program::kActor);
  REQUIRE_FALSE(parsed.ok());
  REQUIRE_THAT(parsed.status().message(), Catch::Contains("resume"));
}

TEST_CASE("the eval flag makes the actor an evaluator that may use any id", "[config]") {
  StatusOr<CommandLine> parsed = Parse({"--eval"}, Program::kActor);
  INFO(parsed.status().message());
  REQUIRE(parsed.ok());
  REQUIRE(parsed->config.actor.eval);
  REQUIRE(ActorNoiseSigma(parsed->config.actor) == 0.0);

  parsed = Parse({"--eval", "--actor.id", "7", "--actor.count", "2"}, Program::kActor);
  REQUIRE(parsed.ok());
  REQUIRE(parsed->config.actor.id == 7);

  parsed = Parse({"--actor.id", "7", "--actor.count", "2"}, Program::kActor);
  REQUIRE_FALSE(parsed.ok());
  REQUIRE_THAT(parsed.status().message(), Catch::Contains("actor.id = 7"));

  parsed = Parse({"--eval"}, Program::kLearner);
  REQUIRE_FALSE(parsed.ok());
  REQUIRE_THAT(parsed.status().message(), Catch::Contains("eval"));
}

// A configuration in which every key differs from its default, and which is valid.
// Key files for run.security = curve go to key_dir; the actor's, which the parser reads, must exist there.
Config NonDefaultConfig(const std::string& key_dir) {
  Config c;
  c.run.name = "round-trip_run";
  c.run.root = "out/runs dir";
  c.run.report_interval_s = 2.5;
  c.run.heartbeat_interval_ms = 250;
  c.run.heartbeat_timeout_ms = 2000;
  c.run.security = Security::kCurve;
  c.run.server_public_key_file = key_dir + "/s.public";
  c.run.server_secret_key_file = key_dir + "/s.secret";
  c.run.client_secret_key_file = key_dir + "/c.secret";
  c.run.allowed_clients_file = key_dir + "/allowed";
  c.run.metrics_port = 9100;
  c.run.metrics_bind = "127.0.0.1";
  // env.id keeps its default: ParseCommandLine accepts only ids of the spec table.
  c.env.seed = 12345678901234567890ull;
  c.network.hidden_sizes = {64, 32, 16};
  RecsimOptions& recsim = c.env.options.recsim;
  recsim.catalogue_size = 123456;
  recsim.embedding_dim = 24;
  recsim.episode_length = 75;
  recsim.zipf_exponent = 1.25;
  recsim.affinity_scale = 2.5;
  recsim.popularity_weight = 0.375;
  recsim.drift = 0.125;
  recsim.noise = 0.0625;
  recsim.exclude_recommended = false;
  MovielensOptions& movielens = c.env.options.movielens;
  movielens.ratings = "logs/ml-1m/ratings.dat";
  movielens.embeddings = "logs/ml-1m/factors.txt";
  movielens.history = 7;
  movielens.episode_length = 25;
  movielens.split = "test";
  movielens.train_fraction = 0.75;
  movielens.min_ratings = 3;
  movielens.candidates = "rated";
  recsim.catalogue_seed = 77;
  c.replay.bind = "tcp://*:6550";
  c.replay.address = "tcp://10.0.0.2:6550";
  c.replay.capacity = 50000;
  c.replay.min_size_to_sample = 2000;
  c.replay.samples_per_insert = 0.125;
  c.replay.max_abs_value = 12345.5;
  c.replay.rate_error_buffer = 1e12;
  c.replay.sampler = ReplaySampler::kPrioritized;
  c.replay.priority_alpha = 0.7;
  c.replay.priority_beta = 0.5;
  c.replay.priority_beta_steps = 25000;
  c.replay.priority_epsilon = 1e-4;
  c.replay.durability = Durability::kDisk;
  c.replay.data_dir = "/var/lib/replay log";
  c.replay.sync_interval_ms = 20;
  c.replay.priority_snapshot_interval_s = 2.5;
  c.learner.weights_bind = "ipc:///tmp/ddpg-weights";
  c.learner.weights_address = "ipc:///tmp/ddpg-weights-client";
  c.learner.reports_bind = "inproc://reports";
  c.learner.reports_address = "tcp://learner.example:7000";
  c.learner.algorithm = Algorithm::kTd3;
  c.learner.batch_size = 512;
  c.learner.gamma = 0.995;
  c.learner.tau = 0.01;
  c.learner.actor_lr = 3e-4;
  c.learner.critic_lr = 0.1 + 0.2;  // 0.30000000000000004: needs every digit
  c.learner.policy_noise = 0.1;
  c.learner.noise_clip = 0.25;
  c.learner.policy_delay = 3;
  c.learner.atoms = 101;
  c.learner.v_min = -1000.5;
  c.learner.v_max = 0.1 + 0.2;
  c.learner.bc_alpha = 2.5;
  c.learner.requests_in_flight = 8;
  c.learner.publish_every = 10;
  c.learner.republish_interval_s = 0.5;
  c.learner.checkpoint_interval_s = 60.0;
  c.learner.max_env_steps = 250000;
  c.learner.max_updates = 7;
  c.learner.stop_at_target = false;
  c.learner.target_eval_return = -150.25;
  c.learner.threads = ThreadCount{4};
  c.learner.device = Device::kCuda;
  c.learner.precision = Precision::kBf16;
  c.learner.resume = ResumeMode::kAuto;
  c.actor.id = 2;
  c.actor.auto_id = true;
  c.actor.count = 5;
  c.actor.num_envs = 8;
  c.actor.n_step = 5;
  c.actor.chunk_size = 100;
  c.actor.max_chunks_in_flight = 16;
  c.actor.noise = NoiseKind::kOrnsteinUhlenbeck;
  c.actor.noise_sigma = 1.0 / 3.0;
  c.actor.noise_alpha = 7.5;
  c.actor.ou_theta = 0.3;
  c.actor.eval = true;
  c.actor.eval_episodes = 5;
  c.actor.eval_interval_s = 10.0;
  c.actor.max_env_steps = 99;
  return c;
}

TEST_CASE("ToIni output parses back to the same value for every key", "[config]") {
  TempDir dir;
  const Config original = NonDefaultConfig(dir.path().string());
  REQUIRE(WriteCurveKeyPair(original.run.server_public_key_file, original.run.server_secret_key_file).ok());
  REQUIRE(WriteCurveKeyPair(dir.path().string() + "/c.public", original.run.client_secret_key_file).ok());
  {
    const Status valid = ValidateConfig(original);
    INFO(valid.message());
    REQUIRE(valid.ok());
  }
  const auto expected = Formatted(original);
  // The test is only meaningful if every key differs from its default.
  const auto defaults = Formatted(Config{});
  REQUIRE(expected.size() == defaults.size());
  for (const auto& [key, value] : expected) {
    INFO("key " << key << " = " << value);
    if (key != "env.id") REQUIRE(value != defaults.at(key));
  }

  const std::string ini = ToIni(original);
  const std::string path = dir.Write("roundtrip.ini", ini);
  const StatusOr<CommandLine> parsed = Parse({"--config", path}, Program::kActor);
  INFO(ini);
  INFO(parsed.status().message());
  REQUIRE(parsed.ok());
  const auto actual = Formatted(parsed->config);
  for (const auto& [key, value] : expected) {
    INFO("key " << key);
    REQUIRE(actual.at(key) == value);
  }
  // Exactness of the doubles, beyond their text.
  REQUIRE(parsed->config.learner.critic_lr == original.learner.critic_lr);
  REQUIRE(parsed->config.actor.noise_sigma == original.actor.noise_sigma);
  REQUIRE(parsed->config.replay.rate_error_buffer == original.replay.rate_error_buffer);

  // The defaults round-trip too.
  const std::string default_path = dir.Write("defaults.ini", ToIni(Config{}));
  const StatusOr<CommandLine> default_parsed = Parse({"--config", default_path});
  REQUIRE(default_parsed.ok());
  REQUIRE(Formatted(default_parsed->config) == defaults);
}

TEST_CASE("ToIni groups keys into sections", "[config]") {
  const std::string ini = ToIni(Config{});
  REQUIRE(ini.rfind("[run]\nname = default\n", 0) == 0);
  REQUIRE_THAT(ini, Catch::Contains("\n[learner]\n"));
  REQUIRE_THAT(ini, Catch::Contains("\nbatch_size = 256\n"));
  REQUIRE_THAT(ini, Catch::Contains("\nhidden_sizes = 256,256\n"));
  REQUIRE_THAT(ini, Catch::Contains("\nstop_at_target = true\n"));
  // Each section appears once.
  for (const char* section : {"[run]", "[env]", "[recsim]", "[network]", "[replay]", "[learner]", "[actor]"}) {
    const std::string s = section;
    const size_t first = ini.find(s);
    REQUIRE(first != std::string::npos);
    REQUIRE(ini.find(s, first + 1) == std::string::npos);
  }
}

TEST_CASE("ActorNoiseSigma follows the Ape-X schedule", "[config]") {
  ActorConfig actor;
  actor.noise_sigma = 0.4;
  actor.noise_alpha = 7.0;

  actor.count = 1;
  actor.id = 0;
  REQUIRE(ActorNoiseSigma(actor) == Approx(0.4).epsilon(1e-12));

  actor.count = 8;
  actor.id = 0;
  REQUIRE(ActorNoiseSigma(actor) == Approx(0.4).epsilon(1e-12));
  actor.id = 7;
  REQUIRE(ActorNoiseSigma(actor) == Approx(std::pow(0.4, 8.0)).epsilon(1e-12));
  actor.id = 3;
  REQUIRE(ActorNoiseSigma(actor) == Approx(std::pow(0.4, 1.0 + 7.0 * 3.0 / 7.0)).epsilon(1e-12));
  // Monotonically decreasing in the actor index.
  double previous = 1.0;
  for (uint32_t id = 0; id < actor.count; ++id) {
    actor.id = id;
    const double sigma = ActorNoiseSigma(actor);
    REQUIRE(sigma < previous);
    previous = sigma;
  }

  actor.eval = true;
  actor.id = 0;
  REQUIRE(ActorNoiseSigma(actor) == 0.0);
  actor.count = 1;
  REQUIRE(ActorNoiseSigma(actor) == 0.0);
}

TEST_CASE("ValidateConfig accepts the default configuration", "[config]") {
  const Status status = ValidateConfig(Config{});
  INFO(status.message());
  REQUIRE(status.ok());
}

TEST_CASE("ValidateConfig names the key of an invalid value set in code", "[config]") {
  Config c;
  c.learner.tau = -0.1;
  Status status = ValidateConfig(c);
  REQUIRE(status.code() == StatusCode::kInvalidArgument);
  REQUIRE_THAT(status.message(), Catch::Contains("learner.tau"));

  c = Config{};
  c.network.hidden_sizes.clear();
  status = ValidateConfig(c);
  REQUIRE_THAT(status.message(), Catch::Contains("network.hidden_sizes"));

  c = Config{};
  c.replay.rate_error_buffer = 10.0;
  status = ValidateConfig(c);
  REQUIRE_THAT(status.message(), Catch::Contains("replay.rate_error_buffer"));

  // The largest chunk grows with n_step (num_envs * n_step transitions can complete in one step), and so does
  // the buffer the rate limiter needs: (256 + 256 * (200 - 1 + 4 * n + 1)) / 2 + 1 is 26,241 for n = 1 and
  // 30,849 for n = 10.
  c = Config{};
  c.replay.rate_error_buffer = 30000.0;
  REQUIRE(ValidateConfig(c).ok());
  c.actor.n_step = 10;
  status = ValidateConfig(c);
  REQUIRE_THAT(status.message(), Catch::Contains("replay.rate_error_buffer = 30000") && Catch::Contains("30849"));

  c = Config{};
  c.replay.durability = Durability::kDisk;
  status = ValidateConfig(c);
  REQUIRE_THAT(status.message(), Catch::Contains("replay.data_dir") && Catch::Contains("replay.durability = disk"));
  c.replay.data_dir = "/data";
  REQUIRE(ValidateConfig(c).ok());
  c.replay.sync_interval_ms = 1001;
  status = ValidateConfig(c);
  REQUIRE_THAT(status.message(), Catch::Contains("replay.sync_interval_ms = 1001"));
  c.replay.sync_interval_ms = 2;
  c.replay.priority_snapshot_interval_s = 0.0;
  REQUIRE(ValidateConfig(c).ok());
  c.replay.priority_snapshot_interval_s = -1.0;
  status = ValidateConfig(c);
  REQUIRE_THAT(status.message(), Catch::Contains("replay.priority_snapshot_interval_s = -1"));

  c = Config{};
  c.learner.actor_lr = std::nan("");
  status = ValidateConfig(c);
  REQUIRE_THAT(status.message(), Catch::Contains("learner.actor_lr"));
  REQUIRE_THAT(status.message(), Catch::Contains("finite"));
}

TEST_CASE("RunDirectory joins root and name", "[config]") {
  RunConfig run;
  run.root = "/data/runs";
  run.name = "exp1";
  REQUIRE(run.RunDirectory() == "/data/runs/exp1");
}

TEST_CASE("learner.resume accepts false true and auto and nothing else", "[config]") {
  for (const char* value : {"false", "true", "auto"}) {
    const StatusOr<CommandLine> parsed = Parse({"--learner.resume", value}, Program::kLearner);
    INFO(parsed.status().message());
    REQUIRE(parsed.ok());
    REQUIRE(FormatConfigValue(parsed->config.learner.resume) == value);
  }
  const StatusOr<CommandLine> parsed = Parse({"--learner.resume", "maybe"}, Program::kLearner);
  REQUIRE_FALSE(parsed.ok());
  REQUIRE_THAT(parsed.status().message(), Catch::Contains("learner.resume = 'maybe'") && Catch::Contains("auto"));
}

TEST_CASE("learner.threads accepts a count or auto, and neither 0 nor words", "[config]") {
  for (const char* value : {"1", "3", "auto"}) {
    const StatusOr<CommandLine> parsed = Parse({"--learner.threads", value}, Program::kLearner);
    INFO(parsed.status().message());
    REQUIRE(parsed.ok());
    CHECK(FormatConfigValue(parsed->config.learner.threads) == value);
  }
  CHECK(LearnerThreads(ThreadCount{3}) == 3);
  CHECK(LearnerThreads(ThreadCount{0}) == 1);  // where auto starts; the learner's ThreadTuner measures on
  for (const char* value : {"0", "many", "-1"}) {
    const StatusOr<CommandLine> parsed = Parse({"--learner.threads", value}, Program::kLearner);
    INFO(value);
    REQUIRE_FALSE(parsed.ok());
    CHECK_THAT(parsed.status().message(), Catch::Contains("learner.threads"));
  }
}

TEST_CASE("an assigned actor id beyond actor.count is allowed and wraps around the noise schedule", "[config]") {
  const StatusOr<CommandLine> parsed =
      Parse({"--actor.auto_id", "true", "--actor.id", "9", "--actor.count", "4"}, Program::kActor);
  INFO(parsed.status().message());
  REQUIRE(parsed.ok());

  ActorConfig actor;
  actor.noise_sigma = 0.4;
  actor.noise_alpha = 3.0;
  actor.count = 4;
  actor.id = 1;
  const double sigma_1 = ActorNoiseSigma(actor);
  actor.id = 9;
  REQUIRE(ActorNoiseSigma(actor) == sigma_1);
  actor.id = 4;
  REQUIRE(ActorNoiseSigma(actor) == Approx(0.4).epsilon(1e-12));
}

}  // namespace
}  // namespace ddpg
