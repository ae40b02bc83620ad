#include "common/protocol.h"

#include <cereal/archives/portable_binary.hpp>

#include <cstring>
#include <exception>
#include <istream>
#include <sstream>
#include <streambuf>
#include <type_traits>

namespace ddpg::protocol {
namespace {

// cereal's own vector/string loaders resize to whatever length the frame claims before reading, so a
// tiny hostile frame could make us allocate gigabytes. Arrays and strings are written by hand instead, and
// read back (In::LoadLength below) no longer than the bytes left in the frame.
template <class Archive, class T>
void SaveArray(Archive& archive, const std::vector<T>& values) {
  static_assert(std::is_arithmetic_v<T>);
  archive(cereal::make_size_tag(static_cast<cereal::size_type>(values.size())));
  archive(cereal::binary_data(values.data(), values.size() * sizeof(T)));
}


template <class Archive>
void SaveText(Archive& archive, const std::string& text) {
  archive(cereal::make_size_tag(static_cast<cereal::size_type>(text.size())));
  archive(cereal::binary_data(text.data(), text.size()));
}


using Out = cereal::PortableBinaryOutputArchive;

class MemoryBuffer : public std::streambuf {
 public:
  MemoryBuffer(const char* begin, size_t size) {
    char* p = const_cast<char*>(begin);  // read-only use: only the get area is set
    setg(p, p, p + size);
  }
  size_t remaining() const { return static_cast<size_t>(egptr() - gptr()); }
};

// The input side: a cereal archive over the frame, plus the frame's unread size so that no length field
// can make us allocate more than the frame itself holds, and strict booleans.
class In {
 public:
  In(std::istream& stream, const MemoryBuffer& buffer) : archive_(stream), buffer_(buffer) {}

  template <class... Fields>
  void operator()(Fields&... fields) {
    (Field(fields), ...);
  }

  template <class T>
  void LoadArray(std::vector<T>& values) {
    static_assert(std::is_arithmetic_v<T>);
    values.resize(LoadLength(sizeof(T)));
    archive_(cereal::binary_data(values.data(), values.size() * sizeof(T)));
  }

  void LoadText(std::string& text) {
    text.resize(LoadLength(1));
    archive_(cereal::binary_data(text.data(), text.size()));
  }

 private:
  template <class T>
  void Field(T& value) {
    archive_(value);
  }
  void Field(bool& value) {
    uint8_t byte = 0;
    archive_(byte);
    if (byte > 1) throw std::domain_error("a boolean field holds " + std::to_string(byte) + ", not 0 or 1");
    value = byte == 1;
  }

  size_t LoadLength(size_t element_size) {
    cereal::size_type count = 0;
    archive_(cereal::make_size_tag(count));
    if (count > buffer_.remaining() / element_size) {
      throw std::length_error("a length field claims " + std::to_string(count) + " elements, more than the " +
                              std::to_string(buffer_.remaining()) + " bytes left in the frame");
    }
    return count;
  }

