// Integration tests: the real replay_server, learner and actor binaries on free 127.0.0.1 ports.
#include <signal.h>

#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <iomanip>
#include <regex>
#include <sstream>
#include <thread>

#include <zmq.hpp>

#include "envs/env_batch.h"
#include "harness.h"
#include "tcp_proxy.h"

using namespace std::chrono_literals;
using ddpg::testing::ChildProcess;
using ddpg::testing::ConnectedActors;
using ddpg::testing::kSmallNetworks;
using ddpg::testing::LastMetric;
using ddpg::testing::LearnerStep;
using ddpg::testing::QueryReplayStats;
using ddpg::testing::TcpProxy;
using ddpg::testing::TestCluster;
using ddpg::testing::TotalInserted;
using ddpg::testing::WaitFor;
using ddpg::testing::WithSmallNetworks;

namespace {

// Deadlines bound a hang, they are not the property tested: a client that never notices a dropped connection
// waits forever, and one that does reconnects in milliseconds when idle but in seconds on a loaded machine.
// Progress (200 updates, 1000 inserts) takes a second at full speed and ten at a twentieth of it.
constexpr auto kReconnectDeadline = 15s;
constexpr auto kProgressDeadline = 30s;

// An actor that asks the replay server for its id; all of them share one command line.
std::unique_ptr<ChildProcess> StartAutoIdActor(const TestCluster& cluster, const std::string& log_name) {
  return std::make_unique<ChildProcess>(
      ddpg::testing::BinaryPath("actor"),
      cluster.Args(WithSmallNetworks({"--actor.auto_id", "true", "--actor.count", "2"})), cluster.LogPath(log_name));
}

std::optional<int> AssignedId(const ChildProcess& actor) {
  static const std::regex kAssigned("actor id ([0-9]+) assigned by the replay server");
  const std::string log = actor.Log();
  std::smatch match;
  if (!std::regex_search(log, match, kAssigned)) return std::nullopt;
  return std::stoi(match[1].str());
}

}  // namespace

TEST_CASE("transitions flow from an actor into the replay server which holds inserts back without a learner") {
  TestCluster cluster("flow");
  auto replay = cluster.StartReplay(kSmallNetworks);
  auto actor = cluster.StartActor(0, 1, kSmallNetworks);
  REQUIRE(WaitFor([&] { return TotalInserted(cluster) >= 1000; }, 20s));
  auto stats = QueryReplayStats(cluster.replay_endpoint());
  REQUIRE(stats);
  CHECK(stats->connected_actors == 1);
  CHECK(stats->replay_size == stats->total_inserted);
  // With nobody sampling, the rate limiter lets inserts run ahead only by min_size + error_buffer / ratio
  // (1000 + 40000 / 64 = 1625 transitions); then the actor waits for acknowledgements.
  std::this_thread::sleep_for(2s);
  stats = QueryReplayStats(cluster.replay_endpoint());
  REQUIRE(stats);
  CHECK(stats->total_inserted <= 1625);
  CHECK(stats->pending_inserts >= 1);
  CHECK(actor->Running());
  CHECK(replay->Running());
}

TEST_CASE("a termination reaches the sampled batch with discount 0 and a terminal next observation") {
  // Hopper-v4 under the actor's random actions falls within tens of steps: many terminations. A transition is
  // terminal exactly when its next observation (the window's last) is unhealthy (z = obs[0] <= 0.7 or |angle = obs[1]|
  // >= 0.2; envs/mujoco/locomotion.cc), so the whole path from the environment through the transition builder, the
  // wire, the store and sampling can be checked row by row: a termination sent as a truncation, a terminal
  // row carrying the next episode's reset observation, or a discount swapped with another field all show.
  // With 3-step returns a row that goes on has discount gamma^3; one whose window met the termination has 0,
  // whichever of the 3 steps it was on (shorter windows with gamma or gamma^2 come only from a time limit or the
  // actor's last flush, neither of which happens here).
  TestCluster cluster("terminal");
  const std::vector<std::string> args = {"--env.id",
                                         "Hopper-v4",
                                         "--actor.n_step",
                                         "3",
                                         "--learner.gamma",
                                         "0.99",
                                         "--replay.min_size_to_sample",
                                         "2000",
                                         "--replay.samples_per_insert",
                                         "1",
                                         "--replay.rate_error_buffer",
                                         "100000"};
  auto replay = cluster.StartReplay(args);
  auto actor = cluster.StartActor(0, 1, args);
  REQUIRE(WaitFor([&] { return TotalInserted(cluster) >= 3000; }, 30s));
  int terminal = 0, going_on = 0;
  for (uint64_t request = 1; request <= 4; ++request) {
    const std::optional<std::string> frame = ddpg::testing::RequestRaw(
        cluster.replay_endpoint(), ddpg::protocol::Encode(ddpg::protocol::SampleRequest{request, 256, 0}), 5s);
    REQUIRE(frame);
    ddpg::StatusOr<ddpg::protocol::Message> message = ddpg::protocol::Decode(*frame);
    REQUIRE(message.ok());
    const auto* reply = std::get_if<ddpg::protocol::SampleReply>(&*message);
    REQUIRE(reply);
    const ddpg::protocol::TransitionBatch& batch = reply->transitions;
    REQUIRE(batch.size() == 256);
    for (size_t row = 0; row < batch.size(); ++row) {
      const float z = batch.next_observations[row * batch.obs_dim];
      const float angle = batch.next_observations[row * batch.obs_dim + 1];
      const bool healthy = z > 0.7f && std::fabs(angle) < 0.2f;
      INFO("row " << row << ": discount " << batch.discounts[row] << ", next z " << z << ", next angle " << angle);
      if (batch.discounts[row] == 0.0f) {
        CHECK_FALSE(healthy);
        ++terminal;
      } else {
        CHECK(batch.discounts[row] == Approx(0.99 * 0.99 * 0.99));
        CHECK(healthy);
        ++going_on;
      }
    }
  }
  // Random hopping falls every 20-40 steps: with 3-step windows, around a tenth of the rows are terminal.
  CHECK(terminal >= 20);
  CHECK(going_on >= 600);
}

