#include "replay_server/replay_service.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "common/frame_limits.h"
#include "common/transport.h"

namespace ddpg {
namespace {

// A flood of frames must not keep the loop from noticing Stop() or its report deadline.
constexpr int kMaxMessagesPerPoll = 1000;
constexpr std::string_view kActorSenderPrefix = "actor-";
// Keeps the server's draws distinct from the actors', which derive theirs from the same env.seed.
constexpr uint64_t kSamplerSeedSalt = 0x5245504c4159ull;  // "REPLAY"

// Routing ids are the peer's ZMQ_ROUTING_ID when it set a readable one, otherwise ZeroMQ's 5 binary bytes.
std::string DescribePeer(const std::string& routing_id) {
  const bool printable = !routing_id.empty() && std::all_of(routing_id.begin(), routing_id.end(), [](char c) {
    return std::isprint(static_cast<unsigned char>(c)) != 0;
  });
  if (printable) return "peer '" + routing_id + "'";
  std::string hex = "peer 0x";
  for (unsigned char c : routing_id) {
    char digits[3];
    std::snprintf(digits, sizeof digits, "%02x", c);
    hex += digits;
  }
  return hex;
}

protocol::Error ChunkError(const protocol::InsertChunk& chunk, protocol::ErrorCode code, std::string message) {
  return {.code = code,
          .message = std::move(message),
          .request_type = protocol::MessageType::kInsertChunk,
          .request_id = chunk.sequence};
}

protocol::Error SampleError(const protocol::SampleRequest& request, protocol::ErrorCode code, std::string message) {
  return {.code = code,
          .message = std::move(message),
          .request_type = protocol::MessageType::kSampleRequest,
          .request_id = request.request_id};
}

std::optional<PriorityOptions> PriorityOptionsOf(const ReplayConfig& replay) {
  if (replay.sampler == ReplaySampler::kUniform) return std::nullopt;
  return PriorityOptions{.alpha = replay.priority_alpha,
                         .beta = replay.priority_beta,
                         .beta_steps = replay.priority_beta_steps,
                         .epsilon = replay.priority_epsilon};
}

std::optional<uint32_t> ActorIdFromSender(const std::string& sender) {
  if (sender.rfind(kActorSenderPrefix, 0) != 0) return std::nullopt;
  const char* begin = sender.data() + kActorSenderPrefix.size();
  const char* end = sender.data() + sender.size();
  uint32_t id = 0;
  const auto [parsed_to, error] = std::from_chars(begin, end, id);
  if (error != std::errc() || parsed_to != end || begin == end) return std::nullopt;
  return id;
}

}  // namespace

StatusOr<std::unique_ptr<ReplayService>> ReplayService::Create(const Config& config,
                                                               std::optional<MetricsWriter> metrics) {
  Status valid = ValidateConfig(config);
  if (!valid.ok()) return valid;
  StatusOr<EnvSpec> spec = LookUpEnvSpec(config.env.id, config.env.options);
  if (!spec.ok()) return spec.status();
  DDPG_RETURN_IF_ERROR(CheckFrameLimits(config, spec->obs_dim, spec->act_dim));
  StatusOr<SocketSecurity> security = LoadSocketSecurity(config.run, SocketRoles::kServer);
  if (!security.ok()) return security.status();
  std::unique_ptr<ReplayService> service(
      new ReplayService(config, *spec, std::move(metrics), std::move(security->server)));
  if (config.replay.durability == Durability::kDisk) DDPG_RETURN_IF_ERROR(service->OpenLog(*spec));
  return service;
}

Status ReplayService::OpenLog(const EnvSpec& spec) {
  StatusOr<std::unique_ptr<LogWriter>> log = LogWriter::Open(
      {.data_dir = config_.replay.data_dir,
       .manifest =
           {.env_id = spec.id, .obs_dim = store_.obs_dim(), .act_dim = store_.act_dim(), .capacity = store_.capacity()},
       .sync_interval = std::chrono::milliseconds(config_.replay.sync_interval_ms),
       .priority_snapshots = priority_snapshots_},
      store_, duplicates_);
  DDPG_RETURN_IF_ERROR(log.status());
  log_ = std::move(log).value();
  // As if the store had just filled up to min_size_to_sample. Counting every recovered transition as
  // inserted and none as sampled would hold actors back until the learner had sampled each of them
  // samples_per_insert times.
  limiter_.RecordInsert(std::min<uint64_t>(store_.size(), config_.replay.min_size_to_sample));
  // run_inserted counts what this instance stored: the learner adds it to what it counted from the last.
  run_inserted_base_ = store_.total_inserted();
  return Status::Ok();
}

ReplayService::ReplayService(const Config& config, const EnvSpec& spec, std::optional<MetricsWriter> metrics,
                             std::optional<CurveServerKeys> curve_keys)
    : config_(config),
      heartbeat_timeout_(config.run.heartbeat_timeout_ms),
      report_interval_(
          std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(config.run.report_interval_s))),
      act_low_(spec.act_low),
      act_high_(spec.act_high),
      priority_snapshots_(config.replay.sampler == ReplaySampler::kPrioritized &&
                          config.replay.durability == Durability::kDisk &&
                          config.replay.priority_snapshot_interval_s > 0),
      priority_snapshot_interval_(std::chrono::duration_cast<Clock::duration>(
          std::chrono::duration<double>(config.replay.priority_snapshot_interval_s))),
      store_(static_cast<uint32_t>(spec.obs_dim), static_cast<uint32_t>(spec.act_dim), config.replay.capacity,
             PriorityOptionsOf(config.replay)),
      limiter_(config.replay.samples_per_insert, config.replay.min_size_to_sample, config.replay.rate_error_buffer),
      rng_(config.env.seed ^ kSamplerSeedSalt),
      instance_(protocol::NewInstanceId()),
      actors_(heartbeat_timeout_, Clock::now()),
      metrics_(std::move(metrics)),
      curve_keys_(std::move(curve_keys)),
      context_(1) {}

