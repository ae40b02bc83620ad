// actor: steps environments with the newest policy and streams experience to the replay server
// (actor_service.h); with --eval it evaluates each new policy version instead (evaluator.h). See --help.
#include "actor/actor_service.h"
#include "actor/evaluator.h"
#include "actor/replay_writer.h"
#include "common/process.h"
#include "common/torch_threads.h"

namespace {

// Training actors started with actor.auto_id ask the replay server for an id first.
ddpg::Status AcquireIdIfAsked(ddpg::Config& config) {
  if (!config.actor.auto_id || config.actor.eval) return ddpg::Status::Ok();
  ddpg::StatusOr<ddpg::SocketSecurity> security = ddpg::LoadSocketSecurity(config.run, ddpg::SocketRoles::kClient);
  DDPG_RETURN_IF_ERROR(security.status());
  zmq::context_t context(1);
  ddpg::StatusOr<uint32_t> id = ddpg::AcquireActorId(context, config.replay.address, config.run.heartbeat_interval_ms,
                                                     config.run.heartbeat_timeout_ms, security->client);
  DDPG_RETURN_IF_ERROR(id.status());
  config.actor.id = *id;
  return ddpg::Status::Ok();
}

template <class Service>
ddpg::Status Serve(const ddpg::Config& config, ddpg::MetricsWriter metrics) {
  ddpg::SetTorchThreads(1);
  ddpg::StatusOr<std::unique_ptr<Service>> service = Service::Create(config, std::move(metrics));
  DDPG_RETURN_IF_ERROR(service.status());
  (*service)->Run();
  return ddpg::Status::Ok();
}

}  // namespace

int main(int argc, char** argv) {
  using namespace ddpg;
  return RunProgram(
      argc, argv,
      {.program = Program::kActor,
       .process_name =
           [](const Config& c) { return (c.actor.eval ? "evaluator-" : "actor-") + std::to_string(c.actor.id); },
       .prepare = AcquireIdIfAsked,
       .run =
           [](const Config& config, MetricsWriter metrics) {
             return config.actor.eval ? Serve<Evaluator>(config, std::move(metrics))
                                      : Serve<ActorService>(config, std::move(metrics));
           },
       .exported_metrics =
           [](const Config& c) {
             return c.actor.eval ? Evaluator::ExportedMetrics() : ActorService::ExportedMetrics();
           },
       .metric_labels =
           [](const Config& c) {
             return std::map<std::string, std::string>{{"actor_id", std::to_string(c.actor.id)}};
           }});
}
