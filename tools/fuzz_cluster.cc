// fuzz_cluster: sends malformed frames to the listening sockets of a running cluster (the replay server's
// ROUTER, the learner's reports PULL), then checks that the replay server still answers and reports the
// resident memory of the processes named by --pids before and after.
//
//   fuzz_cluster --replay tcp://127.0.0.1:5550 --reports tcp://127.0.0.1:5552 [--frames N] [--pids P,Q]
//
// Frames, in turn: random bytes; a valid frame of each of the 13 message types cut short; the same with a
// length field overwritten by a huge count; the same with 1-8 random bits flipped; the same under another
// protocol version; an InsertChunk that passes every check but holds an absurd finite reward or
// observation (up to 3e38); a PriorityUpdate for the replay server's own instance (asked for first, by a
// Heartbeat) naming slots up to 2^64 - 1 and generations 0-3 with priorities that are NaN, infinite,
// negative, up to 3e38, or 0; and (to the ROUTER) messages of 2 or 3 parts. Replies from the replay server
// are read and dropped as they come. Single-threaded; blocks until done. Exit codes: 0 the replay server
// answered afterwards, 1 it did not, 2 bad usage.
#include <boost/program_options.hpp>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <limits>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "common/protocol.h"
#include "common/transport.h"
#include "tools/sample_messages.h"

namespace po = boost::program_options;

namespace ddpg {
namespace {

using protocol::Message;

// One valid frame of every message type.
std::vector<std::string> ValidFrames() {
  std::vector<std::string> frames;
  for (const Message& message : fuzzing::OneMessageOfEachType()) frames.push_back(protocol::Encode(message));
  return frames;
}

class FrameMaker {
 public:
  // replay_instance: the replay server's instance id, so that priority updates are not ignored as meant for
  // another server before their values are looked at.
  FrameMaker(uint64_t seed, uint64_t replay_instance)
      : rng_(seed), valid_(ValidFrames()), replay_instance_(replay_instance) {}

  // A chunk that passes every check of the replay server (its own sequence number, finite values, actions
  // within bounds) but holds a reward or observation of a magnitude no environment produces.
  protocol::InsertChunk AbsurdChunk(uint64_t i) {
    protocol::InsertChunk chunk{static_cast<uint32_t>(1000 + i % 8), 0xf022, i, fuzzing::SmallBatch()};
    const float absurd = (rng_() % 2 ? 1.0f : -1.0f) * std::uniform_real_distribution<float>(1e20f, 3e38f)(rng_);
    std::vector<float>& field = rng_() % 2 ? chunk.transitions.rewards : chunk.transitions.observations;
    field[rng_() % field.size()] = absurd;
    return chunk;
  }

  // A priority update that decodes, for this server, with slots and priorities from plausible to absurd.
  protocol::PriorityUpdate AbsurdPriorityUpdate() {
    protocol::PriorityUpdate update{replay_instance_, {}, {}, {}};
    const std::vector<float> priorities = {
        std::nanf(""), std::numeric_limits<float>::infinity(), -1.0f, 3e38f, 1e29f, 0.0f, 1.0f};
    for (size_t entry = rng_() % 8; entry > 0; --entry) {
      update.indices.push_back(rng_() % 2 ? rng_() % 1000 : rng_());
      update.generations.push_back(rng_() % 4);
      update.priorities.push_back(priorities[rng_() % priorities.size()]);
    }
    return update;
  }

  std::string Next(uint64_t i) {
    std::string frame = valid_[i % valid_.size()];
    switch ((i / valid_.size()) % 7) {
      case 6:  // valid, for this server, but naming absurd slots or priorities
        return protocol::Encode(AbsurdPriorityUpdate());
      case 5:  // valid and new, but one reward or observation finite and absurd
        return protocol::Encode(AbsurdChunk(i));
      case 0: {  // random bytes
        frame.resize(std::uniform_int_distribution<size_t>(0, 512)(rng_));
        for (char& c : frame) c = static_cast<char>(rng_());
        break;
      }
      case 1:  // cut short
        frame.resize(std::uniform_int_distribution<size_t>(0, frame.size() - 1)(rng_));
        break;
      case 2: {  // a huge count where a length field may be
        if (frame.size() < protocol::kHeaderBytes + 9) break;
        const size_t at = std::uniform_int_distribution<size_t>(protocol::kHeaderBytes + 1, frame.size() - 8)(rng_);
        const uint64_t huge = 0xffffffffffffff00ull | (rng_() & 0xff);
        for (int b = 0; b < 8; ++b) frame[at + b] = static_cast<char>(huge >> (8 * b));
        break;
      }
      case 3: {  // bit flips
        const int flips = std::uniform_int_distribution<int>(1, 8)(rng_);
        for (int f = 0; f < flips; ++f) {
          const size_t bit = std::uniform_int_distribution<size_t>(0, frame.size() * 8 - 1)(rng_);
          frame[bit / 8] = static_cast<char>(frame[bit / 8] ^ (1 << (bit % 8)));
        }
        break;
      }
      default:  // another protocol version
        frame[4] = static_cast<char>(protocol::kProtocolVersion + 1 + rng_() % 100);
        break;
    }
    return frame;
  }

 private:
  std::mt19937_64 rng_;
  std::vector<std::string> valid_;
  uint64_t replay_instance_;
};

// VmRSS of a process in kB, 0 if it cannot be read.
uint64_t ResidentKb(const std::string& pid) {
  std::ifstream status("/proc/" + pid + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6));
  }
  return 0;
}

