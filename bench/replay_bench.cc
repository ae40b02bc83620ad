// Replay server throughput against a raw ZeroMQ baseline, run by hand:
//   build/bin/replay_bench [seconds per measurement, default 3]
//
// Both sides run in this process on loopback TCP: the real ReplayService on one thread, a client on the
// main thread. The baseline replaces the service with a bare ROUTER that answers every frame with a
// pre-encoded reply of the same size, without decoding or storing anything, so the ratio is what the
// protocol, the store and the rate limiter cost over the transport itself. A second table compares two
// fresh ReplayServices, one with run.security = curve (keys made in a temporary directory) and one plain,
// in alternating rounds: what CurveZMQ's encryption costs the same inserts and samples, in throughput and
// in CPU time per message (the process's, so both ends together).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <string>
#include <thread>

#include <zmq.hpp>

#include "common/curve_security.h"
#include "common/protocol.h"
#include "common/transport.h"
#include "replay_server/replay_service.h"

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kChunkSize = 100;  // transitions per insert, as configs/pendulum.ini sends them
constexpr int kBatchSize = 256;
constexpr int kInFlight = 8;
constexpr int kCurveRounds = 5;

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

ddpg::protocol::TransitionBatch PendulumBatch(int n, std::mt19937& rng) {
  std::uniform_real_distribution<float> value(-1.0f, 1.0f);
  ddpg::protocol::TransitionBatch batch;
  batch.obs_dim = 3;
  batch.act_dim = 1;
  for (int i = 0; i < n; ++i) {
    for (int d = 0; d < 3; ++d) batch.observations.push_back(value(rng));
    batch.actions.push_back(value(rng));
    batch.rewards.push_back(value(rng));
    batch.discounts.push_back(0.99f);
    for (int d = 0; d < 3; ++d) batch.next_observations.push_back(value(rng));
    batch.policy_versions.push_back(1);
  }
  return batch;
}

// Replies per second, and the CPU time this whole process (client, server and their I/O threads) spent
// per reply: unlike the rate, it barely depends on what else the machine runs.
struct Throughput {
  double per_s = 0;
  double cpu_us = 0;
};

double ProcessCpuSeconds() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

// Keeps kInFlight requests outstanding for `seconds`; make_request(i) builds request i.
template <class MakeRequest>
Throughput Pump(const std::string& endpoint, double seconds, MakeRequest make_request,
                const std::optional<ddpg::CurveClientKeys>& curve = std::nullopt) {
  zmq::context_t context;
  zmq::socket_t socket(context, zmq::socket_type::dealer);
  ddpg::ConfigureSocket(socket);
  ddpg::SecureClientSocket(socket, curve);
  socket.connect(endpoint);
  uint64_t sent = 0, received = 0;
  for (; sent < kInFlight; ++sent) ddpg::SendMessage(socket, make_request(sent), /*dont_wait=*/false);
  const auto start = Clock::now();
  const double cpu_start = ProcessCpuSeconds();
  const auto end = start + std::chrono::duration<double>(seconds);
  zmq::message_t reply;
  while (Clock::now() < end) {
    if (!socket.recv(reply, zmq::recv_flags::none)) continue;
    ++received;
    ddpg::SendMessage(socket, make_request(sent++), /*dont_wait=*/false);
  }
  return {received / std::chrono::duration<double>(Clock::now() - start).count(),
          (ProcessCpuSeconds() - cpu_start) * 1e6 / static_cast<double>(received)};
}

// A ROUTER that answers every frame with `reply`.
class EchoServer {
 public:
  explicit EchoServer(std::string reply) : reply_(std::move(reply)), socket_(context_, zmq::socket_type::router) {
    ddpg::ConfigureSocket(socket_);
    socket_.bind("tcp://127.0.0.1:*");
    endpoint_ = socket_.get(zmq::sockopt::last_endpoint);
    thread_ = std::thread([this] { Serve(); });
  }
  ~EchoServer() {
    stop_ = true;
    thread_.join();
  }
  const std::string& endpoint() const { return endpoint_; }