TEST_CASE("actors receive increasing weight versions and a late-joining actor gets weights") {
  TestCluster cluster("weights");
  auto replay = cluster.StartReplay(kSmallNetworks);
  auto learner = cluster.StartLearner(kSmallNetworks);
  auto first = cluster.StartActor(0, 2, kSmallNetworks);
  const std::string first_metrics = cluster.MetricsPath("actor-0");
  REQUIRE(WaitFor([&] { return LastMetric(first_metrics, "policy_version").value_or(0) > 0; }, 40s));
  const double version = *LastMetric(first_metrics, "policy_version");
  REQUIRE(WaitFor([&] { return LastMetric(first_metrics, "policy_version").value_or(0) > version; }, 20s));

  // A subscriber that connects now still gets the newest weights within the republish interval.
  zmq::context_t context;
  zmq::socket_t subscriber(context, zmq::socket_type::sub);
  subscriber.set(zmq::sockopt::subscribe, "");
  subscriber.set(zmq::sockopt::rcvtimeo, 3000);
  subscriber.connect(cluster.weights_endpoint());
  zmq::message_t frame;
  REQUIRE(subscriber.recv(frame));
  auto message = ddpg::protocol::Decode(frame.data(), frame.size());
  REQUIRE(message.ok());
  const auto& weights = std::get<ddpg::protocol::Weights>(*message);
  CHECK(weights.version >= version);
  CHECK(weights.obs_dim == 3);
  CHECK(weights.act_dim == 1);
  CHECK(weights.hidden_sizes == std::vector<uint32_t>{64, 64});

  auto late = cluster.StartActor(1, 2, kSmallNetworks);
  REQUIRE(WaitFor([&] { return LastMetric(cluster.MetricsPath("actor-1"), "policy_version").value_or(0) > 0; }, 20s));
  CHECK(learner->Running());
}

TEST_CASE("an actor killed with SIGKILL does not disturb the learner and a restarted one rejoins") {
  TestCluster cluster("kill-actor");
  auto replay = cluster.StartReplay(kSmallNetworks);
  auto learner = cluster.StartLearner(kSmallNetworks);
  auto survivor = cluster.StartActor(0, 2, kSmallNetworks);
  auto victim = cluster.StartActor(1, 2, kSmallNetworks);
  REQUIRE(WaitFor([&] { return LearnerStep(cluster) > 0; }, 40s));
  REQUIRE(WaitFor(
      [&] {
        auto s = QueryReplayStats(cluster.replay_endpoint());
        return s && s->connected_actors == 2;
      },
      10s));

  victim->Signal(SIGKILL);
  REQUIRE(victim->Wait(5s));
  const double step_at_kill = LearnerStep(cluster);
  REQUIRE(WaitFor([&] { return LearnerStep(cluster) > step_at_kill + 100; }, 30s));
  REQUIRE(WaitFor([&] { return ConnectedActors(cluster) == 1; }, 10s));
  CHECK(learner->Running());

  const uint64_t inserted_before = TotalInserted(cluster);
  const size_t old_lines = ddpg::testing::ReadJsonLines(cluster.MetricsPath("actor-1")).size();
  victim = cluster.StartActor(1, 2, kSmallNetworks);
  // The new process has the same actor id and starts its sequence numbers at 0 again; its chunks must
  // be stored, not dropped as duplicates of the old process's.
  auto new_process_acked = [&] {
    const auto lines = ddpg::testing::ReadJsonLines(cluster.MetricsPath("actor-1"));
    return lines.size() > old_lines && lines.back()["acked_transitions"].get<double>() > 0;
  };
  REQUIRE(WaitFor(new_process_acked, 30s));
  REQUIRE(WaitFor([&] { return ConnectedActors(cluster) == 2; }, 10s));
  CHECK(TotalInserted(cluster) > inserted_before);
  auto stats = QueryReplayStats(cluster.replay_endpoint());
  REQUIRE(stats);
  CHECK(stats->duplicates_dropped == 0);
  CHECK(learner->Running());
}

