// Replay server throughput against a raw ZeroMQ baseline, run by hand:
//   build/bin/replay_bench [seconds per measurement, default 3]
//
// Both sides run in this process on loopback TCP: the real ReplayService on one thread, a client on the
// main thread. The baseline replaces the service with a bare ROUTER that answers every frame with a
// pre-encoded reply of the same size, without decoding or storing anything, so the ratio is what the
// protocol, the store and the rate limiter cost over the transport itself.
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <thread>

#include <zmq.hpp>

#include "common/protocol.h"
#include "common/transport.h"
#include "replay_server/replay_service.h"

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kChunkSize = 100;  // transitions per insert, as configs/pendulum.ini sends them
constexpr int kBatchSize = 256;
constexpr int kInFlight = 8;

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

// Keeps kInFlight requests outstanding for `seconds`; make_request(i) builds request i. Returns replies/s.
template <class MakeRequest>
double Pump(const std::string& endpoint, double seconds, MakeRequest make_request) {
  zmq::context_t context;
  zmq::socket_t socket(context, zmq::socket_type::dealer);
  ddpg::ConfigureSocket(socket);
  socket.connect(endpoint);
  uint64_t sent = 0, received = 0;
  for (; sent < kInFlight; ++sent) ddpg::SendMessage(socket, make_request(sent), /*dont_wait=*/false);
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration<double>(seconds);
  zmq::message_t reply;
  while (Clock::now() < end) {
    if (!socket.recv(reply, zmq::recv_flags::none)) continue;
    ++received;
    ddpg::SendMessage(socket, make_request(sent++), /*dont_wait=*/false);
  }
  return received / std::chrono::duration<double>(Clock::now() - start).count();
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

std::unique_ptr<Service> StartService() {
  ddpg::Config config;
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
  auto insert = [&](uint64_t i) {
    return ddpg::protocol::InsertChunk{.actor_id = 0, .incarnation = 1, .sequence = i, .transitions = chunk};
  };
  auto sample = [&](uint64_t i) { return ddpg::protocol::SampleRequest{i, kBatchSize}; };

  double baseline_inserts, baseline_samples;
  {
    EchoServer echo(ddpg::protocol::Encode(ddpg::protocol::InsertAck{0, 0, false, 0}));
    baseline_inserts = Pump(echo.endpoint(), seconds, insert);
  }
  {
    ddpg::protocol::SampleReply reply{0, PendulumBatch(kBatchSize, rng), std::vector<uint64_t>(kBatchSize), 0, 0, 0};
    EchoServer echo(ddpg::protocol::Encode(reply));
    baseline_samples = Pump(echo.endpoint(), seconds, sample);
  }
  auto service = StartService();
  const std::string endpoint = service->service->endpoint();
  const double inserts = Pump(endpoint, seconds, insert);  // also fills the store for sampling
  const double samples = Pump(endpoint, seconds, sample);

  std::printf("%-28s %14s %14s %8s\n", "", "replay_server", "raw ZeroMQ", "ratio");
  std::printf("%-28s %14.0f %14.0f %8.2f\n", "inserts (chunks of 100)/s", inserts, baseline_inserts,
              inserts / baseline_inserts);
  std::printf("%-28s %14.0f %14.0f %8.2f\n", "  = transitions/s", inserts * kChunkSize, baseline_inserts * kChunkSize,
              inserts / baseline_inserts);
  std::printf("%-28s %14.0f %14.0f %8.2f\n", "samples (batches of 256)/s", samples, baseline_samples,
              samples / baseline_samples);
  std::printf("%-28s %14.0f %14.0f %8.2f\n", "  = transitions/s", samples * kBatchSize, baseline_samples * kBatchSize,
              samples / baseline_samples);
  return 0;
}
