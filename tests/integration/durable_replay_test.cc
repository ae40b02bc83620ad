// Integration tests of disk durability (replay.durability = disk) with the real replay_server binary: what
// any writer had acknowledged survives a SIGKILL, and nothing is stored twice after resends.
#include <signal.h>

#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <map>
#include <random>
#include <regex>
#include <set>
#include <thread>

#include <zmq.hpp>

#include "common/transport.h"
#include "harness.h"

using namespace std::chrono_literals;
using ddpg::testing::QueryReplayStats;
using ddpg::testing::TempDir;
using ddpg::testing::TestCluster;
using ddpg::testing::WaitFor;

namespace {

constexpr size_t kChunkSize = 50;
constexpr size_t kInFlight = 8;

std::vector<std::string> DurableArgs(const std::string& data_dir) {
  return {"--replay.durability", "disk", "--replay.data_dir", data_dir, "--replay.sync_interval_ms", "20",
          // No learner samples here: the rate limit must never hold an insert back.
          "--replay.rate_error_buffer", "1e12"};
}

// Pendulum-v1 transitions, all within its bounds, with a distinct policy version per transition.
ddpg::protocol::TransitionBatch Transitions(uint64_t first_id) {
  ddpg::protocol::TransitionBatch batch;
  batch.obs_dim = 3;
  batch.act_dim = 1;
  for (uint64_t id = first_id; id < first_id + kChunkSize; ++id) {
    batch.observations.insert(batch.observations.end(), {0.5f, -0.5f, 0.25f});
    batch.actions.push_back(static_cast<float>(id % 4) - 1.5f);
    batch.rewards.push_back(-static_cast<float>(id % 17));
    batch.discounts.push_back(0.99f);
    batch.next_observations.insert(batch.next_observations.end(), {0.25f, 0.5f, -0.25f});
    batch.policy_versions.push_back(id);
  }
  return batch;
}

// An actor stand-in on its own thread: sends `chunks` chunks with kInFlight unacknowledged at most, and,
// like an actor, resends every unacknowledged one when the server has been silent for 500 ms. Once
// resend_acked is set it also sends its last kInFlight acknowledged chunks again, as an actor does whose
// acks were lost: each must come back as a duplicate.
class Writer {
 public:
  Writer(zmq::context_t& context, std::string endpoint, uint32_t actor_id, uint64_t chunks)
      : context_(context),
        endpoint_(std::move(endpoint)),
        actor_id_(actor_id),
        incarnation_(std::random_device{}() * 0x100000000ull + std::random_device{}()),
        chunks_(chunks),
        thread_([this] { Run(); }) {}
  ~Writer() { Join(); }

  void ResendAcked() { resend_acked_ = true; }
  uint64_t acked() const { return acked_count_.load(); }
  // Waits until every chunk is acknowledged and the resent ones answered (or 90 s passed).
  void Join() {
    if (thread_.joinable()) thread_.join();
  }
  // Only after Join():
  const std::map<uint64_t, uint64_t>& acks_by_server() const { return acks_by_server_; }
  uint64_t resent_acked() const { return resent_.size(); }
  uint64_t resent_acked_duplicates() const { return resent_duplicates_.size(); }
  const std::vector<std::string>& errors() const { return errors_; }

 private:
  ddpg::protocol::InsertChunk Chunk(uint64_t sequence) const {
    return {.actor_id = actor_id_,
            .incarnation = incarnation_,
            .sequence = sequence,
            .transitions = Transitions((uint64_t{actor_id_} << 32) + sequence * kChunkSize)};
  }

