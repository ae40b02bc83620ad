#include "common/frame_limits.h"

#include <spdlog/fmt/fmt.h>

#include "common/protocol.h"

namespace ddpg {
namespace {

constexpr size_t kLimit = protocol::kMaxMessageBytes;

// A frame's size as a function of one count (transitions, parameters): fixed + per_item * count.
struct AffineSize {
  size_t fixed = 0;
  size_t per_item = 0;

  size_t At(size_t count) const { return fixed + per_item * count; }
  // The largest count whose frame fits in the frame limit.
  size_t LargestFitting() const { return kLimit < fixed ? 0 : (kLimit - fixed) / per_item; }
};

// make(count) builds the message with `count` items; it is encoded with 0 and with 1.
template <class MakeMessage>
AffineSize Measure(const MakeMessage& make) {
  const size_t empty = protocol::Encode(make(0)).size();
  const size_t one = protocol::Encode(make(1)).size();
  return {empty, one - empty};
}

protocol::TransitionBatch Transitions(int obs_dim, int act_dim, size_t count) {
  protocol::TransitionBatch batch;
  batch.obs_dim = static_cast<uint32_t>(obs_dim);
  batch.act_dim = static_cast<uint32_t>(act_dim);
  batch.observations.resize(count * obs_dim);
  batch.actions.resize(count * act_dim);
  batch.rewards.resize(count);
  batch.discounts.resize(count);
  batch.next_observations.resize(count * obs_dim);
  batch.policy_versions.resize(count);
  return batch;
}

AffineSize InsertChunkSize(int obs_dim, int act_dim) {
  return Measure([&](size_t count) {
    protocol::InsertChunk chunk;
    chunk.transitions = Transitions(obs_dim, act_dim, count);
    return chunk;
  });
}

AffineSize SampleReplySize(int obs_dim, int act_dim) {
  return Measure([&](size_t count) {
    protocol::SampleReply reply;
    reply.transitions = Transitions(obs_dim, act_dim, count);
    reply.indices.resize(count);
    // A prioritized server's reply, the larger form.
    reply.generations.resize(count);
    reply.weights.resize(count);
    return reply;
  });
}

// Affine in the parameter count, for this list of hidden layers.
AffineSize WeightsSize(int obs_dim, int act_dim, const std::vector<int>& hidden_sizes) {
  return Measure([&](size_t count) {
    protocol::Weights weights;
    weights.obs_dim = static_cast<uint32_t>(obs_dim);
    weights.act_dim = static_cast<uint32_t>(act_dim);
    weights.hidden_sizes.assign(hidden_sizes.begin(), hidden_sizes.end());
    weights.parameters.resize(count);
    return weights;
  });
}

// The widest layers that fit when all hidden_sizes.size() layers are equally wide (the frame grows with
// the width, so a binary search over 1 .. 65536, the widths ValidateConfig allows, finds it). 0 if none.
int WidestEqualLayersFitting(int obs_dim, int act_dim, size_t layers) {
  int fits = 0;
  int too_wide = 65537;
  while (too_wide - fits > 1) {
    const int width = fits + (too_wide - fits) / 2;
    if (WeightsFrameBytes(obs_dim, act_dim, std::vector<int>(layers, width)) <= kLimit) {
      fits = width;
    } else {
      too_wide = width;
    }
  }
  return fits;
}

std::string MiB(size_t bytes) { return fmt::format("{:.1f} MiB", bytes / 1048576.0); }

// 21647 -> "21,647": these numbers are read by a person choosing a new value.
std::string GroupThousands(size_t value) {
  const std::string digits = std::to_string(value);
  std::string grouped;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) grouped += ',';
    grouped += digits[i];
  }
  return grouped;
}

}  // namespace

size_t InsertChunkFrameBytes(int obs_dim, int act_dim, size_t transitions) {
  return InsertChunkSize(obs_dim, act_dim).At(transitions);
}