Status ReplayService::Bind() {
  if (curve_keys_ && !curve_) {
    StatusOr<std::unique_ptr<CurveServer>> curve = CurveServer::Start(context_, *curve_keys_);
    if (!curve.ok()) return curve.status();
    curve_ = std::move(curve).value();
  }
  try {
    socket_ = zmq::socket_t(context_, zmq::socket_type::router);
    ConfigureSocket(socket_);
    if (curve_) curve_->Secure(socket_);
    // Replies to peers that have gone away fail visibly (and are counted) instead of vanishing.
    socket_.set(zmq::sockopt::router_mandatory, true);
    socket_.bind(config_.replay.bind);
    endpoint_ = socket_.get(zmq::sockopt::last_endpoint);
  } catch (const zmq::error_t& error) {
    socket_.close();
    return Unavailable("cannot bind replay.bind = '" + config_.replay.bind + "': " + error.what() +
                       " (if the port is in use, stop the process holding it or choose another with --replay.bind)");
  }
  spdlog::info("replay server bound to {} ({} transitions of {}: obs_dim {}, act_dim {}), {}", endpoint_,
               FormatCount(static_cast<double>(store_.capacity())), config_.env.id, store_.obs_dim(), store_.act_dim(),
               curve_ ? fmt::format("CurveZMQ, {} allowed client key(s)", curve_->allowed_clients())
                      : std::string("plain TCP (run.security = none)"));
  return Status::Ok();
}

