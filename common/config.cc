#include "common/config.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <sstream>
#include <type_traits>

namespace ddpg {

template <typename T>
std::string FormatConfigValue(const T& value) {
  std::ostringstream out;
  if constexpr (ConfigEnum<T>) {
    out << ConfigEnumName(value);
  } else if constexpr (std::is_same_v<T, bool>) {
    out << (value ? "true" : "false");
  } else if constexpr (std::is_same_v<T, std::vector<int>>) {
    for (size_t i = 0; i < value.size(); ++i) out << (i ? "," : "") << value[i];
  } else if constexpr (std::is_same_v<T, ThreadCount>) {
    if (value.value == 0) {
      out << "auto";
    } else {
      out << value.value;
    }
  } else if constexpr (std::is_floating_point_v<T>) {
    char buffer[64];
    auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, value);  // shortest exact form
    out << std::string(buffer, error == std::errc() ? end : buffer);
  } else {
    out << value;
  }
  return out.str();
}
template std::string FormatConfigValue(const std::string&);
template std::string FormatConfigValue(const bool&);
template std::string FormatConfigValue(const int&);
template std::string FormatConfigValue(const uint32_t&);
template std::string FormatConfigValue(const uint64_t&);
template std::string FormatConfigValue(const double&);
template std::string FormatConfigValue(const std::vector<int>&);
template std::string FormatConfigValue(const ThreadCount&);
template std::string FormatConfigValue(const ResumeMode&);
template std::string FormatConfigValue(const NoiseKind&);
template std::string FormatConfigValue(const Device&);
template std::string FormatConfigValue(const Algorithm&);
template std::string FormatConfigValue(const Precision&);
template std::string FormatConfigValue(const Security&);
template std::string FormatConfigValue(const ReplaySampler&);
template std::string FormatConfigValue(const Durability&);

int LearnerThreads(ThreadCount threads) { return threads.value > 0 ? threads.value : 1; }

namespace {

template <typename T>
std::string Show(const T& value) {
  return FormatConfigValue(value);
}

template <typename T>
Status InRange(const char* key, T value, T low, T high) {
  if constexpr (std::is_floating_point_v<T>) {
    if (!std::isfinite(value)) {
      return InvalidArgument(std::string(key) + " = " + Show(value) + " is not a finite number");
    }
  }
  if (value >= low && value <= high) return Status::Ok();
  return InvalidArgument(std::string(key) + " = " + Show(value) + " is out of range: allowed " + Show(low) + " .. " +
                         Show(high));
}

Status Endpoint(const char* key, const std::string& value) {
  if (value.rfind("tcp://", 0) == 0 || value.rfind("ipc://", 0) == 0 || value.rfind("inproc://", 0) == 0) {
    return Status::Ok();
  }
  return InvalidArgument(std::string(key) + " = '" + value +
                         "' is not a ZeroMQ endpoint: expected tcp://HOST:PORT (or ipc://PATH)");
}

// Only the address: the port is run.metrics_port (0.0.0.0:9100 is an easy mistake), and one address.
Status MetricsAddress(const std::string& value) {
  if (!value.empty() && value.find_first_of(", \t:") == std::string::npos) return Status::Ok();
  return InvalidArgument("run.metrics_bind = '" + value +
                         "' is not an IPv4 address or host name: expected e.g. 0.0.0.0 or 127.0.0.1");
}

}  // namespace