size_t SampleReplyFrameBytes(int obs_dim, int act_dim, size_t transitions) {
  return SampleReplySize(obs_dim, act_dim).At(transitions);
}

size_t WeightsFrameBytes(int obs_dim, int act_dim, const std::vector<int>& hidden_sizes) {
  return WeightsSize(obs_dim, act_dim, hidden_sizes).At(ActorParameterCount(obs_dim, act_dim, hidden_sizes));
}

size_t ActorParameterCount(int obs_dim, int act_dim, const std::vector<int>& hidden_sizes) {
  size_t count = 0;
  size_t inputs = static_cast<size_t>(obs_dim);
  for (int width : hidden_sizes) {
    count += (inputs + 1) * static_cast<size_t>(width);
    inputs = static_cast<size_t>(width);
  }
  return count + (inputs + 1) * static_cast<size_t>(act_dim);
}

Status CheckFrameLimits(const Config& config, int obs_dim, int act_dim) {
  const std::string environment = fmt::format("{} (obs {}, act {})", config.env.id, obs_dim, act_dim);
  const std::string over = fmt::format("over the {} MiB frame limit", kLimit >> 20);

  const AffineSize chunk = InsertChunkSize(obs_dim, act_dim);
  const size_t chunk_transitions = LargestChunkTransitions(config.actor);
  if (chunk.At(chunk_transitions) > kLimit) {
    const size_t num_envs = static_cast<size_t>(config.actor.num_envs);
    const size_t n_step = static_cast<size_t>(config.actor.n_step);
    // What one step can add on top of a chunk one short of chunk_size.
    const size_t one_step = num_envs * n_step;
    const std::string prefix = fmt::format(
        "actor.chunk_size = {} with actor.num_envs = {}{} makes InsertChunk frames of up to {} transitions, {}, for "
        "{}, {}",
        config.actor.chunk_size, num_envs, n_step > 1 ? fmt::format(" and actor.n_step = {}", n_step) : "",
        GroupThousands(chunk_transitions), MiB(chunk.At(chunk_transitions)), environment, over);
    if (chunk.LargestFitting() < one_step) {
      return InvalidArgument(prefix + (n_step > 1 ? "; even one step of every environment, completing its n-step "
                                                    "window, does not fit: lower actor.num_envs or actor.n_step"
                                                  : "; even one step of every environment does not fit: lower "
                                                    "actor.num_envs"));
    }
    return InvalidArgument(fmt::format("{}; the largest chunk_size that fits is {}: lower actor.chunk_size", prefix,
                                       GroupThousands(chunk.LargestFitting() - one_step + 1)));
  }

  const AffineSize reply = SampleReplySize(obs_dim, act_dim);
  const auto batch_size = static_cast<size_t>(config.learner.batch_size);
  if (reply.At(batch_size) > kLimit) {
    return InvalidArgument(fmt::format(
        "learner.batch_size = {} makes SampleReply frames of {} for {}, {}; the largest batch that fits is {}: "
        "lower learner.batch_size",
        batch_size, MiB(reply.At(batch_size)), environment, over, GroupThousands(reply.LargestFitting())));
  }

  const std::vector<int>& hidden_sizes = config.network.hidden_sizes;
  const size_t weights_bytes = WeightsFrameBytes(obs_dim, act_dim, hidden_sizes);
  if (weights_bytes > kLimit) {
    return InvalidArgument(fmt::format(
        "network.hidden_sizes = {} makes Weights frames of {} for {}, {}; the widest {} equal layers that fit are "
        "{}: lower network.hidden_sizes",
        FormatConfigValue(hidden_sizes), MiB(weights_bytes), environment, over, hidden_sizes.size(),
        FormatConfigValue(
            std::vector<int>(hidden_sizes.size(), WidestEqualLayersFitting(obs_dim, act_dim, hidden_sizes.size())))));
  }
  return Status::Ok();
}

}  // namespace ddpg
