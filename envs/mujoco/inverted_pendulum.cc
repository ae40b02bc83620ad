#include "envs/mujoco/inverted_pendulum.h"

#include <algorithm>
#include <cmath>

namespace ddpg {

namespace {
constexpr int kBalanceSteps = 1000;
}  // namespace

// --- InvertedPendulum-v4 ---

InvertedPendulum::InvertedPendulum(MujocoModelPtr model)
    : MujocoEnv("InvertedPendulum-v4", 4, kBalanceSteps, std::move(model), 2) {}

StepResult InvertedPendulum::StepState(const float* action, float* observation) {
  DoSimulation(action);
  Observe(observation);
  const bool finite = std::all_of(observation, observation + 4, [](float v) { return std::isfinite(v); });
  return {1.0f, !finite || std::abs(observation[1]) > 0.2f, false};
}

void InvertedPendulum::PerturbInitialState(std::vector<double>& qpos, std::vector<double>& qvel) {
  AddUniformNoise(qpos, 0.01);
  AddUniformNoise(qvel, 0.01);
}

void InvertedPendulum::Observe(float* observation) const {
  observation[0] = static_cast<float>(qpos()[0]);
  observation[1] = static_cast<float>(qpos()[1]);
  observation[2] = static_cast<float>(qvel()[0]);
  observation[3] = static_cast<float>(qvel()[1]);
}

// --- InvertedDoublePendulum-v4 ---

InvertedDoublePendulum::InvertedDoublePendulum(MujocoModelPtr model)
    : MujocoEnv("InvertedDoublePendulum-v4", 11, kBalanceSteps, std::move(model), 5) {}

StepResult InvertedDoublePendulum::StepState(const float* action, float* observation) {
  DoSimulation(action);
  Observe(observation);
  // Gymnasium reads site_xpos as mj_step left it: the tip at the start of the last substep.
  const double x = data().site_xpos[0];
  const double y = data().site_xpos[2];
  const double distance_penalty = 0.01 * x * x + (y - 2.0) * (y - 2.0);
  const double v1 = qvel()[1];
  const double v2 = qvel()[2];
  const double velocity_penalty = 1e-3 * v1 * v1 + 5e-3 * v2 * v2;
  const double reward = 10.0 - distance_penalty - velocity_penalty;
  return {static_cast<float>(reward), y <= 1.0, false};
}

void InvertedDoublePendulum::PerturbInitialState(std::vector<double>& qpos, std::vector<double>& qvel) {
  AddUniformNoise(qpos, 0.1);
  AddNormalNoise(qvel, 0.1);
}

void InvertedDoublePendulum::Observe(float* observation) const {
  const auto q = qpos();
  observation[0] = static_cast<float>(q[0]);
  observation[1] = static_cast<float>(std::sin(q[1]));
  observation[2] = static_cast<float>(std::sin(q[2]));
  observation[3] = static_cast<float>(std::cos(q[1]));
  observation[4] = static_cast<float>(std::cos(q[2]));
  for (int i = 0; i < 3; ++i) {
    observation[5 + i] = static_cast<float>(std::clamp(qvel()[i], -10.0, 10.0));
    observation[8 + i] = static_cast<float>(std::clamp(data().qfrc_constraint[i], -10.0, 10.0));
  }
}

}  // namespace ddpg
