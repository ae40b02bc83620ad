#include "envs/mujoco/mujoco_env.h"

#include <algorithm>
#include <limits>
#include <utility>

namespace ddpg {

namespace {

EnvSpec MujocoSpec(std::string id, int obs_dim, int max_episode_steps, const mjModel& model) {
  EnvSpec spec;
  spec.id = std::move(id);
  spec.obs_dim = obs_dim;
  spec.act_dim = model.nu;
  spec.obs_low.assign(obs_dim, -std::numeric_limits<float>::infinity());
  spec.obs_high.assign(obs_dim, std::numeric_limits<float>::infinity());
  for (int i = 0; i < model.nu; ++i) {
    spec.act_low.push_back(static_cast<float>(model.actuator_ctrlrange[2 * i]));
    spec.act_high.push_back(static_cast<float>(model.actuator_ctrlrange[2 * i + 1]));
  }
  spec.max_episode_steps = max_episode_steps;
  return spec;
}

}  // namespace

MujocoEnv::MujocoEnv(std::string id, int obs_dim, int max_episode_steps, MujocoModelPtr model, int frame_skip)
    : Environment(MujocoSpec(std::move(id), obs_dim, max_episode_steps, *model)),
      model_(std::move(model)),
      data_(mj_makeData(model_.get())),
      frame_skip_(frame_skip) {}

MujocoEnv::~MujocoEnv() { mj_deleteData(data_); }

void MujocoEnv::SetState(std::span<const double> qpos, std::span<const double> qvel, float* observation) {
  std::copy(qpos.begin(), qpos.end(), data_->qpos);
  std::copy(qvel.begin(), qvel.end(), data_->qvel);
  mj_forward(model_.get(), data_);
  Observe(observation);
}

void MujocoEnv::ResetState(float* observation) {
  mj_resetData(model_.get(), data_);
  std::vector<double> qpos(model_->qpos0, model_->qpos0 + model_->nq);
  std::vector<double> qvel(model_->nv, 0.0);
  PerturbInitialState(qpos, qvel);
  SetState(qpos, qvel, observation);
}

void MujocoEnv::DoSimulation(const float* action) {
  std::copy(action, action + model_->nu, data_->ctrl);
  for (int i = 0; i < frame_skip_; ++i) mj_step(model_.get(), data_);
  // mj_step leaves cacc and cfrc_ext uncomputed unless the model has force sensors.
  mj_rnePostConstraint(model_.get(), data_);
}

void MujocoEnv::AddUniformNoise(std::span<double> values, double scale) {
  std::uniform_real_distribution<double> noise(-scale, scale);
  for (double& value : values) value += noise(rng());
}

void MujocoEnv::AddNormalNoise(std::span<double> values, double scale) {
  std::normal_distribution<double> noise(0.0, 1.0);
  for (double& value : values) value += scale * noise(rng());
}

}  // namespace ddpg
