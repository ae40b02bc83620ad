// Integration tests of disk durability (replay.durability = disk) with the real replay_server binary: what
// any writer had acknowledged survives a SIGKILL, nothing is stored twice after resends, and prioritized
// replay's priorities and beta come back from their snapshot.
#include <signal.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <map>
#include <optional>
#include <random>
#include <regex>
#include <set>
#include <thread>

#include <zmq.hpp>

#include "common/transport.h"
#include "harness.h"
#include "replay_server/priority_snapshot.h"
#include "tests/prometheus_scrape.h"

using namespace std::chrono_literals;
using ddpg::testing::FreePort;
using ddpg::testing::LastMetric;
using ddpg::testing::QueryReplayStats;
using ddpg::testing::ScrapeMetrics;
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

// One request at a time on its own DEALER, as an actor inserting or a learner sampling would send it.
class Client {
 public:
  explicit Client(const std::string& endpoint) : socket_(context_, zmq::socket_type::dealer) {
    ddpg::ConfigureSocket(socket_);
    socket_.connect(endpoint);
  }

  // Sends `request` and returns the first reply of type Reply (nullopt after an Error or 10 s).
  template <typename Reply>
  std::optional<Reply> Exchange(const ddpg::protocol::Message& request) {
    ddpg::SendMessage(socket_, request, /*dont_wait=*/false);
    std::vector<zmq::pollitem_t> items = {{socket_.handle(), 0, ZMQ_POLLIN, 0}};
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
      ddpg::Poll(items, 50);
      while (std::optional<ddpg::Received> received = ddpg::ReceiveMessage(socket_, /*routed=*/false)) {
        if (!received->message.ok()) return std::nullopt;
        if (const auto* reply = std::get_if<Reply>(&*received->message)) return *reply;
        if (const auto* error = std::get_if<ddpg::protocol::Error>(&*received->message)) {
          UNSCOPED_INFO("the replay server answered with an Error: " << error->message);
          return std::nullopt;
        }
      }
    }
    return std::nullopt;
  }
  void Send(const ddpg::protocol::Message& message) { ddpg::SendMessage(socket_, message, /*dont_wait=*/false); }

 private:
  zmq::context_t context_;
  zmq::socket_t socket_;
};

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

