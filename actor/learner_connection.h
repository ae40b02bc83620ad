// LearnerConnection: an actor's two channels to the learner. Weights come in on a SUB socket (conflated:
// only the newest frame is kept) and update a Policy; episode reports go out on a PUSH socket and are
// dropped rather than blocking when the learner is away (they are informational).
//
// With CURVE keys (run.security = curve) both sockets are CURVE clients of the learner.
//
// Ownership: owns both sockets, on a context the caller owns and keeps alive longer. Blocking:
// UpdatePolicy waits at most timeout_ms; Report never blocks. Thread-safety: one thread.
#pragma once

#include <optional>
#include <string>

#include <zmq.hpp>

#include "actor/policy.h"
#include "common/curve_security.h"
#include "common/protocol.h"
#include "common/rate_limited_log.h"

namespace ddpg {

class LearnerConnection {
 public:
  LearnerConnection(zmq::context_t& context, const std::string& weights_address, const std::string& reports_address,
                    const std::optional<CurveClientKeys>& curve = std::nullopt);

  // Applies the newest waiting weights to `policy`, waiting up to timeout_ms for some to arrive. Weights
  // that do not fit the policy, or are older than the ones it holds, are logged and ignored.
  void UpdatePolicy(Policy& policy, long timeout_ms);
  void Report(const protocol::EpisodeReport& report);

 private:
  zmq::socket_t weights_socket_;
  zmq::socket_t reports_socket_;
  RateLimitedLog weights_log_;
};

}  // namespace ddpg
