#include "common/logging.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <cmath>
#include <filesystem>

namespace ddpg {

Status InitProcess(const Config& config, const std::string& process_name) {
  const std::string directory = config.run.RunDirectory();
  std::error_code error;
  std::filesystem::create_directories(directory, error);
  if (error) {
    return Unavailable("cannot create run directory '" + directory + "': " + error.message() +
                       " (set run.root to a writable directory)");
  }
  {
    const std::string path = directory + "/" + process_name + ".config.ini";
    std::ofstream file(path, std::ios::trunc);
    file << ToIni(config);
    if (!file) return Unavailable("cannot write '" + path + "'");
  }
  try {
    auto console = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    auto file = std::make_shared<spdlog::sinks::basic_file_sink_mt>(directory + "/" + process_name + ".log");
    auto logger = std::make_shared<spdlog::logger>(process_name, spdlog::sinks_init_list{console, file});
    logger->set_pattern("%H:%M:%S.%e %n %^%l%$ %v");
    logger->flush_on(spdlog::level::info);
    spdlog::set_default_logger(logger);
  } catch (const spdlog::spdlog_ex& e) {
    return Unavailable(std::string("cannot open the log file: ") + e.what());
  }
  return Status::Ok();
}

MetricsWriter::MetricsWriter(std::string path, std::string process_name, Publisher publish)
    : path_(std::move(path)),
      process_name_(std::move(process_name)),
      publish_(std::move(publish)),
      file_(path_, std::ios::app),
      start_(std::chrono::steady_clock::now()) {}

StatusOr<MetricsWriter> MetricsWriter::Open(const std::string& run_directory, const std::string& process_name,
                                            Publisher publish) {
  MetricsWriter writer(run_directory + "/" + process_name + ".metrics.jsonl", process_name, std::move(publish));
  if (!writer.file_) return Unavailable("cannot open metrics file '" + writer.path_ + "' for appending");
  return writer;
}

double MetricsWriter::SecondsSinceStart() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void MetricsWriter::Write(nlohmann::json fields) {
  fields["t"] = std::round(SecondsSinceStart() * 1000.0) / 1000.0;
  fields["wall_time"] = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  fields["component"] = process_name_;
  file_ << fields.dump() << '\n';
  file_.flush();
  if (publish_) publish_(fields);
}

std::string FormatDuration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const long total = std::lround(seconds);
  char buffer[32];
  if (total < 60) {
    std::snprintf(buffer, sizeof buffer, "%lds", total);
  } else if (total < 3600) {
    std::snprintf(buffer, sizeof buffer, "%ldm%02lds", total / 60, total % 60);
  } else {
    std::snprintf(buffer, sizeof buffer, "%ldh%02ldm", total / 3600, (total % 3600) / 60);
  }
  return buffer;
}

std::string FormatCount(double value) {
  char buffer[32];
  const double magnitude = std::fabs(value);
  if (magnitude >= 1e9) {
    std::snprintf(buffer, sizeof buffer, "%.2fG", value / 1e9);
  } else if (magnitude >= 1e6) {
    std::snprintf(buffer, sizeof buffer, "%.2fM", value / 1e6);
  } else if (magnitude >= 1e4) {
    std::snprintf(buffer, sizeof buffer, "%.1fk", value / 1e3);
  } else {
    std::snprintf(buffer, sizeof buffer, "%.0f", value);
  }
  return buffer;
}

}  // namespace ddpg