Status ValidateConfig(const Config& c) {
  const Status checks[] = {
      c.run.name.empty() || c.run.name.find('/') != std::string::npos
          ? InvalidArgument("run.name = '" + c.run.name + "' must be a non-empty name without '/'")
          : Status::Ok(),
      c.run.root.empty() ? InvalidArgument("run.root must not be empty") : Status::Ok(),
      InRange("run.report_interval_s", c.run.report_interval_s, 0.1, 3600.0),
      InRange("run.heartbeat_interval_ms", c.run.heartbeat_interval_ms, 10, 60000),
      InRange("run.heartbeat_timeout_ms", c.run.heartbeat_timeout_ms, 2 * c.run.heartbeat_interval_ms, 600000),
      InRange("run.metrics_port", c.run.metrics_port, 0, 65535),
      MetricsAddress(c.run.metrics_bind),
      c.env.id.empty() ? InvalidArgument("env.id must name an environment, e.g. Pendulum-v1") : Status::Ok(),
      c.network.hidden_sizes.empty()
          ? InvalidArgument("network.hidden_sizes must list at least one layer width, e.g. 256,256")
          : Status::Ok(),
      Endpoint("replay.bind", c.replay.bind),
      Endpoint("replay.address", c.replay.address),
      InRange<uint64_t>("replay.capacity", c.replay.capacity, 1, 100000000),
      InRange<uint64_t>("replay.min_size_to_sample", c.replay.min_size_to_sample, 1, c.replay.capacity),
      InRange("replay.samples_per_insert", c.replay.samples_per_insert, 1e-3, 1e6),
      InRange("replay.max_abs_value", c.replay.max_abs_value, 1.0, 1e30),
      // alpha <= 10 keeps priority^alpha finite for every priority the server accepts (at most 1e30).
      InRange("replay.priority_alpha", c.replay.priority_alpha, 0.0, 10.0),
      InRange("replay.priority_beta", c.replay.priority_beta, 0.0, 1.0),
      InRange<uint64_t>("replay.priority_beta_steps", c.replay.priority_beta_steps, 1, 1000000000000ull),
      // Positive, so that every stored transition keeps a chance to be sampled.
      InRange("replay.priority_epsilon", c.replay.priority_epsilon, 1e-12, 1e6),
      c.replay.durability == Durability::kDisk && c.replay.data_dir.empty()
          ? InvalidArgument("replay.data_dir must name an existing directory when replay.durability = disk")
          : Status::Ok(),
      InRange("replay.sync_interval_ms", c.replay.sync_interval_ms, 0, 1000),
      InRange("replay.priority_snapshot_interval_s", c.replay.priority_snapshot_interval_s, 0.0, 86400.0),
      Endpoint("learner.weights_bind", c.learner.weights_bind),
      Endpoint("learner.weights_address", c.learner.weights_address),
      Endpoint("learner.reports_bind", c.learner.reports_bind),
      Endpoint("learner.reports_address", c.learner.reports_address),
      InRange("learner.batch_size", c.learner.batch_size, 1, 65536),
      InRange("learner.gamma", c.learner.gamma, 0.0, 1.0),
      InRange("learner.tau", c.learner.tau, 0.0, 1.0),
      InRange("learner.actor_lr", c.learner.actor_lr, 1e-8, 1.0),
      InRange("learner.critic_lr", c.learner.critic_lr, 1e-8, 1.0),
      InRange("learner.policy_noise", c.learner.policy_noise, 0.0, 10.0),
      InRange("learner.noise_clip", c.learner.noise_clip, 0.0, 10.0),
      InRange("learner.policy_delay", c.learner.policy_delay, 1, 1000),
      InRange("learner.atoms", c.learner.atoms, 2, 10000),
      InRange("learner.v_min", c.learner.v_min, -1e12, 1e12),
      InRange("learner.v_max", c.learner.v_max, -1e12, 1e12),
      c.learner.v_min < c.learner.v_max ? Status::Ok()
                                        : InvalidArgument("learner.v_min = " + Show(c.learner.v_min) +
                                                          " must be below learner.v_max = " + Show(c.learner.v_max)),
      InRange("learner.bc_alpha", c.learner.bc_alpha, 0.0, 1e6),
      InRange("learner.requests_in_flight", c.learner.requests_in_flight, 1, 64),
      InRange("learner.publish_every", c.learner.publish_every, 1, 1000000),
      InRange("learner.republish_interval_s", c.learner.republish_interval_s, 0.05, 3600.0),
      InRange("learner.checkpoint_interval_s", c.learner.checkpoint_interval_s, 1.0, 86400.0),
      InRange<uint64_t>("learner.max_env_steps", c.learner.max_env_steps, 1, 1000000000000ull),
      InRange("learner.target_eval_return", c.learner.target_eval_return, -1e12, 1e12),
      c.learner.threads.value == 0 ? Status::Ok() : InRange("learner.threads", c.learner.threads.value, 1, 256),
      InRange<uint32_t>("actor.count", c.actor.count, 1, 100000),
      InRange("actor.num_envs", c.actor.num_envs, 1, 4096),
      InRange("actor.n_step", c.actor.n_step, 1, 100),
      InRange("actor.chunk_size", c.actor.chunk_size, 1, 100000),
      InRange("actor.max_chunks_in_flight", c.actor.max_chunks_in_flight, 1, 1024),
      InRange("actor.noise_sigma", c.actor.noise_sigma, 0.0, 1.0),
      InRange("actor.noise_alpha", c.actor.noise_alpha, 0.0, 100.0),
      InRange("actor.ou_theta", c.actor.ou_theta, 0.0, 10.0),
      InRange("actor.eval_episodes", c.actor.eval_episodes, 1, 100000),
      InRange("actor.eval_interval_s", c.actor.eval_interval_s, 0.0, 86400.0),
      // The limiter must always let one side move: either a whole batch can be sampled or a whole chunk
      // inserted, which needs twice the buffer to exceed one batch plus the samples of the largest chunk.
      // Last: its bound is computed from values checked above.
      InRange(
          "replay.rate_error_buffer", c.replay.rate_error_buffer,
          (c.learner.batch_size + c.replay.samples_per_insert * (LargestChunkTransitions(c.actor) + 1.0)) / 2.0 + 1.0,
          1e12),
  };
  for (const Status& status : checks) {
    if (!status.ok()) return status;
  }
  for (int width : c.network.hidden_sizes) {
    if (width < 1 || width > 65536) {
      return InvalidArgument("network.hidden_sizes = " + Show(c.network.hidden_sizes) +
                             " is out of range: every width must be 1 .. 65536");
    }
  }
  if (!c.actor.eval && !c.actor.auto_id && c.actor.id >= c.actor.count) {
    return InvalidArgument("actor.id = " + Show(c.actor.id) +
                           " is out of range: allowed 0 .. actor.count-1 = " + Show(c.actor.count - 1));
  }
  return Status::Ok();
}

std::string ToIni(const Config& config) {
  Config copy = config;
  std::ostringstream out;
  std::string section;
  VisitConfig(copy, [&](const std::string& key, const auto& value, const char*) {
    const size_t dot = key.find('.');
    const std::string this_section = key.substr(0, dot);
    if (this_section != section) {
      out << (section.empty() ? "" : "\n") << "[" << this_section << "]\n";
      section = this_section;
    }
    out << key.substr(dot + 1) << " = " << Show(value) << "\n";
  });
  return out.str();
}

double ActorNoiseSigma(const ActorConfig& actor) {
  if (actor.eval) return 0.0;
  if (actor.count <= 1) return actor.noise_sigma;
  const double exponent = 1.0 + actor.noise_alpha * (actor.id % actor.count) / static_cast<double>(actor.count - 1);
  return std::pow(actor.noise_sigma, exponent);
}

size_t LargestChunkTransitions(const ActorConfig& actor) {
  return static_cast<size_t>(actor.chunk_size) - 1 +
         static_cast<size_t>(actor.num_envs) * static_cast<size_t>(std::max(actor.n_step, 1));
}

}  // namespace ddpg
