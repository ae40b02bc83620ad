// LearnerService: the learner process's loop. Pulls batches from the replay server (SampleClient), runs
// DDPG updates (DdpgAgent), publishes versioned weights (WeightPublisher), collects episode reports from
// actors and the evaluator, writes checkpoints, and shows the run's progress (TrainingStatistics).
//
// Prioritized replay is the replay server's choice (replay.sampler): a batch that carries importance
// weights is trained with them, and the agent's new priorities for its transitions go back to the server
// in one PriorityUpdate; a batch without (uniform replay) is trained exactly as before and nothing is sent.
//
// Run returns, after a final checkpoint, when an evaluation reaches learner.target_eval_return (if
// learner.stop_at_target), when learner.max_env_steps transitions were inserted, after
// learner.max_updates updates, or when ShutdownRequested().
//
// Evaluations: a report counts only if it is about weights this learner process published
// (PublishedPolicies); others are logged and ignored. Each new best evaluation saves the weights that were
// evaluated, which training has usually moved past, as best_policy.pt in the run directory. A run stopped
// at the target publishes those evaluated weights last, not the newer ones; checkpoint.pt holds the
// newest networks, for resuming.
//
// With run.security = curve, the weights and reports sockets are CURVE servers (one CurveServer answers
// ZeroMQ's ZAP requests for both) and the replay channel is a CURVE client.
//
// Ownership: owns its ZeroMQ context and every socket (DEALER to the replay server, PUB for weights, PULL
// for reports), the CurveServer (with curve), the agent and the metrics writer. Blocking: Run blocks until
// a stop condition; it waits at most 50 ms at a time for a batch, so it notices a signal within that long.
// Thread-safety: one thread creates and runs it.
//
// With learner.threads = auto, a ThreadTuner measures the update rate at each thread count it may use
// (1, 2, ... up to the cores, at most 8) once training runs, and again every two minutes, and the learner
// keeps the fastest; each change is logged.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "common/config.h"
#include "common/logging.h"
#include "common/rate_limited_log.h"
#include "envs/env_spec.h"
#include "learner/ddpg.h"
#include "learner/env_step_counter.h"
#include "learner/published_policies.h"
#include "learner/sample_client.h"
#include "learner/thread_tuner.h"
#include "learner/training_statistics.h"
#include "learner/weight_publisher.h"

namespace ddpg {

class LearnerService {
 public:
  // Builds the agent, restores the checkpoint when learner.resume says so, reads the key files with
  // run.security = curve, binds the weights and reports endpoints. Every failure names what to fix.
  static StatusOr<std::unique_ptr<LearnerService>> Create(const Config& config, MetricsWriter metrics);

  // Trains until a stop condition; returns why it stopped.
  std::string Run();

  std::string CheckpointPath() const;
  std::string BestPolicyPath() const;

 private:
  LearnerService(const Config& config, MetricsWriter metrics, const EnvSpec& spec);

  void Train(const protocol::SampleReply& reply);
  void HandleReports();
  void HandleEvaluation(const protocol::EpisodeReport& report);
  // The actor network's parameters as this learner publishes them.
  protocol::Weights WeightsMessage(uint64_t version, std::vector<float> parameters) const;
  void PublishWeights();
  void PublishEvaluatedWeights(uint64_t version);
  void SaveCheckpoint();
  void ReportProgress();
  // Also notes whether the run stopped at the target (stopped_at_target_).
  std::optional<std::string> StopReason();
  // learner.threads = auto: lets the tuner measure, and applies the thread count it picks.
  void TuneThreads();

  Config config_;
  MetricsWriter metrics_;
  EnvSpec spec_;
  DdpgAgent agent_;
  zmq::context_t context_{1};
  std::unique_ptr<CurveServer> curve_;  // with run.security = curve; must outlive the sockets below
  WeightPublisher publisher_;
  zmq::socket_t reports_socket_;
  std::unique_ptr<SampleClient> sampler_;  // made once the run id is known (from the checkpoint, or new)
  RateLimitedLog reports_log_;
  PublishedPolicies published_;

  TrainingCounters counters_;
  EnvStepCounter env_steps_;
  TrainingStatistics statistics_;
  std::optional<ThreadTuner> thread_tuner_;  // with learner.threads = auto
  uint64_t updates_at_start_ = 0;            // the tuner starts with this process's first update

  bool stopped_at_target_ = false;
  // The return recorded in best_policy.pt, this run's or (after a resume) the file's.
  std::optional<double> best_saved_return_;

  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_report_;
  std::chrono::steady_clock::time_point last_checkpoint_;
};

}  // namespace ddpg
