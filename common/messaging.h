// Small ZeroMQ helpers shared by every socket owner: socket options, sending and receiving protocol
// messages, polling that survives signals, and the process-wide shutdown flag.
//
// Sockets are never shared between threads; these functions only touch the socket passed in, from the
// calling thread. Receive functions are non-blocking (ZMQ_DONTWAIT) unless stated.
#pragma once

#include <atomic>
#include <optional>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "common/protocol.h"

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

// zmq::poll that returns 0 instead of throwing when a signal interrupts it.
int Poll(std::vector<zmq::pollitem_t>& items, long timeout_ms);

// SIGINT and SIGTERM set the flag; the service loops check it and shut down cleanly.
void InstallShutdownHandlers();
bool ShutdownRequested();
void RequestShutdown();

}  // namespace ddpg