TEST_CASE("actors and learner reconnect by themselves to a restarted replay server") {
  TestCluster cluster("restart-replay");
  auto replay = cluster.StartReplay(kSmallNetworks);
  auto learner = cluster.StartLearner(kSmallNetworks);
  auto actor = cluster.StartActor(0, 1, kSmallNetworks);
  REQUIRE(WaitFor([&] { return LearnerStep(cluster) > 50; }, 40s));

  replay->Signal(SIGKILL);
  REQUIRE(replay->Wait(5s));
  std::this_thread::sleep_for(2s);
  const double step_at_restart = LearnerStep(cluster);
  replay = cluster.StartReplay(kSmallNetworks);

  REQUIRE(WaitFor([&] { return TotalInserted(cluster) >= 1000; }, 30s));                // the actor reconnected
  REQUIRE(WaitFor([&] { return LearnerStep(cluster) > step_at_restart + 100; }, 30s));  // so did the learner
  CHECK(learner->Running());
  CHECK(actor->Running());
  CHECK(learner->Log().find("another replay server instance answers") != std::string::npos);
  // The new server counts from 0 again; the run's env steps go on from where they were.
  double previous = 0.0;
  for (const nlohmann::json& line : ddpg::testing::ReadJsonLines(cluster.MetricsPath("learner"))) {
    const double env_steps = line["env_steps"].get<double>();
    REQUIRE(env_steps >= previous);
    previous = env_steps;
  }
  CHECK(previous > TotalInserted(cluster));
}

TEST_CASE("a replay server restarted within 0.3 s under load is noticed at once: actors and learner resume") {
  // The new server answers heartbeats at once, so a client that waits for the heartbeat timeout never
  // notices that its chunks and sample requests died with the old one.
  TestCluster cluster("fast-restart-replay");
  auto replay = cluster.StartReplay(kSmallNetworks);
  auto learner = cluster.StartLearner(WithSmallNetworks({"--learner.requests_in_flight", "8"}));
  auto first = cluster.StartActor(0, 2, kSmallNetworks);
  auto second = cluster.StartActor(1, 2, kSmallNetworks);
  REQUIRE(WaitFor([&] { return LearnerStep(cluster) > 200; }, 40s));

  replay->Signal(SIGKILL);
  REQUIRE(replay->Wait(5s));
  std::this_thread::sleep_for(300ms);
  replay = cluster.StartReplay(kSmallNetworks);
  const double step_at_restart = LearnerStep(cluster);

  REQUIRE(WaitFor([&] { return TotalInserted(cluster) >= 1500; }, 10s));
  REQUIRE(WaitFor([&] { return LearnerStep(cluster) > step_at_restart + 200; }, 10s));
  auto stats = QueryReplayStats(cluster.replay_endpoint());
  REQUIRE(stats);
  CHECK(stats->connected_actors == 2);
  CHECK(learner->Running());
  CHECK(first->Running());
  CHECK(second->Running());
}

TEST_CASE("dropped connections to a running replay server are noticed at once: actors and learner resume") {
  // The server keeps running, so it answers heartbeats as soon as ZeroMQ has reconnected; but its ROUTER
  // knows each new connection by a new routing id, and the acknowledgements and batches it owed the old
  // ones are undeliverable. A client that waits for the heartbeat timeout waits forever.
  TestCluster cluster("dropped-connections");
  auto replay = cluster.StartReplay(kSmallNetworks);
  TcpProxy proxy(cluster.replay_port());
  auto learner = cluster.StartLearner(
      WithSmallNetworks({"--learner.requests_in_flight", "8", "--replay.address", proxy.endpoint()}));
  auto first = cluster.StartActor(0, 2, WithSmallNetworks({"--replay.address", proxy.endpoint()}));
  auto second = cluster.StartActor(1, 2, WithSmallNetworks({"--replay.address", proxy.endpoint()}));
  REQUIRE(WaitFor([&] { return LearnerStep(cluster) > 200; }, 40s));
  const double step_before_cuts = LearnerStep(cluster);

  // After each cut the learner and both actors connect again through the proxy, and the server stores more
  // than the 2 x 4 chunks of 100 transitions that the actors may have had in flight: they resumed, it is
  // not what was left over. The server answers the learner at once, so a plain cut seldom catches a sample
  // request in flight; the second cut comes after a stall of 0.2 s (well within the heartbeat timeout), and
  // takes all eight with it.
  for (int cut = 1; cut <= 3; ++cut) {
    INFO("cut " << cut);
    const auto before = QueryReplayStats(cluster.replay_endpoint());
    REQUIRE(before);
    const uint64_t accepted = proxy.accepted();
    if (cut == 2) {
      proxy.SetBlackhole(true);
      std::this_thread::sleep_for(200ms);
    }
    proxy.CutAll();
    proxy.SetBlackhole(false);
    REQUIRE(WaitFor([&] { return proxy.accepted() >= accepted + 3; }, kReconnectDeadline));
    REQUIRE(WaitFor(
        [&] {
          const auto stats = QueryReplayStats(cluster.replay_endpoint());
          return stats && stats->total_inserted >= before->total_inserted + 1000 &&
                 stats->total_sampled >= before->total_sampled + 100 * 64;
        },
        kProgressDeadline));
  }
  REQUIRE(WaitFor([&] { return LearnerStep(cluster) > step_before_cuts + 200; }, kProgressDeadline));
  const auto stats = QueryReplayStats(cluster.replay_endpoint());
  REQUIRE(stats);
  CHECK(stats->connected_actors == 2);
  CHECK(replay->Running());
  CHECK(learner->Running());
  CHECK(first->Running());
  CHECK(second->Running());
}

