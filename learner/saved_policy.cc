#include "learner/saved_policy.h"

#include <spdlog/fmt/fmt.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <optional>
#include <system_error>

namespace ddpg {
namespace {

// What a file says about itself before its tensors are read: the network under the keys DdpgAgent writes
// into policy files and checkpoints alike (learner/ddpg.cc), and whether it is a checkpoint (which alone
// carries training counters).
struct StoredHeader {
  DdpgOptions options;
  bool checkpoint = false;
};

StoredHeader ReadHeader(torch::serialize::InputArchive& archive) {
  c10::IValue obs_dim, act_dim, hidden_sizes, act_low, act_high, updates;
  archive.read("obs_dim", obs_dim);
  archive.read("act_dim", act_dim);
  archive.read("hidden_sizes", hidden_sizes);
  archive.read("act_low", act_low);
  archive.read("act_high", act_high);
  StoredHeader header;
  header.options.obs_dim = static_cast<int>(obs_dim.toInt());
  header.options.act_dim = static_cast<int>(act_dim.toInt());
  header.options.hidden_sizes.clear();
  for (int64_t width : hidden_sizes.toIntVector()) header.options.hidden_sizes.push_back(static_cast<int>(width));
  for (double low : act_low.toDoubleVector()) header.options.act_low.push_back(static_cast<float>(low));
  for (double high : act_high.toDoubleVector()) header.options.act_high.push_back(static_cast<float>(high));
  header.checkpoint = archive.try_read("updates", updates);
  return header;
}

// The algorithm decides the critics a checkpoint holds, and for D4PG their support; files from before it
// was recorded are DDPG's.
Status ReadAlgorithm(torch::serialize::InputArchive& archive, DdpgOptions& options) {
  c10::IValue algorithm, atoms, v_min, v_max;
  if (!archive.try_read("algorithm", algorithm)) return Status::Ok();
  DDPG_RETURN_IF_ERROR(ParseConfigEnum("learner.algorithm", algorithm.toStringRef(), options.algorithm));
  if (archive.try_read("atoms", atoms)) {
    archive.read("v_min", v_min);
    archive.read("v_max", v_max);
    options.atoms = static_cast<int>(atoms.toInt());
    options.v_min = v_min.toDouble();
    options.v_max = v_max.toDouble();
  }
  return Status::Ok();
}

// Sizes that no learner writes would make the networks below fail in LibTorch, or allocate absurdly.
std::optional<std::string> ImplausibleSizes(const DdpgOptions& options) {
  constexpr int kLargest = 1 << 20;
  auto plausible = [](int size) { return size >= 1 && size <= kLargest; };
  if (!plausible(options.obs_dim) || !plausible(options.act_dim)) {
    return fmt::format("obs_dim {} and act_dim {}", options.obs_dim, options.act_dim);
  }
  for (int width : options.hidden_sizes) {
    if (!plausible(width)) return fmt::format("a hidden layer of width {}", width);
  }
  if (options.act_low.size() != static_cast<size_t>(options.act_dim) ||
      options.act_high.size() != static_cast<size_t>(options.act_dim)) {
    return fmt::format("{} and {} action bounds for act_dim {}", options.act_low.size(), options.act_high.size(),
                       options.act_dim);
  }
  if (options.algorithm == Algorithm::kD4pg &&
      (options.atoms < 2 || options.atoms > kLargest || !std::isfinite(options.v_min) ||
       !std::isfinite(options.v_max) || options.v_min >= options.v_max)) {
    return fmt::format("a critic of {} atoms from {} to {}", options.atoms, options.v_min, options.v_max);
  }
  return std::nullopt;
}

// The header of the policy file or checkpoint at `path`, checked for plausible sizes.
StatusOr<StoredHeader> ReadStoredHeader(const std::string& path) {
  std::error_code error;
  if (!std::filesystem::exists(path, error) && !error) return NotFound("policy file " + path + " does not exist");
  StoredHeader header;
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path, torch::kCPU);
    header = ReadHeader(archive);
    DDPG_RETURN_IF_ERROR(ReadAlgorithm(archive, header.options));
  } catch (const c10::Error& e) {
    return InvalidArgument(path + " is neither a policy file (best_policy.pt) nor a checkpoint (checkpoint.pt): " +
                           e.what_without_backtrace());
  } catch (const std::exception& e) {
    return InvalidArgument(path +
                           " is neither a policy file (best_policy.pt) nor a checkpoint (checkpoint.pt): " + e.what());
  }
  if (std::optional<std::string> implausible = ImplausibleSizes(header.options)) {
    return InvalidArgument(path + " is corrupt: it describes a network with " + *implausible);
  }
  return header;
}

StatusOr<SavedAgent> LoadCheckpointOf(const std::string& path, const DdpgOptions& options) {
  SavedAgent saved{std::make_unique<DdpgAgent>(options), {}};
  StatusOr<TrainingCounters> counters = saved.agent->LoadCheckpoint(path);
  if (!counters.ok()) return counters.status();
  saved.counters = *counters;
  return saved;
}

}  // namespace

StatusOr<SavedAgent> LoadSavedAgent(const std::string& path) {
  StatusOr<StoredHeader> header = ReadStoredHeader(path);
  if (!header.ok()) return header.status();
  if (!header->checkpoint) {
    return InvalidArgument(path + " is a policy file, which holds the actor alone; the critic is in the run's " +
                           "checkpoint (checkpoint.pt)");
  }
  return LoadCheckpointOf(path, header->options);
}

StatusOr<SavedPolicy> LoadSavedPolicy(const std::string& path) {
  StatusOr<StoredHeader> read = ReadStoredHeader(path);
  if (!read.ok()) return read.status();
  const StoredHeader& header = *read;
  SavedPolicy policy{header.options, {}, {}};
  if (header.checkpoint) {
    StatusOr<SavedAgent> saved = LoadCheckpointOf(path, header.options);
    if (!saved.ok()) return saved.status();
    policy.actor_parameters = saved->agent->ActorParameters();
    policy.description = fmt::format("checkpoint at update {}", saved->counters.updates);
    return policy;
  }
  StatusOr<PolicyFile> file = LoadPolicyFile(path, header.options);
  if (!file.ok()) return file.status();
  policy.actor_parameters = std::move(file->actor_parameters);
  policy.description = fmt::format("policy v{}, evaluation return {:.1f}", file->version, file->eval_return);
  return policy;
}

}  // namespace ddpg
