// Tests of what the learner reports about a run (learner/training_statistics.h).
#include <catch2/catch.hpp>

#include "learner/training_statistics.h"

namespace ddpg {
namespace {

protocol::EpisodeReport Episode(double episode_return, uint64_t policy_version, bool evaluation = false) {
  protocol::EpisodeReport report;
  report.episode_return = episode_return;
  report.policy_version = policy_version;
  report.evaluation = evaluation;
  return report;
}

TEST_CASE("unknown values are null until an update or an episode makes them known", "[training_statistics]") {
  TrainingStatistics statistics(256, 1000);
  const nlohmann::json snapshot = statistics.Snapshot(0, 0);
  for (const char* key : {"critic_loss", "actor_loss", "q_mean", "policy_lag", "train_return"}) {
    CHECK(snapshot[key].is_null());
  }
  CHECK(snapshot["step"] == 0);
  CHECK(statistics.DashboardLine(0, 0).find("critic - actor - Q -") != std::string::npos);
}

TEST_CASE("losses and Q are means over the report window and stay shown until the next window has its own",
          "[training_statistics]") {
  TrainingStatistics statistics(256, 1000);
  statistics.RecordUpdate(1.0, -10.0, -5.0);
  statistics.RecordUpdate(3.0, -20.0, -7.0);
  CHECK(statistics.Snapshot(2, 0)["critic_loss"] == 2.0);
  statistics.EndWindow(2, 0, 1.0);
  const nlohmann::json after = statistics.Snapshot(2, 0);
  CHECK(after["critic_loss"] == 2.0);
  CHECK(after["actor_loss"] == -15.0);
  CHECK(after["q_mean"] == -6.0);
  statistics.RecordUpdate(5.0, 0.0, 0.0);
  CHECK(statistics.Snapshot(3, 0)["critic_loss"] == 5.0);
}

TEST_CASE("the actor loss is the mean over the updates that stepped the actor (TD3 delays them)",
          "[training_statistics]") {
  TrainingStatistics statistics(256, 1000);
  statistics.RecordUpdate(1.0, std::nullopt, -5.0);
  statistics.RecordUpdate(3.0, -20.0, -7.0);
  statistics.RecordUpdate(5.0, std::nullopt, -9.0);
  nlohmann::json snapshot = statistics.Snapshot(3, 0);
  CHECK(snapshot["critic_loss"] == 3.0);
  CHECK(snapshot["actor_loss"] == -20.0);
  CHECK(snapshot["q_mean"] == -7.0);
  statistics.EndWindow(3, 0, 1.0);
  // A window whose updates all left the actor alone keeps showing the last actor loss known.
  statistics.RecordUpdate(7.0, std::nullopt, -1.0);
  snapshot = statistics.Snapshot(4, 0);
  CHECK(snapshot["critic_loss"] == 7.0);
  CHECK(snapshot["actor_loss"] == -20.0);
}

TEST_CASE("rates are per second over the window and a resumed run does not start at 0", "[training_statistics]") {
  TrainingStatistics statistics(64, 100000);
  statistics.StartWindow(5000, 20000);
  statistics.EndWindow(5200, 20400, 2.0);
  const nlohmann::json snapshot = statistics.Snapshot(5200, 20400);
  CHECK(snapshot["updates_per_s"] == 100.0);
  CHECK(snapshot["inserts_per_s"] == 200.0);
  CHECK(snapshot["samples_per_s"] == 6400.0);
}

TEST_CASE("busy_fraction is the window's update time over its length and starts again each window",
          "[training_statistics]") {
  TrainingStatistics statistics(64, 100000);
  CHECK(statistics.Snapshot(0, 0)["busy_fraction"].is_null());
  statistics.StartWindow(0, 0);
  statistics.RecordUpdateSeconds(0.25);
  statistics.RecordUpdateSeconds(0.5);
  statistics.EndWindow(2, 0, 1.5);
  CHECK(statistics.Snapshot(2, 0)["busy_fraction"] == 0.5);
  CHECK(statistics.DashboardLine(2, 0).find("upd/s busy 50% |") != std::string::npos);
  statistics.RecordUpdateSeconds(0.1);
  statistics.EndWindow(3, 0, 0.5);
  CHECK(statistics.Snapshot(3, 0)["busy_fraction"] == Approx(0.2));
  statistics.EndWindow(3, 0, 1.0);
  CHECK(statistics.Snapshot(3, 0)["busy_fraction"] == 0.0);
}

TEST_CASE("policy lag is the learner's step minus the acting version, ignoring random and foreign versions",
          "[training_statistics]") {
  TrainingStatistics statistics(256, 1000);
  statistics.RecordTrainingEpisode(Episode(-100.0, 90), 100);
  statistics.RecordTrainingEpisode(Episode(-300.0, 70), 100);
  statistics.RecordTrainingEpisode(Episode(-500.0, 0), 100);    // random actions: no version
  statistics.RecordTrainingEpisode(Episode(-700.0, 150), 100);  // from an earlier learner process
  const nlohmann::json snapshot = statistics.Snapshot(100, 0);
  CHECK(snapshot["policy_lag"] == 20.0);
  CHECK(snapshot["train_return"] == -400.0);
  CHECK(snapshot["train_episodes"] == 4);
}

TEST_CASE("the training return is the mean of the most recent episodes only", "[training_statistics]") {
  TrainingStatistics statistics(256, 1000);
  statistics.RecordTrainingEpisode(Episode(-10000.0, 1), 1);
  for (size_t i = 0; i < TrainingStatistics::kRecentTrainEpisodes; ++i) {
    statistics.RecordTrainingEpisode(Episode(-100.0, 1), 1);
  }
  CHECK(statistics.Snapshot(1, 0)["train_return"] == -100.0);
}

TEST_CASE("the best evaluation is kept and the dashboard shows the latest with its version", "[training_statistics]") {
  TrainingStatistics statistics(256, 1000);
  statistics.RecordEvaluation(Episode(-300.0, 50, true));
  statistics.RecordEvaluation(Episode(-150.0, 100, true));
  statistics.RecordEvaluation(Episode(-250.0, 150, true));
  CHECK(statistics.best_evaluation() == -150.0);
  CHECK(statistics.last_evaluation()->policy_version == 150);
  CHECK(statistics.DashboardLine(150, 500).find("eval -250.0 (v150)") != std::string::npos);
  CHECK(statistics.DashboardLine(150, 500).find("env 500/1000 (50%)") != std::string::npos);
}

}  // namespace
}  // namespace ddpg
