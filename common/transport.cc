#include "common/transport.h"

#include <csignal>

namespace ddpg {
namespace {
std::atomic<bool> g_shutdown{false};
extern "C" void OnShutdownSignal(int) { g_shutdown.store(true); }
}  // namespace

void ConfigureSocket(zmq::socket_t& socket) {
  socket.set(zmq::sockopt::linger, 0);
  socket.set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(protocol::kMaxMessageBytes));
}

bool SendMessage(zmq::socket_t& socket, const protocol::Message& message, bool dont_wait) {
  const std::string frame = protocol::Encode(message);
  try {
    auto sent = socket.send(zmq::buffer(frame), dont_wait ? zmq::send_flags::dontwait : zmq::send_flags::none);
    return sent.has_value();
  } catch (const zmq::error_t&) {
    return false;
  }
}

bool SendRouted(zmq::socket_t& socket, const std::string& routing_id, const protocol::Message& message) {
  const std::string frame = protocol::Encode(message);
  try {
    if (!socket.send(zmq::buffer(routing_id), zmq::send_flags::sndmore | zmq::send_flags::dontwait)) return false;
    return socket.send(zmq::buffer(frame), zmq::send_flags::dontwait).has_value();
  } catch (const zmq::error_t&) {
    return false;  // e.g. EHOSTUNREACH: the peer left
  }
}

std::optional<Received> ReceiveMessage(zmq::socket_t& socket, bool routed) {
  std::vector<zmq::message_t> parts;
  try {
    zmq::message_t part;
    if (!socket.recv(part, zmq::recv_flags::dontwait)) return std::nullopt;
    parts.push_back(std::move(part));
    while (parts.back().more()) {
      zmq::message_t next;
      (void)socket.recv(next, zmq::recv_flags::none);  // the rest of a multipart message is already here
      parts.push_back(std::move(next));
    }
  } catch (const zmq::error_t&) {
    return std::nullopt;
  }
  Received received;
  const size_t expected = routed ? 2 : 1;
  if (routed) received.routing_id = parts.front().to_string();
  if (parts.size() != expected) {
    received.message = InvalidArgument("expected " + std::to_string(expected - (routed ? 1 : 0)) +
                                       " frame(s) per message, got " + std::to_string(parts.size() - (routed ? 1 : 0)));
    return received;
  }
  const zmq::message_t& frame = parts.back();
  received.bytes = frame.size();
  received.message = protocol::Decode(frame.data(), frame.size());
  return received;
}

int Poll(std::vector<zmq::pollitem_t>& items, long timeout_ms) {
  try {
    return zmq::poll(items.data(), items.size(), std::chrono::milliseconds(timeout_ms));
  } catch (const zmq::error_t& e) {
    if (e.num() == EINTR) return 0;
    throw;
  }
}

void InstallShutdownHandlers() {
  struct sigaction action {};
  action.sa_handler = OnShutdownSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

bool ShutdownRequested() { return g_shutdown.load(); }
void RequestShutdown() { g_shutdown.store(true); }

}  // namespace ddpg