TEST_CASE("after a partition longer than the heartbeat timeout: actors and learner reconnect and resume") {
  // The connections open when the partition began never carry a byte again and nobody resets them (a
  // middlebox forgot them): ZeroMQ does not reconnect by itself, so only the heartbeat timeout notices.
  TestCluster cluster("partition");
  auto replay = cluster.StartReplay(kSmallNetworks);
  TcpProxy proxy(cluster.replay_port());
  auto learner = cluster.StartLearner(
      WithSmallNetworks({"--learner.requests_in_flight", "8", "--replay.address", proxy.endpoint()}));
  auto first = cluster.StartActor(0, 2, WithSmallNetworks({"--replay.address", proxy.endpoint()}));
  auto second = cluster.StartActor(1, 2, WithSmallNetworks({"--replay.address", proxy.endpoint()}));
  REQUIRE(WaitFor([&] { return LearnerStep(cluster) > 200; }, 40s));

  const uint64_t accepted = proxy.accepted();
  proxy.SilenceAll();
  proxy.SetBlackhole(true);
  std::this_thread::sleep_for(2500ms);  // the heartbeat timeout is 1.5 s
  const auto before = QueryReplayStats(cluster.replay_endpoint());
  REQUIRE(before);
  CHECK(before->connected_actors == 0);  // the server's heartbeat timeout ran out too
  proxy.SetBlackhole(false);

  REQUIRE(WaitFor([&] { return proxy.accepted() >= accepted + 3; }, kReconnectDeadline));
  REQUIRE(WaitFor(
      [&] {
        const auto stats = QueryReplayStats(cluster.replay_endpoint());
        return stats && stats->total_inserted >= before->total_inserted + 1000 &&
               stats->total_sampled >= before->total_sampled + 100 * 64;
      },
      kProgressDeadline));
  const double step_after_partition = LearnerStep(cluster);
  REQUIRE(WaitFor([&] { return LearnerStep(cluster) > step_after_partition + 200; }, kProgressDeadline));
  REQUIRE(WaitFor([&] { return ConnectedActors(cluster) == 2; }, kReconnectDeadline));
  CHECK(replay->Running());
  CHECK(learner->Running());
  CHECK(first->Running());
  CHECK(second->Running());
}

TEST_CASE("garbage frames sent to each listening socket are logged and ignored") {
  TestCluster cluster("garbage");
  auto replay = cluster.StartReplay(kSmallNetworks);
  auto learner = cluster.StartLearner(kSmallNetworks);
  auto actor = cluster.StartActor(0, 1, kSmallNetworks);
  REQUIRE(WaitFor([&] { return LearnerStep(cluster) > 0; }, 40s));

  // Replay server (ROUTER): garbage and a frame of another protocol version each get an Error reply.
  auto reply = ddpg::testing::RequestRaw(cluster.replay_endpoint(), "\x01\x02garbage", 2s);
  REQUIRE(reply);
  auto decoded = ddpg::protocol::Decode(*reply);
  REQUIRE(decoded.ok());
  REQUIRE(std::holds_alternative<ddpg::protocol::Error>(*decoded));
  CHECK(std::get<ddpg::protocol::Error>(*decoded).code == ddpg::protocol::ErrorCode::kMalformedFrame);

  std::string other_version = ddpg::protocol::Encode(ddpg::protocol::StatsRequest{});
  other_version[4] = 99;
  reply = ddpg::testing::RequestRaw(cluster.replay_endpoint(), other_version, 2s);
  REQUIRE(reply);
  decoded = ddpg::protocol::Decode(*reply);
  REQUIRE(decoded.ok());
  REQUIRE(std::holds_alternative<ddpg::protocol::Error>(*decoded));
  CHECK(std::get<ddpg::protocol::Error>(*decoded).code == ddpg::protocol::ErrorCode::kVersionMismatch);
  CHECK(std::get<ddpg::protocol::Error>(*decoded).message.find("99") != std::string::npos);

  // Learner (PULL for reports): garbage, a truncated report and a message of the wrong type.
  zmq::context_t context;
  zmq::socket_t push(context, zmq::socket_type::push);
  push.set(zmq::sockopt::linger, 1000);
  push.connect(cluster.reports_endpoint());
  const std::string report = ddpg::protocol::Encode(ddpg::protocol::EpisodeReport{});
  (void)push.send(zmq::buffer(std::string("not a frame at all")), zmq::send_flags::none);
  (void)push.send(zmq::buffer(report.substr(0, report.size() - 3)), zmq::send_flags::none);
  (void)push.send(zmq::buffer(ddpg::protocol::Encode(ddpg::protocol::StatsRequest{})), zmq::send_flags::none);

  REQUIRE(
      WaitFor([&] { return learner->Log().find("rejected a frame on the reports socket") != std::string::npos; }, 10s));
  CHECK(replay->Log().find("undecodable frame") != std::string::npos);
  const double step = LearnerStep(cluster);
  REQUIRE(WaitFor([&] { return LearnerStep(cluster) > step + 50; }, 20s));
  CHECK(QueryReplayStats(cluster.replay_endpoint()).has_value());
  CHECK(replay->Running());
  CHECK(learner->Running());
  CHECK(actor->Running());
}

