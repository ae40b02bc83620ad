// Tests of the wire protocol (common/protocol.h): a golden frame and a round trip of every message, and
// Decode's handling of every kind of broken frame (truncated, oversized, other version, unknown type,
// corrupted payload, hostile lengths, trailing bytes, inconsistent batches).
#include <catch2/catch.hpp>

#include <atomic>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <new>
#include <random>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "common/protocol.h"

// ---- Allocation tracking -------------------------------------------------------------------------------
// The global operator new is replaced so that a test can measure the largest single allocation Decode
// makes. Tracking is off except inside AllocationProbe.
namespace {
std::atomic<bool> g_track_allocations{false};
std::atomic<size_t> g_largest_allocation{0};
}  // namespace

// GCC flags free() of operator new's memory when it inlines both; here they are the same allocator.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
namespace {
void* TrackedAllocate(size_t size) noexcept {
  if (g_track_allocations.load(std::memory_order_relaxed)) {
    size_t seen = g_largest_allocation.load(std::memory_order_relaxed);
    while (size > seen && !g_largest_allocation.compare_exchange_weak(seen, size)) {
    }
  }
  return std::malloc(size == 0 ? 1 : size);
}
}  // namespace

// Every non-aligned form is replaced, so that no allocation of one allocator is freed by the other
// (sanitizer builds check that).
void* operator new(size_t size) {
  if (void* p = TrackedAllocate(size)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t size) {
  if (void* p = TrackedAllocate(size)) return p;
  throw std::bad_alloc();
}
void* operator new(size_t size, const std::nothrow_t&) noexcept { return TrackedAllocate(size); }
void* operator new[](size_t size, const std::nothrow_t&) noexcept { return TrackedAllocate(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
#pragma GCC diagnostic pop

namespace ddpg::protocol {
namespace {

constexpr uint16_t kTypeCount = std::variant_size_v<Message>;

// Records the largest allocation made between construction and Largest().
class AllocationProbe {
 public:
  AllocationProbe() {
    g_largest_allocation = 0;
    g_track_allocations = true;
  }
  ~AllocationProbe() { g_track_allocations = false; }
  size_t Largest() {
    g_track_allocations = false;
    return g_largest_allocation.load();
  }
};

// ---- Frame crafting --------------------------------------------------------------------------------------

// Little-endian byte writer for hand-made frames.
struct Bytes {
  std::string data;
  Bytes& U8(uint8_t v) {
    data.push_back(static_cast<char>(v));
    return *this;
  }
  Bytes& U16(uint16_t v) {
    for (int i = 0; i < 2; ++i) U8(static_cast<uint8_t>(v >> (8 * i)));
    return *this;
  }
  Bytes& U32(uint32_t v) {
    for (int i = 0; i < 4; ++i) U8(static_cast<uint8_t>(v >> (8 * i)));
    return *this;
  }
  Bytes& U64(uint64_t v) {
    for (int i = 0; i < 8; ++i) U8(static_cast<uint8_t>(v >> (8 * i)));
    return *this;
  }
  Bytes& F32(float v) { return U32(std::bit_cast<uint32_t>(v)); }
  Bytes& F64(double v) { return U64(std::bit_cast<uint64_t>(v)); }
  Bytes& Raw(const std::string& s) {
    data += s;
    return *this;
  }
};

// Header with explicit fields, then (for a payload) cereal's endianness flag, 1 = little-endian.
Bytes Header(MessageType type, uint16_t version = kProtocolVersion, uint32_t magic = kMagic) {
  Bytes b;
  b.U32(magic).U16(version).U16(static_cast<uint16_t>(type));
  return b;
}
Bytes PayloadStart(MessageType type) {
  Bytes b = Header(type);
  b.U8(1);
  return b;
}

// ---- Sample messages with non-trivial field values ------------------------------------------------------

TransitionBatch SampleBatch(size_t n, uint32_t obs_dim, uint32_t act_dim, float offset) {
  TransitionBatch b;
  b.obs_dim = obs_dim;
  b.act_dim = act_dim;
  for (size_t i = 0; i < n; ++i) {
    for (uint32_t j = 0; j < obs_dim; ++j) {
      b.observations.push_back(offset + 0.25f * static_cast<float>(i * obs_dim + j) - 3.0f);
      b.next_observations.push_back(-offset - 0.125f * static_cast<float>(i * obs_dim + j));
    }
    for (uint32_t j = 0; j < act_dim; ++j) b.actions.push_back(1.5f - 0.75f * static_cast<float>(i + j));
    b.rewards.push_back(-16.2736044f + static_cast<float>(i));
    b.discounts.push_back(i % 3 == 2 ? 0.0f : 0.970299f);
    b.policy_versions.push_back(i == 0 ? 0 : (uint64_t{1} << 40) + i);
  }
  // A few special values that must survive bit-exactly.
  if (!b.observations.empty()) b.observations[0] = std::numeric_limits<float>::denorm_min();
  if (b.observations.size() > 1) b.observations[1] = std::numeric_limits<float>::lowest();
  if (!b.next_observations.empty()) b.next_observations.back() = std::numeric_limits<float>::max();
  return b;
}

Error SampleError() {
  return Error{ErrorCode::kInvalidChunk, "chunk has obs_dim 4, the server's environment has 3 \xc3\xa9",
               MessageType::kInsertChunk, 0xabcdef0123ull};
}
Heartbeat SampleHeartbeat() { return Heartbeat{std::string("actor-\0-17", 10), 0xfeedfacecafebeefull}; }
InsertChunk SampleInsertChunk() {
  InsertChunk m;
  m.actor_id = 4000000001u;
  m.sequence = std::numeric_limits<uint64_t>::max() - 5;
  m.incarnation = 0x5eed5eed12345678ull;
  m.transitions = SampleBatch(7, 3, 2, 0.5f);
  return m;
}
InsertAck SampleInsertAck() { return InsertAck{77, 0x0123456789abcdefull, true, 999999937ull, 0x1234567890ull}; }
SampleRequest SampleSampleRequest() { return SampleRequest{0xfedcba9876543210ull, 65536, 0x7777777777777777ull}; }
SampleReply SampleSampleReply() {
  SampleReply m;
  m.request_id = 123456789012345ull;
  m.transitions = SampleBatch(5, 3, 1, -2.0f);
  m.indices = {0, 999999, 42, (uint64_t{1} << 50) + 3, 7};
  m.replay_size = 1000000;
  m.total_inserted = 31415926535ull;
  m.connected_actors = 12;
  m.server_instance = 0x0102030405060708ull;
  m.run_inserted = 31415926000ull;
  m.generations = {1, 2, 0xffffffffffull, 4, 1};
  m.weights = {1.0f, 0.5f, 0.125f, std::numeric_limits<float>::denorm_min(), 0.75f};
  return m;
}
StatsReply SampleStatsReply() {
  return StatsReply{1000, 1000000, 2000000000001ull, 3000000000002ull, 17, 33, 4, 5, 0x0badc0ffee0ddf00ull};
}
Weights SampleWeights() {
  Weights m;
  m.version = 98765;
  m.obs_dim = 3;
  m.act_dim = 1;
  m.hidden_sizes = {256, 128, 7};
  for (int i = 0; i < 1000; ++i) m.parameters.push_back(static_cast<float>(i) * 1e-3f - 0.4f);
  m.parameters.push_back(std::numeric_limits<float>::infinity());
  m.parameters.push_back(-0.0f);
  m.learner_instance = 0x1020304050607080ull;
  return m;
}
EpisodeReport SampleEpisodeReport() {
  EpisodeReport m;
  m.actor_id = 9;
  m.evaluation = true;
  m.episode_return = -123.456789012345;
  m.episode_length = 200;
  m.episodes = 10;
  m.policy_version = 555555555555ull;
  m.actor_env_steps = 8000000000ull;
  m.learner_instance = 0x1020304050607080ull;
  return m;
}
ActorIdRequest SampleActorIdRequest() { return ActorIdRequest{0x8000000000000001ull}; }
ActorIdReply SampleActorIdReply() { return ActorIdReply{0x8000000000000001ull, 4000000003u}; }
PriorityUpdate SamplePriorityUpdate() {
  return PriorityUpdate{0x0f1e2d3c4b5a6978ull, {999999, 0, 42}, {3, 1, 0x100000000ull}, {0.0f, 12.5f, 1e-7f}};
}

// One sample of every alternative, in MessageType order.
std::vector<Message> AllSamples() {
  return {SampleError(),          SampleHeartbeat(),    SampleInsertChunk(),   SampleInsertAck(), SampleSampleRequest(),
          SampleSampleReply(),    StatsRequest{},       SampleStatsReply(),    SampleWeights(),   SampleEpisodeReport(),
          SampleActorIdRequest(), SampleActorIdReply(), SamplePriorityUpdate()};
}

// Decodes without letting an exception escape the test's control.
StatusOr<Message> DecodeNoThrow(const std::string& frame) {
  StatusOr<Message> result = Internal("not decoded");
  REQUIRE_NOTHROW(result = Decode(frame));
  return result;
}

std::string Name(const Message& m) { return std::string(TypeName(TypeOf(m))); }

// ---- Round trips ------------------------------------------------------------------------------------------

TEST_CASE("every message type survives an encode/decode round trip with all fields intact", "[protocol]") {
  const std::vector<Message> samples = AllSamples();
  REQUIRE(samples.size() == std::variant_size_v<Message>);
  for (const Message& message : samples) {
    INFO("message type " << Name(message));
    const std::string frame = Encode(message);
    const StatusOr<Message> decoded = DecodeNoThrow(frame);
    INFO(decoded.status().message());
    REQUIRE(decoded.ok());
    REQUIRE(*decoded == message);
    // Also bit for bit, which == is not for floats: -0.0f equals 0.0f.
    REQUIRE(Encode(*decoded) == frame);
  }
}

TEST_CASE("messages with empty arrays and strings round trip", "[protocol]") {
  const std::vector<Message> samples = {Error{ErrorCode::kMalformedFrame, ""}, Heartbeat{""}, InsertChunk{},
                                        SampleReply{}, Weights{}};
  for (const Message& message : samples) {
    INFO("message type " << Name(message));
    const StatusOr<Message> decoded = DecodeNoThrow(Encode(message));
    INFO(decoded.status().message());
    REQUIRE(decoded.ok());
    REQUIRE(*decoded == message);
  }
}

TEST_CASE("the frame header is the magic then the version then the type in little-endian", "[protocol]") {
  const std::vector<Message> samples = AllSamples();
  for (size_t i = 0; i < samples.size(); ++i) {
    const std::string frame = Encode(samples[i]);
    REQUIRE(frame.size() > kHeaderBytes);  // every payload has at least cereal's endianness flag
    REQUIRE(frame.substr(0, 4) == "DDPG");
    REQUIRE(static_cast<uint8_t>(frame[4]) == (kProtocolVersion & 0xff));
    REQUIRE(static_cast<uint8_t>(frame[5]) == (kProtocolVersion >> 8));
    REQUIRE(static_cast<size_t>(static_cast<uint8_t>(frame[6])) == i + 1);
    REQUIRE(static_cast<uint8_t>(frame[7]) == 0);
    REQUIRE(static_cast<uint8_t>(frame[8]) == 1);  // cereal PortableBinary: little-endian flag
    REQUIRE(static_cast<size_t>(TypeOf(samples[i])) == i + 1);
  }
  REQUIRE(TypeName(MessageType::kError) == "Error");
  REQUIRE(TypeName(MessageType::kSampleReply) == "SampleReply");
  REQUIRE(TypeName(MessageType::kEpisodeReport) == "EpisodeReport");
  REQUIRE(TypeName(static_cast<MessageType>(99)) == "Unknown");
}

// ---- Golden frames ---------------------------------------------------------------------------------------

// The start of every frame exactly as docs/protocol.md spells it: magic, version 3, type, then the
// PortableBinary endianness byte.
Bytes DocumentedStart(uint8_t type) {
  Bytes b;
  b.U8('D').U8('D').U8('P').U8('G');
  b.U8(3).U8(0);
  b.U8(type).U8(0);
  b.U8(1);
  return b;
}

// Failures then show which byte differs instead of a string of control characters.
std::string Hex(const std::string& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i > 0) hex.push_back(' ');
    const auto byte = static_cast<uint8_t>(bytes[i]);
    hex.push_back(kDigits[byte >> 4]);
    hex.push_back(kDigits[byte & 0xf]);
  }
  return hex;
}

struct Golden {
  Message message;
  std::string frame;
};

// One frame per message type, in MessageType order, written from docs/protocol.md's field table. Every field
// holds a value no other field of its frame holds and none is its default, so a swapped, skipped or
// misplaced field shows both in the bytes and in the decoded struct.
// Not formatted by clang-format: one field per line, with its name, reads like docs/protocol.md's table.
// clang-format off
std::vector<Golden> GoldenFrames() {
  std::vector<Golden> goldens;
  goldens.push_back({Error{.code = ErrorCode::kOverloaded,
                           .message = "busy",
                           .request_type = MessageType::kSampleRequest,
                           .request_id = 0xe1e2e3e4e5e6e7e8ull},
                     DocumentedStart(1)
                         .U16(6)                      // code
                         .U64(4).Raw("busy")          // message
                         .U16(5)                      // request_type
                         .U64(0xe1e2e3e4e5e6e7e8ull)  // request_id
                         .data});
  goldens.push_back({Heartbeat{.sender = "actor-7", .instance = 0x0908070605040302ull},
                     DocumentedStart(2).U64(7).Raw("actor-7").U64(0x0908070605040302ull).data});
  goldens.push_back({InsertChunk{.actor_id = 0x01020304u,
                                 .incarnation = 0x1112131415161718ull,
                                 .sequence = 0x2122232425262728ull,
                                 .transitions = {.obs_dim = 2,
                                                 .act_dim = 1,
                                                 .observations = {0.5f, -0.25f},
                                                 .actions = {1.5f},
                                                 .rewards = {-3.0f},
                                                 .discounts = {0.99f},
                                                 .next_observations = {0.75f, -0.125f},
                                                 .policy_versions = {0x3132333435363738ull}}},
                     DocumentedStart(3)
                         .U32(0x01020304u)                 // actor_id
                         .U64(0x1112131415161718ull)       // incarnation
                         .U64(0x2122232425262728ull)       // sequence
                         .U32(2)                           // obs_dim
                         .U32(1)                           // act_dim
                         .U64(2).F32(0.5f).F32(-0.25f)     // observations
                         .U64(1).F32(1.5f)                 // actions
                         .U64(1).F32(-3.0f)                // rewards
                         .U64(1).F32(0.99f)                // discounts
                         .U64(2).F32(0.75f).F32(-0.125f)   // next_observations
                         .U64(1).U64(0x3132333435363738ull)  // policy_versions
                         .data});
  goldens.push_back({InsertAck{.actor_id = 0x0a0b0c0du, .sequence = 0x4142434445464748ull, .duplicate = true,
                               .replay_size = 0x5152535455565758ull, .server_instance = 0x6162636465666768ull},
                     DocumentedStart(4).U32(0x0a0b0c0du).U64(0x4142434445464748ull).U8(1)
                         .U64(0x5152535455565758ull).U64(0x6162636465666768ull).data});
  // Spelled out byte by byte once, so that the little-endian helpers above are themselves checked.
  goldens.push_back({SampleRequest{.request_id = 0x0102030405060708ull, .batch_size = 65536,
                                   .run_id = 0x1112131415161718ull},
                     DocumentedStart(5)
                         .U8(0x08).U8(0x07).U8(0x06).U8(0x05).U8(0x04).U8(0x03).U8(0x02).U8(0x01)  // request_id
                         .U8(0x00).U8(0x00).U8(0x01).U8(0x00)                                      // batch_size
                         .U64(0x1112131415161718ull)                                               // run_id
                         .data});
  goldens.push_back({SampleReply{.request_id = 0x6162636465666768ull,
                                 .transitions = {.obs_dim = 1,
                                                 .act_dim = 2,
                                                 .observations = {2.5f, 3.5f},
                                                 .actions = {-1.0f, -2.0f, 0.125f, 0.375f},
                                                 .rewards = {7.0f, 8.0f},
                                                 .discounts = {0.0f, 0.9f},
                                                 .next_observations = {4.5f, 5.5f},
                                                 .policy_versions = {0, 0x7172737475767778ull}},
                                 .indices = {0x0000000100000002ull, 0x0000000300000004ull},
                                 .replay_size = 0x8182838485868788ull,
                                 .total_inserted = 0x9192939495969798ull,
                                 .connected_actors = 0x0f0e0d0cu,
                                 .server_instance = 0xa1a2a3a4a5a6a7a8ull,
                                 .run_inserted = 0xb1b2b3b4b5b6b7b8ull,
                                 .generations = {0xc1c2c3c4c5c6c7c8ull, 0xd1d2d3d4d5d6d7d8ull},
                                 .weights = {1.0f, 0.25f}},
                     DocumentedStart(6)
                         .U64(0x6162636465666768ull)                             // request_id
                         .U32(1)                                                 // obs_dim
                         .U32(2)                                                 // act_dim
                         .U64(2).F32(2.5f).F32(3.5f)                             // observations
                         .U64(4).F32(-1.0f).F32(-2.0f).F32(0.125f).F32(0.375f)   // actions
                         .U64(2).F32(7.0f).F32(8.0f)                             // rewards
                         .U64(2).F32(0.0f).F32(0.9f)                             // discounts
                         .U64(2).F32(4.5f).F32(5.5f)                             // next_observations
                         .U64(2).U64(0).U64(0x7172737475767778ull)               // policy_versions
                         .U64(2).U64(0x0000000100000002ull).U64(0x0000000300000004ull)  // indices
                         .U64(0x8182838485868788ull)                             // replay_size
                         .U64(0x9192939495969798ull)                             // total_inserted
                         .U32(0x0f0e0d0cu)                                       // connected_actors
                         .U64(0xa1a2a3a4a5a6a7a8ull)                             // server_instance
                         .U64(0xb1b2b3b4b5b6b7b8ull)                             // run_inserted
                         .U64(2).U64(0xc1c2c3c4c5c6c7c8ull).U64(0xd1d2d3d4d5d6d7d8ull)  // generations
                         .U64(2).F32(1.0f).F32(0.25f)                            // weights
                         .data});
  goldens.push_back({StatsRequest{}, DocumentedStart(7).data});
  goldens.push_back({StatsReply{.replay_size = 0xa1a2a3a4a5a6a7a8ull,
                                .capacity = 0xb1b2b3b4b5b6b7b8ull,
                                .total_inserted = 0xc1c2c3c4c5c6c7c8ull,
                                .total_sampled = 0xd1d2d3d4d5d6d7d8ull,
                                .duplicates_dropped = 0xe1e2e3e4e5e6e7e8ull,
                                .connected_actors = 0x1a1b1c1du,
                                .pending_inserts = 0x2a2b2c2du,
                                .pending_samples = 0x3a3b3c3du,
                                .server_instance = 0x4a4b4c4d4e4f4041ull},
                     DocumentedStart(8)
                         .U64(0xa1a2a3a4a5a6a7a8ull)  // replay_size
                         .U64(0xb1b2b3b4b5b6b7b8ull)  // capacity
                         .U64(0xc1c2c3c4c5c6c7c8ull)  // total_inserted
                         .U64(0xd1d2d3d4d5d6d7d8ull)  // total_sampled
                         .U64(0xe1e2e3e4e5e6e7e8ull)  // duplicates_dropped
                         .U32(0x1a1b1c1du)            // connected_actors
                         .U32(0x2a2b2c2du)            // pending_inserts
                         .U32(0x3a3b3c3du)            // pending_samples
                         .U64(0x4a4b4c4d4e4f4041ull)  // server_instance
                         .data});
  // -0.0f and infinity: the parameters must travel bit for bit.
  goldens.push_back({Weights{.version = 0xf1f2f3f4f5f6f7f8ull,
                             .obs_dim = 3,
                             .act_dim = 5,
                             .hidden_sizes = {64, 0x00010002u},
                             .parameters = {-0.0f, 1e-3f, std::numeric_limits<float>::infinity()},
                             .learner_instance = 0x5152535455565758ull},
                     DocumentedStart(9)
                         .U64(0xf1f2f3f4f5f6f7f8ull)                                        // version
                         .U32(3)                                                            // obs_dim
                         .U32(5)                                                            // act_dim
                         .U64(2).U32(64).U32(0x00010002u)                                   // hidden_sizes
                         .U64(3).F32(-0.0f).F32(1e-3f).F32(std::numeric_limits<float>::infinity())  // parameters
                         .U64(0x5152535455565758ull)                                        // learner_instance
                         .data});
  goldens.push_back({EpisodeReport{.actor_id = 0x04030201u,
                                   .evaluation = true,
                                   .episode_return = -123.456789,
                                   .episode_length = 200,
                                   .episodes = 10,
                                   .policy_version = 0x0102030405060708ull,
                                   .actor_env_steps = 0x8070605040302010ull,
                                   .learner_instance = 0x2122232425262728ull},
                     DocumentedStart(10)
                         .U32(0x04030201u)            // actor_id
                         .U8(1)                       // evaluation
                         .F64(-123.456789)            // episode_return
                         .U32(200)                    // episode_length
                         .U32(10)                     // episodes
                         .U64(0x0102030405060708ull)  // policy_version
                         .U64(0x8070605040302010ull)  // actor_env_steps
                         .U64(0x2122232425262728ull)  // learner_instance
                         .data});
  goldens.push_back(
      {ActorIdRequest{.nonce = 0x1122334455667788ull}, DocumentedStart(11).U64(0x1122334455667788ull).data});
  goldens.push_back({ActorIdReply{.nonce = 0x8877665544332211ull, .actor_id = 0x00c0ffeeu},
                     DocumentedStart(12).U64(0x8877665544332211ull).U32(0x00c0ffeeu).data});
  goldens.push_back({PriorityUpdate{.server_instance = 0x1112131415161718ull,
                                    .indices = {0x2122232425262728ull, 7},
                                    .generations = {0x3132333435363738ull, 1},
                                    .priorities = {0.5f, 1e-3f}},
                     DocumentedStart(13)
                         .U64(0x1112131415161718ull)                     // server_instance
                         .U64(2).U64(0x2122232425262728ull).U64(7)       // indices
                         .U64(2).U64(0x3132333435363738ull).U64(1)       // generations
                         .U64(2).F32(0.5f).F32(1e-3f)                    // priorities
                         .data});
  return goldens;
}
// clang-format on

TEST_CASE("every message type encodes to the documented golden frame and decodes back to an equal struct",
          "[protocol]") {
  const std::vector<Golden> goldens = GoldenFrames();
  REQUIRE(goldens.size() == std::variant_size_v<Message>);
  for (size_t i = 0; i < goldens.size(); ++i) {
    const Golden& golden = goldens[i];
    INFO("message type " << Name(golden.message));
    REQUIRE(static_cast<size_t>(TypeOf(golden.message)) == i + 1);
    REQUIRE(Hex(Encode(golden.message)) == Hex(golden.frame));
    const StatusOr<Message> decoded = DecodeNoThrow(golden.frame);
    INFO(decoded.status().message());
    REQUIRE(decoded.ok());
    REQUIRE(*decoded == golden.message);
  }
}

// The members of T that its field list names must rise in address (declaration order), with no more than
// padding between them: a member missing from the list leaves a gap. A member small enough to hide in
// padding is still caught by the golden frames, where it would not survive the round trip.
template <class T>
void RequireFieldListInDeclarationOrder(std::string_view name) {
  INFO(name);
  const T value{};
  const auto* base = reinterpret_cast<const char*>(&value);
  size_t end = 0;
  auto check = [&](const auto& field) {
    using Field = std::remove_cvref_t<decltype(field)>;
    const auto offset = static_cast<size_t>(reinterpret_cast<const char*>(&field) - base);
    INFO("field at offset " << offset << ", previous field ends at " << end);
    REQUIRE(offset >= end);
    REQUIRE(offset - end < alignof(Field));
    end = offset + sizeof(Field);
  };
  std::apply([&](const auto&... fields) { (check(fields), ...); }, T::Fields(value));
  if constexpr (!std::is_empty_v<T>) REQUIRE(sizeof(T) - end < alignof(T));
}

TEST_CASE("every message's field list names all its members in declaration order", "[protocol]") {
  RequireFieldListInDeclarationOrder<TransitionBatch>("TransitionBatch");
  [&]<size_t... I>(std::index_sequence<I...>) {
    (RequireFieldListInDeclarationOrder<std::variant_alternative_t<I, Message>>(
         TypeName(static_cast<MessageType>(I + 1))),
     ...);
  }
  (std::make_index_sequence<std::variant_size_v<Message>>());
}

// ---- Truncated, oversized, foreign frames -----------------------------------------------------------------

TEST_CASE("every truncation of a valid frame is rejected with an error and never throws", "[protocol]") {
  for (const Message& message : AllSamples()) {
    INFO("message type " << Name(message));
    const std::string frame = Encode(message);
    for (size_t length = 0; length < frame.size(); ++length) {
      INFO("prefix of " << length << " of " << frame.size() << " bytes");
      StatusOr<Message> result = Internal("not decoded");
      REQUIRE_NOTHROW(result = Decode(frame.data(), length));
      REQUIRE_FALSE(result.ok());
      REQUIRE(result.status().code() == StatusCode::kInvalidArgument);
      REQUIRE_FALSE(result.status().message().empty());
      if (length < kHeaderBytes) {
        REQUIRE_THAT(result.status().message(), Catch::Contains("truncated"));
      } else {
        REQUIRE_THAT(result.status().message(), Catch::Contains(Name(message)));
      }
    }
  }
}

TEST_CASE("an empty frame and a header-only frame are rejected", "[protocol]") {
  StatusOr<Message> result = Internal("not decoded");
  REQUIRE_NOTHROW(result = Decode(nullptr, 0));
  REQUIRE_FALSE(result.ok());
  REQUIRE_THAT(result.status().message(), Catch::Contains("truncated frame: 0 bytes"));

  REQUIRE_NOTHROW(result = Decode(std::string_view()));
  REQUIRE_FALSE(result.ok());

  // A header alone, even of the payload-less StatsRequest, lacks cereal's endianness byte.
  for (uint16_t type = 1; type <= kTypeCount; ++type) {
    result = DecodeNoThrow(Header(static_cast<MessageType>(type)).data);
    REQUIRE_FALSE(result.ok());
    REQUIRE(result.status().code() == StatusCode::kInvalidArgument);
  }
}

TEST_CASE("a frame larger than kMaxMessageBytes is rejected and one of exactly that size is accepted", "[protocol]") {
  // Heartbeat: header (8) + endianness flag (1) + string length (8) + text + instance (8).
  const size_t text_at_limit = kMaxMessageBytes - kHeaderBytes - 1 - 8 - 8;
  std::string frame = PayloadStart(MessageType::kHeartbeat).U64(text_at_limit).data;
  frame.append(text_at_limit, 'x');
  frame += Bytes().U64(1).data;
  REQUIRE(frame.size() == kMaxMessageBytes);
  {
    const StatusOr<Message> decoded = DecodeNoThrow(frame);
    INFO(decoded.status().message());
    REQUIRE(decoded.ok());
    REQUIRE(std::get<Heartbeat>(*decoded).sender.size() == text_at_limit);
  }
  // One byte more, consistently encoded.
  std::string oversized = PayloadStart(MessageType::kHeartbeat).U64(text_at_limit + 1).data;
  oversized.append(text_at_limit + 1, 'x');
  oversized += Bytes().U64(1).data;
  REQUIRE(oversized.size() == kMaxMessageBytes + 1);
  const StatusOr<Message> rejected = DecodeNoThrow(oversized);
  REQUIRE_FALSE(rejected.ok());
  REQUIRE(rejected.status().code() == StatusCode::kInvalidArgument);
  REQUIRE_THAT(rejected.status().message(), Catch::Contains("oversized"));
  REQUIRE_THAT(rejected.status().message(), Catch::Contains(std::to_string(kMaxMessageBytes + 1)));
  REQUIRE_THAT(rejected.status().message(), Catch::Contains(std::to_string(kMaxMessageBytes)));
}

TEST_CASE("a frame with a bad magic is rejected", "[protocol]") {
  const std::string good = Encode(SampleInsertAck());
  for (size_t byte = 0; byte < 4; ++byte) {
    std::string bad = good;
    bad[byte] = static_cast<char>(bad[byte] ^ 0x20);
    const StatusOr<Message> result = DecodeNoThrow(bad);
    REQUIRE_FALSE(result.ok());
    REQUIRE(result.status().code() == StatusCode::kInvalidArgument);
    REQUIRE_THAT(result.status().message(), Catch::Contains("magic"));
  }
  // The magic written big-endian ("GPDD") is not accepted either.
  std::string swapped = good;
  std::memcpy(swapped.data(), "GPDD", 4);
  REQUIRE_FALSE(DecodeNoThrow(swapped).ok());
}

TEST_CASE("a frame of another protocol version is rejected with a message naming both versions", "[protocol]") {
  const std::string good = Encode(SampleStatsReply());
  for (uint16_t version : {uint16_t{0}, uint16_t{kProtocolVersion + 1}, uint16_t{0x0102}, uint16_t{0xffff}}) {
    std::string frame = good;
    frame[4] = static_cast<char>(version & 0xff);
    frame[5] = static_cast<char>(version >> 8);
    INFO("version " << version);
    const StatusOr<Message> result = DecodeNoThrow(frame);
    REQUIRE_FALSE(result.ok());
    REQUIRE(result.status().code() == StatusCode::kFailedPrecondition);
    REQUIRE_THAT(result.status().message(), Catch::Contains("version " + std::to_string(version)));
    REQUIRE_THAT(result.status().message(), Catch::Contains("version " + std::to_string(kProtocolVersion)));
  }
}

TEST_CASE("a frame of an unknown message type is rejected with a message naming the type", "[protocol]") {
  const std::string good = Encode(StatsRequest{});
  for (uint16_t type : {uint16_t{0}, uint16_t{14}, uint16_t{0x0100}, uint16_t{0xffff}}) {
    std::string frame = good;
    frame[6] = static_cast<char>(type & 0xff);
    frame[7] = static_cast<char>(type >> 8);
    INFO("type " << type);
    const StatusOr<Message> result = DecodeNoThrow(frame);
    REQUIRE_FALSE(result.ok());
    REQUIRE(result.status().code() == StatusCode::kInvalidArgument);
    REQUIRE_THAT(result.status().message(), Catch::Contains("unknown message type " + std::to_string(type)));
  }
}

TEST_CASE("trailing bytes after a valid payload are rejected", "[protocol]") {
  for (const Message& message : AllSamples()) {
    INFO("message type " << Name(message));
    for (const std::string& extra : {std::string(1, '\0'), std::string("trailing garbage")}) {
      const StatusOr<Message> result = DecodeNoThrow(Encode(message) + extra);
      REQUIRE_FALSE(result.ok());
      REQUIRE(result.status().code() == StatusCode::kInvalidArgument);
      REQUIRE_THAT(result.status().message(), Catch::Contains("trailing bytes"));
      REQUIRE_THAT(result.status().message(), Catch::Contains(Name(message)));
    }
  }
}

// ---- Corrupted payloads -----------------------------------------------------------------------------------

// A decoded message must be usable: its batches are consistent and it round-trips.
void RequireUsable(const Message& message) {
  if (const auto* chunk = std::get_if<InsertChunk>(&message)) REQUIRE(ValidateBatch(chunk->transitions).ok());
  if (const auto* reply = std::get_if<SampleReply>(&message)) {
    REQUIRE(ValidateBatch(reply->transitions).ok());
    REQUIRE(reply->indices.size() == reply->transitions.size());
    REQUIRE(reply->generations.size() == reply->weights.size());
    REQUIRE((reply->generations.empty() || reply->generations.size() == reply->transitions.size()));
  }
  if (const auto* update = std::get_if<PriorityUpdate>(&message)) {
    REQUIRE(update->generations.size() == update->indices.size());
    REQUIRE(update->priorities.size() == update->indices.size());
  }
  const std::string frame = Encode(message);
  const StatusOr<Message> again = DecodeNoThrow(frame);
  REQUIRE(again.ok());
  REQUIRE(Encode(*again) == frame);
}

TEST_CASE("random payloads of up to 4 KiB after a valid header of every type never throw: error or a valid message",
          "[protocol]") {
  std::mt19937_64 rng(20240611);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<size_t> long_length(0, 4096);
  // Most messages are a few dozen bytes: longer payloads of those only ever fail on the trailing bytes.
  std::uniform_int_distribution<size_t> short_length(0, 64);
  std::bernoulli_distribution zero(0.9);
  for (uint16_t type = 1; type <= kTypeCount; ++type) {
    for (int iteration = 0; iteration < 1000; ++iteration) {
      Bytes frame = Header(static_cast<MessageType>(type));
      // Half the time start with a valid endianness flag so that parsing gets past it.
      if (iteration % 2 == 0) frame.U8(1);
      // Uniform bytes make nearly every count huge, so the decoder would stop at the first one; mostly-zero
      // bytes make small counts that lead it deeper into the payload.
      const bool sparse = iteration % 4 < 2;
      const size_t length = iteration % 8 < 4 ? short_length(rng) : long_length(rng);
      for (size_t i = length; i > 0; --i) {
        frame.U8(sparse && zero(rng) ? 0 : static_cast<uint8_t>(byte(rng)));
      }
      INFO("type " << type << " iteration " << iteration);
      const StatusOr<Message> result = DecodeNoThrow(frame.data);
      if (result.ok()) {
        REQUIRE(static_cast<uint16_t>(TypeOf(*result)) == type);
        RequireUsable(*result);
      } else {
        REQUIRE_FALSE(result.status().message().empty());
      }
    }
  }
}

TEST_CASE("bit flips and truncations of a valid frame of every type never throw: error or a valid message",
          "[protocol]") {
  std::mt19937_64 rng(777);
  const std::vector<Message> samples = AllSamples();
  REQUIRE(samples.size() == kTypeCount);
  for (const Message& message : samples) {
    INFO("message type " << Name(message));
    const std::string good = Encode(message);
    std::uniform_int_distribution<size_t> position(kHeaderBytes, good.size() - 1);
    std::uniform_int_distribution<int> bit(0, 7);
    std::uniform_int_distribution<int> flips(1, 4);
    for (int iteration = 0; iteration < 2000; ++iteration) {
      std::string frame = good;
      for (int f = flips(rng); f > 0; --f) frame[position(rng)] ^= static_cast<char>(1 << bit(rng));
      // A flipped length together with a cut can make a shorter frame look consistent.
      if (iteration % 2 == 1) frame.resize(position(rng));
      INFO("iteration " << iteration << ", " << frame.size() << " of " << good.size() << " bytes");
      const StatusOr<Message> result = DecodeNoThrow(frame);
      if (result.ok()) {
        REQUIRE(result->index() == message.index());
        RequireUsable(*result);
      } else {
        REQUIRE_FALSE(result.status().message().empty());
      }
    }
  }
}

TEST_CASE("a payload in big-endian PortableBinary is converted", "[protocol]") {
  // cereal's endianness flag 0: every field big-endian. Decode must honour it like cereal does.
  Bytes b = Header(MessageType::kSampleRequest);
  b.U8(0);
  for (int i = 7; i >= 0; --i) b.U8(static_cast<uint8_t>(0x1122334455667788ull >> (8 * i)));
  for (int i = 3; i >= 0; --i) b.U8(static_cast<uint8_t>(512u >> (8 * i)));
  for (int i = 7; i >= 0; --i) b.U8(static_cast<uint8_t>(0x0102030405060708ull >> (8 * i)));
  const StatusOr<Message> decoded = DecodeNoThrow(b.data);
  INFO(decoded.status().message());
  REQUIRE(decoded.ok());
  REQUIRE(std::get<SampleRequest>(*decoded).request_id == 0x1122334455667788ull);
  REQUIRE(std::get<SampleRequest>(*decoded).batch_size == 512);
  REQUIRE(std::get<SampleRequest>(*decoded).run_id == 0x0102030405060708ull);
}

TEST_CASE("a bool field whose byte is neither 0 nor 1 is rejected", "[protocol]") {
  // Accepting it would store a byte other than 0/1 in a C++ bool, which is undefined behaviour.
  const std::string ack = PayloadStart(MessageType::kInsertAck).U32(1).U64(2).U8(2).U64(3).data;
  const StatusOr<Message> ack_result = DecodeNoThrow(ack);
  REQUIRE_FALSE(ack_result.ok());
  REQUIRE(ack_result.status().code() == StatusCode::kInvalidArgument);

  const std::string report =
      PayloadStart(MessageType::kEpisodeReport).U32(1).U8(0xff).U64(0).U32(200).U32(1).U64(0).U64(0).U64(0).data;
  const StatusOr<Message> report_result = DecodeNoThrow(report);
  REQUIRE_FALSE(report_result.ok());
  REQUIRE(report_result.status().code() == StatusCode::kInvalidArgument);

  // The same frames with 1 are fine.
  REQUIRE(DecodeNoThrow(PayloadStart(MessageType::kInsertAck).U32(1).U64(2).U8(1).U64(3).U64(4).data).ok());
}

// ---- Hostile lengths --------------------------------------------------------------------------------------

TEST_CASE("a length field claiming a huge array is rejected without allocating huge memory", "[protocol]") {
  struct Case {
    const char* what;
    std::string frame;
  };
  const std::vector<Case> cases = {
      {"Weights.hidden_sizes of 2^40",
       PayloadStart(MessageType::kWeights).U64(1).U32(3).U32(1).U64(uint64_t{1} << 40).data},
      {"Weights.parameters of 2^62",
       PayloadStart(MessageType::kWeights).U64(1).U32(3).U32(1).U64(1).U32(4).U64(uint64_t{1} << 62).data},
      {"InsertChunk.observations of 2^64-1 (size * 4 overflows)", PayloadStart(MessageType::kInsertChunk)
                                                                      .U32(0)
                                                                      .U64(0)
                                                                      .U64(0)
                                                                      .U32(3)
                                                                      .U32(1)
                                                                      .U64(std::numeric_limits<uint64_t>::max())
                                                                      .data},
      {"InsertChunk.policy_versions of 2^61 (size * 8 overflows to 0)", PayloadStart(MessageType::kInsertChunk)
                                                                            .U32(0)
                                                                            .U64(0)
                                                                            .U64(0)
                                                                            .U32(3)
                                                                            .U32(1)
                                                                            .U64(0)
                                                                            .U64(0)
                                                                            .U64(0)
                                                                            .U64(0)
                                                                            .U64(0)
                                                                            .U64(uint64_t{1} << 61)
                                                                            .data},
      {"SampleReply.indices of kMaxMessageBytes/8 + 1", PayloadStart(MessageType::kSampleReply)
                                                            .U64(5)
                                                            .U32(3)
                                                            .U32(1)
                                                            .U64(0)
                                                            .U64(0)
                                                            .U64(0)
                                                            .U64(0)
                                                            .U64(0)
                                                            .U64(0)
                                                            .U64(kMaxMessageBytes / 8 + 1)
                                                            .data},
      {"PriorityUpdate.priorities of 2^62",
       PayloadStart(MessageType::kPriorityUpdate).U64(1).U64(0).U64(0).U64(uint64_t{1} << 62).data},
      {"Heartbeat.sender of 2^63", PayloadStart(MessageType::kHeartbeat).U64(uint64_t{1} << 63).data},
      {"Error.message of kMaxMessageBytes + 1",
       PayloadStart(MessageType::kError).U16(1).U64(kMaxMessageBytes + 1).data},
  };
  // The probe itself sees a large allocation.
  {
    AllocationProbe probe;
    std::vector<char> big(5u << 20);
    REQUIRE(probe.Largest() >= big.size());
  }
  for (const Case& c : cases) {
    INFO(c.what);
    StatusOr<Message> result = Internal("not decoded");
    size_t largest = 0;
    {
      AllocationProbe probe;
      REQUIRE_NOTHROW(result = Decode(c.frame));
      largest = probe.Largest();
    }
    REQUIRE_FALSE(result.ok());
    REQUIRE(result.status().code() == StatusCode::kInvalidArgument);
    REQUIRE_THAT(result.status().message(), Catch::Contains("malformed"));
    INFO("largest allocation " << largest << " bytes");
    REQUIRE(largest < (1u << 20));
  }
}

TEST_CASE("a length field within the cap but beyond the frame end is rejected with at most a cap-sized allocation",
          "[protocol]") {
  // 16 Mi floats = exactly kMaxMessageBytes: allowed by the cap, but the frame holds none of them.
  const std::string frame = PayloadStart(MessageType::kWeights)
                                .U64(1)
                                .U32(3)
                                .U32(1)
                                .U64(0)
                                .U64(kMaxMessageBytes / sizeof(float))
                                .F32(1.0f)
                                .data;
  StatusOr<Message> result = Internal("not decoded");
  size_t largest = 0;
  {
    AllocationProbe probe;
    REQUIRE_NOTHROW(result = Decode(frame));
    largest = probe.Largest();
  }
  REQUIRE_FALSE(result.ok());
  REQUIRE_THAT(result.status().message(), Catch::Contains("malformed Weights"));
  REQUIRE(largest <= kMaxMessageBytes);
}

TEST_CASE("an array count that fits the bytes left but not times its element size is rejected before allocating",
          "[protocol]") {
  // The count is half the bytes that follow it: small enough for a guard that compares the count with
  // the bytes left and forgets the element size, which would then allocate 2 to 4 times the frame.
  constexpr size_t kLeft = 4u << 20;
  struct Case {
    const char* what;
    Bytes before_count;
  };
  const std::vector<Case> cases = {
      {"Weights.hidden_sizes (u32)", PayloadStart(MessageType::kWeights).U64(1).U32(3).U32(1)},
      {"Weights.parameters (f32)", PayloadStart(MessageType::kWeights).U64(1).U32(3).U32(1).U64(0)},
      {"InsertChunk.policy_versions (u64)",
       PayloadStart(MessageType::kInsertChunk).U32(0).U64(0).U64(0).U32(3).U32(1).U64(0).U64(0).U64(0).U64(0).U64(0)},
      {"SampleReply.indices (u64)",
       PayloadStart(MessageType::kSampleReply).U64(5).U32(3).U32(1).U64(0).U64(0).U64(0).U64(0).U64(0).U64(0)},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    std::string frame = Bytes(c.before_count).U64(kLeft / 2).data;
    frame.append(kLeft, '\0');
    StatusOr<Message> result = Internal("not decoded");
    size_t largest = 0;
    {
      AllocationProbe probe;
      REQUIRE_NOTHROW(result = Decode(frame));
      largest = probe.Largest();
    }
    INFO("largest allocation " << largest << " bytes");
    REQUIRE(largest < (1u << 20));
    REQUIRE_FALSE(result.ok());
    REQUIRE(result.status().code() == StatusCode::kInvalidArgument);
    REQUIRE_THAT(result.status().message(), Catch::Contains("malformed") && Catch::Contains("bytes left"));
  }
}

TEST_CASE("an array that exactly fills the rest of the frame is accepted", "[protocol]") {
  // The other side of the guard above: a count equal to the bytes left / element size is legitimate.
  // InsertChunk ends with an array (its batch's policy_versions), which here fills the frame exactly.
  constexpr size_t kRows = 500;
  InsertChunk chunk;
  chunk.actor_id = 1;
  chunk.incarnation = 2;
  chunk.sequence = 3;
  chunk.transitions = {.obs_dim = 1,
                       .act_dim = 1,
                       .observations = std::vector<float>(kRows, 0.0f),
                       .actions = std::vector<float>(kRows, 0.0f),
                       .rewards = std::vector<float>(kRows, 0.0f),
                       .discounts = std::vector<float>(kRows, 0.0f),
                       .next_observations = std::vector<float>(kRows, 0.0f),
                       .policy_versions = std::vector<uint64_t>(kRows, 0)};
  Bytes frame = PayloadStart(MessageType::kInsertChunk).U32(1).U64(2).U64(3).U32(1).U32(1);
  for (int array = 0; array < 5; ++array) frame.U64(kRows).Raw(std::string(kRows * sizeof(float), '\0'));
  frame.U64(kRows).Raw(std::string(kRows * sizeof(uint64_t), '\0'));
  const StatusOr<Message> decoded = DecodeNoThrow(frame.data);
  INFO(decoded.status().message());
  REQUIRE(decoded.ok());
  REQUIRE(std::get<InsertChunk>(*decoded) == chunk);
}

// ---- Batch consistency ------------------------------------------------------------------------------------

TEST_CASE("a TransitionBatch whose array lengths do not match its dims is rejected by Decode naming the field",
          "[protocol]") {
  struct Case {
    const char* field;
    void (*corrupt)(TransitionBatch&);
  };
  const Case cases[] = {
      {"'observations'", [](TransitionBatch& b) { b.observations.pop_back(); }},
      {"'actions'", [](TransitionBatch& b) { b.actions.push_back(0.0f); }},
      {"'discounts'", [](TransitionBatch& b) { b.discounts.pop_back(); }},
      {"'next_observations'", [](TransitionBatch& b) { b.next_observations.resize(1); }},
      {"'policy_versions'", [](TransitionBatch& b) { b.policy_versions.push_back(3); }},
      {"'observations'", [](TransitionBatch& b) { b.obs_dim = 4; }},
      {"'actions'", [](TransitionBatch& b) { b.act_dim = 3; }},
      // One reward more: every other field is now short.
      {"'observations'", [](TransitionBatch& b) { b.rewards.push_back(1.0f); }},
  };
  for (const Case& c : cases) {
    INFO("field " << c.field);
    InsertChunk chunk = SampleInsertChunk();
    c.corrupt(chunk.transitions);
    const StatusOr<Message> from_chunk = DecodeNoThrow(Encode(chunk));
    REQUIRE_FALSE(from_chunk.ok());
    REQUIRE(from_chunk.status().code() == StatusCode::kInvalidArgument);
    REQUIRE_THAT(from_chunk.status().message(), Catch::Contains(c.field));

    SampleReply reply = SampleSampleReply();
    c.corrupt(reply.transitions);
    const StatusOr<Message> from_reply = DecodeNoThrow(Encode(reply));
    REQUIRE_FALSE(from_reply.ok());
    REQUIRE_THAT(from_reply.status().message(), Catch::Contains(c.field));
  }
}

TEST_CASE("a SampleReply with a different number of indices than transitions is rejected", "[protocol]") {
  SampleReply reply = SampleSampleReply();
  reply.indices.pop_back();
  const StatusOr<Message> result = DecodeNoThrow(Encode(reply));
  REQUIRE_FALSE(result.ok());
  REQUIRE(result.status().code() == StatusCode::kInvalidArgument);
  REQUIRE_THAT(result.status().message(), Catch::Contains("4 indices for 5 transitions"));
}

TEST_CASE("a SampleReply's generations and weights are both absent or one each per transition", "[protocol]") {
  SampleReply uniform = SampleSampleReply();
  uniform.generations.clear();
  uniform.weights.clear();
  REQUIRE(DecodeNoThrow(Encode(uniform)).ok());
  const std::vector<std::pair<std::string, std::function<void(SampleReply&)>>> cases = {
      {"4 generations and 5 weights", [](SampleReply& r) { r.generations.pop_back(); }},
      {"5 generations and 6 weights", [](SampleReply& r) { r.weights.push_back(1.0f); }},
      {"5 generations and 0 weights", [](SampleReply& r) { r.weights.clear(); }},
      {"0 generations and 5 weights", [](SampleReply& r) { r.generations.clear(); }},
  };
  for (const auto& [expected, corrupt] : cases) {
    INFO(expected);
    SampleReply reply = SampleSampleReply();
    corrupt(reply);
    const StatusOr<Message> result = DecodeNoThrow(Encode(reply));
    REQUIRE_FALSE(result.ok());
    REQUIRE(result.status().code() == StatusCode::kInvalidArgument);
    REQUIRE_THAT(result.status().message(), Catch::Contains(expected + " for 5 transitions"));
  }
}

TEST_CASE("a PriorityUpdate whose arrays differ in length is rejected", "[protocol]") {
  const std::vector<std::pair<std::string, std::function<void(PriorityUpdate&)>>> cases = {
      {"3 indices, 2 generations and 3 priorities", [](PriorityUpdate& u) { u.generations.pop_back(); }},
      {"3 indices, 3 generations and 4 priorities", [](PriorityUpdate& u) { u.priorities.push_back(1.0f); }},
      {"2 indices, 3 generations and 3 priorities", [](PriorityUpdate& u) { u.indices.pop_back(); }},
  };
  for (const auto& [expected, corrupt] : cases) {
    INFO(expected);
    PriorityUpdate update = SamplePriorityUpdate();
    corrupt(update);
    const StatusOr<Message> result = DecodeNoThrow(Encode(update));
    REQUIRE_FALSE(result.ok());
    REQUIRE(result.status().code() == StatusCode::kInvalidArgument);
    REQUIRE_THAT(result.status().message(), Catch::Contains(expected));
  }
}

TEST_CASE("ValidateBatch accepts consistent batches and names the first inconsistent field", "[protocol]") {
  REQUIRE(ValidateBatch(TransitionBatch{}).ok());
  REQUIRE(ValidateBatch(SampleBatch(1, 1, 1, 0.0f)).ok());
  REQUIRE(ValidateBatch(SampleBatch(64, 17, 6, 1.0f)).ok());
  // Zero transitions need no dims.
  TransitionBatch empty_with_dims;
  empty_with_dims.obs_dim = 3;
  empty_with_dims.act_dim = 1;
  REQUIRE(ValidateBatch(empty_with_dims).ok());

  TransitionBatch b = SampleBatch(4, 3, 2, 0.0f);
  b.actions.resize(7);
  Status status = ValidateBatch(b);
  REQUIRE(status.code() == StatusCode::kInvalidArgument);
  REQUIRE_THAT(status.message(), Catch::Contains("'actions' has 7 values, expected 8 for 4 transitions"));
  REQUIRE_THAT(status.message(), Catch::Contains("obs_dim 3, act_dim 2"));

  b = SampleBatch(4, 3, 2, 0.0f);
  b.next_observations.resize(13);
  status = ValidateBatch(b);
  REQUIRE_FALSE(status.ok());
  REQUIRE_THAT(status.message(), Catch::Contains("'next_observations' has 13 values, expected 12"));

  b = SampleBatch(4, 3, 2, 0.0f);
  b.discounts.clear();
  status = ValidateBatch(b);
  REQUIRE_FALSE(status.ok());
  REQUIRE_THAT(status.message(), Catch::Contains("'discounts' has 0 values, expected 4"));

  b = SampleBatch(4, 3, 2, 0.0f);
  b.policy_versions.resize(5);
  status = ValidateBatch(b);
  REQUIRE_FALSE(status.ok());
  REQUIRE_THAT(status.message(), Catch::Contains("'policy_versions' has 5 values, expected 4"));

  // Transitions without dimensions.
  b = SampleBatch(2, 3, 1, 0.0f);
  b.obs_dim = 0;
  b.observations.clear();
  b.next_observations.clear();
  status = ValidateBatch(b);
  REQUIRE_FALSE(status.ok());
  REQUIRE_THAT(status.message(), Catch::Contains("zero obs_dim or act_dim"));
}

TEST_CASE("CheckBatchValues accepts finite in-range values and names the first bad one", "[protocol]") {
  const std::vector<float> low = {-2.0f, -1.0f};
  const std::vector<float> high = {2.0f, 1.0f};
  TransitionBatch batch;
  batch.obs_dim = 3;
  batch.act_dim = 2;
  batch.observations.assign(6, 0.5f);
  batch.actions = {-2.0f, 1.0f, 2.0f, -1.0f};  // the bounds themselves are allowed
  batch.rewards = {-16.0f, 1e6f};              // max_abs_value itself is allowed
  batch.discounts = {0.0f, 1.0f};
  batch.next_observations.assign(6, -0.5f);
  batch.policy_versions = {0, 3};
  REQUIRE(ValidateBatch(batch).ok());
  CHECK(CheckBatchValues(batch, low, high, 1e6).ok());

  struct Case {
    std::function<void(TransitionBatch&)> poison;
    std::string named;
  };
  const std::vector<Case> cases = {
      {[](TransitionBatch& b) { b.observations[4] = NAN; }, "transition 1 has observations[1] = nan"},
      {[](TransitionBatch& b) { b.next_observations[0] = -INFINITY; }, "transition 0 has next_observations[0] = -inf"},
      {[](TransitionBatch& b) { b.rewards[1] = INFINITY; }, "transition 1 has rewards[0] = inf"},
      {[](TransitionBatch& b) { b.rewards[1] = 1.5e6f; }, "transition 1 has rewards[0] = 1500000"},
      {[](TransitionBatch& b) { b.observations[2] = -3e38f; }, "transition 0 has observations[2]"},
      {[](TransitionBatch& b) { b.actions[3] = -1.001f; }, "transition 1 has actions[1]"},
      {[](TransitionBatch& b) { b.actions[0] = NAN; }, "transition 0 has actions[0] = nan"},
      {[](TransitionBatch& b) { b.discounts[0] = -0.01f; }, "transition 0 has discounts[0]"},
      {[](TransitionBatch& b) { b.discounts[1] = 1.01f; }, "transition 1 has discounts[0]"},
  };
  for (const Case& c : cases) {
    TransitionBatch poisoned = batch;
    c.poison(poisoned);
    const Status status = CheckBatchValues(poisoned, low, high, 1e6);
    INFO(c.named);
    CHECK(status.code() == StatusCode::kInvalidArgument);
    CHECK_THAT(status.message(), Catch::Contains(c.named));
  }
}

}  // namespace
}  // namespace ddpg::protocol
