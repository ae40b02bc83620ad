#include "common/handshake_monitor.h"

#include <atomic>
#include <cstring>

#include <spdlog/spdlog.h>

namespace ddpg {

HandshakeMonitor::HandshakeMonitor(zmq::context_t& context, zmq::socket_t& socket, std::string endpoint)
    : endpoint_(std::move(endpoint)) {
  static std::atomic<uint64_t> monitors{0};
  const std::string monitor_endpoint = "inproc://handshake-monitor-" + std::to_string(monitors++);
  constexpr int kEvents = ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
                          ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH;
  if (zmq_socket_monitor(socket.handle(), monitor_endpoint.c_str(), kEvents) != 0) throw zmq::error_t();
  pair_ = std::make_unique<zmq::socket_t>(context, zmq::socket_type::pair);
  pair_->set(zmq::sockopt::linger, 0);
  pair_->connect(monitor_endpoint);
}

void HandshakeMonitor::Poll() {
  zmq::message_t event;
  // An event is two frames: [u16 event, u32 value] and the peer's address.
  while (pair_->recv(event, zmq::recv_flags::dontwait)) {
    uint16_t id = 0;
    uint32_t value = 0;
    if (event.size() >= sizeof id + sizeof value) {
      std::memcpy(&id, event.data(), sizeof id);
      std::memcpy(&value, static_cast<const char*>(event.data()) + sizeof id, sizeof value);
    }
    while (event.more() && pair_->recv(event, zmq::recv_flags::dontwait)) {
    }
    if (id == 0) continue;
    if (id == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
      ++succeeded_;
      continue;
    }
    ++failed_;
    if (id == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
      failure_log_.Warn(endpoint_ + " refused this client (ZAP status " + std::to_string(value) +
                        "): the servers' run.allowed_clients_file must list the public key of "
                        "run.client_secret_key_file");
    } else if (id == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL && value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH) {
      failure_log_.Warn("the handshake with " + endpoint_ + " failed: the server uses another run.security");
    } else {
      // A server that drops the connection mid-handshake shows as this too (EPIPE), whatever its reason.
      failure_log_.Warn(
          fmt::format("the handshake with {} failed (ZeroMQ event {:#x}, value {:#x}): do both ends "
                      "use the same run.security, and with curve, is run.server_public_key_file "
                      "the server's?",
                      endpoint_, id, value));
    }
  }
}

}  // namespace ddpg
