// Integration tests of the Prometheus endpoints (run.metrics_port): the real binaries serve, at /metrics,
// the values of the metrics objects they write, under names that follow Prometheus' conventions.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "harness.h"
#include "tests/prometheus_scrape.h"

using namespace std::chrono_literals;
using ddpg::testing::BinaryPath;
using ddpg::testing::ChildProcess;
using ddpg::testing::FreePort;
using ddpg::testing::kSmallNetworks;
using ddpg::testing::QueryReplayStats;
using ddpg::testing::ReadJsonLines;
using ddpg::testing::Scrape;
using ddpg::testing::ScrapeMetrics;
using ddpg::testing::TestCluster;
using ddpg::testing::WaitFor;

namespace {

std::vector<std::string> SmallServingMetricsOn(int port, std::vector<std::string> extra = {}) {
  extra.insert(extra.begin(), kSmallNetworks.begin(), kSmallNetworks.end());
  extra.insert(extra.end(), {"--run.metrics_port", std::to_string(port), "--run.metrics_bind", "127.0.0.1"});
  return extra;
}

// Served series and the metrics-object field it must equal.
using Wiring = std::vector<std::pair<std::string, std::string>>;

// Whether a scrape of `port`, taken while the process's metrics file kept its last object, shows exactly
// that object's value for every series of `wiring` (the endpoint publishes each object right after
// writing it, so a scrape in between may still show the one before: the caller retries). Every value must
// be nonzero: in an object from before anything happened, a wrongly wired series would match by chance.
bool ServedAsWritten(int port, const std::string& metrics_path, const Wiring& wiring) {
  const std::vector<nlohmann::json> before = ReadJsonLines(metrics_path);
  const std::optional<Scrape> scrape = ScrapeMetrics(port);
  const std::vector<nlohmann::json> after = ReadJsonLines(metrics_path);
  if (!scrape || before.empty() || before.size() != after.size()) return false;
  for (const auto& [series, field] : wiring) {
    const std::optional<double> served = scrape->Value(series);
    if (!served || !after.back()[field].is_number() || *served != after.back()[field].get<double>() || *served == 0) {
      return false;
    }
  }
  return true;
}

double Served(int port, const std::string& series) {
  const std::optional<Scrape> scrape = ScrapeMetrics(port);
  return scrape ? scrape->Value(series).value_or(-1.0) : -1.0;
}

// The families of ours (not prometheus-cpp's) a scrape of `port` shows, with their types.
std::map<std::string, std::string> OurFamilies(int port) {
  std::map<std::string, std::string> ours;
  if (const std::optional<Scrape> scrape = ScrapeMetrics(port)) {
    for (const auto& [name, type] : scrape->types) {
      if (name.rfind("ddpg_", 0) == 0) ours[name] = type;
    }
  }
  return ours;
}

// Every field of the process's table is served once its value is known (a misspelt field never is), as
// ddpg_<process>_..., counters and only counters ending in _total.
void CheckNames(int port, const std::string& process, size_t table_size) {
  INFO(process);
  std::map<std::string, std::string> families;
  const bool complete = WaitFor(
      [&] {
        families = OurFamilies(port);
        return families.size() == table_size;
      },
      20s);
  // On a failure, the families that were served say which field is missing or extra.
  std::string served;
  for (const auto& [name, type] : families) served += name + " ";
  INFO("served: " << served);
  CHECK(complete);
  for (const auto& [name, type] : families) {
    INFO(name << " (" << type << ")");
    CHECK(name.rfind("ddpg_" + process + "_", 0) == 0);
    const bool total = name.size() > 6 && name.compare(name.size() - 6, 6, "_total") == 0;
    CHECK(total == (type == "counter"));
    CHECK((type == "counter" || type == "gauge"));
  }
}

}  // namespace

