// The replay log's cost (replay.durability = disk), run by hand:
//   build/bin/replay_log_bench [seconds per measurement, default 3] [directory for the logs, default $TMPDIR]
//                              [replay.sync_interval_ms, default its default]
//
// 1. Ingest: the real ReplayService on one thread, writers on the main thread over loopback TCP, each a
//    DEALER keeping 8 chunks of 100 transitions unacknowledged, as actors do. The same measurement with
//    replay.durability = memory and = disk (replay.sync_interval_ms at its default), in one run, for
//    Pendulum-v1 and HalfCheetah-v4 transitions (3 + 1 and 17 + 6 dimensions) and 1, 4, 16 and 64 writers:
//    with disk durability an ack waits for a group commit, so one writer is bound by the commit's latency and
//    more writers share each fsync. The baseline beside it is what the disk takes when written with nothing
//    else to do: 2 MiB pwrites, each fdatasync'd, for as many seconds. "record B/tr" is what the log writes
//    per transition of these chunks, record headers included.
//    The chunks are an actor's (ActorChunks): kNumEnvs = 4 environments (actor.num_envs' default) stepped
//    together, their transitions built by the actor's own TransitionBuilder with n_step 1, so that a chunk
//    holds 25 steps of 4 interleaved environments and row r's next observation is row r + 4's observation
//    (the same environment's next step) unless r is in the chunk's last step or its episode ended at that
//    step. Episodes end only at the time limit (Pendulum-v1 200 steps, HalfCheetah-v4 1000; neither
//    terminates), staggered over the environments, and a truncated episode's next observation is its last
//    one, which no row holds. Values are uniformly random in [-1, 1], so that observations repeat only as
//    next_obs(t) = obs(t + 1). Each writer sends the 40 chunks of 1000 such steps in turn; the memory-only
//    baseline ingests the same chunks.
// 2. Recovery: a log of 1,000,000 HalfCheetah-v4 transitions (capacity 1,000,000; the same chunks) is
//    written, its pages are dropped from the page cache (posix_fadvise), and ReplayService::Create is timed:
//    recovery plus the store's allocation, as a restarted server spends it. Then again with the pages cached.
// 3. Priority snapshots (prioritized replay with disk durability) of a store of 1,000,000 that has wrapped
//    around: the service thread's copy of every priority (TransitionStore::TakePrioritySnapshot), the log
//    thread's write of the copy (WritePrioritySnapshot: 4 MB, fdatasync'd, renamed, the directory fsync'd),
//    and at start-up reading it back and restoring it into the recovered store.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <tuple>

#include <spdlog/spdlog.h>
#include <zmq.hpp>

#include "actor/transition_builder.h"
#include "common/protocol.h"
#include "common/transport.h"
#include "replay_server/log_record.h"
#include "replay_server/log_writer.h"
#include "replay_server/priority_snapshot.h"
#include "replay_server/replay_service.h"

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kChunkSize = 100;
constexpr int kInFlight = 8;
constexpr uint32_t kObsDim = 17;  // HalfCheetah-v4
constexpr uint32_t kActDim = 6;
constexpr uint64_t kRecoveryTransitions = 1000000;
int sync_interval_ms = ddpg::Config{}.replay.sync_interval_ms;

constexpr int kNumEnvs = 4;
constexpr int kStepsPerEnv = 1000;

// The chunks of kChunkSize an actor sends over kStepsPerEnv steps of kNumEnvs environments, as the header
// says. Values within [-1, 1]: inside both environments' action bounds.
std::vector<ddpg::protocol::TransitionBatch> ActorChunks(uint32_t obs_dim, uint32_t act_dim, int episode_steps,
                                                         std::mt19937& rng) {
  std::uniform_real_distribution<float> value(-1.0f, 1.0f);
  auto values = [&](size_t count) {
    std::vector<float> drawn(count);
    for (float& v : drawn) v = value(rng);
    return drawn;
  };
  ddpg::TransitionBuilder builder(obs_dim, act_dim, /*gamma=*/0.99, /*n_step=*/1);
  std::vector<int> episode_step(kNumEnvs);
  for (int env = 0; env < kNumEnvs; ++env) episode_step[env] = env * episode_steps / kNumEnvs;
  std::vector<float> observations = values(kNumEnvs * obs_dim);
  std::vector<ddpg::protocol::TransitionBatch> chunks;
  for (int step = 0; step < kStepsPerEnv; ++step) {
    ddpg::StepOutput output{.rewards = values(kNumEnvs),
                            .terminated = std::vector<uint8_t>(kNumEnvs, 0),
                            .truncated = std::vector<uint8_t>(kNumEnvs, 0),
                            .next_observations = values(kNumEnvs * obs_dim),
                            .finished = {}};
    for (int env = 0; env < kNumEnvs; ++env) {
      if (++episode_step[env] == episode_steps) {
        output.truncated[env] = 1;
        episode_step[env] = 0;
      }
    }
    builder.Add(observations, values(kNumEnvs * act_dim), output, /*policy_version=*/1);
    observations = output.next_observations;
    for (int env = 0; env < kNumEnvs; ++env) {
      if (!output.truncated[env]) continue;  // the next episode starts from a fresh observation
      const std::vector<float> reset = values(obs_dim);
      std::copy(reset.begin(), reset.end(), observations.begin() + env * obs_dim);
    }
    if (builder.size() >= kChunkSize) chunks.push_back(builder.Take());
  }
  return chunks;
}

