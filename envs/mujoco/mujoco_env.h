// The base of Gymnasium's MuJoCo environments (gymnasium/envs/mujoco/mujoco_env.py, v4 semantics).
//
// A step writes the action into data.ctrl as given (MuJoCo clamps it to the actuator's ctrlrange when the
// actuator is ctrllimited, and leaves ctrl itself untouched), runs frame_skip mj_steps and then
// mj_rnePostConstraint, like Gymnasium; positions derived by the last step's kinematics (xpos, xipos,
// site_xpos, cinert, cvel) are therefore those of the start of the last mj_step, exactly what Gymnasium's
// environments read. A reset is mj_resetData followed by the subclass's noise on (qpos0, 0) and SetState.
// dt = opt.timestep * frame_skip. Action bounds are the actuators' ctrlrange; observations are unbounded.
//
// Ownership: shares the read-only model (envs/mujoco/model_loader.h) and owns one mjData. Not thread-safe; one
// thread per instance, as for every Environment. Never blocks.
#pragma once

#include <memory>
#include <random>
#include <span>
#include <string>
#include <vector>

#include <mujoco/mujoco.h>

#include "envs/environment.h"
#include "envs/mujoco/model_loader.h"

namespace ddpg {

class MujocoEnv : public Environment {
 public:
  ~MujocoEnv() override;

  // Gymnasium's set_state (copy qpos and qvel, then mj_forward), then writes the observation of that state.
  // Tests drive the state to a chosen point with it. Expects model().nq and model().nv values.
  void SetState(std::span<const double> qpos, std::span<const double> qvel, float* observation);

  const mjModel& model() const { return *model_; }
  const mjData& data() const { return *data_; }
  std::span<const double> qpos() const { return {data_->qpos, static_cast<size_t>(model_->nq)}; }
  std::span<const double> qvel() const { return {data_->qvel, static_cast<size_t>(model_->nv)}; }
  std::span<const double> ctrl() const { return {data_->ctrl, static_cast<size_t>(model_->nu)}; }
  int frame_skip() const { return frame_skip_; }
  double dt() const { return model_->opt.timestep * frame_skip_; }

 protected:
  MujocoEnv(std::string id, int obs_dim, int max_episode_steps, MujocoModelPtr model, int frame_skip);

  // Gymnasium's do_simulation.
  void DoSimulation(const float* action);

  // Adds the reset noise to qpos (starting at model.qpos0) and qvel (starting at 0).
  virtual void PerturbInitialState(std::vector<double>& qpos, std::vector<double>& qvel) = 0;
  virtual void Observe(float* observation) const = 0;

  // In-place noise in Gymnasium's two forms: U(-scale, scale) and scale * N(0, 1), drawn from rng().
  void AddUniformNoise(std::span<double> values, double scale);
  void AddNormalNoise(std::span<double> values, double scale);

  mjData* mutable_data() { return data_; }
  // Ids that must exist in Gym's model files; a missing one is a programming error caught in tests.
  int BodyId(const char* name) const { return mj_name2id(model_.get(), mjOBJ_BODY, name); }

 private:
  void ResetState(float* observation) final;

  MujocoModelPtr model_;
  mjData* data_;
  int frame_skip_;
};

// The registry factory of a MuJoCo environment: Env(model) on the process-wide copy of Env::kModelName.
template <class Env>
StatusOr<std::unique_ptr<Environment>> MakeMujocoEnv() {
  auto model = SharedMujocoModel(Env::kModelName);
  if (!model.ok()) return model.status();
  return std::unique_ptr<Environment>(std::make_unique<Env>(*model));
}

}  // namespace ddpg
