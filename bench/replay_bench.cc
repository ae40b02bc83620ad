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
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include <zmq.hpp>

#include "common/protocol.h"
#include "common/transport.h"
#include "replay_server/replay_service.h"

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kChunkSize = 100;  // transitions per insert, as configs/pendulum.ini sends them
constexpr int kBatchSize = 256;
constexpr int kInFlight = 8;
constexpr uint64_t kCapacity = 1000000;

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

// Keeps kInFlight requests outstanding for `seconds`; make_request(i) builds request i, and on_reply(socket,
// reply) may send more before the next request. Returns replies/s.
template <class MakeRequest, class OnReply>
double Pump(const std::string& endpoint, double seconds, MakeRequest make_request, OnReply on_reply) {
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
    on_reply(socket, reply);
    ddpg::SendMessage(socket, make_request(sent++), /*dont_wait=*/false);
  }
  return received / std::chrono::duration<double>(Clock::now() - start).count();
}

template <class MakeRequest>
double Pump(const std::string& endpoint, double seconds, MakeRequest make_request) {
  return Pump(endpoint, seconds, make_request, [](zmq::socket_t&, const zmq::message_t&) {});
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

std::unique_ptr<Service> StartService(ddpg::ReplaySampler sampler) {
  ddpg::Config config;
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
    baseline_inserts = Pump(echo.endpoint(), seconds, insert);
  }
  ddpg::protocol::SampleReply reply;
  reply.transitions = PendulumBatch(kBatchSize, rng);
  reply.indices.resize(kBatchSize);
  {
    EchoServer echo(ddpg::protocol::Encode(reply));
    baseline_uniform = Pump(echo.endpoint(), seconds, sample);
  }
  reply.generations.assign(kBatchSize, 1);
  reply.weights.assign(kBatchSize, 1.0f);
  {
    EchoServer echo(ddpg::protocol::Encode(reply));
    baseline_prioritized = Pump(echo.endpoint(), seconds, sample);
  }

  double uniform_inserts, uniform_samples;
  {
    auto service = StartService(ddpg::ReplaySampler::kUniform);
    const std::string endpoint = service->service->endpoint();
    uniform_inserts = Pump(endpoint, seconds, insert);
    FillUp(endpoint, chunk, sequence);
    uniform_samples = Pump(endpoint, seconds, sample);
  }
  double prioritized_inserts, prioritized_samples, prioritized_with_updates;
  {
    auto service = StartService(ddpg::ReplaySampler::kPrioritized);
    const std::string endpoint = service->service->endpoint();
    prioritized_inserts = Pump(endpoint, seconds, insert);
    FillUp(endpoint, chunk, sequence);
    prioritized_samples = Pump(endpoint, seconds, sample);
    std::mt19937 td_rng(2);
    prioritized_with_updates = Pump(endpoint, seconds, sample, [&](zmq::socket_t& socket, const zmq::message_t& frame) {
      SendPriorities(socket, frame, td_rng);
    });
  }

  std::printf("%-44s %14s %14s %8s\n", "1M transitions of Pendulum-v1, loopback TCP", "replay_server", "raw ZeroMQ",
              "ratio");
  PrintRow("uniform: inserts (chunks of 100)/s", uniform_inserts, baseline_inserts, kChunkSize);
  PrintRow("uniform: samples (batches of 256)/s", uniform_samples, baseline_uniform, kBatchSize);
  PrintRow("prioritized: inserts (chunks of 100)/s", prioritized_inserts, baseline_inserts, kChunkSize);
  PrintRow("prioritized: samples (batches of 256)/s", prioritized_samples, baseline_prioritized, kBatchSize);
  PrintRow("prioritized: samples + priority updates/s", prioritized_with_updates, baseline_prioritized, kBatchSize);
  return 0;
}
