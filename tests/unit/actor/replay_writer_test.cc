// Tests of the actor's chunk stream (actor/replay_writer.h) against a real replay server: credit always
// comes back.
#include "actor/replay_writer.h"

#include <chrono>

#include <catch2/catch.hpp>

#include "../running_replay_service.h"
#include "common/transport.h"

namespace ddpg {
namespace {

using namespace std::chrono_literals;

// Pendulum-v1, and a rate limiter that lets inserts in freely (nobody samples in these tests).
Config InsertOnlyConfig() {
  Config config;
  config.env.id = "Pendulum-v1";
  config.replay.bind = "tcp://127.0.0.1:*";
  config.replay.capacity = 10000;
  config.replay.min_size_to_sample = 5000;
  config.replay.samples_per_insert = 1.0;
  config.replay.rate_error_buffer = 100.0;
  config.learner.batch_size = 4;
  config.actor.chunk_size = 1;
  config.actor.num_envs = 1;
  config.run.report_interval_s = 3600.0;
  return config;
}

void ServiceUntilDrained(ReplayWriter& writer, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (writer.in_flight() > 0 && std::chrono::steady_clock::now() < deadline) writer.Service(50);
}

TEST_CASE("a chunk the server refuses gives its credit back and is counted as refused", "[replay_writer]") {
  testing::RunningService service(InsertOnlyConfig());
  zmq::context_t context;
  ReplayWriter writer(context, service.endpoint(), 1, /*max_in_flight=*/1, 100, 5000);
  writer.Send(testing::ConstantTransitions(/*obs_dim=*/4, 5));  // Pendulum observations have 3 values
  REQUIRE_FALSE(writer.HasCredit());
  ServiceUntilDrained(writer, 3s);
  CHECK(writer.in_flight() == 0);
  CHECK(writer.HasCredit());
  CHECK(writer.refused_transitions() == 5);
  CHECK(writer.acked_transitions() == 0);
}

TEST_CASE("every chunk sent before the server is up is delivered, more than ZeroMQ's default queue of 1000",
          "[replay_writer]") {
  const int port = testing::FreeLoopbackPort();
  const std::string endpoint = "tcp://127.0.0.1:" + std::to_string(port);
  constexpr int kChunks = 1024;  // the largest actor.max_chunks_in_flight
  zmq::context_t context;
  ReplayWriter writer(context, endpoint, 1, kChunks, 100, 60000);
  for (int i = 0; i < kChunks; ++i) {
    REQUIRE(writer.HasCredit());
    writer.Send(testing::ConstantTransitions(3, 1));
  }
  Config config = InsertOnlyConfig();
  config.replay.bind = endpoint;
  testing::RunningService service(config);
  ServiceUntilDrained(writer, 20s);
  CHECK(writer.in_flight() == 0);
  CHECK(writer.acked_transitions() == kChunks);
}

TEST_CASE("a chunk refused as overloaded is sent again 100 ms later, not at once", "[replay_writer]") {
  // A bare ROUTER in place of the server: it refuses the first copy of the chunk as overloaded (as a replay
  // server that cannot write its log does) and acknowledges the next one.
  zmq::context_t context;
  zmq::socket_t server(context, zmq::socket_type::router);
  ConfigureSocket(server);
  server.bind("tcp://127.0.0.1:*");
  const std::string endpoint = server.get(zmq::sockopt::last_endpoint);
  ReplayWriter writer(context, endpoint, 1, /*max_in_flight=*/1, 1000, 60000);
  writer.Send(testing::ConstantTransitions(3, 2));

  std::vector<std::chrono::steady_clock::time_point> copies;
  std::chrono::steady_clock::time_point refused_at;
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (writer.in_flight() > 0 && std::chrono::steady_clock::now() < deadline) {
    writer.Service(10);
    while (std::optional<Received> received = ReceiveMessage(server, /*routed=*/true)) {
      REQUIRE(received->message.ok());
      const auto* chunk = std::get_if<protocol::InsertChunk>(&*received->message);
      if (chunk == nullptr) continue;  // a heartbeat
      copies.push_back(std::chrono::steady_clock::now());
      if (copies.size() == 1) {
        refused_at = std::chrono::steady_clock::now();
        SendRouted(server, received->routing_id,
                   protocol::Error{.code = protocol::ErrorCode::kOverloaded,
                                   .message = "the replay server cannot write its log",
                                   .request_type = protocol::MessageType::kInsertChunk,
                                   .request_id = chunk->sequence});
      } else {
        SendRouted(server, received->routing_id, protocol::InsertAck{1, chunk->sequence, false, 2, 7});
      }
    }
  }
  CHECK(writer.in_flight() == 0);
  CHECK(writer.acked_transitions() == 2);
  CHECK(writer.refused_transitions() == 0);
  REQUIRE(copies.size() == 2);
  CHECK(copies[1] - refused_at >= 95ms);
}

}  // namespace
}  // namespace ddpg
