// The ddpg-cluster wire protocol: every message exchanged between processes, in one place.
//
// A frame is one ZeroMQ message part:
//   bytes 0..3  magic      0x44 0x44 0x50 0x47 ("DDPG")
//   bytes 4..5  version    protocol version, little-endian uint16 (kProtocolVersion)
//   bytes 6..7  type       MessageType, little-endian uint16
//   bytes 8..   payload    the message struct, cereal PortableBinary archive
// docs/protocol.md describes every message field by field so that a client in another language can be
// written from it. Any change to a struct below changes the wire format and must bump kProtocolVersion.
//
// Each struct names its fields once, in its static Fields(): the encoder and the decoder both walk that
// list, so they cannot disagree, and it is in declaration order (a test checks), so the struct as written
// here reads as its wire layout.
//
// Encode never fails. Decode never throws: a frame that is truncated, oversized, of another protocol
// version, of an unknown type, or whose payload does not parse or is inconsistent (array lengths that do
// not match the declared dimensions) yields a Status that says what was wrong. Both are thread-safe
// (no shared state).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>
#include <variant>
#include <vector>

#include "common/status.h"

namespace ddpg::protocol {

inline constexpr uint32_t kMagic = 0x47504444;  // "DDPG" read as a little-endian uint32
inline constexpr uint16_t kProtocolVersion = 3;
inline constexpr size_t kHeaderBytes = 8;
// Also set as ZMQ_MAXMSGSIZE on every receiving socket, so oversized frames never reach user code.
inline constexpr size_t kMaxMessageBytes = 64u << 20;

enum class MessageType : uint16_t {
  kError = 1,
  kHeartbeat = 2,
  kInsertChunk = 3,
  kInsertAck = 4,
  kSampleRequest = 5,
  kSampleReply = 6,
  kStatsRequest = 7,
  kStatsReply = 8,
  kWeights = 9,
  kEpisodeReport = 10,
  kActorIdRequest = 11,
  kActorIdReply = 12,
  kPriorityUpdate = 13,
};

// Tells a client whether resending can help: kOverloaded is the only code where the same request may
// succeed later; the others need a different request (or a different peer).
enum class ErrorCode : uint16_t {
  kMalformedFrame = 1,     // could not be decoded
  kVersionMismatch = 2,    // decoded header, other protocol version
  kUnexpectedMessage = 3,  // valid message, but not one this socket serves
  kInvalidChunk = 4,       // dimensions do not match the server's environment
  kInvalidRequest = 5,     // well-formed, but a value is out of the allowed range (e.g. batch_size 0)
  kOverloaded = 6,         // a queue of the server is full; send the same request again later
  kInvalidValue = 7,       // decoded and consistent, but a value is not finite or out of its range
};

// Struct-of-arrays batch of transitions, float32, row-major: observations[i * obs_dim + j].
// discounts[i] is gamma^k for a k-step transition that did not terminate, 0 where the episode terminated
// (truncation is not termination). policy_versions[i] is the version of the weights that chose actions[i]
// (0 = uniform random actions before the first weights arrived).
struct TransitionBatch {
  uint32_t obs_dim = 0;
  uint32_t act_dim = 0;
  std::vector<float> observations;
  std::vector<float> actions;
  std::vector<float> rewards;
  std::vector<float> discounts;
  std::vector<float> next_observations;
  std::vector<uint64_t> policy_versions;

  size_t size() const { return rewards.size(); }

  static auto Fields(auto& self) {
    return std::tie(self.obs_dim, self.act_dim, self.observations, self.actions, self.rewards, self.discounts,
                    self.next_observations, self.policy_versions);
  }
  bool operator==(const TransitionBatch&) const = default;
};

// Sent in reply to a frame that could not be served. request_type and request_id name the refused request
// (SampleRequest.request_id, InsertChunk.sequence, ActorIdRequest.nonce), so that the client can give back
// the slot or credit it held; request_type is 0 when the frame did not decode.
struct Error {
  ErrorCode code = ErrorCode::kMalformedFrame;
  std::string message;
  MessageType request_type{};
  uint64_t request_id = 0;

  static auto Fields(auto& self) { return std::tie(self.code, self.message, self.request_type, self.request_id); }
  bool operator==(const Error&) const = default;
};

// Liveness, both ways, on the DEALER/ROUTER channels. A client sends one every heartbeat interval when it
// has sent nothing else; the server answers each one at once. instance is drawn at random (never 0) when
// the sending process starts: a client that sees the server's instance change knows that whatever it had
// outstanding died with the old server.
struct Heartbeat {
  std::string sender;  // e.g. "actor-3", "learner", "replay_server"
  uint64_t instance = 0;

