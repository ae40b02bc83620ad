// actor: steps environments with the newest policy and streams experience to the replay server
// (--eval: evaluates each new policy version instead). See --help.
#include <iostream>

#include "actor/actor_service.h"
#include "actor/replay_writer.h"
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
  ddpg::Config& config = command_line->config;
  ddpg::InstallShutdownHandlers();
  if (config.actor.auto_id && !config.actor.eval) {
    zmq::context_t context(1);
    auto id = ddpg::AcquireActorId(context, config.replay.address, config.run.heartbeat_interval_ms,
                                   config.run.heartbeat_timeout_ms);
    if (!id.ok()) {
      std::cerr << "actor: error: " << id.status().message() << "\n";
      return ddpg::ShutdownRequested() ? 0 : 1;
    }
    config.actor.id = *id;
  }
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
  if (config.actor.auto_id && !config.actor.eval) {
    spdlog::info("actor id {} assigned by the replay server at {}; it explores like actor {} of actor.count = {}",
                 config.actor.id, config.replay.address, config.actor.id % config.actor.count, config.actor.count);
  }
  ddpg::SetTorchThreads(1);
  auto service = ddpg::ActorService::Create(config, std::move(*metrics));
  if (!service.ok()) {
    spdlog::error("{}", service.status().message());
    return 1;
  }
  (*service)->Run();
  return 0;
}
