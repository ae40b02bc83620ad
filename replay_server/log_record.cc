#include "replay_server/log_record.h"

#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstring>

namespace ddpg::replay_log {
namespace {

// The log is little-endian; on a little-endian host every field is copied as it lies in memory.
static_assert(std::endian::native == std::endian::little, "the replay log codec assumes a little-endian host");

constexpr size_t kChunkFormat1FixedBytes = 1 + 4 + 8 + 8 + 8 + 4 + 4 + 4;
// Format 2 adds the count of next observations stored in full.
constexpr size_t kChunkFixedBytes = kChunkFormat1FixedBytes + 4;
// A next_observation_rows entry for a next observation stored in full; r + 1 refers to observation row r.
constexpr uint32_t kStoredInFull = 0;
constexpr size_t kProcessFixedBytes = 4 + 8 + 8;
constexpr size_t kBitmapBytes = DuplicateFilter::kWindow / 8;

template <class T>
void Put(std::string& out, T value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof value);
}

template <class T>
void PutArray(std::string& out, const std::vector<T>& values) {
  if (!values.empty()) out.append(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T));
}

uint32_t Crc(std::string_view length_bytes, std::string_view payload) {
  uLong crc = crc32(0L, Z_NULL, 0);
  crc = crc32(crc, reinterpret_cast<const Bytef*>(length_bytes.data()), static_cast<uInt>(length_bytes.size()));
  // Payloads are at most kMaxPayloadBytes, which uInt holds.
  crc = crc32(crc, reinterpret_cast<const Bytef*>(payload.data()), static_cast<uInt>(payload.size()));
  return static_cast<uint32_t>(crc);
}

// Reserves the header of a record whose payload the caller appends next; FinishRecord fills it in.
size_t StartRecord(std::string& out) {
  const size_t start = out.size();
  out.append(kRecordHeaderBytes, '\0');
  return start;
}

void FinishRecord(std::string& out, size_t start) {
  const uint32_t length = static_cast<uint32_t>(out.size() - start - kRecordHeaderBytes);
  std::memcpy(out.data() + start, &length, 4);
  const std::string_view record(out.data() + start, out.size() - start);
  const uint32_t crc = Crc(record.substr(0, 4), record.substr(kRecordHeaderBytes));
  std::memcpy(out.data() + start + 4, &crc, 4);
}

std::string Hex(uint32_t value) {
  char text[11];
  std::snprintf(text, sizeof text, "0x%08x", value);
  return text;
}

// Reads fields in order from a payload; a read past its end leaves the cursor failed, and every later read
// returns zeros, so that a decoder checks once at the end.
class Cursor {
 public:
  explicit Cursor(std::string_view bytes) : bytes_(bytes) {}

  template <class T>
  T Get() {
    T value{};
    if (!Take(sizeof value)) return value;
    std::memcpy(&value, bytes_.data() + offset_ - sizeof value, sizeof value);
    return value;
  }
  template <class T>
  void GetArray(std::vector<T>& values, size_t count) {
    if (!Take(count * sizeof(T))) return;
    values.resize(count);
    if (count > 0) std::memcpy(values.data(), bytes_.data() + offset_ - count * sizeof(T), count * sizeof(T));
  }
  std::string_view GetBytes(size_t count) {
    if (!Take(count)) return {};
    return bytes_.substr(offset_ - count, count);
  }
  bool ok() const { return ok_; }
  size_t left() const { return bytes_.size() - offset_; }

 private:
  bool Take(size_t count) {
    if (!ok_ || count > left()) {
      ok_ = false;
      return false;
    }
    offset_ += count;
    return true;
  }

  std::string_view bytes_;
  size_t offset_ = 0;
  bool ok_ = true;
};

// The observation rows of a chunk, looked up by their bytes: open addressing over a power-of-two table of at
// least twice as many slots as rows, each holding row + 1 (0: empty). Bytes, not float ==, decide equality,
// so that -0.0 never stands for 0.0; a row that repeats an earlier one is not added (the first serves).
class ObservationRows {
 public:
  ObservationRows(const std::vector<float>& observations, size_t rows, uint32_t obs_dim)
      : observations_(observations.data()),
        row_bytes_(4 * static_cast<size_t>(obs_dim)),
        slots_(std::bit_ceil(std::max<size_t>(2 * rows, 2)), 0) {
    for (size_t row = 0; row < rows; ++row) {
      size_t slot = Hash(Row(row)) & (slots_.size() - 1);
      for (; slots_[slot] != 0; slot = (slot + 1) & (slots_.size() - 1)) {
        if (std::memcmp(Row(slots_[slot] - 1), Row(row), row_bytes_) == 0) break;
      }
      if (slots_[slot] == 0) slots_[slot] = static_cast<uint32_t>(row + 1);
    }
  }

