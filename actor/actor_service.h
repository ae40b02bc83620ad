// An actor process: steps a batch of environments with the newest policy plus exploration noise, streams
// the transitions to the replay server and reports finished episodes to the learner. In evaluation mode
// (actor.eval) it adds no noise and inserts nothing: for each new policy version (at most one evaluation
// every actor.eval_interval_s) it runs actor.eval_episodes episodes and reports their mean return.
//
// Sockets: DEALER to the replay server (through ReplayWriter), SUB for weights (conflated: only the newest
// is kept), PUSH for episode reports (dropped rather than blocking when the learner is away). All owned by
// the thread that calls Run(), which returns when ShutdownRequested() or actor.max_env_steps is reached,
// after trying for a moment to deliver what is still unacknowledged.
#pragma once

#include <memory>
#include <optional>

#include <zmq.hpp>

#include "actor/policy.h"
#include "actor/replay_writer.h"
#include "common/config.h"
#include "common/logging.h"
#include "common/noise.h"
#include "common/rate_limited_log.h"
#include "envs/env_batch.h"

namespace ddpg {

class ActorService {
 public:
  // Fails for an unknown env.id or an invalid noise setting.
  static StatusOr<std::unique_ptr<ActorService>> Create(const Config& config, MetricsWriter metrics);
  ~ActorService();

  void Run();

 private:
  ActorService(const Config& config, MetricsWriter metrics, std::unique_ptr<EnvBatch> envs,
               std::unique_ptr<ExplorationNoise> noise);

  void RunTraining();
  void RunEvaluation();
  void ReceiveWeights(long timeout_ms);
  void ChooseActions(std::vector<float>& actions);
  void AppendTransitions(const std::vector<float>& observations, const std::vector<float>& actions,
                         const StepOutput& output);
  void SendReport(const protocol::EpisodeReport& report);
  void MaybeLogProgress(bool training);
  void Flush();
  protocol::TransitionBatch TakeChunk();

  Config config_;
  MetricsWriter metrics_;
  std::unique_ptr<EnvBatch> envs_;
  std::unique_ptr<ExplorationNoise> noise_;
  Policy policy_;
  zmq::context_t context_{1};
  zmq::socket_t weights_socket_;
  zmq::socket_t reports_socket_;
  std::unique_ptr<ReplayWriter> writer_;  // training mode only
  std::mt19937_64 rng_;
  double noise_sigma_ = 0.0;
  protocol::TransitionBatch chunk_;
  uint64_t env_steps_ = 0;
  uint64_t episodes_ = 0;
  std::vector<double> recent_returns_;
  std::optional<double> last_eval_return_;
  std::chrono::steady_clock::time_point last_report_;
  uint64_t env_steps_at_last_report_ = 0;
  RateLimitedLog weights_log_;
};

}  // namespace ddpg
