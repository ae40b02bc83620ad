// The recommender's action-to-item lookup at catalogue scale: the exact index (one matrix product per 32
// queries over the whole catalogue, LibTorch/OpenBLAS) against the approximate one (hnswlib), both on one
// thread, on the same random catalogue and queries in one run.
//
//   item_index_bench [items=1000000] [dim=32] [queries=2000] [max_neighbors=16]
//
// Prints the approximate index's build time, then the lookups per second of the exact index (top 10) and,
// for search candidate lists of 64 to 512, of the approximate one with its ratio to the exact and its
// recall@10 against the exact answers. hnswlib searches with max(ef, k) candidates, so asking for the top c
// and keeping the best 10 measures the search with c candidates; it is also what a Wolpertinger lookup of c
// candidates for the critic to re-rank costs. Embeddings and queries are standard Gaussian: no clusters for
// the graph to exploit, a harder case than factorization embeddings.
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>

#include "envs/recsys/item_index.h"

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) { return std::chrono::duration<double>(Clock::now() - since).count(); }

ddpg::recsys::ItemEmbeddings Gaussian(size_t items, size_t dim, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal;
  ddpg::recsys::ItemEmbeddings embeddings{dim, std::vector<float>(items * dim)};
  for (float& value : embeddings.values) value = normal(rng);
  return embeddings;
}

}  // namespace

int main(int argc, char** argv) {
  const size_t items = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1000000;
  const size_t dim = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 32;
  const size_t queries = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 2000;
  const ddpg::recsys::ApproximateIndexOptions options{.max_neighbors =
                                                          argc > 4 ? std::strtoull(argv[4], nullptr, 10) : 16};
  constexpr size_t kTop = 10;
  torch::set_num_threads(1);
  const auto embeddings = Gaussian(items, dim, 1);
  const auto query_vectors = Gaussian(queries, dim, 2);

  auto exact = ddpg::recsys::MakeItemIndex(ddpg::recsys::ItemIndexKind::kExact, embeddings);
  auto start = Clock::now();
  auto approximate = ddpg::recsys::MakeItemIndex(ddpg::recsys::ItemIndexKind::kApproximate, embeddings, options);
  const double build_s = Seconds(start);
  if (!exact.ok() || !approximate.ok()) {
    std::fprintf(stderr, "%s\n", (exact.ok() ? approximate.status() : exact.status()).message().c_str());
    return 1;
  }

  start = Clock::now();
  const auto reference = (*exact)->TopK(query_vectors.values.data(), queries, kTop);
  const double exact_per_s = static_cast<double>(queries) / Seconds(start);

  std::printf("catalogue %zu items x %zu dims, %zu queries, top %zu, one thread\n", items, dim, queries, kTop);
  std::printf("approximate index (M = %zu, ef_construction %zu) built in %.1f s (on every hardware thread)\n",
              options.max_neighbors, options.build_candidates, build_s);
  std::printf("exact (dot):  %10.1f lookups/s\n", exact_per_s);
  std::printf("%10s %14s %10s %10s\n", "candidates", "knn lookups/s", "x exact", "recall@10");
  for (const size_t candidates : {64, 128, 256, 512}) {
    start = Clock::now();
    auto found = (*approximate)->TopK(query_vectors.values.data(), queries, candidates);
    const double approximate_per_s = static_cast<double>(queries) / Seconds(start);
    for (auto& best : found) best.resize(std::min(best.size(), kTop));
    std::printf("%10zu %14.1f %10.1f %10.4f\n", candidates, approximate_per_s, approximate_per_s / exact_per_s,
                ddpg::recsys::RecallAtK(reference, found, kTop));
  }
  return 0;
}