  // row + 1 of an observation row whose bytes are `values`' first obs_dim floats', or 0 if none is.
  uint32_t Find(const float* values) const {
    const char* bytes = reinterpret_cast<const char*>(values);
    for (size_t slot = Hash(bytes) & (slots_.size() - 1); slots_[slot] != 0; slot = (slot + 1) & (slots_.size() - 1)) {
      if (std::memcmp(Row(slots_[slot] - 1), bytes, row_bytes_) == 0) return slots_[slot];
    }
    return 0;
  }

 private:
  const char* Row(size_t row) const { return reinterpret_cast<const char*>(observations_) + row * row_bytes_; }

  // FNV-1a over the row's 32-bit words, then a final mix so that the low bits, which pick the slot, depend
  // on every word.
  uint64_t Hash(const char* bytes) const {
    uint64_t hash = 0xcbf29ce484222325ull;
    for (size_t offset = 0; offset < row_bytes_; offset += 4) {
      uint32_t word;
      std::memcpy(&word, bytes + offset, 4);
      hash = (hash ^ word) * 0x100000001b3ull;
    }
    return hash ^ (hash >> 29) ^ (hash >> 47);
  }

  const float* observations_;
  size_t row_bytes_;
  std::vector<uint32_t> slots_;
};

size_t ChunkFormat1RecordBytes(size_t count, uint32_t obs_dim, uint32_t act_dim) {
  const size_t floats_per_transition = 2 * static_cast<size_t>(obs_dim) + act_dim + 2;
  return kRecordHeaderBytes + kChunkFormat1FixedBytes + count * (4 * floats_per_transition + 8);
}

}  // namespace

size_t ChunkRecordBytes(size_t count, uint32_t obs_dim, uint32_t act_dim, size_t stored_next_observations) {
  // observations, actions, reward, discount, next_observation_rows; policy version.
  const size_t bytes_per_transition = 4 * (static_cast<size_t>(obs_dim) + act_dim + 2 + 1) + 8;
  return kRecordHeaderBytes + kChunkFixedBytes + count * bytes_per_transition + 4 * stored_next_observations * obs_dim;
}

void AppendChunkRecord(const protocol::InsertChunk& chunk, uint64_t first_transition, std::string& out) {
  const protocol::TransitionBatch& batch = chunk.transitions;
  const size_t count = batch.size();
  out.reserve(out.size() + ChunkRecordBytes(count, batch.obs_dim, batch.act_dim, count));
  const size_t start = StartRecord(out);
  Put(out, static_cast<uint8_t>(RecordKind::kChunk));
  Put(out, chunk.actor_id);
  Put(out, chunk.incarnation);
  Put(out, chunk.sequence);
  Put(out, first_transition);
  Put(out, static_cast<uint32_t>(count));
  Put(out, batch.obs_dim);
  Put(out, batch.act_dim);
  const size_t stored_at = out.size();
  Put(out, uint32_t{0});  // the count of next observations stored in full, known below
  PutArray(out, batch.observations);
  PutArray(out, batch.actions);
  PutArray(out, batch.rewards);
  PutArray(out, batch.discounts);
  const size_t rows_at = out.size();
  out.append(4 * count, '\0');  // next_observation_rows, filled in as the next observations are stored
  const ObservationRows observation_rows(batch.observations, count, batch.obs_dim);
  uint32_t stored = 0;
  for (size_t row = 0; row < count; ++row) {
    const float* next_observation = batch.next_observations.data() + row * batch.obs_dim;
    const uint32_t repeats = observation_rows.Find(next_observation);
    if (repeats == kStoredInFull) {
      out.append(reinterpret_cast<const char*>(next_observation), 4 * static_cast<size_t>(batch.obs_dim));
      ++stored;
    }
    std::memcpy(out.data() + rows_at + 4 * row, &repeats, 4);
  }
  std::memcpy(out.data() + stored_at, &stored, 4);
  PutArray(out, batch.policy_versions);
  FinishRecord(out, start);
}

