#include "common/metrics_endpoint.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <thread>
#include <vector>

namespace ddpg {
namespace {

constexpr int kPollTimeoutMs = 100;        // how soon the serving thread notices the destructor
constexpr size_t kMaxRequestBytes = 8192;  // a scrape's request line and headers fit many times over
constexpr timeval kClientTimeout{.tv_sec = 2, .tv_usec = 0};

// Sends all of `data`; false if the peer went away. MSG_NOSIGNAL: a scraper that hung up must not raise
// SIGPIPE, which would end the process.
bool SendAll(int connection, const std::string& data) {
  size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = send(connection, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

struct MetricsEndpoint::Server {
  struct Served {
    const ExportedMetric* metric;
    prometheus::Family<prometheus::Counter>* counters = nullptr;  // one of the two families, by metric->kind
    prometheus::Family<prometheus::Gauge>* gauges = nullptr;
    prometheus::Counter* counter = nullptr;  // added at the first value
    prometheus::Gauge* gauge = nullptr;
  };

  ~Server() {
    stopping.store(true);
    if (thread.joinable()) thread.join();
    if (listen_fd >= 0) close(listen_fd);
  }

  // The serving thread: one connection at a time, each answered and closed.
  void Serve() {
    while (!stopping.load()) {
      pollfd listening{.fd = listen_fd, .events = POLLIN, .revents = 0};
      if (poll(&listening, 1, kPollTimeoutMs) <= 0) continue;  // timeout, or EINTR from a signal
      const int connection = accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (connection < 0) continue;
      setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &kClientTimeout, sizeof kClientTimeout);
      setsockopt(connection, SOL_SOCKET, SO_SNDTIMEO, &kClientTimeout, sizeof kClientTimeout);
      Answer(connection);
      close(connection);
    }
  }

  void Answer(int connection) {
    std::string request;
    char buffer[1024];
    while (request.find("\r\n\r\n") == std::string::npos && request.size() < kMaxRequestBytes) {
      const ssize_t n = recv(connection, buffer, sizeof buffer, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      request.append(buffer, static_cast<size_t>(n));
    }
    const bool scrape = request.rfind("GET /metrics ", 0) == 0 || request.rfind("GET /metrics?", 0) == 0;
    std::string body = "ddpg-cluster serves its metrics at /metrics\n";
    if (scrape) {
      try {
        body = prometheus::TextSerializer().Serialize(registry.Collect());
      } catch (const std::exception&) {
        return;  // out of memory: the scraper sees the connection close and counts the target as down
      }
    }
    SendAll(connection, std::string("HTTP/1.1 ") + (scrape ? "200 OK" : "404 Not Found") +
                            "\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: " +
                            std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
  }

  prometheus::Registry registry;
  std::vector<Served> served;
  int listen_fd = -1;
  int port = 0;
  std::atomic<bool> stopping{false};
  std::thread thread;
};

StatusOr<std::unique_ptr<MetricsEndpoint>> MetricsEndpoint::Start(const std::string& address, int port,
                                                                  std::span<const ExportedMetric> metrics,
                                                                  const std::map<std::string, std::string>& labels) {
  auto server = std::make_unique<Server>();
  try {
    for (const ExportedMetric& metric : metrics) {
      Server::Served served{.metric = &metric};
      if (metric.kind == ExportedMetric::Kind::kCounter) {
        served.counters = &prometheus::BuildCounter()
                               .Name(std::string(metric.name))
                               .Help(std::string(metric.help))
                               .Labels(labels)
                               .Register(server->registry);
      } else {
        served.gauges = &prometheus::BuildGauge()
                             .Name(std::string(metric.name))
                             .Help(std::string(metric.help))
                             .Labels(labels)
                             .Register(server->registry);
      }
      server->served.push_back(served);
    }
  } catch (const std::exception& e) {
    return InvalidArgument(std::string("cannot serve metrics: ") + e.what());
  }

  const std::string where =
      "cannot serve metrics on " + address + ":" + std::to_string(port) + " (run.metrics_bind, run.metrics_port): ";
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  if (const int error = getaddrinfo(address.c_str(), std::to_string(port).c_str(), &hints, &found); error != 0) {
    return Unavailable(where + gai_strerror(error));
  }
  const std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> owned(found, &freeaddrinfo);
  server->listen_fd = socket(found->ai_family, found->ai_socktype | SOCK_CLOEXEC, found->ai_protocol);
  if (server->listen_fd < 0) return Unavailable(where + std::strerror(errno));
  const int reuse = 1;  // a restarted process gets its port back while the old connections linger in TIME_WAIT
  setsockopt(server->listen_fd, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof reuse);
  if (bind(server->listen_fd, found->ai_addr, found->ai_addrlen) != 0 || listen(server->listen_fd, 16) != 0) {
    return Unavailable(where + std::strerror(errno));
  }
  sockaddr_storage bound{};
  socklen_t length = sizeof bound;
  getsockname(server->listen_fd, reinterpret_cast<sockaddr*>(&bound), &length);
  server->port = ntohs(reinterpret_cast<const sockaddr_in&>(bound).sin_port);

  Server* serving = server.get();
  server->thread = std::thread([serving] { serving->Serve(); });
  return std::unique_ptr<MetricsEndpoint>(new MetricsEndpoint(std::move(server)));
}

MetricsEndpoint::MetricsEndpoint(std::unique_ptr<Server> server) : server_(std::move(server)) {}

MetricsEndpoint::~MetricsEndpoint() = default;

int MetricsEndpoint::port() const { return server_->port; }

void MetricsEndpoint::Publish(const nlohmann::json& fields) {
  for (Server::Served& served : server_->served) {
    const auto field = fields.find(std::string(served.metric->field));
    if (field == fields.end() || !field->is_number()) continue;
    const double value = field->get<double>();
    if (served.counters != nullptr) {
      if (served.counter == nullptr) served.counter = &served.counters->Add({});
      const double increase = value - served.counter->Value();
      if (increase > 0) served.counter->Increment(increase);
    } else {
      if (served.gauge == nullptr) served.gauge = &served.gauges->Add({});
      served.gauge->Set(value);
    }
  }
}

}  // namespace ddpg
