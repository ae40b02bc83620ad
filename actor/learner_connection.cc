#include "actor/learner_connection.h"

#include <spdlog/spdlog.h>

#include "common/transport.h"

namespace ddpg {

LearnerConnection::LearnerConnection(zmq::context_t& context, const std::string& weights_address,
                                     const std::string& reports_address,
                                     std::chrono::milliseconds retry_after_failed_handshake,
                                     std::optional<CurveClientKeys> curve)
    : context_(context),
      retry_after_failed_handshake_(retry_after_failed_handshake),
      curve_(std::move(curve)),
      weights_{.type = zmq::socket_type::sub, .address = weights_address},
      reports_{.type = zmq::socket_type::push, .address = reports_address} {
  Open(weights_);
  Open(reports_);
}

void LearnerConnection::Open(Channel& channel) {
  channel.socket.reset();
  channel.monitor.reset();
  channel.socket = std::make_unique<zmq::socket_t>(context_, channel.type);
  ConfigureSocket(*channel.socket);
  if (channel.type == zmq::socket_type::sub) {
    channel.socket->set(zmq::sockopt::conflate, 1);  // only the newest weights matter
    channel.socket->set(zmq::sockopt::subscribe, "");
  } else {
    channel.socket->set(zmq::sockopt::sndhwm, 1000);
  }
  SecureClientSocket(*channel.socket, curve_);
  channel.monitor = std::make_unique<HandshakeMonitor>(context_, *channel.socket, channel.address);
  channel.reopen_at.reset();
  channel.socket->connect(channel.address);
}

void LearnerConnection::RetryFailedHandshake(Channel& channel) {
  channel.monitor->Poll();
  if (!channel.reopen_at && channel.monitor->failed() > 0) {
    channel.reopen_at = Clock::now() + retry_after_failed_handshake_;
  }
  if (channel.reopen_at && Clock::now() >= *channel.reopen_at) Open(channel);
}

void LearnerConnection::UpdatePolicy(Policy& policy, long timeout_ms) {
  RetryFailedHandshake(weights_);
  RetryFailedHandshake(reports_);
  std::vector<zmq::pollitem_t> items = {{weights_.socket->handle(), 0, ZMQ_POLLIN, 0}};
  if (timeout_ms > 0 && Poll(items, timeout_ms) == 0) return;
  while (std::optional<protocol::Weights> weights =
             ReceiveOf<protocol::Weights>(*weights_.socket, weights_log_, "weights channel")) {
    const bool first = !policy.has_weights();
    if (Status status = policy.SetWeights(*weights); !status.ok()) {
      weights_log_.Warn("ignoring weights v" + std::to_string(weights->version) + ": " + status.message());
      continue;
    }
    if (first) spdlog::info("received the first weights: policy v{}", weights->version);
  }
}

void LearnerConnection::Report(const protocol::EpisodeReport& report) { (void)SendMessage(*reports_.socket, report); }

}  // namespace ddpg
