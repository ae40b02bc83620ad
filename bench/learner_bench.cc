// learner_bench: the learner's update loop in isolation, on batches already in memory, against the
// machine's arithmetic bound measured in the same run.
//
//   learner_bench [seconds per case, default 3] [--threads 1,2] [--sizes pendulum,halfcheetah]
//                 [--algorithms ddpg,td3,d4pg] [--precisions fp32,bf16] [--profile]
//
// For each thread count, size, algorithm and precision (learner.precision; bf16 only where
// CheckPrecisionSupport allows it, and by default only there) (hidden 256,256, batch 256) it prints updates/s, the
// GFLOP/s they amount to, and their ratio to a 256x256x256 fp32 matrix product's GFLOP/s at the same thread count (the
// baseline, measured right before that thread count's rows). FLOPs per update are counted from the layer sizes
// (FlopsPerUpdate), so that the ratio says how close the update comes to the machine's GEMM rate. "cpu ratio" is the
// same ratio from work per second of the process's CPU time, which a shared machine's other load disturbs far less (see
// Measure).
// --profile: instead, times 300 updates of the first case, in the calling thread's CPU time (which
// another process's load does not inflate, as it does the wall-clock time of a profiler's trace): per update
// the whole, each phase of learner/ddpg.cc (its ddpg:: scopes) and the LibTorch operators' self time (their
// children's left out). Run it with --threads 1: other threads' time is not counted.
// Single-threaded apart from LibTorch's own threads; run it on an otherwise idle machine, or quote only
// ratios of one run, with the load average.
#include <ATen/record_function.h>
#include <torch/torch.h>

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "learner/ddpg.h"

