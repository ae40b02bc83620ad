// Integration tests of what an actor does with its last transitions when it is stopped while the replay
// server holds its chunks back: the real replay_server and actor binaries, and the test itself as the
// learner that frees the server's rate limiter.
#include <signal.h>

#include <catch2/catch.hpp>

#include <regex>
#include <thread>

#include <zmq.hpp>

#include "harness.h"

using namespace std::chrono_literals;
using ddpg::testing::ChildProcess;
using ddpg::testing::LastMetric;
using ddpg::testing::QueryReplayStats;
using ddpg::testing::TestCluster;
using ddpg::testing::WaitFor;

namespace {

constexpr uint64_t kChunkSize = 100;

// Samples per insert 1, min size 100 and an error buffer of 100 let the server store 200 transitions
// without a learner (max_diff = 1 * 100 + 100); each further chunk of 100 needs 100 more sampled. With one
// chunk in flight the actor sends chunks 1 and 2, chunk 3 is held at the server, and the actor fills
// chunk 4 and waits for credit: 400 env steps (one transition each: one-step returns, so that every step's
// transition is complete at once).
const std::vector<std::string> kHeldBack = {"--actor.n_step",
                                            "1",
                                            "--network.hidden_sizes",
                                            "64,64",
                                            "--learner.batch_size",
                                            "64",
                                            "--replay.samples_per_insert",
                                            "1",
                                            "--replay.min_size_to_sample",
                                            "100",
                                            "--replay.rate_error_buffer",
                                            "100",
                                            "--actor.num_envs",
                                            "2",
                                            "--actor.chunk_size",
                                            std::to_string(kChunkSize),
                                            "--actor.max_chunks_in_flight",
                                            "1"};
constexpr uint64_t kStepsWhenBlocked = 4 * kChunkSize;

// Waits until the server holds the actor's third chunk back and the actor has filled its fourth.
bool ActorBlockedOnCredit(const TestCluster& cluster) {
  const std::string metrics = cluster.MetricsPath("actor-0");
  return WaitFor(
      [&] {
        auto stats = QueryReplayStats(cluster.replay_endpoint());
        return stats && stats->pending_inserts == 1 && stats->total_inserted == 2 * kChunkSize &&
               LastMetric(metrics, "in_flight") == 1.0 && LastMetric(metrics, "env_steps") == kStepsWhenBlocked;
      },
      30s);
}

struct FinalCounts {
  uint64_t env_steps;
  uint64_t acknowledged;
  uint64_t undelivered;
};

// The counts of the actor's last log line.
std::optional<FinalCounts> ParseFinalCounts(const std::string& log) {
  static const std::regex kFinal(
      "actor 0 stopped after ([0-9]+) env steps, [0-9]+ episodes: ([0-9]+) transitions acknowledged, "
      "([0-9]+) not delivered");
  std::smatch match;
  if (!std::regex_search(log, match, kFinal)) return std::nullopt;
  return FinalCounts{std::stoull(match[1].str()), std::stoull(match[2].str()), std::stoull(match[3].str())};
}

// Acts as a learner: keeps one SampleRequest outstanding at the replay server, so that its rate limiter
// lets held-back inserts in as samples are taken.
class Sampler {
 public:
  explicit Sampler(const std::string& endpoint) : socket_(context_, zmq::socket_type::dealer) {
    socket_.set(zmq::sockopt::linger, 0);
    socket_.connect(endpoint);
  }

  // Sends a request unless one is outstanding, then waits up to `timeout` for its reply.
  void SampleFor(std::chrono::milliseconds timeout) {
    if (!outstanding_) {
      const ddpg::protocol::SampleRequest request{.request_id = ++next_request_id_, .batch_size = 50};
      (void)socket_.send(zmq::buffer(ddpg::protocol::Encode(request)), zmq::send_flags::none);
      outstanding_ = true;
    }
    zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, timeout) == 0) return;
    zmq::message_t reply;
    if (!socket_.recv(reply, zmq::recv_flags::none)) return;
    auto message = ddpg::protocol::Decode(reply.data(), reply.size());
    REQUIRE(message.ok());
    REQUIRE(std::holds_alternative<ddpg::protocol::SampleReply>(*message));
    outstanding_ = false;
  }

 private:
  zmq::context_t context_;
  zmq::socket_t socket_;
  uint64_t next_request_id_ = 0;
  bool outstanding_ = false;
};

}  // namespace

