// ReplayService: the replay server's service loop. One ROUTER socket, which actors insert chunks into and
// the learner samples from, in front of a TransitionStore, a RateLimiter and a DuplicateFilter.
//
// Contracts kept here (docs/protocol.md describes the messages):
//  - Acknowledged means stored. An InsertChunk is answered with an InsertAck only once its transitions are
//    in the store; a chunk the rate limiter holds back waits in a FIFO queue, unacknowledged. A chunk seen
//    before (same actor id, incarnation and sequence number) is acknowledged again with duplicate = true
//    and not stored twice; one resent while still queued keeps the queued copy's place in line, and the
//    ack goes to the connection it was resent on.
//  - With replay.durability = disk, acknowledged means durable. Create() recovers the store, total_inserted
//    and the duplicate filter from the replay log in replay.data_dir (recovery.h). A stored chunk can be
//    sampled at once and is handed to the LogWriter, but its ack (and that of a duplicate, whose first
//    copy may still be on its way to disk) waits until the log is fsync'd past it; the loop polls the
//    writer's eventfd and sends the acks then. While the log cannot be written, new chunks are refused with
//    kOverloaded, saying why (docs/replay-log.md).
//  - With replay.sampler = prioritized as well, every replay.priority_snapshot_interval_s (and when Run ends) the
//    loop copies the priorities in transition-number order (TransitionStore::TakePrioritySnapshot, O(capacity))
//    and hands the copy to the LogWriter, which writes it once its transitions are durable; Create() restores
//    the last one, so a restarted server keeps its priorities and beta (priority_snapshot.h). Nothing is
//    copied while nothing was inserted, sampled or re-prioritized since the last snapshot.
//  - Sample requests the rate limiter holds back wait in a FIFO queue of at most kMaxPendingSamples. A
//    waiting request whose peer has not been heard from for the heartbeat timeout (a learner waiting for
//    samples sends heartbeats) is dropped unserved, so a vanished learner, or a flood from a peer that
//    left, neither spends samples nor keeps the queue full. The peer gets a kOverloaded Error naming the
//    request, so a learner that was only busy asks again.
//  - The server draws an instance id when it starts and sends it in every Heartbeat, InsertAck, SampleReply
//    and StatsReply, so clients notice a replaced server whatever the timing of its restart.
//  - SampleReply.run_inserted counts the transitions stored since the run named by the latest
//    SampleRequest.run_id attached (all of them for the first run): the learner counts env steps from it.
//  - A chunk is checked value by value before it is stored (protocol::CheckBatchValues): one holding a
//    non-finite value, an action out of bounds or a discount outside [0, 1] is refused whole with
//    kInvalidValue, nothing of it stored.
//  - Only actors known from a stored chunk or an assigned id count as connected; a heartbeat refreshes a
//    known actor but never adds one.
//  - A frame that cannot be served gets an Error saying why, naming the refused request's type and id so
//    that the client frees the credit or slot it held, and the service keeps serving. Warnings
//    about undecodable frames are rate-limited so that a flood cannot fill the disk.
//  - If a chunk or batch larger than the configuration allows for ever left both queues stuck behind
//    each other, the held-back insert is admitted anyway (with a warning): the run keeps moving at a
//    slightly wrong ratio rather than hanging.
//  - With replay.sampler = prioritized, SampleReplies carry each slot's generation and importance weight,
//    and a PriorityUpdate sets the priorities of the slots it names whose generation still matches (the
//    others, and every entry of an update for another server instance, are counted as stale and
//    ignored). One with a value out of range is refused whole (kInvalidValue); a uniform server refuses
//    every PriorityUpdate (kUnexpectedMessage).
//  - ActorIdRequest gets an id from the ActorRegistry; requests that arrive while it cannot assign ids
//    yet (the first heartbeat timeout after Run() starts) wait in a queue until it can.
//
//  - With run.security = curve the ROUTER is a CURVE server: only clients whose keys run.allowed_clients_file
//    lists get through the handshake; a CurveServer thread answers ZeroMQ's ZAP requests for it.
//
// Ownership: owns its ZeroMQ context and socket, the CurveServer (with curve), the store and both queues, and
// with disk durability the LogWriter and the acks waiting for it; optionally owns the MetricsWriter it
// reports to.
// Blocking: Run() blocks until ShutdownRequested() or Stop(); it polls at most kPollTimeout at a time, so
// it notices either within that long.
// Thread-safety: Bind() and Run() must not run concurrently; Bind() may run on another thread than Run()
// as long as it happens before that thread starts (the thread start is the memory barrier ZeroMQ needs
// to move a socket between threads). Stop() is safe from any thread at any time. The LogWriter's thread
// never touches the socket: it only hands back how far the log is durable.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include <zmq.hpp>

