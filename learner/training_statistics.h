// TrainingStatistics: what the learner tells its user about a run, in the dashboard line and in one
// metrics object per report (learner.metrics.jsonl).
//
// The service feeds it every update's losses, every episode report and every sample reply's replay
// figures; at each report interval it ends a window, which fixes the rates and the means shown until the
// next window has values of its own. A value not known yet (no update, no episode) is NaN internally and
// null in the metrics object, so every object has the same keys.
//
// Ownership: plain value. Blocking: never. Thread-safety: not thread-safe; owned by the learner thread.
#pragma once

#include <cmath>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "common/metrics_endpoint.h"
#include "common/protocol.h"

namespace ddpg {

class TrainingStatistics {
 public:
  static constexpr size_t kRecentTrainEpisodes = 20;

  TrainingStatistics(int batch_size, uint64_t max_env_steps);

  // actor_loss is nullopt for an update that left the actor alone (TD3's delayed actor updates): the
  // actor loss shown is the mean over the updates that stepped the actor.
  void RecordUpdate(double critic_loss, std::optional<double> actor_loss, double q_mean);
  void RecordReplay(uint64_t replay_size, uint32_t connected_actors);
  // A finished training episode; its policy lag is learner_step minus the version that acted.
  void RecordTrainingEpisode(const protocol::EpisodeReport& report, uint64_t learner_step);
  void RecordEvaluation(const protocol::EpisodeReport& report);
  // A sampled batch that was not trained on because a value was not finite or out of range.
  void RecordRejectedBatch() { ++rejected_batches_; }
  // An update (or its actor part) not applied because a loss or gradient was not finite.
  void RecordSkippedUpdate() { ++skipped_updates_; }
  // Seconds the training thread spent computing an update (DdpgAgent::Update). Over a window, their share of
  // the wall time is busy_fraction: below 1 the learner waited for batches or did other work, which
  // separates a starved learner from a slow one.
  void RecordUpdateSeconds(double seconds) { update_seconds_ += seconds; }

  // Starts the first report window at (updates, env_steps): a resumed run does not start at 0.
  void StartWindow(uint64_t updates, uint64_t env_steps);
  // Ends the report window that lasted `seconds` and ended at (updates, env_steps); the next one starts.
  void EndWindow(uint64_t updates, uint64_t env_steps, double seconds);

  // Every field of a learner metrics object except t, wall_time and component (MetricsWriter adds those)
  // and the eval_return, eval_episodes and eval_policy_version that LearnerService adds for an evaluation.
  nlohmann::json Snapshot(uint64_t updates, uint64_t env_steps) const;
  // The fields of the learner's metrics objects that it serves to Prometheus (run.metrics_port).
  static std::span<const ExportedMetric> ExportedMetrics();
  // "step 2.2k | 170 upd/s | env 3300/50.0k (7%) ETA 4m40s | replay ... | actors 2".
  std::string DashboardLine(uint64_t updates, uint64_t env_steps) const;

  const std::optional<protocol::EpisodeReport>& last_evaluation() const { return last_eval_; }
  std::optional<double> best_evaluation() const { return best_eval_; }
  uint64_t train_episodes() const { return train_episodes_; }

 private:
  struct Means {
    double critic_loss = NAN, actor_loss = NAN, q_mean = NAN, policy_lag = NAN;
  };
  // The current window's means, or the last window's where this one has none yet.
  Means CurrentMeans() const;
  double MeanTrainReturn() const;

  int batch_size_;
  uint64_t max_env_steps_;

  double critic_loss_sum_ = 0.0, actor_loss_sum_ = 0.0, q_sum_ = 0.0, lag_sum_ = 0.0;
  uint64_t window_updates_ = 0;
  uint64_t window_actor_updates_ = 0;
  uint64_t window_lags_ = 0;
  Means last_means_;
  uint64_t updates_at_window_start_ = 0;
  uint64_t env_steps_at_window_start_ = 0;
  double updates_per_s_ = 0.0;
  double inserts_per_s_ = 0.0;
  double update_seconds_ = 0.0;
  double busy_fraction_ = NAN;

  uint64_t replay_size_ = 0;
  uint32_t connected_actors_ = 0;
  std::deque<double> recent_train_returns_;
  uint64_t train_episodes_ = 0;
  uint64_t rejected_batches_ = 0;
  uint64_t skipped_updates_ = 0;
  std::optional<protocol::EpisodeReport> last_eval_;
  std::optional<double> best_eval_;
};

}  // namespace ddpg
