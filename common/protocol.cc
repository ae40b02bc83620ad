#include "common/protocol.h"

#include <cereal/archives/portable_binary.hpp>

#include <cmath>
#include <exception>
#include <istream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <streambuf>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

namespace ddpg::protocol {
namespace {

// Message structs and TransitionBatch: whatever lists its fields in a static Fields() (see protocol.h).
template <class T>
concept HasFields = requires(T& value) {
  T::Fields(value);
};

template <class T>
inline constexpr bool kIsVector = false;
template <class T>
inline constexpr bool kIsVector<std::vector<T>> = true;

// Walks a struct's field list in order; encoding and decoding both go through here, so the two cannot
// disagree about the order.
template <class Codec, class T>
void EachField(Codec& codec, T& value) {
  std::apply([&](auto&... fields) { (codec.Field(fields), ...); }, std::remove_const_t<T>::Fields(value));
}

class Writer {
 public:
  explicit Writer(std::ostream& stream) : archive_(stream) {}

  template <class T>
  void Field(const T& value) {
    if constexpr (HasFields<T>) {
      EachField(*this, value);
    } else if constexpr (std::is_enum_v<T>) {
      archive_(static_cast<std::underlying_type_t<T>>(value));
    } else if constexpr (std::is_same_v<T, std::string> || kIsVector<T>) {
      using Element = typename T::value_type;
      static_assert(std::is_arithmetic_v<Element>, "arrays on the wire hold numbers only");
      archive_(cereal::make_size_tag(static_cast<cereal::size_type>(value.size())));
      archive_(cereal::binary_data(value.data(), value.size() * sizeof(Element)));
    } else {
      static_assert(std::is_arithmetic_v<T>, "a field type the wire format does not define");
      archive_(value);
    }
  }

 private:
  cereal::PortableBinaryOutputArchive archive_;
};

class MemoryBuffer : public std::streambuf {
 public:
  MemoryBuffer(const char* begin, size_t size) {
    char* p = const_cast<char*>(begin);  // read-only use: only the get area is set
    setg(p, p, p + size);
  }
  size_t remaining() const { return static_cast<size_t>(egptr() - gptr()); }
};

// The mirror of Writer, with two guards against hostile frames. cereal's own vector/string loaders resize
// to whatever length the frame claims before reading, so a tiny frame could make us allocate gigabytes:
// arrays and strings are read here no longer than the bytes left in the frame. And a bool byte other
// than 0/1 is refused, as storing it in a C++ bool is undefined behaviour.
class Reader {
 public:
  Reader(std::istream& stream, const MemoryBuffer& buffer) : archive_(stream), buffer_(buffer) {}

  template <class T>
  void Field(T& value) {
    if constexpr (HasFields<T>) {
      EachField(*this, value);
    } else if constexpr (std::is_enum_v<T>) {
      std::underlying_type_t<T> raw = 0;
      archive_(raw);
      value = static_cast<T>(raw);  // values this build does not know are kept: newer peers may send them
    } else if constexpr (std::is_same_v<T, bool>) {
      uint8_t byte = 0;
      archive_(byte);
      if (byte > 1) throw std::domain_error("a boolean field holds " + std::to_string(byte) + ", not 0 or 1");
      value = byte == 1;
    } else if constexpr (std::is_same_v<T, std::string> || kIsVector<T>) {
      using Element = typename T::value_type;
      value.resize(LoadLength(sizeof(Element)));
      archive_(cereal::binary_data(value.data(), value.size() * sizeof(Element)));
    } else {
      archive_(value);
    }
  }

 private:
  // Dividing rather than multiplying: count * element_size can overflow, and a count that fits the bytes
  // left but not once multiplied by the element size must not get past here either.
  size_t LoadLength(size_t element_size) {
    cereal::size_type count = 0;
    archive_(cereal::make_size_tag(count));
    if (count > buffer_.remaining() / element_size) {
      throw std::length_error("a length field claims " + std::to_string(count) + " elements of " +
                              std::to_string(element_size) + " bytes, more than the " +
                              std::to_string(buffer_.remaining()) + " bytes left in the frame");
    }
    return count;
  }

