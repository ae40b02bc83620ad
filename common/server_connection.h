// A client's connection to a ROUTER server (the replay server): DEALER socket, heartbeats, reconnects.
//
// The Lazy-Pirate pattern from the ZeroMQ guide, with heartbeats: the client sends a Heartbeat whenever it
// has sent nothing for one heartbeat interval, and counts any frame from the server as a sign of life.
// Maintain() returns true whenever whatever the caller had outstanding may have been lost, and must be
// sent again (the server drops duplicates):
//  - the connection was replaced: ZeroMQ reconnects by itself, and a server restarted within a
//    heartbeat interval answers heartbeats at once, but the requests the old connection or the old
//    server held are gone. A socket monitor reports every new connection (once its handshake succeeded),
//    so this is noticed as soon as ZeroMQ reconnects, whatever the timing;
//  - the server's instance id (in its heartbeats, acks and replies) changed: another server process
//    answers now, even if no TCP event was seen (e.g. through a proxy that kept the client's side open);
//  - the server has been silent for the heartbeat timeout (a partition, a hung server): the socket is
//    closed and a fresh one opened.
// Frames that fail to decode are logged (rate-limited) and skipped; Heartbeats are consumed here. With CURVE
// keys (common/curve_security.h) the connection is encrypted. A failed handshake (this client's key is not
// allowed, or the two ends disagree on run.security or the server key) is logged (HandshakeMonitor);
// ZeroMQ itself retries only a connection the server dropped, not one it refused, so the heartbeat
// timeout's fresh socket is what tries again.
//
// The DEALER queues at most send_queue_limit messages while the server is away; a client that keeps more
// requests outstanding than that must pass a larger limit, or its sends fail.
//
// Owns its socket and the monitor socket that watches it; used from one thread only. Receive blocks at
// most timeout_ms; Maintain never blocks.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <zmq.hpp>

#include "common/curve_security.h"
#include "common/handshake_monitor.h"
#include "common/protocol.h"
#include "common/rate_limited_log.h"

namespace ddpg {

class ServerConnection {
 public:
  static constexpr int kDefaultSendQueueLimit = 1000;  // ZeroMQ's default ZMQ_SNDHWM

  ServerConnection(zmq::context_t& context, std::string endpoint, std::string sender_name, int heartbeat_interval_ms,
                   int heartbeat_timeout_ms, int send_queue_limit = kDefaultSendQueueLimit,
                   std::optional<CurveClientKeys> curve = std::nullopt);

  // Queues one message for the server; false only if the socket refused it (then it is not queued).
  bool Send(const protocol::Message& message);
  // The next non-heartbeat message from the server, if one arrives within timeout_ms.
  std::optional<protocol::Message> Receive(long timeout_ms);
  // Sends a heartbeat if one is due. Returns true when what was outstanding must be sent again: the
  // connection was replaced, another server instance answers, or (after reopening the socket) the server
  // was silent for the heartbeat timeout.
  bool Maintain();

  const std::string& endpoint() const { return endpoint_; }
  uint64_t reconnects() const { return reconnects_; }

 private:
  using Clock = std::chrono::steady_clock;
  void Open();
  // True if the DEALER connected to the server again since the last call (not counting its first
  // connection). Failed handshakes are logged by the monitor.
  bool Reconnected();
  // Notes the server instance a message carries, if any.
  void ObserveServerInstance(const protocol::Message& message);

  zmq::context_t& context_;
  std::string endpoint_;
  std::string sender_name_;
  std::chrono::milliseconds heartbeat_interval_;
  std::chrono::milliseconds heartbeat_timeout_;
  int send_queue_limit_;
  std::optional<CurveClientKeys> curve_;
  uint64_t instance_;             // this client's, sent in its heartbeats
  uint64_t server_instance_ = 0;  // the newest seen; 0 before any
  bool server_replaced_ = false;
  std::unique_ptr<HandshakeMonitor> monitor_;  // declared before socket_: it must close after it
  std::unique_ptr<zmq::socket_t> socket_;
  uint64_t connections_ = 0;  // of the current socket
  Clock::time_point last_sent_;
  Clock::time_point last_received_;
  uint64_t reconnects_ = 0;
  RateLimitedLog rejected_log_;
};

}  // namespace ddpg