  static auto Fields(auto& self) { return std::tie(self.sender, self.instance); }
  bool operator==(const Heartbeat&) const = default;
};

// actor -> replay: a chunk of transitions. (actor_id, incarnation, sequence) identifies it; resent chunks
// are acknowledged again but stored once. incarnation is drawn at random when an actor process starts, so
// a restarted actor with the same id, whose sequence numbers start again at 0, is not taken for a
// duplicate of its former self.
struct InsertChunk {
  uint32_t actor_id = 0;
  uint64_t incarnation = 0;
  uint64_t sequence = 0;
  TransitionBatch transitions;

  static auto Fields(auto& self) { return std::tie(self.actor_id, self.incarnation, self.sequence, self.transitions); }
  bool operator==(const InsertChunk&) const = default;
};

// replay -> actor: the chunk with this sequence is stored (or was already, duplicate = true).
struct InsertAck {
  uint32_t actor_id = 0;
  uint64_t sequence = 0;
  bool duplicate = false;
  uint64_t replay_size = 0;
  uint64_t server_instance = 0;

  static auto Fields(auto& self) {
    return std::tie(self.actor_id, self.sequence, self.duplicate, self.replay_size, self.server_instance);
  }
  bool operator==(const InsertAck&) const = default;
};

// learner -> replay: sample batch_size transitions (uniformly or by priority, as the server is configured:
// replay.sampler). Served once the rate limiter allows it.
// run_id identifies the training run (drawn when a run starts, kept across resumes): the server counts
// the transitions inserted for the run it serves (SampleReply.run_inserted) and starts that count again
// at 0 when a learner of another run samples.
struct SampleRequest {
  uint64_t request_id = 0;
  uint32_t batch_size = 0;
  uint64_t run_id = 0;

  static auto Fields(auto& self) { return std::tie(self.request_id, self.batch_size, self.run_id); }
  bool operator==(const SampleRequest&) const = default;
};

// replay -> learner: the sampled transitions, their store indices, and server counters. run_inserted
// counts the transitions inserted into this server instance for the requesting run (those inserted
// before any run sampled included); with server_instance it is what the learner counts env steps from.
// A prioritized server also sends each slot's generation and each transition's importance weight (the
// largest of a batch 1); a uniform one leaves both empty, and a learner sends priority updates only for
// batches that carry them.
struct SampleReply {
  uint64_t request_id = 0;
  TransitionBatch transitions;
  std::vector<uint64_t> indices;
  uint64_t replay_size = 0;
  uint64_t total_inserted = 0;
  uint32_t connected_actors = 0;
  uint64_t server_instance = 0;
  uint64_t run_inserted = 0;
  std::vector<uint64_t> generations;
  std::vector<float> weights;

  static auto Fields(auto& self) {
    return std::tie(self.request_id, self.transitions, self.indices, self.replay_size, self.total_inserted,
                    self.connected_actors, self.server_instance, self.run_inserted, self.generations, self.weights);
  }
  bool operator==(const SampleReply&) const = default;
};

// anyone -> replay: ask for counters (used by operators and tests).
struct StatsRequest {
  static auto Fields(auto&) { return std::tie(); }
  bool operator==(const StatsRequest&) const = default;
};

struct StatsReply {
  uint64_t replay_size = 0;
  uint64_t capacity = 0;
  uint64_t total_inserted = 0;
  uint64_t total_sampled = 0;
  uint64_t duplicates_dropped = 0;
  uint32_t connected_actors = 0;
  uint32_t pending_inserts = 0;
  uint32_t pending_samples = 0;
  uint64_t server_instance = 0;

  static auto Fields(auto& self) {
    return std::tie(self.replay_size, self.capacity, self.total_inserted, self.total_sampled, self.duplicates_dropped,
                    self.connected_actors, self.pending_inserts, self.pending_samples, self.server_instance);
  }
  bool operator==(const StatsReply&) const = default;
};

// learner -> actors (PUB): the policy network's parameters, flattened in the order of
// Actor::parameters(). version is the learner's update step when they were taken; learner_instance is
// drawn when the learner process starts, so a learner resumed from an older checkpoint, whose versions
// restart below the ones actors hold, is recognised as a new source of weights.
struct Weights {
  uint64_t version = 0;
  uint32_t obs_dim = 0;
  uint32_t act_dim = 0;
  std::vector<uint32_t> hidden_sizes;
  std::vector<float> parameters;
  uint64_t learner_instance = 0;

