// The one bootstrap every ddpg-cluster binary runs: parse the command line and configuration, answer
// --help, start logging and metrics in the run directory (and the Prometheus endpoint when run.metrics_port
// is set), install the signal handlers, run, and turn the outcome into an exit code. Each main only says
// what its program is, what it runs and which of its metrics it serves.
//
// Exit codes: 0 when the program ran and stopped (a signal included) or printed --help; 2 when the command
// line or configuration is invalid, or run.metrics_port cannot be served (in use); the message names the
// key to fix; 1 when start-up or the run failed.
// Messages go to stderr (before logging starts) or to the process's log.
//
// Blocking: RunProgram blocks for the whole run. Thread-safety: call once, from main.
#pragma once

#include <functional>
#include <map>
#include <span>
#include <string>

#include "common/command_line.h"
#include "common/config.h"
#include "common/logging.h"
#include "common/metrics_endpoint.h"
#include "common/status.h"

namespace ddpg {

struct ProgramDefinition {
  Program program = Program::kReplayServer;
  // Its name in log lines and run-directory files, e.g. "learner" or "actor-3".
  std::function<std::string(const Config&)> process_name;
  // Optional. Runs once the signal handlers are installed and before logging starts; may complete the
  // configuration (an actor's id from the replay server). Failing here exits 1, or 0 after a signal.
  std::function<Status(Config&)> prepare;
  // The program itself, given the validated configuration and its metrics writer.
  std::function<Status(const Config&, MetricsWriter)> run;
  // The fields of the program's metrics objects served at run.metrics_port (required), and optionally the
  // labels all of them carry (an actor's id).
  std::function<std::span<const ExportedMetric>(const Config&)> exported_metrics;
  std::function<std::map<std::string, std::string>(const Config&)> metric_labels;
};

int RunProgram(int argc, char** argv, const ProgramDefinition& definition);

}  // namespace ddpg
