// The learner process: pulls batches from the replay server, runs DDPG updates, publishes versioned
// weights, collects episode reports from actors and the evaluator, writes checkpoints, and prints the
// run's dashboard line every run.report_interval_s.
//
// Sockets (all owned by the thread calling Run): DEALER to the replay server (SampleClient), PUB for
// weights (WeightPublisher), PULL for episode reports. Run returns, after a final checkpoint, when an
// evaluation reaches learner.target_eval_return (if learner.stop_at_target), when learner.max_env_steps
// transitions were inserted, after learner.max_updates updates, or when ShutdownRequested().
#pragma once

#include <chrono>
#include <cmath>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include <zmq.hpp>

#include "common/config.h"
#include "common/logging.h"
#include "common/rate_limited_log.h"
#include "envs/env_spec.h"
#include "learner/ddpg.h"
#include "learner/sample_client.h"
#include "learner/weight_publisher.h"

namespace ddpg {

class LearnerService {
 public:
  // Builds the agent, restores the checkpoint when learner.resume is true (or auto and one exists), binds
  // the weights and reports endpoints. Every failure names what to fix.
  static StatusOr<std::unique_ptr<LearnerService>> Create(const Config& config, MetricsWriter metrics);

  // Trains until a stop condition; returns why it stopped.
  std::string Run();

  std::string CheckpointPath() const;

 private:
  struct Averages {
    double critic_loss = NAN, actor_loss = NAN, q_mean = NAN, policy_lag = NAN;
  };

  LearnerService(const Config& config, MetricsWriter metrics, const EnvSpec& spec);

  void Train(const protocol::SampleReply& reply);
  void HandleReports();
  void PublishWeights();
  void SaveCheckpoint();
  void LogProgress();
  // The window's means so far, or the last window's where this one has none yet.
  Averages CurrentAverages() const;
  // Every field of a learner metrics object except t/wall_time/component (added by MetricsWriter).
  nlohmann::json MetricsSnapshot() const;
  uint64_t EnvSteps() const;
  std::optional<std::string> StopReason() const;

  Config config_;
  MetricsWriter metrics_;
  EnvSpec spec_;
  DdpgAgent agent_;
  zmq::context_t context_{1};
  WeightPublisher publisher_;
  zmq::socket_t reports_socket_;
  std::unique_ptr<SampleClient> sampler_;
  RateLimitedLog reports_log_;

  TrainingCounters counters_;
  // env_steps = offset + the replay server's total_inserted; the offset absorbs replay-server restarts
  // and a resumed learner's earlier steps.
  uint64_t env_steps_offset_ = 0;
  uint64_t last_total_inserted_ = 0;
  bool seen_replay_ = false;
  uint64_t resumed_env_steps_ = 0;
  uint64_t replay_size_ = 0;
  uint32_t connected_actors_ = 0;

  // Accumulated since the last progress line.
  double critic_loss_sum_ = 0.0, actor_loss_sum_ = 0.0, q_sum_ = 0.0;
  uint64_t updates_since_report_ = 0;
  double lag_sum_ = 0.0;
  uint64_t lag_count_ = 0;
  // Means over the last complete report window (NaN until known), and its rates.
  Averages last_averages_;
  double updates_per_s_ = 0.0;
  double inserts_per_s_ = 0.0;
  std::deque<double> recent_train_returns_;
  uint64_t train_episodes_ = 0;
  std::optional<protocol::EpisodeReport> last_eval_;
  std::optional<double> best_eval_;

  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_report_;
  std::chrono::steady_clock::time_point last_checkpoint_;
  uint64_t env_steps_at_last_report_ = 0;
  uint64_t updates_at_last_report_ = 0;
};

}  // namespace ddpg
