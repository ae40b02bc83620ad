// replay_server: stores the actors' experience and serves samples to the learner (replay_service.h).
#include "common/process.h"
#include "replay_server/replay_service.h"

int main(int argc, char** argv) {
  using namespace ddpg;
  return RunProgram(argc, argv,
                    {.program = Program::kReplayServer,
                     .process_name = [](const Config&) { return std::string("replay_server"); },
                     .prepare = nullptr,
                     .run = [](const Config& config, MetricsWriter metrics) -> Status {
                       StatusOr<std::unique_ptr<ReplayService>> service =
                           ReplayService::Create(config, std::move(metrics));
                       DDPG_RETURN_IF_ERROR(service.status());
                       DDPG_RETURN_IF_ERROR((*service)->Bind());
                       (*service)->Run();
                       return Status::Ok();
                     },
                     .exported_metrics = [](const Config&) { return ReplayService::ExportedMetrics(); },
                     .metric_labels = nullptr});
}
