#include "envs/mujoco/locomotion.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

namespace ddpg {

namespace {

constexpr int kLocomotionSteps = 1000;
constexpr double kInfinity = std::numeric_limits<double>::infinity();

double SquaredNorm(const float* action, int n) {
  double sum = 0.0;
  for (int i = 0; i < n; ++i) sum += static_cast<double>(action[i]) * action[i];
  return sum;
}

// Writes values[from:] as floats, optionally clipped to [-limit, limit]; returns the next free slot.
float* Append(std::span<const double> values, size_t from, float* out, double limit = kInfinity) {
  for (size_t i = from; i < values.size(); ++i) *out++ = static_cast<float>(std::clamp(values[i], -limit, limit));
  return out;
}

float* Append(const double* values, int count, float* out) {
  for (int i = 0; i < count; ++i) *out++ = static_cast<float>(values[i]);
  return out;
}

}  // namespace

// --- HalfCheetah-v4 ---

HalfCheetah::HalfCheetah(MujocoModelPtr model)
    : MujocoEnv("HalfCheetah-v4", 17, kLocomotionSteps, std::move(model), 5) {}

StepResult HalfCheetah::StepState(const float* action, float* observation) {
  const double x_before = qpos()[0];
  DoSimulation(action);
  const double x_velocity = (qpos()[0] - x_before) / dt();
  const double reward = 1.0 * x_velocity - 0.1 * SquaredNorm(action, model().nu);
  Observe(observation);
  return {static_cast<float>(reward), false, false};
}

void HalfCheetah::PerturbInitialState(std::vector<double>& qpos, std::vector<double>& qvel) {
  AddUniformNoise(qpos, 0.1);
  AddNormalNoise(qvel, 0.1);
}

void HalfCheetah::Observe(float* observation) const { Append(qvel(), 0, Append(qpos(), 1, observation)); }

// --- Hopper-v4 and Walker2d-v4 ---

PlanarLeggedEnv::PlanarLeggedEnv(std::string id, int obs_dim, MujocoModelPtr model)
    : MujocoEnv(std::move(id), obs_dim, kLocomotionSteps, std::move(model), 4) {}

StepResult PlanarLeggedEnv::StepState(const float* action, float* observation) {
  const double x_before = qpos()[0];
  DoSimulation(action);
  const double x_velocity = (qpos()[0] - x_before) / dt();
  // healthy_reward is paid on every step when terminate_when_unhealthy is set, the terminal one included.
  const double reward = 1.0 * x_velocity + 1.0 - 1e-3 * SquaredNorm(action, model().nu);
  Observe(observation);
  return {static_cast<float>(reward), !IsHealthy(), false};
}

void PlanarLeggedEnv::PerturbInitialState(std::vector<double>& qpos, std::vector<double>& qvel) {
  AddUniformNoise(qpos, 5e-3);
  AddUniformNoise(qvel, 5e-3);
}

void PlanarLeggedEnv::Observe(float* observation) const { Append(qvel(), 0, Append(qpos(), 1, observation), 10.0); }

Hopper::Hopper(MujocoModelPtr model) : PlanarLeggedEnv("Hopper-v4", 11, std::move(model)) {}

bool Hopper::IsHealthy() const {
  const auto in_state_range = [](double v) { return -100.0 < v && v < 100.0; };
  const bool healthy_state = std::all_of(qpos().begin() + 2, qpos().end(), in_state_range) &&
                             std::all_of(qvel().begin(), qvel().end(), in_state_range);
  const double z = qpos()[1];
  const double angle = qpos()[2];
  return healthy_state && 0.7 < z && z < kInfinity && -0.2 < angle && angle < 0.2;
}

Walker2d::Walker2d(MujocoModelPtr model) : PlanarLeggedEnv("Walker2d-v4", 17, std::move(model)) {}

bool Walker2d::IsHealthy() const {
  const double z = qpos()[1];
  const double angle = qpos()[2];
  return 0.8 < z && z < 2.0 && -1.0 < angle && angle < 1.0;
}

// --- Ant-v4 ---

Ant::Ant(MujocoModelPtr model)
    : MujocoEnv("Ant-v4", 27, kLocomotionSteps, std::move(model), 5), torso_(BodyId("torso")) {}

bool Ant::IsHealthy() const {
  const auto finite = [](double v) { return std::isfinite(v); };
  const double z = qpos()[2];
  return std::all_of(qpos().begin(), qpos().end(), finite) && std::all_of(qvel().begin(), qvel().end(), finite) &&
         0.2 <= z && z <= 1.0;
}

StepResult Ant::StepState(const float* action, float* observation) {
  // Gymnasium's get_body_com("torso") reads xpos, which after mj_step is the start of the last substep.
  const double x_before = data().xpos[3 * torso_];
  DoSimulation(action);
  const double x_velocity = (data().xpos[3 * torso_] - x_before) / dt();
  const double reward = x_velocity + 1.0 - 0.5 * SquaredNorm(action, model().nu);
  Observe(observation);
  return {static_cast<float>(reward), !IsHealthy(), false};
}

void Ant::PerturbInitialState(std::vector<double>& qpos, std::vector<double>& qvel) {
  AddUniformNoise(qpos, 0.1);
  AddNormalNoise(qvel, 0.1);
}

void Ant::Observe(float* observation) const { Append(qvel(), 0, Append(qpos(), 2, observation)); }

// --- Humanoid-v4 ---

Humanoid::Humanoid(MujocoModelPtr model) : MujocoEnv("Humanoid-v4", 376, kLocomotionSteps, std::move(model), 5) {}

bool Humanoid::IsHealthy() const { return 1.0 < qpos()[2] && qpos()[2] < 2.0; }

double Humanoid::MassCenterX() const {
  double weighted = 0.0;
  double total = 0.0;
  for (int b = 0; b < model().nbody; ++b) {
    weighted += model().body_mass[b] * data().xipos[3 * b];
    total += model().body_mass[b];
  }
  return weighted / total;
}

StepResult Humanoid::StepState(const float* action, float* observation) {
  const double x_before = MassCenterX();
  DoSimulation(action);
  const double x_velocity = (MassCenterX() - x_before) / dt();
  // Humanoid's control cost reads data.ctrl rather than the action; the two hold the same numbers.
  double ctrl_cost = 0.0;
  for (double c : ctrl()) ctrl_cost += c * c;
  const double reward = 1.25 * x_velocity + 5.0 - 0.1 * ctrl_cost;
  Observe(observation);
  return {static_cast<float>(reward), !IsHealthy(), false};
}

void Humanoid::PerturbInitialState(std::vector<double>& qpos, std::vector<double>& qvel) {
  AddUniformNoise(qpos, 1e-2);
  AddUniformNoise(qvel, 1e-2);
}

void Humanoid::Observe(float* observation) const {
  const mjModel& m = model();
  const mjData& d = data();
  float* out = Append(qvel(), 0, Append(qpos(), 2, observation));
  out = Append(d.cinert, 10 * m.nbody, out);
  out = Append(d.cvel, 6 * m.nbody, out);
  out = Append(d.qfrc_actuator, m.nv, out);
  Append(d.cfrc_ext, 6 * m.nbody, out);
}

// --- Swimmer-v4 ---

Swimmer::Swimmer(MujocoModelPtr model) : MujocoEnv("Swimmer-v4", 8, kLocomotionSteps, std::move(model), 4) {}

StepResult Swimmer::StepState(const float* action, float* observation) {
  const double x_before = qpos()[0];
  DoSimulation(action);
  const double x_velocity = (qpos()[0] - x_before) / dt();
  const double reward = 1.0 * x_velocity - 1e-4 * SquaredNorm(action, model().nu);
  Observe(observation);
  return {static_cast<float>(reward), false, false};
}

void Swimmer::PerturbInitialState(std::vector<double>& qpos, std::vector<double>& qvel) {
  AddUniformNoise(qpos, 0.1);
  AddUniformNoise(qvel, 0.1);
}

void Swimmer::Observe(float* observation) const { Append(qvel(), 0, Append(qpos(), 2, observation)); }

}  // namespace ddpg
