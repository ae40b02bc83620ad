#include "envs/recsys/ratings.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <tuple>
#include <utility>

namespace ddpg::recsys {
namespace {

enum class Layout { kCsv, kDoubleColon, kTab };

struct LayoutDescription {
  std::string_view separator;
  std::string_view fields;  // what a line holds, for error messages
};

LayoutDescription Describe(Layout layout) {
  switch (layout) {
    case Layout::kCsv: return {",", "userId,movieId,rating,timestamp"};
    case Layout::kDoubleColon: return {"::", "UserID::MovieID::Rating::Timestamp"};
    case Layout::kTab: return {"\t", "user id, item id, rating, timestamp separated by tabs"};
  }
  return {",", ""};
}

std::vector<std::string_view> Split(std::string_view line, std::string_view separator) {
  std::vector<std::string_view> fields;
  size_t start = 0;
  while (true) {
    const size_t end = line.find(separator, start);
    fields.push_back(line.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) return fields;
    start = end + separator.size();
  }
}

bool ParseNonNegative(std::string_view text, int64_t& value) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size() && value >= 0;
}

bool ParseFloat(std::string_view text, float& value) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size();
}

std::string Quoted(std::string_view text) {
  std::string quoted(1, '\'');
  quoted.append(text).push_back('\'');
  return quoted;
}

}  // namespace

StatusOr<std::vector<Rating>> ParseRatings(std::string_view text, const std::string& source) {
  std::vector<Rating> ratings;
  std::map<std::pair<int64_t, int64_t>, size_t> line_of_pair;  // (user, item) -> the line that rated it
  std::optional<Layout> layout;
  size_t line_number = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    const auto error = [&](const std::string& what) {
      return InvalidArgument(source + ":" + std::to_string(line_number) + ": " + what);
    };

    if (!layout) {
      if (line.find("::") != std::string_view::npos) {
        layout = Layout::kDoubleColon;
      } else if (line.find('\t') != std::string_view::npos) {
        layout = Layout::kTab;
      } else {
        layout = Layout::kCsv;
        if (line != "userId,movieId,rating,timestamp" && line != "userId,itemId,rating,timestamp") {
          return error(
              "expected the header userId,movieId,rating,timestamp (or a file in the '::' or tab "
              "layout), found " +
              Quoted(line));
        }
        continue;
      }
    }
    const LayoutDescription layout_description = Describe(*layout);
    const std::vector<std::string_view> fields = Split(line, layout_description.separator);
    if (fields.size() != 4) {
      return error("expected 4 fields (" + std::string(layout_description.fields) + "), found " +
                   std::to_string(fields.size()));
    }
    Rating rating;
    if (!ParseNonNegative(fields[0], rating.user)) {
      return error("user id " + Quoted(fields[0]) + " is not a non-negative integer");
    }
    if (!ParseNonNegative(fields[1], rating.item)) {
      return error("item id " + Quoted(fields[1]) + " is not a non-negative integer");
    }
    if (!ParseFloat(fields[2], rating.rating) || !std::isfinite(rating.rating)) {
      return error("rating " + Quoted(fields[2]) + " is not a number");
    }
    if (rating.rating < kMinRating || rating.rating > kMaxRating) {
      return error("rating " + Quoted(fields[2]) + " lies outside [0.5, 5]");
    }
    if (!ParseNonNegative(fields[3], rating.timestamp)) {
      return error("timestamp " + Quoted(fields[3]) + " is not a non-negative integer (seconds since 1970)");
    }
    const auto [previous, inserted] = line_of_pair.emplace(std::make_pair(rating.user, rating.item), line_number);
    if (!inserted) {
      return error("user " + std::to_string(rating.user) + " rated item " + std::to_string(rating.item) +
                   " already on line " + std::to_string(previous->second));
    }
    ratings.push_back(rating);
  }
  if (ratings.empty()) return InvalidArgument(source + ": holds no ratings");
  return ratings;
}

StatusOr<std::vector<Rating>> LoadRatings(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return NotFound("cannot open the ratings file " + path + " (scripts/get-movielens.sh writes one)");
  std::stringstream text;
  text << file.rdbuf();
  return ParseRatings(text.str(), path);
}

StatusOr<RatingsSplit> SplitByUserTime(std::vector<Rating> ratings, double train_fraction) {
  if (!(train_fraction > 0.0 && train_fraction <= 1.0)) {
    return InvalidArgument("the training fraction must lie in (0, 1], got " + std::to_string(train_fraction));
  }
  std::sort(ratings.begin(), ratings.end(), [](const Rating& a, const Rating& b) {
    return std::tie(a.user, a.timestamp, a.item) < std::tie(b.user, b.timestamp, b.item);
  });
  RatingsSplit split;
  for (size_t first = 0; first < ratings.size();) {
    size_t last = first;
    while (last < ratings.size() && ratings[last].user == ratings[first].user) ++last;
    const size_t count = last - first;
    // The small epsilon keeps e.g. 0.7 × 10 (6.9999… in binary) at 7.
    const size_t train_count =
        std::max<size_t>(1, static_cast<size_t>(std::floor(train_fraction * static_cast<double>(count) + 1e-9)));
    split.train.insert(split.train.end(), ratings.begin() + first, ratings.begin() + first + train_count);
    split.test.insert(split.test.end(), ratings.begin() + first + train_count, ratings.begin() + last);
    first = last;
  }
  return split;
}

}  // namespace ddpg::recsys
