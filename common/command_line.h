// Command line and INI parsing for the process bootstrap (common/process.h): the only code that sees
// Boost.Program_options.
//
// Every key of VisitConfig can be set in the INI file given by --config (section [learner], key
// batch_size) and overridden on the command line (--learner.batch_size 512); the command line wins.
// Values are converted and validated here, so a main either gets a valid Config or a message naming the
// key to fix; with run.security = curve that includes reading the key files the program needs. Stateless
// and thread-safe.
#pragma once

#include <string>

#include "common/config.h"
#include "common/status.h"

namespace ddpg {

enum class Program { kReplayServer, kLearner, kActor };
// "replay_server", "learner", "actor": the binary's name, in usage texts and error messages.
const char* ProgramName(Program program);

struct CommandLine {
  Config config;
  bool show_help = false;
  std::string help;         // the usage text, filled always
  std::string config_path;  // empty when no --config was given
};

StatusOr<CommandLine> ParseCommandLine(int argc, const char* const argv[], Program program);

// The environment options (the [recsim] and [movielens] keys) of a run's INI file, for tools that build the run's
// environments outside it (envtool, recsys simulate), so that they step the same world as its actors. The
// file's other keys must exist but are not read; the options are validated with the environment they are
// built for (MakeEnvironment).
StatusOr<EnvOptions> ReadEnvOptions(const std::string& config_path);

}  // namespace ddpg
