#include "envs/recsys/item_index.h"

#include <torch/torch.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <thread>
#include <unordered_set>

#include <hnswlib/hnswlib.h>

namespace ddpg::recsys {
namespace {

// Queries scored together: a block's score matrix is kQueryBlock × size() floats (128 MB at 1M items).
constexpr size_t kQueryBlock = 32;

class ExactItemIndex final : public ItemIndex {
 public:
  explicit ExactItemIndex(const ItemEmbeddings& embeddings)
      : dim_(embeddings.dim),
        embeddings_(torch::tensor(embeddings.values)
                        .reshape({static_cast<int64_t>(embeddings.size()), static_cast<int64_t>(embeddings.dim)})) {}

  std::vector<std::vector<ScoredItem>> TopK(const float* queries, size_t count, size_t k) const override {
    torch::NoGradGuard no_grad;
    const int64_t keep = static_cast<int64_t>(std::min(k, size()));
    std::vector<std::vector<ScoredItem>> results(count);
    for (size_t first = 0; first < count; first += kQueryBlock) {
      const int64_t block = static_cast<int64_t>(std::min(kQueryBlock, count - first));
      const torch::Tensor block_queries =
          torch::from_blob(const_cast<float*>(queries + first * dim_), {block, static_cast<int64_t>(dim_)});
      const auto [scores, items] = block_queries.mm(embeddings_.t()).topk(keep, /*dim=*/1);
      const auto score = scores.accessor<float, 2>();
      const auto item = items.accessor<int64_t, 2>();
      for (int64_t row = 0; row < block; ++row) {
        std::vector<ScoredItem>& result = results[first + static_cast<size_t>(row)];
        result.reserve(static_cast<size_t>(keep));
        for (int64_t j = 0; j < keep; ++j) result.push_back({item[row][j], score[row][j]});
      }
    }
    return results;
  }
  size_t dim() const override { return dim_; }
  size_t size() const override { return static_cast<size_t>(embeddings_.size(0)); }

 private:
  size_t dim_;
  torch::Tensor embeddings_;
};

class ApproximateItemIndex final : public ItemIndex {
 public:
  ApproximateItemIndex(const ItemEmbeddings& embeddings, const ApproximateIndexOptions& options)
      : dim_(embeddings.dim),
        size_(embeddings.size()),
        space_(embeddings.dim),
        graph_(&space_, embeddings.size(), options.max_neighbors, options.build_candidates, options.seed) {
    // hnswlib's insertions may run concurrently; the graph depends a little on their order.
    std::atomic<size_t> next{0};
    const auto insert = [&] {
      for (size_t item = next++; item < size_; item = next++) graph_.addPoint(&embeddings.values[item * dim_], item);
    };
    std::vector<std::thread> threads;
    const unsigned helpers = std::max(1u, std::thread::hardware_concurrency()) - 1;
    for (unsigned i = 0; i < helpers && size_ > 10000; ++i) threads.emplace_back(insert);
    insert();
    for (std::thread& thread : threads) thread.join();
    graph_.setEf(options.search_candidates);
  }

  std::vector<std::vector<ScoredItem>> TopK(const float* queries, size_t count, size_t k) const override {
    std::vector<std::vector<ScoredItem>> results(count);
    const size_t keep = std::min(k, size_);
    for (size_t query = 0; query < count; ++query) {
      // A max-heap on hnswlib's distance, 1 − inner product: the worst of the k on top.
      auto found = graph_.searchKnn(queries + query * dim_, keep);
      std::vector<ScoredItem>& result = results[query];
      result.resize(found.size());
      for (size_t j = found.size(); j-- > 0; found.pop()) {
        result[j] = {static_cast<int64_t>(found.top().second), 1.0f - found.top().first};
      }
    }
    return results;
  }
  size_t dim() const override { return dim_; }
  size_t size() const override { return size_; }

 private:
  size_t dim_;
  size_t size_;
  hnswlib::InnerProductSpace space_;  // the graph keeps a pointer to it: declared before the graph
  hnswlib::HierarchicalNSW<float> graph_;
};

}  // namespace

StatusOr<std::unique_ptr<ItemIndex>> MakeItemIndex(ItemIndexKind kind, ItemEmbeddings embeddings,
                                                   const ApproximateIndexOptions& options) {
  if (embeddings.dim == 0) return InvalidArgument("item embeddings need a dimension of at least 1");
  if (embeddings.values.empty()) return InvalidArgument("the item catalogue is empty");
  if (embeddings.values.size() % embeddings.dim != 0) {
    return InvalidArgument(std::to_string(embeddings.values.size()) + " embedding values are not a whole number of " +
                           std::to_string(embeddings.dim) + "-dimensional items");
  }
  for (size_t i = 0; i < embeddings.values.size(); ++i) {
    if (!std::isfinite(embeddings.values[i])) {
      return InvalidArgument("item " + std::to_string(i / embeddings.dim) + " has a non-finite embedding value");
    }
  }
  if (kind == ItemIndexKind::kExact) return std::unique_ptr<ItemIndex>(std::make_unique<ExactItemIndex>(embeddings));
  return std::unique_ptr<ItemIndex>(std::make_unique<ApproximateItemIndex>(embeddings, options));
}

StatusOr<ItemIndexKind> ParseItemIndexKind(const std::string& name) {
  if (name == "dot") return ItemIndexKind::kExact;
  if (name == "knn") return ItemIndexKind::kApproximate;
  return InvalidArgument("unknown item index '" + name + "': dot (exact) or knn (approximate)");
}

double RecallAtK(const std::vector<std::vector<ScoredItem>>& exact,
                 const std::vector<std::vector<ScoredItem>>& approximate, size_t k) {
  if (exact.empty()) return 0.0;
  double total = 0.0;
  for (size_t query = 0; query < exact.size() && query < approximate.size(); ++query) {
    std::unordered_set<int64_t> relevant;
    for (size_t j = 0; j < k && j < exact[query].size(); ++j) relevant.insert(exact[query][j].item);
    if (relevant.empty()) continue;
    size_t hits = 0;
    for (size_t j = 0; j < k && j < approximate[query].size(); ++j) hits += relevant.count(approximate[query][j].item);
    total += static_cast<double>(hits) / static_cast<double>(relevant.size());
  }
  return total / static_cast<double>(exact.size());
}

}  // namespace ddpg::recsys
