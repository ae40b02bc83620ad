// Tests of the learner's thread-count tuner (learner/thread_tuner.h) against simulated update rates.
#include "learner/thread_tuner.h"

#include <catch2/catch.hpp>

#include <functional>
#include <map>
#include <vector>

namespace ddpg {
namespace {

// Drives a tuner as the learner does: one Record per update, the clock advancing by 1 / rate(threads, time).
struct Simulation {
  ThreadTuner tuner;
  double now = 0.0;
  uint64_t updates = 0;
  std::vector<std::pair<double, int>> switches;  // (time, new count)

  explicit Simulation(ThreadTuner::Options options) : tuner(std::move(options)) {}

  void Run(double until, const std::function<double(int threads, double now)>& rate) {
    while (now < until) {
      now += 1.0 / rate(tuner.threads(), now);
      ++updates;
      if (std::optional<int> count = tuner.Record(now, updates)) switches.emplace_back(now, *count);
    }
  }
};

ThreadTuner::Options TwoCandidates() {
  ThreadTuner::Options options;
  options.candidates = {1, 2};
  options.probe_seconds = 2.0;
  options.reprobe_seconds = 60.0;
  options.margin = 1.05;
  return options;
}

TEST_CASE("the tuner keeps the thread count that makes the most updates per second", "[thread_tuner]") {
  Simulation simulation(TwoCandidates());
  simulation.Run(30.0, [](int threads, double) { return threads == 2 ? 300.0 : 200.0; });
  CHECK(simulation.tuner.threads() == 2);
  REQUIRE(simulation.switches.size() == 1);  // probing 2 is the switch; keeping it is none
  CHECK(simulation.switches[0].first == Approx(2.0).margin(0.01));
  CHECK(simulation.tuner.rates()[0] == Approx(200.0).epsilon(0.01));
  CHECK(simulation.tuner.rates()[1] == Approx(300.0).epsilon(0.01));

  Simulation slower(TwoCandidates());
  slower.Run(30.0, [](int threads, double) { return threads == 2 ? 150.0 : 200.0; });
  CHECK(slower.tuner.threads() == 1);
  REQUIRE(slower.switches.size() == 2);  // to 2 for its probe, back to 1
  CHECK(slower.switches[1].first == Approx(4.0).margin(0.02));
}

TEST_CASE("a larger count must beat the smaller by the margin", "[thread_tuner]") {
  Simulation simulation(TwoCandidates());
  simulation.Run(30.0, [](int threads, double) { return threads == 2 ? 206.0 : 200.0; });  // 3 % faster
  CHECK(simulation.tuner.threads() == 1);
  Simulation clear(TwoCandidates());
  clear.Run(30.0, [](int threads, double) { return threads == 2 ? 214.0 : 200.0; });  // 7 % faster
  CHECK(clear.tuner.threads() == 2);
}

TEST_CASE("a probe whose rate collapses ends after a quarter of its time", "[thread_tuner]") {
  Simulation simulation(TwoCandidates());
  simulation.Run(30.0, [](int threads, double) { return threads == 2 ? 2.0 : 200.0; });
  CHECK(simulation.tuner.threads() == 1);
  REQUIRE(simulation.switches.size() == 2);
  // Back to one thread at the first update after 0.5 s of the probe (one update every 0.5 s).
  CHECK(simulation.switches[1].first - simulation.switches[0].first == Approx(0.5).margin(0.01));
}

TEST_CASE("the tuner probes again after reprobe_seconds and follows a change of load", "[thread_tuner]") {
  Simulation simulation(TwoCandidates());
  // Two threads are faster until t = 50 s (the machine was idle), then slower than one, though not by
  // half (actors took part of the cores): only the periodic probe notices.
  const auto rate = [](int threads, double now) {
    if (threads == 1) return 200.0;
    return now < 50.0 ? 300.0 : 180.0;
  };
  simulation.Run(50.0, rate);
  CHECK(simulation.tuner.threads() == 2);
  simulation.Run(63.5, rate);
  CHECK(simulation.tuner.threads() == 2);  // the next probe is due at 4 + 60 s
  simulation.Run(70.0, rate);
  CHECK(simulation.tuner.threads() == 1);
  CHECK(simulation.tuner.early_probes() == 0);
  // The probe starts at 64 s: one thread for 2 s, then two threads for 2 s, then back to one.
  CHECK(simulation.switches.back().first == Approx(68.0).margin(0.02));
}

TEST_CASE("a chosen count whose rate collapses between probes is measured again at once", "[thread_tuner]") {
  Simulation simulation(TwoCandidates());
  // Two threads are faster until t = 10 s, then collapse a hundredfold (a process took the second core).
  const auto rate = [](int threads, double now) {
    if (threads == 1) return 200.0;
    return now < 10.0 ? 300.0 : 3.0;
  };
  simulation.Run(10.0, rate);
  CHECK(simulation.tuner.threads() == 2);
  simulation.Run(20.0, rate);
  CHECK(simulation.tuner.threads() == 1);
  CHECK(simulation.tuner.early_probes() == 1);
  // Watching windows of 2 s start at the choice (4 s): the one ending after 12 s sees the collapse, the
  // probe then runs one thread for 2 s and two threads for a quarter of a probe.
  CHECK(simulation.switches.back().first > 14.4);
  CHECK(simulation.switches.back().first < 15.2);

  // With one thread chosen there is nothing smaller to fall back to: a slower machine starts no probe.
  Simulation single(TwoCandidates());
  single.Run(30.0, [](int threads, double now) { return threads == 2 ? 100.0 : (now < 10.0 ? 200.0 : 20.0); });
  CHECK(single.tuner.threads() == 1);
  CHECK(single.tuner.early_probes() == 0);
}

TEST_CASE("one candidate means nothing to tune, and candidates follow the core count", "[thread_tuner]") {
  ThreadTuner::Options options = TwoCandidates();
  options.candidates = {1};
  Simulation simulation(options);
  simulation.Run(10.0, [](int, double) { return 100.0; });
  CHECK(simulation.switches.empty());
  CHECK(ThreadTuner::CandidatesFor(1) == std::vector<int>{1});
  CHECK(ThreadTuner::CandidatesFor(2) == std::vector<int>{1, 2});
  CHECK(ThreadTuner::CandidatesFor(6) == std::vector<int>{1, 2, 4});
  CHECK(ThreadTuner::CandidatesFor(64) == std::vector<int>{1, 2, 4, 8});
}

TEST_CASE("with three candidates the tuner keeps the fastest, not the last better one", "[thread_tuner]") {
  ThreadTuner::Options options = TwoCandidates();
  options.candidates = {1, 2, 4};
  Simulation simulation(options);
  const std::map<int, double> rates = {{1, 100.0}, {2, 180.0}, {4, 150.0}};
  simulation.Run(30.0, [&](int threads, double) { return rates.at(threads); });
  CHECK(simulation.tuner.threads() == 2);
}

}  // namespace
}  // namespace ddpg
