#include "actor/evaluator.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <numeric>

#include "common/frame_limits.h"
#include "common/transport.h"

namespace ddpg {
namespace {

// Evaluation episodes start from seeds no training actor uses.
uint64_t EvaluationSeed(const Config& config) {
  return config.env.seed * 1000003ull + 500009ull + config.actor.id * 10007ull;
}

using Kind = ExportedMetric::Kind;
constexpr ExportedMetric kExportedMetrics[] = {
    {"evaluations", "ddpg_evaluator_evaluations_total", Kind::kCounter, "Evaluations run by this evaluator."},
    {"policy_version", "ddpg_evaluator_policy_version", Kind::kGauge, "Policy version of the latest evaluation."},
    {"eval_return", "ddpg_evaluator_mean_return", Kind::kGauge, "Mean return of the latest evaluation's episodes."},
    {"eval_min", "ddpg_evaluator_min_return", Kind::kGauge, "Lowest return of the latest evaluation's episodes."},
    {"eval_max", "ddpg_evaluator_max_return", Kind::kGauge, "Highest return of the latest evaluation's episodes."},
};

}  // namespace

std::span<const ExportedMetric> Evaluator::ExportedMetrics() { return kExportedMetrics; }

StatusOr<std::unique_ptr<Evaluator>> Evaluator::Create(const Config& config, MetricsWriter metrics) {
  auto envs = EnvBatch::Create(config.env.id, config.actor.eval_episodes, EvaluationSeed(config), config.env.options);
  if (!envs.ok()) return envs.status();
  DDPG_RETURN_IF_ERROR(CheckFrameLimits(config, (*envs)->spec().obs_dim, (*envs)->spec().act_dim));
  StatusOr<SocketSecurity> security = LoadSocketSecurity(config.run, SocketRoles::kClient);
  if (!security.ok()) return security.status();
  return std::unique_ptr<Evaluator>(new Evaluator(config, std::move(metrics), std::move(*envs), security->client));
}

Evaluator::Evaluator(const Config& config, MetricsWriter metrics, std::unique_ptr<EnvBatch> envs,
                     const std::optional<CurveClientKeys>& curve)
    : config_(config),
      metrics_(std::move(metrics)),
      envs_(std::move(envs)),
      policy_(envs_->spec(), config.network.hidden_sizes),
      learner_(context_, config.learner.weights_address, config.learner.reports_address,
               std::chrono::milliseconds(config.run.heartbeat_timeout_ms), curve),
      last_log_(std::chrono::steady_clock::now()) {}

void Evaluator::Run() {
  const EnvSpec& spec = envs_->spec();
  spdlog::info("evaluator {}: {} x {} (obs {}, act {}), no noise; weights {}, reports {}", config_.actor.id,
               envs_->size(), spec.id, spec.obs_dim, spec.act_dim, config_.learner.weights_address,
               config_.learner.reports_address);
  std::optional<std::pair<uint64_t, uint64_t>> evaluated;  // (learner instance, version)
  auto last_evaluation = std::chrono::steady_clock::time_point{};
  const auto interval = std::chrono::duration<double>(config_.actor.eval_interval_s);
  while (!ShutdownRequested()) {
    learner_.UpdatePolicy(policy_, 100);
    MaybeLogProgress();
    const auto now = std::chrono::steady_clock::now();
    const std::pair<uint64_t, uint64_t> held{policy_.learner_instance(), policy_.version()};
    if (!policy_.has_weights() || evaluated == held || (evaluated && now - last_evaluation < interval)) {
      continue;
    }
    evaluated = held;
    last_evaluation = now;
    if (!Evaluate()) break;
  }
}

bool Evaluator::Evaluate() {
  const auto start = std::chrono::steady_clock::now();
  const uint64_t version = policy_.version();
  const uint64_t learner_instance = policy_.learner_instance();
  envs_->ResetAll();
  std::vector<bool> done(envs_->size(), false);
  std::vector<double> returns;
  double total_length = 0.0;
  std::vector<float> actions;
  StepOutput output;
  while (returns.size() < done.size()) {
    if (ShutdownRequested()) return false;
    policy_.Act(envs_->observations(), actions);
    envs_->Step(actions, output);
    env_steps_ += envs_->size();
    for (const EpisodeResult& episode : output.finished) {
      if (done[episode.env_index]) continue;
      done[episode.env_index] = true;
      returns.push_back(episode.episode_return);
      total_length += episode.length;
    }
  }
  const double mean = std::accumulate(returns.begin(), returns.end(), 0.0) / static_cast<double>(returns.size());
  const auto [low, high] = std::minmax_element(returns.begin(), returns.end());
  learner_.Report({config_.actor.id, true, mean, static_cast<uint32_t>(total_length / returns.size()),
                   static_cast<uint32_t>(returns.size()), version, env_steps_, learner_instance});
  spdlog::info("eval policy v{}: mean return {:.1f} over {} episodes (min {:.1f}, max {:.1f}) in {:.2f} s", version,
               mean, returns.size(), *low, *high,
               std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  ++evaluations_;
  metrics_.Write({{"policy_version", version},
                  {"eval_return", mean},
                  {"eval_min", *low},
                  {"eval_max", *high},
                  {"episodes", returns.size()},
                  {"evaluations", evaluations_}});
  last_eval_return_ = mean;
  return true;
}

void Evaluator::MaybeLogProgress() {
  const auto now = std::chrono::steady_clock::now();
  if (std::chrono::duration<double>(now - last_log_).count() < config_.run.report_interval_s) return;
  last_log_ = now;
  spdlog::info("policy v{} | last eval {}", policy_.version(),
               last_eval_return_ ? fmt::format("{:.1f}", *last_eval_return_) : std::string("none yet"));
}

}  // namespace ddpg
