#include "actor/replay_writer.h"

#include <spdlog/spdlog.h>

#include <random>

#include "common/transport.h"

namespace ddpg {
namespace {

// Room in the socket's send queue beyond the chunks in flight, for heartbeats.
constexpr int kControlMessageHeadroom = 16;
// How long a chunk refused as overloaded waits before it is sent again, as the learner's sample requests do:
// the server is not asked again at once with what it has just refused.
constexpr auto kRetryAfterOverload = std::chrono::milliseconds(100);

}  // namespace

ReplayWriter::ReplayWriter(zmq::context_t& context, const std::string& endpoint, uint32_t actor_id, int max_in_flight,
                           int heartbeat_interval_ms, int heartbeat_timeout_ms, std::optional<CurveClientKeys> curve)
    : connection_(context, endpoint, "actor-" + std::to_string(actor_id), heartbeat_interval_ms, heartbeat_timeout_ms,
                  max_in_flight + kControlMessageHeadroom, std::move(curve)),
      actor_id_(actor_id),
      incarnation_(std::random_device{}() * 0x100000000ull + std::random_device{}()),
      max_in_flight_(max_in_flight) {}

void ReplayWriter::Send(protocol::TransitionBatch transitions) {
  protocol::InsertChunk chunk{.actor_id = actor_id_,
                              .incarnation = incarnation_,
                              .sequence = next_sequence_++,
                              .transitions = std::move(transitions)};
  const bool sent = connection_.Send(chunk);
  if (!sent) ++unsent_;
  const uint64_t sequence = chunk.sequence;
  unacked_.emplace(sequence, Unacked{std::move(chunk), sent});
}

void ReplayWriter::SendUnacked(bool all) {
  if (!all && std::chrono::steady_clock::now() < retry_unsent_at_) return;
  for (auto& [sequence, unacked] : unacked_) {
    if (unacked.sent && !all) continue;
    const bool sent = connection_.Send(unacked.chunk);
    if (sent && !unacked.sent) --unsent_;
    if (!sent && unacked.sent) ++unsent_;
    unacked.sent = sent;
  }
}

void ReplayWriter::Service(long timeout_ms, bool until_credit) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    if (connection_.Maintain() && !unacked_.empty()) {
      spdlog::info("resending {} unacknowledged chunks to {}", unacked_.size(), connection_.endpoint());
      SendUnacked(/*all=*/true);
    } else if (unsent_ > 0) {
      SendUnacked(/*all=*/false);
    }
    if (until_credit && HasCredit()) return;
    const auto now = std::chrono::steady_clock::now();
    const auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
    auto wait = std::max<long>(0, remaining.count());
    if (unsent_ > 0 && retry_unsent_at_ > now) {
      wait = std::min<long>(wait,
                            1 + std::chrono::duration_cast<std::chrono::milliseconds>(retry_unsent_at_ - now).count());
    }
    if (std::optional<protocol::Message> message = connection_.Receive(wait)) {
      Handle(*message);
      continue;  // drain whatever else is already waiting
    }
    if (remaining.count() <= 0) return;
  }
}

void ReplayWriter::Handle(const protocol::Message& message) {
  if (const auto* ack = std::get_if<protocol::InsertAck>(&message)) {
    auto it = unacked_.find(ack->sequence);
    if (it == unacked_.end()) return;  // an ack for a chunk resent after its first ack
    acked_transitions_ += it->second.chunk.transitions.size();
    replay_size_ = ack->replay_size;
    if (!it->second.sent) --unsent_;
    unacked_.erase(it);
  } else if (const auto* error = std::get_if<protocol::Error>(&message)) {
    HandleError(*error);
  } else {
    error_log_.Warn("unexpected " + std::string(protocol::TypeName(protocol::TypeOf(message))) +
                    " from the replay server");
  }
}

void ReplayWriter::HandleError(const protocol::Error& error) {
  auto it =
      error.request_type == protocol::MessageType::kInsertChunk ? unacked_.find(error.request_id) : unacked_.end();
  if (it == unacked_.end()) {
    error_log_.Warn("replay server: " + error.message);
    return;
  }
  if (error.code == protocol::ErrorCode::kOverloaded) {
    // The same chunk may be stored later (e.g. once the server can write its log again): send it again soon.
    error_log_.Warn("replay server: " + error.message);
    if (it->second.sent) ++unsent_;
    it->second.sent = false;
    retry_unsent_at_ = std::chrono::steady_clock::now() + kRetryAfterOverload;
    return;
  }
  const size_t transitions = it->second.chunk.transitions.size();
  refused_transitions_ += transitions;
  if (!it->second.sent) --unsent_;
  unacked_.erase(it);
  error_log_.Warn(fmt::format("replay server refused chunk {} ({} transitions), which is dropped: {}", error.request_id,
                              transitions, error.message));
}

StatusOr<uint32_t> AcquireActorId(zmq::context_t& context, const std::string& endpoint, int heartbeat_interval_ms,
                                  int heartbeat_timeout_ms, std::optional<CurveClientKeys> curve) {
  constexpr auto kNoticeInterval = std::chrono::seconds(10);
  constexpr auto kRetryAfterOverload = std::chrono::milliseconds(500);
  ServerConnection connection(context, endpoint, "actor", heartbeat_interval_ms, heartbeat_timeout_ms,
                              ServerConnection::kDefaultSendQueueLimit, std::move(curve));
  const protocol::ActorIdRequest request{std::random_device{}() * 0x100000000ull + std::random_device{}()};
  connection.Send(request);
  auto next_notice = std::chrono::steady_clock::now() + kNoticeInterval;
  std::optional<std::chrono::steady_clock::time_point> retry_at;
  while (!ShutdownRequested()) {
    if (connection.Maintain() || (retry_at && std::chrono::steady_clock::now() >= *retry_at)) {
      connection.Send(request);
      retry_at.reset();
    }
    if (std::optional<protocol::Message> message = connection.Receive(100)) {
      if (const auto* reply = std::get_if<protocol::ActorIdReply>(&*message); reply && reply->nonce == request.nonce) {
        return reply->actor_id;
      }
      if (const auto* error = std::get_if<protocol::Error>(&*message);
          error && error->code == protocol::ErrorCode::kOverloaded) {
        retry_at = std::chrono::steady_clock::now() + kRetryAfterOverload;  // back-pressure: ask again later
      } else if (error) {
        return FailedPrecondition("the replay server at " + endpoint +
                                  " did not assign an actor id: " + error->message +
                                  " (run the same release everywhere, or set actor.id and "
                                  "actor.auto_id = false)");
      }
    }
    if (std::chrono::steady_clock::now() >= next_notice) {
      spdlog::info("still waiting for an actor id from the replay server at {}", endpoint);
      next_notice += kNoticeInterval;
    }
  }
  return Unavailable("stopped while waiting for an actor id from " + endpoint);
}

}  // namespace ddpg
