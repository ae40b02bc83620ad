// The start-up check that every message a configuration implies fits in one frame.
//
// A frame over protocol::kMaxMessageBytes never reaches user code: the receiving socket (ZMQ_MAXMSGSIZE)
// drops the connection instead, and the sender reconnects and tries again, so an actor would insert
// nothing, a learner would sample nothing and actors would never get weights, with no error anywhere.
// Three messages grow with the configuration: an actor's InsertChunk (actor.chunk_size, actor.num_envs and
// actor.n_step: LargestChunkTransitions in config.h),
// the SampleReply to the learner (learner.batch_size) and the Weights the learner publishes
// (network.hidden_sizes). Every process checks all three at start-up (command_line.h, and each service's
// Create), so a configuration that cannot work is refused before anything starts, with the key to lower.
//
// The sizes come from the real encoder, not from a formula of our own: every array on the wire is a
// length prefix plus fixed-size elements, so a frame's size is affine in its number of transitions (or
// parameters), and two encodings, of 0 and of 1, give it exactly.
//
// Stateless: thread-safe, never blocks.
#pragma once

#include <cstddef>
#include <vector>

#include "common/config.h"
#include "common/status.h"

namespace ddpg {

// Frame bytes of an InsertChunk or a SampleReply carrying `transitions` transitions (a SampleReply as a
// prioritized server sends it, with generations and weights: the larger form).
size_t InsertChunkFrameBytes(int obs_dim, int act_dim, size_t transitions);
size_t SampleReplyFrameBytes(int obs_dim, int act_dim, size_t transitions);
// Frame bytes of the Weights of the actor network obs_dim -> hidden_sizes -> act_dim.
size_t WeightsFrameBytes(int obs_dim, int act_dim, const std::vector<int>& hidden_sizes);

// Parameters of the actor network (common/networks.h): the weights and biases of every linear layer.
size_t ActorParameterCount(int obs_dim, int act_dim, const std::vector<int>& hidden_sizes);

// InvalidArgument when the largest InsertChunk, the SampleReply for learner.batch_size or the Weights for
// network.hidden_sizes would be over protocol::kMaxMessageBytes. The message names the key, the frame
// size it makes and the largest value of that key that fits, e.g. "learner.batch_size = 30000 makes
// SampleReply frames of 89.0 MiB for Humanoid-v4 (obs 376, act 17), over the 64 MiB frame limit; the
// largest batch that fits is 21,564: lower learner.batch_size".
Status CheckFrameLimits(const Config& config, int obs_dim, int act_dim);

}  // namespace ddpg
