#include "learner/learner_service.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <thread>

#include "common/frame_limits.h"
#include "common/torch_threads.h"
#include "common/transport.h"

namespace ddpg {
namespace {

constexpr long kIdleWaitMs = 50;
// Parameters of recently published versions kept for saving the one an evaluation was about: 64 MiB hold
// about 100 versions of a Humanoid network, about 50 s of training at the shipped publish_every.
constexpr size_t kPublishedParameterBudget = size_t{64} << 20;

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
  options.algorithm = config.learner.algorithm;
  options.precision = config.learner.precision;
  options.policy_noise = config.learner.policy_noise;
  options.noise_clip = config.learner.noise_clip;
  options.policy_delay = config.learner.policy_delay;
  options.atoms = config.learner.atoms;
  options.v_min = config.learner.v_min;
  options.v_max = config.learner.v_max;
  options.bc_alpha = config.learner.bc_alpha;
  return options;
}

double Seconds(std::chrono::steady_clock::duration duration) { return std::chrono::duration<double>(duration).count(); }

}  // namespace

StatusOr<std::unique_ptr<LearnerService>> LearnerService::Create(const Config& config, MetricsWriter metrics) {
  auto spec = LookUpEnvSpec(config.env.id, config.env.options);
  if (!spec.ok()) return spec.status();
  DDPG_RETURN_IF_ERROR(CheckFrameLimits(config, spec->obs_dim, spec->act_dim));
  DDPG_RETURN_IF_ERROR(CheckPrecisionSupport(AgentOptions(config, *spec)));
  std::unique_ptr<LearnerService> service(new LearnerService(config, std::move(metrics), *spec));
  const bool checkpoint_exists = std::filesystem::exists(service->CheckpointPath());
  const ResumeMode resume = config.learner.resume;
  if (resume == ResumeMode::kAuto && !checkpoint_exists) {
    spdlog::info("no checkpoint at {} yet: starting a fresh run (learner.resume = auto)", service->CheckpointPath());
  }
  if (resume == ResumeMode::kYes || (resume == ResumeMode::kAuto && checkpoint_exists)) {
    auto counters = service->agent_.LoadCheckpoint(service->CheckpointPath());
    if (!counters.ok()) return Status(counters.status().code(), "--resume: " + counters.status().message());
    service->counters_ = *counters;
    service->env_steps_ =
        EnvStepCounter(counters->env_steps, {counters->replay_instance, counters->replay_run_inserted});
    spdlog::info("resumed from {}: step {}, {} env steps", service->CheckpointPath(), counters->updates,
                 counters->env_steps);
    // The run's best policy so far stays unless a later evaluation beats it.
    if (std::filesystem::exists(service->BestPolicyPath())) {
      StatusOr<PolicyFile> best = LoadPolicyFile(service->BestPolicyPath(), service->agent_.options());
      if (best.ok()) {
        service->best_saved_return_ = best->eval_return;
        spdlog::info("keeping the best policy so far, {} (return {:.1f}), until an evaluation beats it",
                     service->BestPolicyPath(), best->eval_return);
      } else {
        spdlog::warn("{} cannot be read ({}): the next evaluation replaces it", service->BestPolicyPath(),
                     best.status().message());
      }
    }
  }
  // A checkpoint from before run ids existed continues as a run with a new id.
  if (service->counters_.run_id == 0) service->counters_.run_id = protocol::NewInstanceId();
  StatusOr<SocketSecurity> security = LoadSocketSecurity(config.run, SocketRoles::kServerAndClient);
  if (!security.ok()) return security.status();
  service->sampler_ = std::make_unique<SampleClient>(service->context_, config.replay.address,
                                                     config.learner.batch_size, config.learner.requests_in_flight,
                                                     service->counters_.run_id, config.run.heartbeat_interval_ms,
                                                     config.run.heartbeat_timeout_ms, std::move(security->client));
  if (security->server) {
    StatusOr<std::unique_ptr<CurveServer>> curve = CurveServer::Start(service->context_, *security->server);
    if (!curve.ok()) return curve.status();
    service->curve_ = std::move(curve).value();
  }
  DDPG_RETURN_IF_ERROR(service->publisher_.Bind(config.learner.weights_bind, service->curve_.get()));
  try {
    if (service->curve_) service->curve_->Secure(service->reports_socket_);
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
      published_(protocol::NewInstanceId(), kPublishedParameterBudget),
      statistics_(config.learner.batch_size, config.learner.max_env_steps) {
  ConfigureSocket(reports_socket_);
  if (config.learner.threads.value == 0) {
    ThreadTuner::Options options;
    options.candidates = ThreadTuner::CandidatesFor(std::thread::hardware_concurrency());
    thread_tuner_.emplace(options);
  }
}

std::string LearnerService::CheckpointPath() const { return config_.run.RunDirectory() + "/checkpoint.pt"; }
std::string LearnerService::BestPolicyPath() const { return config_.run.RunDirectory() + "/best_policy.pt"; }

std::string LearnerService::Run() {
  start_ = last_report_ = last_checkpoint_ = std::chrono::steady_clock::now();
  statistics_.StartWindow(counters_.updates, env_steps_.env_steps());
  updates_at_start_ = counters_.updates;
  const LearnerConfig& learner = config_.learner;
  std::string algorithm = "DDPG";
  if (learner.algorithm == Algorithm::kTd3) {
    algorithm = fmt::format("TD3 (policy_noise {}, noise_clip {}, policy_delay {})", learner.policy_noise,
                            learner.noise_clip, learner.policy_delay);
  } else if (learner.algorithm == Algorithm::kD4pg) {
    algorithm = fmt::format("D4PG ({} atoms from {} to {})", learner.atoms, learner.v_min, learner.v_max);
  }
  if (learner.bc_alpha > 0.0) algorithm += fmt::format(" with TD3+BC's behaviour cloning (alpha {})", learner.bc_alpha);
  const std::string threads = thread_tuner_ ? fmt::format("threads measured among {} (learner.threads = auto)",
                                                          FormatConfigValue(thread_tuner_->options().candidates))
                                            : fmt::format("{} thread(s)", LearnerThreads(config_.learner.threads));
  spdlog::info(
      "{} on {} (obs {}, act {}), network {}, batch {}, {}; replay {}, weights on {}, "
      "reports on {}, {}; run directory {}",
      algorithm, spec_.id, spec_.obs_dim, spec_.act_dim, FormatConfigValue(config_.network.hidden_sizes),
      config_.learner.batch_size, threads, config_.replay.address, config_.learner.weights_bind,
      config_.learner.reports_bind,
      curve_ ? fmt::format("CurveZMQ, {} allowed client key(s)", curve_->allowed_clients())
             : std::string("plain TCP (run.security = none)"),
      config_.run.RunDirectory());
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
    TuneThreads();
    publisher_.RepublishIfDue();
    const auto now = std::chrono::steady_clock::now();
    if (Seconds(now - last_report_) >= config_.run.report_interval_s) ReportProgress();
    if (Seconds(now - last_checkpoint_) >= config_.learner.checkpoint_interval_s) SaveCheckpoint();
  }
  HandleReports();
  SaveCheckpoint();
  if (stopped_at_target_) {
    PublishEvaluatedWeights(statistics_.last_evaluation()->policy_version);
  } else if (counters_.updates > 0) {
    PublishWeights();
  }
  ReportProgress();
  const std::optional<double> best = statistics_.best_evaluation();
  spdlog::info("stopped: {} | step {} | env steps {} | {:.1f} s | best eval {}", reason, counters_.updates,
               env_steps_.env_steps(), Seconds(std::chrono::steady_clock::now() - start_),
               best ? fmt::format("{:.1f}", *best) : std::string("none"));
  nlohmann::json fields = statistics_.Snapshot(counters_.updates, env_steps_.env_steps());
  fields["stop_reason"] = reason;
  metrics_.Write(fields);
  return reason;
}

std::optional<std::string> LearnerService::StopReason() {
  const LearnerConfig& learner = config_.learner;
  const std::optional<protocol::EpisodeReport>& eval = statistics_.last_evaluation();
  if (learner.stop_at_target && eval && eval->episode_return >= learner.target_eval_return) {
    stopped_at_target_ = true;
    return fmt::format("evaluation return {:.1f} reached the target {:.1f} (policy v{})", eval->episode_return,
                       learner.target_eval_return, eval->policy_version);
  }
  if (env_steps_.env_steps() >= learner.max_env_steps) {
    return fmt::format("step budget reached: {} env steps (learner.max_env_steps = {})", env_steps_.env_steps(),
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
    reports_log_.Warn(
        fmt::format("ignoring a batch of {} transitions with obs_dim {}, act_dim {}: this learner "
                    "trains {} (obs {}, act {}); give every process the same env.id",
                    batch.size(), batch.obs_dim, batch.act_dim, spec_.id, spec_.obs_dim, spec_.act_dim));
    return;
  }
  // The replay server checks what it stores; a batch is checked again because it arrived over the network
  // from whatever answers at replay.address, and one NaN would poison the networks for good.
  if (Status values = protocol::CheckBatchValues(batch, spec_.act_low, spec_.act_high, config_.replay.max_abs_value);
      !values.ok()) {
    statistics_.RecordRejectedBatch();
    reports_log_.Warn("not training on a sampled batch: " + values.message());
    return;
  }
  // A prioritized server sends weights in [0, 1] (the largest of a batch 1); anything else would scale the
  // critics' loss arbitrarily.
  for (size_t i = 0; i < reply.weights.size(); ++i) {
    if (!(reply.weights[i] >= 0.0f && reply.weights[i] <= 1.0f)) {
      statistics_.RecordRejectedBatch();
      reports_log_.Warn(fmt::format("not training on a sampled batch: importance weight {} is {}, not within [0, 1]", i,
                                    reply.weights[i]));
      return;
    }
  }
  const uint64_t steps_before = env_steps_.env_steps();
  const uint64_t instance_before = env_steps_.anchor().server_instance;
  if (env_steps_.Observe(reply.server_instance, reply.run_inserted)) {
    spdlog::warn(
        "another replay server instance answers ({:016x}, before {:016x}): the run's env steps go on from {} with "
        "the {} transitions the new one stored for this run (it starts empty with replay.durability = memory, from "
        "its log with disk)",
        reply.server_instance, instance_before, steps_before, reply.run_inserted);
  }
  statistics_.RecordReplay(reply.replay_size, reply.connected_actors);

  const auto update_start = std::chrono::steady_clock::now();
  const UpdateResult result = agent_.Update(batch, reply.weights);
  statistics_.RecordUpdateSeconds(Seconds(std::chrono::steady_clock::now() - update_start));
  if (result.skipped_non_finite) {
    statistics_.RecordSkippedUpdate();
    reports_log_.Warn(std::string("a loss or gradient was not finite: the ") +
                      (result.critic_updated ? "actor's" : "whole") +
                      " update was skipped and the networks keep their last finite values");
  }
  if (!result.critic_updated) return;
  if (!result.priorities.empty()) {
    sampler_->SendPriorities({reply.server_instance, reply.indices, reply.generations, result.priorities});
  }
  ++counters_.updates;
  statistics_.RecordUpdate(result.critic_loss,
                           result.actor_updated ? std::optional<double>(result.actor_loss) : std::nullopt,
                           result.q_mean);
  if (counters_.updates % config_.learner.publish_every == 0) PublishWeights();
}

protocol::Weights LearnerService::WeightsMessage(uint64_t version, std::vector<float> parameters) const {
  protocol::Weights weights;
  weights.version = version;
  weights.obs_dim = spec_.obs_dim;
  weights.act_dim = spec_.act_dim;
  weights.hidden_sizes.assign(config_.network.hidden_sizes.begin(), config_.network.hidden_sizes.end());
  weights.parameters = std::move(parameters);
  weights.learner_instance = published_.learner_instance();
  return weights;
}

void LearnerService::PublishWeights() {
  const protocol::Weights weights = WeightsMessage(counters_.updates, agent_.ActorParameters());
  published_.Record(weights.version, weights.parameters);
  publisher_.Publish(weights);
}

void LearnerService::PublishEvaluatedWeights(uint64_t version) {
  const std::vector<float>* parameters = published_.Parameters(version);
  if (parameters == nullptr) {
    spdlog::warn("the evaluated weights v{} are no longer held; publishing the newest (v{}) last", version,
                 counters_.updates);
    PublishWeights();
    return;
  }
  publisher_.Publish(WeightsMessage(version, *parameters));
  spdlog::info("published the evaluated weights v{} last (training had reached step {})", version, counters_.updates);
}

void LearnerService::HandleReports() {
  while (std::optional<protocol::EpisodeReport> report =
             ReceiveOf<protocol::EpisodeReport>(reports_socket_, reports_log_, "reports socket")) {
    if (!report->evaluation) {
      statistics_.RecordTrainingEpisode(*report, counters_.updates);
      continue;
    }
    HandleEvaluation(*report);
  }
}

void LearnerService::HandleEvaluation(const protocol::EpisodeReport& report) {
  if (Status valid = published_.CheckReport(report); !valid.ok()) {
    reports_log_.Warn(
        fmt::format("ignoring an evaluation report (return {:.1f}): {}", report.episode_return, valid.message()));
    return;
  }
  statistics_.RecordEvaluation(report);
  spdlog::info("eval: return {:.1f} over {} episodes | policy v{} (learner step {}) | env steps {} | {:.1f} s",
               report.episode_return, report.episodes, report.policy_version, counters_.updates, env_steps_.env_steps(),
               Seconds(std::chrono::steady_clock::now() - start_));
  nlohmann::json fields = statistics_.Snapshot(counters_.updates, env_steps_.env_steps());
  fields["eval_return"] = report.episode_return;
  fields["eval_episodes"] = report.episodes;
  fields["eval_policy_version"] = report.policy_version;
  metrics_.Write(fields);
  if (best_saved_return_ && report.episode_return <= *best_saved_return_) return;
  const std::vector<float>* parameters = published_.Parameters(report.policy_version);
  if (parameters == nullptr) {
    spdlog::warn("the best evaluation so far is of v{}, whose weights are no longer held: {} not updated",
                 report.policy_version, BestPolicyPath());
    return;
  }
  if (Status saved = agent_.SavePolicy(BestPolicyPath(), *parameters, report.policy_version, report.episode_return);
      !saved.ok()) {
    spdlog::error("saving the best policy failed: {}", saved.message());
    return;
  }
  best_saved_return_ = report.episode_return;
  spdlog::info("best policy so far: v{} (return {:.1f}) saved to {}", report.policy_version, report.episode_return,
               BestPolicyPath());
}

void LearnerService::SaveCheckpoint() {
  last_checkpoint_ = std::chrono::steady_clock::now();
  counters_.env_steps = env_steps_.env_steps();
  counters_.replay_instance = env_steps_.anchor().server_instance;
  counters_.replay_run_inserted = env_steps_.anchor().run_inserted;
  if (Status status = agent_.SaveCheckpoint(CheckpointPath(), counters_); !status.ok()) {
    spdlog::error("checkpoint failed: {}", status.message());
    return;
  }
  spdlog::info("checkpoint saved: {} (step {})", CheckpointPath(), counters_.updates);
}

void LearnerService::TuneThreads() {
  // Measuring starts with training: before the first batch every count would measure 0 updates/s.
  if (!thread_tuner_ || counters_.updates == updates_at_start_) return;
  const int decisions = thread_tuner_->decisions();
  const int chosen = thread_tuner_->chosen();
  const int early_probes = thread_tuner_->early_probes();
  if (const std::optional<int> threads =
          thread_tuner_->Record(Seconds(std::chrono::steady_clock::now() - start_), counters_.updates)) {
    SetTorchIntraOpThreads(*threads);
  }
  if (thread_tuner_->early_probes() > early_probes) {
    spdlog::info(
        "learner.threads = auto: {} threads fell below half of the {:.0f} updates/s they measured; measuring "
        "again now",
        chosen, thread_tuner_->chosen_rate());
  }
  // Logged: the first choice, and every later one that differs (the probes in between are not).
  if (thread_tuner_->decisions() == decisions || (decisions > 0 && thread_tuner_->chosen() == chosen)) return;
  const std::vector<double>& rates = thread_tuner_->rates();
  std::string measured;
  for (size_t i = 0; i < rates.size(); ++i) {
    measured += fmt::format("{}{:.0f} with {}", i == 0 ? "" : ", ", rates[i], thread_tuner_->options().candidates[i]);
  }
  spdlog::info("learner.threads = auto: {} thread(s) (updates/s measured: {}; measured again every {:.0f} s)",
               thread_tuner_->chosen(), measured, thread_tuner_->options().reprobe_seconds);
}

void LearnerService::ReportProgress() {
  const auto now = std::chrono::steady_clock::now();
  statistics_.EndWindow(counters_.updates, env_steps_.env_steps(), Seconds(now - last_report_));
  last_report_ = now;
  metrics_.Write(statistics_.Snapshot(counters_.updates, env_steps_.env_steps()));
  if (!env_steps_.has_observed()) {
    spdlog::info(
        "waiting for the first batch from {} (the replay server serves once replay.min_size_to_sample = {} "
        "transitions are in) | train episodes {}",
        config_.replay.address, config_.replay.min_size_to_sample, statistics_.train_episodes());
    return;
  }
  spdlog::info("{}", statistics_.DashboardLine(counters_.updates, env_steps_.env_steps()));
}

}  // namespace ddpg
