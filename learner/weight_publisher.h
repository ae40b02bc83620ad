// Publishes versioned policy weights to every actor (PUB), and republishes the newest ones periodically
// so that an actor that joins late, or reconnects after a network cut, has them within one interval.
// Owns its socket; used from the learner's thread only. Publishing never blocks (PUB drops for slow
// subscribers, and actors keep only the newest weights anyway).
#pragma once

#include <chrono>
#include <string>

#include <zmq.hpp>

#include "common/protocol.h"
#include "common/status.h"

namespace ddpg {

class WeightPublisher {
 public:
  WeightPublisher(zmq::context_t& context, double republish_interval_s);
  // Unavailable with a message naming learner.weights_bind if the endpoint cannot be bound.
  Status Bind(const std::string& endpoint);

  void Publish(const protocol::Weights& weights);
  // Sends the newest weights again if the republish interval has passed since they were last sent.
  void RepublishIfDue();

  uint64_t published_version() const { return version_; }
  bool has_published() const { return !frame_.empty(); }

 private:
  zmq::socket_t socket_;
  std::chrono::duration<double> republish_interval_;
  std::string frame_;  // the newest weights, encoded once
  uint64_t version_ = 0;
  std::chrono::steady_clock::time_point last_sent_;
};

}  // namespace ddpg