void ReplayService::Run() {
  last_report_ = Clock::now();
  last_priority_snapshot_ = last_report_;
  actors_ = ActorRegistry(heartbeat_timeout_, last_report_);
  std::vector<zmq::pollitem_t> items = {{socket_.handle(), 0, ZMQ_POLLIN, 0}};
  if (log_) items.push_back({nullptr, log_->wake_fd(), ZMQ_POLLIN, 0});
  while (!ShutdownRequested() && !stop_requested_.load()) {
    Poll(items, kPollTimeout.count());
    for (int i = 0; i < kMaxMessagesPerPoll; ++i) {
      std::optional<Received> received = ReceiveMessage(socket_, /*routed=*/true);
      if (!received) break;
      Handle(std::move(received->routing_id), std::move(received->message));
    }
    if (log_) SendDurableAcks();
    ServePendingIdRequests();
    if (!pending_samples_.empty() && !PeerAlive(pending_samples_.front().routing_id)) ServePending();
    ReportIfDue();
    SnapshotPrioritiesIfDue();
  }
  if (log_) {
    // The priorities learned since the last snapshot, written after the commit below.
    if (priority_snapshots_) SnapshotPrioritiesIfChanged();
    log_->Close();  // commits what is waiting, so that its acks can go out now
    SendDurableAcks();
  }
  spdlog::info(
      "replay server stopping: {} of {} inserted transitions stored, {} sampled, {} inserts and {} samples "
      "still waiting, {} duplicates dropped, {} malformed frames, {} chunks refused, {} samples abandoned, {} "
      "replies undeliverable, {} inserts forced",
      store_.size(), store_.total_inserted(), limiter_.sampled(), pending_inserts_.size(), pending_samples_.size(),
      duplicates_dropped_, malformed_frames_, refused_chunks_, abandoned_samples_, unsent_replies_, forced_inserts_);
}

void ReplayService::Handle(std::string routing_id, StatusOr<protocol::Message> message) {
  peers_last_heard_[routing_id] = Clock::now();
  if (!message.ok()) {
    HandleUndecodable(routing_id, message.status());
    return;
  }
  if (auto* heartbeat = std::get_if<protocol::Heartbeat>(&*message)) {
    HandleHeartbeat(routing_id, *heartbeat);
  } else if (auto* chunk = std::get_if<protocol::InsertChunk>(&*message)) {
    HandleInsert(std::move(routing_id), std::move(*chunk));
  } else if (auto* request = std::get_if<protocol::SampleRequest>(&*message)) {
    HandleSampleRequest(std::move(routing_id), *request);
  } else if (std::holds_alternative<protocol::StatsRequest>(*message)) {
    Reply(routing_id, Stats());
  } else if (auto* id_request = std::get_if<protocol::ActorIdRequest>(&*message)) {
    HandleActorIdRequest(std::move(routing_id), *id_request);
  } else if (auto* update = std::get_if<protocol::PriorityUpdate>(&*message)) {
    HandlePriorityUpdate(routing_id, *update);
  } else {
    Reply(routing_id,
          protocol::Error{.code = protocol::ErrorCode::kUnexpectedMessage,
                          .message = "the replay server does not serve " +
                                     std::string(protocol::TypeName(protocol::TypeOf(*message))) +
                                     " messages; it serves Heartbeat, InsertChunk, SampleRequest, StatsRequest, "
                                     "ActorIdRequest and PriorityUpdate",
                          .request_type = protocol::TypeOf(*message)});
  }
}

void ReplayService::HandleUndecodable(const std::string& routing_id, const Status& status) {
  ++malformed_frames_;
  undecodable_log_.Warn("undecodable frame from " + DescribePeer(routing_id) + ": " + status.message());
  const protocol::ErrorCode code = status.code() == StatusCode::kFailedPrecondition
                                       ? protocol::ErrorCode::kVersionMismatch
                                       : protocol::ErrorCode::kMalformedFrame;
  Reply(routing_id, protocol::Error{.code = code, .message = status.message()});
}

void ReplayService::HandleHeartbeat(const std::string& routing_id, const protocol::Heartbeat& heartbeat) {
  // Only refreshes an actor known from a stored chunk or an assigned id: anyone can send a heartbeat.
  if (std::optional<uint32_t> actor_id = ActorIdFromSender(heartbeat.sender)) {
    actors_.RefreshIfKnown(*actor_id, Clock::now());
  }
  Reply(routing_id, protocol::Heartbeat{"replay_server", instance_});
}

