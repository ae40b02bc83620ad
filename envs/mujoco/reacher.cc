#include "envs/mujoco/reacher.h"

#include <cmath>
#include <random>

namespace ddpg {

Reacher::Reacher(MujocoModelPtr model)
    : MujocoEnv("Reacher-v4", 11, 50, std::move(model), 2),
      fingertip_(BodyId("fingertip")),
      target_(BodyId("target")) {}

StepResult Reacher::StepState(const float* action, float* observation) {
  const double* tip = data().xpos + 3 * fingertip_;
  const double* target = data().xpos + 3 * target_;
  const double distance = std::hypot(tip[0] - target[0], tip[1] - target[1], tip[2] - target[2]);
  double ctrl_cost = 0.0;
  for (int i = 0; i < model().nu; ++i) ctrl_cost += static_cast<double>(action[i]) * action[i];
  const double reward = -distance - ctrl_cost;
  DoSimulation(action);
  Observe(observation);
  return {static_cast<float>(reward), false, false};
}

void Reacher::PerturbInitialState(std::vector<double>& qpos, std::vector<double>& qvel) {
  AddUniformNoise(qpos, 0.1);
  std::uniform_real_distribution<double> coordinate(-0.2, 0.2);
  double goal_x, goal_y;
  do {
    goal_x = coordinate(rng());
    goal_y = coordinate(rng());
  } while (std::hypot(goal_x, goal_y) >= 0.2);
  qpos[2] = goal_x;
  qpos[3] = goal_y;
  AddUniformNoise(qvel, 5e-3);
  qvel[2] = 0.0;
  qvel[3] = 0.0;
}

void Reacher::Observe(float* observation) const {
  const auto q = qpos();
  const auto v = qvel();
  observation[0] = static_cast<float>(std::cos(q[0]));
  observation[1] = static_cast<float>(std::cos(q[1]));
  observation[2] = static_cast<float>(std::sin(q[0]));
  observation[3] = static_cast<float>(std::sin(q[1]));
  observation[4] = static_cast<float>(q[2]);
  observation[5] = static_cast<float>(q[3]);
  observation[6] = static_cast<float>(v[0]);
  observation[7] = static_cast<float>(v[1]);
  for (int k = 0; k < 3; ++k) {
    observation[8 + k] = static_cast<float>(data().xpos[3 * fingertip_ + k] - data().xpos[3 * target_ + k]);
  }
}

}  // namespace ddpg
