#include "envs/recsys/movies.h"

#include <charconv>
#include <fstream>
#include <optional>
#include <sstream>
#include <vector>

namespace ddpg::recsys {
namespace {

// The fields of one CSV line, quotes removed and `""` unescaped; nothing for an unterminated quote. Quoted
// fields are told apart so that a quoted "NA" stays a title.
struct Field {
  std::string text;
  bool quoted = false;
};

std::optional<std::vector<Field>> SplitCsv(std::string_view line) {
  std::vector<Field> fields(1);
  bool in_quotes = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (in_quotes) {
      if (c != '"') {
        fields.back().text.push_back(c);
      } else if (i + 1 < line.size() && line[i + 1] == '"') {
        fields.back().text.push_back('"');
        ++i;
      } else {
        in_quotes = false;
      }
    } else if (c == '"') {
      in_quotes = true;
      fields.back().quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else {
      fields.back().text.push_back(c);
    }
  }
  if (in_quotes) return std::nullopt;
  return fields;
}

std::string Value(const Field& field) { return !field.quoted && field.text == "NA" ? std::string() : field.text; }

}  // namespace

StatusOr<std::unordered_map<int64_t, Movie>> ParseMovies(std::string_view text, const std::string& source) {
  std::unordered_map<int64_t, Movie> movies;
  std::optional<bool> with_year;  // decided by the header
  size_t line_number = 0;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    const std::string where = source + ":" + std::to_string(line_number) + ": ";
    const std::optional<std::vector<Field>> fields = SplitCsv(line);
    if (!fields) return InvalidArgument(where + "a quoted field is not closed");
    if (!with_year) {
      std::vector<std::string> names;
      for (const Field& field : *fields) names.push_back(field.text);
      if (names == std::vector<std::string>{"movieId", "title", "year", "genres"}) {
        with_year = true;
      } else if (names == std::vector<std::string>{"movieId", "title", "genres"}) {
        with_year = false;
      } else {
        return InvalidArgument(where + "expected the header movieId,title,year,genres or movieId,title,genres");
      }
      continue;
    }
    const size_t expected = *with_year ? 4 : 3;
    if (fields->size() != expected) {
      return InvalidArgument(where + std::to_string(fields->size()) + " fields, expected " + std::to_string(expected));
    }
    const std::string& id_text = (*fields)[0].text;
    int64_t id = -1;
    const auto [id_end, error] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), id);
    if (error != std::errc() || id_end != id_text.data() + id_text.size() || id < 0) {
      return InvalidArgument(where + "movie id '" + id_text + "' is not a non-negative integer");
    }
    Movie movie{Value((*fields)[1]), *with_year ? Value((*fields)[2]) : std::string(), Value(fields->back())};
    if (!movies.emplace(id, std::move(movie)).second) {
      return InvalidArgument(where + "movie " + id_text + " appears twice");
    }
  }
  if (!with_year) return InvalidArgument(source + ": empty file, expected the header movieId,title,year,genres");
  return movies;
}

StatusOr<std::unordered_map<int64_t, Movie>> LoadMovies(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return NotFound("movies file " + path + " cannot be read (scripts/get-movielens.sh writes it)");
  std::ostringstream text;
  text << file.rdbuf();
  return ParseMovies(text.str(), path);
}

}  // namespace ddpg::recsys
