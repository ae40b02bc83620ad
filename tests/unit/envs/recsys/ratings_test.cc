// The ratings loader and the per-user time split (envs/recsys/ratings.h).
#include "envs/recsys/ratings.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <tuple>

#include <unistd.h>

using ddpg::StatusCode;
using ddpg::recsys::LoadRatings;
using ddpg::recsys::ParseRatings;
using ddpg::recsys::Rating;
using ddpg::recsys::SplitByUserTime;

namespace {

const std::vector<Rating> kThreeRatings = {{1, 31, 2.5f, 1260759144}, {1, 1029, 3.0f, 1260759179}, {7, 31, 5.0f, 5}};

std::string ErrorOf(std::string_view text) {
  auto ratings = ParseRatings(text, "r.csv");
  REQUIRE_FALSE(ratings.ok());
  CHECK(ratings.status().code() == StatusCode::kInvalidArgument);
  return ratings.status().message();
}

}  // namespace

TEST_CASE("the three MovieLens layouts give the same ratings") {
  const auto csv = ParseRatings(
      "userId,movieId,rating,timestamp\n1,31,2.5,1260759144\n1,1029,3.0,1260759179\n7,31,5,5\n", "ratings.csv");
  const auto ml_1m = ParseRatings("1::31::2.5::1260759144\n1::1029::3::1260759179\n7::31::5::5\n", "ratings.dat");
  const auto ml_100k = ParseRatings("1\t31\t2.5\t1260759144\r\n1\t1029\t3\t1260759179\r\n\r\n7\t31\t5\t5", "u.data");
  REQUIRE(csv.ok());
  REQUIRE(ml_1m.ok());
  REQUIRE(ml_100k.ok());
  CHECK(*csv == kThreeRatings);
  CHECK(*ml_1m == kThreeRatings);
  CHECK(*ml_100k == kThreeRatings);
  CHECK(ParseRatings("userId,itemId,rating,timestamp\n1,31,2.5,1260759144\n", "r.csv").ok());
}

TEST_CASE("a malformed ratings line is refused with its line number and what is wrong") {
  const std::string header = "userId,movieId,rating,timestamp\n";
  CHECK(ErrorOf(header + "1,31,2.5,100\n1,32,2.5\n") ==
        "r.csv:3: expected 4 fields (userId,movieId,rating,timestamp), found 3");
  CHECK(ErrorOf(header + "1,31,2.5,100,9\n").find("r.csv:2: expected 4 fields") == 0);
  CHECK(ErrorOf(header + "x,31,2.5,100\n") == "r.csv:2: user id 'x' is not a non-negative integer");
  CHECK(ErrorOf(header + "-1,31,2.5,100\n") == "r.csv:2: user id '-1' is not a non-negative integer");
  CHECK(ErrorOf(header + "1,3.5,2.5,100\n") == "r.csv:2: item id '3.5' is not a non-negative integer");
  CHECK(ErrorOf(header + "1,31,good,100\n") == "r.csv:2: rating 'good' is not a number");
  CHECK(ErrorOf(header + "1,31,nan,100\n") == "r.csv:2: rating 'nan' is not a number");
  CHECK(ErrorOf(header + "1,31,5.5,100\n") == "r.csv:2: rating '5.5' lies outside [0.5, 5]");
  CHECK(ErrorOf(header + "1,31,0,100\n") == "r.csv:2: rating '0' lies outside [0.5, 5]");
  CHECK(ErrorOf(header + "1,31,4,yesterday\n").find("r.csv:2: timestamp 'yesterday' is not") == 0);
  CHECK(ErrorOf(header + "1,31,4,100\n\n1,31,3,200\n") == "r.csv:4: user 1 rated item 31 already on line 2");
  CHECK(ErrorOf("user,item,rating\n1,31,4,100\n").find("r.csv:1: expected the header") == 0);
  CHECK(ErrorOf("1::31::4\n") == "r.csv:1: expected 4 fields (UserID::MovieID::Rating::Timestamp), found 3");
  CHECK(ErrorOf(header) == "r.csv: holds no ratings");
  CHECK(ErrorOf("") == "r.csv: holds no ratings");
}

TEST_CASE("a missing ratings file is refused naming the path and the script that writes one") {
  const auto ratings = LoadRatings("/nonexistent/ratings.csv");
  REQUIRE_FALSE(ratings.ok());
  CHECK(ratings.status().code() == StatusCode::kNotFound);
  CHECK(ratings.status().message().find("/nonexistent/ratings.csv") != std::string::npos);
  CHECK(ratings.status().message().find("scripts/get-movielens.sh") != std::string::npos);
}