TEST_CASE("a learner resumed from its checkpoint continues its step count") {
  TestCluster cluster("resume");
  auto replay = cluster.StartReplay(kSmallNetworks);
  auto actor = cluster.StartActor(0, 1, kSmallNetworks);
  auto learner = cluster.StartLearner(WithSmallNetworks({"--learner.max_updates", "300"}));
  REQUIRE(learner->Wait(60s) == std::optional<int>(0));
  REQUIRE(LearnerStep(cluster) >= 300);

  learner = cluster.StartLearner(WithSmallNetworks({"--resume", "--learner.max_updates", "600"}));
  REQUIRE(learner->Wait(60s) == std::optional<int>(0));
  CHECK(learner->Log().find("resumed from") != std::string::npos);
  const auto metrics = ddpg::testing::ReadJsonLines(cluster.MetricsPath("learner"));
  REQUIRE(!metrics.empty());
  CHECK(metrics.back()["step"].get<double>() >= 600);
  CHECK(metrics.back()["step"].get<double>() < 700);  // 300 + 300, not 600 from zero plus 300

  // A learner that trains no more (its replay address has no server) publishes its weights once at start
  // and then only republishes them: an evaluator that joins seconds later still gets them.
  const double final_step = metrics.back()["step"].get<double>();
  learner = cluster.StartLearner(WithSmallNetworks(
      {"--resume", "--replay.address", "tcp://127.0.0.1:" + std::to_string(ddpg::testing::FreePort())}));
  std::this_thread::sleep_for(3s);
  auto evaluator = cluster.StartEvaluator(kSmallNetworks);
  REQUIRE(WaitFor([&] { return LastMetric(cluster.MetricsPath("evaluator-0"), "policy_version").has_value(); }, 20s));
  CHECK(*LastMetric(cluster.MetricsPath("evaluator-0"), "policy_version") == final_step);
  CHECK(learner->Running());
}

namespace {

// The returns of the "best policy so far" lines of a learner's log, in order.
std::vector<double> BestPolicyReturns(const std::string& log) {
  static const std::regex kBest("best policy so far: v[0-9]+ \\(return (-?[0-9.]+)\\)");
  std::vector<double> returns;
  for (auto it = std::sregex_iterator(log.begin(), log.end(), kBest); it != std::sregex_iterator(); ++it) {
    returns.push_back(std::stod((*it)[1].str()));
  }
  return returns;
}

}  // namespace

TEST_CASE("a resumed learner keeps the run's best policy until an evaluation beats it") {
  TestCluster cluster("best-resume");
  auto replay = cluster.StartReplay(kSmallNetworks);
  auto actor = cluster.StartActor(0, 1, kSmallNetworks);
  auto evaluator = cluster.StartEvaluator(kSmallNetworks);
  const std::vector<std::string> training = WithSmallNetworks({"--learner.stop_at_target", "false"});
  auto learner = cluster.StartLearner(training);
  // Several evaluations, so that the best of them is hard for the next one to beat.
  REQUIRE(WaitFor([&] { return BestPolicyReturns(learner->Log()).size() >= 3; }, 60s));
  learner->Signal(SIGTERM);
  REQUIRE(learner->Wait(20s) == std::optional<int>(0));
  const double best = BestPolicyReturns(learner->Log()).back();

  learner = cluster.StartLearner(WithSmallNetworks({"--learner.stop_at_target", "false", "--resume"}));
  const bool evaluated = (WaitFor(
      [&] {
        const std::string log = learner->Log();
        size_t evaluations = 0;
        for (size_t at = log.find("eval: return", log.find("resumed from")); at != std::string::npos;
             at = log.find("eval: return", at + 1)) {
          ++evaluations;
        }
        return evaluations >= 5;
      },
      60s));
  INFO(learner->Log());
  REQUIRE(evaluated);
  // The log file holds both learners' lines: the resumed one's begin at "resumed from".
  const std::string all = learner->Log();
  REQUIRE(all.find("resumed from") != std::string::npos);
  const std::string log = all.substr(all.find("resumed from"));
  INFO(log);
  std::ostringstream best_text;
  best_text << std::fixed << std::setprecision(1) << best;
  CHECK(log.find("keeping the best policy so far, " + cluster.run_directory() + "/best_policy.pt (return " +
                 best_text.str() + ")") != std::string::npos);
  for (const double saved : BestPolicyReturns(log)) CHECK(saved > best);
  CHECK(std::filesystem::exists(cluster.run_directory() + "/best_policy.pt"));
}

