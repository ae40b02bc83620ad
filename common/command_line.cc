#include "common/command_line.h"

#include <boost/program_options.hpp>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <type_traits>

#include "common/curve_security.h"
#include "common/frame_limits.h"
#include "envs/env_spec.h"

namespace po = boost::program_options;

namespace ddpg {
namespace {

std::string Trim(const std::string& text) {
  const size_t begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return "";
  const size_t end = text.find_last_not_of(" \t\r\n");
  return text.substr(begin, end - begin + 1);
}

template <typename T>
Status Convert(const std::string& key, const std::string& raw, T& out) {
  const std::string text = Trim(raw);
  auto bad = [&](const char* what) { return InvalidArgument(key + " = '" + raw + "' is not " + what); };
  if constexpr (std::is_same_v<T, std::string>) {
    out = text;
  } else if constexpr (ConfigEnum<T>) {
    return ParseConfigEnum(key, text, out);
  } else if constexpr (std::is_same_v<T, bool>) {
    if (text == "true" || text == "1" || text == "yes" || text == "on") {
      out = true;
    } else if (text == "false" || text == "0" || text == "no" || text == "off") {
      out = false;
    } else {
      return bad("a boolean (true or false)");
    }
  } else if constexpr (std::is_same_v<T, std::vector<int>>) {
    std::vector<int> widths;
    std::string item;
    std::istringstream stream(text);
    while (std::getline(stream, item, ',')) {
      int width = 0;
      if (Status s = Convert(key, item, width); !s.ok()) return bad("a comma-separated list of integers");
      widths.push_back(width);
    }
    out = widths;
  } else if constexpr (std::is_same_v<T, ThreadCount>) {
    if (text == "auto") {
      out.value = 0;
    } else if (Status s = Convert(key, text, out.value); !s.ok() || out.value == 0) {
      return bad("a number of threads or auto");
    }
  } else if constexpr (std::is_floating_point_v<T>) {
    try {
      size_t used = 0;
      out = std::stod(text, &used);
      if (used != text.size()) return bad("a number");
    } catch (const std::exception&) {
      return bad("a number");
    }
  } else {
    if (std::is_unsigned_v<T> && !text.empty() && text[0] == '-') return bad("a non-negative integer");
    const char* end = text.data() + text.size();
    auto [ptr, error] = std::from_chars(text.data(), end, out);
    if (error == std::errc::result_out_of_range) return bad("an integer in range for this key");
    if (error != std::errc() || ptr != end || text.empty()) return bad("an integer");
  }
  return Status::Ok();
}

}  // namespace

const char* ProgramName(Program program) {
  switch (program) {
    case Program::kReplayServer: return "replay_server";
    case Program::kLearner: return "learner";
    case Program::kActor: return "actor";
  }
  return "";
}

StatusOr<CommandLine> ParseCommandLine(int argc, const char* const argv[], Program program) {
  CommandLine result;
  po::options_description general("Options");
  general.add_options()("help,h", "show this help")("config,c", po::value<std::string>(),
                                                    "INI file describing the run (e.g. configs/pendulum.ini)");
  if (program == Program::kLearner) {
    general.add_options()("resume", "continue from the checkpoint in the run directory (= --learner.resume true)");
  }
  if (program == Program::kActor) {
    general.add_options()("eval", "run as evaluator: no noise, no inserts (= --actor.eval true)");
  }
  po::options_description keys("Configuration keys (INI section.key; the command line overrides the file)");
  VisitConfig(result.config, [&](const std::string& key, auto& value, const char* description) {
    const std::string text = std::string(description) + " (default: " + FormatConfigValue(value) + ")";
    keys.add_options()(key.c_str(), po::value<std::string>(), text.c_str());
  });
  po::options_description all;
  all.add(general).add(keys);
  std::ostringstream help;
  help << "Usage: " << ProgramName(program) << " [--config FILE] [--section.key VALUE ...]\n\n" << all;
  result.help = help.str();

  po::variables_map values;
  try {
    po::parsed_options parsed = po::command_line_parser(argc, argv).options(all).run();
    // A key given twice takes its last value, so scripts can append overrides to a fixed command line.
    std::vector<po::option> last_of_each;
    for (auto it = parsed.options.rbegin(); it != parsed.options.rend(); ++it) {
      const bool seen = std::any_of(last_of_each.begin(), last_of_each.end(),
                                    [&](const po::option& kept) { return kept.string_key == it->string_key; });
      if (!seen) last_of_each.insert(last_of_each.begin(), *it);
    }
    parsed.options = std::move(last_of_each);
    po::store(parsed, values);
  } catch (const std::exception& e) {
    return InvalidArgument(std::string("command line: ") + e.what() + " (see --help)");
  }
  if (values.count("help")) {
    result.show_help = true;
    return result;
  }
  if (values.count("config")) {
    result.config_path = values["config"].as<std::string>();
    if (!std::filesystem::is_regular_file(result.config_path)) {
      return NotFound("config file '" + result.config_path +
                      "' does not exist: pass --config with the path of an INI file such as configs/pendulum.ini");
    }
    std::ifstream file(result.config_path);
    if (!file) return NotFound("config file '" + result.config_path + "' cannot be read");
    try {
      po::store(po::parse_config_file(file, keys, /*allow_unregistered=*/false), values);
    } catch (const std::exception& e) {
      return InvalidArgument("config file '" + result.config_path + "': " + e.what() +
                             " (the keys are listed by --help)");
    }
  }
  Status status = Status::Ok();
  VisitConfig(result.config, [&](const std::string& key, auto& value, const char*) {
    if (status.ok() && values.count(key)) status = Convert(key, values[key].as<std::string>(), value);
  });
  if (!status.ok()) return status;
  if (values.count("resume")) result.config.learner.resume = ResumeMode::kYes;
  if (values.count("eval")) result.config.actor.eval = true;
  status = ValidateConfig(result.config);
  if (!status.ok()) return status;
  // ValidateConfig cannot check env.id, the options of the environment it names ([recsim]), nor the frame
  // sizes, which depend on its dimensions: common does not depend on envs/.
  auto spec = LookUpEnvSpec(result.config.env.id, result.config.env.options);
  if (!spec.ok() && spec.status().code() == StatusCode::kNotFound) {
    return InvalidArgument("env.id = '" + result.config.env.id + "': " + spec.status().message());
  }
  if (!spec.ok()) return spec.status();  // an option out of range, named by its key
  status = CheckFrameLimits(result.config, spec->obs_dim, spec->act_dim);
  if (!status.ok()) return status;
  // A key file that is missing or malformed is a configuration error, found before anything starts.
  const SocketRoles roles = program == Program::kReplayServer ? SocketRoles::kServer
                            : program == Program::kLearner    ? SocketRoles::kServerAndClient
                                                              : SocketRoles::kClient;
  if (StatusOr<SocketSecurity> security = LoadSocketSecurity(result.config.run, roles); !security.ok()) {
    return security.status();
  }
  return result;
}

StatusOr<EnvOptions> ReadEnvOptions(const std::string& config_path) {
  Config config;
  po::options_description keys;
  VisitConfig(config, [&](const std::string& key, auto&, const char*) {
    keys.add_options()(key.c_str(), po::value<std::string>());
  });
  std::ifstream file(config_path);
  if (!file) return NotFound("config file '" + config_path + "' cannot be read");
  po::variables_map values;
  try {
    po::store(po::parse_config_file(file, keys, /*allow_unregistered=*/false), values);
  } catch (const std::exception& e) {
    return InvalidArgument("config file '" + config_path + "': " + e.what());
  }
  Status status = Status::Ok();
  VisitConfig(config, [&](const std::string& key, auto& value, const char*) {
    if (status.ok() && (key.rfind("recsim.", 0) == 0 || key.rfind("movielens.", 0) == 0) && values.count(key)) {
      status = Convert(key, values[key].as<std::string>(), value);
    }
  });
  if (!status.ok()) return status;
  return config.env.options;
}

}  // namespace ddpg
