// Movie titles (envs/recsys/movies.h) as scripts/get-movielens.sh writes them with R's write.csv, as ml-latest
// has them, and the errors of malformed files.
#include "envs/recsys/movies.h"

#include <catch2/catch.hpp>

using namespace ddpg::recsys;

TEST_CASE("movies: R's write.csv with quotes, commas and NA", "[movies]") {
  const auto movies = ParseMovies(
      "\"movieId\",\"title\",\"year\",\"genres\"\r\n"
      "1,\"Toy Story\",1995,\"Adventure|Animation\"\n"
      "7789,\"11'09\"\"01 - September 11\",2002,\"Drama\"\n"
      "51372,\"\"\"Great Performances\"\" Cats, the musical\",1998,\"Musical\"\n"
      "108548,NA,NA,\"Comedy\"\n"
      "9,\"NA\",2000,\"(no genres listed)\"\n\n",
      "movies.csv");
  INFO(movies.status().message());
  REQUIRE(movies.ok());
  REQUIRE(movies->size() == 5);
  CHECK(movies->at(1).title == "Toy Story");
  CHECK(movies->at(1).year == "1995");
  CHECK(movies->at(1).genres == "Adventure|Animation");
  CHECK(movies->at(7789).title == "11'09\"01 - September 11");
  CHECK(movies->at(51372).title == "\"Great Performances\" Cats, the musical");
  CHECK(movies->at(108548).title.empty());
  CHECK(movies->at(108548).year.empty());
  CHECK(movies->at(9).title == "NA");  // quoted: a title, not a missing value
}

TEST_CASE("movies: the ml-latest layout without a year", "[movies]") {
  const auto movies = ParseMovies("movieId,title,genres\n2,\"Jumanji (1995)\",Adventure|Children\n", "m.csv");
  REQUIRE(movies.ok());
  CHECK(movies->at(2).title == "Jumanji (1995)");
  CHECK(movies->at(2).year.empty());
  CHECK(movies->at(2).genres == "Adventure|Children");
}

TEST_CASE("movies: errors name the line and what is wrong", "[movies]") {
  const auto message = [](const char* text) { return ParseMovies(text, "m.csv").status().message(); };
  CHECK(message("userId,movieId\n") ==
        "m.csv:1: expected the header movieId,title,year,genres or movieId,title,genres");
  CHECK(message("movieId,title,genres\n1,\"A\",Drama\n2,\"B,Drama\n") == "m.csv:3: a quoted field is not closed");
  CHECK(message("movieId,title,genres\n1,A,B,Drama\n") == "m.csv:2: 4 fields, expected 3");
  CHECK(message("movieId,title,genres\nx1,A,Drama\n") == "m.csv:2: movie id 'x1' is not a non-negative integer");
  CHECK(message("movieId,title,genres\n1,A,Drama\n\n1,B,Drama\n") == "m.csv:4: movie 1 appears twice");
  CHECK(message("") == "m.csv: empty file, expected the header movieId,title,year,genres");
  const auto missing = LoadMovies("/nonexistent/movies.csv");
  CHECK(missing.status().code() == ddpg::StatusCode::kNotFound);
  CHECK_THAT(missing.status().message(), Catch::Contains("scripts/get-movielens.sh writes it"));
}