// Prioritized replay end to end: the replay server sends weights and generations, the learner trains with
// them and sends its TD errors back, and the server's counters show them applied. A capacity of 1,000 (the
// least min_size_to_sample allows) makes the ring wrap while the learner trains, so that updates also race
// with overwrites; how many arrive stale depends on timing and is not checked.
TEST_CASE("with prioritized replay the learner's priority updates reach the replay server and are applied") {
  TestCluster cluster("prioritized");
  const std::vector<std::string> prioritized =
      WithSmallNetworks({"--replay.sampler", "prioritized", "--replay.capacity", "1000", "--replay.priority_beta_steps",
                         "500", "--learner.max_updates", "400"});
  auto replay = cluster.StartReplay(prioritized);
  auto actor = cluster.StartActor(0, 1, prioritized);
  auto learner = cluster.StartLearner(prioritized);
  REQUIRE(learner->Wait(90s) == std::optional<int>(0));
  const std::string metrics = cluster.MetricsPath("replay_server");
  // The server reports every 0.5 s: wait for one that counts the last updates.
  REQUIRE(WaitFor([&] { return LastMetric(metrics, "priority_updates").value_or(0) >= 400 * 64 * 0.9; }, 10s));
  const nlohmann::json last = ddpg::testing::ReadJsonLines(metrics).back();
  INFO(last.dump());
  const double applied = last["priority_updates"].get<double>();
  const double stale = last["stale_priority_updates"].get<double>();
  // One entry per sampled transition the learner trained on: at most what was sampled.
  CHECK(applied + stale <= last["total_sampled"].get<double>());
  CHECK(applied + stale >= 400 * 64);
  CHECK(last["refused_priority_updates"] == 0);
  // |TD errors| of Pendulum's rewards (-16 .. 0) exceed the initial maximum 1 at first.
  CHECK(last["priority_max"].get<double>() > 1.0);
  CHECK(last["priority_mean"].get<double>() > 0.0);
  CHECK(last["priority_beta"].get<double>() > 0.4);
  const auto learner_metrics = ddpg::testing::ReadJsonLines(cluster.MetricsPath("learner"));
  REQUIRE_FALSE(learner_metrics.empty());
  CHECK(learner_metrics.back()["step"].get<double>() >= 400);
  CHECK(learner_metrics.back()["rejected_batches"] == 0);
  CHECK(std::isfinite(learner_metrics.back()["critic_loss"].get<double>()));
  CHECK(replay->Running());
}

TEST_CASE("actors started with one command line and auto ids get distinct ids and a successor gets the freed one") {
  TestCluster cluster("auto-id");
  auto replay = cluster.StartReplay(kSmallNetworks);
  auto first = StartAutoIdActor(cluster, "auto-first");
  auto second = StartAutoIdActor(cluster, "auto-second");
  REQUIRE(WaitFor([&] { return AssignedId(*first) && AssignedId(*second); }, 20s));
  const int first_id = *AssignedId(*first);
  const int second_id = *AssignedId(*second);
  CHECK(std::min(first_id, second_id) == 0);
  CHECK(std::max(first_id, second_id) == 1);
  // Each explores with its own noise scale (configs/pendulum.ini: 0.2 for actor 0, 0.2^2 for actor 1)
  // and writes its metrics under its own id.
  auto logs_sigma = [](ChildProcess& actor, int id) {
    return actor.Log().find(id == 0 ? "sigma 0.2000" : "sigma 0.0400") != std::string::npos;
  };
  CHECK(WaitFor([&] { return logs_sigma(*first, first_id); }, 10s));
  CHECK(WaitFor([&] { return logs_sigma(*second, second_id); }, 10s));
  REQUIRE(WaitFor(
      [&] {
        return LastMetric(cluster.MetricsPath("actor-0"), "env_steps").has_value() &&
               LastMetric(cluster.MetricsPath("actor-1"), "env_steps").has_value();
      },
      20s));
  auto connected = [&](uint32_t count) {
    const auto stats = QueryReplayStats(cluster.replay_endpoint());
    return stats && stats->connected_actors == count;
  };
  REQUIRE(WaitFor([&] { return connected(2); }, 10s));

  // Once the killed actor's heartbeat timeout (1.5 s here) has passed, its id is the lowest free one.
  second->Signal(SIGKILL);
  REQUIRE(second->Wait(5s));
  REQUIRE(WaitFor([&] { return connected(1); }, 10s));
  auto successor = StartAutoIdActor(cluster, "auto-successor");
  REQUIRE(WaitFor([&] { return AssignedId(*successor).has_value(); }, 20s));
  CHECK(*AssignedId(*successor) == second_id);
  REQUIRE(WaitFor([&] { return connected(2); }, 10s));
  CHECK(first->Running());
  CHECK(successor->Running());
}

TEST_CASE("a short training run on Pendulum-v1 clearly beats a random policy") {
  // The random policy's mean return over 10 episodes, measured here with the same environment.
  auto envs = ddpg::EnvBatch::Create("Pendulum-v1", 10, 12345);
  REQUIRE(envs.ok());
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<float> torque(-2.0f, 2.0f);
  std::vector<float> actions(10);
  ddpg::StepOutput output;
  double random_total = 0.0;
  for (int t = 0; t < 200; ++t) {
    for (float& a : actions) a = torque(rng);
    (*envs)->Step(actions, output);
    for (float r : output.rewards) random_total += r;
  }
  const double random_return = random_total / 10;

  TestCluster cluster("train");
  const std::vector<std::string> budget = {"--learner.max_env_steps", "20000", "--learner.target_eval_return", "-400",
                                           "--run.report_interval_s", "2"};
  auto replay = cluster.StartReplay(budget);
  auto actor0 = cluster.StartActor(0, 2, budget);
  auto actor1 = cluster.StartActor(1, 2, budget);
  auto evaluator = cluster.StartEvaluator(budget);
  auto learner = cluster.StartLearner(budget);
  REQUIRE(learner->Wait(170s) == std::optional<int>(0));

  double best = -1e9;
  const auto metrics = ddpg::testing::ReadJsonLines(cluster.MetricsPath("learner"));
  REQUIRE(metrics.size() >= 3);
  for (const auto& object : metrics) {
    // Other tools read these names: every object carries all of them.
    for (const char* key :
         {"t", "step", "env_steps", "updates_per_s", "replay_size", "critic_loss", "actor_loss", "q_mean"}) {
      INFO(object.dump() << " lacks " << key);
      CHECK(object.contains(key));
    }
    if (object.contains("eval_return")) best = std::max(best, object["eval_return"].get<double>());
  }
  CHECK(metrics.back()["critic_loss"].is_number());
  CHECK(metrics.back()["stop_reason"].get<std::string>().find("target") != std::string::npos);
  INFO("random policy " << random_return << ", best evaluation " << best);
  CHECK(random_return < -900);
  CHECK(best > random_return + 500);
}