std::vector<std::string> Split(const std::string& text) {
  std::vector<std::string> parts;
  std::stringstream stream(text);
  for (std::string part; std::getline(stream, part, ',');) {
    if (!part.empty()) parts.push_back(part);
  }
  return parts;
}

void Drain(zmq::socket_t& socket, uint64_t& replies) {
  zmq::message_t message;
  while (socket.recv(message, zmq::recv_flags::dontwait)) ++replies;
}

// Sends `request` on a fresh DEALER and returns the first T that comes back within 5 s.
template <class T>
std::optional<T> Ask(zmq::context_t& context, const std::string& endpoint, const protocol::Message& request) {
  zmq::socket_t socket(context, zmq::socket_type::dealer);
  ConfigureSocket(socket);
  socket.connect(endpoint);
  if (!SendMessage(socket, request, /*dont_wait=*/false)) return std::nullopt;
  std::vector<zmq::pollitem_t> items = {{socket.handle(), 0, ZMQ_POLLIN, 0}};
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < deadline) {
    if (Poll(items, 200) == 0) continue;
    std::optional<Received> received = ReceiveMessage(socket, /*routed=*/false);
    if (received && received->message.ok() && std::holds_alternative<T>(*received->message)) {
      return std::get<T>(*received->message);
    }
  }
  return std::nullopt;
}

bool ReplayAnswers(zmq::context_t& context, const std::string& endpoint) {
  const std::optional<protocol::StatsReply> stats =
      Ask<protocol::StatsReply>(context, endpoint, protocol::StatsRequest{});
  if (!stats) return false;
  std::cout << "replay server answers: size " << stats->replay_size << ", connected actors " << stats->connected_actors
            << ", pending samples " << stats->pending_samples << "\n";
  return true;
}

int Run(const po::variables_map& options) {
  const uint64_t frames = options["frames"].as<uint64_t>();
  const std::vector<std::string> pids = Split(options["pids"].as<std::string>());
  std::vector<uint64_t> rss_before;
  for (const std::string& pid : pids) rss_before.push_back(ResidentKb(pid));

  zmq::context_t context;
  uint64_t replay_instance = 0;
  if (options.count("replay")) {
    const std::optional<protocol::Heartbeat> heartbeat = Ask<protocol::Heartbeat>(
        context, options["replay"].as<std::string>(), protocol::Heartbeat{"fuzz_cluster", protocol::NewInstanceId()});
    if (heartbeat) replay_instance = heartbeat->instance;
  }
  FrameMaker maker(options["seed"].as<uint64_t>(), replay_instance);
  const auto start = std::chrono::steady_clock::now();
  uint64_t replies = 0;
  if (options.count("replay")) {
    zmq::socket_t router_peer(context, zmq::socket_type::dealer);
    router_peer.set(zmq::sockopt::linger, 0);
    router_peer.connect(options["replay"].as<std::string>());
    for (uint64_t i = 0; i < frames; ++i) {
      const std::string frame = maker.Next(i);
      const bool multipart = i % 97 == 0;
      (void)router_peer.send(zmq::buffer(frame), multipart ? zmq::send_flags::sndmore : zmq::send_flags::none);
      if (multipart) (void)router_peer.send(zmq::buffer(maker.Next(i + 1)), zmq::send_flags::none);
      if (i % 256 == 0) Drain(router_peer, replies);
    }
    Drain(router_peer, replies);
  }
  if (options.count("reports")) {
    zmq::socket_t push(context, zmq::socket_type::push);
    push.set(zmq::sockopt::linger, 2000);
    push.connect(options["reports"].as<std::string>());
    for (uint64_t i = 0; i < frames; ++i) (void)push.send(zmq::buffer(maker.Next(i)), zmq::send_flags::none);
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "sent " << frames << " frames to each socket in " << seconds << " s; " << replies
            << " replies from the replay server\n";
  for (size_t i = 0; i < pids.size(); ++i) {
    std::cout << "pid " << pids[i] << ": resident " << rss_before[i] / 1024 << " MB before, "
              << ResidentKb(pids[i]) / 1024 << " MB after\n";
  }
  if (!options.count("replay")) return 0;
  if (ReplayAnswers(context, options["replay"].as<std::string>())) return 0;
  std::cout << "the replay server did not answer a StatsRequest within 5 s\n";
  return 1;
}

}  // namespace
}  // namespace ddpg

int main(int argc, char** argv) {
  po::options_description description("fuzz_cluster: malformed frames to a running cluster's sockets");
  description.add_options()("help", "this text")("replay", po::value<std::string>(), "the replay server's endpoint")(
      "reports", po::value<std::string>(), "the learner's reports endpoint")(
      "frames", po::value<uint64_t>()->default_value(1000000), "frames per socket")(
      "pids", po::value<std::string>()->default_value(""), "comma-separated pids whose memory to report")(
      "seed", po::value<uint64_t>()->default_value(1), "random seed");
  po::variables_map options;
  try {
    po::store(po::parse_command_line(argc, argv, description), options);
    po::notify(options);
  } catch (const po::error& error) {
    std::cerr << "fuzz_cluster: error: " << error.what() << "\n";
    return 2;
  }
  if (options.count("help")) {
    std::cout << description;
    return 0;
  }
  return ddpg::Run(options);
}
