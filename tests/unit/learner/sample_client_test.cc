// Tests of the learner's sample channel (learner/sample_client.h) against a real replay server.
#include "learner/sample_client.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include <catch2/catch.hpp>

#include "../running_replay_service.h"
#include "common/transport.h"

namespace ddpg {
namespace {

using namespace std::chrono_literals;

// Pendulum-v1; the rate limiter never holds anything back once 10 transitions are in.
Config LooseConfig() {
  Config config;
  config.env.id = "Pendulum-v1";
  config.replay.bind = "tcp://127.0.0.1:*";
  config.replay.capacity = 1000;
  config.replay.min_size_to_sample = 10;
  config.replay.samples_per_insert = 1.0;
  config.replay.rate_error_buffer = 1e9;
  config.learner.batch_size = 4;
  config.actor.chunk_size = 10;
  config.actor.num_envs = 1;
  config.run.report_interval_s = 3600.0;
  return config;
}

protocol::InsertChunk TenTransitions() {
  protocol::InsertChunk chunk;
  chunk.actor_id = 1;
  chunk.incarnation = 1;
  chunk.transitions = testing::ConstantTransitions(3, 10);
  return chunk;
}

// Asks the server for its stats until `count` sample requests wait there (up to 2 s).
bool WaitForPendingSamples(zmq::socket_t& socket, uint32_t count) {
  const auto deadline = std::chrono::steady_clock::now() + 2s;
  while (std::chrono::steady_clock::now() < deadline) {
    REQUIRE(SendMessage(socket, protocol::StatsRequest{}, /*dont_wait=*/false));
    std::vector<zmq::pollitem_t> items = {{socket.handle(), 0, ZMQ_POLLIN, 0}};
    if (Poll(items, 500) == 0) continue;
    std::optional<Received> received = ReceiveMessage(socket, /*routed=*/false);
    if (!received || !received->message.ok()) continue;
    if (const auto* stats = std::get_if<protocol::StatsReply>(&*received->message)) {
      if (stats->pending_samples == count) return true;
    }
  }
  return false;
}

TEST_CASE("sample requests refused as overloaded give their slots back and are issued again later", "[sample_client]") {
  testing::RunningService service(LooseConfig());
  zmq::context_t context;
  // Another client fills the server's queue of waiting sample requests: nothing is stored yet.
  zmq::socket_t flood(context, zmq::socket_type::dealer);
  ConfigureSocket(flood);
  flood.connect(service.endpoint());
  for (uint64_t id = 0; id < ReplayService::kMaxPendingSamples; ++id) {
    REQUIRE(SendMessage(flood, protocol::SampleRequest{id, 4, 9}, /*dont_wait=*/false));
  }
  zmq::socket_t observer(context, zmq::socket_type::dealer);
  ConfigureSocket(observer);
  observer.connect(service.endpoint());
  REQUIRE(WaitForPendingSamples(observer, ReplayService::kMaxPendingSamples));

  SampleClient client(context, service.endpoint(), 4, /*requests_in_flight=*/4, /*run_id=*/7, 100, 5000);
  // Every one of its requests is refused; with each refusal one slot must come back.
  const auto refused_by = std::chrono::steady_clock::now() + 3s;
  do {
    REQUIRE_FALSE(client.Next(50));  // the first call issues the requests
  } while (client.outstanding() > 0 && std::chrono::steady_clock::now() < refused_by);
  REQUIRE(client.outstanding() == 0);

  // Data arrives and the flood is served; the client, issuing again, gets batches of its own.
  REQUIRE(SendMessage(flood, TenTransitions(), /*dont_wait=*/false));
  std::optional<protocol::SampleReply> reply;
  const auto served_by = std::chrono::steady_clock::now() + 5s;
  while (!reply && std::chrono::steady_clock::now() < served_by) reply = client.Next(50);
  REQUIRE(reply.has_value());
  CHECK(reply->transitions.size() == 4);
  CHECK(reply->run_inserted == 0);  // run 7 samples after run 9 did: the ten transitions were run 9's
}

TEST_CASE("a learner silent for longer than the heartbeat timeout gets its dropped requests back and resumes",
          "[sample_client]") {
  Config config = LooseConfig();
  config.run.heartbeat_interval_ms = 10;
  config.run.heartbeat_timeout_ms = 300;
  testing::RunningService service(config);
  zmq::context_t context;
  SampleClient client(context, service.endpoint(), 4, /*requests_in_flight=*/4, /*run_id=*/7, 10, 5000);
  REQUIRE_FALSE(client.Next(10));  // issues 4 requests, which wait: nothing is stored yet
  REQUIRE(client.outstanding() == 4);
  std::this_thread::sleep_for(500ms);  // busy, e.g. writing a large checkpoint: no heartbeats

  zmq::socket_t actor(context, zmq::socket_type::dealer);
  ConfigureSocket(actor);
  actor.connect(service.endpoint());
  REQUIRE(SendMessage(actor, TenTransitions(), /*dont_wait=*/false));
  std::optional<protocol::SampleReply> reply;
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!reply && std::chrono::steady_clock::now() < deadline) reply = client.Next(50);
  REQUIRE(reply.has_value());
  CHECK(reply->transitions.size() == 4);
}

// The update goes out on the client's own socket, between its requests: slot 3 alone keeps a priority, and
// the batches that follow come almost only from it. A uniform server's batches carry no generations, and
// the client has nothing to send for them.
TEST_CASE("priority updates sent by the sample client steer a prioritized server's sampling", "[sample_client]") {
  Config config = LooseConfig();
  config.replay.sampler = ReplaySampler::kPrioritized;
  config.replay.priority_alpha = 1.0;
  testing::RunningService service(config);
  zmq::context_t context;
  zmq::socket_t actor(context, zmq::socket_type::dealer);
  ConfigureSocket(actor);
  actor.connect(service.endpoint());
  REQUIRE(SendMessage(actor, TenTransitions(), /*dont_wait=*/false));

  SampleClient client(context, service.endpoint(), 4, /*requests_in_flight=*/2, /*run_id=*/7, 100, 5000);
  auto next = [&] {
    std::optional<protocol::SampleReply> reply;
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!reply && std::chrono::steady_clock::now() < deadline) reply = client.Next(50);
    REQUIRE(reply.has_value());
    return *reply;
  };
  const protocol::SampleReply first = next();
  REQUIRE(first.generations.size() == 4);
  protocol::PriorityUpdate update{first.server_instance, {}, {}, {}};
  for (uint64_t slot = 0; slot < 10; ++slot) {
    update.indices.push_back(slot);
    update.generations.push_back(1);
    update.priorities.push_back(slot == 3 ? 5.0f : 0.0f);
  }
  REQUIRE(client.SendPriorities(update));
  // The request in flight when the update was sent may have been served before it.
  next();
  next();
  size_t from_slot_3 = 0;
  for (int batch = 0; batch < 10; ++batch) {
    const protocol::SampleReply reply = next();
    from_slot_3 += std::count(reply.indices.begin(), reply.indices.end(), 3u);
  }
  CHECK(from_slot_3 >= 39);  // of 40; each other slot holds 1e-6 / 5 of slot 3's mass
}

}  // namespace
}  // namespace ddpg