// Bytes per transition the log writes for `chunks`, its record headers included.
double RecordBytesPerTransition(const std::vector<ddpg::protocol::TransitionBatch>& chunks) {
  std::string records;
  size_t transitions = 0;
  for (const ddpg::protocol::TransitionBatch& chunk : chunks) {
    ddpg::replay_log::AppendChunkRecord({.transitions = chunk}, 0, records);
    transitions += chunk.size();
  }
  return static_cast<double>(records.size()) / transitions;
}

ddpg::Config BenchConfig(const std::string& env_id, const std::string& data_dir) {
  ddpg::Config config;
  config.env.id = env_id;
  config.replay.bind = "tcp://127.0.0.1:*";
  config.replay.capacity = kRecoveryTransitions;
  config.replay.min_size_to_sample = 1;
  config.replay.samples_per_insert = 1.0;
  config.replay.rate_error_buffer = 1e12;  // measure the server, not the rate limit
  config.run.report_interval_s = 3600.0;
  if (!data_dir.empty()) {
    config.replay.durability = ddpg::Durability::kDisk;
    config.replay.data_dir = data_dir;
    config.replay.sync_interval_ms = sync_interval_ms;
  }
  return config;
}

std::unique_ptr<ddpg::ReplayService> CreateOrDie(const ddpg::Config& config) {
  auto service = ddpg::ReplayService::Create(config);
  if (!service.ok()) {
    std::fprintf(stderr, "replay_log_bench: %s\n", service.status().message().c_str());
    std::exit(1);
  }
  return std::move(service).value();
}

struct RunningService {
  std::unique_ptr<ddpg::ReplayService> service;
  std::thread thread;
  explicit RunningService(const ddpg::Config& config) : service(CreateOrDie(config)) {
    if (!service->Bind().ok()) std::exit(1);
    thread = std::thread([this] { service->Run(); });
  }
  ~RunningService() {
    service->Stop();
    thread.join();
  }
};

// Keeps kInFlight chunks unacknowledged on each of `writers` sockets for `seconds`, each writer sending `chunks`
// in turn; returns acks per second.
double Ingest(const std::string& endpoint, int writers, double seconds,
              const std::vector<ddpg::protocol::TransitionBatch>& chunks) {
  zmq::context_t context;
  std::vector<zmq::socket_t> sockets;
  std::vector<zmq::pollitem_t> items;
  std::vector<uint64_t> next_sequence(writers, 0);
  const uint64_t incarnation = std::random_device{}();
  auto send = [&](int writer) {
    const uint64_t sequence = next_sequence[writer]++;
    ddpg::SendMessage(sockets[writer],
                      ddpg::protocol::InsertChunk{.actor_id = static_cast<uint32_t>(writer),
                                                  .incarnation = incarnation,
                                                  .sequence = sequence,
                                                  .transitions = chunks[sequence % chunks.size()]},
                      /*dont_wait=*/false);
  };
  for (int writer = 0; writer < writers; ++writer) {
    sockets.emplace_back(context, zmq::socket_type::dealer);
    ddpg::ConfigureSocket(sockets.back());
    sockets.back().connect(endpoint);
  }
  for (int writer = 0; writer < writers; ++writer) {
    items.push_back({sockets[writer].handle(), 0, ZMQ_POLLIN, 0});
    for (int i = 0; i < kInFlight; ++i) send(writer);
  }
  uint64_t acked = 0;
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration<double>(seconds);
  zmq::message_t reply;
  while (Clock::now() < end) {
    ddpg::Poll(items, 100);
    for (int writer = 0; writer < writers; ++writer) {
      while (sockets[writer].recv(reply, zmq::recv_flags::dontwait)) {
        ++acked;
        send(writer);
      }
    }
  }
  return acked / std::chrono::duration<double>(Clock::now() - start).count();
}

