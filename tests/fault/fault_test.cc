// Fault injection under load: the real binaries, several actors training a learner, and one fault at a time
// (a process stopped past the heartbeat timeout, the replay server (on its disk log), a learner or an actor
// killed with SIGKILL, the replay server's disk full, actors whose network link goes down). After each fault
// every process must carry on, and at the end the replay server's account must match the actors': every
// transition an actor was told is stored is stored, and none twice. Each test prints how long recovery took
// (run `fault_tests -s` to see it); the figures go into docs/operations.md's fault table.
#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <regex>
#include <thread>

#include "harness.h"

using namespace std::chrono_literals;
using ddpg::testing::ChildProcess;
using ddpg::testing::ConnectedActors;
using ddpg::testing::LastMetric;
using ddpg::testing::LearnerStep;
using ddpg::testing::QueryReplayStats;
using ddpg::testing::ReadJsonLines;
using ddpg::testing::TestCluster;
using ddpg::testing::TotalInserted;
using ddpg::testing::WaitFor;
using ddpg::testing::WithSmallNetworks;

namespace {

// Small networks keep the learner fast on two cores; a short checkpoint interval bounds what a killed
// learner redoes.
const std::vector<std::string> kSmall = WithSmallNetworks({"--learner.checkpoint_interval_s", "1"});

std::vector<std::string> WithSmall(std::vector<std::string> extra) {
  extra.insert(extra.begin(), kSmall.begin(), kSmall.end());
  return extra;
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void PrintRecovery(const std::string& fault, const std::string& recovered, double seconds) {
  std::cout << "fault: " << fault << ": " << recovered << " " << seconds << " s after the fault ended\n";
}

// Waits until the learner has made `updates` more updates and the actors have had `transitions` more
// transitions stored, both counted from now: training goes on, fed by the actors.
bool TrainingProgresses(const TestCluster& cluster, double updates, uint64_t transitions,
                        std::chrono::milliseconds timeout) {
  const double step = LearnerStep(cluster);
  const uint64_t inserted = TotalInserted(cluster);
  return WaitFor(
      [&] { return LearnerStep(cluster) >= step + updates && TotalInserted(cluster) >= inserted + transitions; },
      timeout);
}

// What the actors were told, from the line each writes when it stops: acknowledged transitions are stored;
// undelivered ones (unacknowledged at the drain deadline, or never sent) may or may not be.
struct ActorAccount {
  uint64_t acknowledged = 0;
  uint64_t undelivered = 0;
};

// Stops the actors with SIGTERM (they drain their last chunks) and adds up their final counts. An actor
// whose metrics file holds earlier processes' lines (the same id restarted) counts only its own last line;
// `earlier_acknowledged` carries what killed processes had been told.
ActorAccount StopActors(const TestCluster& cluster,
                        std::vector<std::pair<int, std::unique_ptr<ChildProcess>>>& actors) {
  for (auto& [id, actor] : actors) actor->Signal(SIGTERM);
  ActorAccount account;
  for (auto& [id, actor] : actors) {
    REQUIRE(actor->Wait(15s) == std::optional<int>(0));
    const auto lines = ReadJsonLines(cluster.MetricsPath("actor-" + std::to_string(id)));
    REQUIRE(!lines.empty());
    REQUIRE(lines.back().value("stopped", false));
    account.acknowledged += lines.back()["acked_transitions"].get<uint64_t>();
    account.undelivered += lines.back()["undelivered_transitions"].get<uint64_t>();
  }
  return account;
}

// Starts `count` actors with ids 0..count-1 and the extra arguments.
std::vector<std::pair<int, std::unique_ptr<ChildProcess>>> StartActors(const TestCluster& cluster, int count,
                                                                       const std::vector<std::string>& extra = {}) {
  std::vector<std::pair<int, std::unique_ptr<ChildProcess>>> actors;
  for (int id = 0; id < count; ++id) actors.emplace_back(id, cluster.StartActor(id, count, WithSmall(extra)));
  return actors;
}

// The replay server's account at the end: it stored every acknowledged transition and none twice. It may
// hold some undelivered ones (stored, but the acknowledgement did not arrive before the drain deadline).
// A killed actor's count is its last metrics line: a lower bound of what it was told, and no upper bound
// of what the server stored for it, so with one the check of "none twice" is left to the caller.
void CheckNothingLostOrDuplicated(const TestCluster& cluster, const ActorAccount& actors,
                                  std::optional<uint64_t> last_reported_to_killed_actor = std::nullopt) {
  const auto stats = QueryReplayStats(cluster.replay_endpoint());
  REQUIRE(stats);
  const uint64_t killed = last_reported_to_killed_actor.value_or(0);
  INFO("stored " << stats->total_inserted << ", acknowledged " << actors.acknowledged << " + " << killed
                 << " to a killed actor, undelivered " << actors.undelivered);
  REQUIRE(stats->replay_size == stats->total_inserted);  // nothing overwritten: the ring holds everything
  CHECK(stats->total_inserted >= actors.acknowledged + killed);
  if (!last_reported_to_killed_actor) CHECK(stats->total_inserted <= actors.acknowledged + actors.undelivered);
}

// A network namespace joined to this one by a veth pair: a process started in it with Command() reaches
// this namespace at host_address() only over that link, which SetLinkUp(false) cuts. Creating one needs
// root; ok() says whether it worked. The namespace and both ends of the pair go away with the object.
class LinkedNamespace {
 public:
  // `index` tells apart the namespaces of one test process (at most 60).
  explicit LinkedNamespace(int index) {
    const int pid = static_cast<int>(getpid());
    suffix_ = std::to_string(pid % 100000) + "x" + std::to_string(index);
    name_ = "ddpgfault" + suffix_;
    // 100.64.0.0/10 (shared address space) is routed nowhere here; a /30 per namespace, a /24 per process.
    const std::string subnet = "100." + std::to_string(64 + (pid >> 8) % 64) + "." + std::to_string(pid % 256) + ".";
    host_address_ = subnet + std::to_string(4 * index + 1);
    const std::string inner_address = subnet + std::to_string(4 * index + 2);
    ok_ = Run("ip netns add " + name_) && Run("ip link add h" + suffix_ + " type veth peer name n" + suffix_) &&
          Run("ip link set n" + suffix_ + " netns " + name_) &&
          Run("ip addr add " + host_address_ + "/30 dev h" + suffix_) && Run("ip link set h" + suffix_ + " up") &&
          Run("ip netns exec " + name_ + " ip addr add " + inner_address + "/30 dev n" + suffix_) &&
          Run("ip netns exec " + name_ + " ip link set n" + suffix_ + " up");
  }
  ~LinkedNamespace() {
    Run("ip netns del " + name_);  // takes the inner end of the pair, and with it the outer one
    Run("ip link del h" + suffix_);
  }
  LinkedNamespace(const LinkedNamespace&) = delete;
  LinkedNamespace& operator=(const LinkedNamespace&) = delete;

  bool ok() const { return ok_; }
  const std::string& host_address() const { return host_address_; }
  bool SetLinkUp(bool up) { return Run("ip link set h" + suffix_ + (up ? " up" : " down")); }
  // The argument vector that runs `binary args...` inside the namespace (`ip netns exec` execs it, so the
  // process it starts is the binary itself and takes signals directly).
  std::vector<std::string> Command(const std::string& binary, const std::vector<std::string>& args) const {
    std::vector<std::string> command = {"netns", "exec", name_, binary};
    command.insert(command.end(), args.begin(), args.end());
    return command;
  }

 private:
  static bool Run(const std::string& command) { return std::system((command + " 2>/dev/null").c_str()) == 0; }

  std::string suffix_;
  std::string name_;
  std::string host_address_;
  bool ok_ = false;
};

}  // namespace

TEST_CASE("a replay server stopped past the heartbeat timeout loses nothing acknowledged after SIGCONT") {
  TestCluster cluster("stop-replay");
  auto replay = cluster.StartReplay(kSmall);
  auto learner = cluster.StartLearner(kSmall);
  auto actors = StartActors(cluster, 3);
  REQUIRE(WaitFor([&] { return LearnerStep(cluster) > 200 && ConnectedActors(cluster) == 3; }, 40s));

  replay->Signal(SIGSTOP);
  std::this_thread::sleep_for(3s);  // twice the heartbeat timeout: every client gives the server up
  replay->Signal(SIGCONT);
  const auto resumed = std::chrono::steady_clock::now();
  REQUIRE(TrainingProgresses(cluster, 200, 1000, 20s));
  PrintRecovery("replay server SIGSTOP 3 s", "training resumed", SecondsSince(resumed));
  REQUIRE(WaitFor([&] { return ConnectedActors(cluster) == 3; }, 10s));
  // The clients reconnected and resent what was unacknowledged; some of it had reached the server before
  // the stop, and the duplicate filter must have dropped those copies.
  for (auto& [id, actor] : actors)
    CHECK(LastMetric(cluster.MetricsPath("actor-" + std::to_string(id)), "reconnects") >= 1);

  const ActorAccount account = StopActors(cluster, actors);
  CheckNothingLostOrDuplicated(cluster, account);
  CHECK(learner->Running());
}

TEST_CASE("a replay server killed with SIGKILL and restarted on its disk log loses nothing acknowledged") {
  TestCluster cluster("kill-replay");
  ddpg::testing::TempDir data;
  const std::vector<std::string> durable = WithSmall({"--replay.durability", "disk", "--replay.data_dir", data.path()});
  auto replay = cluster.StartReplay(durable);
  auto learner = cluster.StartLearner(kSmall);
  auto actors = StartActors(cluster, 3);
  REQUIRE(WaitFor([&] { return LearnerStep(cluster) > 200 && ConnectedActors(cluster) == 3; }, 40s));

  replay->Signal(SIGKILL);
  REQUIRE(replay->Wait(5s));
  std::this_thread::sleep_for(500ms);
  replay = cluster.StartReplay(durable);
  const auto restarted = std::chrono::steady_clock::now();
  REQUIRE(TrainingProgresses(cluster, 200, 1000, 30s));
  PrintRecovery("replay server SIGKILL, restarted on its log", "training resumed", SecondsSince(restarted));
  REQUIRE(WaitFor([&] { return ConnectedActors(cluster) == 3; }, 10s));
  const std::string log = replay->Log();
  CHECK(std::regex_search(log, std::regex("replay log: recovered [1-9][0-9]* chunks")));

  // total_inserted went on from the recovered count: it is the account of everything stored since the start.
  const ActorAccount account = StopActors(cluster, actors);
  CheckNothingLostOrDuplicated(cluster, account);
}

// A tmpfs mounted on a fresh directory: a disk that can be filled. Mounting needs root; mounted() says
// whether it worked. Unmounted when it goes away.
class SmallDisk {
 public:
  explicit SmallDisk(const std::string& size) {
    mounted_ = geteuid() == 0 && mount("tmpfs", dir_.path().c_str(), "tmpfs", 0, ("size=" + size).c_str()) == 0;
  }
  ~SmallDisk() {
    if (mounted_) umount2(dir_.path().c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  const std::string& path() const { return dir_.path(); }
  // Writes `name` until the disk is full.
  void Fill(const std::string& name) const {
    const int fd = open(dir_.File(name).c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    REQUIRE(fd >= 0);
    const std::string block(64 << 10, 'x');
    while (write(fd, block.data(), block.size()) > 0) {
    }
    close(fd);
  }

 private:
  ddpg::testing::TempDir dir_;
  bool mounted_ = false;
};

TEST_CASE("a replay server whose disk fills up stops acknowledging and loses nothing once space returns") {
  SmallDisk disk("8m");
  if (!disk.mounted()) {
    WARN("skipped: mounting a tmpfs needs root");
    return;
  }
  TestCluster cluster("disk-full");
  // 50,000 Pendulum transitions are 2.2 MB of records in segments of about 275 KB: the log fits the disk
  // until the filler takes the rest.
  const std::vector<std::string> durable =
      WithSmall({"--replay.durability", "disk", "--replay.data_dir", disk.path(), "--replay.capacity", "50000"});
  auto replay = cluster.StartReplay(durable);
  auto learner = cluster.StartLearner(WithSmall({"--replay.capacity", "50000"}));
  auto actors = StartActors(cluster, 2, {"--replay.capacity", "50000"});
  REQUIRE(WaitFor([&] { return LearnerStep(cluster) > 200 && ConnectedActors(cluster) == 2; }, 40s));

  disk.Fill("filler");
  const std::string metrics = cluster.MetricsPath("replay_server");
  // Nothing is acknowledged while the log cannot be written: the chunks the server had taken in are held
  // (stored, or still waiting for the rate limiter), and with their credit spent the actors send nothing
  // more (a chunk that still came would be refused, kOverloaded).
  REQUIRE(WaitFor([&] { return LastMetric(metrics, "log_failed_commits").value_or(0) > 0; }, 20s));
  REQUIRE(WaitFor([&] { return LastMetric(metrics, "held_acks").value_or(0) > 0; }, 10s));
  const auto acknowledged = [&] {
    double sum = 0;
    for (int id = 0; id < 2; ++id) {
      sum += LastMetric(cluster.MetricsPath("actor-" + std::to_string(id)), "acked_transitions").value_or(0);
    }
    return sum;
  };
  // Acknowledgements sent before the failure may still be reaching the actors' metrics (later on a loaded
  // machine): wait until their sum has stood still for a second, which it never does while acks flow.
  double acknowledged_while_full = acknowledged();
  REQUIRE(WaitFor(
      [&] {
        std::this_thread::sleep_for(1s);
        const double now = acknowledged();
        const bool still = now == acknowledged_while_full;
        acknowledged_while_full = now;
        return still;
      },
      20s));
  std::this_thread::sleep_for(2s);
  CHECK(acknowledged() == acknowledged_while_full);
  CHECK(LastMetric(metrics, "held_acks").value_or(0) > 0);
  CHECK(replay->Running());

  REQUIRE(std::remove((disk.path() + "/filler").c_str()) == 0);
  const auto freed = std::chrono::steady_clock::now();
  REQUIRE(TrainingProgresses(cluster, 200, 1000, 30s));
  PrintRecovery("replay server's disk full, then space freed", "training resumed", SecondsSince(freed));
  const ActorAccount account = StopActors(cluster, actors);
  CheckNothingLostOrDuplicated(cluster, account);
  for (int id = 0; id < 2; ++id) {
    CHECK(LastMetric(cluster.MetricsPath("actor-" + std::to_string(id)), "refused_transitions") == 0);
  }

  // What the log holds is whole: a restart on it recovers every acknowledged transition.
  const uint64_t stored = TotalInserted(cluster);
  replay->Signal(SIGKILL);
  REQUIRE(replay->Wait(5s));
  replay = cluster.StartReplay(durable);
  REQUIRE(WaitFor([&] { return TotalInserted(cluster) > 0; }, 20s));
  CHECK(TotalInserted(cluster) >= account.acknowledged);
  CHECK(TotalInserted(cluster) <= stored);
}

TEST_CASE("a learner stopped past the heartbeat timeout resumes training after SIGCONT") {
  TestCluster cluster("stop-learner");
  auto replay = cluster.StartReplay(kSmall);
  auto learner = cluster.StartLearner(kSmall);
  auto actors = StartActors(cluster, 2);
  REQUIRE(WaitFor([&] { return LearnerStep(cluster) > 200; }, 40s));

  learner->Signal(SIGSTOP);
  std::this_thread::sleep_for(3s);
  // The replay server forgot the silent learner's sample requests; the actors, unpaced by samples, are
  // held back by the rate limiter, not lost.
  learner->Signal(SIGCONT);
  const auto resumed = std::chrono::steady_clock::now();
  REQUIRE(TrainingProgresses(cluster, 200, 1000, 20s));
  PrintRecovery("learner SIGSTOP 3 s", "training resumed", SecondsSince(resumed));

  const ActorAccount account = StopActors(cluster, actors);
  CheckNothingLostOrDuplicated(cluster, account);
}

TEST_CASE("an actor stopped past the heartbeat timeout rejoins after SIGCONT and loses nothing") {
  TestCluster cluster("stop-actor");
  auto replay = cluster.StartReplay(kSmall);
  auto learner = cluster.StartLearner(kSmall);
  auto actors = StartActors(cluster, 3);
  REQUIRE(WaitFor([&] { return LearnerStep(cluster) > 200 && ConnectedActors(cluster) == 3; }, 40s));

  ChildProcess& frozen = *actors[1].second;
  frozen.Signal(SIGSTOP);
  REQUIRE(WaitFor([&] { return ConnectedActors(cluster) == 2; }, 5s));  // the server's timeout ran out
  REQUIRE(TrainingProgresses(cluster, 200, 1000, 20s));                 // the others carry the run meanwhile
  frozen.Signal(SIGCONT);
  const auto resumed = std::chrono::steady_clock::now();
  REQUIRE(WaitFor([&] { return ConnectedActors(cluster) == 3; }, 10s));
  PrintRecovery("actor SIGSTOP past the timeout", "connected again", SecondsSince(resumed));
  const auto acknowledged_by_frozen = [&] { return LastMetric(cluster.MetricsPath("actor-1"), "acked_transitions"); };
  const double before = acknowledged_by_frozen().value_or(0.0);
  REQUIRE(WaitFor([&] { return acknowledged_by_frozen().value_or(0.0) > before; }, 10s));

  const ActorAccount account = StopActors(cluster, actors);
  CheckNothingLostOrDuplicated(cluster, account);
}

TEST_CASE("a learner killed with SIGKILL resumes from its last checkpoint and its step never goes back further") {
  TestCluster cluster("kill-learner");
  auto replay = cluster.StartReplay(kSmall);
  auto learner = cluster.StartLearner(kSmall);
  auto actors = StartActors(cluster, 2);
  REQUIRE(WaitFor([&] { return LearnerStep(cluster) > 1500; }, 60s));
  REQUIRE(WaitFor([&] { return learner->Log().find("checkpoint saved: ") != std::string::npos; }, 10s));

  learner->Signal(SIGKILL);
  REQUIRE(learner->Wait(5s));
  const double step_at_kill = LearnerStep(cluster);
  static const std::regex kSaved(R"(checkpoint saved: \S+ \(step ([0-9]+)\))");
  uint64_t last_saved = 0;
  const std::string log = learner->Log();
  for (std::sregex_iterator it(log.begin(), log.end(), kSaved), end; it != end; ++it) {
    last_saved = std::stoull((*it)[1].str());
  }
  REQUIRE(last_saved > 0);

  const size_t lines_before = ReadJsonLines(cluster.MetricsPath("learner")).size();
  learner = cluster.StartLearner(WithSmall({"--resume"}));
  const auto restarted = std::chrono::steady_clock::now();
  REQUIRE(WaitFor([&] { return learner->Log().find("resumed from") != std::string::npos; }, 20s));
  static const std::regex kResumed("resumed from .*: step ([0-9]+)");
  std::smatch match;
  const std::string resumed_log = learner->Log();
  REQUIRE(std::regex_search(resumed_log, match, kResumed));
  const uint64_t resumed_step = std::stoull(match[1].str());
  CHECK(resumed_step >= last_saved);  // a checkpoint saved before the kill is never lost
  CHECK(resumed_step <= step_at_kill);
  REQUIRE(TrainingProgresses(cluster, 200, 1000, 30s));
  PrintRecovery("learner SIGKILL", "restarted learner training", SecondsSince(restarted));

  // From the resumed step on, the restarted learner's step only rises.
  const auto lines = ReadJsonLines(cluster.MetricsPath("learner"));
  double previous = static_cast<double>(resumed_step);
  for (size_t i = lines_before; i < lines.size(); ++i) {
    if (!lines[i].contains("step")) continue;
    const double step = lines[i]["step"].get<double>();
    CHECK(step >= previous);
    previous = step;
  }
  CHECK(previous > step_at_kill);

  const ActorAccount account = StopActors(cluster, actors);
  CheckNothingLostOrDuplicated(cluster, account);
}

TEST_CASE("an actor killed with SIGKILL mid-chunk leaves no gap in what it was told is stored") {
  TestCluster cluster("kill-actor");
  auto replay = cluster.StartReplay(kSmall);
  auto learner = cluster.StartLearner(kSmall);
  auto actors = StartActors(cluster, 3);
  REQUIRE(WaitFor([&] { return LearnerStep(cluster) > 200 && ConnectedActors(cluster) == 3; }, 40s));
  const std::string victim_metrics = cluster.MetricsPath("actor-2");
  // Killed while it has chunks in flight: whatever it was told before is stored, whatever was not told
  // may or may not be.
  REQUIRE(WaitFor(
      [&] {
        const auto lines = ReadJsonLines(victim_metrics);
        return !lines.empty() && lines.back().value("in_flight", 0.0) > 0 &&
               lines.back().value("acked_transitions", 0.0) > 0;
      },
      10s));
  actors[2].second->Signal(SIGKILL);
  REQUIRE(actors[2].second->Wait(5s));
  const double acknowledged_to_victim = LastMetric(victim_metrics, "acked_transitions").value_or(0.0);
  REQUIRE(acknowledged_to_victim > 0);
  const size_t victim_lines = ReadJsonLines(victim_metrics).size();

  // Its successor with the same id is a new incarnation: its chunks, numbered from 0 again, are stored.
  actors[2].second = cluster.StartActor(2, 3, kSmall);
  const auto restarted = std::chrono::steady_clock::now();
  REQUIRE(WaitFor(
      [&] {
        const auto lines = ReadJsonLines(victim_metrics);
        return lines.size() > victim_lines && lines.back().value("acked_transitions", 0.0) > 0;
      },
      20s));
  PrintRecovery("actor SIGKILL", "its successor's first chunk stored", SecondsSince(restarted));
  REQUIRE(TrainingProgresses(cluster, 200, 1000, 20s));

  const ActorAccount account = StopActors(cluster, actors);
  const auto stats = QueryReplayStats(cluster.replay_endpoint());
  REQUIRE(stats);
  CHECK(stats->duplicates_dropped == 0);
  CheckNothingLostOrDuplicated(cluster, account, static_cast<uint64_t>(acknowledged_to_victim));
}

TEST_CASE("actors cut off in their own network namespaces past the heartbeat timeout rejoin and lose nothing") {
  if (geteuid() != 0) {
    WARN("not root: network namespaces cannot be made, the partition test does not run");
    return;
  }
  std::vector<std::unique_ptr<LinkedNamespace>> namespaces;
  for (int index = 0; index < 2; ++index) {
    namespaces.push_back(std::make_unique<LinkedNamespace>(index));
    REQUIRE(namespaces.back()->ok());
  }
  TestCluster cluster("netns-partition");
  const std::string port_of_replay = std::to_string(cluster.replay_port());
  const auto port_of = [](const std::string& endpoint) { return endpoint.substr(endpoint.rfind(':') + 1); };
  // The servers listen on every address, so that the actors reach them over their own links.
  const std::vector<std::string> listen_everywhere = {
      "--replay.bind",          "tcp://0.0.0.0:" + port_of_replay,
      "--learner.weights_bind", "tcp://0.0.0.0:" + port_of(cluster.weights_endpoint()),
      "--learner.reports_bind", "tcp://0.0.0.0:" + port_of(cluster.reports_endpoint())};
  auto replay = cluster.StartReplay(WithSmall(listen_everywhere));
  auto learner = cluster.StartLearner(WithSmall(listen_everywhere));
  std::vector<std::pair<int, std::unique_ptr<ChildProcess>>> actors;
  for (int id = 0; id < 2; ++id) {
    const std::string host = namespaces[id]->host_address();
    const std::vector<std::string> args = cluster.Args(
        WithSmall({"--actor.id", std::to_string(id), "--actor.count", "2", "--replay.address",
                   "tcp://" + host + ":" + port_of_replay, "--learner.weights_address",
                   "tcp://" + host + ":" + port_of(cluster.weights_endpoint()), "--learner.reports_address",
                   "tcp://" + host + ":" + port_of(cluster.reports_endpoint())}));
    actors.emplace_back(id, std::make_unique<ChildProcess>(
                                "/usr/sbin/ip", namespaces[id]->Command(ddpg::testing::BinaryPath("actor"), args),
                                cluster.LogPath("actor-" + std::to_string(id))));
  }
  REQUIRE(WaitFor([&] { return LearnerStep(cluster) > 200 && ConnectedActors(cluster) == 2; }, 40s));
  REQUIRE(WaitFor([&] { return LastMetric(cluster.MetricsPath("actor-1"), "policy_version").value_or(0.0) > 0; }, 10s));

  for (auto& network : namespaces) REQUIRE(network->SetLinkUp(false));
  REQUIRE(WaitFor([&] { return ConnectedActors(cluster) == 0; }, 5s));  // the server's timeout ran out
  std::this_thread::sleep_for(2s);                                      // and the actors' too
  for (auto& network : namespaces) REQUIRE(network->SetLinkUp(true));
  const auto healed = std::chrono::steady_clock::now();
  REQUIRE(WaitFor([&] { return ConnectedActors(cluster) == 2; }, 20s));
  REQUIRE(TrainingProgresses(cluster, 200, 1000, 20s));
  PrintRecovery("actors' links down 2 s past the timeout", "all connected and training", SecondsSince(healed));
  // Weights reach the actors again over the healed links.
  const double version = LastMetric(cluster.MetricsPath("actor-1"), "policy_version").value_or(0.0);
  REQUIRE(WaitFor([&] { return LastMetric(cluster.MetricsPath("actor-1"), "policy_version").value_or(0.0) > version; },
                  10s));

  const ActorAccount account = StopActors(cluster, actors);
  CheckNothingLostOrDuplicated(cluster, account);
}
