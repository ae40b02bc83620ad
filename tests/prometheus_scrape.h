// Test helper: reads a metrics endpoint (common/metrics_endpoint.h) the way Prometheus does, with a plain
// HTTP/1.0 GET on a socket, and parses the text exposition format into samples and types. Used from the
// test's thread only.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <map>
#include <optional>
#include <sstream>
#include <string>

namespace ddpg::testing {

struct Scrape {
  std::map<std::string, double> samples;     // by series as written, e.g. ddpg_actor_env_steps_total{actor_id="0"}
  std::map<std::string, std::string> types;  // by metric name, from the "# TYPE name type" lines

  std::optional<double> Value(const std::string& series) const {
    const auto found = samples.find(series);
    return found == samples.end() ? std::nullopt : std::optional<double>(found->second);
  }
};

// The body of GET http://127.0.0.1:port/path, if the server answered 200.
inline std::optional<std::string> HttpGet(int port, const std::string& path) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return std::nullopt;
  timeval timeout{.tv_sec = 5, .tv_usec = 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string response;
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
    const std::string request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (send(fd, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size())) {
      char buffer[4096];
      for (ssize_t n; (n = recv(fd, buffer, sizeof buffer, 0)) > 0;) response.append(buffer, static_cast<size_t>(n));
    }
  }
  close(fd);
  const size_t body = response.find("\r\n\r\n");
  if (response.rfind("HTTP/1.", 0) != 0 || response.find(" 200 ") > response.find("\r\n") ||
      body == std::string::npos) {
    return std::nullopt;
  }
  return response.substr(body + 4);
}

inline Scrape ParsePrometheusText(const std::string& text) {
  Scrape scrape;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("# TYPE ", 0) == 0) {
      std::istringstream words(line.substr(7));
      std::string name, type;
      words >> name >> type;
      scrape.types[name] = type;
      continue;
    }
    if (line.empty() || line[0] == '#') continue;
    const size_t space = line.rfind(' ');
    if (space == std::string::npos) continue;
    scrape.samples[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return scrape;
}

inline std::optional<Scrape> ScrapeMetrics(int port) {
  std::optional<std::string> body = HttpGet(port, "/metrics");
  if (!body) return std::nullopt;
  return ParsePrometheusText(*body);
}

}  // namespace ddpg::testing