TEST_CASE("with learner.threads = auto the learner measures each thread count and logs the one it keeps") {
  if (std::thread::hardware_concurrency() < 2) {
    WARN("one core: auto has no other count to measure");
    return;
  }
  TestCluster cluster("threads-auto");
  const std::vector<std::string> args =
      WithSmallNetworks({"--learner.threads", "auto", "--learner.stop_at_target", "false"});
  auto replay = cluster.StartReplay(args);
  auto actor = cluster.StartActor(0, 1, args);
  auto learner = cluster.StartLearner(args);
  // The first choice follows one 3-second probe per count once training runs.
  CHECK(WaitFor([&] { return learner->Log().find("learner.threads = auto: ") != std::string::npos; }, 60s));
  const std::string log = learner->Log();
  INFO(log);
  CHECK_THAT(log, Catch::Contains("threads measured among 1,2"));
  CHECK_THAT(log,
             Catch::Contains("(updates/s measured: ") && Catch::Contains(" with 1, ") && Catch::Contains(" with 2"));
}

TEST_CASE("a fresh learner against a replay server that served another run does not inherit its env steps") {
  TestCluster cluster("fresh-run-old-server");
  auto replay = cluster.StartReplay(kSmallNetworks);
  auto actor = cluster.StartActor(0, 1, kSmallNetworks);
  auto learner = cluster.StartLearner(WithSmallNetworks({"--learner.max_updates", "200"}));
  REQUIRE(learner->Wait(60s) == std::optional<int>(0));

  // The server keeps running and keeps its transitions; a new run (another run directory) starts.
  const uint64_t inserted_before = TotalInserted(cluster);
  REQUIRE(inserted_before > 0);
  const std::string other_metrics = cluster.run_directory() + "-other/learner.metrics.jsonl";
  learner = cluster.StartLearner(
      WithSmallNetworks({"--run.name", "fresh-run-old-server-other", "--learner.max_updates", "100"}));
  REQUIRE(learner->Wait(60s) == std::optional<int>(0));
  const std::optional<double> env_steps = LastMetric(other_metrics, "env_steps");
  REQUIRE(env_steps.has_value());
  // Only what was inserted while the new run sampled counts, not the earlier run's transitions.
  CHECK(*env_steps < static_cast<double>(inserted_before));
  CHECK(*env_steps <= static_cast<double>(TotalInserted(cluster) - inserted_before));
}

TEST_CASE("an evaluation report about weights the learner never published cannot stop the run") {
  TestCluster cluster("unpublished-eval");
  auto replay = cluster.StartReplay(kSmallNetworks);
  auto actor = cluster.StartActor(0, 1, kSmallNetworks);
  auto learner = cluster.StartLearner(WithSmallNetworks({"--learner.target_eval_return", "-1000"}));
  REQUIRE(WaitFor([&] { return LearnerStep(cluster) > 100; }, 40s));

  // As if queued in an evaluator's PUSH socket from an earlier learner process: above the target, of a
  // version this learner has not reached, of another learner instance.
  zmq::context_t context;
  zmq::socket_t push(context, zmq::socket_type::push);
  push.set(zmq::sockopt::linger, 1000);
  push.connect(cluster.reports_endpoint());
  ddpg::protocol::EpisodeReport report;
  report.evaluation = true;
  report.episode_return = -100.0;
  report.episodes = 10;
  report.policy_version = 1000000;
  report.learner_instance = 0x5eed;
  REQUIRE(push.send(zmq::buffer(ddpg::protocol::Encode(report)), zmq::send_flags::none).has_value());

  REQUIRE(WaitFor([&] { return learner->Log().find("ignoring an evaluation report") != std::string::npos; }, 10s));
  std::this_thread::sleep_for(1s);
  CHECK(learner->Running());
  CHECK(learner->Log().find("reached the target") == std::string::npos);
}

