// Watches the handshakes of one connecting socket (a ZeroMQ socket monitor on an in-process PAIR): counts
// the connections whose handshake succeeded, and logs the ones that failed, rate-limited, saying what to
// check (a client key the server refused, the two ends on another run.security, a wrong server key).
//
// ZeroMQ reconnects by itself after a dropped connection, but not after a handshake the server refused
// (a ZAP refusal, a mechanism mismatch): such a socket stays silent for good. failed() tells its owner to
// open a fresh socket later (common/curve_security.h, docs/operations.md, "Security").
//
// Ownership: owns the PAIR end of the monitor; declare it before the monitored socket, so that it closes
// after it. Blocking: Poll never blocks. Thread-safety: the monitored socket's thread only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <zmq.hpp>

#include "common/rate_limited_log.h"

namespace ddpg {

class HandshakeMonitor {
 public:
  // Starts monitoring `socket` (before it connects); `endpoint` names the peer in log lines.
  HandshakeMonitor(zmq::context_t& context, zmq::socket_t& socket, std::string endpoint);

  // Reads the events that arrived since the last call, logging failed handshakes.
  void Poll();
  // Connections whose handshake succeeded, and handshakes that failed, since this monitor started.
  uint64_t succeeded() const { return succeeded_; }
  uint64_t failed() const { return failed_; }

 private:
  std::unique_ptr<zmq::socket_t> pair_;
  std::string endpoint_;
  uint64_t succeeded_ = 0;
  uint64_t failed_ = 0;
  RateLimitedLog failure_log_;
};

}  // namespace ddpg
