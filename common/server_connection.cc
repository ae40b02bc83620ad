#include "common/server_connection.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <cstring>

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
  static std::atomic<uint64_t> monitors{0};
  socket_.reset();
  monitor_.reset();
  socket_ = std::make_unique<zmq::socket_t>(context_, zmq::socket_type::dealer);
  ConfigureSocket(*socket_);
  socket_->set(zmq::sockopt::sndhwm, send_queue_limit_);
  SecureClientSocket(*socket_, curve_);
  const std::string monitor_endpoint = "inproc://server-connection-monitor-" + std::to_string(monitors++);
  // A connection counts once its handshake succeeded: a server that refuses this client makes ZeroMQ
  // reconnect every 100 ms, and those connections never carried (nor lost) anything.
  constexpr int kEvents = ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
                          ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH;
  if (zmq_socket_monitor(socket_->handle(), monitor_endpoint.c_str(), kEvents) != 0) {
    throw zmq::error_t();
  }
  monitor_ = std::make_unique<zmq::socket_t>(context_, zmq::socket_type::pair);
  monitor_->set(zmq::sockopt::linger, 0);
  monitor_->connect(monitor_endpoint);
  connections_ = 0;
  socket_->connect(endpoint_);
  last_sent_ = Clock::now();
  last_received_ = Clock::now();
}

bool ServerConnection::Reconnected() {
  const uint64_t before = connections_;
  zmq::message_t event;
  // An event is two frames: [u16 event, u32 value] and the peer's address.
  while (monitor_->recv(event, zmq::recv_flags::dontwait)) {
    uint16_t id = 0;
    uint32_t value = 0;
    if (event.size() >= sizeof id + sizeof value) {
      std::memcpy(&id, event.data(), sizeof id);
      std::memcpy(&value, static_cast<const char*>(event.data()) + sizeof id, sizeof value);
    }
    while (event.more() && monitor_->recv(event, zmq::recv_flags::dontwait)) {
    }
    if (id == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
      ++connections_;
    } else if (id == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
      handshake_log_.Warn(endpoint_ + " refused this client (ZAP status " + std::to_string(value) +
                          "): the servers' run.allowed_clients_file must list the public key of " +
                          "run.client_secret_key_file");
    } else if (id == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL && value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH) {
      handshake_log_.Warn("the handshake with " + endpoint_ + " failed: the server uses another run.security");
    } else if (id != 0) {
      // A server that closes the connection mid-handshake shows as this too (EPIPE), whatever its reason.
      handshake_log_.Warn(
          fmt::format("the handshake with {} failed (ZeroMQ event {:#x}, value {:#x}): do both "
                      "ends use the same run.security, and with curve, is "
                      "run.server_public_key_file the server's?",
                      endpoint_, id, value));
    }
  }
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
