// Publishes versioned policy weights to every actor (PUB), and republishes the newest ones periodically
// so that an actor that joins late, or reconnects after a network cut, has them within one interval.
// Owns its socket; used from the learner's thread only. Publishing never blocks.
//
// Memory: the socket conflates (ZMQ_CONFLATE), so it queues at most one frame per subscriber, the newest,
// which replaces an older one not yet sent; a stalled subscriber costs one frame here plus what the
// kernel's socket buffers hold (a few MB), not 1000 frames (the default high-water mark: about 270 MB for
// Pendulum's network, 660 MB for Humanoid's). Versions in between may be skipped, never the newest:
// actors keep only the newest weights anyway.
#pragma once

#include <chrono>
#include <string>

#include <zmq.hpp>

#include "common/curve_security.h"
#include "common/protocol.h"
#include "common/status.h"

namespace ddpg {

class WeightPublisher {
 public:
  WeightPublisher(zmq::context_t& context, double republish_interval_s);
  // Unavailable with a message naming learner.weights_bind if the endpoint cannot be bound. With `curve`,
  // the socket becomes its CURVE server first (which must outlive this publisher).
  Status Bind(const std::string& endpoint, const CurveServer* curve = nullptr);
  // The bound endpoint, with the port the system chose for "tcp://HOST:*"; empty before Bind.
  const std::string& endpoint() const { return endpoint_; }

  void Publish(const protocol::Weights& weights);
  // Sends the newest weights again if the republish interval has passed since they were last sent.
  void RepublishIfDue();

  uint64_t published_version() const { return version_; }
  bool has_published() const { return !frame_.empty(); }

 private:
  zmq::socket_t socket_;
  std::string endpoint_;
  std::chrono::duration<double> republish_interval_;
  std::string frame_;  // the newest weights, encoded once
  uint64_t version_ = 0;
  std::chrono::steady_clock::time_point last_sent_;
};

}  // namespace ddpg