 private:
  void Serve() {
    std::vector<zmq::pollitem_t> items = {{socket_.handle(), 0, ZMQ_POLLIN, 0}};
    zmq::message_t id, frame;
    while (!stop_) {
      if (ddpg::Poll(items, 100) == 0) continue;
      while (socket_.recv(id, zmq::recv_flags::dontwait)) {
        (void)socket_.recv(frame, zmq::recv_flags::none);
        (void)socket_.send(id, zmq::send_flags::sndmore);
        (void)socket_.send(zmq::buffer(reply_), zmq::send_flags::none);
      }
    }
  }

  std::string reply_;
  zmq::context_t context_;
  zmq::socket_t socket_;
  std::string endpoint_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

struct Service {
  std::unique_ptr<ddpg::ReplayService> service;
  std::thread thread;
  ~Service() {
    service->Stop();
    thread.join();
  }
};

// run.security = curve with a fresh server pair and one allowed client pair in `dir`; the client's keys.
ddpg::CurveClientKeys MakeCurveKeys(const std::string& dir, ddpg::RunConfig& run) {
  run.security = ddpg::Security::kCurve;
  run.server_public_key_file = dir + "/server.public";
  run.server_secret_key_file = dir + "/server.secret";
  run.client_secret_key_file = dir + "/client.secret";
  run.allowed_clients_file = dir + "/allowed_clients";
  auto server = ddpg::WriteCurveKeyPair(run.server_public_key_file, run.server_secret_key_file);
  auto client = ddpg::WriteCurveKeyPair(dir + "/client.public", run.client_secret_key_file);
  std::ofstream(run.allowed_clients_file) << (client.ok() ? *client : "") << " bench\n";
  auto security = ddpg::LoadSocketSecurity(run, ddpg::SocketRoles::kClient);
  if (!server.ok() || !client.ok() || !security.ok()) {
    std::fprintf(stderr, "replay_bench: cannot make keys in %s\n", dir.c_str());
    std::exit(1);
  }
  return *security->client;
}

std::unique_ptr<Service> StartService(const ddpg::RunConfig& run = {}) {
  ddpg::Config config;
  config.run = run;
  config.replay.bind = "tcp://127.0.0.1:*";
  config.replay.capacity = 1000000;
  config.replay.min_size_to_sample = 1;
  config.replay.samples_per_insert = 1.0;
  config.replay.rate_error_buffer = 1e12;  // measure the server, not the rate limit
  auto service = ddpg::ReplayService::Create(config);
  if (!service.ok() || !(*service)->Bind().ok()) {
    std::fprintf(stderr, "replay_bench: cannot start the replay service\n");
    std::exit(1);
  }
  auto running = std::make_unique<Service>();
  running->service = std::move(*service);
  running->thread = std::thread([s = running->service.get()] { s->Run(); });
  return running;
}

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 3.0;
  std::mt19937 rng(1);
  const ddpg::protocol::TransitionBatch chunk = PendulumBatch(kChunkSize, rng);
  // Each measurement is another actor process to the server (a new incarnation), so that no round's chunks
  // are taken for duplicates of an earlier round's and acknowledged without being stored.
  uint64_t incarnation = 0;
  auto insert = [&](uint64_t i) {
    if (i == 0) ++incarnation;
    return ddpg::protocol::InsertChunk{.actor_id = 0, .incarnation = incarnation, .sequence = i, .transitions = chunk};
  };
  auto sample = [&](uint64_t i) { return ddpg::protocol::SampleRequest{i, kBatchSize}; };

