// Integration tests of how the binaries start and stop: --help, configuration errors, and a clean exit
// on SIGTERM/SIGINT.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "harness.h"

using namespace std::chrono_literals;
using ddpg::testing::BinaryPath;
using ddpg::testing::ChildProcess;
using ddpg::testing::LastMetric;
using ddpg::testing::TempDir;
using ddpg::testing::TestCluster;
using ddpg::testing::WaitFor;

namespace {

const std::vector<std::string> kBinaries = {"replay_server", "learner", "actor"};

// Runs a binary to completion and returns its exit code and output.
std::pair<std::optional<int>, std::string> RunToEnd(const TestCluster& cluster, const std::string& binary,
                                                    const std::vector<std::string>& args) {
  ChildProcess process(BinaryPath(binary), args, cluster.LogPath(binary + "-run"));
  auto code = process.Wait(20s);
  std::string log = process.Log();
  std::filesystem::remove(process.log_path());
  return {code, log};
}

}  // namespace

TEST_CASE("every binary prints its options with --help and exits 0") {
  TestCluster cluster("help");
  for (const std::string& binary : kBinaries) {
    auto [code, output] = RunToEnd(cluster, binary, {"--help"});
    INFO(binary << ": " << output);
    CHECK(code == std::optional<int>(0));
    CHECK(output.find("--learner.batch_size") != std::string::npos);
    CHECK(output.find("--config") != std::string::npos);
  }
}

TEST_CASE("a bad configuration value stops every binary with exit code 2 and a message naming the key") {
  TestCluster cluster("bad-config");
  for (const std::string& binary : kBinaries) {
    auto [code, output] = RunToEnd(cluster, binary, cluster.Args({"--learner.batch_size", "0"}));
    INFO(binary << ": " << output);
    CHECK(code == std::optional<int>(2));
    CHECK(output.find("learner.batch_size = 0 is out of range") != std::string::npos);
  }
}

TEST_CASE("a missing config file and an unknown key are refused with what to fix") {
  TestCluster cluster("missing-config");
  for (const std::string& binary : kBinaries) {
    auto [code, output] = RunToEnd(cluster, binary, {"--config", "/nonexistent/run.ini"});
    INFO(binary << ": " << output);
    CHECK(code == std::optional<int>(2));
    CHECK(output.find("/nonexistent/run.ini") != std::string::npos);

    std::tie(code, output) = RunToEnd(cluster, binary, cluster.Args({"--learner.batchsize", "64"}));
    CHECK(code == std::optional<int>(2));
    CHECK(output.find("batchsize") != std::string::npos);
  }
}

TEST_CASE("an unknown environment id is refused naming the known ids") {
  TestCluster cluster("unknown-env");
  auto [code, output] = RunToEnd(cluster, "actor", cluster.Args({"--env.id", "Pendulum-v9"}));
  INFO(output);
  CHECK(code == std::optional<int>(2));
  CHECK(output.find("Pendulum-v9") != std::string::npos);
  CHECK(output.find("Pendulum-v1") != std::string::npos);
}

TEST_CASE("a configuration whose frames cannot fit is refused at start-up naming the key to lower") {
  TestCluster cluster("frame-limit");
  for (const std::string& binary : kBinaries) {
    // Humanoid-v4 transitions take 3,100 bytes in a SampleReply: 30000 of them are over the 64 MiB frame limit.
    auto [code, output] =
        RunToEnd(cluster, binary, cluster.Args({"--env.id", "Humanoid-v4", "--learner.batch_size", "30000"}));
    INFO(binary << ": " << output);
    CHECK(code == std::optional<int>(2));
    CHECK(output.find("learner.batch_size = 30000 makes SampleReply frames") != std::string::npos);
  }
}

TEST_CASE("SIGTERM and SIGINT stop every process cleanly with exit code 0 and a final checkpoint") {
  TestCluster cluster("shutdown");
  const std::vector<std::string> small = {"--network.hidden_sizes",      "64,64", "--learner.batch_size", "64",
                                          "--replay.samples_per_insert", "64"};
  auto replay = cluster.StartReplay(small);
  auto learner = cluster.StartLearner(small);
  auto actor = cluster.StartActor(0, 1, small);
  auto evaluator = cluster.StartEvaluator(small);
  REQUIRE(WaitFor([&] { return LastMetric(cluster.MetricsPath("learner"), "step").value_or(0) > 50; }, 40s));

  const std::string checkpoint = cluster.run_directory() + "/checkpoint.pt";
  std::filesystem::remove(checkpoint);
  learner->Signal(SIGTERM);
  CHECK(learner->Wait(10s) == std::optional<int>(0));
  CHECK(std::filesystem::exists(checkpoint));
  CHECK(learner->Log().find("stopped: interrupted by a signal") != std::string::npos);

  actor->Signal(SIGINT);
  CHECK(actor->Wait(10s) == std::optional<int>(0));
  CHECK(actor->Log().find("actor 0 stopped after") != std::string::npos);
  evaluator->Signal(SIGTERM);
  CHECK(evaluator->Wait(10s) == std::optional<int>(0));
  replay->Signal(SIGTERM);
  CHECK(replay->Wait(10s) == std::optional<int>(0));
}

TEST_CASE("a test process killed before its destructors run takes the processes it started with it") {
  // The helper starts a shell that writes its pid and then waits, and dies of SIGKILL, as a test binary
  // piped into `head` dies of SIGPIPE: ChildProcess's destructor never runs.
  TempDir dir;
  const std::string log = dir.File("child.log");
  const pid_t helper = fork();
  if (helper == 0) {
    ChildProcess child("/bin/sh", {"-c", "echo $$; exec sleep 60"}, log);
    while (true) {
      std::ifstream file(log);
      std::string line;
      if (std::getline(file, line) && !line.empty()) raise(SIGKILL);
      usleep(10000);
    }
  }
  REQUIRE(helper > 0);
  int status = 0;
  REQUIRE(waitpid(helper, &status, 0) == helper);
  REQUIRE(WIFSIGNALED(status));
  std::ifstream file(log);
  pid_t child = 0;
  REQUIRE(file >> child);
  REQUIRE(child > 0);
  // Gone, or a zombie waiting for whoever adopted it: either way no longer running.
  auto running = [child] {
    std::ifstream stat("/proc/" + std::to_string(child) + "/stat");
    std::string pid, command, state;
    return stat >> pid >> command >> state && state != "Z" && state != "X";
  };
  const bool stopped = WaitFor([&] { return !running(); }, 5s);
  if (!stopped) kill(child, SIGKILL);
  CHECK(stopped);
}