TEST_CASE("each user's oldest ratings train and the newest test, 80/20 by count") {
  // User 1: ten ratings given in a shuffled order; user 2: two ratings at the same time; user 3: one.
  std::vector<Rating> ratings;
  for (int64_t t : {5, 2, 9, 0, 7, 1, 8, 3, 6, 4}) ratings.push_back({1, 100 + t, 4.0f, 1000 + t});
  ratings.push_back({2, 8, 3.0f, 50});
  ratings.push_back({2, 7, 3.0f, 50});
  ratings.push_back({3, 1, 1.0f, 10});
  const auto split = SplitByUserTime(ratings, 0.8);
  REQUIRE(split.ok());

  std::vector<int64_t> train_items_of_user_1, test_items_of_user_1;
  for (const Rating& r : split->train) {
    if (r.user == 1) train_items_of_user_1.push_back(r.item);
  }
  for (const Rating& r : split->test) {
    if (r.user == 1) test_items_of_user_1.push_back(r.item);
  }
  CHECK(train_items_of_user_1 == std::vector<int64_t>{100, 101, 102, 103, 104, 105, 106, 107});
  CHECK(test_items_of_user_1 == std::vector<int64_t>{108, 109});
  // floor(0.8 × 2) = 1: the tie at time 50 goes by item id, the lower one trains.
  CHECK(std::count_if(split->train.begin(), split->train.end(),
                      [](const Rating& r) { return r.user == 2 && r.item == 7; }) == 1);
  CHECK(std::count_if(split->test.begin(), split->test.end(),
                      [](const Rating& r) { return r.user == 2 && r.item == 8; }) == 1);
  // A single rating always trains.
  CHECK(std::none_of(split->test.begin(), split->test.end(), [](const Rating& r) { return r.user == 3; }));
  CHECK(split->train.size() + split->test.size() == ratings.size());
}

TEST_CASE("the split leaks no test rating into training and keeps every rating once") {
  // A pseudo-random log: 50 users, up to 40 ratings each, times drawn with repeats.
  std::vector<Rating> ratings;
  uint64_t state = 12345;
  const auto next = [&state] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return state >> 33;
  };
  for (int64_t user = 0; user < 50; ++user) {
    std::set<int64_t> items;
    const uint64_t count = 1 + next() % 40;
    while (items.size() < count) items.insert(static_cast<int64_t>(next() % 500));
    for (int64_t item : items)
      ratings.push_back({user, item, 0.5f + static_cast<float>(next() % 10) / 2, static_cast<int64_t>(next() % 30)});
  }
  for (double fraction : {0.5, 0.7, 0.8, 1.0}) {
    const auto split = SplitByUserTime(ratings, fraction);
    REQUIRE(split.ok());
    std::map<int64_t, std::pair<int64_t, int64_t>> newest_train;  // user -> (timestamp, item) of its newest
    std::map<int64_t, size_t> train_count, total_count;
    for (const Rating& r : ratings) ++total_count[r.user];
    for (const Rating& r : split->train) {
      ++train_count[r.user];
      auto& newest = newest_train[r.user];
      newest = std::max(newest, std::make_pair(r.timestamp, r.item));
    }
    std::set<std::pair<int64_t, int64_t>> train_pairs, test_pairs;
    for (const Rating& r : split->train) train_pairs.insert({r.user, r.item});
    for (const Rating& r : split->test) {
      test_pairs.insert({r.user, r.item});
      CHECK(std::make_pair(r.timestamp, r.item) > newest_train.at(r.user));
      CHECK(train_pairs.count({r.user, r.item}) == 0);
    }
    CHECK(train_pairs.size() + test_pairs.size() == ratings.size());
    for (const auto& [user, total] : total_count) {
      const size_t expected = std::max<size_t>(1, static_cast<size_t>(std::floor(fraction * total + 1e-9)));
      CHECK(train_count[user] == expected);
    }
  }
  CHECK_FALSE(SplitByUserTime(ratings, 0.0).ok());
  CHECK_FALSE(SplitByUserTime(ratings, 1.5).ok());
}

TEST_CASE("scripts/get-movielens.sh writes ml-latest-small as the loader reads it") {
  if (std::system("Rscript -e 'library(dslabs)' >/dev/null 2>&1") != 0) {
    WARN("R's dslabs package (Debian's r-cran-dslabs) is not installed: the real data is not checked");
    return;
  }
  const std::filesystem::path out = std::filesystem::temp_directory_path() / ("movielens-" + std::to_string(getpid()));
  const std::string command = "bash " DDPG_SOURCE_DIR "/scripts/get-movielens.sh " + out.string() + " >/dev/null 2>&1";
  REQUIRE(std::system(command.c_str()) == 0);
  const auto ratings = LoadRatings((out / "ratings.csv").string());
  std::filesystem::remove_all(out);
  REQUIRE(ratings.ok());
  std::set<int64_t> users, items;
  for (const Rating& r : *ratings) {
    users.insert(r.user);
    items.insert(r.item);
  }
  CHECK(ratings->size() == 100004);
  CHECK(users.size() == 671);
  CHECK(items.size() == 9066);
}