TEST_CASE("every process serves the values of its latest metrics object at /metrics") {
  TestCluster cluster("prometheus");
  const int replay_port = FreePort(), learner_port = FreePort(), actor_port = FreePort(), eval_port = FreePort();
  auto replay = cluster.StartReplay(SmallServingMetricsOn(replay_port));
  // Training goes on past the target return, which Pendulum reaches within seconds, while the test looks.
  auto learner = cluster.StartLearner(SmallServingMetricsOn(learner_port, {"--learner.stop_at_target", "false"}));
  auto actor = cluster.StartActor(0, 1, SmallServingMetricsOn(actor_port));
  auto evaluator = cluster.StartEvaluator(SmallServingMetricsOn(eval_port, {"--actor.eval_episodes", "2"}));
  REQUIRE(WaitFor([&] { return Served(learner_port, "ddpg_learner_updates_total") > 0; }, 60s));

  CHECK(WaitFor(
      [&] {
        return ServedAsWritten(replay_port, cluster.MetricsPath("replay_server"),
                               {{"ddpg_replay_server_inserted_transitions_total", "total_inserted"},
                                {"ddpg_replay_server_sampled_transitions_total", "total_sampled"},
                                {"ddpg_replay_server_stored_transitions", "replay_size"},
                                {"ddpg_replay_server_connected_actors", "connected_actors"}});
      },
      20s));
  CHECK(WaitFor(
      [&] {
        return ServedAsWritten(learner_port, cluster.MetricsPath("learner"),
                               {{"ddpg_learner_updates_total", "step"}, {"ddpg_learner_env_steps_total", "env_steps"}});
      },
      20s));
  CHECK(WaitFor(
      [&] {
        return ServedAsWritten(actor_port, cluster.MetricsPath("actor-0"),
                               {{"ddpg_actor_env_steps_total{actor_id=\"0\"}", "env_steps"},
                                {"ddpg_actor_acked_transitions_total{actor_id=\"0\"}", "acked_transitions"},
                                {"ddpg_actor_policy_version{actor_id=\"0\"}", "policy_version"}});
      },
      20s));
  CHECK(WaitFor(
      [&] {
        return ServedAsWritten(eval_port, cluster.MetricsPath("evaluator-0"),
                               {{"ddpg_evaluator_evaluations_total{actor_id=\"0\"}", "evaluations"},
                                {"ddpg_evaluator_mean_return{actor_id=\"0\"}", "eval_return"}});
      },
      40s));

  // The counters move: a served value that stood still would match the file only until its next object.
  const double updates = Served(learner_port, "ddpg_learner_updates_total");
  const double inserted = Served(replay_port, "ddpg_replay_server_inserted_transitions_total");
  CHECK(WaitFor([&] { return Served(learner_port, "ddpg_learner_updates_total") > updates; }, 20s));
  CHECK(WaitFor([&] { return Served(replay_port, "ddpg_replay_server_inserted_transitions_total") > inserted; }, 20s));

  CheckNames(replay_port, "replay_server", 13);
  CheckNames(learner_port, "learner", 13);
  CheckNames(actor_port, "actor", 8);
  CheckNames(eval_port, "evaluator", 5);

  // Once the only actor has stopped, the server's count stands still and the served counter reaches the
  // number its stats reply gives.
  actor->Signal(SIGTERM);
  REQUIRE(actor->Wait(10s) == std::optional<int>(0));
  CHECK(WaitFor(
      [&] {
        const std::optional<ddpg::protocol::StatsReply> stats = QueryReplayStats(cluster.replay_endpoint());
        return stats && stats->total_inserted > 0 &&
               Served(replay_port, "ddpg_replay_server_inserted_transitions_total") ==
                   static_cast<double>(stats->total_inserted);
      },
      10s));
}

TEST_CASE("a metrics port in use stops every binary with exit code 1 naming the key, as a busy bind does") {
  TestCluster cluster("prometheus-port-in-use");
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  REQUIRE(listen(fd, 1) == 0);
  socklen_t length = sizeof address;
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  const int taken = ntohs(address.sin_port);

  for (const std::string binary : {"replay_server", "learner", "actor"}) {
    INFO(binary);
    ChildProcess process(BinaryPath(binary), cluster.Args(SmallServingMetricsOn(taken)), cluster.LogPath(binary));
    CHECK(process.Wait(20s) == std::optional<int>(1));
    CHECK_THAT(process.Log(), Catch::Contains("run.metrics_port") && Catch::Contains("Address already in use"));
  }
  // The replay server's own socket on that port: the same exit code.
  ChildProcess replay(BinaryPath("replay_server"),
                      cluster.Args({"--replay.bind", "tcp://127.0.0.1:" + std::to_string(taken)}),
                      cluster.LogPath("replay_server-bind"));
  CHECK(replay.Wait(20s) == std::optional<int>(1));
  CHECK_THAT(replay.Log(), Catch::Contains("replay.bind") && Catch::Contains("Address already in use"));
  close(fd);
}
