// Streams an actor's transition chunks to the replay server with acknowledgements and credit.
//
// Every chunk gets the next sequence number and is kept until the server acknowledges it; at most
// max_in_flight chunks are unacknowledged at once (credit), so a slow or rate-limited server slows the
// actor down instead of filling memory. Credit always comes back:
//  - when the connection is replaced, another server instance answers, or the server went silent
//    (ServerConnection::Maintain), every unacknowledged chunk is sent again in order; the server drops
//    the ones it had already stored;
//  - a chunk the socket would not take (its queue full) is sent again by the next Service call, one the
//    server refused as overloaded (e.g. while it cannot write its replay log) 100 ms later;
//  - a chunk the server refuses (an Error naming its sequence, e.g. wrong dimensions) can never be stored:
//    it is dropped, logged and counted in refused_transitions().
// With CURVE keys (run.security = curve) the channel uses CurveZMQ. Owns its socket; used from the actor's
// thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include <zmq.hpp>

#include "common/protocol.h"
#include "common/rate_limited_log.h"
#include "common/server_connection.h"
#include "common/status.h"

namespace ddpg {

class ReplayWriter {
 public:
  ReplayWriter(zmq::context_t& context, const std::string& endpoint, uint32_t actor_id, int max_in_flight,
               int heartbeat_interval_ms, int heartbeat_timeout_ms,
               std::optional<CurveClientKeys> curve = std::nullopt);

  bool HasCredit() const { return static_cast<int>(unacked_.size()) < max_in_flight_; }
  // Sends the chunk (the caller checked HasCredit). The writer keeps it until it is acknowledged.
  void Send(protocol::TransitionBatch transitions);
  // Processes acknowledgements for up to timeout_ms (returning early once credit is available if
  // until_credit), sends heartbeats, reconnects and resends when the server went silent.
  void Service(long timeout_ms, bool until_credit = false);

  size_t in_flight() const { return unacked_.size(); }
  // Transitions in the chunks sent but not yet acknowledged.
  uint64_t unacked_transitions() const {
    uint64_t transitions = 0;
    for (const auto& [sequence, unacked] : unacked_) transitions += unacked.chunk.transitions.size();
    return transitions;
  }
  uint64_t acked_transitions() const { return acked_transitions_; }
  uint64_t refused_transitions() const { return refused_transitions_; }
  uint64_t replay_size() const { return replay_size_; }
  uint64_t reconnects() const { return connection_.reconnects(); }

 private:
  struct Unacked {
    protocol::InsertChunk chunk;
    bool sent = false;  // false while the socket would not take it
  };

  void Handle(const protocol::Message& message);
  void HandleError(const protocol::Error& error);
  // Sends every unacknowledged chunk again (all = true) or only the ones not sent yet.
  void SendUnacked(bool all);

  ServerConnection connection_;
  uint32_t actor_id_;
  uint64_t incarnation_;  // distinguishes this process from an earlier one with the same actor id
  int max_in_flight_;
  uint64_t next_sequence_ = 0;
  std::map<uint64_t, Unacked> unacked_;
  size_t unsent_ = 0;
  std::chrono::steady_clock::time_point retry_unsent_at_{};  // unsent chunks wait until then after an overload
  uint64_t acked_transitions_ = 0;
  uint64_t refused_transitions_ = 0;
  uint64_t replay_size_ = 0;
  RateLimitedLog error_log_;
};

// Asks the replay server at `endpoint` for an actor id (actor.auto_id) and waits for it, however long
// the server takes to come up: processes may start in any order. Resends after a reconnect, and after a
// moment when the server is overloaded. Fails when the server refuses otherwise (a release without id
// assignment) or on shutdown (ShutdownRequested()).
StatusOr<uint32_t> AcquireActorId(zmq::context_t& context, const std::string& endpoint, int heartbeat_interval_ms,
                                  int heartbeat_timeout_ms, std::optional<CurveClientKeys> curve = std::nullopt);

}  // namespace ddpg