  cereal::PortableBinaryInputArchive archive_;
  const MemoryBuffer& buffer_;
};


void Write(Out& ar, const TransitionBatch& b) {
  ar(b.obs_dim, b.act_dim);
  SaveArray(ar, b.observations);
  SaveArray(ar, b.actions);
  SaveArray(ar, b.rewards);
  SaveArray(ar, b.discounts);
  SaveArray(ar, b.next_observations);
  SaveArray(ar, b.policy_versions);
}
void Read(In& ar, TransitionBatch& b) {
  ar(b.obs_dim, b.act_dim);
  ar.LoadArray(b.observations);
  ar.LoadArray(b.actions);
  ar.LoadArray(b.rewards);
  ar.LoadArray(b.discounts);
  ar.LoadArray(b.next_observations);
  ar.LoadArray(b.policy_versions);
}

void Write(Out& ar, const Error& m) {
  ar(static_cast<uint16_t>(m.code));
  SaveText(ar, m.message);
}
void Read(In& ar, Error& m) {
  uint16_t code = 0;
  ar(code);
  m.code = static_cast<ErrorCode>(code);
  ar.LoadText(m.message);
}
void Write(Out& ar, const Heartbeat& m) { SaveText(ar, m.sender); }
void Read(In& ar, Heartbeat& m) { ar.LoadText(m.sender); }
void Write(Out& ar, const InsertChunk& m) {
  ar(m.actor_id, m.incarnation, m.sequence);
  Write(ar, m.transitions);
}
void Read(In& ar, InsertChunk& m) {
  ar(m.actor_id, m.incarnation, m.sequence);
  Read(ar, m.transitions);
}
void Write(Out& ar, const InsertAck& m) { ar(m.actor_id, m.sequence, m.duplicate, m.replay_size); }
void Read(In& ar, InsertAck& m) { ar(m.actor_id, m.sequence, m.duplicate, m.replay_size); }
void Write(Out& ar, const SampleRequest& m) { ar(m.request_id, m.batch_size); }
void Read(In& ar, SampleRequest& m) { ar(m.request_id, m.batch_size); }
void Write(Out& ar, const SampleReply& m) {
  ar(m.request_id);
  Write(ar, m.transitions);
  SaveArray(ar, m.indices);
  ar(m.replay_size, m.total_inserted, m.connected_actors);
}
void Read(In& ar, SampleReply& m) {
  ar(m.request_id);
  Read(ar, m.transitions);
  ar.LoadArray(m.indices);
  ar(m.replay_size, m.total_inserted, m.connected_actors);
}
void Write(Out&, const StatsRequest&) {}
void Read(In&, StatsRequest&) {}
void Write(Out& ar, const StatsReply& m) {
  ar(m.replay_size, m.capacity, m.total_inserted, m.total_sampled, m.duplicates_dropped,
     m.connected_actors, m.pending_inserts, m.pending_samples);
}
void Read(In& ar, StatsReply& m) {
  ar(m.replay_size, m.capacity, m.total_inserted, m.total_sampled, m.duplicates_dropped,
     m.connected_actors, m.pending_inserts, m.pending_samples);
}
void Write(Out& ar, const Weights& m) {
  ar(m.version, m.obs_dim, m.act_dim);
  SaveArray(ar, m.hidden_sizes);
  SaveArray(ar, m.parameters);
}
void Read(In& ar, Weights& m) {
  ar(m.version, m.obs_dim, m.act_dim);
  ar.LoadArray(m.hidden_sizes);
  ar.LoadArray(m.parameters);
}
void Write(Out& ar, const EpisodeReport& m) {
  ar(m.actor_id, m.evaluation, m.episode_return, m.episode_length, m.episodes, m.policy_version,
     m.actor_env_steps);
}
void Read(In& ar, EpisodeReport& m) {
  ar(m.actor_id, m.evaluation, m.episode_return, m.episode_length, m.episodes, m.policy_version,
     m.actor_env_steps);
}

void Write(Out& ar, const ActorIdRequest& m) { ar(m.nonce); }
void Read(In& ar, ActorIdRequest& m) { ar(m.nonce); }
void Write(Out& ar, const ActorIdReply& m) { ar(m.nonce, m.actor_id); }
void Read(In& ar, ActorIdReply& m) { ar(m.nonce, m.actor_id); }

// The variant's alternatives are in MessageType order starting at 1.
constexpr uint16_t kFirstType = static_cast<uint16_t>(MessageType::kError);
constexpr uint16_t kLastType = static_cast<uint16_t>(MessageType::kActorIdReply);
static_assert(kLastType - kFirstType + 1 == std::variant_size_v<Message>);

template <size_t I = 0>
Message DefaultForIndex(size_t index) {
  if constexpr (I < std::variant_size_v<Message>) {
    if (index == I) return Message{std::in_place_index<I>};
    return DefaultForIndex<I + 1>(index);
  } else {
    return Message{};
  }
}

void PutU16(std::string& out, uint16_t value) {
  out.push_back(static_cast<char>(value & 0xff));
  out.push_back(static_cast<char>(value >> 8));
}
uint16_t GetU16(const unsigned char* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }

Status ValidateMessage(const Message& message) {
  if (const auto* chunk = std::get_if<InsertChunk>(&message)) return ValidateBatch(chunk->transitions);
  if (const auto* reply = std::get_if<SampleReply>(&message)) {
    Status status = ValidateBatch(reply->transitions);
    if (!status.ok()) return status;
    if (reply->indices.size() != reply->transitions.size()) {
      return InvalidArgument("sample reply has " + std::to_string(reply->indices.size()) +
                             " indices for " + std::to_string(reply->transitions.size()) +
                             " transitions");
    }
  }
  return Status::Ok();
}

}  // namespace

MessageType TypeOf(const Message& message) {
  return static_cast<MessageType>(kFirstType + message.index());
}

std::string_view TypeName(MessageType type) {
  switch (type) {
    case MessageType::kError: return "Error";
    case MessageType::kHeartbeat: return "Heartbeat";
    case MessageType::kInsertChunk: return "InsertChunk";
    case MessageType::kInsertAck: return "InsertAck";
    case MessageType::kSampleRequest: return "SampleRequest";
    case MessageType::kSampleReply: return "SampleReply";
    case MessageType::kStatsRequest: return "StatsRequest";
    case MessageType::kStatsReply: return "StatsReply";
    case MessageType::kWeights: return "Weights";
    case MessageType::kEpisodeReport: return "EpisodeReport";
    case MessageType::kActorIdRequest: return "ActorIdRequest";
    case MessageType::kActorIdReply: return "ActorIdReply";
  }
  return "Unknown";
}

std::string Encode(const Message& message) {
  std::string frame;
  frame.reserve(kHeaderBytes);
  for (int shift = 0; shift < 32; shift += 8) frame.push_back(static_cast<char>((kMagic >> shift) & 0xff));
  PutU16(frame, kProtocolVersion);
  PutU16(frame, static_cast<uint16_t>(TypeOf(message)));
  std::ostringstream payload(std::ios::binary);
  {
    Out archive(payload);
    std::visit([&](const auto& m) { Write(archive, m); }, message);
  }
  frame += payload.str();
  return frame;
}

StatusOr<Message> Decode(const void* data, size_t size) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  if (size < kHeaderBytes) {
    return InvalidArgument("truncated frame: " + std::to_string(size) + " bytes, the header alone is " +
                           std::to_string(kHeaderBytes));
  }
  if (size > kMaxMessageBytes) {
    return InvalidArgument("oversized frame: " + std::to_string(size) + " bytes, the limit is " +
                           std::to_string(kMaxMessageBytes));
  }
  uint32_t magic = 0;
  for (int i = 3; i >= 0; --i) magic = (magic << 8) | bytes[i];
  if (magic != kMagic) return InvalidArgument("not a ddpg-cluster frame (bad magic)");
  const uint16_t version = GetU16(bytes + 4);
  if (version != kProtocolVersion) {
    return FailedPrecondition("protocol version mismatch: peer speaks version " + std::to_string(version) +
                              ", this build speaks version " + std::to_string(kProtocolVersion) +
                              "; run the same ddpg-cluster release on every machine");
  }
  const uint16_t type = GetU16(bytes + 6);
  if (type < kFirstType || type > kLastType) {
    return InvalidArgument("unknown message type " + std::to_string(type));
  }
  Message message = DefaultForIndex(type - kFirstType);
  try {
    MemoryBuffer buffer(reinterpret_cast<const char*>(bytes) + kHeaderBytes, size - kHeaderBytes);
    std::istream stream(&buffer);
    {
      In archive(stream, buffer);
      std::visit([&](auto& m) { Read(archive, m); }, message);
    }
    if (stream.peek() != std::char_traits<char>::eof()) {
      return InvalidArgument(std::string("malformed ") + std::string(TypeName(MessageType{type})) +
                             ": trailing bytes after the payload");
    }
  } catch (const std::exception& e) {
    return InvalidArgument(std::string("malformed ") + std::string(TypeName(MessageType{type})) + ": " +
                           e.what());
  }
  Status status = ValidateMessage(message);
  if (!status.ok()) return status;
  return message;
}

Status ValidateBatch(const TransitionBatch& batch) {
  const size_t n = batch.rewards.size();
  auto check = [&](const char* name, size_t actual, size_t expected) -> Status {
    if (actual == expected) return Status::Ok();
    return InvalidArgument(std::string("transition batch field '") + name + "' has " + std::to_string(actual) +
                           " values, expected " + std::to_string(expected) + " for " + std::to_string(n) +
                           " transitions (obs_dim " + std::to_string(batch.obs_dim) + ", act_dim " +
                           std::to_string(batch.act_dim) + ")");
  };
  if (n > 0 && (batch.obs_dim == 0 || batch.act_dim == 0)) {
    return InvalidArgument("transition batch has zero obs_dim or act_dim");
  }
  for (Status s : {check("observations", batch.observations.size(), n * batch.obs_dim),
                   check("actions", batch.actions.size(), n * batch.act_dim),
                   check("discounts", batch.discounts.size(), n),
                   check("next_observations", batch.next_observations.size(), n * batch.obs_dim),
                   check("policy_versions", batch.policy_versions.size(), n)}) {
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

}  // namespace ddpg::protocol
