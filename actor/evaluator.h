// Evaluator: an actor without noise that inserts nothing. For each new policy version (at most one
// evaluation every actor.eval_interval_s) it runs actor.eval_episodes episodes, one environment each,
// and reports their mean return to the learner, which logs it and may stop the run on it.
//
// Ownership: owns its environments, policy, ZeroMQ context and sockets (through LearnerConnection) and
// metrics writer. Blocking: Run blocks until ShutdownRequested(); it checks that at least every 100 ms
// between evaluations and after every environment step during one. Thread-safety: one thread.
#pragma once

#include <memory>
#include <optional>

#include <zmq.hpp>

#include "actor/learner_connection.h"
#include "actor/policy.h"
#include "common/config.h"
#include "common/logging.h"
#include "common/metrics_endpoint.h"
#include "envs/env_batch.h"

namespace ddpg {

class Evaluator {
 public:
  // Fails for an unknown env.id, or unreadable key files with run.security = curve.
  static StatusOr<std::unique_ptr<Evaluator>> Create(const Config& config, MetricsWriter metrics);
  // The fields of its metrics objects (one per evaluation) that the evaluator serves to Prometheus.
  static std::span<const ExportedMetric> ExportedMetrics();

  void Run();

 private:
  Evaluator(const Config& config, MetricsWriter metrics, std::unique_ptr<EnvBatch> envs,
            const std::optional<CurveClientKeys>& curve);

  // Runs one episode in every environment with the current policy; false if interrupted by a signal.
  bool Evaluate();
  void MaybeLogProgress();

  Config config_;
  MetricsWriter metrics_;
  std::unique_ptr<EnvBatch> envs_;
  Policy policy_;
  zmq::context_t context_{1};
  LearnerConnection learner_;
  uint64_t env_steps_ = 0;
  uint64_t evaluations_ = 0;
  std::optional<double> last_eval_return_;
  std::chrono::steady_clock::time_point last_log_;
};

}  // namespace ddpg