TEST_CASE("prioritized replay's priorities and beta survive a SIGKILL and a restart") {
  TestCluster cluster("durable-priorities");
  TempDir data_dir;
  const int metrics_port = FreePort();
  std::vector<std::string> args = DurableArgs(data_dir.path());
  // A ring of 600 that 1,000 transitions wrap around: the restarted server holds transitions 400 .. 999 in the
  // slots recovery fills from 0 on, not in the ones they had. beta rises from 0.4 by 0.0006 per batch.
  args.insert(args.end(), {"--replay.sampler", "prioritized", "--replay.capacity", "600", "--replay.min_size_to_sample",
                           "100", "--replay.priority_beta_steps", "1000", "--replay.priority_snapshot_interval_s",
                           "0.2", "--run.metrics_port", std::to_string(metrics_port)});
  auto replay = cluster.StartReplay(args);
  REQUIRE(WaitFor([&] { return QueryReplayStats(cluster.replay_endpoint()).has_value(); }, 10s));

  Client client(cluster.replay_endpoint());
  for (uint64_t sequence = 0; sequence < 20; ++sequence) {
    REQUIRE(client.Exchange<ddpg::protocol::InsertAck>(ddpg::protocol::InsertChunk{
        .actor_id = 1, .incarnation = 7, .sequence = sequence, .transitions = Transitions(sequence * kChunkSize)}));
  }
  constexpr uint64_t kBatchesBefore = 100;
  std::optional<ddpg::protocol::SampleReply> first;
  for (uint64_t request = 1; request <= kBatchesBefore; ++request) {
    auto reply = client.Exchange<ddpg::protocol::SampleReply>(ddpg::protocol::SampleRequest{request, 64, 0});
    REQUIRE(reply);
    if (!first) first = reply;
  }
  // Five transitions of the first batch get priority 1e4; every other one stays at 1, where all entered.
  ddpg::protocol::PriorityUpdate update;
  update.server_instance = first->server_instance;
  std::set<uint64_t> favoured;  // by id (policy_version), which outlives the slot
  for (size_t row = 0; row < first->indices.size() && favoured.size() < 5; ++row) {
    if (!favoured.insert(first->transitions.policy_versions[row]).second) continue;
    update.indices.push_back(first->indices[row]);
    update.generations.push_back(first->generations[row]);
    update.priorities.push_back(1e4f);
  }
  REQUIRE(favoured.size() == 5);
  client.Send(update);
  // Answered after the update, which came first on the same connection: it is applied.
  REQUIRE(client.Exchange<ddpg::protocol::StatsReply>(ddpg::protocol::StatsRequest{}));
  // The snapshot on disk holds the update before the SIGKILL.
  auto favoured_in_snapshot = [&] {
    const auto snapshot = ddpg::ReadPrioritySnapshot(data_dir.path(), 600);
    if (!snapshot.ok() || !snapshot->has_value()) return 0L;
    const std::vector<float>& priorities = (*snapshot)->priorities;
    return std::count_if(priorities.begin(), priorities.end(), [](float p) { return p > 1e3f; });
  };
  REQUIRE(WaitFor([&] { return favoured_in_snapshot() == 5; }, 20s));
  std::optional<ddpg::testing::Scrape> scrape;
  REQUIRE(WaitFor(
      [&] {
        scrape = ScrapeMetrics(metrics_port);
        return scrape && scrape->Value("ddpg_replay_server_priority_snapshots_total").value_or(0.0) >= 1.0;
      },
      10s));
  CHECK(scrape->Value("ddpg_replay_server_failed_priority_snapshots_total") == 0.0);
  replay->Signal(SIGKILL);
  REQUIRE(replay->Wait(5s) == 128 + SIGKILL);

  replay = cluster.StartReplay(args);
  REQUIRE(WaitFor([&] { return QueryReplayStats(cluster.replay_endpoint()).has_value(); }, 10s));
  CHECK_THAT(replay->Log(), Catch::Contains("restored 600 priorities"));
  Client learner(cluster.replay_endpoint());
  // P(favoured) = 5 * 1e4^0.6 / (5 * 1e4^0.6 + 595) = 0.678 with the priorities restored, 5 / 600 without.
  uint64_t favoured_rows = 0, rows = 0;
  std::optional<double> favoured_weight;  // of the first batch after the restart
  for (uint64_t request = 1; request <= 20; ++request) {
    auto reply = learner.Exchange<ddpg::protocol::SampleReply>(ddpg::protocol::SampleRequest{request, 256, 0});
    REQUIRE(reply);
    for (size_t row = 0; row < reply->indices.size(); ++row) {
      ++rows;
      if (!favoured.contains(reply->transitions.policy_versions[row])) continue;
      ++favoured_rows;
      if (request == 1) favoured_weight = reply->weights[row];
    }
  }
  const double fraction = static_cast<double>(favoured_rows) / static_cast<double>(rows);
  INFO("fraction of sampled rows that are the five favoured transitions: " << fraction);
  CHECK(fraction > 0.6);
  CHECK(fraction < 0.75);
  // A batch's largest weight is a transition at p = 1's, so a favoured one weighs (1e4)^(-alpha * beta): beta is
  // 0.4 + 0.6 * 100 / 1000 = 0.46 if the batch count came back with the priorities, 0.4 if it started again.
  REQUIRE(favoured_weight);
  CHECK(*favoured_weight == Approx(std::pow(1e4, -0.6 * (0.4 + 0.6 * kBatchesBefore / 1000.0))).epsilon(1e-3));
}
