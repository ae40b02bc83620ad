#include "learner/training_statistics.h"

#include <algorithm>
#include <numeric>

#include <spdlog/fmt/fmt.h>

#include "common/logging.h"

namespace ddpg {
namespace {

nlohmann::json NullIfUnknown(double value) { return std::isnan(value) ? nlohmann::json() : nlohmann::json(value); }

std::string Shown(double value, const char* format) {
  return std::isnan(value) ? std::string("-") : fmt::format(fmt::runtime(format), value);
}

}  // namespace

TrainingStatistics::TrainingStatistics(int batch_size, uint64_t max_env_steps)
    : batch_size_(batch_size), max_env_steps_(max_env_steps) {}

void TrainingStatistics::RecordUpdate(double critic_loss, std::optional<double> actor_loss, double q_mean) {
  critic_loss_sum_ += critic_loss;
  if (actor_loss) {
    actor_loss_sum_ += *actor_loss;
    ++window_actor_updates_;
  }
  q_sum_ += q_mean;
  ++window_updates_;
}

void TrainingStatistics::RecordReplay(uint64_t replay_size, uint32_t connected_actors) {
  replay_size_ = replay_size;
  connected_actors_ = connected_actors;
}

void TrainingStatistics::RecordTrainingEpisode(const protocol::EpisodeReport& report, uint64_t learner_step) {
  ++train_episodes_;
  recent_train_returns_.push_back(report.episode_return);
  if (recent_train_returns_.size() > kRecentTrainEpisodes) recent_train_returns_.pop_front();
  // Version 0 is the random policy before any weights; a version ahead of this learner is from an earlier
  // learner process and says nothing about this one's lag.
  if (report.policy_version > 0 && report.policy_version <= learner_step) {
    lag_sum_ += static_cast<double>(learner_step - report.policy_version);
    ++window_lags_;
  }
}

void TrainingStatistics::RecordEvaluation(const protocol::EpisodeReport& report) {
  last_eval_ = report;
  best_eval_ = std::max(best_eval_.value_or(report.episode_return), report.episode_return);
}

void TrainingStatistics::StartWindow(uint64_t updates, uint64_t env_steps) {
  updates_at_window_start_ = updates;
  env_steps_at_window_start_ = env_steps;
}

void TrainingStatistics::EndWindow(uint64_t updates, uint64_t env_steps, double seconds) {
  const double elapsed = std::max(1e-9, seconds);
  updates_per_s_ = static_cast<double>(updates - updates_at_window_start_) / elapsed;
  inserts_per_s_ = static_cast<double>(env_steps - env_steps_at_window_start_) / elapsed;
  busy_fraction_ = update_seconds_ / elapsed;
  update_seconds_ = 0.0;
  StartWindow(updates, env_steps);
  last_means_ = CurrentMeans();
  critic_loss_sum_ = actor_loss_sum_ = q_sum_ = lag_sum_ = 0.0;
  window_updates_ = window_actor_updates_ = window_lags_ = 0;
}

TrainingStatistics::Means TrainingStatistics::CurrentMeans() const {
  Means means = last_means_;
  if (window_updates_ > 0) {
    const double n = static_cast<double>(window_updates_);
    means.critic_loss = critic_loss_sum_ / n;
    means.q_mean = q_sum_ / n;
  }
  if (window_actor_updates_ > 0) means.actor_loss = actor_loss_sum_ / static_cast<double>(window_actor_updates_);
  if (window_lags_ > 0) means.policy_lag = lag_sum_ / static_cast<double>(window_lags_);
  return means;
}

double TrainingStatistics::MeanTrainReturn() const {
  if (recent_train_returns_.empty()) return NAN;
  return std::accumulate(recent_train_returns_.begin(), recent_train_returns_.end(), 0.0) /
         static_cast<double>(recent_train_returns_.size());
}

nlohmann::json TrainingStatistics::Snapshot(uint64_t updates, uint64_t env_steps) const {
  const Means means = CurrentMeans();
  return {{"step", updates},
          {"env_steps", env_steps},
          {"updates_per_s", updates_per_s_},
          {"replay_size", replay_size_},
          {"inserts_per_s", inserts_per_s_},
          {"samples_per_s", updates_per_s_ * batch_size_},
          {"busy_fraction", NullIfUnknown(busy_fraction_)},
          {"critic_loss", NullIfUnknown(means.critic_loss)},
          {"actor_loss", NullIfUnknown(means.actor_loss)},
          {"q_mean", NullIfUnknown(means.q_mean)},
          {"policy_lag", NullIfUnknown(means.policy_lag)},
          {"train_return", NullIfUnknown(MeanTrainReturn())},
          {"train_episodes", train_episodes_},
          {"rejected_batches", rejected_batches_},
          {"skipped_updates", skipped_updates_},
          {"connected_actors", connected_actors_}};
}

namespace {

using Kind = ExportedMetric::Kind;
// The rates (updates_per_s, inserts_per_s, samples_per_s) are left to Prometheus: rate() of the counters.
// replay_size and connected_actors are the replay server's to serve.
constexpr ExportedMetric kExportedMetrics[] = {
    {"step", "ddpg_learner_updates_total", Kind::kCounter, "Updates of the networks (the learner's step)."},
    {"env_steps", "ddpg_learner_env_steps_total", Kind::kCounter,
     "Environment steps of the run: transitions the replay server stored for it."},
    {"critic_loss", "ddpg_learner_critic_loss", Kind::kGauge, "Mean critic loss over the last report interval."},
    {"actor_loss", "ddpg_learner_actor_loss", Kind::kGauge, "Mean actor loss over the last report interval."},
    {"q_mean", "ddpg_learner_q_mean", Kind::kGauge, "Mean Q of the sampled batches over the last report interval."},
    {"busy_fraction", "ddpg_learner_busy_ratio", Kind::kGauge,
     "Share of the last report interval the training thread spent computing updates (1: never waited)."},
    {"policy_lag", "ddpg_learner_policy_lag_updates", Kind::kGauge,
     "Mean age of the acting policy, in updates, of the training episodes of the last report interval."},
    {"train_return", "ddpg_learner_train_return", Kind::kGauge, "Mean return of the recent training episodes."},
    {"train_episodes", "ddpg_learner_train_episodes_total", Kind::kCounter, "Training episodes reported by actors."},
    {"rejected_batches", "ddpg_learner_rejected_batches_total", Kind::kCounter,
     "Sampled batches not trained on because a value was not finite or in range."},
    {"skipped_updates", "ddpg_learner_skipped_updates_total", Kind::kCounter,
     "Updates not applied because a loss or gradient was not finite."},
    {"eval_return", "ddpg_learner_eval_return", Kind::kGauge, "Mean return of the latest evaluation."},
    {"eval_policy_version", "ddpg_learner_eval_policy_version", Kind::kGauge,
     "Policy version (learner step) the latest evaluation ran."},
};

}  // namespace

std::span<const ExportedMetric> TrainingStatistics::ExportedMetrics() { return kExportedMetrics; }

std::string TrainingStatistics::DashboardLine(uint64_t updates, uint64_t env_steps) const {
  const Means means = CurrentMeans();
  const double remaining = max_env_steps_ > env_steps ? static_cast<double>(max_env_steps_ - env_steps) : 0.0;
  const std::string eta = inserts_per_s_ > 0 ? FormatDuration(remaining / inserts_per_s_) : "?";
  const std::string eval =
      last_eval_ ? fmt::format("{:.1f} (v{})", last_eval_->episode_return, last_eval_->policy_version) : "-";
  return fmt::format(
      "step {} | {:.0f} upd/s busy {} | env {}/{} ({:.0f}%) ETA {} | replay {} +{}/s smp {}/s | critic {} actor {} "
      "Q {} | lag {} | train {} | eval {} | actors {}",
      FormatCount(static_cast<double>(updates)), updates_per_s_, Shown(100.0 * busy_fraction_, "{:.0f}%"),
      FormatCount(static_cast<double>(env_steps)), FormatCount(static_cast<double>(max_env_steps_)),
      100.0 * static_cast<double>(env_steps) / max_env_steps_, eta, FormatCount(static_cast<double>(replay_size_)),
      FormatCount(inserts_per_s_), FormatCount(updates_per_s_ * batch_size_), Shown(means.critic_loss, "{:.3g}"),
      Shown(means.actor_loss, "{:.3g}"), Shown(means.q_mean, "{:.3g}"), Shown(means.policy_lag, "{:.0f}"),
      Shown(MeanTrainReturn(), "{:.1f}"), eval, connected_actors_);
}

}  // namespace ddpg
