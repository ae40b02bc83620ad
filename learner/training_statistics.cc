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

std::string TrainingStatistics::DashboardLine(uint64_t updates, uint64_t env_steps) const {
  const Means means = CurrentMeans();
  const double remaining = max_env_steps_ > env_steps ? static_cast<double>(max_env_steps_ - env_steps) : 0.0;
  const std::string eta = inserts_per_s_ > 0 ? FormatDuration(remaining / inserts_per_s_) : "?";
  const std::string eval =
      last_eval_ ? fmt::format("{:.1f} (v{})", last_eval_->episode_return, last_eval_->policy_version) : "-";
  return fmt::format(
      "step {} | {:.0f} upd/s | env {}/{} ({:.0f}%) ETA {} | replay {} +{}/s smp {}/s | critic {} actor {} Q {} | "
      "lag {} | train {} | eval {} | actors {}",
      FormatCount(static_cast<double>(updates)), updates_per_s_, FormatCount(static_cast<double>(env_steps)),
      FormatCount(static_cast<double>(max_env_steps_)), 100.0 * static_cast<double>(env_steps) / max_env_steps_, eta,
      FormatCount(static_cast<double>(replay_size_)), FormatCount(inserts_per_s_),
      FormatCount(updates_per_s_ * batch_size_), Shown(means.critic_loss, "{:.3g}"), Shown(means.actor_loss, "{:.3g}"),
      Shown(means.q_mean, "{:.3g}"), Shown(means.policy_lag, "{:.0f}"), Shown(MeanTrainReturn(), "{:.1f}"), eval,
      connected_actors_);
}

}  // namespace ddpg
