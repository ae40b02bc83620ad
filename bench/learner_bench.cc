// learner_bench: the learner's update loop in isolation, on batches already in memory, against the
// machine's arithmetic bound measured in the same run.
//
//   learner_bench [seconds per case, default 3]
//
// For Pendulum-v1 and HalfCheetah-v4 sizes (hidden 256,256, batch 256) and 1 and 2 threads it prints
// updates/s, the GFLOP/s they amount to, and their ratio to a 256x256x256 fp32 matrix product's GFLOP/s
// at the same thread count (the baseline). FLOPs per DDPG update are counted from the layer sizes: the
// target actor and target critic forward on s', the critic forward and backward (2x forward) on (s, a),
// the actor forward on s, the critic forward on (s, mu(s)) and its input gradient (1x forward, its weight
// gradients are not computed), and the actor backward (2x forward): 4 actor + 6 critic forward passes.
// Single-threaded apart from LibTorch's own threads; run it on an otherwise idle machine.
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "learner/ddpg.h"

namespace {

constexpr int kBatch = 256;
constexpr int kHidden = 256;

struct Case {
  const char* name;
  int obs_dim;
  int act_dim;
};

double ForwardFlops(int in, int out) { return 2.0 * kBatch * (in * kHidden + kHidden * kHidden + kHidden * out); }

double FlopsPerUpdate(const Case& c) {
  return 4.0 * ForwardFlops(c.obs_dim, c.act_dim) + 6.0 * ForwardFlops(c.obs_dim + c.act_dim, 1);
}

ddpg::protocol::TransitionBatch RandomBatch(const Case& c, std::mt19937& rng) {
  std::normal_distribution<float> normal;
  std::uniform_real_distribution<float> action(-1.0f, 1.0f);
  ddpg::protocol::TransitionBatch batch;
  batch.obs_dim = c.obs_dim;
  batch.act_dim = c.act_dim;
  for (int i = 0; i < kBatch * c.obs_dim; ++i) batch.observations.push_back(normal(rng));
  for (int i = 0; i < kBatch * c.act_dim; ++i) batch.actions.push_back(action(rng));
  for (int i = 0; i < kBatch; ++i) batch.rewards.push_back(normal(rng));
  batch.discounts.assign(kBatch, 0.99f);
  for (int i = 0; i < kBatch * c.obs_dim; ++i) batch.next_observations.push_back(normal(rng));
  batch.policy_versions.assign(kBatch, 0);
  return batch;
}

double UpdatesPerSecond(const Case& c, double seconds) {
  ddpg::DdpgOptions options;
  options.obs_dim = c.obs_dim;
  options.act_dim = c.act_dim;
  options.hidden_sizes = {kHidden, kHidden};
  options.act_low.assign(c.act_dim, -1.0f);
  options.act_high.assign(c.act_dim, 1.0f);
  ddpg::DdpgAgent agent(options);
  std::mt19937 rng(1);
  std::vector<ddpg::protocol::TransitionBatch> batches;
  for (int i = 0; i < 8; ++i) batches.push_back(RandomBatch(c, rng));
  for (int i = 0; i < 20; ++i) agent.Update(batches[i % batches.size()]);  // warm-up
  const auto start = std::chrono::steady_clock::now();
  int updates = 0;
  while (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() < seconds) {
    agent.Update(batches[updates % batches.size()]);
    ++updates;
  }
  return updates / std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double SgemmGflops(double seconds) {
  const torch::Tensor a = torch::randn({kBatch, kHidden});
  const torch::Tensor b = torch::randn({kHidden, kHidden});
  torch::Tensor out = torch::empty({kBatch, kHidden});
  for (int i = 0; i < 50; ++i) torch::mm_out(out, a, b);
  const auto start = std::chrono::steady_clock::now();
  long products = 0;
  while (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() < seconds) {
    for (int i = 0; i < 100; ++i) torch::mm_out(out, a, b);
    products += 100;
  }
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return products * 2.0 * kBatch * kHidden * kHidden / elapsed / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 3.0;
  const std::vector<Case> cases = {{"Pendulum-v1", 3, 1}, {"HalfCheetah-v4", 17, 6}};
  std::printf("%-16s %7s %10s %9s %14s %7s\n", "sizes", "threads", "updates/s", "GFLOP/s", "sgemm GFLOP/s", "ratio");
  for (int threads : {1, 2}) {
    torch::set_num_threads(threads);
    const double sgemm = SgemmGflops(seconds);
    for (const Case& c : cases) {
      const double rate = UpdatesPerSecond(c, seconds);
      const double gflops = rate * FlopsPerUpdate(c) / 1e9;
      std::printf("%-16s %7d %10.1f %9.1f %14.1f %7.2f\n", c.name, threads, rate, gflops, sgemm, gflops / sgemm);
    }
  }
  return 0;
}
