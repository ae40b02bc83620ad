#include "replay_server/priority_snapshot.h"

#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "replay_server/prioritized_sampler.h"
#include "replay_server/segment_log.h"

namespace ddpg {
namespace {

constexpr std::string_view kMagic = "DDPGPRIO";
constexpr uint32_t kVersion = 1;
// magic, version, capacity, first_transition, count, max_priority, batches, taken_unix_ms
constexpr size_t kHeaderBytes = 8 + 4 + 8 + 8 + 8 + 8 + 8 + 8;
constexpr size_t kCrcBytes = 4;

template <typename T>
void Put(std::string& out, T value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof value);
}

// Reads the fields in order; the caller has checked that the bytes are long enough.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}
  template <typename T>
  T Get() {
    T value;
    std::memcpy(&value, bytes_.data() + offset_, sizeof value);
    offset_ += sizeof value;
    return value;
  }

 private:
  std::string_view bytes_;
  size_t offset_ = 0;
};

uint32_t Crc(std::string_view bytes) {
  uLong crc = crc32(0L, Z_NULL, 0);
  // crc32_z takes a size_t length: a snapshot of 1e8 priorities is 400 MB, beyond what one uInt call may hold
  // on every platform zlib supports.
  crc = crc32_z(crc, reinterpret_cast<const Bytef*>(bytes.data()), bytes.size());
  return static_cast<uint32_t>(crc);
}

// A p_i the sampler could have held: epsilon > 0 keeps it positive, and PriorityUpdate's bound, as the float the
// sampler keeps p_i in rounds it, keeps every p_i^alpha and their sum finite.
bool PlausiblePriority(double p) {
  return p > 0.0 && p <= static_cast<double>(static_cast<float>(PrioritizedSampler::kMaxPriority));
}

}  // namespace

std::string EncodePrioritySnapshot(const PrioritySnapshot& snapshot) {
  std::string out;
  out.reserve(kHeaderBytes + 4 * snapshot.priorities.size() + kCrcBytes);
  out.append(kMagic);
  Put(out, kVersion);
  Put(out, snapshot.capacity);
  Put(out, snapshot.first_transition);
  Put(out, static_cast<uint64_t>(snapshot.priorities.size()));
  Put(out, snapshot.max_priority);
  Put(out, snapshot.batches);
  Put(out, snapshot.taken_unix_ms);
  out.append(reinterpret_cast<const char*>(snapshot.priorities.data()), 4 * snapshot.priorities.size());
  Put(out, Crc(out));
  return out;
}

StatusOr<PrioritySnapshot> DecodePrioritySnapshot(std::string_view bytes, uint64_t capacity) {
  if (bytes.size() < kHeaderBytes + kCrcBytes) {
    return InvalidArgument("it is " + std::to_string(bytes.size()) + " bytes long, shorter than a snapshot's " +
                           std::to_string(kHeaderBytes + kCrcBytes) + " bytes of header and CRC");
  }
  if (bytes.substr(0, kMagic.size()) != kMagic) return InvalidArgument("it does not begin with 'DDPGPRIO'");
  Reader reader(bytes.substr(kMagic.size()));
  PrioritySnapshot snapshot;
  const auto version = reader.Get<uint32_t>();
  if (version != kVersion) {
    return InvalidArgument("it is of version " + std::to_string(version) + "; this server reads version " +
                           std::to_string(kVersion));
  }
  snapshot.capacity = reader.Get<uint64_t>();
  snapshot.first_transition = reader.Get<uint64_t>();
  const auto count = reader.Get<uint64_t>();
  snapshot.max_priority = reader.Get<double>();
  snapshot.batches = reader.Get<uint64_t>();
  snapshot.taken_unix_ms = reader.Get<uint64_t>();
  // Checked before the length, so that a count damaged to near 2^64 cannot overflow the expected length.
  if (count > snapshot.capacity) {
    return InvalidArgument("it claims " + std::to_string(count) + " priorities, more than its capacity " +
                           std::to_string(snapshot.capacity));
  }
  const uint64_t expected_bytes = kHeaderBytes + 4 * count + kCrcBytes;
  if (bytes.size() != expected_bytes) {
    return InvalidArgument("it is " + std::to_string(bytes.size()) + " bytes long, but its header promises " +
                           std::to_string(expected_bytes) + " (" + std::to_string(count) + " priorities)");
  }
  uint32_t stored_crc = 0;
  std::memcpy(&stored_crc, bytes.data() + bytes.size() - kCrcBytes, kCrcBytes);
  if (const uint32_t computed = Crc(bytes.substr(0, bytes.size() - kCrcBytes)); computed != stored_crc) {
    char detail[64];
    std::snprintf(detail, sizeof detail, "CRC mismatch (stored 0x%08x, computed 0x%08x)", stored_crc, computed);
    return InvalidArgument(detail);
  }
  if (snapshot.capacity != capacity) {
    return InvalidArgument("it was taken of a store of capacity " + std::to_string(snapshot.capacity) +
                           ", but replay.capacity is " + std::to_string(capacity));
  }
  if (!PlausiblePriority(snapshot.max_priority)) {
    return InvalidArgument("its maximum priority " + std::to_string(snapshot.max_priority) +
                           " is not positive and at most 1e30");
  }
  snapshot.priorities.resize(count);
  std::memcpy(snapshot.priorities.data(), bytes.data() + kHeaderBytes, 4 * count);
  for (size_t i = 0; i < count; ++i) {
    if (!PlausiblePriority(snapshot.priorities[i])) {
      return InvalidArgument("the priority of transition " + std::to_string(snapshot.first_transition + i) + " is " +
                             std::to_string(snapshot.priorities[i]) + ", not positive and at most 1e30");
    }
  }
  return snapshot;
}

Status WritePrioritySnapshot(const std::string& dir, const PrioritySnapshot& snapshot) {
  return WriteFileAtomically(dir, kPrioritySnapshotName, EncodePrioritySnapshot(snapshot));
}

StatusOr<std::optional<PrioritySnapshot>> ReadPrioritySnapshot(const std::string& dir, uint64_t capacity) {
  const std::string path = dir + "/" + std::string(kPrioritySnapshotName);
  if (access(path.c_str(), F_OK) != 0 && errno == ENOENT) return std::optional<PrioritySnapshot>();
  StatusOr<std::string> bytes = ReadWholeFile(path);
  DDPG_RETURN_IF_ERROR(bytes.status());
  StatusOr<PrioritySnapshot> snapshot = DecodePrioritySnapshot(*bytes, capacity);
  if (!snapshot.ok()) {
    return InvalidArgument("'" + path + "' is not a usable priority snapshot: " + snapshot.status().message());
  }
  return std::optional<PrioritySnapshot>(std::move(snapshot).value());
}

}  // namespace ddpg
