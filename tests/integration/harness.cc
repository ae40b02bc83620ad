#include "harness.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <zmq.hpp>

namespace ddpg::testing {

ChildProcess::ChildProcess(const std::string& binary, const std::vector<std::string>& args, const std::string& log_path)
    : log_path_(log_path) {
  std::vector<std::string> all = {binary};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& arg : all) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const pid_t parent = getpid();
  pid_ = fork();
  if (pid_ == 0) {
    // A test binary that dies before its destructors run (a crash, SIGPIPE from a pipe into `head`) must
    // not leave its cluster running: the kernel kills the child when the test's thread ends. The check
    // after it covers a parent that died before prctl.
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) _exit(127);
    const int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
    }
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0 && !exit_code_) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "ddpg-test-XXXXXX").string();
  path_ = mkdtemp(pattern.data());
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

bool ChildProcess::Running() { return !Wait(std::chrono::milliseconds(0)).has_value(); }

void ChildProcess::Signal(int signal) {
  if (!exit_code_) kill(pid_, signal);
}

std::optional<int> ChildProcess::Wait(std::chrono::milliseconds timeout) {
  if (exit_code_) return exit_code_;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return exit_code_;
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::string ChildProcess::Log() const {
  std::ifstream file(log_path_);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return condition();
}

std::vector<nlohmann::json> ReadJsonLines(const std::string& path) {
  std::vector<nlohmann::json> objects;
  std::ifstream file(path);
  std::string line;
  while (std::getline(file, line)) {
    auto object = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!object.is_discarded()) objects.push_back(std::move(object));  // a line being written is skipped
  }
  return objects;
}

std::optional<double> LastMetric(const std::string& path, const std::string& field) {
  std::optional<double> value;
  for (const auto& object : ReadJsonLines(path)) {
    if (object.contains(field) && object[field].is_number()) value = object[field].get<double>();
  }
  return value;
}

std::optional<std::string> RequestRaw(const std::string& endpoint, const std::string& frame,
                                      std::chrono::milliseconds timeout, const std::optional<CurveClientKeys>& curve) {
  static zmq::context_t context;
  zmq::socket_t socket(context, zmq::socket_type::dealer);
  socket.set(zmq::sockopt::linger, 0);
  SecureClientSocket(socket, curve);
  socket.set(zmq::sockopt::rcvtimeo, static_cast<int>(timeout.count()));
  socket.connect(endpoint);
  (void)socket.send(zmq::buffer(frame), zmq::send_flags::none);
  zmq::message_t reply;
  if (!socket.recv(reply, zmq::recv_flags::none)) return std::nullopt;
  return reply.to_string();
}

std::optional<protocol::StatsReply> QueryReplayStats(const std::string& endpoint,
                                                     const std::optional<CurveClientKeys>& curve) {
  auto reply = RequestRaw(endpoint, protocol::Encode(protocol::StatsRequest{}), std::chrono::milliseconds(1000), curve);
  if (!reply) return std::nullopt;
  auto message = protocol::Decode(*reply);
  if (!message.ok()) return std::nullopt;
  if (const auto* stats = std::get_if<protocol::StatsReply>(&*message)) return *stats;
  return std::nullopt;
}

std::string BinaryPath(const std::string& name) { return std::string(DDPG_BINARY_DIR) + "/" + name; }
std::string SourcePath(const std::string& relative) { return std::string(DDPG_SOURCE_DIR) + "/" + relative; }

TestCluster::TestCluster(const std::string& test_name)
    : name_(test_name), replay_port_(FreePort()), weights_port_(FreePort()), reports_port_(FreePort()) {
  std::string pattern = (std::filesystem::temp_directory_path() / "ddpg-test-XXXXXX").string();
  root_ = mkdtemp(pattern.data());
}

TestCluster::~TestCluster() {
  std::error_code ignored;
  if (std::getenv("DDPG_KEEP_TEST_RUNS") == nullptr) std::filesystem::remove_all(root_, ignored);
}

std::vector<std::string> TestCluster::Args(const std::vector<std::string>& extra) const {
  std::vector<std::string> args = {
      "--config",
      SourcePath("configs/pendulum.ini"),
      "--run.root",
      root_,
      "--run.name",
      name_,
      "--run.report_interval_s",
      "0.5",
      "--run.heartbeat_interval_ms",
      "200",
      "--run.heartbeat_timeout_ms",
      "1500",
      "--replay.bind",
      "tcp://127.0.0.1:" + std::to_string(replay_port_),
      "--replay.address",
      replay_endpoint(),
      "--learner.weights_bind",
      "tcp://127.0.0.1:" + std::to_string(weights_port_),
      "--learner.weights_address",
      weights_endpoint(),
      "--learner.reports_bind",
      "tcp://127.0.0.1:" + std::to_string(reports_port_),
      "--learner.reports_address",
      reports_endpoint(),
      "--learner.republish_interval_s",
      "0.3",
      // One learner thread, not the config's auto: the tests' timings should not depend on a thread count
      // measured on a machine that runs two tests at once. The test of auto asks for it.
      "--learner.threads",
      "1",
  };
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

std::unique_ptr<ChildProcess> TestCluster::StartReplay(const std::vector<std::string>& extra) const {
  return std::make_unique<ChildProcess>(BinaryPath("replay_server"), Args(extra), LogPath("replay_server"));
}

std::unique_ptr<ChildProcess> TestCluster::StartLearner(const std::vector<std::string>& extra) const {
  return std::make_unique<ChildProcess>(BinaryPath("learner"), Args(extra), LogPath("learner"));
}

std::unique_ptr<ChildProcess> TestCluster::StartActor(int id, int count, const std::vector<std::string>& extra) const {
  std::vector<std::string> args = {"--actor.id", std::to_string(id), "--actor.count", std::to_string(count)};
  args.insert(args.end(), extra.begin(), extra.end());
  return std::make_unique<ChildProcess>(BinaryPath("actor"), Args(args), LogPath("actor-" + std::to_string(id)));
}

std::unique_ptr<ChildProcess> TestCluster::StartEvaluator(const std::vector<std::string>& extra) const {
  std::vector<std::string> args = {"--eval"};
  args.insert(args.end(), extra.begin(), extra.end());
  return std::make_unique<ChildProcess>(BinaryPath("actor"), Args(args), LogPath("evaluator-0"));
}

std::vector<std::string> WithSmallNetworks(std::vector<std::string> extra) {
  extra.insert(extra.begin(), kSmallNetworks.begin(), kSmallNetworks.end());
  return extra;
}

double LearnerStep(const TestCluster& cluster) {
  return LastMetric(cluster.MetricsPath("learner"), "step").value_or(0.0);
}

uint64_t TotalInserted(const TestCluster& cluster) {
  const auto stats = QueryReplayStats(cluster.replay_endpoint());
  return stats ? stats->total_inserted : 0;
}

uint32_t ConnectedActors(const TestCluster& cluster) {
  const auto stats = QueryReplayStats(cluster.replay_endpoint());
  return stats ? stats->connected_actors : 0;
}

}  // namespace ddpg::testing
