#include "replay_server/duplicate_filter.h"

#include <catch2/catch.hpp>

namespace ddpg {
namespace {

constexpr uint64_t kWindow = DuplicateFilter::kWindow;
constexpr uint64_t kIncarnation = 0x1234abcd;

TEST_CASE("a recorded chunk is a duplicate, for its own actor only", "[duplicate_filter]") {
  DuplicateFilter filter;
  CHECK_FALSE(filter.Contains(1, kIncarnation, 0));
  filter.Record(1, kIncarnation, 0);
  CHECK(filter.Contains(1, kIncarnation, 0));
  CHECK_FALSE(filter.Contains(2, kIncarnation, 0));
  CHECK_FALSE(filter.Contains(1, kIncarnation, 1));
}

TEST_CASE("a restarted actor process is not taken for its former self", "[duplicate_filter]") {
  DuplicateFilter filter;
  filter.Record(1, kIncarnation, 0);
  filter.Record(1, kIncarnation, 1);
  CHECK_FALSE(filter.Contains(1, kIncarnation + 1, 0));
  filter.Record(1, kIncarnation + 1, 0);
  CHECK(filter.Contains(1, kIncarnation + 1, 0));
  CHECK_FALSE(filter.Contains(1, kIncarnation + 1, 1));
  CHECK(filter.Contains(1, kIncarnation, 1));
}

TEST_CASE("chunks recorded out of order are each remembered, gaps are not", "[duplicate_filter]") {
  DuplicateFilter filter;
  filter.Record(3, kIncarnation, 10);
  filter.Record(3, kIncarnation, 5);
  filter.Record(3, kIncarnation, 12);
  CHECK(filter.Contains(3, kIncarnation, 5));
  CHECK(filter.Contains(3, kIncarnation, 10));
  CHECK(filter.Contains(3, kIncarnation, 12));
  CHECK_FALSE(filter.Contains(3, kIncarnation, 6));
  CHECK_FALSE(filter.Contains(3, kIncarnation, 11));
  CHECK_FALSE(filter.Contains(3, kIncarnation, 13));
}

TEST_CASE("sequence numbers older than the window count as duplicates", "[duplicate_filter]") {
  DuplicateFilter filter;
  filter.Record(0, kIncarnation, 5000);
  // 5000 - 904 = kWindow: just outside the window, presumed stored long ago.
  CHECK(filter.Contains(0, kIncarnation, 5000 - kWindow));
  CHECK(filter.Contains(0, kIncarnation, 0));
  // 5000 - 905 = kWindow - 1: inside, and never recorded.
  CHECK_FALSE(filter.Contains(0, kIncarnation, 5000 - kWindow + 1));
}

TEST_CASE("bits reused as the window advances do not remember the sequence numbers that left it",
          "[duplicate_filter]") {
  DuplicateFilter filter;
  filter.Record(0, kIncarnation, 5);
  filter.Record(0, kIncarnation, 4100);  // 5 is still inside the window (4100 - 5 < kWindow)
  CHECK(filter.Contains(0, kIncarnation, 5));
  filter.Record(0, kIncarnation, 4102);  // passes 4101, whose bit 5 % kWindow used to mean 5
  CHECK_FALSE(filter.Contains(0, kIncarnation, 4101));
  CHECK(filter.Contains(0, kIncarnation, 4102));
  CHECK(filter.Contains(0, kIncarnation, 4100));
}

TEST_CASE("a jump beyond the window forgets everything before it", "[duplicate_filter]") {
  DuplicateFilter filter;
  filter.Record(0, kIncarnation, 3);
  filter.Record(0, kIncarnation, 4);
  filter.Record(0, kIncarnation, 3 + 3 * kWindow);
  // The window is now (3 + 2 * kWindow, 3 + 3 * kWindow]; 4 + 2 * kWindow shares 4's bit and was never sent.
  CHECK_FALSE(filter.Contains(0, kIncarnation, 4 + 2 * kWindow));
  CHECK(filter.Contains(0, kIncarnation, 3 + 3 * kWindow));
  CHECK(filter.Contains(0, kIncarnation, 4));
}

TEST_CASE("recording a sequence number below the window changes nothing", "[duplicate_filter]") {
  DuplicateFilter filter;
  filter.Record(0, kIncarnation, 2 * kWindow);
  filter.Record(0, kIncarnation, 1);  // below the window; its bit now belongs to kWindow + 1
  CHECK(filter.Contains(0, kIncarnation, 1));
  CHECK_FALSE(filter.Contains(0, kIncarnation, kWindow + 1));
}

TEST_CASE(
    "the filter keeps at most kMaxActorProcesses actor processes, forgetting the one that recorded least "
    "recently",
    "[duplicate_filter]") {
  DuplicateFilter filter;
  filter.Record(0, 7, 1);  // a live actor: it keeps recording below
  for (uint64_t incarnation = 100; incarnation < 100 + DuplicateFilter::kMaxActorProcesses; ++incarnation) {
    filter.Record(1, incarnation, 0);  // restarted processes of another actor, one chunk each
    if (incarnation % 100 == 0) filter.Record(0, 7, 2 + incarnation);
  }
  CHECK(filter.actor_processes() == DuplicateFilter::kMaxActorProcesses);
  CHECK(filter.Contains(0, 7, 4102));       // the live actor's window survived
  CHECK_FALSE(filter.Contains(1, 100, 0));  // the oldest dead process was forgotten
  CHECK(filter.Contains(1, 101, 0));
  CHECK(filter.Contains(1, 100 + DuplicateFilter::kMaxActorProcesses - 1, 0));
}

}  // namespace
}  // namespace ddpg
