#include "actor/actor_service.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <numeric>

#include "common/messaging.h"

namespace ddpg {
namespace {

constexpr size_t kRecentEpisodes = 10;
constexpr auto kFlushTimeout = std::chrono::seconds(2);

// Every actor and evaluator explores its own part of the seed space.
uint64_t EnvSeed(const Config& config) {
  return config.env.seed * 1000003ull + (config.actor.eval ? 500009ull : 0ull) + config.actor.id * 10007ull;
}

double Mean(const std::vector<double>& values) {
  return values.empty() ? 0.0 : std::accumulate(values.begin(), values.end(), 0.0) / values.size();
}

}  // namespace

StatusOr<std::unique_ptr<ActorService>> ActorService::Create(const Config& config, MetricsWriter metrics) {
  const int num_envs = config.actor.eval ? config.actor.eval_episodes : config.actor.num_envs;
  auto envs = EnvBatch::Create(config.env.id, num_envs, EnvSeed(config));
  if (!envs.ok()) return envs.status();
  const EnvSpec& spec = (*envs)->spec();
  const double sigma = ActorNoiseSigma(config.actor);
  std::vector<float> sigma_per_dim(spec.act_dim);
  for (int d = 0; d < spec.act_dim; ++d) {
    sigma_per_dim[d] = static_cast<float>(sigma * (spec.act_high[d] - spec.act_low[d]) / 2.0);
  }
  auto noise = MakeNoise(config.actor.noise, sigma_per_dim, config.actor.ou_theta, num_envs, EnvSeed(config) + 1);
  if (!noise.ok()) return noise.status();
  return std::unique_ptr<ActorService>(
      new ActorService(config, std::move(metrics), std::move(*envs), std::move(*noise)));
}

ActorService::ActorService(const Config& config, MetricsWriter metrics, std::unique_ptr<EnvBatch> envs,
                           std::unique_ptr<ExplorationNoise> noise)
    : config_(config),
      metrics_(std::move(metrics)),
      envs_(std::move(envs)),
      noise_(std::move(noise)),
      policy_(envs_->spec(), config.network.hidden_sizes),
      weights_socket_(context_, zmq::socket_type::sub),
      reports_socket_(context_, zmq::socket_type::push),
      rng_(EnvSeed(config) + 2),
      noise_sigma_(ActorNoiseSigma(config.actor)),
      last_report_(std::chrono::steady_clock::now()) {
  ConfigureSocket(weights_socket_);
  weights_socket_.set(zmq::sockopt::conflate, 1);  // only the newest weights matter
  weights_socket_.set(zmq::sockopt::subscribe, "");
  weights_socket_.connect(config.learner.weights_address);
  ConfigureSocket(reports_socket_);
  reports_socket_.set(zmq::sockopt::sndhwm, 1000);
  reports_socket_.connect(config.learner.reports_address);
  if (!config.actor.eval) {
    writer_ = std::make_unique<ReplayWriter>(context_, config.replay.address, config.actor.id,
                                             config.actor.max_chunks_in_flight, config.run.heartbeat_interval_ms,
                                             config.run.heartbeat_timeout_ms);
  }
  chunk_.obs_dim = envs_->spec().obs_dim;
  chunk_.act_dim = envs_->spec().act_dim;
}

ActorService::~ActorService() = default;

void ActorService::Run() {
  const EnvSpec& spec = envs_->spec();
  spdlog::info("{} {}: {} x {} (obs {}, act {}), noise {} sigma {:.4f} of the action half-range; replay {}, "
               "weights {}, reports {}",
               config_.actor.eval ? "evaluator" : "actor", config_.actor.id, envs_->size(), spec.id, spec.obs_dim,
               spec.act_dim, config_.actor.eval ? "none" : config_.actor.noise, noise_sigma_,
               config_.replay.address, config_.learner.weights_address, config_.learner.reports_address);
  if (config_.actor.eval) {
    RunEvaluation();
  } else {
    RunTraining();
  }
}

void ActorService::ReceiveWeights(long timeout_ms) {
  std::vector<zmq::pollitem_t> items = {{weights_socket_.handle(), 0, ZMQ_POLLIN, 0}};
  if (timeout_ms > 0 && Poll(items, timeout_ms) == 0) return;
  while (std::optional<Received> received = ReceiveMessage(weights_socket_, /*routed=*/false)) {
    if (!received->message.ok()) {
      weights_log_.Warn("rejected a frame on the weights channel: " + received->message.status().message());
      continue;
    }
    const auto* weights = std::get_if<protocol::Weights>(&*received->message);
    if (weights == nullptr) {
      weights_log_.Warn("unexpected message on the weights channel");
      continue;
    }
    const bool first = !policy_.has_weights();
    if (Status status = policy_.SetWeights(*weights); !status.ok()) {
      weights_log_.Warn("ignoring weights v" + std::to_string(weights->version) + ": " + status.message());
      continue;
    }
    if (first) spdlog::info("received the first weights: policy v{}", weights->version);
  }
}

void ActorService::ChooseActions(std::vector<float>& actions) {
  const EnvSpec& spec = envs_->spec();
  const size_t count = static_cast<size_t>(envs_->size()) * spec.act_dim;
  if (!policy_.has_weights()) {
    actions.resize(count);
    for (size_t i = 0; i < count; ++i) {
      const int d = static_cast<int>(i % spec.act_dim);
      actions[i] = std::uniform_real_distribution<float>(spec.act_low[d], spec.act_high[d])(rng_);
    }
    return;
  }
  policy_.Act(envs_->observations(), actions);
  if (!config_.actor.eval) noise_->AddTo(actions);
  for (size_t i = 0; i < count; ++i) {
    const int d = static_cast<int>(i % spec.act_dim);
    actions[i] = std::clamp(actions[i], spec.act_low[d], spec.act_high[d]);
  }
}

void ActorService::AppendTransitions(const std::vector<float>& observations, const std::vector<float>& actions,
                                     const StepOutput& output) {
  const float gamma = static_cast<float>(config_.learner.gamma);
  chunk_.observations.insert(chunk_.observations.end(), observations.begin(), observations.end());
  chunk_.actions.insert(chunk_.actions.end(), actions.begin(), actions.end());
  chunk_.rewards.insert(chunk_.rewards.end(), output.rewards.begin(), output.rewards.end());
  for (uint8_t terminated : output.terminated) chunk_.discounts.push_back(terminated ? 0.0f : gamma);
  chunk_.next_observations.insert(chunk_.next_observations.end(), output.next_observations.begin(),
                                  output.next_observations.end());
  chunk_.policy_versions.insert(chunk_.policy_versions.end(), output.rewards.size(),
                                policy_.has_weights() ? policy_.version() : 0);
}

void ActorService::SendReport(const protocol::EpisodeReport& report) {
  // Reports are informational: drop one rather than stall stepping when the learner is away.
  SendMessage(reports_socket_, report);
}

void ActorService::RunTraining() {
  std::vector<float> actions;
  std::vector<float> observations;
  StepOutput output;
  const uint64_t max_steps = config_.actor.max_env_steps;
  while (!ShutdownRequested() && (max_steps == 0 || env_steps_ < max_steps)) {
    ReceiveWeights(0);
    ChooseActions(actions);
    observations = envs_->observations();
    envs_->Step(actions, output);
    env_steps_ += envs_->size();
    AppendTransitions(observations, actions, output);
    for (const EpisodeResult& episode : output.finished) {
      noise_->ResetEnv(episode.env_index);
      ++episodes_;
      recent_returns_.push_back(episode.episode_return);
      if (recent_returns_.size() > kRecentEpisodes) recent_returns_.erase(recent_returns_.begin());
      SendReport({config_.actor.id, false, episode.episode_return, static_cast<uint32_t>(episode.length), 1,
                  policy_.version(), env_steps_});
    }
    if (chunk_.size() >= static_cast<size_t>(config_.actor.chunk_size)) {
      while (!writer_->HasCredit() && !ShutdownRequested()) {
        writer_->Service(100, /*until_credit=*/true);
        ReceiveWeights(0);
        MaybeLogProgress(true);
      }
      if (ShutdownRequested()) break;
      writer_->Send(TakeChunk());
    }
    writer_->Service(0);
    MaybeLogProgress(true);
  }
  Flush();
}

protocol::TransitionBatch ActorService::TakeChunk() {
  protocol::TransitionBatch next;
  next.obs_dim = chunk_.obs_dim;
  next.act_dim = chunk_.act_dim;
  return std::exchange(chunk_, std::move(next));
}

void ActorService::Flush() {
  if (chunk_.size() > 0 && writer_->HasCredit()) {
    writer_->Send(TakeChunk());
  }
  const auto deadline = std::chrono::steady_clock::now() + kFlushTimeout;
  while (writer_->in_flight() > 0 && std::chrono::steady_clock::now() < deadline) writer_->Service(50);
  spdlog::info("actor {} stopped after {} env steps, {} episodes; {} transitions acknowledged, {} unacknowledged "
               "chunks left",
               config_.actor.id, env_steps_, episodes_, writer_->acked_transitions(), writer_->in_flight());
}

void ActorService::RunEvaluation() {
  std::vector<float> actions;
  StepOutput output;
  bool evaluated_any = false;
  uint64_t evaluated_version = 0;
  auto last_evaluation = std::chrono::steady_clock::time_point{};
  const auto interval = std::chrono::duration<double>(config_.actor.eval_interval_s);
  while (!ShutdownRequested()) {
    ReceiveWeights(100);
    MaybeLogProgress(false);
    const auto now = std::chrono::steady_clock::now();
    if (!policy_.has_weights() || (evaluated_any && policy_.version() == evaluated_version) ||
        (evaluated_any && now - last_evaluation < interval)) {
      continue;
    }
    const uint64_t version = policy_.version();
    envs_->ResetAll();
    std::vector<bool> done(envs_->size(), false);
    std::vector<EpisodeResult> results;
    while (results.size() < done.size() && !ShutdownRequested()) {
      ChooseActions(actions);
      envs_->Step(actions, output);
      env_steps_ += envs_->size();
      for (const EpisodeResult& episode : output.finished) {
        if (!done[episode.env_index]) {
          done[episode.env_index] = true;
          results.push_back(episode);
        }
      }
    }
    if (ShutdownRequested()) break;
    std::vector<double> returns;
    double total_length = 0.0;
    for (const EpisodeResult& episode : results) {
      returns.push_back(episode.episode_return);
      total_length += episode.length;
    }
    const double mean = Mean(returns);
    const auto [low, high] = std::minmax_element(returns.begin(), returns.end());
    SendReport({config_.actor.id, true, mean, static_cast<uint32_t>(total_length / results.size()),
                static_cast<uint32_t>(results.size()), version, env_steps_});
    spdlog::info("eval policy v{}: mean return {:.1f} over {} episodes (min {:.1f}, max {:.1f}) in {:.2f} s", version,
                 mean, results.size(), *low, *high,
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - now).count());
    metrics_.Write({{"policy_version", version}, {"eval_return", mean}, {"eval_min", *low}, {"eval_max", *high},
                    {"episodes", results.size()}});
    last_eval_return_ = mean;
    evaluated_any = true;
    evaluated_version = version;
    last_evaluation = now;
  }
}

