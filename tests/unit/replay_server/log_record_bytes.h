// Test helper: replay log records built byte by byte from docs/replay-log.md, independently of
// replay_server/log_record.cc, so that the tests check the code against the documented layout: the CRC from
// its definition, and chunk records of format 1, which the server reads (logs written before format 2) but
// no longer writes.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "common/protocol.h"

namespace ddpg::testing {

// CRC-32 (ISO-HDLC) one bit at a time, straight from its definition: the reflected polynomial 0xEDB88320,
// initial value and final xor 0xFFFFFFFF. The log must use exactly this, as docs/replay-log.md says.
inline uint32_t ReferenceCrc32(std::string_view bytes) {
  uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char byte : bytes) {
    crc ^= byte;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ ((crc & 1u) ? 0xEDB88320u : 0u);
  }
  return crc ^ 0xFFFFFFFFu;
}

// [u32 length][u32 CRC of the length and the payload][payload].
inline std::string FramedRecord(const std::string& payload) {
  std::string record(8, '\0');
  const uint32_t length = static_cast<uint32_t>(payload.size());
  std::memcpy(record.data(), &length, 4);
  const uint32_t crc = ReferenceCrc32(record.substr(0, 4) + payload);
  std::memcpy(record.data() + 4, &crc, 4);
  return record + payload;
}

template <class T>
void AppendBytes(std::string& out, const T& value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof value);
}

template <class T>
void AppendBytes(std::string& out, const std::vector<T>& values) {
  for (const T& value : values) AppendBytes(out, value);
}

// A whole chunk record of kind 1 (format 1): every next observation in full.
inline std::string Format1ChunkRecord(const protocol::InsertChunk& chunk, uint64_t first_transition) {
  const protocol::TransitionBatch& batch = chunk.transitions;
  std::string payload;
  AppendBytes(payload, uint8_t{1});
  AppendBytes(payload, chunk.actor_id);
  AppendBytes(payload, chunk.incarnation);
  AppendBytes(payload, chunk.sequence);
  AppendBytes(payload, first_transition);
  AppendBytes(payload, static_cast<uint32_t>(batch.size()));
  AppendBytes(payload, batch.obs_dim);
  AppendBytes(payload, batch.act_dim);
  AppendBytes(payload, batch.observations);
  AppendBytes(payload, batch.actions);
  AppendBytes(payload, batch.rewards);
  AppendBytes(payload, batch.discounts);
  AppendBytes(payload, batch.next_observations);
  AppendBytes(payload, batch.policy_versions);
  return FramedRecord(payload);
}

}  // namespace ddpg::testing
