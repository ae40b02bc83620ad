#include "replay_server/replay_service.h"

#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <thread>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "../running_replay_service.h"
#include "common/transport.h"
#include "temp_dir.h"
#include "transition_batches.h"

namespace ddpg {
namespace {

using namespace std::chrono_literals;
using protocol::ErrorCode;
using testing::RunningService;
using testing::TempDir;

constexpr auto kReplyTimeout = 2000ms;
// How long a test waits to conclude that no reply is coming.
constexpr auto kSilence = 300ms;
// Pendulum-v1.
constexpr uint32_t kObsDim = 3;
constexpr uint32_t kActDim = 1;
constexpr uint32_t kActor = 1;
constexpr uint64_t kIncarnation = 0x5eed;

// samples_per_insert 1, min_size_to_sample 10, error_buffer 6: min_diff 4, max_diff 16. The error buffer
// is the smallest ValidateConfig accepts for batches of 4 and chunks of 5 (+ 1 for one environment).
Config TestConfig() {
  Config config;
  config.env.id = "Pendulum-v1";
  config.replay.bind = "tcp://127.0.0.1:*";
  config.replay.capacity = 1000;
  config.replay.min_size_to_sample = 10;
  config.replay.samples_per_insert = 1.0;
  config.replay.rate_error_buffer = 6.0;
  config.learner.batch_size = 4;
  config.actor.chunk_size = 5;
  config.actor.num_envs = 1;
  config.run.report_interval_s = 3600.0;
  return config;
}

// A peer of the replay server: one DEALER socket, as actors and the learner use.
class Client {
 public:
  Client(zmq::context_t& context, const std::string& endpoint) : socket_(context, zmq::socket_type::dealer) {
    ConfigureSocket(socket_);
    socket_.connect(endpoint);
  }

  void Send(const protocol::Message& message) { REQUIRE(SendMessage(socket_, message, /*dont_wait=*/false)); }
  void SendFrames(const std::vector<std::string>& frames) {
    for (size_t i = 0; i < frames.size(); ++i) {
      const auto flags = i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none;
      REQUIRE(socket_.send(zmq::buffer(frames[i]), flags).has_value());
    }
  }

  std::optional<protocol::Message> Receive(std::chrono::milliseconds timeout) {
    std::vector<zmq::pollitem_t> items = {{socket_.handle(), 0, ZMQ_POLLIN, 0}};
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      Poll(items, std::max<long>(1, left.count()));
      if (std::optional<Received> received = ReceiveMessage(socket_, /*routed=*/false)) {
        INFO(received->message.status().message());
        REQUIRE(received->message.ok());
        return std::move(received->message).value();
      }
    }
    return std::nullopt;
  }

  // The next message, which must arrive within kReplyTimeout and be a T.
  template <class T>
  T Expect() {
    std::optional<protocol::Message> message = Receive(kReplyTimeout);
    REQUIRE(message.has_value());
    const auto* error = std::get_if<protocol::Error>(&*message);
    INFO("received " << protocol::TypeName(protocol::TypeOf(*message)) << (error ? ": " + error->message : ""));
    REQUIRE(std::holds_alternative<T>(*message));
    return std::get<T>(std::move(*message));
  }

  template <class T>
  T Request(const protocol::Message& message) {
    Send(message);
    return Expect<T>();
  }

  void ExpectSilence() {
    std::optional<protocol::Message> message = Receive(kSilence);
    INFO("received " << (message ? protocol::TypeName(protocol::TypeOf(*message)) : "nothing"));
    CHECK_FALSE(message.has_value());
  }

  protocol::StatsReply Stats() { return Request<protocol::StatsReply>(protocol::StatsRequest{}); }