  double baseline_inserts, baseline_samples;
  {
    EchoServer echo(ddpg::protocol::Encode(ddpg::protocol::InsertAck{0, 0, false, 0}));
    baseline_inserts = Pump(echo.endpoint(), seconds, insert).per_s;
  }
  {
    ddpg::protocol::SampleReply reply{0, PendulumBatch(kBatchSize, rng), std::vector<uint64_t>(kBatchSize), 0, 0, 0};
    EchoServer echo(ddpg::protocol::Encode(reply));
    baseline_samples = Pump(echo.endpoint(), seconds, sample).per_s;
  }
  auto service = StartService();
  const std::string endpoint = service->service->endpoint();
  const double inserts = Pump(endpoint, seconds, insert).per_s;  // also fills the store for sampling
  const double samples = Pump(endpoint, seconds, sample).per_s;

  std::printf("%-28s %14s %14s %8s\n", "", "replay_server", "raw ZeroMQ", "ratio");
  std::printf("%-28s %14.0f %14.0f %8.2f\n", "inserts (chunks of 100)/s", inserts, baseline_inserts,
              inserts / baseline_inserts);
  std::printf("%-28s %14.0f %14.0f %8.2f\n", "  = transitions/s", inserts * kChunkSize, baseline_inserts * kChunkSize,
              inserts / baseline_inserts);
  std::printf("%-28s %14.0f %14.0f %8.2f\n", "samples (batches of 256)/s", samples, baseline_samples,
              samples / baseline_samples);
  std::printf("%-28s %14.0f %14.0f %8.2f\n", "  = transitions/s", samples * kBatchSize, baseline_samples * kBatchSize,
              samples / baseline_samples);
  service.reset();

  // CurveZMQ against plain on two fresh services side by side, in alternating rounds so that a load that
  // comes and goes on a shared machine weighs on both; the medians are compared.
  std::string dir = (std::filesystem::temp_directory_path() / "replay_bench_keys_XXXXXX").string();
  if (mkdtemp(dir.data()) == nullptr) return 1;
  ddpg::RunConfig run;
  const ddpg::CurveClientKeys client = MakeCurveKeys(dir, run);
  auto plain_service = StartService();
  auto curve_service = StartService(run);
  const std::string plain_endpoint = plain_service->service->endpoint();
  const std::string curve_endpoint = curve_service->service->endpoint();
  std::vector<Throughput> plain_inserts, curve_inserts, plain_samples, curve_samples;
  for (int round = 0; round < kCurveRounds; ++round) {
    plain_inserts.push_back(Pump(plain_endpoint, seconds, insert));
    curve_inserts.push_back(Pump(curve_endpoint, seconds, insert, client));
  }
  for (int round = 0; round < kCurveRounds; ++round) {
    plain_samples.push_back(Pump(plain_endpoint, seconds, sample));
    curve_samples.push_back(Pump(curve_endpoint, seconds, sample, client));
  }
  curve_service.reset();
  plain_service.reset();
  std::filesystem::remove_all(dir);

  std::printf("\n%-36s %12s %12s %8s   (medians of %d rounds)\n", "replay_server", "CurveZMQ", "plain", "ratio",
              kCurveRounds);
  auto row = [](const char* name, const std::vector<Throughput>& curve, const std::vector<Throughput>& plain,
                double Throughput::*field, double scale) {
    auto median = [&](const std::vector<Throughput>& rounds) {
      std::vector<double> values;
      for (const Throughput& round : rounds) values.push_back(round.*field * scale);
      return Median(values);
    };
    std::printf("%-36s %12.1f %12.1f %8.2f\n", name, median(curve), median(plain), median(curve) / median(plain));
  };
  row("inserts (chunks of 100)/s", curve_inserts, plain_inserts, &Throughput::per_s, 1.0);
  row("  = transitions/s", curve_inserts, plain_inserts, &Throughput::per_s, kChunkSize);
  row("  CPU us per chunk, both ends", curve_inserts, plain_inserts, &Throughput::cpu_us, 1.0);
  row("samples (batches of 256)/s", curve_samples, plain_samples, &Throughput::per_s, 1.0);
  row("  = transitions/s", curve_samples, plain_samples, &Throughput::per_s, kBatchSize);
  row("  CPU us per batch, both ends", curve_samples, plain_samples, &Throughput::cpu_us, 1.0);
  return 0;
}