void AppendFilterRecord(const std::vector<DuplicateFilter::ProcessState>& processes, std::string& out) {
  const size_t start = StartRecord(out);
  Put(out, static_cast<uint8_t>(RecordKind::kFilterState));
  Put(out, static_cast<uint32_t>(DuplicateFilter::kWindow));
  Put(out, static_cast<uint32_t>(processes.size()));
  for (const DuplicateFilter::ProcessState& process : processes) {
    Put(out, process.actor_id);
    Put(out, process.incarnation);
    Put(out, process.highest);
    std::string bitmap(kBitmapBytes, '\0');
    for (size_t bit = 0; bit < DuplicateFilter::kWindow; ++bit) {
      if (process.recorded.test(bit)) bitmap[bit / 8] = static_cast<char>(bitmap[bit / 8] | (1 << (bit % 8)));
    }
    out += bitmap;
  }
  FinishRecord(out, start);
}

RecordRead ReadRecord(std::string_view bytes, size_t offset) {
  RecordRead read;
  if (offset >= bytes.size()) return read;  // kEnd
  read.outcome = RecordRead::Outcome::kBad;
  const size_t left = bytes.size() - offset;
  if (left < kRecordHeaderBytes) {
    read.problem =
        "record header cut short: " + std::to_string(left) + " of " + std::to_string(kRecordHeaderBytes) + " bytes";
    return read;
  }
  uint32_t length = 0, stored_crc = 0;
  std::memcpy(&length, bytes.data() + offset, 4);
  std::memcpy(&stored_crc, bytes.data() + offset + 4, 4);
  if (length == 0 || length > kMaxPayloadBytes) {
    read.problem = "record length " + std::to_string(length) + " is outside 1 .. " + std::to_string(kMaxPayloadBytes);
    return read;
  }
  if (length > left - kRecordHeaderBytes) {
    read.problem = "record cut short: " + std::to_string(left - kRecordHeaderBytes) + " of " + std::to_string(length) +
                   " payload bytes";
    return read;
  }
  const std::string_view payload = bytes.substr(offset + kRecordHeaderBytes, length);
  const uint32_t crc = Crc(bytes.substr(offset, 4), payload);
  if (crc != stored_crc) {
    read.problem = "CRC mismatch (stored " + Hex(stored_crc) + ", computed " + Hex(crc) + ")";
    return read;
  }
  read.outcome = RecordRead::Outcome::kRecord;
  read.payload = payload;
  read.next_offset = offset + kRecordHeaderBytes + length;
  return read;
}

StatusOr<RecordKind> KindOf(std::string_view payload) {
  if (payload.empty()) return InvalidArgument("empty record payload");
  const auto kind = static_cast<uint8_t>(payload[0]);
  for (RecordKind known : {RecordKind::kChunkFormat1, RecordKind::kFilterState, RecordKind::kChunk}) {
    if (kind == static_cast<uint8_t>(known)) return known;
  }
  return InvalidArgument("unknown record kind " + std::to_string(kind));
}