namespace {

constexpr int kBatch = 256;
constexpr int kHidden = 256;
constexpr int kAtoms = 51;  // D4PG's default support

struct Sizes {
  const char* name;
  const char* key;
  int obs_dim;
  int act_dim;
};

constexpr Sizes kAllSizes[] = {{"Pendulum-v1", "pendulum", 3, 1}, {"HalfCheetah-v4", "halfcheetah", 17, 6}};

double ForwardFlops(int in, int out) { return 2.0 * kBatch * (in * kHidden + kHidden * kHidden + kHidden * out); }

// The matrix products an update needs, in forward-pass equivalents (a backward pass with weight and input
// gradients is two). DDPG and D4PG: target actor and target critic on s', the critic forward and backward
// on (s, a), the actor forward on s, the critic forward on (s, mu(s)) and its input gradient (one: its
// weight gradients are not needed), and the actor backward: 4 actor + 6 critic passes. TD3 per update:
// target actor, two target critics, two critics forward and backward (1 actor + 8 critic passes), and
// every second update the actor step (3 actor + 2 critic): 2.5 actor + 9 critic passes on average.
double FlopsPerUpdate(const Sizes& sizes, ddpg::Algorithm algorithm) {
  const int critic_outputs = algorithm == ddpg::Algorithm::kD4pg ? kAtoms : 1;
  const double actor = ForwardFlops(sizes.obs_dim, sizes.act_dim);
  const double critic = ForwardFlops(sizes.obs_dim + sizes.act_dim, critic_outputs);
  if (algorithm == ddpg::Algorithm::kTd3) return 2.5 * actor + 9.0 * critic;
  return 4.0 * actor + 6.0 * critic;
}

ddpg::protocol::TransitionBatch RandomBatch(const Sizes& sizes, std::mt19937& rng) {
  std::normal_distribution<float> normal;
  std::uniform_real_distribution<float> action(-1.0f, 1.0f);
  ddpg::protocol::TransitionBatch batch;
  batch.obs_dim = sizes.obs_dim;
  batch.act_dim = sizes.act_dim;
  for (int i = 0; i < kBatch * sizes.obs_dim; ++i) batch.observations.push_back(normal(rng));
  for (int i = 0; i < kBatch * sizes.act_dim; ++i) batch.actions.push_back(action(rng));
  for (int i = 0; i < kBatch; ++i) batch.rewards.push_back(normal(rng));
  batch.discounts.assign(kBatch, 0.99f);
  for (int i = 0; i < kBatch * sizes.obs_dim; ++i) batch.next_observations.push_back(normal(rng));
  batch.policy_versions.assign(kBatch, 0);
  return batch;
}

ddpg::DdpgOptions AgentOptions(const Sizes& sizes, ddpg::Algorithm algorithm, ddpg::Precision precision) {
  ddpg::DdpgOptions options;
  options.obs_dim = sizes.obs_dim;
  options.act_dim = sizes.act_dim;
  options.hidden_sizes = {kHidden, kHidden};
  options.act_low.assign(sizes.act_dim, -1.0f);
  options.act_high.assign(sizes.act_dim, 1.0f);
  options.algorithm = algorithm;
  options.atoms = kAtoms;
  options.precision = precision;
  return options;
}

std::vector<ddpg::protocol::TransitionBatch> RandomBatches(const Sizes& sizes) {
  std::mt19937 rng(1);
  std::vector<ddpg::protocol::TransitionBatch> batches;
  for (int i = 0; i < 8; ++i) batches.push_back(RandomBatch(sizes, rng));
  return batches;
}

double ProcessCpuSeconds() {
  timespec now;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + 1e-9 * static_cast<double>(now.tv_nsec);
}

// Work per wall-clock second and per second of the process's CPU time. On a shared machine the first
// depends on what other processes leave; the second much less (with one thread it is what an idle core
// would give), so the ratio of two per-CPU-second rates of one run is the figure to compare.
struct Rate {
  double per_second = 0.0;
  double per_cpu_second = 0.0;
};

// Calls `work` (which reports how many units it did) until `seconds` of wall-clock time have passed.
template <typename Work>
Rate Measure(double seconds, Work work) {
  const auto start = std::chrono::steady_clock::now();
  const double cpu_start = ProcessCpuSeconds();
  double units = 0.0;
  double elapsed = 0.0;
  while (elapsed < seconds) {
    units += work();
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  return {units / elapsed, units / (ProcessCpuSeconds() - cpu_start)};
}

Rate UpdatesPerSecond(const Sizes& sizes, ddpg::Algorithm algorithm, ddpg::Precision precision, double seconds) {
  ddpg::DdpgAgent agent(AgentOptions(sizes, algorithm, precision));
  const std::vector<ddpg::protocol::TransitionBatch> batches = RandomBatches(sizes);
  for (int i = 0; i < 20; ++i) agent.Update(batches[i % batches.size()]);  // warm-up
  size_t next = 0;
  return Measure(seconds, [&] {
    agent.Update(batches[next++ % batches.size()]);
    return 1.0;
  });
}

// GFLOP per second (and per CPU second) of a [256, 256] x [256, 256] matrix product of `type`.
Rate MatmulGflops(torch::ScalarType type, double seconds) {
  const torch::Tensor a = torch::randn({kBatch, kHidden}).to(type);
  const torch::Tensor b = torch::randn({kHidden, kHidden}).to(type);
  torch::Tensor out = torch::empty({kBatch, kHidden}, type);
  for (int i = 0; i < 50; ++i) torch::mm_out(out, a, b);
  return Measure(seconds, [&] {
    for (int i = 0; i < 100; ++i) torch::mm_out(out, a, b);
    return 100 * 2.0 * kBatch * kHidden * kHidden / 1e9;
  });
}

double ThreadCpuSeconds() {
  timespec now;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + 1e-9 * static_cast<double>(now.tv_nsec);
}

// CPU time per operator and phase, collected by LibTorch's RecordFunction callbacks on this thread.
struct CpuProfile {
  struct Open {
    std::string name;
    std::string phase;  // the innermost ddpg:: scope it runs in
    double start = 0.0;
    double children = 0.0;
  };
  std::vector<Open> open;
  std::map<std::string, double> self_seconds;
  std::map<std::string, double> phase_seconds;
};
CpuProfile cpu_profile;

std::unique_ptr<at::ObserverContext> EnterFunction(const at::RecordFunction& function) {
  std::string name = function.name();
  std::string phase = cpu_profile.open.empty() ? "" : cpu_profile.open.back().phase;
  if (name.rfind("ddpg::", 0) == 0) phase = name;
  cpu_profile.open.push_back({std::move(name), std::move(phase), ThreadCpuSeconds(), 0.0});
  return nullptr;
}

void LeaveFunction(const at::RecordFunction&, at::ObserverContext*) {
  const CpuProfile::Open done = cpu_profile.open.back();
  cpu_profile.open.pop_back();
  const double seconds = ThreadCpuSeconds() - done.start;
  if (!cpu_profile.open.empty()) cpu_profile.open.back().children += seconds;
  cpu_profile.self_seconds[done.phase + " " + done.name] += seconds - done.children;
  if (done.name.rfind("ddpg::", 0) == 0) cpu_profile.phase_seconds[done.name] += seconds;
}

void PrintLargest(const char* title, const std::map<std::string, double>& seconds, int updates, size_t count) {
  std::vector<std::pair<double, std::string>> sorted;
  for (const auto& [name, total] : seconds) sorted.emplace_back(total, name);
  std::sort(sorted.rbegin(), sorted.rend());
  std::printf("%s\n", title);
  for (size_t i = 0; i < std::min(count, sorted.size()); ++i) {
    std::printf("  %-55s %8.1f\n", sorted[i].second.c_str(), 1e6 * sorted[i].first / updates);
  }
}

void Profile(const Sizes& sizes, ddpg::Algorithm algorithm, ddpg::Precision precision) {
  constexpr int kUpdates = 300;
  ddpg::DdpgAgent agent(AgentOptions(sizes, algorithm, precision));
  const std::vector<ddpg::protocol::TransitionBatch> batches = RandomBatches(sizes);
  for (int i = 0; i < 20; ++i) agent.Update(batches[i % batches.size()]);
  double start = ThreadCpuSeconds();
  for (int i = 0; i < kUpdates; ++i) agent.Update(batches[i % batches.size()]);
  const double unprofiled = ThreadCpuSeconds() - start;

  const at::CallbackHandle handle = at::addThreadLocalCallback(
      at::RecordFunctionCallback(EnterFunction, LeaveFunction)
          .scopes({at::RecordScope::FUNCTION, at::RecordScope::BACKWARD_FUNCTION, at::RecordScope::USER_SCOPE}));
  start = ThreadCpuSeconds();
  for (int i = 0; i < kUpdates; ++i) agent.Update(batches[i % batches.size()]);
  const double profiled = ThreadCpuSeconds() - start;
  at::removeCallback(handle);

  std::printf("%s %s %s, %d updates: CPU us per update %.1f (%.1f while profiled)\n", sizes.name,
              std::string(ddpg::ConfigEnumName(algorithm)).c_str(),
              std::string(ddpg::ConfigEnumName(precision)).c_str(), kUpdates, 1e6 * unprofiled / kUpdates,
              1e6 * profiled / kUpdates);
  PrintLargest("phase (inclusive CPU us per update)", cpu_profile.phase_seconds, kUpdates, 20);
  std::map<std::string, double> operators;
  for (const auto& [name, total] : cpu_profile.self_seconds) {
    if (name.find(" ddpg::") == std::string::npos) operators[name] = total;
  }
  PrintLargest("phase and operator (self CPU us per update)", operators, kUpdates, 40);
}

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> items;
  std::stringstream stream(text);
  for (std::string item; std::getline(stream, item, ',');) items.push_back(item);
  return items;
}

int Usage(const char* program) {
  std::fprintf(stderr,
               "usage: %s [seconds per case] [--threads 1,2] [--sizes pendulum,halfcheetah] "
               "[--algorithms ddpg,td3,d4pg] [--precisions fp32,bf16] [--profile]\n",
               program);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 3.0;
  std::vector<int> thread_counts = {1, 2};
  std::vector<Sizes> sizes(std::begin(kAllSizes), std::end(kAllSizes));
  std::vector<ddpg::Algorithm> algorithms = {ddpg::Algorithm::kDdpg};
  std::vector<ddpg::Precision> precisions = {ddpg::Precision::kFp32};
  ddpg::DdpgOptions bf16_options;
  bf16_options.precision = ddpg::Precision::kBf16;
  const ddpg::Status bf16_support = ddpg::CheckPrecisionSupport(bf16_options);
  if (bf16_support.ok()) precisions.push_back(ddpg::Precision::kBf16);
  bool profile = false;
  for (int i = 1; i < argc; ++i) {
    const std::string argument = argv[i];
    if (argument.rfind("--", 0) != 0) {
      seconds = std::atof(argv[i]);
      if (seconds <= 0) return Usage(argv[0]);
      continue;
    }
    if (argument == "--profile") {
      profile = true;
      continue;
    }
    if (i + 1 >= argc) return Usage(argv[0]);
    const std::vector<std::string> values = SplitList(argv[++i]);
    if (argument == "--threads") {
      thread_counts.clear();
      for (const std::string& value : values) thread_counts.push_back(std::atoi(value.c_str()));
    } else if (argument == "--sizes") {
      sizes.clear();
      for (const std::string& value : values) {
        for (const Sizes& candidate : kAllSizes) {
          if (value == candidate.key) sizes.push_back(candidate);
        }
      }
    } else if (argument == "--algorithms") {
      algorithms.clear();
      for (const std::string& value : values) {
        ddpg::Algorithm algorithm;
        if (!ddpg::ParseConfigEnum("--algorithms", value, algorithm).ok()) return Usage(argv[0]);
        algorithms.push_back(algorithm);
      }
    } else if (argument == "--precisions") {
      precisions.clear();
      for (const std::string& value : values) {
        ddpg::Precision precision;
        if (!ddpg::ParseConfigEnum("--precisions", value, precision).ok()) return Usage(argv[0]);
        if (precision == ddpg::Precision::kBf16 && !bf16_support.ok()) {
          std::fprintf(stderr, "%s\n", bf16_support.message().c_str());
          return 1;
        }
        precisions.push_back(precision);
      }
    } else {
      return Usage(argv[0]);
    }
  }
  if (sizes.empty() || thread_counts.empty() || algorithms.empty() || precisions.empty()) return Usage(argv[0]);
  if (profile) {
    torch::set_num_threads(thread_counts.front());
    Profile(sizes.front(), algorithms.front(), precisions.front());
    return 0;
  }
  if (!bf16_support.ok()) std::printf("no bf16 rows: %s\n", bf16_support.message().c_str());

  std::printf("%-16s %-5s %-4s %7s %10s %9s %14s %7s %10s\n", "sizes", "algo", "prec", "threads", "updates/s",
              "GFLOP/s", "sgemm GFLOP/s", "ratio", "cpu ratio");
  for (int threads : thread_counts) {
    torch::set_num_threads(threads);
    const Rate sgemm = MatmulGflops(torch::kFloat32, seconds);
    for (const Sizes& size : sizes) {
      for (ddpg::Algorithm algorithm : algorithms) {
        for (ddpg::Precision precision : precisions) {
          const Rate rate = UpdatesPerSecond(size, algorithm, precision, seconds);
          const double gflop = FlopsPerUpdate(size, algorithm) / 1e9;
          std::printf("%-16s %-5s %-4s %7d %10.1f %9.1f %14.1f %7.2f %10.2f\n", size.name,
                      std::string(ddpg::ConfigEnumName(algorithm)).c_str(),
                      std::string(ddpg::ConfigEnumName(precision)).c_str(), threads, rate.per_second,
                      rate.per_second * gflop, sgemm.per_second, rate.per_second * gflop / sgemm.per_second,
                      rate.per_cpu_second * gflop / sgemm.per_cpu_second);
          std::fflush(stdout);
        }
      }
    }
    if (bf16_support.ok()) {
      const Rate bf16 = MatmulGflops(torch::kBFloat16, seconds);
      std::printf("bf16 256x256x256 product at %d threads: %.1f GFLOP/s (%.2f x the sgemm's, per CPU second)\n",
                  threads, bf16.per_second, bf16.per_cpu_second / sgemm.per_cpu_second);
    }
  }
  return 0;
}