  void Run() {
    zmq::socket_t socket(context_, zmq::socket_type::dealer);
    ddpg::ConfigureSocket(socket);
    socket.connect(endpoint_);
    std::set<uint64_t> unacked, acked;
    uint64_t next = 0;
    auto last_heard = std::chrono::steady_clock::now();
    const auto deadline = last_heard + 90s;
    std::vector<zmq::pollitem_t> items = {{socket.handle(), 0, ZMQ_POLLIN, 0}};
    auto done = [&] { return acked.size() == chunks_ && !resent_.empty() && resent_duplicates_ == resent_; };
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      while (unacked.size() < kInFlight && next < chunks_) {
        ddpg::SendMessage(socket, Chunk(next), /*dont_wait=*/false);
        unacked.insert(next++);
      }
      if (resend_acked_ && resent_.empty() && !acked.empty()) {
        for (auto it = acked.rbegin(); it != acked.rend() && resent_.size() < kInFlight; ++it) resent_.insert(*it);
        for (uint64_t sequence : resent_) ddpg::SendMessage(socket, Chunk(sequence), /*dont_wait=*/false);
      }
      ddpg::Poll(items, 50);
      while (std::optional<ddpg::Received> received = ddpg::ReceiveMessage(socket, /*routed=*/false)) {
        last_heard = std::chrono::steady_clock::now();
        if (!received->message.ok()) {
          errors_.push_back(received->message.status().message());
          continue;
        }
        if (const auto* error = std::get_if<ddpg::protocol::Error>(&*received->message)) {
          errors_.push_back(error->message);
        } else if (const auto* ack = std::get_if<ddpg::protocol::InsertAck>(&*received->message)) {
          if (resent_.contains(ack->sequence) && !unacked.contains(ack->sequence)) {
            if (ack->duplicate) {
              resent_duplicates_.insert(ack->sequence);
            } else {
              errors_.push_back("chunk " + std::to_string(ack->sequence) + " was stored twice");
            }
          } else if (unacked.erase(ack->sequence) == 1) {
            acked.insert(ack->sequence);
            ++acks_by_server_[ack->server_instance];
            acked_count_ = acked.size();
          }
        }
      }
      if (!unacked.empty() && std::chrono::steady_clock::now() - last_heard > 500ms) {
        for (uint64_t sequence : unacked) ddpg::SendMessage(socket, Chunk(sequence), /*dont_wait=*/false);
        last_heard = std::chrono::steady_clock::now();
      }
    }
  }

  zmq::context_t& context_;
  const std::string endpoint_;
  const uint32_t actor_id_;
  const uint64_t incarnation_;
  const uint64_t chunks_;
  std::atomic<bool> resend_acked_{false};
  std::atomic<uint64_t> acked_count_{0};
  std::map<uint64_t, uint64_t> acks_by_server_;  // acks received, by the server instance that sent them
  std::set<uint64_t> resent_;                    // acknowledged chunks sent again on purpose
  std::set<uint64_t> resent_duplicates_;         // those the server answered as duplicates
  std::vector<std::string> errors_;
  std::thread thread_;  // last: starts once the members above exist
};

// The transitions the last replay server that wrote `log` says it recovered at start-up.
std::optional<uint64_t> RecoveredTransitions(const std::string& log) {
  static const std::regex kRecovered("replay log: recovered [0-9]+ chunks \\(([0-9]+) transitions\\)");
  std::optional<uint64_t> transitions;
  for (auto it = std::sregex_iterator(log.begin(), log.end(), kRecovered); it != std::sregex_iterator(); ++it) {
    transitions = std::stoull((*it)[1].str());
  }
  return transitions;
}

}  // namespace