void ReplayService::HandleInsert(std::string routing_id, protocol::InsertChunk chunk) {
  const protocol::TransitionBatch& transitions = chunk.transitions;
  if (transitions.obs_dim != store_.obs_dim() || transitions.act_dim != store_.act_dim()) {
    Reply(
        routing_id,
        ChunkError(chunk, protocol::ErrorCode::kInvalidChunk,
                   "chunk " + std::to_string(chunk.sequence) + " of actor " + std::to_string(chunk.actor_id) +
                       " has obs_dim " + std::to_string(transitions.obs_dim) + ", act_dim " +
                       std::to_string(transitions.act_dim) + "; expected obs_dim " + std::to_string(store_.obs_dim()) +
                       ", act_dim " + std::to_string(store_.act_dim()) + " for env.id = " + config_.env.id));
    return;
  }
  if (Status values = protocol::CheckBatchValues(transitions, act_low_, act_high_, config_.replay.max_abs_value);
      !values.ok()) {
    ++refused_chunks_;
    refused_log_.Warn("refused chunk " + std::to_string(chunk.sequence) + " of actor " +
                      std::to_string(chunk.actor_id) + ": " + values.message());
    Reply(routing_id, ChunkError(chunk, protocol::ErrorCode::kInvalidValue,
                                 "chunk " + std::to_string(chunk.sequence) + " was not stored: " + values.message()));
    return;
  }
  actors_.MarkAlive(chunk.actor_id, Clock::now());
  if (duplicates_.Contains(chunk.actor_id, chunk.incarnation, chunk.sequence)) {
    ++duplicates_dropped_;
    AckWhenDurable(std::move(routing_id),
                   protocol::InsertAck{chunk.actor_id, chunk.sequence, /*duplicate=*/true, store_.size(), instance_});
    return;
  }
  // The actor reconnected and resent a chunk that is still waiting: keep its place in line, answer the
  // connection that is alive now. The queue holds at most max_chunks_in_flight chunks per actor.
  for (PendingInsert& pending : pending_inserts_) {
    if (pending.chunk.actor_id == chunk.actor_id && pending.chunk.incarnation == chunk.incarnation &&
        pending.chunk.sequence == chunk.sequence) {
      ++duplicates_dropped_;
      pending.routing_id = std::move(routing_id);
      return;
    }
  }
  if (std::optional<std::string> failure = log_ ? log_->failure() : std::nullopt) {
    ++refused_unlogged_;
    unlogged_log_.Warn("refusing chunks: the replay log cannot be written: " + *failure);
    Reply(routing_id, ChunkError(chunk, protocol::ErrorCode::kOverloaded,
                                 "chunk " + std::to_string(chunk.sequence) +
                                     " was not stored: the replay server cannot write its log (" + *failure +
                                     "); send it again later"));
    return;
  }
  pending_inserts_.push_back({std::move(routing_id), std::move(chunk)});
  ServePending();
}

void ReplayService::HandleSampleRequest(std::string routing_id, const protocol::SampleRequest& request) {
  if (request.batch_size == 0 || request.batch_size > kMaxBatchSize) {
    Reply(routing_id,
          SampleError(request, protocol::ErrorCode::kInvalidRequest,
                      "sample request " + std::to_string(request.request_id) + " asks for batch_size " +
                          std::to_string(request.batch_size) + ": allowed 1 .. " + std::to_string(kMaxBatchSize)));
    return;
  }
  if (pending_samples_.size() >= kMaxPendingSamples) DropAbandonedSamples();
  if (pending_samples_.size() >= kMaxPendingSamples) {
    Reply(routing_id, SampleError(request, protocol::ErrorCode::kOverloaded,
                                  "too many pending sample requests (" + std::to_string(kMaxPendingSamples) +
                                      " are waiting for inserts); request " + std::to_string(request.request_id) +
                                      " was dropped, send it again later"));
    return;
  }
  AttachRun(request.run_id);
  pending_samples_.push_back({std::move(routing_id), request});
  ServePending();
}

