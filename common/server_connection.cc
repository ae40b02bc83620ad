#include "common/server_connection.h"

#include <spdlog/spdlog.h>

#include "common/transport.h"

namespace ddpg {

ServerConnection::ServerConnection(zmq::context_t& context, std::string endpoint, std::string sender_name,
                                   int heartbeat_interval_ms, int heartbeat_timeout_ms, int send_queue_limit,
                                   std::optional<CurveClientKeys> curve)
    : context_(context),
      endpoint_(std::move(endpoint)),
      sender_name_(std::move(sender_name)),
      heartbeat_interval_(heartbeat_interval_ms),
      heartbeat_timeout_(heartbeat_timeout_ms),
      send_queue_limit_(send_queue_limit),
      curve_(std::move(curve)),
      instance_(protocol::NewInstanceId()) {
  Open();
}

void ServerConnection::Open() {
  socket_.reset();
  monitor_.reset();
  socket_ = std::make_unique<zmq::socket_t>(context_, zmq::socket_type::dealer);
  ConfigureSocket(*socket_);
  socket_->set(zmq::sockopt::sndhwm, send_queue_limit_);
  SecureClientSocket(*socket_, curve_);
  monitor_ = std::make_unique<HandshakeMonitor>(context_, *socket_, endpoint_);
  connections_ = 0;
  socket_->connect(endpoint_);
  last_sent_ = Clock::now();
  last_received_ = Clock::now();
}

bool ServerConnection::Reconnected() {
  const uint64_t before = connections_;
  monitor_->Poll();
  // A connection counts once its handshake succeeded: ZeroMQ retries one that the server dropped in the
  // handshake (this client holds the wrong server key, say) every 100 ms, and it never carried, nor lost,
  // anything.
  connections_ = monitor_->succeeded();
  return connections_ > before && connections_ > 1;
}

void ServerConnection::ObserveServerInstance(const protocol::Message& message) {
  const uint64_t instance = std::visit(
      [](const auto& m) -> uint64_t {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, protocol::Heartbeat>) {
          return m.instance;
        } else if constexpr (requires { m.server_instance; }) {
          return m.server_instance;
        } else {
          return 0;
        }
      },
      message);
  if (instance == 0) return;
  if (server_instance_ != 0 && instance != server_instance_) server_replaced_ = true;
  server_instance_ = instance;
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
      ObserveServerInstance(*received->message);
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
  if (Reconnected()) {
    spdlog::warn("the connection to {} was replaced; sending again what was outstanding", endpoint_);
    ++reconnects_;
    // The resend covers whatever instance answers on the new connection: it must not cause a second one.
    server_replaced_ = false;
    server_instance_ = 0;
    last_received_ = now;
    return true;
  }
  if (server_replaced_) {
    spdlog::warn("another replay server instance answers at {}; sending again what was outstanding", endpoint_);
    ++reconnects_;
    server_replaced_ = false;
    return true;
  }
  if (now - last_received_ > heartbeat_timeout_) {
    spdlog::warn("no reply from {} for {:.1f} s; reconnecting", endpoint_,
                 std::chrono::duration<double>(now - last_received_).count());
    ++reconnects_;
    Open();
    return true;
  }
  if (now - last_sent_ >= heartbeat_interval_) (void)Send(protocol::Heartbeat{sender_name_, instance_});
  return false;
}

}  // namespace ddpg
