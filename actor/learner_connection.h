// LearnerConnection: an actor's two channels to the learner. Weights come in on a SUB socket (conflated:
// only the newest frame is kept) and update a Policy; episode reports go out on a PUSH socket and are
// dropped rather than blocking when the learner is away (they are informational).
//
// With CURVE keys (run.security = curve) both sockets are CURVE clients of the learner. ZeroMQ does not
// retry a handshake the learner refused (this actor's key was not in its allowlist, or the two disagree
// on run.security), so such a socket is opened afresh retry_after_failed_handshake later: an actor whose
// key is allowed once the learner restarts gets weights again, as its replay channel gets acknowledgements.
//
// Ownership: owns both sockets and their handshake monitors, on a context the caller owns and keeps alive
// longer. Blocking: UpdatePolicy waits at most timeout_ms; Report never blocks. Thread-safety: one thread.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <zmq.hpp>

#include "actor/policy.h"
#include "common/curve_security.h"
#include "common/handshake_monitor.h"
#include "common/protocol.h"
#include "common/rate_limited_log.h"

namespace ddpg {

class LearnerConnection {
 public:
  LearnerConnection(zmq::context_t& context, const std::string& weights_address, const std::string& reports_address,
                    std::chrono::milliseconds retry_after_failed_handshake,
                    std::optional<CurveClientKeys> curve = std::nullopt);

  // Applies the newest waiting weights to `policy`, waiting up to timeout_ms for some to arrive. Weights
  // that do not fit the policy, or are older than the ones it holds, are logged and ignored. Also reopens
  // a socket whose handshake failed, once its retry is due.
  void UpdatePolicy(Policy& policy, long timeout_ms);
  void Report(const protocol::EpisodeReport& report);

 private:
  using Clock = std::chrono::steady_clock;
  // One socket with the monitor of its handshakes; opened again after a failed one.
  struct Channel {
    zmq::socket_type type;
    std::string address;
    std::unique_ptr<HandshakeMonitor> monitor = nullptr;  // declared before socket: it must close after it
    std::unique_ptr<zmq::socket_t> socket = nullptr;
    std::optional<Clock::time_point> reopen_at = std::nullopt;  // set when a handshake failed
  };

  void Open(Channel& channel);
  void RetryFailedHandshake(Channel& channel);

  zmq::context_t& context_;
  std::chrono::milliseconds retry_after_failed_handshake_;
  std::optional<CurveClientKeys> curve_;
  Channel weights_;
  Channel reports_;
  RateLimitedLog weights_log_;
};

}  // namespace ddpg
