// Recovery: the replay server's state read back from its replay log at start-up (replay.durability = disk).
//
// RecoverLog prepares replay.data_dir (PrepareDataDir: the directory, its MANIFEST), then reads the segments
// in order (docs/replay-log.md, "Reading"): the oldest segment's filter record becomes the duplicate filter,
// and every chunk record is inserted into the store and recorded in the filter, so that afterwards the
// store holds the newest `capacity` transitions the log holds, total_inserted goes on from the last one, and
// every chunk in the log is a duplicate. A record that does not check out at the end of the newest segment
// is the torn end of the commit a crash cut off: it and everything after it are dropped, the file is
// truncated there and the drop is logged. Anywhere else it is damage, and RecoverLog fails, naming the file
// and offset, rather than start without what follows. So does a gap between segments or between the
// transitions of consecutive chunks.
//
// RecoverPriorities then gives prioritized replay its priorities back from the last priority snapshot
// (priority_snapshot.h), which names transitions by number: transition n of the log is in slot
// (n - the first recovered transition's number) mod capacity, since the store fills from slot 0 (SlotOf). The
// snapshot is not part of the log's guarantee: one that is missing, damaged or of other transitions only
// costs the priorities (they start at 1 as without one), so it is reported and the server starts anyway.
//
// Ownership: fills the caller's store and filter, which must be empty. Blocking: reads every segment, which
// takes as long as the disk needs for capacity transitions (bench/README.md). Thread-safety: call once,
// before the service runs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "replay_server/duplicate_filter.h"
#include "replay_server/segment_log.h"
#include "replay_server/transition_store.h"

namespace ddpg {

struct RecoveredLog {
  std::vector<SegmentFile> segments;  // oldest first, each whole; appending continues in the last
  uint64_t next_chunk = 1;            // the number the next chunk appended gets
  uint64_t chunks = 0;                // chunk records read
  uint64_t transitions = 0;           // transitions in them
  uint64_t dropped_bytes = 0;         // of a torn end of the newest segment
};

StatusOr<RecoveredLog> RecoverLog(const std::string& dir, const LogManifest& manifest, TransitionStore& store,
                                  DuplicateFilter& filter);

// After RecoverLog, on a prioritized store: restores the priorities of the recovered transitions that
// dir/PRIORITIES covers, the maximum priority (which the transitions stored after the snapshot get) and the
// batch count beta is annealed by, and logs what it restored and the snapshot's age. Returns how many
// priorities it restored: none, with a warning naming the file and why, if the snapshot cannot be read, is
// damaged, is of another capacity or covers transitions beyond the end of the log (it is not of this log);
// none, silently, if there is no snapshot.
size_t RecoverPriorities(const std::string& dir, TransitionStore& store);

}  // namespace ddpg