#include "common/config.h"
#include "common/curve_security.h"
#include "common/logging.h"
#include "common/metrics_endpoint.h"
#include "common/protocol.h"
#include "common/rate_limited_log.h"
#include "common/status.h"
#include "envs/env_spec.h"
#include "replay_server/actor_registry.h"
#include "replay_server/duplicate_filter.h"
#include "replay_server/log_writer.h"
#include "replay_server/rate_limiter.h"
#include "replay_server/transition_store.h"

namespace ddpg {

class ReplayService {
 public:
  static constexpr uint32_t kMaxBatchSize = 65536;
  static constexpr size_t kMaxPendingSamples = 1024;
  static constexpr size_t kMaxPendingIdRequests = 1024;
  static constexpr std::chrono::milliseconds kPollTimeout{100};

  // Validates the configuration (ValidateConfig: the rate limiter's deadlock freedom depends on it), looks
  // up the dimensions of env.id, with run.security = curve reads the server's key files and, with
  // replay.durability = disk, recovers from replay.data_dir. Metrics, when given, get one object per
  // run.report_interval_s.
  static StatusOr<std::unique_ptr<ReplayService>> Create(const Config& config,
                                                         std::optional<MetricsWriter> metrics = std::nullopt);
  // The fields of those metrics objects that the replay server serves to Prometheus (run.metrics_port).
  static std::span<const ExportedMetric> ExportedMetrics();

  ReplayService(const ReplayService&) = delete;
  ReplayService& operator=(const ReplayService&) = delete;

  // Binds the ROUTER socket on replay.bind (with curve, after starting the ZAP handler). Unavailable,
  // naming replay.bind, if that fails (e.g. the port is in use).
  Status Bind();
  // The endpoint actually bound (with the port ZeroMQ chose when replay.bind asked for port *); empty
  // before Bind() succeeds.
  const std::string& endpoint() const { return endpoint_; }

  // Serves until ShutdownRequested() or Stop(), then logs a final stats line. Requires a successful Bind().
  void Run();
  // Makes Run() return within kPollTimeout. Unlike RequestShutdown() it affects this service only.
  void Stop() { stop_requested_.store(true); }

 private:
  using Clock = std::chrono::steady_clock;

  struct PendingInsert {
    std::string routing_id;
    protocol::InsertChunk chunk;
  };
  struct PendingSample {
    std::string routing_id;
    protocol::SampleRequest request;
  };
  struct PendingIdRequest {
    std::string routing_id;
    protocol::ActorIdRequest request;
  };
  // An InsertAck waiting until the log is durable through chunk number `chunk`.
  struct HeldAck {
    std::string routing_id;
    protocol::InsertAck ack;
    uint64_t chunk;
  };

  ReplayService(const Config& config, const EnvSpec& spec, std::optional<MetricsWriter> metrics,
                std::optional<CurveServerKeys> curve_keys);
  // Recovers from replay.data_dir and starts the LogWriter.
  Status OpenLog(const EnvSpec& spec);

  void Handle(std::string routing_id, StatusOr<protocol::Message> message);
  void HandleUndecodable(const std::string& routing_id, const Status& status);
  void HandleHeartbeat(const std::string& routing_id, const protocol::Heartbeat& heartbeat);
  void HandleInsert(std::string routing_id, protocol::InsertChunk chunk);
  void HandleSampleRequest(std::string routing_id, const protocol::SampleRequest& request);
  void HandleActorIdRequest(std::string routing_id, const protocol::ActorIdRequest& request);
  void HandlePriorityUpdate(const std::string& routing_id, const protocol::PriorityUpdate& update);
  // Makes run_id the run whose inserted transitions SampleReply.run_inserted counts (0: keep the current).
  void AttachRun(uint64_t run_id);
  void ServePendingIdRequests();
  // Whether the peer with this routing id sent anything within the heartbeat timeout.
  bool PeerAlive(const std::string& routing_id) const;
  void DropAbandonedSamples();
  void Abandon(const PendingSample& pending);
  void ForgetSilentPeers();

