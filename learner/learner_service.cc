#include "learner/learner_service.h"

#include <spdlog/spdlog.h>

#include <cmath>
#include <filesystem>
#include <numeric>

#include "common/messaging.h"

namespace ddpg {
namespace {

constexpr size_t kRecentTrainEpisodes = 20;
constexpr long kIdleWaitMs = 50;

DdpgOptions AgentOptions(const Config& config, const EnvSpec& spec) {
  DdpgOptions options;
  options.obs_dim = spec.obs_dim;
  options.act_dim = spec.act_dim;
  options.hidden_sizes = config.network.hidden_sizes;
  options.act_low = spec.act_low;
  options.act_high = spec.act_high;
  options.gamma = config.learner.gamma;
  options.tau = config.learner.tau;
  options.actor_lr = config.learner.actor_lr;
  options.critic_lr = config.learner.critic_lr;
  options.seed = config.env.seed;
  options.device = config.learner.device;
  return options;
}

double Seconds(std::chrono::steady_clock::duration duration) {
  return std::chrono::duration<double>(duration).count();
}

}  // namespace

StatusOr<std::unique_ptr<LearnerService>> LearnerService::Create(const Config& config, MetricsWriter metrics) {
  auto spec = LookUpEnvSpec(config.env.id);
  if (!spec.ok()) return spec.status();
  std::unique_ptr<LearnerService> service(new LearnerService(config, std::move(metrics), *spec));
  const bool checkpoint_exists = std::filesystem::exists(service->CheckpointPath());
  if (config.learner.resume == "auto" && !checkpoint_exists) {
    spdlog::info("no checkpoint at {} yet: starting a fresh run (learner.resume = auto)", service->CheckpointPath());
  }
  if (config.learner.resume == "true" || (config.learner.resume == "auto" && checkpoint_exists)) {
    auto counters = service->agent_.LoadCheckpoint(service->CheckpointPath());
    if (!counters.ok()) return Status(counters.status().code(), "--resume: " + counters.status().message());
    service->counters_ = *counters;
    service->resumed_env_steps_ = counters->env_steps;
    spdlog::info("resumed from {}: step {}, {} env steps", service->CheckpointPath(), counters->updates,
                 counters->env_steps);
  }
  if (Status status = service->publisher_.Bind(config.learner.weights_bind); !status.ok()) return status;
  try {
    service->reports_socket_.bind(config.learner.reports_bind);
  } catch (const zmq::error_t& e) {
    return Unavailable("cannot bind learner.reports_bind = " + config.learner.reports_bind + ": " + e.what());
  }
  return service;
}

LearnerService::LearnerService(const Config& config, MetricsWriter metrics, const EnvSpec& spec)
    : config_(config),
      metrics_(std::move(metrics)),
      spec_(spec),
      agent_(AgentOptions(config, spec)),
      publisher_(context_, config.learner.republish_interval_s),
      reports_socket_(context_, zmq::socket_type::pull),
      sampler_(std::make_unique<SampleClient>(context_, config.replay.address, config.learner.batch_size,
                                              config.learner.requests_in_flight, config.run.heartbeat_interval_ms,
                                              config.run.heartbeat_timeout_ms)) {
  ConfigureSocket(reports_socket_);
}

std::string LearnerService::CheckpointPath() const { return config_.run.RunDirectory() + "/checkpoint.pt"; }

uint64_t LearnerService::EnvSteps() const { return env_steps_offset_ + last_total_inserted_; }

std::string LearnerService::Run() {
  start_ = last_report_ = last_checkpoint_ = std::chrono::steady_clock::now();
  env_steps_at_last_report_ = EnvSteps();
  updates_at_last_report_ = counters_.updates;
  spdlog::info("DDPG on {} (obs {}, act {}), network {}, batch {}, {} thread(s); replay {}, weights on {}, "
               "reports on {}; run directory {}",
               spec_.id, spec_.obs_dim, spec_.act_dim, FormatConfigValue(config_.network.hidden_sizes),
               config_.learner.batch_size, config_.learner.threads, config_.replay.address,
               config_.learner.weights_bind, config_.learner.reports_bind, config_.run.RunDirectory());
  if (counters_.updates > 0) PublishWeights();
  std::string reason;
  while (true) {
    if (ShutdownRequested()) {
      reason = "interrupted by a signal";
      break;
    }
    if (std::optional<std::string> stop = StopReason()) {
      reason = *stop;
      break;
    }
    HandleReports();
    if (std::optional<protocol::SampleReply> reply = sampler_->Next(kIdleWaitMs)) Train(*reply);
    publisher_.RepublishIfDue();
    const auto now = std::chrono::steady_clock::now();
    if (Seconds(now - last_report_) >= config_.run.report_interval_s) LogProgress();
    if (Seconds(now - last_checkpoint_) >= config_.learner.checkpoint_interval_s) SaveCheckpoint();
  }
  HandleReports();
  SaveCheckpoint();
  if (counters_.updates > 0) PublishWeights();
  LogProgress();
  spdlog::info("stopped: {} | step {} | env steps {} | {:.1f} s | best eval {}", reason, counters_.updates,
               EnvSteps(), Seconds(std::chrono::steady_clock::now() - start_),
               best_eval_ ? fmt::format("{:.1f}", *best_eval_) : std::string("none"));
  nlohmann::json fields = MetricsSnapshot();
  fields["stop_reason"] = reason;
  metrics_.Write(fields);
  return reason;
}

std::optional<std::string> LearnerService::StopReason() const {
  const LearnerConfig& learner = config_.learner;
  if (learner.stop_at_target && last_eval_ && last_eval_->episode_return >= learner.target_eval_return) {
    return fmt::format("evaluation return {:.1f} reached the target {:.1f} (policy v{})", last_eval_->episode_return,
                       learner.target_eval_return, last_eval_->policy_version);
  }
  if (EnvSteps() >= learner.max_env_steps) {
    return fmt::format("step budget reached: {} env steps (learner.max_env_steps = {})", EnvSteps(),
                       learner.max_env_steps);
  }
  if (learner.max_updates > 0 && counters_.updates >= learner.max_updates) {
    return fmt::format("update budget reached: learner.max_updates = {}", learner.max_updates);
  }
  return std::nullopt;
}

void LearnerService::Train(const protocol::SampleReply& reply) {
  const protocol::TransitionBatch& batch = reply.transitions;
  if (batch.obs_dim != static_cast<uint32_t>(spec_.obs_dim) || batch.act_dim != static_cast<uint32_t>(spec_.act_dim) ||
      batch.size() == 0) {
    reports_log_.Warn(fmt::format("ignoring a batch of {} transitions with obs_dim {}, act_dim {}: this learner "
                                  "trains {} (obs {}, act {}); give every process the same env.id",
                                  batch.size(), batch.obs_dim, batch.act_dim, spec_.id, spec_.obs_dim, spec_.act_dim));
    return;
  }
  if (!seen_replay_) {
    seen_replay_ = true;
    // A replay server that kept running while the learner restarted already counts the earlier steps.
    env_steps_offset_ = reply.total_inserted >= resumed_env_steps_ ? 0 : resumed_env_steps_;
  } else if (reply.total_inserted < last_total_inserted_) {
    spdlog::warn("the replay server restarted (its insert count went from {} to {}); its earlier contents are gone",
                 last_total_inserted_, reply.total_inserted);
    env_steps_offset_ += last_total_inserted_;
  }
  last_total_inserted_ = reply.total_inserted;
  replay_size_ = reply.replay_size;
  connected_actors_ = reply.connected_actors;

  const UpdateResult result = agent_.Update(batch);
  ++counters_.updates;
  ++updates_since_report_;
  critic_loss_sum_ += result.critic_loss;
  actor_loss_sum_ += result.actor_loss;
  q_sum_ += result.q_mean;
  if (counters_.updates % config_.learner.publish_every == 0) PublishWeights();
}

void LearnerService::PublishWeights() {
  protocol::Weights weights;
  weights.version = counters_.updates;
  weights.obs_dim = spec_.obs_dim;
  weights.act_dim = spec_.act_dim;
  weights.hidden_sizes.assign(config_.network.hidden_sizes.begin(), config_.network.hidden_sizes.end());
  weights.parameters = agent_.ActorParameters();
  publisher_.Publish(weights);
}

void LearnerService::HandleReports() {
  while (std::optional<Received> received = ReceiveMessage(reports_socket_, /*routed=*/false)) {
    if (!received->message.ok()) {
      reports_log_.Warn("rejected a frame on the reports socket: " + received->message.status().message());
      continue;
    }
    const auto* report = std::get_if<protocol::EpisodeReport>(&*received->message);
    if (report == nullptr) {
      reports_log_.Warn("ignored a " + std::string(protocol::TypeName(protocol::TypeOf(*received->message))) +
                        " on the reports socket, which takes only EpisodeReport");
      continue;
    }
    if (report->evaluation) {
      last_eval_ = *report;
      best_eval_ = std::max(best_eval_.value_or(report->episode_return), report->episode_return);
      spdlog::info("eval: return {:.1f} over {} episodes | policy v{} (learner step {}) | env steps {} | {:.1f} s",
                   report->episode_return, report->episodes, report->policy_version, counters_.updates, EnvSteps(),
                   Seconds(std::chrono::steady_clock::now() - start_));
      nlohmann::json fields = MetricsSnapshot();
      fields["eval_return"] = report->episode_return;
      fields["eval_episodes"] = report->episodes;
      fields["eval_policy_version"] = report->policy_version;
      metrics_.Write(fields);
      continue;
    }
    ++train_episodes_;
    recent_train_returns_.push_back(report->episode_return);
    if (recent_train_returns_.size() > kRecentTrainEpisodes) recent_train_returns_.pop_front();
    if (report->policy_version > 0 && report->policy_version <= counters_.updates) {
      lag_sum_ += static_cast<double>(counters_.updates - report->policy_version);
      ++lag_count_;
    }
  }
}

void LearnerService::SaveCheckpoint() {
  last_checkpoint_ = std::chrono::steady_clock::now();
  counters_.env_steps = EnvSteps();
  if (Status status = agent_.SaveCheckpoint(CheckpointPath(), counters_); !status.ok()) {
    spdlog::error("checkpoint failed: {}", status.message());
    return;
  }
  spdlog::info("checkpoint saved: {} (step {})", CheckpointPath(), counters_.updates);
}

LearnerService::Averages LearnerService::CurrentAverages() const {
  Averages averages = last_averages_;
  if (updates_since_report_ > 0) {
    const double n = static_cast<double>(updates_since_report_);
    averages.critic_loss = critic_loss_sum_ / n;
    averages.actor_loss = actor_loss_sum_ / n;
    averages.q_mean = q_sum_ / n;
  }
  if (lag_count_ > 0) averages.policy_lag = lag_sum_ / lag_count_;
  return averages;
}

nlohmann::json LearnerService::MetricsSnapshot() const {
  // Unknown values (no update or no episode yet) are null, so every object has the same keys.
  auto number = [](double value) { return std::isnan(value) ? nlohmann::json() : nlohmann::json(value); };
  const Averages averages = CurrentAverages();
  const double train_return =
      recent_train_returns_.empty()
          ? NAN
          : std::accumulate(recent_train_returns_.begin(), recent_train_returns_.end(), 0.0) / recent_train_returns_.size();
  return {{"step", counters_.updates},
          {"env_steps", EnvSteps()},
          {"updates_per_s", updates_per_s_},
          {"replay_size", replay_size_},
          {"inserts_per_s", inserts_per_s_},
          {"samples_per_s", updates_per_s_ * config_.learner.batch_size},
          {"critic_loss", number(averages.critic_loss)},
          {"actor_loss", number(averages.actor_loss)},
          {"q_mean", number(averages.q_mean)},
          {"policy_lag", number(averages.policy_lag)},
          {"train_return", number(train_return)},
          {"train_episodes", train_episodes_},
          {"connected_actors", connected_actors_}};
}

void LearnerService::LogProgress() {
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = std::max(1e-9, Seconds(now - last_report_));
  updates_per_s_ = (counters_.updates - updates_at_last_report_) / elapsed;
  inserts_per_s_ = (EnvSteps() - env_steps_at_last_report_) / elapsed;
  last_report_ = now;
  updates_at_last_report_ = counters_.updates;
  env_steps_at_last_report_ = EnvSteps();

  const nlohmann::json snapshot = MetricsSnapshot();
  metrics_.Write(snapshot);
  if (!seen_replay_) {
    spdlog::info("waiting for the first batch from {} (the replay server serves once replay.min_size_to_sample = {} "
                 "transitions are in) | train episodes {}",
                 config_.replay.address, config_.replay.min_size_to_sample, train_episodes_);
  } else {
    const uint64_t budget = config_.learner.max_env_steps;
    const double remaining = budget > EnvSteps() ? static_cast<double>(budget - EnvSteps()) : 0.0;
    auto shown = [](const nlohmann::json& value, const char* format) {
      return value.is_null() ? std::string("-") : fmt::format(fmt::runtime(format), value.get<double>());
    };
    spdlog::info("step {} | {:.0f} upd/s | env {}/{} ({:.0f}%) ETA {} | replay {} +{}/s smp {}/s | "
                 "critic {} actor {} Q {} | lag {} | train {} | eval {} | actors {}",
                 FormatCount(counters_.updates), updates_per_s_, FormatCount(EnvSteps()), FormatCount(budget),
                 100.0 * EnvSteps() / budget, inserts_per_s_ > 0 ? FormatDuration(remaining / inserts_per_s_) : "?",
                 FormatCount(replay_size_), FormatCount(inserts_per_s_), FormatCount(snapshot["samples_per_s"]),
                 shown(snapshot["critic_loss"], "{:.3g}"), shown(snapshot["actor_loss"], "{:.3g}"),
                 shown(snapshot["q_mean"], "{:.3g}"), shown(snapshot["policy_lag"], "{:.0f}"),
                 shown(snapshot["train_return"], "{:.1f}"),
                 last_eval_ ? fmt::format("{:.1f} (v{})", last_eval_->episode_return, last_eval_->policy_version)
                            : std::string("-"),
                 connected_actors_);
  }
  last_averages_ = CurrentAverages();
  critic_loss_sum_ = actor_loss_sum_ = q_sum_ = 0.0;
  updates_since_report_ = 0;
  lag_sum_ = 0.0;
  lag_count_ = 0;
}

}  // namespace ddpg
