// ddpg_keys: makes the CurveZMQ key pairs of a cluster with run.security = curve (common/curve_security.h,
// docs/operations.md, "Security").
//
//   ddpg_keys --dir keys server                                  the servers' pair
//   ddpg_keys --dir keys --allow keys/allowed_clients client     a client's pair, its key allowed
//
// For each NAME it writes DIR/NAME.public and DIR/NAME.secret (mode 0600), never overwriting a key; with
// --allow FILE it appends "PUBLIC_KEY NAME" to FILE, the allowlist the servers read. Exit codes: 0 written
// (or kept with --if-missing), 1 writing failed, 2 bad usage or a key file that exists already, with
// `ddpg_keys: error: ...` on stderr.
#include <boost/program_options.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "common/curve_security.h"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace ddpg {
namespace {

constexpr int kUsageError = 2;

int Fail(const std::string& message, int code = kUsageError) {
  std::cerr << "ddpg_keys: error: " << message << "\n";
  return code;
}

Status AppendToAllowlist(const std::string& path, const std::string& public_key, const std::string& name) {
  std::ofstream file(path, std::ios::app);
  file << public_key << " " << name << "\n";
  file.close();
  if (!file) return Unavailable("cannot append to '" + path + "'");
  return Status::Ok();
}

int Main(int argc, char** argv) {
  std::string dir = "keys", allowlist;
  std::vector<std::string> names;
  po::options_description options(
      "usage: ddpg_keys [--dir DIR] [--allow FILE] [--if-missing] NAME...\n\n"
      "Writes a CurveZMQ key pair for each NAME: DIR/NAME.public and DIR/NAME.secret (mode 0600), Z85 text.\n"
      "Give the servers' secret key to the replay server and the learner (run.server_secret_key_file) and its\n"
      "public key to every process (run.server_public_key_file); give each client its secret key\n"
      "(run.client_secret_key_file) and list its public key in the servers' run.allowed_clients_file");
  options.add_options()("dir", po::value(&dir), "directory for the key files, made if missing (default: keys)")(
      "allow", po::value(&allowlist), "append each new public key with its NAME to this allowlist file")(
      "if-missing", "keep a pair whose two files exist already instead of failing (for init containers)")(
      "help", "show this help");
  po::options_description all = options;
  all.add_options()("name", po::value(&names));
  po::positional_options_description positional;
  positional.add("name", -1);
  po::variables_map values;
  try {
    po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(), values);
    if (values.count("help")) {
      std::cout << options;
      return 0;
    }
    po::notify(values);
  } catch (const po::error& error) {
    return Fail(std::string(error.what()) + " (see ddpg_keys --help)");
  }
  if (names.empty()) return Fail("name at least one key pair, e.g. ddpg_keys --dir keys server (see --help)");
  for (const std::string& name : names) {
    if (name.empty() || name.find_first_of("/ \t\n#") != std::string::npos) {
      return Fail("'" + name + "' is not a key pair name: use letters, digits, '-' or '_'");
    }
  }
  std::error_code error;
  fs::create_directories(dir, error);
  if (error) return Fail("cannot make the directory '" + dir + "': " + error.message(), 1);

  for (const std::string& name : names) {
    const std::string public_path = dir + "/" + name + ".public";
    const std::string secret_path = dir + "/" + name + ".secret";
    if (values.count("if-missing") && fs::exists(public_path) && fs::exists(secret_path)) {
      std::cout << "kept " << public_path << " and " << secret_path << "\n";
      continue;
    }
    StatusOr<std::string> public_key = WriteCurveKeyPair(public_path, secret_path);
    if (!public_key.ok()) {
      return Fail(public_key.status().message(), public_key.status().code() == StatusCode::kFailedPrecondition ? 2 : 1);
    }
    std::cout << "wrote " << public_path << " and " << secret_path << " (mode 0600)\n";
    if (!allowlist.empty()) {
      if (Status appended = AppendToAllowlist(allowlist, *public_key, name); !appended.ok()) {
        return Fail(appended.message(), 1);
      }
      std::cout << "allowed " << name << " in " << allowlist << "\n";
    }
  }
  return 0;
}

}  // namespace
}  // namespace ddpg

int main(int argc, char** argv) { return ddpg::Main(argc, argv); }
