#include "learner/weight_publisher.h"

#include "common/transport.h"

namespace ddpg {

WeightPublisher::WeightPublisher(zmq::context_t& context, double republish_interval_s)
    : socket_(context, zmq::socket_type::pub), republish_interval_(republish_interval_s) {
  ConfigureSocket(socket_);
  // One queued frame per subscriber, the newest (see the header). Conflation needs single-part frames.
  socket_.set(zmq::sockopt::conflate, 1);
}

Status WeightPublisher::Bind(const std::string& endpoint, const CurveServer* curve) {
  try {
    if (curve != nullptr) curve->Secure(socket_);
    socket_.bind(endpoint);
    endpoint_ = socket_.get(zmq::sockopt::last_endpoint);
  } catch (const zmq::error_t& e) {
    return Unavailable("cannot bind learner.weights_bind = " + endpoint + ": " + e.what());
  }
  return Status::Ok();
}

void WeightPublisher::Publish(const protocol::Weights& weights) {
  frame_ = protocol::Encode(weights);
  version_ = weights.version;
  last_sent_ = {};
  RepublishIfDue();
}

void WeightPublisher::RepublishIfDue() {
  const auto now = std::chrono::steady_clock::now();
  if (frame_.empty() || now - last_sent_ < republish_interval_) return;
  try {
    (void)socket_.send(zmq::buffer(frame_), zmq::send_flags::dontwait);
  } catch (const zmq::error_t&) {
    // PUB never blocks; an error here means the context is closing.
  }
  last_sent_ = now;
}

}  // namespace ddpg
