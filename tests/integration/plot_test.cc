// Integration test of scripts/plot.py on two short real runs (the binaries on loopback, two seeds): the
// PNGs are written, and the series plotted in them, which plot.py writes next to each PNG as JSON, are the
// metrics files' values; the mean and range over the runs are recomputed here from the metrics.
#include <signal.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness.h"

using namespace std::chrono_literals;
using ddpg::testing::ChildProcess;
using ddpg::testing::ReadJsonLines;
using ddpg::testing::SourcePath;
using ddpg::testing::TempDir;
using ddpg::testing::TestCluster;

namespace {

struct Curve {
  std::vector<double> x, y;
};

// (x_key, y_key) of the metrics objects that have a number for both; x_key "wall" is seconds since the
// learner's start, which is the first learner object's wall_time minus its t.
Curve Series(const std::vector<nlohmann::json>& rows, double origin, const std::string& x_key,
             const std::string& y_key) {
  Curve curve;
  for (const auto& row : rows) {
    if (!row.contains(y_key) || !row[y_key].is_number()) continue;
    curve.x.push_back(x_key == "wall" ? row["wall_time"].get<double>() - origin : row[x_key].get<double>());
    curve.y.push_back(row[y_key].get<double>());
  }
  return curve;
}

const nlohmann::json& Panel(const nlohmann::json& figure, const std::string& title) {
  for (const auto& panel : figure["panels"]) {
    if (panel["title"] == title) return panel;
  }
  FAIL("no panel titled " << title << " in " << figure["figure"]);
  throw;
}

Curve Plotted(const nlohmann::json& panel, const std::string& label) {
  for (const auto& series : panel["series"]) {
    if (series["label"] == label)
      return {series["x"].get<std::vector<double>>(), series["y"].get<std::vector<double>>()};
  }
  FAIL("no series " << label << " in the panel " << panel["title"]);
  throw;
}

void CheckSame(const Curve& plotted, const Curve& expected) {
  REQUIRE(plotted.x.size() == expected.x.size());
  for (size_t i = 0; i < expected.x.size(); ++i) {
    INFO("point " << i);
    CHECK(plotted.x[i] == Approx(expected.x[i]).margin(1e-9));
    CHECK(plotted.y[i] == Approx(expected.y[i]).margin(1e-9));
  }
}

// Linear interpolation of a curve whose x values increase (a later point at the same x replaces an earlier one).
double Interpolate(const Curve& curve, double x) {
  std::map<double, double> points;
  for (size_t i = 0; i < curve.x.size(); ++i) points[curve.x[i]] = curve.y[i];
  auto upper = points.lower_bound(x);
  if (upper->first == x) return upper->second;
  auto lower = std::prev(upper);
  return lower->second + (upper->second - lower->second) * (x - lower->first) / (upper->first - lower->first);
}

bool IsPng(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  char header[8] = {};
  file.read(header, sizeof header);
  return file && std::string(header, 8) == "\x89PNG\r\n\x1a\n";
}

struct ShortRun {
  std::string directory;
  std::vector<nlohmann::json> learner, replay;
  double origin = 0.0;
};

TEST_CASE("plot.py draws two short real runs' metrics, their mean and their range, also compared by label") {
  // Small networks, half an update per inserted transition, short evaluations every 0.1 s: a few
  // seconds of training with several evaluations.
  const std::vector<std::string> args = {"--network.hidden_sizes",      "64,64", "--learner.batch_size",    "64",
                                         "--replay.samples_per_insert", "32",    "--actor.eval_episodes",   "2",
                                         "--actor.eval_interval_s",     "0.1",   "--learner.max_env_steps", "5000",
                                         "--learner.stop_at_target",    "false"};
  std::vector<std::unique_ptr<TestCluster>> clusters;
  std::vector<std::unique_ptr<ChildProcess>> servers, clients, learners;
  for (const char* seed : {"0", "1"}) {
    auto& cluster = clusters.emplace_back(std::make_unique<TestCluster>(std::string("plot-seed-") + seed));
    std::vector<std::string> seeded = args;
    seeded.insert(seeded.end(), {"--env.seed", seed});
    servers.push_back(cluster->StartReplay(seeded));
    clients.push_back(cluster->StartActor(0, 1, seeded));
    clients.push_back(cluster->StartEvaluator(seeded));
    learners.push_back(cluster->StartLearner(seeded));
  }
  for (auto& learner : learners) {
    INFO(learner->Log());
    REQUIRE(learner->Wait(90s) == std::optional<int>(0));
  }
  // The replay servers would go on appending metrics while the files are read and plotted. Actors first,
  // so that they can deliver what they hold at once instead of waiting for a server.
  for (auto* group : {&clients, &servers}) {
    for (auto& process : *group) process->Signal(SIGTERM);
    for (auto& process : *group) REQUIRE(process->Wait(10s) == std::optional<int>(0));
  }
  std::vector<ShortRun> runs;
  for (size_t i = 0; i < clusters.size(); ++i) {
    ShortRun& run = runs.emplace_back();
    run.directory = clusters[i]->run_directory();
    run.learner = ReadJsonLines(clusters[i]->MetricsPath("learner"));
    run.replay = ReadJsonLines(clusters[i]->MetricsPath("replay_server"));
    REQUIRE(!run.learner.empty());
    run.origin = run.learner[0]["wall_time"].get<double>() - run.learner[0]["t"].get<double>();
    REQUIRE(Series(run.learner, run.origin, "env_steps", "eval_return").x.size() >= 3);
  }

  // One run: the figures go into its directory.
  ChildProcess single(SourcePath("scripts/plot.py"), {runs[0].directory}, runs[0].directory + "/plot.out");
  REQUIRE(single.Wait(60s) == std::optional<int>(0));
  const std::string name = std::filesystem::path(runs[0].directory).filename().string();
  for (const char* figure : {"learning_curve", "training"}) {
    const std::string png = runs[0].directory + "/" + figure + ".png";
    CHECK(single.Log().find(png) != std::string::npos);
    CHECK(IsPng(png));
    CHECK(std::filesystem::file_size(png) > 10000);
  }
  std::ifstream curve_file(runs[0].directory + "/learning_curve.json");
  const nlohmann::json curve = nlohmann::json::parse(curve_file);
  CheckSame(Plotted(Panel(curve, "Evaluation return against environment steps"), name),
            Series(runs[0].learner, runs[0].origin, "env_steps", "eval_return"));
  CheckSame(Plotted(Panel(curve, "Evaluation return against wall time"), name),
            Series(runs[0].learner, runs[0].origin, "wall", "eval_return"));

  std::ifstream training_file(runs[0].directory + "/training.json");
  const nlohmann::json training = nlohmann::json::parse(training_file);
  for (const auto& [title, key] :
       std::vector<std::pair<std::string, std::string>>{{"Updates per second", "updates_per_s"},
                                                        {"Inserts per second", "inserts_per_s"},
                                                        {"Samples per second", "samples_per_s"},
                                                        {"Replay size", "replay_size"},
                                                        {"Critic loss", "critic_loss"},
                                                        {"Actor loss", "actor_loss"},
                                                        {"Mean Q", "q_mean"},
                                                        {"Policy lag", "policy_lag"},
                                                        {"Training return", "train_return"}}) {
    INFO(title);
    const nlohmann::json& panel = Panel(training, title);
    const Curve expected = Series(runs[0].learner, runs[0].origin, "wall", key);
    REQUIRE(!expected.x.empty());
    CheckSame(Plotted(panel, "learner"), expected);
    if (key == "inserts_per_s" || key == "samples_per_s" || key == "replay_size") {
      CheckSame(Plotted(panel, "replay server"), Series(runs[0].replay, runs[0].origin, "wall", key));
    }
  }
  CHECK(Panel(training, "Critic loss")["y_scale"] == "log");

  // Two runs: the mean and range where both have data, on the union of their x values there.
  TempDir out;
  ChildProcess both(SourcePath("scripts/plot.py"), {runs[0].directory, runs[1].directory, "--out", out.path()},
                    out.File("plot.out"));
  REQUIRE(both.Wait(60s) == std::optional<int>(0));
  CHECK(IsPng(out.File("learning_curve.png")));
  CHECK(IsPng(out.File("training.png")));
  std::ifstream both_file(out.File("learning_curve.json"));
  const nlohmann::json both_curve = nlohmann::json::parse(both_file);
  // Compared by label: "both" has the two runs, "first" the first one alone.
  TempDir labelled_out;
  ChildProcess labelled(SourcePath("scripts/plot.py"),
                        {"both=" + runs[0].directory, "both=" + runs[1].directory, "first=" + runs[0].directory,
                         "--out", labelled_out.path()},
                        labelled_out.File("plot.out"));
  REQUIRE(labelled.Wait(60s) == std::optional<int>(0));
  // Labels for some runs only would leave the others' group unclear: refused, naming the rule.
  ChildProcess mixed(SourcePath("scripts/plot.py"),
                     {"both=" + runs[0].directory, runs[1].directory, "--out", labelled_out.path()},
                     labelled_out.File("mixed.out"));
  REQUIRE(mixed.Wait(60s) == std::optional<int>(2));
  CHECK_THAT(mixed.Log(), Catch::Contains("give every run a LABEL= or none"));
  std::ifstream labelled_file(labelled_out.File("learning_curve.json"));
  const nlohmann::json labelled_curve = nlohmann::json::parse(labelled_file);
  for (const auto& [title, x_key] :
       std::vector<std::pair<std::string, std::string>>{{"Evaluation return against environment steps", "env_steps"},
                                                        {"Evaluation return against wall time", "wall"}}) {
    INFO(title);
    const nlohmann::json& panel = Panel(both_curve, title);
    const Curve a = Series(runs[0].learner, runs[0].origin, x_key, "eval_return");
    const Curve b = Series(runs[1].learner, runs[1].origin, x_key, "eval_return");
    CheckSame(Plotted(panel, std::filesystem::path(runs[1].directory).filename().string()), b);
    const double low = std::max(a.x.front(), b.x.front());
    const double high = std::min(a.x.back(), b.x.back());
    REQUIRE(low <= high);
    std::set<double> grid;
    for (const Curve* curve : {&a, &b}) {
      for (double x : curve->x) {
        if (x >= low && x <= high) grid.insert(x);
      }
    }
    Curve mean, minimum, maximum;
    for (double x : grid) {
      const double ya = Interpolate(a, x), yb = Interpolate(b, x);
      for (Curve* curve : {&mean, &minimum, &maximum}) curve->x.push_back(x);
      mean.y.push_back((ya + yb) / 2);
      minimum.y.push_back(std::min(ya, yb));
      maximum.y.push_back(std::max(ya, yb));
    }
    CheckSame(Plotted(panel, "mean of 2 runs"), mean);
    CheckSame(Plotted(panel, "min of 2 runs"), minimum);
    CheckSame(Plotted(panel, "max of 2 runs"), maximum);
    const nlohmann::json& labelled_panel = Panel(labelled_curve, title);
    CheckSame(Plotted(labelled_panel, "both: mean of 2 runs"), mean);
    CheckSame(Plotted(labelled_panel, "both: min of 2 runs"), minimum);
    CheckSame(Plotted(labelled_panel, "first: " + name), a);
    for (const auto& series : labelled_panel["series"]) CHECK(series["label"] != "first: mean of 1 runs");
  }
}

}  // namespace
