// PrioritySnapshot: prioritized replay's priorities as the file PRIORITIES in replay.data_dir holds them, so
// that a replay server restarted on its log (replay.durability = disk) samples by the priorities it had
// rather than all at 1, and goes on annealing beta where it was (docs/replay-log.md, "Priority snapshots").
//
// Every PriorityUpdate changes priorities, so logging them would add a record per sampled transition, many
// times the chunk records' count (samples_per_insert); instead the service copies all priorities every
// replay.priority_snapshot_interval_s and the log's writing thread writes the copy over the last one. A
// snapshot names transitions by their number (the n-th transition ever stored, as a chunk record's
// first_transition + row does), not by slot: recovery refills the slots from 0. It holds p_i, the priority
// with epsilon included, exactly the float the sampler keeps, so that restoring gives back the very value
// (subtracting epsilon again would round away a priority much smaller than it).
//
// A snapshot is derived state, not acknowledged data: losing one costs the priorities learned since the
// previous one, never a transition. So a damaged or mismatching file is reported and ignored, and the server
// starts as it would without one, rather than refusing to start.
//
// Ownership: plain values and functions over caller-owned data. Blocking: WritePrioritySnapshot and
// ReadPrioritySnapshot do file I/O (a write, an fdatasync and a directory fsync; one read). Thread-safety: no
// shared state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace ddpg {

inline constexpr std::string_view kPrioritySnapshotName = "PRIORITIES";

struct PrioritySnapshot {
  uint64_t capacity = 0;          // replay.capacity of the store it was taken of (the manifest's)
  uint64_t first_transition = 0;  // the number of the transition priorities[0] belongs to
  double max_priority = 1.0;      // the sampler's running maximum p_i, which new transitions enter at
  uint64_t batches = 0;           // the batches the sampler had served: beta's annealing goes on from there
  uint64_t taken_unix_ms = 0;     // wall-clock time the priorities were copied, for the age recovery logs
  std::vector<float> priorities;  // p_i of transitions first_transition, first_transition + 1, ...

  // One past the number of the last transition it covers.
  uint64_t end_transition() const { return first_transition + priorities.size(); }
};

// The file's bytes (docs/replay-log.md): a header, the priorities and a CRC-32 of everything before it.
std::string EncodePrioritySnapshot(const PrioritySnapshot& snapshot);
// InvalidArgument, saying why, unless `bytes` are one whole, undamaged snapshot of a store of `capacity`
// whose values are in range (every p_i and the maximum positive and at most 1e30, at most `capacity` p_i).
StatusOr<PrioritySnapshot> DecodePrioritySnapshot(std::string_view bytes, uint64_t capacity);

// Writes dir/PRIORITIES so that a crash leaves the old snapshot or the whole new one (a temporary file,
// fdatasync'd, renamed, the directory fsync'd). Unavailable, naming the file and the error, if that fails.
Status WritePrioritySnapshot(const std::string& dir, const PrioritySnapshot& snapshot);
// dir/PRIORITIES decoded; nullopt if there is none. An error Status, naming the file and saying why, if it
// cannot be read or does not decode.
StatusOr<std::optional<PrioritySnapshot>> ReadPrioritySnapshot(const std::string& dir, uint64_t capacity);

}  // namespace ddpg
