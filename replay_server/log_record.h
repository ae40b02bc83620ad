// The records of the replay log (replay.durability = disk): their framing, their CRC and their two payloads.
//
// docs/replay-log.md describes these bytes; this is the one place that writes and reads them. A record is
//   [u32 length][u32 CRC-32 of the length and the payload][payload]
// little-endian, and its payload is either a chunk the server stored (kind 3; kind 1 in logs of format 1,
// which are still read) or the duplicate filter's state (kind 2). The CRC covers the length so that a damaged
// length is caught like damaged data.
//
// A chunk record stores a next observation that repeats some observation row of its chunk, bit for bit, as
// that row's index: in an actor's chunks most do (next_obs(t) is obs(t + n_step) of the same environment),
// which takes HalfCheetah's transition from 176 bytes to about 115. Encoding finds the repeats with a hash
// table of the chunk's observation rows, in one pass over the rows and one allocation besides the output.
//
// Encoding appends to the caller's buffer and never fails. Reading never throws and never looks outside the
// bytes it is given: a record that is cut short, claims more than kMaxPayloadBytes, or fails its CRC is
// reported as bad, with the reason; a payload that passed its CRC but does not parse is an error Status
// (that is not a torn write, and recovery refuses it wherever it lies).
// Ownership: functions over caller-owned bytes. Blocking: never. Thread-safety: no shared state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/protocol.h"
#include "common/status.h"
#include "replay_server/duplicate_filter.h"

namespace ddpg::replay_log {

inline constexpr size_t kRecordHeaderBytes = 8;
inline constexpr uint32_t kMaxPayloadBytes = 1u << 27;

// kChunkFormat1 stores every next observation in full; only logs of format 1 hold it, and it is only read.
enum class RecordKind : uint8_t { kChunkFormat1 = 1, kFilterState = 2, kChunk = 3 };

// A chunk as the log holds it: the chunk and how many transitions were stored before its first one, ever.
struct ChunkRecord {
  protocol::InsertChunk chunk;
  uint64_t first_transition = 0;
};

// Bytes of the record (header included) holding a chunk of `count` transitions of these dimensions, of which
// `stored_next_observations` have a next observation that repeats none of the chunk's observations. With
// stored_next_observations = count, the most a chunk record of `count` transitions can take.
size_t ChunkRecordBytes(size_t count, uint32_t obs_dim, uint32_t act_dim, size_t stored_next_observations);

// Append one whole record to `out`. The chunk's batch must be consistent (protocol::ValidateBatch), as every
// chunk the server stores is.
void AppendChunkRecord(const protocol::InsertChunk& chunk, uint64_t first_transition, std::string& out);
void AppendFilterRecord(const std::vector<DuplicateFilter::ProcessState>& processes, std::string& out);

// The record that starts at `offset` of `bytes` (a segment's contents).
struct RecordRead {
  enum class Outcome { kRecord, kEnd, kBad };
  Outcome outcome = Outcome::kEnd;
  std::string_view payload;  // kRecord
  size_t next_offset = 0;    // kRecord: where the next record starts
  std::string problem;       // kBad: why, e.g. "CRC mismatch (stored 0x..., computed 0x...)"
};
RecordRead ReadRecord(std::string_view bytes, size_t offset);

// The kind of a payload that ReadRecord returned; InvalidArgument for an empty payload or an unknown kind.
StatusOr<RecordKind> KindOf(std::string_view payload);
// InvalidArgument, saying what does not fit, unless the payload is exactly one well-formed record of its kind.
// DecodeChunk reads both kinds of chunk record; a next observation referring to a row beyond the chunk does not
// fit.
StatusOr<ChunkRecord> DecodeChunk(std::string_view payload);
StatusOr<std::vector<DuplicateFilter::ProcessState>> DecodeFilterState(std::string_view payload);

}  // namespace ddpg::replay_log
