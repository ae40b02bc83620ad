// Human-readable logs (spdlog, stderr and a file in the run directory) and machine-readable metrics
// (JSON lines in the run directory).
//
// InitLogging sets spdlog's default logger once per process; after that spdlog::info(...) is safe from
// any thread. MetricsWriter appends one JSON object per Write and flushes it, so other tools can tail the
// file while the run goes on, and hands the same object to the process's metrics endpoint if it has one
// (common/metrics_endpoint.h); it is owned by one thread, which is also the one that publishes.
#pragma once

#include <chrono>
#include <fstream>
#include <functional>
#include <string>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "common/config.h"
#include "common/status.h"

namespace ddpg {

// Creates the run directory, writes <process_name>.config.ini (the exact configuration this process
// uses) and starts logging to stderr and <run dir>/<process_name>.log.
Status InitProcess(const Config& config, const std::string& process_name);

class MetricsWriter {
 public:
  using Publisher = std::function<void(const nlohmann::json&)>;

  // Appends to <run_directory>/<process_name>.metrics.jsonl; `publish`, if given, gets every object written.
  static StatusOr<MetricsWriter> Open(const std::string& run_directory, const std::string& process_name,
                                      Publisher publish = nullptr);

  // Adds "t" (seconds since Open), "wall_time" (Unix seconds) and "component", then writes one line and
  // publishes the object.
  void Write(nlohmann::json fields);
  double SecondsSinceStart() const;

 private:
  MetricsWriter(std::string path, std::string process_name, Publisher publish);
  std::string path_;
  std::string process_name_;
  Publisher publish_;
  std::ofstream file_;
  std::chrono::steady_clock::time_point start_;
};

// "1m23s", "2h05m"; for ETAs in log lines.
std::string FormatDuration(double seconds);
// "12.3k", "4.56M"; for counters in log lines.
std::string FormatCount(double value);

}  // namespace ddpg
