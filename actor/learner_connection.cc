#include "actor/learner_connection.h"

#include <spdlog/spdlog.h>

#include "common/transport.h"

namespace ddpg {

LearnerConnection::LearnerConnection(zmq::context_t& context, const std::string& weights_address,
                                     const std::string& reports_address, const std::optional<CurveClientKeys>& curve)
    : weights_socket_(context, zmq::socket_type::sub), reports_socket_(context, zmq::socket_type::push) {
  ConfigureSocket(weights_socket_);
  SecureClientSocket(weights_socket_, curve);
  weights_socket_.set(zmq::sockopt::conflate, 1);  // only the newest weights matter
  weights_socket_.set(zmq::sockopt::subscribe, "");
  weights_socket_.connect(weights_address);
  ConfigureSocket(reports_socket_);
  SecureClientSocket(reports_socket_, curve);
  reports_socket_.set(zmq::sockopt::sndhwm, 1000);
  reports_socket_.connect(reports_address);
}

void LearnerConnection::UpdatePolicy(Policy& policy, long timeout_ms) {
  std::vector<zmq::pollitem_t> items = {{weights_socket_.handle(), 0, ZMQ_POLLIN, 0}};
  if (timeout_ms > 0 && Poll(items, timeout_ms) == 0) return;
  while (std::optional<protocol::Weights> weights =
             ReceiveOf<protocol::Weights>(weights_socket_, weights_log_, "weights channel")) {
    const bool first = !policy.has_weights();
    if (Status status = policy.SetWeights(*weights); !status.ok()) {
      weights_log_.Warn("ignoring weights v" + std::to_string(weights->version) + ": " + status.message());
      continue;
    }
    if (first) spdlog::info("received the first weights: policy v{}", weights->version);
  }
}

void LearnerConnection::Report(const protocol::EpisodeReport& report) { (void)SendMessage(reports_socket_, report); }

}  // namespace ddpg