void ReplayService::HandleActorIdRequest(std::string routing_id, const protocol::ActorIdRequest& request) {
  if (actors_.CanAssign(Clock::now())) {
    Reply(routing_id, protocol::ActorIdReply{request.nonce, actors_.Assign(request.nonce, Clock::now())});
    return;
  }
  // A resend after a reconnect replaces the waiting request: the reply goes to the live connection.
  for (PendingIdRequest& pending : pending_id_requests_) {
    if (pending.request.nonce == request.nonce) {
      pending.routing_id = std::move(routing_id);
      return;
    }
  }
  if (pending_id_requests_.size() >= kMaxPendingIdRequests) {
    Reply(routing_id, protocol::Error{.code = protocol::ErrorCode::kOverloaded,
                                      .message = "too many actor id requests are waiting for the server's start-up "
                                                 "grace period to end; send it again later",
                                      .request_type = protocol::MessageType::kActorIdRequest,
                                      .request_id = request.nonce});
    return;
  }
  pending_id_requests_.push_back({std::move(routing_id), request});
}

void ReplayService::HandlePriorityUpdate(const std::string& routing_id, const protocol::PriorityUpdate& update) {
  auto refuse = [&](protocol::ErrorCode code, const std::string& why) {
    ++refused_priority_updates_;
    refused_log_.Warn("refused a priority update from " + DescribePeer(routing_id) + ": " + why);
    Reply(routing_id, protocol::Error{.code = code,
                                      .message = "priority update not applied: " + why,
                                      .request_type = protocol::MessageType::kPriorityUpdate});
  };
  if (store_.prioritized() == nullptr) {
    refuse(protocol::ErrorCode::kUnexpectedMessage,
           "this replay server samples uniformly (replay.sampler = uniform), so priorities have no effect");
    return;
  }
  if (update.indices.size() > kMaxBatchSize) {
    refuse(protocol::ErrorCode::kInvalidRequest, "it has " + std::to_string(update.indices.size()) +
                                                     " entries; allowed at most " + std::to_string(kMaxBatchSize) +
                                                     ", one per transition of a batch");
    return;
  }
  if (update.server_instance != instance_) {
    // About the transitions of a server that is gone: its slots hold other transitions here, if any.
    stale_priority_updates_ += update.indices.size();
    return;
  }
  StatusOr<PriorityUpdateOutcome> outcome =
      store_.UpdatePriorities(update.indices, update.generations, update.priorities);
  if (!outcome.ok()) {
    refuse(protocol::ErrorCode::kInvalidValue, outcome.status().message());
    return;
  }
  applied_priority_updates_ += outcome->applied;
  stale_priority_updates_ += outcome->stale;
}

void ReplayService::AttachRun(uint64_t run_id) {
  if (run_id == 0 || run_id == run_id_) return;
  if (run_id_ != 0) {
    // A learner of another run samples now: its env-step count must not include the earlier run's.
    run_inserted_base_ = store_.total_inserted();
    spdlog::warn(
        "a learner of another run (run id {:016x}, before {:016x}) samples now; its run's count of inserted "
        "transitions starts at 0, and the {} transitions stored for the earlier run stay in the buffer",
        run_id, run_id_, store_.size());
  }
  run_id_ = run_id;
}

bool ReplayService::PeerAlive(const std::string& routing_id) const {
  auto it = peers_last_heard_.find(routing_id);
  return it != peers_last_heard_.end() && Clock::now() - it->second <= heartbeat_timeout_;
}

void ReplayService::DropAbandonedSamples() {
  std::erase_if(pending_samples_, [&](const PendingSample& pending) {
    if (PeerAlive(pending.routing_id)) return false;
    Abandon(pending);
    return true;
  });
}

void ReplayService::Abandon(const PendingSample& pending) {
  ++abandoned_samples_;
  // A peer that was only busy for a while gets its request slot back and asks again; to a peer that is
  // gone, the reply cannot be delivered and is counted as such.
  Reply(pending.routing_id,
        SampleError(pending.request, protocol::ErrorCode::kOverloaded,
                    "sample request " + std::to_string(pending.request.request_id) +
                        " was dropped: its sender was silent for run.heartbeat_timeout_ms; send it again"));
}

