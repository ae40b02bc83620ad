// Integration tests of run.security = curve: the real binaries on free 127.0.0.1 ports with keys made by
// ddpg_keys (common/curve_security.h, docs/operations.md, "Security").
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <thread>

#include "harness.h"

using namespace std::chrono_literals;
using ddpg::testing::ChildProcess;
using ddpg::testing::kSmallNetworks;
using ddpg::testing::LastMetric;
using ddpg::testing::LearnerStep;
using ddpg::testing::QueryReplayStats;
using ddpg::testing::TempDir;
using ddpg::testing::TestCluster;
using ddpg::testing::WaitFor;

namespace {

std::string Read(const std::string& path) {
  std::ifstream file(path);
  return std::string(std::istreambuf_iterator<char>(file), {});
}

// Runs ddpg_keys with `args` to its end; its exit code, and its output in `output` if given.
int RunKeysTool(const TempDir& dir, const std::vector<std::string>& args, std::string* output = nullptr) {
  const std::string log = dir.File("ddpg_keys.out");
  std::filesystem::remove(log);
  ChildProcess tool(ddpg::testing::BinaryPath("ddpg_keys"), args, log);
  const std::optional<int> code = tool.Wait(10s);
  REQUIRE(code);
  if (output != nullptr) *output = tool.Log();
  return *code;
}

// A cluster's keys, made by ddpg_keys: the servers' pair, "client" (allowed) and "stranger" (not allowed).
class ClusterKeys {
 public:
  ClusterKeys() {
    REQUIRE(RunKeysTool(dir_, {"--dir", dir_.path(), "server"}) == 0);
    REQUIRE(RunKeysTool(dir_, {"--dir", dir_.path(), "--allow", allowlist(), "client"}) == 0);
    REQUIRE(RunKeysTool(dir_, {"--dir", dir_.path(), "stranger"}) == 0);
  }
  std::string File(const std::string& name) const { return dir_.File(name); }
  std::string allowlist() const { return dir_.File("allowed_clients"); }

  // The options that turn CURVE on, with `client`'s secret key.
  std::vector<std::string> Args(const std::string& client = "client", std::vector<std::string> extra = {}) const {
    std::vector<std::string> args = kSmallNetworks;
    args.insert(args.end(), {"--run.security", "curve", "--run.server_public_key_file", File("server.public"),
                             "--run.server_secret_key_file", File("server.secret"), "--run.client_secret_key_file",
                             File(client + ".secret"), "--run.allowed_clients_file", allowlist()});
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }
  ddpg::CurveClientKeys Client(const std::string& name) const {
    ddpg::RunConfig run;
    run.security = ddpg::Security::kCurve;
    run.server_public_key_file = File("server.public");
    run.client_secret_key_file = File(name + ".secret");
    ddpg::StatusOr<ddpg::SocketSecurity> security = ddpg::LoadSocketSecurity(run, ddpg::SocketRoles::kClient);
    REQUIRE(security.ok());
    return *security->client;
  }

