// Movie titles and genres for showing recommendations to a person: the movies.csv that scripts/get-movielens.sh
// writes (R's write.csv: a header `"movieId","title","year","genres"`, strings in double quotes with `""` for a
// quote inside, NA for a missing value) and the ml-latest `movieId,title,genres` layout.
//
// A plain function over values: no threads, no state. The file is read whole into memory.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/status.h"

namespace ddpg::recsys {

struct Movie {
  std::string title;   // "" when the file has NA
  std::string year;    // "" when the file has none
  std::string genres;  // as the file has them, e.g. "Comedy|Romance"
};

// NotFound for a missing file; InvalidArgument "<source>:<line>: <what is wrong>" for an unknown header, a
// row with the wrong number of fields, an unterminated quote, a bad or repeated movie id.
StatusOr<std::unordered_map<int64_t, Movie>> LoadMovies(const std::string& path);
StatusOr<std::unordered_map<int64_t, Movie>> ParseMovies(std::string_view text, const std::string& source);

}  // namespace ddpg::recsys