  // Serves the queues' heads in turn for as long as the rate limiter lets either move.
  void ServePending();
  void StoreChunk(PendingInsert pending);
  // Sends the ack at once in memory, or once the log is durable through every chunk handed to it so far.
  void AckWhenDurable(std::string routing_id, const protocol::InsertAck& ack);
  void SendDurableAcks();
  void ServeSample(const PendingSample& pending);

  protocol::StatsReply Stats();
  void Reply(const std::string& routing_id, const protocol::Message& message);
  void ReportIfDue();
  void SnapshotPrioritiesIfDue();
  void SnapshotPrioritiesIfChanged();

  const Config config_;
  const std::chrono::milliseconds heartbeat_timeout_;
  const Clock::duration report_interval_;
  const std::vector<float> act_low_, act_high_;  // of env.id: every stored action lies within them
  // Prioritized, disk and a positive replay.priority_snapshot_interval_s: priorities are snapshot and restored.
  const bool priority_snapshots_;
  const Clock::duration priority_snapshot_interval_;

  TransitionStore store_;
  RateLimiter limiter_;
  DuplicateFilter duplicates_;
  std::mt19937_64 rng_;
  const uint64_t instance_;  // Heartbeat.instance, InsertAck/SampleReply/StatsReply.server_instance
  uint64_t run_id_ = 0;      // the run whose learner sampled last; 0 before any did
  uint64_t run_inserted_base_ = 0;
  std::deque<PendingInsert> pending_inserts_;
  std::deque<PendingSample> pending_samples_;
  std::vector<PendingIdRequest> pending_id_requests_;
  std::unique_ptr<LogWriter> log_;  // replay.durability = disk only
  std::deque<HeldAck> held_acks_;   // in order of chunk number
  ActorRegistry actors_;

  uint64_t duplicates_dropped_ = 0;
  uint64_t malformed_frames_ = 0;
  uint64_t refused_chunks_ = 0;     // decoded, but with a non-finite or out-of-range value
  uint64_t abandoned_samples_ = 0;  // waiting sample requests dropped because their peer fell silent
  std::unordered_map<std::string, Clock::time_point> peers_last_heard_;  // by routing id
  uint64_t unsent_replies_ = 0;  // peers that left, or whose queue was full, before their reply
  uint64_t forced_inserts_ = 0;
  // Prioritized replay, counted in entries (one per slot) except refused_priority_updates_ (messages).
  uint64_t applied_priority_updates_ = 0;
  uint64_t stale_priority_updates_ = 0;
  uint64_t refused_priority_updates_ = 0;
  uint64_t refused_unlogged_ = 0;  // chunks refused because the log could not be written
  RateLimitedLog undecodable_log_;
  RateLimitedLog refused_log_;
  RateLimitedLog forced_insert_log_;
  RateLimitedLog unlogged_log_;

  std::optional<MetricsWriter> metrics_;
  Clock::time_point last_report_;
  Clock::time_point last_priority_snapshot_;
  // What the priorities and beta depend on (inserts, batches served, priority updates) at the last snapshot:
  // an idle server's snapshot would only rewrite the same file, O(capacity) each interval.
  std::optional<std::array<uint64_t, 3>> snapshot_progress_;
  uint64_t inserted_at_last_report_ = 0;
  uint64_t sampled_at_last_report_ = 0;

  std::atomic<bool> stop_requested_{false};
  const std::optional<CurveServerKeys> curve_keys_;
  zmq::context_t context_;
  std::unique_ptr<CurveServer> curve_;  // with curve_keys_, from Bind(); must outlive socket_
  zmq::socket_t socket_;                // declared after context_: it must close first
  std::string endpoint_;
};

}  // namespace ddpg
