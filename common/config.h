// Configuration of a whole run: one struct per INI section, shared by all three binaries.
//
// The same file (configs/*.ini) is read by replay_server, learner and actor; each uses its own section
// plus [run], [env] and [network]. ValidateConfig checks every value once, at start-up, and its message
// names the key and its allowed range. Parsing lives in command_line.h (only the mains use it).
// Plain data; not synchronized.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "common/status.h"

namespace ddpg {

// Continue from runs/<name>/checkpoint.pt: never, always (it must exist), or if it exists (so that a
// supervisor can restart the learner with one fixed command line whether or not a run exists yet).
enum class ResumeMode { kNo, kYes, kAuto };
enum class NoiseKind { kGaussian, kOrnsteinUhlenbeck };
enum class Device { kCpu, kCuda };
// What the learner trains: DDPG (Lillicrap et al. 2015), TD3 (Fujimoto et al. 2018: twin critics,
// target policy smoothing, delayed actor and target updates) or D4PG (Barth-Maron et al. 2018: a
// categorical distributional critic).
enum class Algorithm { kDdpg, kTd3, kD4pg };
// The number format of the learner's hidden-layer matrix products: float32, or bfloat16 products of
// float32 weights and activations rounded to bfloat16 (the weights, their gradients and Adam stay float32).
enum class Precision { kFp32, kBf16 };
// What protects the cluster's sockets: nothing (plain TCP, for loopback and trusted networks) or CurveZMQ
// (encryption, and servers accept only the client keys they list; common/curve_security.h).
enum class Security { kNone, kCurve };
// How the replay server picks the transitions of a batch: uniformly, or in proportion to priorities
// (Schaul et al. 2016; replay_server/prioritized_sampler.h).
enum class ReplaySampler { kUniform, kPrioritized };
// Where the replay server keeps what it stores: only in memory, or also in a log on disk that it recovers
// from at start-up (docs/replay-log.md).
enum class Durability { kMemory, kDisk };

// The names an enum value has in INI files and on the command line. Parsing, formatting, --help and the
// error message for an unknown name all read this one table per enum.
template <class E>
struct ConfigEnumNames;
template <>
struct ConfigEnumNames<ResumeMode> {
  static constexpr std::array<std::pair<ResumeMode, std::string_view>, 3> kNames = {
      {{ResumeMode::kNo, "false"}, {ResumeMode::kYes, "true"}, {ResumeMode::kAuto, "auto"}}};
};
template <>
struct ConfigEnumNames<NoiseKind> {
  static constexpr std::array<std::pair<NoiseKind, std::string_view>, 2> kNames = {
      {{NoiseKind::kGaussian, "gaussian"}, {NoiseKind::kOrnsteinUhlenbeck, "ou"}}};
};
template <>
struct ConfigEnumNames<Device> {
  static constexpr std::array<std::pair<Device, std::string_view>, 2> kNames = {
      {{Device::kCpu, "cpu"}, {Device::kCuda, "cuda"}}};
};

template <>
struct ConfigEnumNames<Algorithm> {
  static constexpr std::array<std::pair<Algorithm, std::string_view>, 3> kNames = {
      {{Algorithm::kDdpg, "ddpg"}, {Algorithm::kTd3, "td3"}, {Algorithm::kD4pg, "d4pg"}}};
};

template <>
struct ConfigEnumNames<Precision> {
  static constexpr std::array<std::pair<Precision, std::string_view>, 2> kNames = {
      {{Precision::kFp32, "fp32"}, {Precision::kBf16, "bf16"}}};
};

template <>
struct ConfigEnumNames<ReplaySampler> {
  static constexpr std::array<std::pair<ReplaySampler, std::string_view>, 2> kNames = {
      {{ReplaySampler::kUniform, "uniform"}, {ReplaySampler::kPrioritized, "prioritized"}}};
};

template <>
struct ConfigEnumNames<Durability> {
  static constexpr std::array<std::pair<Durability, std::string_view>, 2> kNames = {
      {{Durability::kMemory, "memory"}, {Durability::kDisk, "disk"}}};
};

template <class E>
concept ConfigEnum = std::is_enum_v<E> && requires {
  ConfigEnumNames<E>::kNames;
};

template <>
struct ConfigEnumNames<Security> {
  static constexpr std::array<std::pair<Security, std::string_view>, 2> kNames = {
      {{Security::kNone, "none"}, {Security::kCurve, "curve"}}};
};

template <ConfigEnum E>
std::string_view ConfigEnumName(E value) {
  for (const auto& [candidate, name] : ConfigEnumNames<E>::kNames) {
    if (candidate == value) return name;
  }
  return "?";
}

// The value named `name`, or InvalidArgument "key = 'name' is unknown: allowed a, b, c".
template <ConfigEnum E>
Status ParseConfigEnum(const std::string& key, const std::string& name, E& value) {
  std::string allowed;
  for (const auto& [candidate, candidate_name] : ConfigEnumNames<E>::kNames) {
    if (candidate_name == name) {
      value = candidate;
      return Status::Ok();
    }
    allowed += (allowed.empty() ? "" : ", ") + std::string(candidate_name);
  }
  return InvalidArgument(key + " = '" + name + "' is unknown: allowed " + allowed);
}

// learner.threads: LibTorch's intra-op threads, a count from 1, or 0, written "auto": measured while the
// learner trains (learner/thread_tuner.h).
struct ThreadCount {
  int value = 1;
  bool operator==(const ThreadCount&) const = default;
};

// learner.threads as the count a learner starts with: the configured one, or 1 for auto, where the
// learner's ThreadTuner then measures which count trains fastest.
int LearnerThreads(ThreadCount threads);

struct RunConfig {
  std::string name = "default";
  std::string root = "runs";       // run directory = root/name
  double report_interval_s = 5.0;  // one log line and one metrics object per process per interval
  int heartbeat_interval_ms = 1000;
  int heartbeat_timeout_ms = 5000;  // a silent peer is presumed dead after this long
  // CurveZMQ key files (docs/operations.md, "Security"), read only with security = curve. Servers (replay
  // server, learner) read the server's secret key and the allowlist; clients (learner, actors) their own
  // secret key and the server's public key. Relative paths start at the working directory.
  Security security = Security::kNone;
  std::string server_public_key_file = "keys/server.public";
  std::string server_secret_key_file = "keys/server.secret";
  std::string client_secret_key_file = "keys/client.secret";
  std::string allowed_clients_file = "keys/allowed_clients";
  // Each process serves its metrics in the Prometheus text format at http://<metrics_bind>:<metrics_port>/metrics
  // (common/metrics_endpoint.h). Off by default: processes on one machine would need a port each.
  int metrics_port = 0;
  std::string metrics_bind = "0.0.0.0";

