// The text file a fitted matrix factorization is saved in (Factorization::Save), read without LibTorch: the
// spec table and MovieLens-Offline-v0 need the factors in processes that link no LibTorch.
//
//   ddpg-factorization VERSION DIM MEAN USERS ITEMS
//   u ID BIAS F_1 .. F_DIM     (one line per user)
//   i ID BIAS F_1 .. F_DIM     (one line per item)
//
// A plain function over values: no threads, no state.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace ddpg::recsys {

inline constexpr char kFactorizationMagic[] = "ddpg-factorization";
inline constexpr int kFactorizationFormatVersion = 1;

// Rows in file order; factors row-major, dim per row.
struct FactorizationFile {
  int dim = 0;
  float global_mean = 0;
  std::vector<int64_t> users, items;
  std::vector<float> user_bias, item_bias;
  std::vector<float> user_factors, item_factors;
};

// NotFound for a missing file; InvalidArgument "<path>:<line>: <what is wrong>" for anything malformed (a bad
// header, a missing or non-finite factor, an id twice, fewer rows than the header announces).
StatusOr<FactorizationFile> LoadFactorizationFile(const std::string& path);

}  // namespace ddpg::recsys
