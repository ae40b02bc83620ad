#!/usr/bin/env bash
# Writes MovieLens ml-latest-small (100,004 ratings by 671 users of 9,066 movies, GroupLens) from the copy
# that Debian's r-cran-dslabs ships as an R data set:
#   OUT/ratings.csv  userId,movieId,rating,timestamp
#   OUT/movies.csv   movieId,title,year,genres (strings in double quotes, as R's write.csv writes them)
# OUT is data/movielens unless given. Installs r-cran-dslabs (with R) when it is missing, with apt-get as
# root or through sudo. The data is not part of the repository: GroupLens' terms do not allow
# redistributing it.
#
#   scripts/get-movielens.sh [OUT]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-data/movielens}

if ! Rscript -e 'library(dslabs)' >/dev/null 2>&1; then
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "get-movielens: r-cran-dslabs is missing and installing it needs root" >&2; exit 1; }
    sudo=(sudo)
  fi
  echo "get-movielens: installing Debian's r-cran-dslabs" >&2
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends r-cran-dslabs >&2
fi

mkdir -p "$out"
# Written under temporary names and renamed, so that an interrupted run leaves no half-written file.
Rscript -e '
  out <- commandArgs(trailingOnly = TRUE)[1]
  data("movielens", package = "dslabs")
  ratings <- movielens[order(movielens$userId, movielens$timestamp, movielens$movieId),
                       c("userId", "movieId", "rating", "timestamp")]
  write.csv(ratings, file.path(out, "ratings.csv.tmp"), row.names = FALSE, quote = FALSE)
  movies <- unique(movielens[, c("movieId", "title", "year", "genres")])
  write.csv(movies[order(movies$movieId), ], file.path(out, "movies.csv.tmp"), row.names = FALSE)
  cat(sprintf("get-movielens: %d ratings by %d users of %d movies\n", nrow(ratings),
              length(unique(ratings$userId)), nrow(movies)), file = stderr())
' "$out"
mv "$out/ratings.csv.tmp" "$out/ratings.csv"
mv "$out/movies.csv.tmp" "$out/movies.csv"
echo "$out/ratings.csv"
echo "$out/movies.csv"