  cereal::PortableBinaryInputArchive archive_;
  const MemoryBuffer& buffer_;
};

// The variant's alternatives are in MessageType order starting at 1.
constexpr uint16_t kFirstType = static_cast<uint16_t>(MessageType::kError);
constexpr uint16_t kLastType = static_cast<uint16_t>(MessageType::kPriorityUpdate);
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
      return InvalidArgument("sample reply has " + std::to_string(reply->indices.size()) + " indices for " +
                             std::to_string(reply->transitions.size()) + " transitions");
    }
    // Both empty (uniform sampling) or one of each per transition (prioritized).
    const bool uniform = reply->generations.empty() && reply->weights.empty();
    const bool prioritized =
        reply->generations.size() == reply->transitions.size() && reply->weights.size() == reply->transitions.size();
    if (!uniform && !prioritized) {
      return InvalidArgument("sample reply has " + std::to_string(reply->generations.size()) + " generations and " +
                             std::to_string(reply->weights.size()) + " weights for " +
                             std::to_string(reply->transitions.size()) + " transitions: expected none or one each");
    }
  }
  if (const auto* update = std::get_if<PriorityUpdate>(&message)) {
    if (update->generations.size() != update->indices.size() || update->priorities.size() != update->indices.size()) {
      return InvalidArgument("priority update has " + std::to_string(update->indices.size()) + " indices, " +
                             std::to_string(update->generations.size()) + " generations and " +
                             std::to_string(update->priorities.size()) + " priorities: expected as many of each");
    }
  }
  return Status::Ok();
}

}  // namespace

MessageType TypeOf(const Message& message) { return static_cast<MessageType>(kFirstType + message.index()); }

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
    case MessageType::kPriorityUpdate: return "PriorityUpdate";
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
    Writer writer(payload);
    std::visit([&](const auto& m) { writer.Field(m); }, message);
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
      Reader reader(stream, buffer);
      std::visit([&](auto& m) { reader.Field(m); }, message);
    }
    if (stream.peek() != std::char_traits<char>::eof()) {
      return InvalidArgument(std::string("malformed ") + std::string(TypeName(MessageType{type})) +
                             ": trailing bytes after the payload");
    }
  } catch (const std::exception& e) {
    return InvalidArgument(std::string("malformed ") + std::string(TypeName(MessageType{type})) + ": " + e.what());
  }
  Status status = ValidateMessage(message);
  if (!status.ok()) return status;
  return message;
}

uint64_t NewInstanceId() {
  std::random_device device;
  uint64_t id = 0;
  while (id == 0) id = (static_cast<uint64_t>(device()) << 32) | device();
  return id;
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
  for (Status s :
       {check("observations", batch.observations.size(), n * batch.obs_dim),
        check("actions", batch.actions.size(), n * batch.act_dim), check("discounts", batch.discounts.size(), n),
        check("next_observations", batch.next_observations.size(), n * batch.obs_dim),
        check("policy_versions", batch.policy_versions.size(), n)}) {
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

Status CheckBatchValues(const TransitionBatch& batch, const std::vector<float>& act_low,
                        const std::vector<float>& act_high, double max_abs_value) {
  auto bad = [&](const char* field, size_t index, size_t width, float value, const char* requirement) {
    return InvalidArgument(std::string("transition ") + std::to_string(index / width) + " has " + field + "[" +
                           std::to_string(index % width) + "] = " + std::to_string(value) + ", which is not " +
                           requirement);
  };
  const std::string within = "finite and within +-" + std::to_string(max_abs_value);
  auto all_finite = [&](const char* field, const std::vector<float>& values, size_t width) -> Status {
    for (size_t i = 0; i < values.size(); ++i) {
      // Written as a negation so that NaN, which fails every comparison, is refused too.
      if (!(std::fabs(values[i]) <= max_abs_value)) return bad(field, i, width, values[i], within.c_str());
    }
    return Status::Ok();
  };
  DDPG_RETURN_IF_ERROR(all_finite("observations", batch.observations, batch.obs_dim));
  DDPG_RETURN_IF_ERROR(all_finite("next_observations", batch.next_observations, batch.obs_dim));
  DDPG_RETURN_IF_ERROR(all_finite("rewards", batch.rewards, 1));
  for (size_t i = 0; i < batch.actions.size(); ++i) {
    const size_t d = i % batch.act_dim;
    const float action = batch.actions[i];
    if (!(action >= act_low[d] && action <= act_high[d])) {
      return bad("actions", i, batch.act_dim, action, "finite and within the action bounds");
    }
  }
  for (size_t i = 0; i < batch.discounts.size(); ++i) {
    if (!(batch.discounts[i] >= 0.0f && batch.discounts[i] <= 1.0f)) {
      return bad("discounts", i, 1, batch.discounts[i], "within [0, 1]");
    }
  }
  return Status::Ok();
}

}  // namespace ddpg::protocol