void ReplayService::ForgetSilentPeers() {
  const Clock::time_point cutoff = Clock::now() - heartbeat_timeout_;
  std::erase_if(peers_last_heard_, [&](const auto& entry) { return entry.second < cutoff; });
}

void ReplayService::ServePendingIdRequests() {
  if (pending_id_requests_.empty() || !actors_.CanAssign(Clock::now())) return;
  for (const PendingIdRequest& pending : pending_id_requests_) {
    Reply(pending.routing_id,
          protocol::ActorIdReply{pending.request.nonce, actors_.Assign(pending.request.nonce, Clock::now())});
  }
  pending_id_requests_.clear();
}

void ReplayService::ServePending() {
  for (;;) {
    bool moved = false;
    if (!pending_inserts_.empty() && limiter_.CanInsert(pending_inserts_.front().chunk.transitions.size())) {
      StoreChunk(std::move(pending_inserts_.front()));
      pending_inserts_.pop_front();
      moved = true;
    }
    if (!pending_samples_.empty() && !PeerAlive(pending_samples_.front().routing_id)) {
      // Its learner is gone (a crash, a dropped connection it re-issued from): serving it would spend the
      // rate limiter's samples on a reply nobody reads.
      Abandon(pending_samples_.front());
      pending_samples_.pop_front();
      moved = true;
    } else if (!pending_samples_.empty() && limiter_.CanSample(pending_samples_.front().request.batch_size)) {
      ServeSample(pending_samples_.front());
      pending_samples_.pop_front();
      moved = true;
    }
    if (moved) continue;
    if (pending_inserts_.empty() || pending_samples_.empty()) return;
    // Both heads are held back, and only their own progress could release either, so they would wait
    // forever. ValidateConfig rules this out for chunks of up to actor.chunk_size + actor.num_envs and
    // batches of up to learner.batch_size; a peer configured otherwise gets here.
    ++forced_inserts_;
    forced_insert_log_.Warn(
        "rate limiter deadlock: a chunk of " + std::to_string(pending_inserts_.front().chunk.transitions.size()) +
        " transitions and a sample of " + std::to_string(pending_samples_.front().request.batch_size) +
        " both wait on each other; inserting anyway. Do all processes use the replay server's actor.chunk_size, "
        "actor.num_envs and learner.batch_size?");
    StoreChunk(std::move(pending_inserts_.front()));
    pending_inserts_.pop_front();
  }
}

void ReplayService::StoreChunk(PendingInsert pending) {
  protocol::InsertChunk& chunk = pending.chunk;
  const uint64_t first_transition = store_.total_inserted();
  Status stored = store_.Insert(chunk.transitions);
  if (!stored.ok()) {
    Reply(pending.routing_id, ChunkError(chunk, protocol::ErrorCode::kInvalidChunk, stored.message()));
    return;
  }
  duplicates_.Record(chunk.actor_id, chunk.incarnation, chunk.sequence);
  limiter_.RecordInsert(chunk.transitions.size());
  const protocol::InsertAck ack{chunk.actor_id, chunk.sequence, /*duplicate=*/false, store_.size(), instance_};
  if (log_) log_->Append(std::move(chunk), first_transition);
  AckWhenDurable(std::move(pending.routing_id), ack);
}

void ReplayService::AckWhenDurable(std::string routing_id, const protocol::InsertAck& ack) {
  if (!log_) {
    Reply(routing_id, ack);
    return;
  }
  held_acks_.push_back({std::move(routing_id), ack, log_->appended()});
}

void ReplayService::SendDurableAcks() {
  log_->ClearWake();
  const uint64_t durable = log_->durable();
  while (!held_acks_.empty() && held_acks_.front().chunk <= durable) {
    Reply(held_acks_.front().routing_id, held_acks_.front().ack);
    held_acks_.pop_front();
  }
}

