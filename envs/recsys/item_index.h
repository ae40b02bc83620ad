// From an action vector to catalogue items: the items whose embeddings score highest against the action
// (inner product), the step a continuous-action recommender takes to act over a discrete catalogue
// (Wolpertinger, Dulac-Arnold et al. 2015: the k best by an index, then re-ranked by the critic).
//
//   exact ("dot")  one matrix product of the queries with the whole catalogue (LibTorch, so BLAS), then
//                  the k largest of each row; its answer is the reference
//   approximate ("knn")  a hierarchical navigable small world graph over the embeddings (hnswlib, inner
//                  product space; Malkov and Yashunin 2018): sublinear per query, some recall lost
//
// An index owns a copy of the embeddings and is immutable once made; TopK may be called from any number of
// threads at once. Making an approximate index of 1M items takes minutes on two cores (it inserts on all
// hardware threads); TopK blocks for the duration of its search. LibTorch and hnswlib stay in the .cc.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"

namespace ddpg::recsys {

// Item i's embedding is values[i * dim, (i + 1) * dim).
struct ItemEmbeddings {
  size_t dim = 0;
  std::vector<float> values;

  size_t size() const { return dim == 0 ? 0 : values.size() / dim; }
};

struct ScoredItem {
  int64_t item = 0;  // the row of ItemEmbeddings
  float score = 0;   // the inner product with the query
};

enum class ItemIndexKind { kExact, kApproximate };

// Settings of the approximate index (hnswlib's names): graph degree, candidate list sizes while building
// and while searching (at least k is used). Larger is slower and more accurate.
struct ApproximateIndexOptions {
  size_t max_neighbors = 16;      // M
  size_t build_candidates = 200;  // ef_construction
  size_t search_candidates = 64;  // ef
  uint64_t seed = 100;
};

class ItemIndex {
 public:
  virtual ~ItemIndex() = default;

  // For each of `count` queries (query j at queries[j * dim(), (j + 1) * dim())), its min(k, size()) best
  // items, best first.
  virtual std::vector<std::vector<ScoredItem>> TopK(const float* queries, size_t count, size_t k) const = 0;
  virtual size_t dim() const = 0;
  virtual size_t size() const = 0;
};

// InvalidArgument for an empty catalogue, a zero dimension, values whose count is not a multiple of dim, or
// a non-finite value.
StatusOr<std::unique_ptr<ItemIndex>> MakeItemIndex(ItemIndexKind kind, ItemEmbeddings embeddings,
                                                   const ApproximateIndexOptions& options = {});

// "dot" or "knn", the configuration's names; InvalidArgument naming both otherwise.
StatusOr<ItemIndexKind> ParseItemIndexKind(const std::string& name);

// The fraction of the exact top-k of each query that the approximate top-k holds, averaged over queries.
double RecallAtK(const std::vector<std::vector<ScoredItem>>& exact,
                 const std::vector<std::vector<ScoredItem>>& approximate, size_t k);

}  // namespace ddpg::recsys
