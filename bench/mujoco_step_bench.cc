// Throughput of the MuJoCo environments on one thread, and the return of the uniform random policy.
//
//   mujoco_step_bench [steps]
//
// Prints steps/s of EnvBatch over 16 HalfCheetah-v4 environments against bare mj_step on the same model
// with the same frame skip (5), then the mean return of uniform random actions over 100 episodes of every
// MuJoCo environment id (a sanity check against the known values of Gymnasium's environments).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "envs/env_batch.h"
#include "envs/mujoco/model_loader.h"
#include "envs/registry.h"

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) { return std::chrono::duration<double>(Clock::now() - since).count(); }

int BenchBatch(int steps) {
  constexpr int kEnvs = 16;
  auto batch = ddpg::EnvBatch::Create("HalfCheetah-v4", kEnvs, 0);
  if (!batch.ok()) {
    std::fprintf(stderr, "%s\n", batch.status().message().c_str());
    return 1;
  }
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> action(-1.0f, 1.0f);
  // Actions drawn ahead of time so that only stepping is timed.
  std::vector<float> actions(static_cast<size_t>(steps) * kEnvs * 6);
  for (float& a : actions) a = action(rng);
  ddpg::StepOutput out;
  std::vector<float> step_actions(kEnvs * 6);
  const auto start = Clock::now();
  for (int t = 0; t < steps; ++t) {
    step_actions.assign(actions.begin() + static_cast<long>(t) * kEnvs * 6,
                        actions.begin() + static_cast<long>(t + 1) * kEnvs * 6);
    (*batch)->Step(step_actions, out);
  }
  const double batch_seconds = Seconds(start);
  std::printf("EnvBatch 16 x HalfCheetah-v4: %.0f env steps/s (%d batch steps)\n", steps * kEnvs / batch_seconds,
              steps);

  auto model = ddpg::SharedMujocoModel("half_cheetah");
  if (!model.ok()) return 1;
  mjData* data = mj_makeData(model->get());
  const auto bare_start = Clock::now();
  for (long t = 0; t < static_cast<long>(steps) * kEnvs; ++t) {
    for (int i = 0; i < 6; ++i) data->ctrl[i] = actions[t * 6 + i];
    for (int k = 0; k < 5; ++k) mj_step(model->get(), data);
  }
  const double bare_seconds = Seconds(bare_start);
  mj_deleteData(data);
  std::printf("bare mj_step x 5 on half_cheetah: %.0f env steps/s\n", steps * kEnvs / bare_seconds);
  return 0;
}

int RandomReturns() {
  const char* ids[] = {"HalfCheetah-v4", "Hopper-v4",           "Walker2d-v4",
                       "Ant-v4",         "Humanoid-v4",         "Swimmer-v4",
                       "Reacher-v4",     "InvertedPendulum-v4", "InvertedDoublePendulum-v4"};
  for (const char* id : ids) {
    auto env = ddpg::MakeEnvironment(id);
    if (!env.ok()) {
      std::fprintf(stderr, "%s\n", env.status().message().c_str());
      return 1;
    }
    const ddpg::EnvSpec& spec = (*env)->spec();
    std::vector<float> obs(spec.obs_dim);
    std::vector<float> action(spec.act_dim);
    std::mt19937 rng(7);
    constexpr int kEpisodes = 100;
    double total = 0.0;
    long total_steps = 0;
    for (int episode = 0; episode < kEpisodes; ++episode) {
      (*env)->Reset(episode, obs.data());
      for (bool done = false; !done;) {
        for (int i = 0; i < spec.act_dim; ++i) {
          action[i] = std::uniform_real_distribution<float>(spec.act_low[i], spec.act_high[i])(rng);
        }
        const ddpg::StepResult r = (*env)->Step(action.data(), obs.data());
        total += r.reward;
        ++total_steps;
        done = r.terminated || r.truncated;
      }
    }
    std::printf("%-26s random policy: mean return %9.2f, mean length %7.1f\n", id, total / kEpisodes,
                static_cast<double>(total_steps) / kEpisodes);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const int steps = argc > 1 ? std::atoi(argv[1]) : 2000;
  if (int rc = BenchBatch(steps); rc != 0) return rc;
  return RandomReturns();
}