void ReplayService::ServeSample(const PendingSample& pending) {
  protocol::SampleReply reply;
  reply.request_id = pending.request.request_id;
  SampledSlots slots;
  store_.Sample(pending.request.batch_size, rng_, reply.transitions, slots);
  reply.indices = std::move(slots.indices);
  reply.generations = std::move(slots.generations);
  reply.weights = std::move(slots.weights);
  limiter_.RecordSample(pending.request.batch_size);
  reply.replay_size = store_.size();
  reply.total_inserted = store_.total_inserted();
  reply.connected_actors = actors_.CountAlive(Clock::now());
  reply.server_instance = instance_;
  reply.run_inserted = store_.total_inserted() - run_inserted_base_;
  Reply(pending.routing_id, std::move(reply));
}

protocol::StatsReply ReplayService::Stats() {
  protocol::StatsReply stats;
  stats.replay_size = store_.size();
  stats.capacity = store_.capacity();
  stats.total_inserted = store_.total_inserted();
  stats.total_sampled = limiter_.sampled();
  stats.duplicates_dropped = duplicates_dropped_;
  stats.connected_actors = actors_.CountAlive(Clock::now());
  stats.pending_inserts = static_cast<uint32_t>(pending_inserts_.size());
  stats.pending_samples = static_cast<uint32_t>(pending_samples_.size());
  stats.server_instance = instance_;
  return stats;
}

void ReplayService::Reply(const std::string& routing_id, const protocol::Message& message) {
  if (!SendRouted(socket_, routing_id, message)) ++unsent_replies_;
}

namespace {

using Kind = ExportedMetric::Kind;
// The rates (inserts_per_s, samples_per_s) are left to Prometheus: rate() of the counters.
constexpr ExportedMetric kExportedMetrics[] = {
    {"replay_size", "ddpg_replay_server_stored_transitions", Kind::kGauge, "Transitions in the buffer."},
    {"capacity", "ddpg_replay_server_capacity_transitions", Kind::kGauge, "Transitions the buffer holds at most."},
    {"total_inserted", "ddpg_replay_server_inserted_transitions_total", Kind::kCounter,
     "Transitions stored since the server started."},
    {"total_sampled", "ddpg_replay_server_sampled_transitions_total", Kind::kCounter,
     "Transitions sent to learners in sample replies since the server started."},
    {"connected_actors", "ddpg_replay_server_connected_actors", Kind::kGauge,
     "Actors heard from within the heartbeat timeout."},
    {"pending_inserts", "ddpg_replay_server_pending_insert_chunks", Kind::kGauge,
     "Chunks the rate limiter holds back, unacknowledged."},
    {"pending_samples", "ddpg_replay_server_pending_sample_requests", Kind::kGauge,
     "Sample requests the rate limiter holds back."},
    {"duplicates_dropped", "ddpg_replay_server_duplicate_chunks_total", Kind::kCounter,
     "Chunks received again (resent) and acknowledged without storing them twice."},
    {"malformed_frames", "ddpg_replay_server_malformed_frames_total", Kind::kCounter,
     "Frames that could not be decoded."},
    {"refused_chunks", "ddpg_replay_server_refused_chunks_total", Kind::kCounter,
     "Chunks refused whole for a non-finite or out-of-range value."},
    {"abandoned_samples", "ddpg_replay_server_abandoned_sample_requests_total", Kind::kCounter,
     "Waiting sample requests dropped because their peer fell silent."},
    {"unsent_replies", "ddpg_replay_server_unsent_replies_total", Kind::kCounter,
     "Replies that could not be sent (the peer left or its queue was full)."},
    {"forced_inserts", "ddpg_replay_server_forced_inserts_total", Kind::kCounter,
     "Held-back chunks admitted anyway because both queues were stuck."},
    // Only with priority snapshots (prioritized replay, disk durability); not served otherwise.
    {"priority_snapshots", "ddpg_replay_server_priority_snapshots_total", Kind::kCounter,
     "Snapshots of the priorities written to replay.data_dir."},
    {"failed_priority_snapshots", "ddpg_replay_server_failed_priority_snapshots_total", Kind::kCounter,
     "Snapshots of the priorities that could not be written."},
};

}  // namespace

