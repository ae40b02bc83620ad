#include "common/process.h"

#include <cstdio>

#include <spdlog/spdlog.h>

#include "common/transport.h"

namespace ddpg {
namespace {

// Prints "program: error: message" on stderr, for failures before logging starts; returns exit_code.
int Fail(Program program, const Status& status, int exit_code = 1) {
  std::fprintf(stderr, "%s: error: %s\n", ProgramName(program), status.message().c_str());
  return exit_code;
}

}  // namespace

int RunProgram(int argc, char** argv, const ProgramDefinition& definition) {
  StatusOr<CommandLine> command_line = ParseCommandLine(argc, argv, definition.program);
  if (!command_line.ok()) return Fail(definition.program, command_line.status(), /*exit_code=*/2);
  if (command_line->show_help) {
    std::fputs(command_line->help.c_str(), stdout);
    return 0;
  }
  Config& config = command_line->config;
  InstallShutdownHandlers();
  if (definition.prepare) {
    if (Status prepared = definition.prepare(config); !prepared.ok()) {
      return ShutdownRequested() ? 0 : Fail(definition.program, prepared);
    }
  }
  const std::string name = definition.process_name(config);
  if (Status initialized = InitProcess(config, name); !initialized.ok()) return Fail(definition.program, initialized);
  MetricsWriter::Publisher publish;
  if (config.run.metrics_port != 0) {
    StatusOr<std::unique_ptr<MetricsEndpoint>> endpoint = MetricsEndpoint::Start(
        config.run.metrics_bind, config.run.metrics_port, definition.exported_metrics(config),
        definition.metric_labels ? definition.metric_labels(config) : std::map<std::string, std::string>{});
    if (!endpoint.ok()) {
      // Exit code 1, as for every socket that cannot be bound: the port is taken now, not an invalid value.
      spdlog::error("{}", endpoint.status().message());
      return 1;
    }
    spdlog::info("metrics for Prometheus at http://{}:{}/metrics", config.run.metrics_bind, (*endpoint)->port());
    publish = [endpoint = std::shared_ptr<MetricsEndpoint>(std::move(endpoint).value())](const nlohmann::json& fields) {
      endpoint->Publish(fields);
    };
  }
  StatusOr<MetricsWriter> metrics = MetricsWriter::Open(config.run.RunDirectory(), name, std::move(publish));
  if (!metrics.ok()) {
    spdlog::error("{}", metrics.status().message());
    return 1;
  }
  if (Status ran = definition.run(config, std::move(metrics).value()); !ran.ok()) {
    spdlog::error("{}", ran.message());
    return 1;
  }
  return 0;
}

}  // namespace ddpg
