// A client's connection to a ROUTER server (the replay server): DEALER socket, heartbeats, reconnects.
//
// The Lazy-Pirate pattern from the ZeroMQ guide, with heartbeats: the client sends a Heartbeat whenever it
// has sent nothing for one heartbeat interval, and counts any frame from the server as a sign of life.
// When the server has been silent for the heartbeat timeout, Maintain() closes the socket, opens a fresh
// one and returns true: whatever the caller had outstanding was lost with the old connection and must
// be sent again (the server drops duplicates). Frames that fail to decode are logged (rate-limited) and
// skipped; Heartbeats are consumed here.
//
// Owns its socket; used from one thread only. Receive blocks at most timeout_ms.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <zmq.hpp>

#include "common/protocol.h"
#include "common/rate_limited_log.h"

namespace ddpg {

class ServerConnection {
 public:
  ServerConnection(zmq::context_t& context, std::string endpoint, std::string sender_name,
                   int heartbeat_interval_ms, int heartbeat_timeout_ms);

  // Queues one message for the server; false only if the socket refused it (then it is not queued).
  bool Send(const protocol::Message& message);
  // The next non-heartbeat message from the server, if one arrives within timeout_ms.
  std::optional<protocol::Message> Receive(long timeout_ms);
  // Sends a heartbeat if one is due; reconnects and returns true if the server was silent too long.
  bool Maintain();

  const std::string& endpoint() const { return endpoint_; }
  uint64_t reconnects() const { return reconnects_; }

 private:
  using Clock = std::chrono::steady_clock;
  void Open();

  zmq::context_t& context_;
  std::string endpoint_;
  std::string sender_name_;
  std::chrono::milliseconds heartbeat_interval_;
  std::chrono::milliseconds heartbeat_timeout_;
  std::unique_ptr<zmq::socket_t> socket_;
  Clock::time_point last_sent_;
  Clock::time_point last_received_;
  uint64_t reconnects_ = 0;
  RateLimitedLog rejected_log_;
};

}  // namespace ddpg
