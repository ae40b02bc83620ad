#include "actor/actor_service.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <numeric>

#include "common/frame_limits.h"
#include "common/transport.h"

namespace ddpg {
namespace {

constexpr size_t kRecentEpisodes = 10;
// How long a stopping actor keeps trying to deliver its last transitions.
constexpr auto kDrainTimeout = std::chrono::seconds(2);

// Every actor explores its own part of the seed space.
uint64_t ActorSeed(const Config& config) { return config.env.seed * 1000003ull + config.actor.id * 10007ull; }

double Mean(const std::vector<double>& values) {
  return values.empty() ? 0.0 : std::accumulate(values.begin(), values.end(), 0.0) / values.size();
}

std::vector<float> NoiseScalePerDimension(const EnvSpec& spec, double sigma) {
  std::vector<float> scale(spec.act_dim);
  for (int d = 0; d < spec.act_dim; ++d) {
    scale[d] = static_cast<float>(sigma * (spec.act_high[d] - spec.act_low[d]) / 2.0);
  }
  return scale;
}

using Kind = ExportedMetric::Kind;
// env_steps_per_s is left to Prometheus: rate() of the counter.
constexpr ExportedMetric kExportedMetrics[] = {
    {"env_steps", "ddpg_actor_env_steps_total", Kind::kCounter, "Environment steps (one transition each)."},
    {"episodes", "ddpg_actor_episodes_total", Kind::kCounter, "Finished episodes."},
    {"policy_version", "ddpg_actor_policy_version", Kind::kGauge, "Version of the policy acting (0: random)."},
    {"recent_return", "ddpg_actor_recent_return", Kind::kGauge, "Mean return of the last 10 episodes."},
    {"in_flight", "ddpg_actor_chunks_in_flight", Kind::kGauge, "Chunks sent and not yet acknowledged."},
    {"acked_transitions", "ddpg_actor_acked_transitions_total", Kind::kCounter,
     "Transitions the replay server acknowledged (stored)."},
    {"refused_transitions", "ddpg_actor_refused_transitions_total", Kind::kCounter,
     "Transitions in chunks the replay server refused."},
    {"reconnects", "ddpg_actor_reconnects_total", Kind::kCounter, "Connections to the replay server reopened."},
};

}  // namespace

std::span<const ExportedMetric> ActorService::ExportedMetrics() { return kExportedMetrics; }

StatusOr<std::unique_ptr<ActorService>> ActorService::Create(const Config& config, MetricsWriter metrics) {
  auto envs = EnvBatch::Create(config.env.id, config.actor.num_envs, ActorSeed(config), config.env.options);
  if (!envs.ok()) return envs.status();
  DDPG_RETURN_IF_ERROR(CheckFrameLimits(config, (*envs)->spec().obs_dim, (*envs)->spec().act_dim));
  StatusOr<SocketSecurity> security = LoadSocketSecurity(config.run, SocketRoles::kClient);
  if (!security.ok()) return security.status();
  return std::unique_ptr<ActorService>(
      new ActorService(config, std::move(metrics), std::move(*envs), security->client));
}

ActorService::ActorService(const Config& config, MetricsWriter metrics, std::unique_ptr<EnvBatch> envs,
                           const std::optional<CurveClientKeys>& curve)
    : config_(config),
      metrics_(std::move(metrics)),
      envs_(std::move(envs)),
      noise_(MakeNoise(config.actor.noise, NoiseScalePerDimension(envs_->spec(), ActorNoiseSigma(config.actor)),
                       config.actor.ou_theta, config.actor.num_envs, ActorSeed(config) + 1)),
      noise_sigma_(ActorNoiseSigma(config.actor)),
      policy_(envs_->spec(), config.network.hidden_sizes),
      transitions_(envs_->spec().obs_dim, envs_->spec().act_dim, config.learner.gamma, config.actor.n_step),
      learner_(context_, config.learner.weights_address, config.learner.reports_address,
               std::chrono::milliseconds(config.run.heartbeat_timeout_ms), curve),
      writer_(context_, config.replay.address, config.actor.id, config.actor.max_chunks_in_flight,
              config.run.heartbeat_interval_ms, config.run.heartbeat_timeout_ms, curve),
      rng_(ActorSeed(config) + 2),
      last_log_(std::chrono::steady_clock::now()) {}

void ActorService::Run() {
  const EnvSpec& spec = envs_->spec();
  spdlog::info(
      "actor {}: {} x {} (obs {}, act {}), noise {} sigma {:.4f} of the action half-range, {}-step returns; "
      "replay {}, weights {}, reports {}",
      config_.actor.id, envs_->size(), spec.id, spec.obs_dim, spec.act_dim, FormatConfigValue(config_.actor.noise),
      noise_sigma_, config_.actor.n_step, config_.replay.address, config_.learner.weights_address,
      config_.learner.reports_address);
  if (config_.actor.auto_id) {
    spdlog::info("actor id {} assigned by the replay server at {}; it explores like actor {} of actor.count = {}",
                 config_.actor.id, config_.replay.address, config_.actor.id % config_.actor.count, config_.actor.count);
  }
  std::vector<float> actions;
  std::vector<float> observations;
  StepOutput output;
  const uint64_t max_steps = config_.actor.max_env_steps;
  while (!ShutdownRequested() && (max_steps == 0 || env_steps_ < max_steps)) {
    learner_.UpdatePolicy(policy_, 0);
    ChooseActions(actions);
    observations = envs_->observations();
    envs_->Step(actions, output);
    env_steps_ += envs_->size();
    transitions_.Add(observations, actions, output, policy_.has_weights() ? policy_.version() : 0);
    for (const EpisodeResult& episode : output.finished) {
      noise_->ResetEnv(episode.env_index);
      ++episodes_;
      recent_returns_.push_back(episode.episode_return);
      if (recent_returns_.size() > kRecentEpisodes) recent_returns_.erase(recent_returns_.begin());
      learner_.Report({config_.actor.id, false, episode.episode_return, static_cast<uint32_t>(episode.length), 1,
                       policy_.version(), env_steps_, policy_.learner_instance()});
    }
    if (transitions_.size() >= static_cast<size_t>(config_.actor.chunk_size)) {
      if (!WaitForCredit()) break;  // stopped: DeliverRemaining sends the full chunk
      writer_.Send(transitions_.Take());
    }
    writer_.Service(0);
    MaybeLogProgress();
  }
  DeliverRemaining();
  ReportFinalCounts();
}

bool ActorService::WaitForCredit() {
  while (!writer_.HasCredit()) {
    if (ShutdownRequested()) return false;
    writer_.Service(100, /*until_credit=*/true);
    learner_.UpdatePolicy(policy_, 0);
    MaybeLogProgress();
  }
  return true;
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
  noise_->AddTo(actions);
  for (size_t i = 0; i < count; ++i) {
    const int d = static_cast<int>(i % spec.act_dim);
    actions[i] = std::clamp(actions[i], spec.act_low[d], spec.act_high[d]);
  }
}

void ActorService::DeliverRemaining() {
  const auto deadline = std::chrono::steady_clock::now() + kDrainTimeout;
  while (true) {
    if (transitions_.size() > 0 && writer_.HasCredit()) writer_.Send(transitions_.Take());
    // The n-step windows are completed only once the chunk before them is sent, so that no chunk grows
    // past LargestChunkTransitions: at most (n - 1) * num_envs transitions wait in them.
    if (transitions_.size() == 0 && transitions_.pending() > 0) transitions_.Flush();
    if (transitions_.size() == 0 && writer_.in_flight() == 0) return;
    const auto remaining =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (remaining.count() <= 0) return;
    // Short slices: Service returns early for credit, but not once the last acknowledgement is in.
    writer_.Service(std::min<long>(remaining.count(), 50), /*until_credit=*/transitions_.size() > 0);
  }
}

void ActorService::ReportFinalCounts() {
  // Every env step made one transition: acknowledged + refused + undelivered == env_steps_.
  const uint64_t unacknowledged = writer_.unacked_transitions();
  const uint64_t never_sent = transitions_.size() + transitions_.pending();
  spdlog::info(
      "actor {} stopped after {} env steps, {} episodes: {} transitions acknowledged, {} not delivered ({} in {} "
      "unacknowledged chunks, {} never sent), {} refused by the replay server",
      config_.actor.id, env_steps_, episodes_, writer_.acked_transitions(), unacknowledged + never_sent, unacknowledged,
      writer_.in_flight(), never_sent, writer_.refused_transitions());
  metrics_.Write({{"env_steps", env_steps_},
                  {"policy_version", policy_.version()},
                  {"has_weights", policy_.has_weights()},
                  {"episodes", episodes_},
                  {"in_flight", writer_.in_flight()},
                  {"acked_transitions", writer_.acked_transitions()},
                  {"undelivered_transitions", unacknowledged + never_sent},
                  {"refused_transitions", writer_.refused_transitions()},
                  {"reconnects", writer_.reconnects()},
                  {"stopped", true}});
}

void ActorService::MaybeLogProgress() {
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(now - last_log_).count();
  if (elapsed < config_.run.report_interval_s) return;
  const double steps_per_s = (env_steps_ - env_steps_at_last_log_) / elapsed;
  last_log_ = now;
  env_steps_at_last_log_ = env_steps_;
  spdlog::info("env steps {} ({}/s) | policy {} | in flight {}/{} | replay {} | episodes {}, return {} (last {})",
               FormatCount(env_steps_), FormatCount(steps_per_s),
               policy_.has_weights() ? fmt::format("v{}", policy_.version()) : std::string("random"),
               writer_.in_flight(), config_.actor.max_chunks_in_flight, FormatCount(writer_.replay_size()), episodes_,
               recent_returns_.empty() ? std::string("-") : fmt::format("{:.1f}", Mean(recent_returns_)),
               recent_returns_.size());
  metrics_.Write({{"env_steps", env_steps_},
                  {"env_steps_per_s", steps_per_s},
                  {"policy_version", policy_.version()},
                  {"has_weights", policy_.has_weights()},
                  {"episodes", episodes_},
                  {"recent_return", recent_returns_.empty() ? nlohmann::json() : nlohmann::json(Mean(recent_returns_))},
                  {"in_flight", writer_.in_flight()},
                  {"acked_transitions", writer_.acked_transitions()},
                  {"refused_transitions", writer_.refused_transitions()},
                  {"reconnects", writer_.reconnects()}});
}

}  // namespace ddpg
