// Helpers for integration tests that start the real binaries on free 127.0.0.1 ports.
//
// ChildProcess owns one started binary: its stdout/stderr go to a log file, and the destructor kills it
// (SIGKILL) and reaps it, so a failing test never leaves processes behind; a test binary killed before its
// destructors run takes its children with it (PR_SET_PDEATHSIG, which follows the creating thread: create
// ChildProcesses on a thread that outlives them). TestCluster hands out free
// ports and a temporary run root, builds the common command-line arguments, and removes the run root
// when it goes away. Everything here is used from the test's thread only.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/curve_security.h"
#include "common/protocol.h"

namespace ddpg::testing {

class ChildProcess {
 public:
  ChildProcess(const std::string& binary, const std::vector<std::string>& args, const std::string& log_path);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  bool Running();
  void Signal(int signal);
  // Waits for the process to exit; its exit code, or nullopt on timeout (128 + n when killed by signal n).
  std::optional<int> Wait(std::chrono::milliseconds timeout);
  const std::string& log_path() const { return log_path_; }
  std::string Log() const;

 private:
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  std::string log_path_;
};

// A fresh directory under the system's temporary directory, removed with its contents afterwards.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Small networks and batches: cluster tests stay fast on two cores. WithSmallNetworks puts them before
// `extra`, so that `extra` may override them.
inline const std::vector<std::string> kSmallNetworks = {
    "--network.hidden_sizes", "64,64", "--learner.batch_size", "64", "--replay.samples_per_insert", "64"};
std::vector<std::string> WithSmallNetworks(std::vector<std::string> extra);

// A TCP port on 127.0.0.1 that was free a moment ago.
int FreePort();

// Polls `condition` every 50 ms until it holds or `timeout` passes.
bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout);

std::vector<nlohmann::json> ReadJsonLines(const std::string& path);
// The last value of `field` in a metrics file, if any object has it.
std::optional<double> LastMetric(const std::string& path, const std::string& field);

// Sends one frame on a fresh DEALER socket (a CURVE client with `curve` keys) and returns the first reply
// frame, raw.
std::optional<std::string> RequestRaw(const std::string& endpoint, const std::string& frame,
                                      std::chrono::milliseconds timeout,
                                      const std::optional<CurveClientKeys>& curve = std::nullopt);
std::optional<protocol::StatsReply> QueryReplayStats(const std::string& endpoint,
                                                     const std::optional<CurveClientKeys>& curve = std::nullopt);

std::string BinaryPath(const std::string& name);
std::string SourcePath(const std::string& relative);

class TestCluster {
 public:
  explicit TestCluster(const std::string& test_name);
  ~TestCluster();

  // The arguments every process of this cluster shares (ports, run root and name, fast heartbeats and
  // reports, small networks unless overridden by `extra`).
  std::vector<std::string> Args(const std::vector<std::string>& extra = {}) const;

  int replay_port() const { return replay_port_; }
  std::string replay_endpoint() const { return "tcp://127.0.0.1:" + std::to_string(replay_port_); }
  std::string weights_endpoint() const { return "tcp://127.0.0.1:" + std::to_string(weights_port_); }
  std::string reports_endpoint() const { return "tcp://127.0.0.1:" + std::to_string(reports_port_); }
  std::string run_directory() const { return root_ + "/" + name_; }
  std::string MetricsPath(const std::string& process) const {
    return run_directory() + "/" + process + ".metrics.jsonl";
  }
  std::string LogPath(const std::string& process) const { return root_ + "/" + process + ".out"; }

  std::unique_ptr<ChildProcess> StartReplay(const std::vector<std::string>& extra = {}) const;
  std::unique_ptr<ChildProcess> StartLearner(const std::vector<std::string>& extra = {}) const;
  std::unique_ptr<ChildProcess> StartActor(int id, int count, const std::vector<std::string>& extra = {}) const;
  std::unique_ptr<ChildProcess> StartEvaluator(const std::vector<std::string>& extra = {}) const;

 private:
  std::string root_;
  std::string name_;
  int replay_port_;
  int weights_port_;
  int reports_port_;
};

// What a running cluster shows: the learner's latest step from its metrics file (0 before the first), and the
// replay server's stored transitions and connected actors from a stats query (0 while it does not answer).
double LearnerStep(const TestCluster& cluster);
uint64_t TotalInserted(const TestCluster& cluster);
uint32_t ConnectedActors(const TestCluster& cluster);

}  // namespace ddpg::testing
