// export_policy: writes a trained policy (a run's best_policy.pt or checkpoint.pt) as a TorchScript module
// whose forward(observations) returns the policy's actions (tools/torchscript_policy.h).
//
//   export_policy --policy runs/<name>/best_policy.pt --out policy.ts
//
// Blocks until the module is written. Exit codes: 0 written, 1 writing failed, 2 bad usage (bad arguments,
// a file that is not a policy), with `export_policy: error: ...` on stderr.
#include <boost/program_options.hpp>

#include <iostream>
#include <string>

#include <spdlog/fmt/fmt.h>
#include <spdlog/fmt/ranges.h>

#include "learner/saved_policy.h"
#include "tools/torchscript_policy.h"

namespace po = boost::program_options;

namespace ddpg {
namespace {

constexpr int kUsageError = 2;

int Fail(const std::string& message, int code = kUsageError) {
  std::cerr << "export_policy: error: " << message << "\n";
  return code;
}

int Main(int argc, char** argv) {
  std::string policy_path, out;
  po::options_description options(
      "usage: export_policy --policy FILE --out FILE\n\n"
      "Writes a trained policy as a TorchScript module: forward(observations) maps a float32 batch\n"
      "[n, obs_dim] to the policy's actions [n, act_dim] within the environment's action bounds.\n"
      "Load it with torch.jit.load (Python) or torch::jit::load (C++)");
  options.add_options()("policy", po::value(&policy_path)->required(),
                        "the policy to export: a run's best_policy.pt, or its checkpoint.pt (its current actor)")(
      "out", po::value(&out)->required(), "the TorchScript file to write, e.g. policy.ts")("help", "show this help");
  po::variables_map values;
  try {
    po::store(po::command_line_parser(argc, argv).options(options).positional({}).run(), values);
    if (values.count("help")) {
      std::cout << options;
      return 0;
    }
    po::notify(values);
  } catch (const po::error& error) {
    return Fail(std::string(error.what()) + " (see export_policy --help)");
  }

  StatusOr<SavedPolicy> policy = LoadSavedPolicy(policy_path);
  if (!policy.ok()) return Fail(policy.status().message());
  if (Status written = WriteTorchScriptPolicy(*policy, out); !written.ok()) return Fail(written.message(), 1);
  const DdpgOptions& network = policy->options;
  std::cout << fmt::format(
      "wrote {}: {} from {} as TorchScript; forward maps observations [n, {}] to actions [n, {}] in [{}] .. [{}]\n",
      out, policy->description, policy_path, network.obs_dim, network.act_dim, fmt::join(network.act_low, ", "),
      fmt::join(network.act_high, ", "));
  return 0;
}

}  // namespace
}  // namespace ddpg

int main(int argc, char** argv) { return ddpg::Main(argc, argv); }