  std::string RunDirectory() const { return root + "/" + name; }
};

// The world of RecSim-LatentFactor-v0 (envs/recsys/latent_factor_env.h; docs/recommender.md has the model).
// Its spec depends on embedding_dim, so every process that sizes or builds the environment must read the same
// values: they come from the run's one INI file like every other key. The environment validates them
// (envs/recsys/latent_factor_spec.h), once, when ParseCommandLine looks the spec up.
struct RecsimOptions {
  uint64_t catalogue_size = 10000;
  int embedding_dim = 16;
  int episode_length = 50;
  double zipf_exponent = 1.0;
  double affinity_scale = 5.0;
  double popularity_weight = 1.0;
  double drift = 0.05;
  double noise = 0.1;
  bool exclude_recommended = true;
  uint64_t catalogue_seed = 0;
};

// MovieLens-Offline-v0, the logged-ratings recommender (envs/recsys/movielens_env.h; docs/recommender.md). Its
// spec follows the embeddings file (obs 3d, act d for factors of dimension d), so every process reads the same
// files; they are validated with the options (envs/recsys/movielens_spec.h) when the spec is looked up.
struct MovielensOptions {
  // scripts/get-movielens.sh writes the ratings, `recsys baselines --embeddings FILE` the factorization.
  std::string ratings = "data/movielens/ratings.csv";
  std::string embeddings = "data/movielens/embeddings.txt";
  int history = 5;                 // recent positively rated items averaged into the state
  int episode_length = 10;         // recommendations per episode (then truncated)
  std::string split = "train";     // train | test: whose ratings give the rewards
  double train_fraction = 0.8;     // SplitByUserTime's; must be the one the embeddings were fitted with
  int min_ratings = 10;            // users with fewer ratings in the split are never drawn
  std::string candidates = "all";  // all | rated: every item, or only those the user rated in the split
};

// Options of the environments that take any; every other environment ignores them.
struct EnvOptions {
  RecsimOptions recsim;
  MovielensOptions movielens;
};

struct EnvConfig {
  std::string id = "Pendulum-v1";
  uint64_t seed = 0;
  EnvOptions options;
};

struct NetworkConfig {
  std::vector<int> hidden_sizes = {256, 256};
};

struct ReplayConfig {
  std::string bind = "tcp://*:5550";
  std::string address = "tcp://127.0.0.1:5550";
  uint64_t capacity = 1000000;
  uint64_t min_size_to_sample = 1000;
  // Rate limit (Reverb's SampleToInsertRatio): transitions sampled per transition inserted, and how far
  // either side may run ahead of that ratio, in sampled transitions, before it waits.
  double samples_per_insert = 256.0;
  double rate_error_buffer = 200000.0;
  // No environment here produces an observation or reward near this; a value beyond it (e.g. a flipped
  // exponent bit) would overflow the critic's squared error and stall training, so it is refused.
  double max_abs_value = 1e6;
  // Prioritized replay (sampler = prioritized): P(i) ~ (priority_i + epsilon)^alpha, importance weights
  // (N * P(i))^-beta over the batch's largest, beta rising linearly to 1 over beta_steps sampled batches.
  // The defaults are Schaul et al.'s for the proportional variant.
  ReplaySampler sampler = ReplaySampler::kUniform;
  double priority_alpha = 0.6;
  double priority_beta = 0.4;
  uint64_t priority_beta_steps = 100000;
  double priority_epsilon = 1e-6;
  // disk: every stored chunk is logged to data_dir and fsync'd before it is acknowledged, in group commits at
  // most every sync_interval_ms, and recovered at start-up.
  Durability durability = Durability::kMemory;
  std::string data_dir;
  int sync_interval_ms = 2;
  // sampler = prioritized with durability = disk: the priorities are copied to data_dir this often (and when the
  // server stops) and restored at start-up; 0: neither. Ignored otherwise.
  double priority_snapshot_interval_s = 30.0;
};

struct LearnerConfig {
  std::string weights_bind = "tcp://*:5551";
  std::string weights_address = "tcp://127.0.0.1:5551";
  std::string reports_bind = "tcp://*:5552";
  std::string reports_address = "tcp://127.0.0.1:5552";
  Algorithm algorithm = Algorithm::kDdpg;
  int batch_size = 256;
  double gamma = 0.99;
  double tau = 0.005;
  double actor_lr = 1e-3;
  double critic_lr = 1e-3;
  // TD3 only. The smoothing noise, like the actors' exploration noise, is a fraction of the action half-range.
  double policy_noise = 0.2;
  double noise_clip = 0.5;
  int policy_delay = 2;  // critic updates per actor and target update
  // D4PG only: the critic's distribution over `atoms` returns evenly spaced from v_min to v_max. The range
  // must hold the environment's discounted returns; those beyond it are clipped to its ends. The defaults
  // are Acme's D4PG critic head for the DeepMind control suite, whose returns lie in 0 .. 100.
  int atoms = 51;
  double v_min = -150.0;
  double v_max = 150.0;
  // Offline training: TD3+BC's behaviour cloning weight alpha (Fujimoto & Gu 2021 use 2.5), for any algorithm;
  // 0 leaves the actor loss plain.
  double bc_alpha = 0.0;
  int requests_in_flight = 4;
  int publish_every = 50;             // updates between weight publications
  double republish_interval_s = 1.0;  // newest weights are sent again this often for late joiners
  double checkpoint_interval_s = 120.0;
  uint64_t max_env_steps = 100000;  // step budget: stop once this many transitions were inserted
  uint64_t max_updates = 0;         // 0: no limit
  bool stop_at_target = true;
  double target_eval_return = -200.0;  // stop once an evaluation reaches this mean return
  ThreadCount threads;                 // LibTorch intra-op threads, or auto
  Device device = Device::kCpu;        // LibTorch device of the networks
  Precision precision = Precision::kFp32;
  ResumeMode resume = ResumeMode::kNo;
};

struct ActorConfig {
  uint32_t id = 0;
  bool auto_id = false;  // ask the replay server for the lowest free id instead of using id
  uint32_t count = 1;    // number of training actors; sets this actor's noise scale
  int num_envs = 4;
  int n_step = 1;                // steps summed into one transition's reward (n-step returns)
  int chunk_size = 200;          // transitions per InsertChunk message
  int max_chunks_in_flight = 8;  // unacknowledged chunks before the actor waits
  NoiseKind noise = NoiseKind::kGaussian;
  double noise_sigma = 0.3;  // fraction of the action half-range, for actor 0
  double noise_alpha = 2.0;  // actor i of N: sigma_i = noise_sigma^(1 + alpha * i / (N - 1))
  double ou_theta = 0.15;
  bool eval = false;  // evaluator: no noise, no inserts
  int eval_episodes = 10;
  double eval_interval_s = 2.0;  // minimum seconds between two evaluations
  uint64_t max_env_steps = 0;    // 0: run until stopped
};

struct Config {
  RunConfig run;
  EnvConfig env;
  NetworkConfig network;
  ReplayConfig replay;
  LearnerConfig learner;
  ActorConfig actor;
};

// Calls visit(key, field, description) for every configuration key, in file order. The one list of keys
// that parsing, ToIni and the docs are generated from.
template <class Visitor>
void VisitConfig(Config& c, Visitor&& visit) {
  visit("run.name", c.run.name, "run name; the run directory is <run.root>/<run.name>");
  visit("run.root", c.run.root, "directory holding run directories");
  visit("run.report_interval_s", c.run.report_interval_s, "seconds between log lines / metrics objects");
  visit("run.heartbeat_interval_ms", c.run.heartbeat_interval_ms, "heartbeat period on request channels");
  visit("run.heartbeat_timeout_ms", c.run.heartbeat_timeout_ms, "silence after which a peer is presumed dead");
  visit("run.security", c.run.security, "socket security: none (plain TCP) or curve (CurveZMQ, key files below)");
  visit("run.server_public_key_file", c.run.server_public_key_file, "curve: the servers' public key (clients)");
  visit("run.server_secret_key_file", c.run.server_secret_key_file,
        "curve: the servers' secret key (replay server, learner)");
  visit("run.client_secret_key_file", c.run.client_secret_key_file,
        "curve: this client's secret key (learner, actors)");
  visit("run.allowed_clients_file", c.run.allowed_clients_file,
        "curve: public keys of the clients the servers accept, one per line");
  visit("run.metrics_port", c.run.metrics_port,
        "TCP port serving this process's metrics to Prometheus at /metrics (0: off; one port per process)");
  visit("run.metrics_bind", c.run.metrics_bind, "IP address the metrics port listens on (0.0.0.0: every interface)");
  visit("env.id", c.env.id, "environment id, as Gymnasium spells it");
  visit("env.seed", c.env.seed, "base seed; each actor and environment derives its own");
  visit("recsim.catalogue_size", c.env.options.recsim.catalogue_size,
        "RecSim-LatentFactor-v0: items in the catalogue, 1000 .. 1000000");
  visit("recsim.embedding_dim", c.env.options.recsim.embedding_dim,
        "RecSim-LatentFactor-v0: dimension of the item and user latent vectors (the action has one more)");
  visit("recsim.episode_length", c.env.options.recsim.episode_length,
        "RecSim-LatentFactor-v0: recommendations per episode (then truncated)");
  visit("recsim.zipf_exponent", c.env.options.recsim.zipf_exponent,
        "RecSim-LatentFactor-v0: item popularity ~ rank^-exponent; users' tastes start near popular items");
  visit("recsim.affinity_scale", c.env.options.recsim.affinity_scale,
        "RecSim-LatentFactor-v0: weight of preference . item in the response's logit");
  visit("recsim.popularity_weight", c.env.options.recsim.popularity_weight,
        "RecSim-LatentFactor-v0: weight of the item's popularity score (0 .. 1) in the response's logit");
  visit("recsim.drift", c.env.options.recsim.drift,
        "RecSim-LatentFactor-v0: size of the random step of the user's preference after each recommendation");
  visit("recsim.noise", c.env.options.recsim.noise,
        "RecSim-LatentFactor-v0: standard deviation of the noise added to the response");
  visit("recsim.exclude_recommended", c.env.options.recsim.exclude_recommended,
        "RecSim-LatentFactor-v0: never recommend an item twice in one episode");
  visit("recsim.catalogue_seed", c.env.options.recsim.catalogue_seed,
        "RecSim-LatentFactor-v0: seed of the catalogue, the same in every process (env.seed draws the users)");
  visit("movielens.ratings", c.env.options.movielens.ratings,
        "MovieLens-Offline-v0: the ratings file (scripts/get-movielens.sh writes data/movielens/ratings.csv)");
  visit("movielens.embeddings", c.env.options.movielens.embeddings,
        "MovieLens-Offline-v0: the factorization file of `recsys baselines --embeddings FILE` (item and user factors)");
  visit("movielens.history", c.env.options.movielens.history,
        "MovieLens-Offline-v0: recent positively rated items (rating >= 4) averaged into the state, 1 .. 100");
  visit("movielens.episode_length", c.env.options.movielens.episode_length,
        "MovieLens-Offline-v0: recommendations per episode (then truncated)");
  visit("movielens.split", c.env.options.movielens.split,
        "MovieLens-Offline-v0: train or test, the part of each user's ratings (by time) that gives the rewards");
  visit("movielens.train_fraction", c.env.options.movielens.train_fraction,
        "MovieLens-Offline-v0: each user's oldest fraction of ratings is the training part (as recsys baselines)");
  visit("movielens.min_ratings", c.env.options.movielens.min_ratings,
        "MovieLens-Offline-v0: users with fewer ratings in the split are never drawn");
  visit("movielens.candidates", c.env.options.movielens.candidates,
        "MovieLens-Offline-v0: all (every item) or rated (only the items the user rated in the split, DRR's "
        "offline evaluation) may be recommended");
  visit("network.hidden_sizes", c.network.hidden_sizes, "hidden layer widths of actor and critic, e.g. 256,256");
  visit("replay.bind", c.replay.bind, "endpoint the replay server binds");
  visit("replay.address", c.replay.address, "endpoint actors and the learner connect to");
  visit("replay.capacity", c.replay.capacity, "transitions kept; the oldest are overwritten");
  visit("replay.min_size_to_sample", c.replay.min_size_to_sample, "inserted transitions before sampling starts");
  visit("replay.samples_per_insert", c.replay.samples_per_insert, "sampled transitions per inserted transition");
  visit("replay.rate_error_buffer", c.replay.rate_error_buffer, "tolerance of the rate limit, in sampled transitions");
  visit("replay.max_abs_value", c.replay.max_abs_value,
        "largest magnitude of an observation or reward that is stored and trained on");
  visit("replay.sampler", c.replay.sampler,
        "how batches are drawn: uniform or prioritized (by the learner's TD errors)");
  visit("replay.priority_alpha", c.replay.priority_alpha,
        "prioritized: P(i) ~ (priority + epsilon)^alpha; 0 samples uniformly");
  visit("replay.priority_beta", c.replay.priority_beta,
        "prioritized: importance-weight exponent at the start, rising linearly to 1");
  visit("replay.priority_beta_steps", c.replay.priority_beta_steps,
        "prioritized: sampled batches (about learner updates) over which beta reaches 1");
  visit("replay.priority_epsilon", c.replay.priority_epsilon,
        "prioritized: added to every priority, so that no transition is never sampled");
  visit("replay.durability", c.replay.durability,
        "memory (lost when the server stops) or disk (logged to replay.data_dir, acknowledged once fsync'd, "
        "recovered at start-up)");
  visit("replay.data_dir", c.replay.data_dir, "existing directory of the replay log (replay.durability = disk)");
  visit("replay.sync_interval_ms", c.replay.sync_interval_ms,
        "disk durability: the log is fsync'd at most this often, and acknowledgements wait for it");
  visit("replay.priority_snapshot_interval_s", c.replay.priority_snapshot_interval_s,
        "prioritized sampler with disk durability: seconds between snapshots of the priorities, which a restarted "
        "server restores (0: none taken or restored)");
  visit("learner.weights_bind", c.learner.weights_bind, "endpoint the learner publishes weights on");
  visit("learner.weights_address", c.learner.weights_address, "endpoint actors subscribe to for weights");
  visit("learner.reports_bind", c.learner.reports_bind, "endpoint the learner collects episode reports on");
  visit("learner.reports_address", c.learner.reports_address, "endpoint actors send episode reports to");
  visit("learner.algorithm", c.learner.algorithm, "what the learner trains: ddpg, td3 or d4pg");
  visit("learner.batch_size", c.learner.batch_size, "transitions per update");
  visit("learner.gamma", c.learner.gamma, "discount factor");
  visit("learner.tau", c.learner.tau, "Polyak averaging rate of the target networks");
  visit("learner.actor_lr", c.learner.actor_lr, "Adam learning rate of the actor");
  visit("learner.critic_lr", c.learner.critic_lr, "Adam learning rate of the critic");
  visit("learner.policy_noise", c.learner.policy_noise,
        "td3: std of the target policy smoothing noise, as a fraction of the action half-range");
  visit("learner.noise_clip", c.learner.noise_clip,
        "td3: the smoothing noise is clipped to +-noise_clip, as a fraction of the action half-range");
  visit("learner.policy_delay", c.learner.policy_delay, "td3: critic updates per actor and target update");
  visit("learner.atoms", c.learner.atoms, "d4pg: atoms of the critic's categorical return distribution");
  visit("learner.v_min", c.learner.v_min, "d4pg: the lowest atom (smaller returns are clipped to it)");
  visit("learner.v_max", c.learner.v_max, "d4pg: the highest atom (larger returns are clipped to it)");
  visit("learner.bc_alpha", c.learner.bc_alpha,
        "offline training: TD3+BC's alpha, the actor minimises -alpha * Q / mean|Q| + ((mu(s) - logged action) / "
        "action half-range)^2 (0: off)");
  visit("learner.requests_in_flight", c.learner.requests_in_flight, "sample requests kept in flight");
  visit("learner.publish_every", c.learner.publish_every, "updates between weight publications");
  visit("learner.republish_interval_s", c.learner.republish_interval_s,
        "seconds between republications of the newest weights");
  visit("learner.checkpoint_interval_s", c.learner.checkpoint_interval_s, "seconds between checkpoints");
  visit("learner.max_env_steps", c.learner.max_env_steps, "step budget: stop after this many inserted transitions");
  visit("learner.max_updates", c.learner.max_updates, "stop after this many updates (0: no limit)");
  visit("learner.stop_at_target", c.learner.stop_at_target, "stop once an evaluation reaches target_eval_return");
  visit("learner.target_eval_return", c.learner.target_eval_return, "mean evaluation return that ends the run");
  visit("learner.threads", c.learner.threads,
        "LibTorch threads of the learner: a count, or auto (measured while training: 1, 2, ... up to the cores, "
        "at most 8, the fastest kept, measured again every 2 minutes)");
  visit("learner.device", c.learner.device, "LibTorch device of the learner's networks: cpu or cuda");
  visit("learner.precision", c.learner.precision,
        "matrix products of the hidden layers: fp32, or bf16 (bfloat16 products, float32 weights; CPUs with "
        "AVX512_BF16 only)");
  visit("learner.resume", c.learner.resume,
        "continue from the run directory's checkpoint: false, true, or auto (only if one exists)");
  visit("actor.id", c.actor.id, "this actor's id, 0 .. actor.count-1 (evaluators may use any id)");
  visit("actor.auto_id", c.actor.auto_id,
        "get the lowest id no live actor holds from the replay server instead of actor.id (training actors)");
  visit("actor.count", c.actor.count, "number of training actors (sets the noise schedule)");
  visit("actor.num_envs", c.actor.num_envs, "environments stepped together by one actor");
  visit("actor.n_step", c.actor.n_step, "n-step returns: rewards of n steps summed, discount gamma^n");
  visit("actor.chunk_size", c.actor.chunk_size, "transitions per insert message");
  visit("actor.max_chunks_in_flight", c.actor.max_chunks_in_flight, "unacknowledged chunks before the actor waits");
  visit("actor.noise", c.actor.noise, "exploration noise: gaussian or ou");
  visit("actor.noise_sigma", c.actor.noise_sigma, "noise scale of actor 0, as a fraction of the action half-range");
  visit("actor.noise_alpha", c.actor.noise_alpha, "noise schedule exponent: sigma_i = sigma^(1 + alpha*i/(N-1))");
  visit("actor.ou_theta", c.actor.ou_theta, "mean reversion of Ornstein-Uhlenbeck noise");
  visit("actor.eval", c.actor.eval, "run as evaluator: no noise, no inserts");
  visit("actor.eval_episodes", c.actor.eval_episodes, "episodes per evaluation");
  visit("actor.eval_interval_s", c.actor.eval_interval_s, "minimum seconds between evaluations");
  visit("actor.max_env_steps", c.actor.max_env_steps, "stop after this many environment steps (0: never)");
}

// Returns the first invalid value, as "learner.batch_size = 0 is out of range: allowed 1 .. 65536". Whether
// env.id names a known environment is left to ParseCommandLine, which checks it against envs/env_spec.h.
Status ValidateConfig(const Config& config);

// Writes the configuration as an INI file that ParseCommandLine reads back to the same values.
std::string ToIni(const Config& config);

// The text a value has in an INI file (booleans as true/false, lists comma-separated).
template <typename T>
std::string FormatConfigValue(const T& value);

// Ape-X style per-actor exploration scale (documented in docs/operations.md). Ids beyond actor.count-1,
// which only assigned ids (actor.auto_id) can be, wrap around: id i explores like id i % actor.count.
double ActorNoiseSigma(const ActorConfig& actor);

// The most transitions one of an actor's chunks can hold. The actor steps all actor.num_envs environments
// at once and sends its chunk after the step that brings it to actor.chunk_size. One step emits at most
// actor.n_step transitions per environment (an episode that ends completes its whole n-step window,
// actor/transition_builder.h), so a chunk that held chunk_size - 1 transitions grows to
// chunk_size - 1 + num_envs * n_step.
size_t LargestChunkTransitions(const ActorConfig& actor);

}  // namespace ddpg
