// Gymnasium's MuJoCo locomotion environments, v4 with default constructor arguments: HalfCheetah, Hopper,
// Walker2d, Ant, Humanoid and Swimmer (gymnasium/envs/mujoco/<name>_v4.py).
//
// Each rewards forward progress, (x_after - x_before) / dt times a weight, and charges weight * sum(a^2)
// for the action; the creatures that can fall (Hopper, Walker2d, Ant, Humanoid) add a healthy reward on
// every step and terminate when unhealthy (terminate_when_unhealthy=True). Observations exclude the x (and
// for 3-D bodies y) position. All truncate after 1000 steps.
//
// Ownership, blocking and thread-safety: as MujocoEnv (envs/mujoco/mujoco_env.h).
#pragma once

#include <string>
#include <vector>

#include "envs/mujoco/mujoco_env.h"

namespace ddpg {

// obs = qpos[1:] (8), qvel (9); reward = 1.0 * vx - 0.1 * |a|^2 with vx of qpos[0]; never terminates.
// Reset: qpos0 + U(-0.1, 0.1), qvel 0.1 * N(0, 1). frame_skip 5 (dt 0.05).
class HalfCheetah final : public MujocoEnv {
 public:
  static constexpr char kModelName[] = "half_cheetah";
  explicit HalfCheetah(MujocoModelPtr model);

 protected:
  StepResult StepState(const float* action, float* observation) override;

 private:
  void PerturbInitialState(std::vector<double>& qpos, std::vector<double>& qvel) override;
  void Observe(float* observation) const override;
};

// Hopper and Walker2d, planar legged bodies that share everything but their health rule: obs = qpos[1:],
// clip(qvel, -10, 10); reward = 1 + vx - 1e-3 |a|^2 with vx of qpos[0]; terminated when not IsHealthy() (the
// healthy reward is paid on the terminal step too). Reset: U(-5e-3, 5e-3) on qpos and qvel. frame_skip 4
// (dt 0.008).
class PlanarLeggedEnv : public MujocoEnv {
 public:
  virtual bool IsHealthy() const = 0;

 protected:
  PlanarLeggedEnv(std::string id, int obs_dim, MujocoModelPtr model);

  StepResult StepState(const float* action, float* observation) final;

 private:
  void PerturbInitialState(std::vector<double>& qpos, std::vector<double>& qvel) final;
  void Observe(float* observation) const final;
};

// obs 5 + 6. Healthy while every element of (qpos[2:], qvel) lies in (-100, 100), 0.7 < z = qpos[1] and
// -0.2 < angle = qpos[2] < 0.2, all strict.
class Hopper final : public PlanarLeggedEnv {
 public:
  static constexpr char kModelName[] = "hopper";
  explicit Hopper(MujocoModelPtr model);
  bool IsHealthy() const override;
};

// obs 8 + 9. Healthy while 0.8 < z < 2 and -1 < angle < 1 (z = qpos[1], angle = qpos[2]).
class Walker2d final : public PlanarLeggedEnv {
 public:
  static constexpr char kModelName[] = "walker2d";
  explicit Walker2d(MujocoModelPtr model);
  bool IsHealthy() const override;
};

// use_contact_forces=False: obs = qpos[2:] (13), qvel (14) and no contact cost. reward = 1 + vx - 0.5 |a|^2
// with vx of the torso's body frame (xpos). Healthy while qpos and qvel are finite and 0.2 <= z <= 1
// (z = qpos[2], closed interval). Reset: qpos0 + U(-0.1, 0.1), qvel 0.1 * N(0, 1). frame_skip 5 (dt 0.05).
class Ant final : public MujocoEnv {
 public:
  static constexpr char kModelName[] = "ant";
  explicit Ant(MujocoModelPtr model);
  bool IsHealthy() const;

 protected:
  StepResult StepState(const float* action, float* observation) override;

 private:
  void PerturbInitialState(std::vector<double>& qpos, std::vector<double>& qvel) override;
  void Observe(float* observation) const override;

  int torso_;
};

// obs = qpos[2:] (22), qvel (23), cinert (14 x 10), cvel (14 x 6), qfrc_actuator (23), cfrc_ext (14 x 6) = 376,
// the world body included. reward = 5 + 1.25 * vx - 0.1 |ctrl|^2 with vx of the mass-weighted mean of the
// bodies' xipos. Healthy while 1 < qpos[2] < 2. Reset: U(-1e-2, 1e-2) on qpos and qvel. frame_skip 5.
class Humanoid final : public MujocoEnv {
 public:
  static constexpr char kModelName[] = "humanoid";
  explicit Humanoid(MujocoModelPtr model);
  bool IsHealthy() const;
  // Gymnasium's mass_center: x of sum(body_mass * xipos) / sum(body_mass).
  double MassCenterX() const;

 protected:
  StepResult StepState(const float* action, float* observation) override;

 private:
  void PerturbInitialState(std::vector<double>& qpos, std::vector<double>& qvel) override;
  void Observe(float* observation) const override;
};

// obs = qpos[2:] (3), qvel (5); reward = vx - 1e-4 |a|^2 with vx of qpos[0]; never terminates.
// Reset: U(-0.1, 0.1) on qpos and qvel. frame_skip 4 (dt 0.04).
class Swimmer final : public MujocoEnv {
 public:
  static constexpr char kModelName[] = "swimmer";
  explicit Swimmer(MujocoModelPtr model);

 protected:
  StepResult StepState(const float* action, float* observation) override;

 private:
  void PerturbInitialState(std::vector<double>& qpos, std::vector<double>& qvel) override;
  void Observe(float* observation) const override;
};

}  // namespace ddpg