 private:
  TempDir dir_;
};

bool Contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("a curve cluster trains over all three sockets and a plain client gets nothing") {
  TestCluster cluster("curve-train");
  ClusterKeys keys;
  auto replay = cluster.StartReplay(keys.Args());
  auto learner = cluster.StartLearner(keys.Args());
  auto actor = cluster.StartActor(0, 2, keys.Args());
  // Sampling (replay ROUTER), weights (learner PUB) and episode reports (learner PULL) all flow.
  REQUIRE(WaitFor([&] { return LearnerStep(cluster) > 100; }, 60s));
  REQUIRE(WaitFor([&] { return LastMetric(cluster.MetricsPath("actor-0"), "policy_version").value_or(0) > 0; }, 20s));
  REQUIRE(WaitFor([&] { return LastMetric(cluster.MetricsPath("learner"), "train_return").has_value(); }, 30s));
  const auto stats = QueryReplayStats(cluster.replay_endpoint(), keys.Client("client"));
  REQUIRE(stats);
  CHECK(stats->connected_actors == 1);
  CHECK(Contains(replay->Log(), "CurveZMQ, 1 allowed client key(s)"));

  // Without CURVE a client is not even answered, on any of the three sockets.
  CHECK_FALSE(QueryReplayStats(cluster.replay_endpoint()));
  auto plain = cluster.StartActor(1, 2, kSmallNetworks);
  REQUIRE(WaitFor([&] { return Contains(plain->Log(), "the handshake with " + cluster.replay_endpoint()); }, 20s));
  std::this_thread::sleep_for(2s);
  CHECK(LastMetric(cluster.MetricsPath("actor-1"), "acked_transitions").value_or(0) == 0);
  CHECK(LastMetric(cluster.MetricsPath("actor-1"), "policy_version").value_or(0) == 0);
  const auto after = QueryReplayStats(cluster.replay_endpoint(), keys.Client("client"));
  REQUIRE(after);
  CHECK(after->connected_actors == 1);
  CHECK(after->total_inserted > stats->total_inserted);
  CHECK(replay->Running());
  CHECK(learner->Running());
  CHECK(actor->Running());
}

TEST_CASE("clients with a key not allowed or the wrong server key get nothing while allowed ones go on") {
  TestCluster cluster("curve-refuse");
  ClusterKeys keys;
  auto replay = cluster.StartReplay(keys.Args());
  auto learner = cluster.StartLearner(keys.Args());
  auto actor = cluster.StartActor(0, 2, keys.Args());
  REQUIRE(WaitFor([&] { return LearnerStep(cluster) > 0; }, 60s));

  auto stranger = cluster.StartActor(1, 2, keys.Args("stranger"));
  // An allowed client that takes another key for the server's: the server cannot open its handshake.
  auto mistaken =
      cluster.StartActor(2, 3, keys.Args("client", {"--run.server_public_key_file", keys.File("stranger.public")}));
  const std::string stranger_key = Read(keys.File("stranger.public")).substr(0, 40);
  const std::string refusal = "refused a client from 127.0.0.1: its public key " + stranger_key +
                              " is not in run.allowed_clients_file = '" + keys.allowlist() + "'";
  // The replay server refuses it on its ROUTER, the learner on the weights and reports sockets.
  REQUIRE(WaitFor([&] { return Contains(replay->Log(), refusal) && Contains(learner->Log(), refusal); }, 15s));
  REQUIRE(WaitFor([&] { return Contains(stranger->Log(), "refused this client (ZAP status 400)"); }, 10s));
  REQUIRE(WaitFor([&] { return Contains(mistaken->Log(), "the handshake with " + cluster.replay_endpoint()); }, 10s));
  const double step = LearnerStep(cluster);
  const auto before = QueryReplayStats(cluster.replay_endpoint(), keys.Client("client"));
  REQUIRE(before);
  std::this_thread::sleep_for(3s);
  for (const auto& [process, name] : {std::pair{stranger.get(), "actor-1"}, std::pair{mistaken.get(), "actor-2"}}) {
    INFO(name);
    CHECK(process->Running());
    CHECK(LastMetric(cluster.MetricsPath(name), "acked_transitions").value_or(0) == 0);
    CHECK(LastMetric(cluster.MetricsPath(name), "policy_version").value_or(0) == 0);
    // ZeroMQ reconnects every 100 ms when the server drops a handshake (the mistaken key), but such a
    // connection never carried anything: the actor must not take it for a replaced one and resend each time.
    CHECK_FALSE(Contains(process->Log(), "was replaced"));
  }
  CHECK_FALSE(QueryReplayStats(cluster.replay_endpoint(), keys.Client("stranger")));
  const auto after = QueryReplayStats(cluster.replay_endpoint(), keys.Client("client"));
  REQUIRE(after);
  CHECK(after->connected_actors == 1);
  CHECK(after->total_inserted > before->total_inserted);
  CHECK(LearnerStep(cluster) > step);
  CHECK(replay->Running());
  CHECK(learner->Running());
}

TEST_CASE("bad key files stop every binary at start-up with exit code 2 naming the key and the file") {
  TestCluster cluster("curve-bad-keys");
  ClusterKeys keys;
  TempDir bad;
  const std::string key = Read(keys.File("client.public")).substr(0, 40);
  std::ofstream(bad.File("short")) << key.substr(1) << "\n";
  std::ofstream(bad.File("tilde")) << key.substr(0, 9) << "~" << key.substr(10) << "\n";
  std::ofstream(bad.File("empty_allowlist")) << "# nobody\n";
  struct Case {
    std::string binary;
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"replay_server", keys.Args("client", {"--run.server_secret_key_file", bad.File("missing")}),
       "replay_server: error: run.server_secret_key_file = '" + bad.File("missing") +
           "' cannot be read: No such file or directory"},
      {"replay_server", keys.Args("client", {"--run.allowed_clients_file", bad.File("empty_allowlist")}),
       "replay_server: error: run.allowed_clients_file = '" + bad.File("empty_allowlist") + "' lists no client key"},
      {"learner", keys.Args("client", {"--run.server_public_key_file", keys.File("stranger.public")}),
       "learner: error: run.server_public_key_file = '" + keys.File("stranger.public") + "' is not the public key of"},
      {"actor", keys.Args("client", {"--actor.id", "0", "--run.client_secret_key_file", bad.File("short")}),
       "actor: error: run.client_secret_key_file = '" + bad.File("short") +
           "': expected one 40-character Z85 key, found 39 characters"},
      {"actor", keys.Args("client", {"--eval", "--run.server_public_key_file", bad.File("tilde")}),
       "actor: error: run.server_public_key_file = '" + bad.File("tilde") +
           "': not a Z85 key: character 10 is not in the Z85 alphabet"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    INFO(cases[i].message);
    ChildProcess process(ddpg::testing::BinaryPath(cases[i].binary), cluster.Args(cases[i].args),
                         bad.File("out-" + std::to_string(i)));
    CHECK(process.Wait(20s) == 2);
    INFO(process.Log());
    CHECK(Contains(process.Log(), cases[i].message));
  }
}

TEST_CASE("ddpg_keys writes pairs with private secret keys, allows clients and never overwrites") {
  TempDir dir;
  std::string output;
  REQUIRE(RunKeysTool(dir, {"--dir", dir.File("keys"), "--allow", dir.File("allowed"), "a", "b"}, &output) == 0);
  for (const std::string name : {"a", "b"}) {
    struct stat secret {};
    REQUIRE(stat(dir.File("keys/" + name + ".secret").c_str(), &secret) == 0);
    CHECK((secret.st_mode & 0777) == 0600);
  }
  // Each secret key belongs to its public key, and the allowlist names both.
  const std::string public_a = Read(dir.File("keys/a.public")).substr(0, 40);
  const std::string public_b = Read(dir.File("keys/b.public")).substr(0, 40);
  CHECK(public_a != public_b);
  CHECK(Read(dir.File("allowed")) == public_a + " a\n" + public_b + " b\n");
  ddpg::RunConfig run;
  run.security = ddpg::Security::kCurve;
  run.server_public_key_file = dir.File("keys/b.public");
  run.client_secret_key_file = dir.File("keys/a.secret");
  ddpg::StatusOr<ddpg::SocketSecurity> loaded = ddpg::LoadSocketSecurity(run, ddpg::SocketRoles::kClient);
  REQUIRE(loaded.ok());
  CHECK(loaded->client->public_key == public_a);

  const std::string secret_a = Read(dir.File("keys/a.secret"));
  CHECK(RunKeysTool(dir, {"--dir", dir.File("keys"), "a"}, &output) == 2);
  CHECK(Contains(output, "ddpg_keys: error: '" + dir.File("keys/a.public") + "' exists already"));
  CHECK(RunKeysTool(dir, {"--dir", dir.File("keys"), "--allow", dir.File("allowed"), "--if-missing", "a"}) == 0);
  CHECK(Read(dir.File("keys/a.secret")) == secret_a);
  CHECK(Read(dir.File("allowed")) == public_a + " a\n" + public_b + " b\n");
}