TEST_CASE("a run stopped at the target saves and publishes last the weights that were evaluated") {
  TestCluster cluster("evaluated-weights");
  zmq::context_t context;
  zmq::socket_t weights(context, zmq::socket_type::sub);
  weights.set(zmq::sockopt::subscribe, "");
  weights.connect(cluster.weights_endpoint());
  std::optional<ddpg::protocol::Weights> last_weights;
  auto drain_weights = [&] {
    zmq::message_t frame;
    while (weights.recv(frame, zmq::recv_flags::dontwait)) {
      auto decoded = ddpg::protocol::Decode(frame.data(), frame.size());
      if (decoded.ok() && std::holds_alternative<ddpg::protocol::Weights>(*decoded)) {
        last_weights = std::get<ddpg::protocol::Weights>(*decoded);
      }
    }
  };

  auto replay = cluster.StartReplay(kSmallNetworks);
  auto actor = cluster.StartActor(0, 1, kSmallNetworks);
  // Every policy, even a random one, scores above -2000 on Pendulum: the first evaluation stops the run.
  auto learner = cluster.StartLearner(WithSmallNetworks({"--learner.target_eval_return", "-2000"}));
  REQUIRE(WaitFor([&] { return LearnerStep(cluster) > 100; }, 40s));
  auto evaluator = cluster.StartEvaluator(kSmallNetworks);
  REQUIRE(WaitFor(
      [&] {
        drain_weights();
        return !learner->Running();
      },
      40s));
  std::this_thread::sleep_for(200ms);
  drain_weights();

  static const std::regex kStopped("reached the target -2000.0 \\(policy v([0-9]+)\\)");
  const std::string log = learner->Log();
  std::smatch match;
  REQUIRE(std::regex_search(log, match, kStopped));
  const uint64_t evaluated = std::stoull(match[1].str());
  CHECK(log.find("best policy so far: v" + std::to_string(evaluated) + " ") != std::string::npos);
  CHECK(std::filesystem::exists(cluster.run_directory() + "/best_policy.pt"));
  REQUIRE(last_weights.has_value());
  CHECK(last_weights->version == evaluated);
  INFO("learner step at the stop: " << LearnerStep(cluster));
}

TEST_CASE("a cluster flooded with malformed frames at every listening socket keeps training") {
  TestCluster cluster("fuzzed");
  // The shipped Pendulum configuration: batches of 256 from a large buffer are sure to hold fuzzed rows.
  auto replay = cluster.StartReplay();
  auto learner = cluster.StartLearner();
  auto actor = cluster.StartActor(0, 1);
  REQUIRE(WaitFor([&] { return LearnerStep(cluster) > 100; }, 40s));

  ChildProcess fuzz(
      ddpg::testing::BinaryPath("fuzz_cluster"),
      {"--replay", cluster.replay_endpoint(), "--reports", cluster.reports_endpoint(), "--frames", "30000"},
      cluster.LogPath("fuzz_cluster"));
  REQUIRE(fuzz.Wait(60s) == std::optional<int>(0));
  INFO(fuzz.Log());

  // Bit-flipped chunks that decode can hold huge finite values: the learner must skip what would make its
  // networks non-finite, and go on training on the actor's transitions.
  // Non-finite networks would show as NaN losses (null in the metrics) and as NaN actions, which make the
  // actor's observations NaN and every chunk of it refused.
  const double step = LearnerStep(cluster);
  const uint64_t inserted = TotalInserted(cluster);
  REQUIRE(WaitFor([&] { return LearnerStep(cluster) > step + 200; }, 30s));
  REQUIRE(WaitFor([&] { return TotalInserted(cluster) > inserted + 2000; }, 30s));
  const std::vector<nlohmann::json> metrics = ddpg::testing::ReadJsonLines(cluster.MetricsPath("learner"));
  REQUIRE(!metrics.empty());
  CHECK(metrics.back()["critic_loss"].is_number());
  CHECK(metrics.back()["actor_loss"].is_number());
  CHECK(replay->Running());
  CHECK(learner->Running());
  CHECK(actor->Running());
}

// The same flood against prioritized replay, whose fuzzed frames include priority updates for the server's
// own instance with NaN, infinite, negative and huge (1e29, in range, and 3e38) priorities. Refused ones
// must change nothing; applied huge ones make the running maximum huge, which must not make an
// importance weight or a loss non-finite.
TEST_CASE("a prioritized cluster flooded with absurd priority updates keeps training") {
  TestCluster cluster("fuzzed-prioritized");
  const std::vector<std::string> prioritized = WithSmallNetworks({"--replay.sampler", "prioritized"});
  auto replay = cluster.StartReplay(prioritized);
  auto learner = cluster.StartLearner(prioritized);
  auto actor = cluster.StartActor(0, 1, prioritized);
  REQUIRE(WaitFor([&] { return LearnerStep(cluster) > 100; }, 40s));

  ChildProcess fuzz(ddpg::testing::BinaryPath("fuzz_cluster"),
                    {"--replay", cluster.replay_endpoint(), "--frames", "20000"}, cluster.LogPath("fuzz_cluster"));
  REQUIRE(fuzz.Wait(60s) == std::optional<int>(0));
  INFO(fuzz.Log());
  const double step = LearnerStep(cluster);
  REQUIRE(WaitFor([&] { return LearnerStep(cluster) > step + 200; }, 30s));
  const std::string replay_metrics = cluster.MetricsPath("replay_server");
  REQUIRE(WaitFor([&] { return LastMetric(replay_metrics, "refused_priority_updates").value_or(0) > 0; }, 20s));
  const std::vector<nlohmann::json> metrics = ddpg::testing::ReadJsonLines(cluster.MetricsPath("learner"));
  REQUIRE(!metrics.empty());
  CHECK(metrics.back()["critic_loss"].is_number());
  CHECK(metrics.back()["actor_loss"].is_number());
  CHECK(metrics.back()["rejected_batches"] == 0);
  CHECK(replay->Running());
  CHECK(learner->Running());
  CHECK(actor->Running());
}
