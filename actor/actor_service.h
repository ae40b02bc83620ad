// ActorService: a training actor. Steps a batch of environments with the newest policy plus this actor's
// exploration noise (uniformly random actions before the first weights), turns the steps into
// transitions (TransitionBuilder), streams them to the replay server in acknowledged chunks
// (ReplayWriter) and reports finished episodes to the learner (LearnerConnection).
//
// Ownership: owns its environments, noise, policy, ZeroMQ context and every socket (through ReplayWriter
// and LearnerConnection) and its metrics writer. Blocking: Run blocks until ShutdownRequested() or
// actor.max_env_steps; while the replay server holds its chunks back it waits for credit, checking for a
// signal every 100 ms. Then it spends at most two seconds on its last transitions: it sends those not yet
// sent (a full chunk when the stop came during a wait for credit, else a partial one) as soon as there is
// credit, then those still in the n-step windows (completed as if truncated), and waits for every
// acknowledgement. Its last log line and metrics object count the transitions
// acknowledged and those not delivered (unacknowledged or never sent); the two add up to its env steps.
// Thread-safety: one thread creates and runs it.
#pragma once

#include <memory>
#include <optional>
#include <random>

#include <zmq.hpp>

#include "actor/learner_connection.h"
#include "actor/policy.h"
#include "actor/replay_writer.h"
#include "actor/transition_builder.h"
#include "common/config.h"
#include "common/logging.h"
#include "common/metrics_endpoint.h"
#include "common/noise.h"
#include "envs/env_batch.h"

namespace ddpg {

class ActorService {
 public:
  // Fails for an unknown env.id, or unreadable key files with run.security = curve.
  static StatusOr<std::unique_ptr<ActorService>> Create(const Config& config, MetricsWriter metrics);
  // The fields of its metrics objects that a training actor serves to Prometheus (run.metrics_port).
  static std::span<const ExportedMetric> ExportedMetrics();

  void Run();

 private:
  ActorService(const Config& config, MetricsWriter metrics, std::unique_ptr<EnvBatch> envs,
               const std::optional<CurveClientKeys>& curve);

  void ChooseActions(std::vector<float>& actions);
  // Waits until the replay server acknowledges enough to send another chunk; false when stopped first.
  bool WaitForCredit();
  // On stop: sends what the builder still holds as soon as there is credit and waits for the
  // acknowledgements, for at most two seconds. What is not acknowledged by then is lost.
  void DeliverRemaining();
  // The final log line and metrics object: transitions acknowledged and not delivered.
  void ReportFinalCounts();
  void MaybeLogProgress();

  Config config_;
  MetricsWriter metrics_;
  std::unique_ptr<EnvBatch> envs_;
  std::unique_ptr<ExplorationNoise> noise_;
  double noise_sigma_;
  Policy policy_;
  TransitionBuilder transitions_;
  zmq::context_t context_{1};
  LearnerConnection learner_;
  ReplayWriter writer_;
  std::mt19937_64 rng_;
  uint64_t env_steps_ = 0;
  uint64_t episodes_ = 0;
  std::vector<double> recent_returns_;
  std::chrono::steady_clock::time_point last_log_;
  uint64_t env_steps_at_last_log_ = 0;
};

}  // namespace ddpg
