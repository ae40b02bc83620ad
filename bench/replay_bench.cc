// Replay server throughput against a raw ZeroMQ baseline, run by hand:
//   build/bin/replay_bench [seconds per measurement, default 3]
//
// Both sides run in this process on loopback TCP: the real ReplayService on one thread, a client on the
// main thread. The baseline replaces the service with a bare ROUTER that answers every frame with a
// pre-encoded reply of the same size, without decoding or storing anything, so the ratio is what the
// protocol, the store and the rate limiter cost over the transport itself.
//
// Two services of 1M transitions are measured in turn, each filled to capacity first: one that samples
// uniformly and one that samples by priority (replay.sampler = prioritized). The prioritized one is
// sampled twice: requests alone, and as the learner drives it, decoding every reply and sending a
// PriorityUpdate for its 256 slots before the next request (its baseline is the same reply size; the
// updates are extra traffic the baseline does not carry).
//
// A last table compares two fresh uniform services, one with run.security = curve (keys made in a
// temporary directory) and one plain, in alternating rounds: what CurveZMQ's encryption costs the same
// inserts and samples, in throughput and in CPU time per message (the process's, so both ends together).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <variant>
#include <vector>

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
constexpr uint64_t kCapacity = 1000000;
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

// Keeps kInFlight requests outstanding for `seconds`; make_request(i) builds request i, and on_reply(socket,
// reply) may send more before the next request. With `curve`, the socket speaks CurveZMQ with those keys.
template <class MakeRequest, class OnReply>
Throughput Pump(const std::string& endpoint, double seconds, MakeRequest make_request, OnReply on_reply,
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
    on_reply(socket, reply);
    ddpg::SendMessage(socket, make_request(sent++), /*dont_wait=*/false);
  }
  return {received / std::chrono::duration<double>(Clock::now() - start).count(),
          (ProcessCpuSeconds() - cpu_start) * 1e6 / static_cast<double>(received)};
}

constexpr auto kIgnoreReply = [](zmq::socket_t&, const zmq::message_t&) {};

template <class MakeRequest>
Throughput Pump(const std::string& endpoint, double seconds, MakeRequest make_request) {
  return Pump(endpoint, seconds, make_request, kIgnoreReply);
}

