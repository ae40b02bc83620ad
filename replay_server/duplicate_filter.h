// DuplicateFilter: which chunks the replay server has already stored.
//
// A chunk is named by (actor id, incarnation, sequence number); the incarnation is drawn at random when an
// actor process starts, so each actor process has its own sequence numbers. Actors resend every chunk
// that was not acknowledged (after a reconnect, or when an ack was lost), so the server sees some chunks
// twice and must store them once. Memory is bounded per actor process: the filter keeps its highest
// sequence number seen and a bitmap of which of the kWindow sequence numbers ending there were recorded.
// Anything older than that window counts as already stored. That is safe because an actor never has more
// than actor.max_chunks_in_flight (at most 1024) chunks unacknowledged, so it never resends a chunk that
// far behind its newest one.
//
// The windows of at most kMaxActorProcesses actor processes are kept: beyond that, the process that
// recorded least recently is forgotten. Processes that died (a crash, a restart with a new incarnation)
// stop recording, so they are the ones forgotten; a live actor records a chunk every few milliseconds.
//
// With replay.durability = disk the filter's state is saved at the head of every segment of the replay log
// (Save) and loaded back at start-up (Restore), so that chunks stored before a restart stay duplicates
// after it (docs/replay-log.md).
//
// Ownership: plain value, about kWindow / 8 bytes per actor process kept (at most about 2.2 MB).
// Blocking: never blocks. Thread-safety: not thread-safe; the replay service thread owns one, the replay
// log's writing thread its own copy.
#pragma once

#include <bitset>
#include <cstdint>
#include <map>
#include <utility>
#include <vector>

namespace ddpg {

class DuplicateFilter {
 public:
  static constexpr uint64_t kWindow = 4096;
  static constexpr size_t kMaxActorProcesses = 4096;

  // True if the chunk was recorded, or is more than kWindow sequence numbers below the newest one
  // recorded for its actor process.
  bool Contains(uint32_t actor_id, uint64_t incarnation, uint64_t sequence) const;
  void Record(uint32_t actor_id, uint64_t incarnation, uint64_t sequence);

  size_t actor_processes() const { return windows_.size(); }

  // What the filter knows of one actor process.
  struct ProcessState {
    uint32_t actor_id = 0;
    uint64_t incarnation = 0;
    uint64_t highest = 0;
    std::bitset<kWindow> recorded;  // bit (s % kWindow) for the recorded s in (highest - kWindow, highest]
    bool operator==(const ProcessState&) const = default;
  };
  // Every actor process kept, the one that recorded least recently first.
  std::vector<ProcessState> Save() const;
  // Replaces everything with `processes` (as Save returns them: the least recent first), so that the filter
  // answers Contains and forgets processes as the saved one would have.
  void Restore(const std::vector<ProcessState>& processes);

 private:
  struct Window {
    uint64_t highest = 0;
    std::bitset<kWindow> recorded;  // bit (s % kWindow) for s in (highest - kWindow, highest]
    uint64_t last_record = 0;       // Record calls so far, when this process last recorded
  };
  using ActorProcess = std::pair<uint32_t, uint64_t>;  // (actor id, incarnation)

  void ForgetLeastRecent();

  std::map<ActorProcess, Window> windows_;
  uint64_t records_ = 0;
};

}  // namespace ddpg
