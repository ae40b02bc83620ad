// learner: DDPG updates from replay batches, weight publication, checkpoints, the run's dashboard
// (learner_service.h). See --help.
#include "common/process.h"
#include "common/torch_threads.h"
#include "learner/learner_service.h"

int main(int argc, char** argv) {
  using namespace ddpg;
  return RunProgram(argc, argv,
                    {.program = Program::kLearner,
                     .process_name = [](const Config&) { return std::string("learner"); },
                     .prepare = nullptr,
                     .run = [](const Config& config, MetricsWriter metrics) -> Status {
                       SetTorchThreads(LearnerThreads(config.learner.threads));
                       StatusOr<std::unique_ptr<LearnerService>> service =
                           LearnerService::Create(config, std::move(metrics));
                       DDPG_RETURN_IF_ERROR(service.status());
                       (*service)->Run();
                       return Status::Ok();
                     },
                     .exported_metrics = [](const Config&) { return TrainingStatistics::ExportedMetrics(); },
                     .metric_labels = nullptr});
}