void ActorService::MaybeLogProgress(bool training) {
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(now - last_report_).count();
  if (elapsed < config_.run.report_interval_s) return;
  const double steps_per_s = (env_steps_ - env_steps_at_last_report_) / elapsed;
  last_report_ = now;
  env_steps_at_last_report_ = env_steps_;
  if (!training) {
    spdlog::info("policy v{} | last eval {}", policy_.version(),
                 last_eval_return_ ? fmt::format("{:.1f}", *last_eval_return_) : std::string("none yet"));
    return;
  }
  spdlog::info("env steps {} ({}/s) | policy {} | in flight {}/{} | replay {} | episodes {}, return {} (last {})",
               FormatCount(env_steps_), FormatCount(steps_per_s),
               policy_.has_weights() ? fmt::format("v{}", policy_.version()) : std::string("random"),
               writer_->in_flight(), config_.actor.max_chunks_in_flight, FormatCount(writer_->replay_size()),
               episodes_, recent_returns_.empty() ? std::string("-") : fmt::format("{:.1f}", Mean(recent_returns_)),
               recent_returns_.size());
  metrics_.Write({{"env_steps", env_steps_},
                  {"env_steps_per_s", steps_per_s},
                  {"policy_version", policy_.version()},
                  {"has_weights", policy_.has_weights()},
                  {"episodes", episodes_},
                  {"recent_return", recent_returns_.empty() ? nlohmann::json() : nlohmann::json(Mean(recent_returns_))},
                  {"in_flight", writer_->in_flight()},
                  {"acked_transitions", writer_->acked_transitions()},
                  {"reconnects", writer_->reconnects()}});
}

}  // namespace ddpg
