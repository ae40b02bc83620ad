// learner: DDPG updates from replay batches, weight publication, checkpoints, the run's dashboard.
// See --help.
#include <iostream>

#include "common/command_line.h"
#include "common/logging.h"
#include "common/messaging.h"
#include "common/torch_threads.h"
#include "learner/learner_service.h"

int main(int argc, char** argv) {
  auto command_line = ddpg::ParseCommandLine(argc, argv, ddpg::Program::kLearner);
  if (!command_line.ok()) {
    std::cerr << "learner: error: " << command_line.status().message() << "\n";
    return 2;
  }
  if (command_line->show_help) {
    std::cout << command_line->help;
    return 0;
  }
  const ddpg::Config& config = command_line->config;
  if (ddpg::Status status = ddpg::InitProcess(config, "learner"); !status.ok()) {
    std::cerr << "learner: error: " << status.message() << "\n";
    return 1;
  }
  auto metrics = ddpg::MetricsWriter::Open(config.run.RunDirectory(), "learner");
  if (!metrics.ok()) {
    spdlog::error("{}", metrics.status().message());
    return 1;
  }
  ddpg::SetTorchThreads(config.learner.threads);
  ddpg::InstallShutdownHandlers();
  auto service = ddpg::LearnerService::Create(config, std::move(*metrics));
  if (!service.ok()) {
    spdlog::error("{}", service.status().message());
    return 1;
  }
  (*service)->Run();
  return 0;
}