 private:
  zmq::socket_t socket_;
};

// Chunk `sequence` of an actor process: transitions with ids first_id .. first_id + count - 1.
protocol::InsertChunk Chunk(uint32_t actor_id, uint64_t sequence, uint64_t first_id, size_t count,
                            uint64_t incarnation = kIncarnation) {
  protocol::InsertChunk chunk;
  chunk.actor_id = actor_id;
  chunk.incarnation = incarnation;
  chunk.sequence = sequence;
  chunk.transitions = testing::MakeBatch(kObsDim, kActDim, first_id, count);
  return chunk;
}

// The objects of a metrics file, one per line.
std::vector<nlohmann::json> ReadMetrics(const std::filesystem::path& file) {
  std::ifstream stream(file);
  std::vector<nlohmann::json> objects;
  for (std::string line; std::getline(stream, line);) objects.push_back(nlohmann::json::parse(line));
  return objects;
}

protocol::InsertAck Insert(Client& actor, const protocol::InsertChunk& chunk) {
  protocol::InsertAck ack = actor.Request<protocol::InsertAck>(chunk);
  CHECK(ack.actor_id == chunk.actor_id);
  CHECK(ack.sequence == chunk.sequence);
  return ack;
}

TEST_CASE("an InsertChunk is acknowledged once its transitions are stored", "[replay_service]") {
  RunningService service(TestConfig());
  zmq::context_t context;
  Client actor(context, service.endpoint());

  const protocol::InsertAck ack = Insert(actor, Chunk(kActor, 0, 0, 5));
  CHECK_FALSE(ack.duplicate);
  CHECK(ack.replay_size == 5);

  const protocol::StatsReply stats = actor.Stats();
  CHECK(stats.replay_size == 5);
  CHECK(stats.capacity == 1000);
  CHECK(stats.total_inserted == 5);
  CHECK(stats.total_sampled == 0);
  CHECK(stats.duplicates_dropped == 0);
  CHECK(stats.connected_actors == 1);
  CHECK(stats.pending_inserts == 0);
  CHECK(stats.pending_samples == 0);
}

TEST_CASE("a duplicate chunk is acknowledged but stored once", "[replay_service]") {
  RunningService service(TestConfig());
  zmq::context_t context;
  Client actor(context, service.endpoint());

  CHECK_FALSE(Insert(actor, Chunk(kActor, 0, 0, 5)).duplicate);
  const protocol::InsertAck again = Insert(actor, Chunk(kActor, 0, 0, 5));
  CHECK(again.duplicate);
  CHECK(again.replay_size == 5);
  // Same sequence number from another actor is another chunk.
  CHECK_FALSE(Insert(actor, Chunk(kActor + 1, 0, 5, 5)).duplicate);

  const protocol::StatsReply stats = actor.Stats();
  CHECK(stats.total_inserted == 10);
  CHECK(stats.replay_size == 10);
  CHECK(stats.duplicates_dropped == 1);
  CHECK(stats.connected_actors == 2);
}

TEST_CASE("a restarted actor's chunks are stored, not taken for its former self's", "[replay_service]") {
  RunningService service(TestConfig());
  zmq::context_t context;
  Client actor(context, service.endpoint());

  CHECK_FALSE(Insert(actor, Chunk(kActor, 0, 0, 5, kIncarnation)).duplicate);
  CHECK_FALSE(Insert(actor, Chunk(kActor, 0, 5, 5, kIncarnation + 1)).duplicate);
  CHECK(Insert(actor, Chunk(kActor, 0, 0, 5, kIncarnation)).duplicate);

  const protocol::StatsReply stats = actor.Stats();
  CHECK(stats.total_inserted == 10);
  CHECK(stats.duplicates_dropped == 1);
  CHECK(stats.connected_actors == 1);
}

TEST_CASE("a sample request waits while the rate limiter says no and is answered after enough inserts",
          "[replay_service]") {
  RunningService service(TestConfig());
  zmq::context_t context;
  Client actor(context, service.endpoint());
  Client learner(context, service.endpoint());

  Insert(actor, Chunk(kActor, 0, 0, 5));
  learner.Send(protocol::SampleRequest{77, 4});
  learner.ExpectSilence();  // 5 of min_size_to_sample 10 inserted
  CHECK(actor.Stats().pending_samples == 1);

  CHECK(Insert(actor, Chunk(kActor, 1, 5, 5)).replay_size == 10);
  const protocol::SampleReply reply = learner.Expect<protocol::SampleReply>();
  CHECK(reply.request_id == 77);
  CHECK(reply.replay_size == 10);
  CHECK(reply.total_inserted == 10);
  CHECK(reply.connected_actors == 1);
  REQUIRE(reply.transitions.size() == 4);
  REQUIRE(reply.indices.size() == 4);
  CHECK(reply.transitions.obs_dim == kObsDim);
  CHECK(reply.transitions.act_dim == kActDim);
  for (size_t row = 0; row < 4; ++row) {
    // Transition i went to slot i; the row must be that transition, whole.
    const uint64_t id = reply.transitions.policy_versions[row];
    CHECK(reply.indices[row] == id);
    CHECK(id < 10);
    CHECK(reply.transitions.rewards[row] == testing::RewardValue(id));
    CHECK(reply.transitions.observations[row * kObsDim + 2] == testing::ObservationValue(id, 2));
  }
  const protocol::StatsReply stats = actor.Stats();
  CHECK(stats.pending_samples == 0);
  CHECK(stats.total_sampled == 4);
}

// Brings the server to 15 inserted, 0 sampled (diff 15 of max_diff 16) and sends chunk 3, which would
// make it 20: the learner has fallen behind and the chunk is held back.
void FillUntilInsertsWait(Client& actor) {
  Insert(actor, Chunk(kActor, 0, 0, 5));
  Insert(actor, Chunk(kActor, 1, 5, 5));
  Insert(actor, Chunk(kActor, 2, 10, 5));
  actor.Send(Chunk(kActor, 3, 15, 5));
  actor.ExpectSilence();
}

TEST_CASE("an insert waits while the learner falls behind and is acknowledged once it samples", "[replay_service]") {
  RunningService service(TestConfig());
  zmq::context_t context;
  Client actor(context, service.endpoint());
  Client learner(context, service.endpoint());

  FillUntilInsertsWait(actor);
  protocol::StatsReply stats = learner.Stats();
  CHECK(stats.pending_inserts == 1);
  CHECK(stats.total_inserted == 15);

  // 15 - 4 = 11 >= min_diff; afterwards 20 - 4 = 16 <= max_diff lets the chunk in.
  CHECK(learner.Request<protocol::SampleReply>(protocol::SampleRequest{1, 4}).total_inserted == 15);
  const protocol::InsertAck ack = actor.Expect<protocol::InsertAck>();
  CHECK(ack.sequence == 3);
  CHECK_FALSE(ack.duplicate);
  CHECK(ack.replay_size == 20);

  stats = learner.Stats();
  CHECK(stats.pending_inserts == 0);
  CHECK(stats.total_inserted == 20);
  CHECK(stats.total_sampled == 4);
}

TEST_CASE("a chunk resent while it waits is stored once and acknowledged on the new connection", "[replay_service]") {
  RunningService service(TestConfig());
  zmq::context_t context;
  Client old_connection(context, service.endpoint());
  Client learner(context, service.endpoint());

  FillUntilInsertsWait(old_connection);
  Client new_connection(context, service.endpoint());
  new_connection.Send(Chunk(kActor, 3, 15, 5));
  new_connection.ExpectSilence();
  CHECK(learner.Stats().pending_inserts == 1);

  learner.Request<protocol::SampleReply>(protocol::SampleRequest{1, 4});
  const protocol::InsertAck ack = new_connection.Expect<protocol::InsertAck>();
  CHECK(ack.sequence == 3);
  CHECK_FALSE(ack.duplicate);
  old_connection.ExpectSilence();

  const protocol::StatsReply stats = learner.Stats();
  CHECK(stats.total_inserted == 20);
  CHECK(stats.pending_inserts == 0);
  CHECK(stats.duplicates_dropped == 1);
}

TEST_CASE("a chunk and a batch larger than configured cannot deadlock the rate limiter", "[replay_service]") {
  RunningService service(TestConfig());
  zmq::context_t context;
  Client actor(context, service.endpoint());
  Client learner(context, service.endpoint());

  Insert(actor, Chunk(kActor, 0, 0, 5));
  Insert(actor, Chunk(kActor, 1, 5, 5));
  Insert(actor, Chunk(kActor, 2, 10, 5));
  learner.Request<protocol::SampleReply>(protocol::SampleRequest{1, 4});  // diff 15 - 4 = 11
  actor.Send(Chunk(kActor, 3, 15, 7));  // 22 - 4 = 18 > max_diff 16: waits for samples
  actor.ExpectSilence();
  // 15 - 4 - 8 = 3 < min_diff 4: waits for inserts. Only admitting the chunk gets either moving again.
  learner.Send(protocol::SampleRequest{2, 8});
  CHECK(actor.Expect<protocol::InsertAck>().sequence == 3);
  CHECK(learner.Expect<protocol::SampleReply>().request_id == 2);

  const protocol::StatsReply stats = learner.Stats();
  CHECK(stats.total_inserted == 22);
  CHECK(stats.total_sampled == 12);
}

TEST_CASE("frames that cannot be served get an Error reply and the server keeps serving", "[replay_service]") {
  RunningService service(TestConfig());
  zmq::context_t context;
  Client peer(context, service.endpoint());

  SECTION("garbage") {
    peer.SendFrames({"this is not a ddpg-cluster frame"});
    const protocol::Error error = peer.Expect<protocol::Error>();
    CHECK(error.code == ErrorCode::kMalformedFrame);
    CHECK_THAT(error.message, Catch::Contains("magic"));
  }
  SECTION("a frame of another protocol version") {
    std::string frame = protocol::Encode(protocol::Heartbeat{"actor-0"});
    frame[4] = static_cast<char>(protocol::kProtocolVersion + 1);
    peer.SendFrames({frame});
    const protocol::Error error = peer.Expect<protocol::Error>();
    CHECK(error.code == ErrorCode::kVersionMismatch);
    CHECK_THAT(error.message, Catch::Contains("version " + std::to_string(protocol::kProtocolVersion + 1)));
  }
  SECTION("a message of two frames") {
    const std::string frame = protocol::Encode(protocol::StatsRequest{});
    peer.SendFrames({frame, frame});
    CHECK(peer.Expect<protocol::Error>().code == ErrorCode::kMalformedFrame);
  }
  SECTION("a chunk of other dimensions") {
    protocol::InsertChunk chunk = Chunk(kActor, 0, 0, 2);
    chunk.transitions = testing::MakeBatch(kObsDim + 1, kActDim, 0, 2);
    peer.Send(chunk);
    const protocol::Error error = peer.Expect<protocol::Error>();
    CHECK(error.code == ErrorCode::kInvalidChunk);
    CHECK_THAT(error.message,
               Catch::Contains("obs_dim 4") && Catch::Contains("expected obs_dim 3") && Catch::Contains("Pendulum-v1"));
  }
  SECTION("a message the replay server does not serve") {
    peer.Send(protocol::InsertAck{});
    const protocol::Error error = peer.Expect<protocol::Error>();
    CHECK(error.code == ErrorCode::kUnexpectedMessage);
    CHECK_THAT(error.message, Catch::Contains("InsertAck"));
  }
  SECTION("a sample request for no transitions") {
    peer.Send(protocol::SampleRequest{1, 0});
    const protocol::Error error = peer.Expect<protocol::Error>();
    CHECK(error.code == ErrorCode::kInvalidRequest);
    CHECK_THAT(error.message, Catch::Contains("1 .. 65536"));
  }
  SECTION("a sample request for too many transitions") {
    peer.Send(protocol::SampleRequest{1, ReplayService::kMaxBatchSize + 1});
    CHECK(peer.Expect<protocol::Error>().code == ErrorCode::kInvalidRequest);
  }

  CHECK(peer.Request<protocol::Heartbeat>(protocol::Heartbeat{"learner"}).sender == "replay_server");
  CHECK_FALSE(Insert(peer, Chunk(kActor, 0, 0, 5)).duplicate);
  const protocol::StatsReply stats = peer.Stats();
  CHECK(stats.total_inserted == 5);
  CHECK(stats.pending_samples == 0);
}

TEST_CASE("sample requests beyond the queue's capacity are refused as overload", "[replay_service]") {
  RunningService service(TestConfig());
  zmq::context_t context;
  Client learner(context, service.endpoint());

  for (uint64_t id = 0; id <= ReplayService::kMaxPendingSamples; ++id) {
    learner.Send(protocol::SampleRequest{id, 4});
  }
  const protocol::Error error = learner.Expect<protocol::Error>();
  CHECK(error.code == ErrorCode::kOverloaded);
  CHECK(error.request_type == protocol::MessageType::kSampleRequest);
  CHECK(error.request_id == ReplayService::kMaxPendingSamples);  // the refused one, so its slot can be freed
  CHECK_THAT(error.message,
             Catch::Contains("too many pending") && Catch::Contains(std::to_string(ReplayService::kMaxPendingSamples)));
  CHECK(learner.Stats().pending_samples == ReplayService::kMaxPendingSamples);
}

TEST_CASE("connected actors are the ones heard from within the heartbeat timeout", "[replay_service]") {
  Config config = TestConfig();
  config.run.heartbeat_interval_ms = 10;
  config.run.heartbeat_timeout_ms = 300;
  RunningService service(config);
  zmq::context_t context;
  Client peer(context, service.endpoint());

  Insert(peer, Chunk(7, 0, 0, 5));
  Insert(peer, Chunk(8, 0, 5, 5));
  CHECK(peer.Stats().connected_actors == 2);
  // Heartbeats keep actors 7 and 8 alive past the timeout; other senders are no actors.
  for (int round = 0; round < 4; ++round) {
    std::this_thread::sleep_for(100ms);
    for (const char* sender : {"actor-7", "actor-8", "learner", "actor-", "actor-9x"}) {
      CHECK(peer.Request<protocol::Heartbeat>(protocol::Heartbeat{sender}).sender == "replay_server");
    }
  }
  CHECK(peer.Stats().connected_actors == 2);

  std::this_thread::sleep_for(400ms);
  CHECK(peer.Stats().connected_actors == 0);
  // A heartbeat no longer brings a timed-out actor back: only a chunk (or an assigned id) does.
  peer.Request<protocol::Heartbeat>(protocol::Heartbeat{"actor-7"});
  CHECK(peer.Stats().connected_actors == 0);
  Insert(peer, Chunk(3, 0, 10, 5));
  CHECK(peer.Stats().connected_actors == 1);
}

TEST_CASE("binding a port that is in use fails with Unavailable naming replay.bind", "[replay_service]") {
  RunningService first(TestConfig());
  Config config = TestConfig();
  config.replay.bind = first.endpoint();
  StatusOr<std::unique_ptr<ReplayService>> second = ReplayService::Create(config);
  REQUIRE(second.ok());
  const Status bound = (*second)->Bind();
  CHECK(bound.code() == StatusCode::kUnavailable);
  CHECK_THAT(bound.message(), Catch::Contains("replay.bind") && Catch::Contains(first.endpoint()));
  CHECK((*second)->endpoint().empty());
}

TEST_CASE("Create rejects an unknown environment, an invalid configuration and frames over the limit",
          "[replay_service]") {
  Config unknown_env = TestConfig();
  unknown_env.env.id = "NoSuchEnv-v0";
  const Status unknown = ReplayService::Create(unknown_env).status();
  CHECK_FALSE(unknown.ok());
  CHECK_THAT(unknown.message(), Catch::Contains("NoSuchEnv-v0"));

  Config tight_buffer = TestConfig();
  tight_buffer.replay.rate_error_buffer = 5.0;
  const Status status = ReplayService::Create(tight_buffer).status();
  CHECK(status.code() == StatusCode::kInvalidArgument);
  CHECK_THAT(status.message(), Catch::Contains("replay.rate_error_buffer"));

  Config oversized_weights = TestConfig();
  oversized_weights.network.hidden_sizes = {4096, 4096};  // Weights of 64.1 MiB even for Pendulum
  const Status oversized = ReplayService::Create(oversized_weights).status();
  CHECK(oversized.code() == StatusCode::kInvalidArgument);
  CHECK_THAT(oversized.message(), Catch::Contains("lower network.hidden_sizes"));
}

TEST_CASE("every report interval writes one metrics object with the server's counters", "[replay_service]") {
  TempDir directory;
  StatusOr<MetricsWriter> metrics = MetricsWriter::Open(directory.path(), "replay_server");
  REQUIRE(metrics.ok());

  Config config = TestConfig();
  config.run.report_interval_s = 0.1;
  {
    RunningService service(config, std::move(metrics).value());
    zmq::context_t context;
    Client actor(context, service.endpoint());
    Insert(actor, Chunk(kActor, 0, 0, 5));
    actor.Send(protocol::SampleRequest{1, 4});  // waits: below min_size_to_sample
    std::this_thread::sleep_for(450ms);
  }

  const std::vector<nlohmann::json> objects = ReadMetrics(directory.path() + "/replay_server.metrics.jsonl");
  REQUIRE(objects.size() >= 2);
  const nlohmann::json& last = objects.back();
  CHECK(last["component"] == "replay_server");
  CHECK(last["replay_size"] == 5);
  CHECK(last["capacity"] == 1000);
  CHECK(last["total_inserted"] == 5);
  CHECK(last["total_sampled"] == 0);
  CHECK(last["connected_actors"] == 1);
  CHECK(last["pending_inserts"] == 0);
  CHECK(last["pending_samples"] == 1);
  CHECK(last["duplicates_dropped"] == 0);
  CHECK(last["malformed_frames"] == 0);
  CHECK(last["inserts_per_s"] == 0.0);
  CHECK(last["samples_per_s"] == 0.0);
  double inserts_seen = 0;
  for (const nlohmann::json& object : objects) inserts_seen += object["inserts_per_s"].get<double>();
  CHECK(inserts_seen > 0.0);
}

// Heartbeats every 100 ms, presumed dead after 1 s: also the start-up grace before ids are assigned.
Config IdConfig() {
  Config config = TestConfig();
  config.run.heartbeat_interval_ms = 100;
  config.run.heartbeat_timeout_ms = 1000;
  return config;
}

uint32_t RequestId(Client& actor, uint64_t nonce) {
  const protocol::ActorIdReply reply = actor.Request<protocol::ActorIdReply>(protocol::ActorIdRequest{nonce});
  CHECK(reply.nonce == nonce);
  return reply.actor_id;
}

TEST_CASE("an actor id request gets the lowest id no live actor holds and a resent one the same id",
          "[replay_service]") {
  RunningService service(IdConfig());
  zmq::context_t context;
  Client fixed(context, service.endpoint());
  Client first(context, service.endpoint());
  Client second(context, service.endpoint());

  std::this_thread::sleep_for(1100ms);            // past the start-up grace (see the test below)
  Insert(fixed, Chunk(/*actor_id=*/0, 0, 0, 5));  // an actor with a configured id
  CHECK(RequestId(first, 11) == 1);
  CHECK(RequestId(second, 12) == 2);
  CHECK(RequestId(first, 11) == 1);  // e.g. resent after a reconnect
  CHECK(first.Stats().connected_actors == 3);
}

TEST_CASE("an assigned id is freed once its actor has been silent for the heartbeat timeout", "[replay_service]") {
  RunningService service(IdConfig());
  zmq::context_t context;
  Client silent(context, service.endpoint());
  Client alive(context, service.endpoint());

  CHECK(RequestId(silent, 21) == 0);
  CHECK(RequestId(alive, 22) == 1);
  for (int i = 0; i < 12; ++i) {
    alive.Request<protocol::Heartbeat>(protocol::Heartbeat{"actor-1"});
    std::this_thread::sleep_for(100ms);
  }
  CHECK(RequestId(silent, 23) == 0);  // a new process in the dead one's place
  CHECK(RequestId(silent, 24) == 2);
  CHECK(alive.Stats().connected_actors == 3);
}

TEST_CASE("id requests wait out the first heartbeat timeout so that actors of a restarted server keep their ids",
          "[replay_service]") {
  RunningService service(IdConfig());
  const auto started = std::chrono::steady_clock::now();
  zmq::context_t context;
  Client newcomer(context, service.endpoint());
  Client survivor(context, service.endpoint());

  newcomer.Send(protocol::ActorIdRequest{31});
  newcomer.ExpectSilence();
  // The survivor of the server's restart announces itself, by resending a chunk, only after the newcomer
  // asked.
  Insert(survivor, Chunk(/*actor_id=*/0, 0, 0, 5));
  const protocol::ActorIdReply reply = newcomer.Expect<protocol::ActorIdReply>();
  CHECK(reply.nonce == 31);
  CHECK(reply.actor_id == 1);
  CHECK(std::chrono::steady_clock::now() - started >= 900ms);
}

TEST_CASE("id requests beyond the start-up queue's capacity are refused as overload", "[replay_service]") {
  Config config = IdConfig();
  config.run.heartbeat_timeout_ms = 30000;  // the grace outlasts the test: nothing is assigned meanwhile
  RunningService service(config);
  zmq::context_t context;
  Client actors(context, service.endpoint());

  for (uint64_t nonce = 0; nonce <= ReplayService::kMaxPendingIdRequests; ++nonce) {
    actors.Send(protocol::ActorIdRequest{nonce});
  }
  const protocol::Error error = actors.Expect<protocol::Error>();
  CHECK(error.code == ErrorCode::kOverloaded);
  CHECK(error.request_type == protocol::MessageType::kActorIdRequest);
  CHECK(error.request_id == ReplayService::kMaxPendingIdRequests);  // the refused nonce
  CHECK_THAT(error.message, Catch::Contains("send it again later"));
}

TEST_CASE("run_inserted counts what was stored for the sampling run and starts again when another run samples",
          "[replay_service]") {
  RunningService service(TestConfig());
  zmq::context_t context;
  Client actor(context, service.endpoint());
  Client learner(context, service.endpoint());
  constexpr uint64_t kRunA = 0xa;
  constexpr uint64_t kRunB = 0xb;

  Insert(actor, Chunk(kActor, 0, 0, 5));
  Insert(actor, Chunk(kActor, 1, 5, 5));
  Insert(actor, Chunk(kActor, 2, 10, 5));
  // The first run to sample owns everything stored before it: actors may start before the learner.
  CHECK(learner.Request<protocol::SampleReply>(protocol::SampleRequest{1, 4, kRunA}).run_inserted == 15);
  Insert(actor, Chunk(kActor, 3, 15, 5));
  CHECK(learner.Request<protocol::SampleReply>(protocol::SampleRequest{2, 4, kRunA}).run_inserted == 20);

  // A learner of another run must not inherit run A's count.
  const protocol::SampleReply other = learner.Request<protocol::SampleReply>(protocol::SampleRequest{3, 4, kRunB});
  CHECK(other.run_inserted == 0);
  CHECK(other.total_inserted == 20);
  Insert(actor, Chunk(kActor, 4, 20, 5));
  CHECK(learner.Request<protocol::SampleReply>(protocol::SampleRequest{5, 4, kRunB}).run_inserted == 5);
  // Run id 0 (a tool, not a run) changes nothing.
  CHECK(learner.Request<protocol::SampleReply>(protocol::SampleRequest{6, 4, 0}).run_inserted == 5);
}

TEST_CASE("every reply of a server carries its instance id, which differs between two servers", "[replay_service]") {
  zmq::context_t context;
  uint64_t first_instance = 0;
  {
    RunningService service(TestConfig());
    Client peer(context, service.endpoint());
    const protocol::Heartbeat heartbeat = peer.Request<protocol::Heartbeat>(protocol::Heartbeat{"learner", 7});
    first_instance = heartbeat.instance;
    CHECK(first_instance != 0);
    CHECK(Insert(peer, Chunk(kActor, 0, 0, 5)).server_instance == first_instance);
    Insert(peer, Chunk(kActor, 1, 5, 5));
    CHECK(peer.Stats().server_instance == first_instance);
    CHECK(peer.Request<protocol::SampleReply>(protocol::SampleRequest{1, 4, 1}).server_instance == first_instance);
  }
  RunningService second(TestConfig());
  Client peer(context, second.endpoint());
  const uint64_t second_instance = peer.Request<protocol::Heartbeat>(protocol::Heartbeat{"learner", 7}).instance;
  CHECK(second_instance != 0);
  CHECK(second_instance != first_instance);
}

TEST_CASE("an Error names the type and id of the request it refuses", "[replay_service]") {
  RunningService service(TestConfig());
  zmq::context_t context;
  Client peer(context, service.endpoint());

  protocol::InsertChunk wrong_dims = Chunk(kActor, 41, 0, 5);
  wrong_dims.transitions = testing::MakeBatch(kObsDim + 1, kActDim, 0, 5);
  const protocol::Error chunk_error = peer.Request<protocol::Error>(wrong_dims);
  CHECK(chunk_error.code == ErrorCode::kInvalidChunk);
  CHECK(chunk_error.request_type == protocol::MessageType::kInsertChunk);
  CHECK(chunk_error.request_id == 41);

  const protocol::Error sample_error = peer.Request<protocol::Error>(protocol::SampleRequest{42, 0, 1});
  CHECK(sample_error.code == ErrorCode::kInvalidRequest);
  CHECK(sample_error.request_type == protocol::MessageType::kSampleRequest);
  CHECK(sample_error.request_id == 42);

  peer.SendFrames({"not a frame"});
  const protocol::Error undecodable = peer.Expect<protocol::Error>();
  CHECK(undecodable.request_type == protocol::MessageType{});
}

TEST_CASE("a chunk holding a NaN reward is refused whole, stored nowhere, and its actor not counted",
          "[replay_service]") {
  RunningService service(TestConfig());
  zmq::context_t context;
  Client actor(context, service.endpoint());

  protocol::InsertChunk poisoned = Chunk(kActor, 0, 0, 4);
  poisoned.transitions.rewards[2] = std::numeric_limits<float>::quiet_NaN();
  const protocol::Error error = actor.Request<protocol::Error>(poisoned);
  CHECK(error.code == ErrorCode::kInvalidValue);
  CHECK(error.request_type == protocol::MessageType::kInsertChunk);
  CHECK(error.request_id == 0);
  CHECK_THAT(error.message, Catch::Contains("transition 2 has rewards[0] = nan"));

  protocol::StatsReply stats = actor.Stats();
  CHECK(stats.total_inserted == 0);
  CHECK(stats.connected_actors == 0);
  // The same chunk with finite values is stored: nothing about the refusal stuck to its sequence number.
  CHECK_FALSE(Insert(actor, Chunk(kActor, 0, 0, 4)).duplicate);
  stats = actor.Stats();
  CHECK(stats.total_inserted == 4);
  CHECK(stats.connected_actors == 1);
}

TEST_CASE("chunks with an action out of bounds, an infinite observation or a discount above 1 are refused",
          "[replay_service]") {
  RunningService service(TestConfig());
  zmq::context_t context;
  Client actor(context, service.endpoint());
  auto refused = [&](auto poison) {
    protocol::InsertChunk chunk = Chunk(kActor, 0, 0, 3);
    poison(chunk.transitions);
    return actor.Request<protocol::Error>(chunk);
  };
  // Pendulum's torque lies within [-2, 2].
  CHECK_THAT(refused([](protocol::TransitionBatch& b) { b.actions[1] = 2.5f; }).message, Catch::Contains("actions"));
  CHECK_THAT(refused([](protocol::TransitionBatch& b) { b.next_observations[4] = INFINITY; }).message,
             Catch::Contains("next_observations[1]"));
  CHECK_THAT(refused([](protocol::TransitionBatch& b) { b.discounts[0] = 1.5f; }).message,
             Catch::Contains("discounts"));
  CHECK(actor.Stats().total_inserted == 0);
}

TEST_CASE("heartbeats from actor ids that never inserted or got an id do not count as connected actors",
          "[replay_service]") {
  RunningService service(TestConfig());
  zmq::context_t context;
  Client stranger(context, service.endpoint());
  for (int id = 0; id < 50; ++id) {
    stranger.Request<protocol::Heartbeat>(protocol::Heartbeat{"actor-" + std::to_string(id)});
  }
  CHECK(stranger.Stats().connected_actors == 0);

  Client actor(context, service.endpoint());
  Insert(actor, Chunk(kActor, 0, 0, 5));
  actor.Request<protocol::Heartbeat>(protocol::Heartbeat{"actor-" + std::to_string(kActor)});
  CHECK(actor.Stats().connected_actors == 1);
}

TEST_CASE("sample requests of a peer silent for the heartbeat timeout are dropped unserved and free the queue",
          "[replay_service]") {
  Config config = TestConfig();
  config.run.heartbeat_interval_ms = 10;
  config.run.heartbeat_timeout_ms = 300;
  RunningService service(config);
  zmq::context_t context;
  {
    Client vanished(context, service.endpoint());
    for (uint64_t id = 0; id < ReplayService::kMaxPendingSamples; ++id)
      vanished.Send(protocol::SampleRequest{id, 4, 1});
    CHECK(vanished.Stats().pending_samples == ReplayService::kMaxPendingSamples);
  }
  std::this_thread::sleep_for(400ms);

  // Another learner is not refused as overloaded, and the vanished one's requests take no samples.
  Client actor(context, service.endpoint());
  Client learner(context, service.endpoint());
  Insert(actor, Chunk(kActor, 0, 0, 5));
  Insert(actor, Chunk(kActor, 1, 5, 5));
  Insert(actor, Chunk(kActor, 2, 10, 5));
  // Sent last: this test's learner sends no heartbeats, so it must not wait for longer than the timeout.
  CHECK(learner.Request<protocol::SampleReply>(protocol::SampleRequest{7, 4, 2}).request_id == 7);
  const protocol::StatsReply stats = learner.Stats();
  CHECK(stats.total_sampled == 4);
  CHECK(stats.pending_samples == 0);
}

// Disk durability; a rate limit too loose to hold any insert back.
Config DurableConfig(const std::string& data_dir, int sync_interval_ms = 1) {
  Config config = TestConfig();
  config.replay.durability = Durability::kDisk;
  config.replay.data_dir = data_dir;
  config.replay.sync_interval_ms = sync_interval_ms;
  config.replay.rate_error_buffer = 1e9;
  return config;
}

TEST_CASE("with disk durability an ack waits for the next group commit, and samples do not", "[replay_service]") {
  TempDir dir;
  RunningService service(DurableConfig(dir.path(), /*sync_interval_ms=*/1000));
  zmq::context_t context;
  Client actor(context, service.endpoint());
  Client learner(context, service.endpoint());
  learner.Stats();  // connected before the clock starts

  // The log has been quiet: the first chunk is committed at once.
  Insert(actor, Chunk(kActor, 0, 0, 5));
  const auto first_acked = std::chrono::steady_clock::now();
  // The next commit is due 1 s after the first began. The chunk is stored meanwhile, so with it the store
  // reaches min_size_to_sample and the learner is served while the ack waits.
  actor.Send(Chunk(kActor, 1, 5, 5));
  const protocol::SampleReply reply =
      learner.Request<protocol::SampleReply>(protocol::SampleRequest{.request_id = 1, .batch_size = 4});
  CHECK(reply.total_inserted == 10);
  CHECK_FALSE(actor.Receive(1ms).has_value());  // the sample was served while the ack waits
  const protocol::InsertAck ack = actor.Expect<protocol::InsertAck>();
  CHECK(ack.sequence == 1);
  CHECK(std::chrono::steady_clock::now() - first_acked >= 800ms);
}

TEST_CASE("a server restarted on its data_dir holds what it acknowledged and knows resent chunks", "[replay_service]") {
  TempDir dir;
  zmq::context_t context;
  {
    RunningService service(DurableConfig(dir.path()));
    Client actor(context, service.endpoint());
    for (uint64_t sequence = 0; sequence < 4; ++sequence) Insert(actor, Chunk(kActor, sequence, sequence * 5, 5));
  }
  RunningService service(DurableConfig(dir.path()));
  Client actor(context, service.endpoint());
  protocol::StatsReply stats = actor.Stats();
  CHECK(stats.total_inserted == 20);
  CHECK(stats.replay_size == 20);
  CHECK(Insert(actor, Chunk(kActor, 2, 10, 5)).duplicate);
  CHECK_FALSE(Insert(actor, Chunk(kActor, 4, 20, 5)).duplicate);
  stats = actor.Stats();
  CHECK(stats.total_inserted == 25);
  CHECK(stats.duplicates_dropped == 1);
  // The recovered store can be sampled at once; run_inserted counts what this server instance stored.
  const protocol::SampleReply reply =
      actor.Request<protocol::SampleReply>(protocol::SampleRequest{.request_id = 1, .batch_size = 25});
  CHECK(reply.total_inserted == 25);
  CHECK(reply.run_inserted == 5);
  for (size_t row = 0; row < reply.transitions.size(); ++row) {
    const uint64_t id = reply.transitions.policy_versions[row];
    CHECK(id < 25);
    CHECK(reply.transitions.rewards[row] == testing::RewardValue(id));
  }
}

TEST_CASE("a data_dir of another environment is refused at creation, naming what differs", "[replay_service]") {
  TempDir dir;
  { RunningService service(DurableConfig(dir.path())); }
  Config other = DurableConfig(dir.path());
  other.env.id = "MountainCarContinuous-v0";
  const Status status = ReplayService::Create(other).status();
  REQUIRE_FALSE(status.ok());
  CHECK_THAT(status.message(), Catch::Contains("env.id is Pendulum-v1 in the log but MountainCarContinuous-v0") &&
                                   Catch::Contains("obs_dim of env.id is 3 in the log but 2"));
}

TEST_CASE("while the log cannot be written chunks are refused as overloaded and none is acknowledged",
          "[replay_service]") {
  TempDir dir;
  if (geteuid() != 0 || mount("tmpfs", dir.path().c_str(), "tmpfs", 0, "size=256k") != 0) {
    WARN("skipped: mounting a tmpfs needs root");
    return;
  }
  struct Unmount {
    std::string path;
    ~Unmount() { umount(path.c_str()); }
  } unmount{dir.path()};
  const std::string filler = dir.path() + "/filler";
  std::ofstream(filler, std::ios::binary) << std::string(200 << 10, 'x');
  zmq::context_t context;
  uint64_t acked = 0;
  {
    RunningService service(DurableConfig(dir.path()));
    Client actor(context, service.endpoint());
    // Chunks of 100 transitions (4,449 bytes): the disk is full after a dozen. A chunk is answered by an ack
    // (perhaps late: commits take longer on a busy machine), or is refused once a commit has failed.
    std::set<uint64_t> unanswered;
    std::optional<protocol::Error> refusal;
    auto handle = [&](const protocol::Message& reply) {
      if (const auto* error = std::get_if<protocol::Error>(&reply)) {
        refusal = *error;
      } else {
        REQUIRE(unanswered.erase(std::get<protocol::InsertAck>(reply).sequence) == 1);
        ++acked;
      }
    };
    uint64_t sequence = 0;
    for (; !refusal && sequence < 100; ++sequence) {
      actor.Send(Chunk(kActor, sequence, sequence * 100, 100));
      unanswered.insert(sequence);
      if (std::optional<protocol::Message> reply = actor.Receive(200ms)) handle(*reply);
    }
    REQUIRE(refusal.has_value());
    CHECK(refusal->code == ErrorCode::kOverloaded);
    CHECK(refusal->request_id == sequence - 1);
    CHECK_THAT(refusal->message, Catch::Contains("cannot write its log") && Catch::Contains("No space left"));
    unanswered.erase(sequence - 1);
    // Acks of commits that succeeded before the failure may still be on their way.
    while (std::optional<protocol::Message> reply = actor.Receive(500ms)) handle(*reply);
    // What the failed commit holds is stored but not acknowledged while the disk stays full.
    CHECK_FALSE(unanswered.empty());
    actor.ExpectSilence();

    std::filesystem::remove(filler);
    const std::set<uint64_t> held = unanswered;
    for (size_t i = 0; i < held.size(); ++i) handle(actor.Expect<protocol::InsertAck>());
    CHECK(unanswered.empty());
    CHECK_FALSE(Insert(actor, Chunk(kActor, sequence - 1, (sequence - 1) * 100, 100)).duplicate);
    ++acked;
  }
  RunningService service(DurableConfig(dir.path()));
  Client actor(context, service.endpoint());
  CHECK(actor.Stats().total_inserted == acked * 100);
}

}  // namespace
}  // namespace ddpg

