// Tests of the learner's weight publisher (learner/weight_publisher.h) with real sockets on 127.0.0.1.
#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>
#include <optional>
#include <thread>
#include <vector>

#include <zmq.hpp>

#include "common/frame_limits.h"
#include "common/protocol.h"
#include "learner/ddpg.h"
#include "learner/weight_publisher.h"

namespace ddpg {
namespace {

using namespace std::chrono_literals;

// Pendulum's actor: obs 3, hidden 256,256, act 1; its Weights frames are about 268 KB.
constexpr int kObsDim = 3;
constexpr int kActDim = 1;
const std::vector<int> kHiddenSizes = {256, 256};

protocol::Weights PendulumWeights(uint64_t version) {
  protocol::Weights weights;
  weights.version = version;
  weights.obs_dim = kObsDim;
  weights.act_dim = kActDim;
  weights.hidden_sizes = {256, 256};
  weights.parameters.assign(ActorParameterCount(kObsDim, kActDim, kHiddenSizes), 0.25f);
  return weights;
}

std::optional<uint64_t> ReceiveVersion(zmq::socket_t& subscriber, zmq::recv_flags flags = zmq::recv_flags::none) {
  zmq::message_t frame;
  if (!subscriber.recv(frame, flags)) return std::nullopt;
  StatusOr<protocol::Message> message = protocol::Decode(frame.data(), frame.size());
  REQUIRE(message.ok());
  return std::get<protocol::Weights>(*message).version;
}

// Every frame the subscriber has or still gets, until it has been silent for a second; their versions.
std::vector<uint64_t> Drain(zmq::socket_t& subscriber) {
  subscriber.set(zmq::sockopt::rcvtimeo, 1000);
  std::vector<uint64_t> versions;
  while (std::optional<uint64_t> version = ReceiveVersion(subscriber)) versions.push_back(*version);
  return versions;
}

// Every frame the subscriber has or still gets until it has delivered version `last` and then been silent for a
// second (on a loaded machine the last frames can take longer than a second to arrive); at most a minute.
std::vector<uint64_t> DrainThrough(zmq::socket_t& subscriber, uint64_t last) {
  subscriber.set(zmq::sockopt::rcvtimeo, 1000);
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  std::vector<uint64_t> versions;
  while (true) {
    if (std::optional<uint64_t> version = ReceiveVersion(subscriber)) {
      versions.push_back(*version);
    } else if ((!versions.empty() && versions.back() == last) || std::chrono::steady_clock::now() >= deadline) {
      return versions;
    }
  }
}

// The most a TCP connection's kernel send buffer grows to (net.ipv4.tcp_wmem's third field).
size_t KernelSendBufferMax() {
  std::ifstream file("/proc/sys/net/ipv4/tcp_wmem");
  size_t minimum = 0, initial = 0, maximum = 0;
  file >> minimum >> initial >> maximum;
  REQUIRE(maximum > 0);
  return maximum;
}

}  // namespace

TEST_CASE("a subscriber that stops reading is queued only the newest weights", "[weight_publisher]") {
  zmq::context_t context(1);
  WeightPublisher publisher(context, /*republish_interval_s=*/3600.0);
  REQUIRE(publisher.Bind("tcp://127.0.0.1:*").ok());

  // The stalled subscriber stands for an actor that is stopped or behind a slow link: once it holds one
  // frame its I/O thread takes nothing more off the connection, so whatever else is published for it
  // waits in the publisher. Its receive buffer is fixed (no autotuning), to keep the kernel's share small.
  constexpr int kReceiveBufferBytes = 128 << 10;
  zmq::socket_t stalled(context, zmq::socket_type::sub);
  stalled.set(zmq::sockopt::rcvhwm, 1);
  stalled.set(zmq::sockopt::rcvbuf, kReceiveBufferBytes);
  stalled.set(zmq::sockopt::subscribe, "");
  stalled.connect(publisher.endpoint());
  // A subscriber that keeps up must not be starved by the bound on the stalled one.
  zmq::socket_t live(context, zmq::socket_type::sub);
  live.set(zmq::sockopt::subscribe, "");
  live.connect(publisher.endpoint());

  // PUB drops what it publishes before a subscription has arrived: publish version 0 until both have it.
  // Joining takes milliseconds when idle and seconds on a loaded machine; the deadline only bounds a hang.
  bool stalled_joined = false, live_joined = false;
  const auto join_deadline = std::chrono::steady_clock::now() + 60s;
  while (!(stalled_joined && live_joined) && std::chrono::steady_clock::now() < join_deadline) {
    publisher.Publish(PendulumWeights(0));
    std::this_thread::sleep_for(50ms);
    stalled_joined = stalled_joined || ReceiveVersion(stalled, zmq::recv_flags::dontwait).has_value();
    live_joined = live_joined || ReceiveVersion(live, zmq::recv_flags::dontwait).has_value();
  }
  REQUIRE((stalled_joined && live_joined));
  Drain(stalled);
  Drain(live);

  // Between the publisher's queue and the stalled subscriber sit the kernel's buffers (the send buffer,
  // autotuned up to net.ipv4.tcp_wmem's maximum, 4 MiB by default: 16 frames; the receive buffer, which
  // the kernel doubles: 1 frame) and a few frames inside libzmq (the publisher's queue of one, the frame
  // being encoded, the frame being decoded, the subscriber's queue). Twice that is a bound with margin;
  // the default high-water mark queues every one of at least three times as many versions.
  const size_t frame_bytes = WeightsFrameBytes(kObsDim, kActDim, kHiddenSizes);
  const size_t buffered_frames = (KernelSendBufferMax() + 2 * kReceiveBufferBytes) / frame_bytes + 1 + 4;
  const size_t bound = 2 * buffered_frames;
  const uint64_t published = std::max<uint64_t>(300, 3 * bound);
  for (uint64_t version = 1; version <= published; ++version) {
    publisher.Publish(PendulumWeights(version));
    std::this_thread::sleep_for(1ms);  // lets the I/O thread fill the kernel's buffers, as real updates do
  }

  const std::vector<uint64_t> stalled_versions = DrainThrough(stalled, published);
  const std::vector<uint64_t> live_versions = DrainThrough(live, published);
  REQUIRE_FALSE(live_versions.empty());
  CHECK(live_versions.back() == published);
  INFO(stalled_versions.size() << " of " << published << " versions reached the stalled subscriber; bound " << bound);
  CHECK(stalled_versions.size() <= bound);
  REQUIRE_FALSE(stalled_versions.empty());
  CHECK(stalled_versions.back() == published);
}

TEST_CASE("the Weights frame size the start-up check predicts is that of a real actor's weights",
          "[weight_publisher]") {
  DdpgOptions options;
  options.obs_dim = 11;
  options.act_dim = 3;
  options.hidden_sizes = {64, 48};
  options.act_low.assign(3, -1.0f);
  options.act_high.assign(3, 1.0f);
  const DdpgAgent agent(options);

  protocol::Weights weights;
  weights.version = 123;
  weights.obs_dim = 11;
  weights.act_dim = 3;
  weights.hidden_sizes = {64, 48};
  weights.parameters = agent.ActorParameters();
  CHECK(weights.parameters.size() == ActorParameterCount(11, 3, options.hidden_sizes));
  CHECK(protocol::Encode(weights).size() == WeightsFrameBytes(11, 3, options.hidden_sizes));
}

}  // namespace ddpg
