// The transport layer: ZeroMQ helpers shared by every socket owner (socket options, sending and receiving
// protocol messages, one typed receive, polling that survives signals) and the process-wide shutdown flag.
//
// Sockets are never shared between threads; these functions only touch the socket passed in, from the
// calling thread. Receive functions are non-blocking (ZMQ_DONTWAIT) unless stated.
#pragma once

#include <atomic>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <zmq.hpp>

#include "common/protocol.h"
#include "common/rate_limited_log.h"

namespace ddpg {

// Linger 0 (a closing socket never blocks exit), ZMQ_MAXMSGSIZE = the protocol's frame cap.
void ConfigureSocket(zmq::socket_t& socket);

// Sends one frame (DEALER/PUB/PUSH). Returns false if it would block or the socket rejects it.
bool SendMessage(zmq::socket_t& socket, const protocol::Message& message, bool dont_wait = true);
// Sends [routing_id][frame] on a ROUTER socket.
bool SendRouted(zmq::socket_t& socket, const std::string& routing_id, const protocol::Message& message);

// One received frame: the routing id (ROUTER sockets only) and the decoded message or why it was rejected.
struct Received {
  std::string routing_id;
  StatusOr<protocol::Message> message = Internal("empty");
  size_t bytes = 0;
};
// Receives one message if one is waiting. For ROUTER sockets pass routed = true. Extra frames beyond
// the expected ones are drained and reported as malformed.
std::optional<Received> ReceiveMessage(zmq::socket_t& socket, bool routed);

// The next waiting message of type T on a socket without routing ids (SUB, PULL). Frames that do not
// decode, or hold another message type, are skipped and logged through `log` (rate-limited), naming
// `channel`. nullopt when no message of type T is waiting.
template <class T>
std::optional<T> ReceiveOf(zmq::socket_t& socket, RateLimitedLog& log, std::string_view channel) {
  while (std::optional<Received> received = ReceiveMessage(socket, /*routed=*/false)) {
    if (!received->message.ok()) {
      log.Warn("rejected a frame on the " + std::string(channel) + ": " + received->message.status().message());
      continue;
    }
    if (T* message = std::get_if<T>(&*received->message)) return std::move(*message);
    log.Warn("ignored a " + std::string(protocol::TypeName(protocol::TypeOf(*received->message))) + " on the " +
             std::string(channel) + ", which carries only " +
             std::string(protocol::TypeName(protocol::TypeOf(protocol::Message{T{}}))));
  }
  return std::nullopt;
}

// zmq::poll that returns 0 instead of throwing when a signal interrupts it.
int Poll(std::vector<zmq::pollitem_t>& items, long timeout_ms);

// SIGINT and SIGTERM set the flag; the service loops check it and shut down cleanly.
void InstallShutdownHandlers();
bool ShutdownRequested();
void RequestShutdown();

}  // namespace ddpg