// Sends a PriorityUpdate for the slots of a SampleReply, as the learner does after training on it.
void SendPriorities(zmq::socket_t& socket, const zmq::message_t& frame, std::mt19937& rng) {
  ddpg::StatusOr<ddpg::protocol::Message> message = ddpg::protocol::Decode(frame.data(), frame.size());
  const auto* reply = message.ok() ? std::get_if<ddpg::protocol::SampleReply>(&*message) : nullptr;
  if (reply == nullptr) {
    std::fprintf(stderr, "replay_bench: the service answered something else than a SampleReply\n");
    std::exit(1);
  }
  std::exponential_distribution<float> td_error(1.0f);
  std::vector<float> priorities(reply->indices.size());
  for (float& priority : priorities) priority = td_error(rng);
  ddpg::SendMessage(
      socket,
      ddpg::protocol::PriorityUpdate{reply->server_instance, reply->indices, reply->generations, std::move(priorities)},
      /*dont_wait=*/false);
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

std::unique_ptr<Service> StartService(ddpg::ReplaySampler sampler, const ddpg::RunConfig& run = {}) {
  ddpg::Config config;
  config.run = run;
  config.replay.bind = "tcp://127.0.0.1:*";
  config.replay.capacity = kCapacity;
  config.replay.min_size_to_sample = 1;
  config.replay.samples_per_insert = 1.0;
  config.replay.rate_error_buffer = 1e12;  // measure the server, not the rate limit
  config.replay.sampler = sampler;
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

// Inserts chunk after chunk, one at a time, until the service holds kCapacity transitions; `sequence` is
// the next chunk's sequence number.
void FillUp(const std::string& endpoint, const ddpg::protocol::TransitionBatch& chunk, uint64_t& sequence) {
  zmq::context_t context;
  zmq::socket_t socket(context, zmq::socket_type::dealer);
  ddpg::ConfigureSocket(socket);
  socket.connect(endpoint);
  for (;;) {
    ddpg::SendMessage(
        socket,
        ddpg::protocol::InsertChunk{.actor_id = 0, .incarnation = 1, .sequence = sequence++, .transitions = chunk},
        /*dont_wait=*/false);
    zmq::message_t frame;
    if (!socket.recv(frame, zmq::recv_flags::none)) continue;
    ddpg::StatusOr<ddpg::protocol::Message> message = ddpg::protocol::Decode(frame.data(), frame.size());
    const auto* ack = message.ok() ? std::get_if<ddpg::protocol::InsertAck>(&*message) : nullptr;
    if (ack != nullptr && ack->replay_size >= kCapacity) return;
  }
}

void PrintRow(const char* name, double server, double baseline, int per_message) {
  std::printf("%-44s %14.0f %14.0f %8.2f\n", name, server, baseline, server / baseline);
  if (per_message > 1) {
    std::printf("%-44s %14.0f %14.0f %8.2f\n", "  = transitions/s", server * per_message, baseline * per_message,
                server / baseline);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 3.0;
  std::mt19937 rng(1);
  const ddpg::protocol::TransitionBatch chunk = PendulumBatch(kChunkSize, rng);
  uint64_t sequence = 0;  // kept across pumps: a sequence number seen before would be a duplicate
  auto insert = [&](uint64_t) {
    return ddpg::protocol::InsertChunk{.actor_id = 0, .incarnation = 1, .sequence = sequence++, .transitions = chunk};
  };
  auto sample = [&](uint64_t i) { return ddpg::protocol::SampleRequest{i, kBatchSize}; };

  double baseline_inserts, baseline_uniform, baseline_prioritized;
  {
    EchoServer echo(ddpg::protocol::Encode(ddpg::protocol::InsertAck{0, 0, false, 0}));
    baseline_inserts = Pump(echo.endpoint(), seconds, insert).per_s;
  }
  ddpg::protocol::SampleReply reply;
  reply.transitions = PendulumBatch(kBatchSize, rng);
  reply.indices.resize(kBatchSize);
  {
    EchoServer echo(ddpg::protocol::Encode(reply));
    baseline_uniform = Pump(echo.endpoint(), seconds, sample).per_s;
  }
  reply.generations.assign(kBatchSize, 1);
  reply.weights.assign(kBatchSize, 1.0f);
  {
    EchoServer echo(ddpg::protocol::Encode(reply));
    baseline_prioritized = Pump(echo.endpoint(), seconds, sample).per_s;
  }

  double uniform_inserts, uniform_samples;
  {
    auto service = StartService(ddpg::ReplaySampler::kUniform);
    const std::string endpoint = service->service->endpoint();
    uniform_inserts = Pump(endpoint, seconds, insert).per_s;
    FillUp(endpoint, chunk, sequence);
    uniform_samples = Pump(endpoint, seconds, sample).per_s;
  }
  double prioritized_inserts, prioritized_samples, prioritized_with_updates;
  {
    auto service = StartService(ddpg::ReplaySampler::kPrioritized);
    const std::string endpoint = service->service->endpoint();
    prioritized_inserts = Pump(endpoint, seconds, insert).per_s;
    FillUp(endpoint, chunk, sequence);
    prioritized_samples = Pump(endpoint, seconds, sample).per_s;
    std::mt19937 td_rng(2);
    prioritized_with_updates = Pump(endpoint, seconds, sample, [&](zmq::socket_t& socket, const zmq::message_t& frame) {
                                 SendPriorities(socket, frame, td_rng);
                               }).per_s;
  }

  std::printf("%-44s %14s %14s %8s\n", "1M transitions of Pendulum-v1, loopback TCP", "replay_server", "raw ZeroMQ",
              "ratio");
  PrintRow("uniform: inserts (chunks of 100)/s", uniform_inserts, baseline_inserts, kChunkSize);
  PrintRow("uniform: samples (batches of 256)/s", uniform_samples, baseline_uniform, kBatchSize);
  PrintRow("prioritized: inserts (chunks of 100)/s", prioritized_inserts, baseline_inserts, kChunkSize);
  PrintRow("prioritized: samples (batches of 256)/s", prioritized_samples, baseline_prioritized, kBatchSize);
  PrintRow("prioritized: samples + priority updates/s", prioritized_with_updates, baseline_prioritized, kBatchSize);

  // CurveZMQ against plain on two fresh services side by side, in alternating rounds so that a load that
  // comes and goes on a shared machine weighs on both; the medians are compared.
  std::string dir = (std::filesystem::temp_directory_path() / "replay_bench_keys_XXXXXX").string();
  if (mkdtemp(dir.data()) == nullptr) return 1;
  ddpg::RunConfig run;
  const ddpg::CurveClientKeys client = MakeCurveKeys(dir, run);
  auto plain_service = StartService(ddpg::ReplaySampler::kUniform);
  auto curve_service = StartService(ddpg::ReplaySampler::kUniform, run);
  const std::string plain_endpoint = plain_service->service->endpoint();
  const std::string curve_endpoint = curve_service->service->endpoint();
  std::vector<Throughput> plain_inserts, curve_inserts, plain_samples, curve_samples;
  for (int round = 0; round < kCurveRounds; ++round) {
    plain_inserts.push_back(Pump(plain_endpoint, seconds, insert));
    curve_inserts.push_back(Pump(curve_endpoint, seconds, insert, kIgnoreReply, client));
  }
  for (int round = 0; round < kCurveRounds; ++round) {
    plain_samples.push_back(Pump(plain_endpoint, seconds, sample));
    curve_samples.push_back(Pump(curve_endpoint, seconds, sample, kIgnoreReply, client));
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
