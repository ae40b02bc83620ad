// replay_server: stores the actors' experience and serves samples to the learner (see replay_service.h).
#include <cstdio>
#include <optional>

#include <spdlog/spdlog.h>

#include "common/command_line.h"
#include "common/logging.h"
#include "common/messaging.h"
#include "replay_server/replay_service.h"

int main(int argc, char** argv) {
  ddpg::StatusOr<ddpg::CommandLine> command_line = ddpg::ParseCommandLine(argc, argv, ddpg::Program::kReplayServer);
  if (!command_line.ok()) {
    std::fprintf(stderr, "replay_server: error: %s\n", command_line.status().message().c_str());
    return 2;
  }
  if (command_line->show_help) {
    std::fputs(command_line->help.c_str(), stdout);
    return 0;
  }
  const ddpg::Config& config = command_line->config;

  ddpg::Status initialized = ddpg::InitProcess(config, "replay_server");
  if (!initialized.ok()) {
    std::fprintf(stderr, "replay_server: error: %s\n", initialized.message().c_str());
    return 1;
  }
  ddpg::StatusOr<ddpg::MetricsWriter> metrics = ddpg::MetricsWriter::Open(config.run.RunDirectory(), "replay_server");
  if (!metrics.ok()) {
    spdlog::error("{}", metrics.status().message());
    return 1;
  }
  ddpg::InstallShutdownHandlers();

  ddpg::StatusOr<std::unique_ptr<ddpg::ReplayService>> service =
      ddpg::ReplayService::Create(config, std::move(metrics).value());
  if (!service.ok()) {
    spdlog::error("{}", service.status().message());
    return 1;
  }
  ddpg::Status bound = (*service)->Bind();
  if (!bound.ok()) {
    spdlog::error("{}", bound.message());
    return 1;
  }
  (*service)->Run();
  return 0;
}
