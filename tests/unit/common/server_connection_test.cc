// Tests of the client side of a DEALER/ROUTER channel (common/server_connection.h), against a ROUTER
// socket played by the test.
#include "common/server_connection.h"

#include <chrono>
#include <thread>

#include <catch2/catch.hpp>

#include "common/transport.h"

namespace ddpg {
namespace {

using namespace std::chrono_literals;

// Plays the server: a ROUTER that answers as the test tells it.
class FakeServer {
 public:
  explicit FakeServer(zmq::context_t& context) : socket_(context, zmq::socket_type::router) {
    ConfigureSocket(socket_);
    socket_.bind("tcp://127.0.0.1:*");
  }
  std::string endpoint() const { return socket_.get(zmq::sockopt::last_endpoint); }

  // The next message (waits up to 2 s).
  Received Next() {
    std::vector<zmq::pollitem_t> items = {{socket_.handle(), 0, ZMQ_POLLIN, 0}};
    REQUIRE(Poll(items, 2000) > 0);
    std::optional<Received> received = ReceiveMessage(socket_, /*routed=*/true);
    REQUIRE(received.has_value());
    REQUIRE(received->message.ok());
    return std::move(*received);
  }
  void Send(const std::string& routing_id, const protocol::Message& message) {
    REQUIRE(SendRouted(socket_, routing_id, message));
  }

 private:
  zmq::socket_t socket_;
};

TEST_CASE("a client notices another server instance on the same connection and asks for a resend",
          "[server_connection]") {
  zmq::context_t context;
  FakeServer server(context);
  ServerConnection connection(context, server.endpoint(), "learner", /*heartbeat_interval_ms=*/20, 60000);
  auto maintain_after_receiving = [&] {
    (void)connection.Receive(100);
    return connection.Maintain();
  };

  std::this_thread::sleep_for(30ms);
  REQUIRE_FALSE(connection.Maintain());  // sends the first heartbeat
  const std::string client = server.Next().routing_id;
  server.Send(client, protocol::Heartbeat{"replay_server", 0x1111});
  CHECK_FALSE(maintain_after_receiving());
  server.Send(client, protocol::InsertAck{.server_instance = 0x1111});
  CHECK_FALSE(maintain_after_receiving());

  // No TCP event: only the instance id tells that whatever the old instance held is gone.
  server.Send(client, protocol::InsertAck{.server_instance = 0x2222});
  CHECK(maintain_after_receiving());
  CHECK(connection.reconnects() == 1);
  server.Send(client, protocol::Heartbeat{"replay_server", 0x2222});
  CHECK_FALSE(maintain_after_receiving());
}

TEST_CASE("a client's heartbeats carry its instance id", "[server_connection]") {
  zmq::context_t context;
  FakeServer server(context);
  ServerConnection connection(context, server.endpoint(), "actor-3", /*heartbeat_interval_ms=*/10, 60000);
  std::this_thread::sleep_for(20ms);
  REQUIRE_FALSE(connection.Maintain());
  const Received received = server.Next();
  const auto& heartbeat = std::get<protocol::Heartbeat>(*received.message);
  CHECK(heartbeat.sender == "actor-3");
  CHECK(heartbeat.instance != 0);
}

}  // namespace
}  // namespace ddpg