TEST_CASE("a replay server killed mid-stream holds every acknowledged chunk after a restart, none twice") {
  TestCluster cluster("durable-kill");
  TempDir data_dir;
  constexpr uint32_t kWriters = 4;
  constexpr uint64_t kChunks = 400;  // per writer
  auto replay = cluster.StartReplay(DurableArgs(data_dir.path()));
  REQUIRE(WaitFor([&] { return QueryReplayStats(cluster.replay_endpoint()).has_value(); }, 10s));
  const uint64_t old_instance = QueryReplayStats(cluster.replay_endpoint())->server_instance;

  zmq::context_t context;
  std::vector<std::unique_ptr<Writer>> writers;
  for (uint32_t id = 0; id < kWriters; ++id) {
    writers.push_back(std::make_unique<Writer>(context, cluster.replay_endpoint(), id, kChunks));
  }
  auto acked = [&] {
    uint64_t total = 0;
    for (const auto& writer : writers) total += writer->acked();
    return total;
  };
  // Checked every millisecond, so that the kill comes early in the stream even if acks came fast.
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (acked() < 150 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(1ms);
  replay->Signal(SIGKILL);
  REQUIRE(replay->Wait(5s) == 128 + SIGKILL);
  const uint64_t acked_at_kill = acked();
  INFO("chunks acknowledged when the server was killed: " << acked_at_kill);
  CHECK(acked_at_kill < kWriters * kChunks);  // the kill came mid-stream

  std::this_thread::sleep_for(200ms);
  replay = cluster.StartReplay(DurableArgs(data_dir.path()));
  REQUIRE(WaitFor([&] { return QueryReplayStats(cluster.replay_endpoint()).has_value(); }, 10s));
  for (const auto& writer : writers) writer->ResendAcked();
  for (const auto& writer : writers) writer->Join();

  uint64_t acked_by_old = 0, resent = 0, resent_duplicates = 0, acked_total = 0;
  for (const auto& writer : writers) {
    INFO("writer errors: " << (writer->errors().empty() ? "" : writer->errors().front()));
    CHECK(writer->errors().empty());
    for (const auto& [instance, acks] : writer->acks_by_server()) {
      acked_total += acks;
      if (instance == old_instance) acked_by_old += acks;
    }
    resent += writer->resent_acked();
    resent_duplicates += writer->resent_acked_duplicates();
  }
  // Every chunk the old server acknowledged was on disk and came back at start-up.
  const std::optional<uint64_t> recovered = RecoveredTransitions(replay->Log());
  REQUIRE(recovered.has_value());
  CHECK(acked_by_old >= acked_at_kill);
  CHECK(*recovered >= acked_by_old * kChunkSize);
  // Every chunk was acknowledged in the end and is stored exactly once, although the writers resent the
  // ones lost with the old server and, on purpose, some the new server already had.
  CHECK(acked_total == kWriters * kChunks);
  CHECK(resent == kWriters * kInFlight);
  CHECK(resent_duplicates == resent);
  const auto stats = QueryReplayStats(cluster.replay_endpoint());
  REQUIRE(stats.has_value());
  CHECK(stats->total_inserted == kWriters * kChunks * kChunkSize);
  CHECK(stats->replay_size == kWriters * kChunks * kChunkSize);
}

TEST_CASE("a replay server refuses a data_dir that is missing or holds another environment's log") {
  TestCluster cluster("durable-refused");
  TempDir data_dir;
  auto missing = cluster.StartReplay(DurableArgs(data_dir.path() + "/absent"));
  REQUIRE(missing->Wait(20s) == 1);
  CHECK_THAT(missing->Log(), Catch::Contains("replay.data_dir = '" + data_dir.path() + "/absent'"));

  auto first = cluster.StartReplay(DurableArgs(data_dir.path()));
  REQUIRE(WaitFor([&] { return QueryReplayStats(cluster.replay_endpoint()).has_value(); }, 10s));
  first->Signal(SIGTERM);
  REQUIRE(first->Wait(10s) == 0);
  std::vector<std::string> other = DurableArgs(data_dir.path());
  other.insert(other.end(), {"--env.id", "MountainCarContinuous-v0"});
  auto refused = cluster.StartReplay(other);
  REQUIRE(refused->Wait(20s) == 1);
  CHECK_THAT(refused->Log(), Catch::Contains("env.id is Pendulum-v1 in the log but MountainCarContinuous-v0"));
}
