// Test helper shared by the unit tests of the replay server's clients: a real ReplayService serving on
// its own thread, a free loopback port to start one on later, and transitions to send it.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <optional>
#include <thread>

#include <catch2/catch.hpp>

#include "replay_server/replay_service.h"

namespace ddpg::testing {

// A ReplayService serving on its own thread for the lifetime of this object.
class RunningService {
 public:
  explicit RunningService(const Config& config, std::optional<MetricsWriter> metrics = std::nullopt) {
    StatusOr<std::unique_ptr<ReplayService>> created = ReplayService::Create(config, std::move(metrics));
    INFO(created.status().message());
    REQUIRE(created.ok());
    service_ = std::move(created).value();
    const Status bound = service_->Bind();
    INFO(bound.message());
    REQUIRE(bound.ok());
    thread_ = std::thread([this] { service_->Run(); });
  }
  ~RunningService() {
    service_->Stop();
    thread_.join();
  }

  const std::string& endpoint() const { return service_->endpoint(); }

 private:
  std::unique_ptr<ReplayService> service_;
  std::thread thread_;
};

// `count` transitions with in-range Pendulum-like values; obs_dim other than 3 makes a chunk the
// Pendulum-v1 server refuses.
inline protocol::TransitionBatch ConstantTransitions(uint32_t obs_dim, size_t count) {
  protocol::TransitionBatch batch;
  batch.obs_dim = obs_dim;
  batch.act_dim = 1;
  batch.observations.assign(obs_dim * count, 0.5f);
  batch.actions.assign(count, 0.1f);
  batch.rewards.assign(count, -1.0f);
  batch.discounts.assign(count, 0.99f);
  batch.next_observations.assign(obs_dim * count, 0.25f);
  batch.policy_versions.assign(count, 0);
  return batch;
}

// A TCP port on 127.0.0.1 that was free a moment ago.
inline int FreeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

}  // namespace ddpg::testing