namespace ddpg {
namespace {

// Prioritized, alpha 1, epsilon 1e-3; the rate limiter never holds a sample back once 10 are in.
Config PrioritizedConfig() {
  Config config = TestConfig();
  config.replay.capacity = 20;
  config.replay.rate_error_buffer = 1e9;
  config.replay.sampler = ReplaySampler::kPrioritized;
  config.replay.priority_alpha = 1.0;
  config.replay.priority_epsilon = 1e-3;
  config.replay.priority_beta = 0.4;
  config.replay.priority_beta_steps = 100;
  return config;
}

TEST_CASE("a prioritized server sends generations and weights and samples by the priorities it is sent",
          "[replay_service]") {
  TempDir directory;
  StatusOr<MetricsWriter> metrics = MetricsWriter::Open(directory.path(), "replay_server");
  REQUIRE(metrics.ok());
  Config config = PrioritizedConfig();
  config.run.report_interval_s = 0.1;
  {
    RunningService service(config, std::move(metrics).value());
    zmq::context_t context;
    Client actor(context, service.endpoint());
    Client learner(context, service.endpoint());
    for (uint64_t chunk = 0; chunk < 4; ++chunk) Insert(actor, Chunk(kActor, chunk, 5 * chunk, 5));

    const auto first = learner.Request<protocol::SampleReply>(protocol::SampleRequest{1, 8, 1});
    REQUIRE(first.generations.size() == 8);
    REQUIRE(first.weights.size() == 8);
    for (size_t row = 0; row < 8; ++row) {
      CHECK(first.generations[row] == 1);
      CHECK(first.weights[row] == 1.0f);  // everything entered at the same maximum
    }

    // Slot 7 gets priority 10, every other slot 0: slot 7 holds 10.001 / (10.001 + 19e-3) of the mass.
    protocol::PriorityUpdate update;
    update.server_instance = first.server_instance;
    for (uint64_t slot = 0; slot < 20; ++slot) {
      update.indices.push_back(slot);
      update.generations.push_back(1);
      update.priorities.push_back(slot == 7 ? 10.0f : 0.0f);
    }
    learner.Send(update);
    const auto steered = learner.Request<protocol::SampleReply>(protocol::SampleRequest{2, 64, 1});
    CHECK(std::count(steered.indices.begin(), steered.indices.end(), 7u) >= 62);
    for (size_t row = 0; row < 64; ++row) {
      // The rare rows of other slots weigh most: 1; slot 7's rows (N P)^-beta less.
      if (steered.indices[row] != 7) CHECK(steered.weights[row] == 1.0f);
    }

    // Slots 0..4 are overwritten (generation 2): an update naming generation 1 there is stale, and so is
    // one for another server instance.
    Insert(actor, Chunk(kActor, 4, 20, 5));
    learner.Send(protocol::PriorityUpdate{
        first.server_instance, {0, 1, 2, 3, 4}, {1, 1, 1, 1, 1}, {50.0f, 50.0f, 50.0f, 50.0f, 50.0f}});
    learner.Send(protocol::PriorityUpdate{first.server_instance + 1, {8, 9, 10}, {1, 1, 1}, {50.0f, 50.0f, 50.0f}});

    const auto refused = learner.Request<protocol::Error>(
        protocol::PriorityUpdate{first.server_instance, {8, 9}, {1, 1}, {1.0f, std::nanf("")}});
    CHECK(refused.code == ErrorCode::kInvalidValue);
    CHECK(refused.request_type == protocol::MessageType::kPriorityUpdate);
    CHECK_THAT(refused.message, Catch::Contains("priority nan"));
    const auto beyond =
        learner.Request<protocol::Error>(protocol::PriorityUpdate{first.server_instance, {20}, {1}, {1.0f}});
    CHECK(beyond.code == ErrorCode::kInvalidValue);
    const size_t too_many = ReplayService::kMaxBatchSize + 1;
    const auto oversized = learner.Request<protocol::Error>(
        protocol::PriorityUpdate{first.server_instance, std::vector<uint64_t>(too_many, 8),
                                 std::vector<uint64_t>(too_many, 1), std::vector<float>(too_many, 1.0f)});
    CHECK(oversized.code == ErrorCode::kInvalidRequest);
    std::this_thread::sleep_for(300ms);  // a report after all of the above
  }
  const std::vector<nlohmann::json> objects = ReadMetrics(directory.path() + "/replay_server.metrics.jsonl");
  REQUIRE_FALSE(objects.empty());
  const nlohmann::json& last = objects.back();
  CHECK(last["priority_updates"] == 20);
  CHECK(last["stale_priority_updates"] == 8);
  CHECK(last["refused_priority_updates"] == 3);
  CHECK(last["priority_max"].get<double>() == Approx(10.001));
  // Slots 0..4 entered at the maximum 10.001, slot 7 holds it, the other 14 hold epsilon.
  CHECK(last["priority_mean"].get<double>() == Approx((6 * 10.001 + 14 * 1e-3) / 20));
  CHECK(last["priority_beta"].get<double>() == Approx(0.4 + 0.6 * 2 / 100));
}

TEST_CASE("a prioritized server snapshots its priorities when it stops and restores them", "[replay_service]") {
  TempDir dir;
  Config config = PrioritizedConfig();
  config.replay.durability = Durability::kDisk;
  config.replay.data_dir = dir.path();
  config.replay.priority_snapshot_interval_s = 3600;  // none but the one taken when the server stops
  zmq::context_t context;
  // Samples 64 and counts the rows from slot 7.
  auto slot_7_rows = [&](const std::string& endpoint) {
    Client learner(context, endpoint);
    const auto reply = learner.Request<protocol::SampleReply>(protocol::SampleRequest{1, 64, 1});
    return std::count(reply.indices.begin(), reply.indices.end(), 7u);
  };
  {
    RunningService service(config);
    Client actor(context, service.endpoint());
    for (uint64_t chunk = 0; chunk < 4; ++chunk) Insert(actor, Chunk(kActor, chunk, 5 * chunk, 5));
    Client learner(context, service.endpoint());
    const auto first = learner.Request<protocol::SampleReply>(protocol::SampleRequest{1, 8, 1});
    // Slot 7 gets priority 10, every other slot 0: slot 7 holds 10.001 / (10.001 + 19e-3) of the mass.
    protocol::PriorityUpdate update;
    update.server_instance = first.server_instance;
    for (uint64_t slot = 0; slot < 20; ++slot) {
      update.indices.push_back(slot);
      update.generations.push_back(1);
      update.priorities.push_back(slot == 7 ? 10.0f : 0.0f);
    }
    learner.Send(update);
    CHECK(slot_7_rows(service.endpoint()) >= 62);
  }
  {
    RunningService service(config);
    CHECK(slot_7_rows(service.endpoint()) >= 62);
  }
  // 0: no snapshot is restored (or taken); every recovered transition enters at 1, and slot 7 is one of 20.
  config.replay.priority_snapshot_interval_s = 0;
  RunningService service(config);
  CHECK(slot_7_rows(service.endpoint()) < 20);
}

TEST_CASE("an idle prioritized server does not rewrite its priority snapshot", "[replay_service]") {
  TempDir dir;
  StatusOr<MetricsWriter> metrics = MetricsWriter::Open(dir.path(), "replay_server");
  REQUIRE(metrics.ok());
  Config config = PrioritizedConfig();
  config.replay.durability = Durability::kDisk;
  std::filesystem::create_directory(dir.path() + "/data");
  config.replay.data_dir = dir.path() + "/data";
  config.replay.priority_snapshot_interval_s = 0.02;
  config.run.report_interval_s = 0.1;
  {
    RunningService service(config, std::move(metrics).value());
    zmq::context_t context;
    Client actor(context, service.endpoint());
    Client learner(context, service.endpoint());
    for (uint64_t chunk = 0; chunk < 4; ++chunk) Insert(actor, Chunk(kActor, chunk, 5 * chunk, 5));
    const auto reply = learner.Request<protocol::SampleReply>(protocol::SampleRequest{1, 8, 1});
    REQUIRE(reply.indices.size() == 8);
    std::this_thread::sleep_for(1s);  // 50 intervals with nothing inserted, sampled or re-prioritized
  }
  const std::vector<nlohmann::json> objects = ReadMetrics(dir.path() + "/replay_server.metrics.jsonl");
  REQUIRE_FALSE(objects.empty());
  // One snapshot after the inserts and the batch (two if an interval fell between them), none while idle.
  CHECK(objects.back()["priority_snapshots"].get<int>() >= 1);
  CHECK(objects.back()["priority_snapshots"].get<int>() <= 2);
}

TEST_CASE("a uniform server sends no generations or weights and refuses priority updates", "[replay_service]") {
  RunningService service(TestConfig());
  zmq::context_t context;
  Client actor(context, service.endpoint());
  Client learner(context, service.endpoint());
  Insert(actor, Chunk(kActor, 0, 0, 5));
  Insert(actor, Chunk(kActor, 1, 5, 5));
  const auto reply = learner.Request<protocol::SampleReply>(protocol::SampleRequest{1, 4, 1});
  CHECK(reply.indices.size() == 4);
  CHECK(reply.generations.empty());
  CHECK(reply.weights.empty());
  const auto error =
      learner.Request<protocol::Error>(protocol::PriorityUpdate{reply.server_instance, {0}, {1}, {1.0f}});
  CHECK(error.code == ErrorCode::kUnexpectedMessage);
  CHECK(error.request_type == protocol::MessageType::kPriorityUpdate);
  CHECK_THAT(error.message, Catch::Contains("replay.sampler = uniform"));
}

}  // namespace
}  // namespace ddpg