std::span<const ExportedMetric> ReplayService::ExportedMetrics() { return kExportedMetrics; }

void ReplayService::ReportIfDue() {
  const Clock::time_point now = Clock::now();
  if (now - last_report_ < report_interval_) return;
  const double seconds = std::chrono::duration<double>(now - last_report_).count();
  const double inserts_per_s = static_cast<double>(store_.total_inserted() - inserted_at_last_report_) / seconds;
  const double samples_per_s = static_cast<double>(limiter_.sampled() - sampled_at_last_report_) / seconds;
  const protocol::StatsReply stats = Stats();
  spdlog::info(
      "size {}/{} | +{} ins/s | {} smp/s | actors {} | waiting {} inserts, {} samples | dups {} | bad frames {}",
      FormatCount(static_cast<double>(stats.replay_size)), FormatCount(static_cast<double>(stats.capacity)),
      FormatCount(inserts_per_s), FormatCount(samples_per_s), stats.connected_actors, stats.pending_inserts,
      stats.pending_samples, stats.duplicates_dropped, malformed_frames_);
  if (metrics_) {
    nlohmann::json fields = {{"replay_size", stats.replay_size},
                             {"capacity", stats.capacity},
                             {"total_inserted", stats.total_inserted},
                             {"total_sampled", stats.total_sampled},
                             {"inserts_per_s", inserts_per_s},
                             {"samples_per_s", samples_per_s},
                             {"connected_actors", stats.connected_actors},
                             {"pending_inserts", stats.pending_inserts},
                             {"pending_samples", stats.pending_samples},
                             {"duplicates_dropped", stats.duplicates_dropped},
                             {"malformed_frames", malformed_frames_},
                             {"refused_chunks", refused_chunks_},
                             {"abandoned_samples", abandoned_samples_},
                             {"unsent_replies", unsent_replies_},
                             {"forced_inserts", forced_inserts_}};
    if (const PrioritizedSampler* prioritized = store_.prioritized()) {
      fields["priority_updates"] = applied_priority_updates_;
      fields["stale_priority_updates"] = stale_priority_updates_;
      fields["refused_priority_updates"] = refused_priority_updates_;
      fields["priority_max"] = prioritized->max_priority();
      fields["priority_mean"] = prioritized->MeanPriority(store_.size());
      fields["priority_beta"] = prioritized->beta();
    }
    if (log_) {
      const LogStats log = log_->stats();
      fields["held_acks"] = held_acks_.size();
      fields["log_commits"] = log.commits;
      fields["log_failed_commits"] = log.failed_commits;
      fields["log_disk_bytes"] = log.disk_bytes;
      fields["log_segments"] = log.segments;
      fields["refused_unlogged"] = refused_unlogged_;
      if (priority_snapshots_) {
        fields["priority_snapshots"] = log.priority_snapshots;
        fields["failed_priority_snapshots"] = log.failed_priority_snapshots;
      }
    }
    metrics_->Write(std::move(fields));
  }
  ForgetSilentPeers();
  last_report_ = now;
  inserted_at_last_report_ = stats.total_inserted;
  sampled_at_last_report_ = stats.total_sampled;
}

void ReplayService::SnapshotPrioritiesIfDue() {
  if (!priority_snapshots_) return;
  const Clock::time_point now = Clock::now();
  if (now - last_priority_snapshot_ < priority_snapshot_interval_) return;
  SnapshotPrioritiesIfChanged();
  last_priority_snapshot_ = now;
}

void ReplayService::SnapshotPrioritiesIfChanged() {
  const std::array<uint64_t, 3> progress = {store_.total_inserted(), limiter_.sampled(), applied_priority_updates_};
  if (snapshot_progress_ == progress) return;
  log_->SnapshotPriorities(store_.TakePrioritySnapshot());
  snapshot_progress_ = progress;
}

}  // namespace ddpg