StatusOr<ChunkRecord> DecodeChunk(std::string_view payload) {
  Cursor in(payload);
  const uint8_t kind = in.Get<uint8_t>();
  const bool format1 = kind == static_cast<uint8_t>(RecordKind::kChunkFormat1);
  if (!format1 && kind != static_cast<uint8_t>(RecordKind::kChunk)) return InvalidArgument("not a chunk record");
  ChunkRecord record;
  protocol::InsertChunk& chunk = record.chunk;
  chunk.actor_id = in.Get<uint32_t>();
  chunk.incarnation = in.Get<uint64_t>();
  chunk.sequence = in.Get<uint64_t>();
  record.first_transition = in.Get<uint64_t>();
  const uint32_t count = in.Get<uint32_t>();
  protocol::TransitionBatch& batch = chunk.transitions;
  batch.obs_dim = in.Get<uint32_t>();
  batch.act_dim = in.Get<uint32_t>();
  const uint32_t stored = format1 ? count : in.Get<uint32_t>();
  if (!in.ok()) return InvalidArgument("chunk record of " + std::to_string(payload.size()) + " bytes is cut short");
  // Checked before anything is allocated: the arrays must fill the rest of the payload exactly. Dimensions
  // beyond the payload's size could not, and bounding them keeps the product below from overflowing.
  const bool fits =
      batch.obs_dim <= kMaxPayloadBytes && batch.act_dim <= kMaxPayloadBytes && stored <= count &&
      kRecordHeaderBytes + payload.size() == (format1 ? ChunkFormat1RecordBytes(count, batch.obs_dim, batch.act_dim)
                                                      : ChunkRecordBytes(count, batch.obs_dim, batch.act_dim, stored));
  if (!fits) {
    return InvalidArgument("chunk record of " + std::to_string(payload.size()) + " bytes cannot hold " +
                           std::to_string(count) + " transitions of obs_dim " + std::to_string(batch.obs_dim) +
                           ", act_dim " + std::to_string(batch.act_dim) +
                           (format1 ? "" : " with " + std::to_string(stored) + " next observations in full"));
  }
  const size_t obs_floats = size_t{count} * batch.obs_dim;
  in.GetArray(batch.observations, obs_floats);
  in.GetArray(batch.actions, size_t{count} * batch.act_dim);
  in.GetArray(batch.rewards, count);
  in.GetArray(batch.discounts, count);
  if (format1) {
    in.GetArray(batch.next_observations, obs_floats);
  } else {
    std::vector<uint32_t> next_observation_rows;
    in.GetArray(next_observation_rows, count);
    size_t in_full = 0;
    for (size_t row = 0; row < next_observation_rows.size(); ++row) {
      const uint32_t repeats = next_observation_rows[row];
      if (repeats > count) {
        return InvalidArgument("chunk record: the next observation of row " + std::to_string(row) +
                               " refers to observation row " + std::to_string(repeats - 1) + ", beyond its " +
                               std::to_string(count) + " rows");
      }
      in_full += repeats == kStoredInFull;
    }
    if (in_full != stored) {
      return InvalidArgument("chunk record says " + std::to_string(stored) +
                             " next observations are stored in full, but its rows name " + std::to_string(in_full));
    }
    // Every entry is checked and the stored rows are exactly the rest of the arrays: no read below can fail.
    batch.next_observations.resize(obs_floats);
    const size_t row_bytes = 4 * static_cast<size_t>(batch.obs_dim);
    for (size_t row = 0; row < next_observation_rows.size(); ++row) {
      const uint32_t repeats = next_observation_rows[row];
      const char* source = repeats == kStoredInFull
                               ? in.GetBytes(row_bytes).data()
                               : reinterpret_cast<const char*>(batch.observations.data()) + (repeats - 1) * row_bytes;
      if (row_bytes > 0) std::memcpy(batch.next_observations.data() + row * batch.obs_dim, source, row_bytes);
    }
  }
  in.GetArray(batch.policy_versions, count);
  if (!in.ok() || in.left() != 0) return Internal("chunk record sizes disagree with its arrays");
  return record;
}

StatusOr<std::vector<DuplicateFilter::ProcessState>> DecodeFilterState(std::string_view payload) {
  Cursor in(payload);
  if (in.Get<uint8_t>() != static_cast<uint8_t>(RecordKind::kFilterState)) {
    return InvalidArgument("not a filter state record");
  }
  const uint32_t window = in.Get<uint32_t>();
  const uint32_t count = in.Get<uint32_t>();
  if (!in.ok()) return InvalidArgument("filter state record cut short");
  if (window != DuplicateFilter::kWindow) {
    return InvalidArgument("filter state of window " + std::to_string(window) + "; this server's window is " +
                           std::to_string(DuplicateFilter::kWindow));
  }
  if (count > DuplicateFilter::kMaxActorProcesses || in.left() != count * (kProcessFixedBytes + kBitmapBytes)) {
    return InvalidArgument("filter state record of " + std::to_string(payload.size()) + " bytes cannot hold " +
                           std::to_string(count) + " actor processes");
  }
  std::vector<DuplicateFilter::ProcessState> processes(count);
  for (DuplicateFilter::ProcessState& process : processes) {
    process.actor_id = in.Get<uint32_t>();
    process.incarnation = in.Get<uint64_t>();
    process.highest = in.Get<uint64_t>();
    const std::string_view bitmap = in.GetBytes(kBitmapBytes);
    for (size_t bit = 0; bit < bitmap.size() * 8; ++bit) {
      if ((static_cast<uint8_t>(bitmap[bit / 8]) >> (bit % 8)) & 1) process.recorded.set(bit);
    }
  }
  if (!in.ok()) return Internal("filter state record sizes disagree with its contents");
  return processes;
}

}  // namespace ddpg::replay_log