TEST_CASE("an actor stopped while waiting for credit delivers its last chunk once the server lets it in") {
  TestCluster cluster("stop-deliver");
  auto replay = cluster.StartReplay(kHeldBack);
  auto actor = cluster.StartActor(0, 1, kHeldBack);
  REQUIRE(ActorBlockedOnCredit(cluster));

  const auto stop_sent = std::chrono::steady_clock::now();
  actor->Signal(SIGTERM);
  // The stop must be seen while the actor still waits for credit, not after the sampling below gave some.
  std::this_thread::sleep_for(300ms);
  Sampler sampler(cluster.replay_endpoint());
  std::optional<int> exit_code;
  while (!(exit_code = actor->Wait(0ms)) && std::chrono::steady_clock::now() - stop_sent < 5s) {
    sampler.SampleFor(50ms);
  }
  const double seconds_to_exit = std::chrono::duration<double>(std::chrono::steady_clock::now() - stop_sent).count();
  INFO(actor->Log());
  REQUIRE(exit_code == std::optional<int>(0));
  CHECK(seconds_to_exit < 3.0);

  // Every transition the actor produced reached the server, and the actor says so.
  auto stats = QueryReplayStats(cluster.replay_endpoint());
  REQUIRE(stats);
  CHECK(stats->total_inserted == kStepsWhenBlocked);
  const std::optional<FinalCounts> counts = ParseFinalCounts(actor->Log());
  REQUIRE(counts);
  CHECK(counts->env_steps == kStepsWhenBlocked);
  CHECK(counts->undelivered == 0);
  CHECK(counts->acknowledged + counts->undelivered == counts->env_steps);
  CHECK(stats->total_inserted == counts->acknowledged);
  CHECK(LastMetric(cluster.MetricsPath("actor-0"), "acked_transitions") == static_cast<double>(counts->acknowledged));
  CHECK(LastMetric(cluster.MetricsPath("actor-0"), "undelivered_transitions") == 0.0);
}

TEST_CASE("an actor stopped while the server never frees credit exits after the drain deadline and counts the loss") {
  TestCluster cluster("stop-undelivered");
  auto replay = cluster.StartReplay(kHeldBack);
  auto actor = cluster.StartActor(0, 1, kHeldBack);
  REQUIRE(ActorBlockedOnCredit(cluster));

  const auto stop_sent = std::chrono::steady_clock::now();
  actor->Signal(SIGTERM);
  const std::optional<int> exit_code = actor->Wait(5s);
  const double seconds_to_exit = std::chrono::duration<double>(std::chrono::steady_clock::now() - stop_sent).count();
  INFO(actor->Log());
  REQUIRE(exit_code == std::optional<int>(0));
  CHECK(seconds_to_exit < 3.0);  // the 2 s drain deadline and the process's exit

  // Lost: the chunk the server still holds back, and the full chunk that never got credit.
  const std::optional<FinalCounts> counts = ParseFinalCounts(actor->Log());
  REQUIRE(counts);
  CHECK(counts->env_steps == kStepsWhenBlocked);
  CHECK(counts->undelivered == 2 * kChunkSize);
  CHECK(counts->undelivered == counts->env_steps - counts->acknowledged);
  auto stats = QueryReplayStats(cluster.replay_endpoint());
  REQUIRE(stats);
  CHECK(stats->total_inserted == counts->acknowledged);
  CHECK(LastMetric(cluster.MetricsPath("actor-0"), "undelivered_transitions") ==
        static_cast<double>(counts->undelivered));
}

// With n-step returns the last n - 1 steps of every environment wait in the transition builder for the steps
// that would complete them. An actor that stops mid-episode completes them as if truncated and delivers
// them: 150 env steps of two environments with n = 5 leave 2 x 4 steps waiting, which must still arrive.
TEST_CASE("an actor that stops mid-episode delivers the transitions still waiting in its n-step windows") {
  const std::vector<std::string> args = {
      "--actor.n_step",        "5",   "--actor.num_envs",           "2",  "--actor.chunk_size", "64",
      "--actor.max_env_steps", "150", "--replay.rate_error_buffer", "1e9"};
  TestCluster cluster("stop-n-step");
  auto replay = cluster.StartReplay(args);
  auto actor = cluster.StartActor(0, 1, args);
  const std::optional<int> exit_code = actor->Wait(30s);
  INFO(actor->Log());
  REQUIRE(exit_code == std::optional<int>(0));
  const std::optional<FinalCounts> counts = ParseFinalCounts(actor->Log());
  REQUIRE(counts);
  CHECK(counts->env_steps == 150);
  CHECK(counts->acknowledged == 150);
  CHECK(counts->undelivered == 0);
  auto stats = QueryReplayStats(cluster.replay_endpoint());
  REQUIRE(stats);
  CHECK(stats->total_inserted == 150);
}