  static auto Fields(auto& self) {
    return std::tie(self.version, self.obs_dim, self.act_dim, self.hidden_sizes, self.parameters,
                    self.learner_instance);
  }
  bool operator==(const Weights&) const = default;
};

// actors, evaluator -> learner (PUSH): one finished training episode, or, with evaluation = true, the
// mean return of `episodes` evaluation episodes of one policy version. (learner_instance, policy_version)
// name the weights that acted (0, 0 for uniformly random actions).
struct EpisodeReport {
  uint32_t actor_id = 0;
  bool evaluation = false;
  double episode_return = 0.0;
  uint32_t episode_length = 0;
  uint32_t episodes = 1;
  uint64_t policy_version = 0;
  uint64_t actor_env_steps = 0;  // environment steps this actor has taken so far
  uint64_t learner_instance = 0;

  static auto Fields(auto& self) {
    return std::tie(self.actor_id, self.evaluation, self.episode_return, self.episode_length, self.episodes,
                    self.policy_version, self.actor_env_steps, self.learner_instance);
  }
  bool operator==(const EpisodeReport&) const = default;
};

// actor -> replay: asks for an actor id (actor.auto_id), so that replicas started from one identical
// command line still get distinct ids, and with them distinct noise scales and seeds. nonce is drawn at
// random by the asking process: a request resent after a reconnect gets the id it was already given.
struct ActorIdRequest {
  uint64_t nonce = 0;

  static auto Fields(auto& self) { return std::tie(self.nonce); }
  bool operator==(const ActorIdRequest&) const = default;
};

// replay -> actor: the lowest id that no live actor holds. The id counts as held from this moment; it
// stays held while its actor is heard from (heartbeats, chunks) within run.heartbeat_timeout_ms.
struct ActorIdReply {
  uint64_t nonce = 0;
  uint32_t actor_id = 0;

  static auto Fields(auto& self) { return std::tie(self.nonce, self.actor_id); }
  bool operator==(const ActorIdReply&) const = default;
};

// learner -> replay (prioritized replay): new priorities for the transitions of one sampled batch, e.g.
// their |TD error|s; the server adds replay.priority_epsilon. Entry i names slot indices[i] with the
// generation the SampleReply gave it: an entry whose slot has been overwritten since, or an update whose
// server_instance is not the server's, is ignored (and counted), as it is about a transition that is
// gone. Not answered, except by an Error when refused.
struct PriorityUpdate {
  uint64_t server_instance = 0;
  std::vector<uint64_t> indices;
  std::vector<uint64_t> generations;
  std::vector<float> priorities;

  static auto Fields(auto& self) {
    return std::tie(self.server_instance, self.indices, self.generations, self.priorities);
  }
  bool operator==(const PriorityUpdate&) const = default;
};

using Message = std::variant<Error, Heartbeat, InsertChunk, InsertAck, SampleRequest, SampleReply, StatsRequest,
                             StatsReply, Weights, EpisodeReport, ActorIdRequest, ActorIdReply, PriorityUpdate>;

MessageType TypeOf(const Message& message);
std::string_view TypeName(MessageType type);

// Serializes header + payload.
std::string Encode(const Message& message);

// Parses a frame produced by Encode. Never throws.
StatusOr<Message> Decode(const void* data, size_t size);
inline StatusOr<Message> Decode(std::string_view frame) { return Decode(frame.data(), frame.size()); }

// A random process instance id for Heartbeat.instance and friends; never 0, which means "unknown".
uint64_t NewInstanceId();

// Checks that every array of `batch` has the length its dimensions imply.
Status ValidateBatch(const TransitionBatch& batch);

// Checks the values of a batch that passed ValidateBatch before they are stored or trained on: every
// observation and reward finite and at most max_abs_value in magnitude, every action within
// [act_low, act_high] of its dimension (actors clip to the bounds), every discount within [0, 1].
// InvalidArgument naming the first bad value's field, row and value. act_low and act_high hold
// batch.act_dim bounds.
Status CheckBatchValues(const TransitionBatch& batch, const std::vector<float>& act_low,
                        const std::vector<float>& act_high, double max_abs_value);

}  // namespace ddpg::protocol