std::string LoadAverage() {
  std::ifstream file("/proc/loadavg");
  std::string one, five, fifteen;
  file >> one >> five >> fifteen;
  return one + " " + five + " " + fifteen;
}

std::string TemporaryDirectory(const std::string& parent) {
  std::string pattern = parent + "/replay-log-bench-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    std::perror("replay_log_bench: mkdtemp");
    std::exit(1);
  }
  return pattern;
}

uint64_t DirectoryBytes(const std::string& dir) {
  uint64_t bytes = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) bytes += entry.file_size();
  return bytes;
}

void DropFromPageCache(const std::string& dir) {
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const int fd = open(entry.path().c_str(), O_RDONLY);
    if (fd < 0) continue;
    posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    close(fd);
  }
}

double TimeCreate(const std::string& dir) {
  const auto start = Clock::now();
  auto service = CreateOrDie(BenchConfig("HalfCheetah-v4", dir));
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Bytes per second the disk takes in 2 MiB pwrites, each fdatasync'd, for `seconds`.
double SyncedWriteRate(const std::string& parent, double seconds) {
  const std::string dir = TemporaryDirectory(parent);
  const std::string path = dir + "/probe";
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  const std::string block(2 << 20, 'x');
  uint64_t written = 0;
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration<double>(seconds);
  while (fd >= 0 && Clock::now() < end) {
    if (pwrite(fd, block.data(), block.size(), static_cast<off_t>(written)) != static_cast<ssize_t>(block.size()) ||
        fdatasync(fd) != 0) {
      break;
    }
    written += block.size();
  }
  const double rate = written / std::chrono::duration<double>(Clock::now() - start).count();
  if (fd >= 0) close(fd);
  std::filesystem::remove_all(dir);
  return rate;
}

// The median of `runs` timings of `work`, in milliseconds.
double MedianMs(int runs, const std::function<void()>& work) {
  std::vector<double> ms;
  for (int run = 0; run < runs; ++run) {
    const auto start = Clock::now();
    work();
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
  std::nth_element(ms.begin(), ms.begin() + runs / 2, ms.end());
  return ms[runs / 2];
}

// A prioritized Pendulum-v1 store of capacity kRecoveryTransitions into which `inserted` transitions numbered
// from `first` on were inserted, from slot 0 as recovery fills it.
ddpg::TransitionStore PrioritizedStore(uint64_t first, uint64_t inserted, std::mt19937& rng) {
  ddpg::TransitionStore store(3, 1, kRecoveryTransitions, ddpg::PriorityOptions{});
  store.StartCountAt(first);
  const std::vector<ddpg::protocol::TransitionBatch> chunks = ActorChunks(3, 1, 200, rng);
  for (uint64_t done = 0; done < inserted; done += kChunkSize)
    (void)store.Insert(chunks[done / kChunkSize % chunks.size()]);
  return store;
}

void PrioritySnapshotCosts(const std::string& parent, std::mt19937& rng) {
  // 1.5M inserted: the ring has wrapped, so the copy is two pieces.
  ddpg::TransitionStore store = PrioritizedStore(0, 3 * kRecoveryTransitions / 2, rng);
  std::vector<uint64_t> slots(kRecoveryTransitions), generations(kRecoveryTransitions);
  std::vector<float> priorities(kRecoveryTransitions);
  std::uniform_real_distribution<float> priority(0.0f, 10.0f);
  for (uint64_t slot = 0; slot < kRecoveryTransitions; ++slot) {
    slots[slot] = slot;
    generations[slot] = store.generation(slot);
    priorities[slot] = priority(rng);
  }
  (void)store.UpdatePriorities(slots, generations, priorities);
  ddpg::PrioritySnapshot snapshot;
  const double copy_ms = MedianMs(21, [&] { snapshot = store.TakePrioritySnapshot(); });
  const std::string dir = TemporaryDirectory(parent);
  const double write_ms = MedianMs(5, [&] { (void)ddpg::WritePrioritySnapshot(dir, snapshot); });
  DropFromPageCache(dir);
  std::optional<ddpg::PrioritySnapshot> read;
  const double read_ms = MedianMs(1, [&] { read = *ddpg::ReadPrioritySnapshot(dir, kRecoveryTransitions).value(); });
  // As recovery leaves a store: the same transitions, from slot 0.
  ddpg::TransitionStore recovered = PrioritizedStore(kRecoveryTransitions / 2, kRecoveryTransitions, rng);
  size_t restored = 0;
  const double restore_ms = MedianMs(1, [&] { restored = recovered.RestorePriorities(*read); });
  std::printf(
      "priority snapshot of %zu transitions (%.1f MB): copy %.2f ms (median of 21), write %.1f ms (median of 5), "
      "read %.1f ms from disk, restore %.1f ms\n",
      restored, DirectoryBytes(dir) / 1e6, copy_ms, write_ms, read_ms, restore_ms);
  std::filesystem::remove_all(dir);
}

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 3.0;
  const std::string parent = argc > 2 ? argv[2] : std::filesystem::temp_directory_path().string();
  if (argc > 3) sync_interval_ms = std::atoi(argv[3]);
  spdlog::set_level(spdlog::level::warn);
  std::mt19937 rng(1);
  std::printf("load average before: %s\n", LoadAverage().c_str());
  std::printf("ingest: chunks of %d transitions, %d in flight per writer, sync_interval_ms %d\n", kChunkSize, kInFlight,
              sync_interval_ms);
  std::printf("%-16s %8s %16s %16s %8s %12s %12s\n", "env", "writers", "memory trans/s", "disk trans/s", "ratio",
              "disk MB/s", "record B/tr");
  std::vector<ddpg::protocol::TransitionBatch> cheetah_chunks;
  for (const auto& [env_id, obs_dim, act_dim, episode_steps] :
       {std::tuple{"Pendulum-v1", 3u, 1u, 200}, std::tuple{"HalfCheetah-v4", kObsDim, kActDim, 1000}}) {
    const std::vector<ddpg::protocol::TransitionBatch> chunks = ActorChunks(obs_dim, act_dim, episode_steps, rng);
    if (obs_dim == kObsDim) cheetah_chunks = chunks;
    const double record_bytes = RecordBytesPerTransition(chunks);
    for (int writers : {1, 4, 16, 64}) {
      double memory = 0.0, disk = 0.0;
      {
        RunningService service(BenchConfig(env_id, ""));
        memory = Ingest(service.service->endpoint(), writers, seconds, chunks) * kChunkSize;
      }
      const std::string dir = TemporaryDirectory(parent);
      {
        RunningService service(BenchConfig(env_id, dir));
        disk = Ingest(service.service->endpoint(), writers, seconds, chunks) * kChunkSize;
      }
      std::filesystem::remove_all(dir);
      std::printf("%-16s %8d %16.0f %16.0f %8.2f %12.1f %12.1f\n", env_id, writers, memory, disk, disk / memory,
                  disk * record_bytes / 1e6, record_bytes);
    }
  }
  std::printf("baseline: the disk takes %.1f MB/s in 2 MiB writes, each fdatasync'd\n",
              SyncedWriteRate(parent, seconds) / 1e6);

  const std::string dir = TemporaryDirectory(parent);
  {
    ddpg::TransitionStore store(kObsDim, kActDim, kRecoveryTransitions);
    ddpg::DuplicateFilter filter;
    auto log = ddpg::LogWriter::Open({.data_dir = dir,
                                      .manifest = {.env_id = "HalfCheetah-v4",
                                                   .obs_dim = kObsDim,
                                                   .act_dim = kActDim,
                                                   .capacity = kRecoveryTransitions}},
                                     store, filter);
    if (!log.ok()) {
      std::fprintf(stderr, "replay_log_bench: %s\n", log.status().message().c_str());
      return 1;
    }
    for (uint64_t sequence = 0; sequence < kRecoveryTransitions / kChunkSize; ++sequence) {
      (*log)->Append({.actor_id = 0,
                      .incarnation = 1,
                      .sequence = sequence,
                      .transitions = cheetah_chunks[sequence % cheetah_chunks.size()]},
                     sequence * kChunkSize);
    }
    (*log)->Close();
  }
  DropFromPageCache(dir);
  const double cold = TimeCreate(dir);
  const double warm = TimeCreate(dir);
  std::printf(
      "recovery of %llu HalfCheetah-v4 transitions (log of %.1f MB): %.2f s from disk, %.2f s from the "
      "page cache\n",
      static_cast<unsigned long long>(kRecoveryTransitions), DirectoryBytes(dir) / 1e6, cold, warm);
  std::filesystem::remove_all(dir);
  PrioritySnapshotCosts(parent, rng);
  std::printf("load average after: %s\n", LoadAverage().c_str());
  return 0;
}
