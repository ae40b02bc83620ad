#include "common/server_connection.h"

#include <spdlog/spdlog.h>

#include "common/transport.h"

namespace ddpg {

ServerConnection::ServerConnection(zmq::context_t& context, std::string endpoint, std::string sender_name,
                                   int heartbeat_interval_ms, int heartbeat_timeout_ms)
    : context_(context),
      endpoint_(std::move(endpoint)),
      sender_name_(std::move(sender_name)),
      heartbeat_interval_(heartbeat_interval_ms),
      heartbeat_timeout_(heartbeat_timeout_ms) {
  Open();
}

void ServerConnection::Open() {
  socket_ = std::make_unique<zmq::socket_t>(context_, zmq::socket_type::dealer);
  ConfigureSocket(*socket_);
  socket_->connect(endpoint_);
  last_sent_ = Clock::now();
  last_received_ = Clock::now();
}

bool ServerConnection::Send(const protocol::Message& message) {
  if (!SendMessage(*socket_, message)) return false;
  last_sent_ = Clock::now();
  return true;
}

std::optional<protocol::Message> ServerConnection::Receive(long timeout_ms) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    std::optional<Received> received = ReceiveMessage(*socket_, /*routed=*/false);
    if (received) {
      last_received_ = Clock::now();
      if (!received->message.ok()) {
        rejected_log_.Warn("rejected a frame from " + endpoint_ + ": " + received->message.status().message());
        continue;
      }
      if (std::holds_alternative<protocol::Heartbeat>(*received->message)) continue;
      return std::move(received->message).value();
    }
    const auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (remaining.count() <= 0) return std::nullopt;
    std::vector<zmq::pollitem_t> items = {{socket_->handle(), 0, ZMQ_POLLIN, 0}};
    if (Poll(items, remaining.count()) == 0 && Clock::now() >= deadline) return std::nullopt;
  }
}

bool ServerConnection::Maintain() {
  const auto now = Clock::now();
  if (now - last_received_ > heartbeat_timeout_) {
    spdlog::warn("no reply from {} for {:.1f} s; reconnecting", endpoint_,
                 std::chrono::duration<double>(now - last_received_).count());
    ++reconnects_;
    Open();
    return true;
  }
  if (now - last_sent_ >= heartbeat_interval_) Send(protocol::Heartbeat{sender_name_});
  return false;
}

}  // namespace ddpg
