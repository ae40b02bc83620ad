// Logged ratings, as MovieLens publishes them: loading a ratings file with errors that name the line and
// what is wrong with it, and splitting every user's history by time into a training and a test part.
//
// Plain functions over values: no threads, no state. A file is read whole into memory (ml-latest-small
// holds 100,004 ratings, ml-1m 1,000,209).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace ddpg::recsys {

// One user's rating of one item, with the ids as the file has them.
struct Rating {
  int64_t user = 0;
  int64_t item = 0;
  float rating = 0;
  int64_t timestamp = 0;  // seconds since the Unix epoch

  bool operator==(const Rating&) const = default;
};

// MovieLens' ratings files come in three layouts, told apart by their first line:
//   ml-latest(-small)  ratings.csv, a header `userId,movieId,rating,timestamp` (`itemId` is accepted for
//                      `movieId`), then one comma-separated rating per line
//   ml-1m              ratings.dat, `UserID::MovieID::Rating::Timestamp`, no header
//   ml-100k            u.data, user id, item id, rating and timestamp separated by tabs, no header
// Ids and timestamps are non-negative integers and ratings lie in [kMinRating, kMaxRating]; a user rates
// an item at most once. Blank lines and a trailing '\r' (Windows line ends) are ignored. Anything else is
// refused with InvalidArgument, "<source>:<line>: <what is wrong>"; a missing file with NotFound.
inline constexpr float kMinRating = 0.5f;
inline constexpr float kMaxRating = 5.0f;

StatusOr<std::vector<Rating>> LoadRatings(const std::string& path);
// The same from text in memory; `source` names it in error messages.
StatusOr<std::vector<Rating>> ParseRatings(std::string_view text, const std::string& source);

struct RatingsSplit {
  std::vector<Rating> train;
  std::vector<Rating> test;
};

// Splits every user's ratings by time: ordered by timestamp (ties by item id, so the split does not depend
// on the file's order), the first max(1, floor(train_fraction × n)) of a user's n ratings go to `train`,
// the rest to `test`. So no test rating of a user is older than any of that user's training ratings, and a
// user with one rating has no test part. Both parts come out ordered by (user, timestamp, item).
// train_fraction must lie in (0, 1].
StatusOr<RatingsSplit> SplitByUserTime(std::vector<Rating> ratings, double train_fraction);

}  // namespace ddpg::recsys
