// actor: steps environments with the newest policy and streams experience to the replay server
// (--eval: evaluates each new policy version instead). See --help.
#include <iostream>

#include "actor/actor_service.h"
#include "common/command_line.h"
#include "common/logging.h"
#include "common/messaging.h"
#include "common/torch_threads.h"

int main(int argc, char** argv) {
  auto command_line = ddpg::ParseCommandLine(argc, argv, ddpg::Program::kActor);
  if (!command_line.ok()) {
    std::cerr << "actor: error: " << command_line.status().message() << "\n";
    return 2;
  }
  if (command_line->show_help) {
    std::cout << command_line->help;
    return 0;
  }
  const ddpg::Config& config = command_line->config;
  const std::string name = (config.actor.eval ? "evaluator-" : "actor-") + std::to_string(config.actor.id);
  if (ddpg::Status status = ddpg::InitProcess(config, name); !status.ok()) {
    std::cerr << "actor: error: " << status.message() << "\n";
    return 1;
  }
  auto metrics = ddpg::MetricsWriter::Open(config.run.RunDirectory(), name);
  if (!metrics.ok()) {
    spdlog::error("{}", metrics.status().message());
    return 1;
  }
  ddpg::SetTorchThreads(1);
  ddpg::InstallShutdownHandlers();
  auto service = ddpg::ActorService::Create(config, std::move(*metrics));
  if (!service.ok()) {
    spdlog::error("{}", service.status().message());
    return 1;
  }
  (*service)->Run();
  return 0;
}
