#include "envs/env_spec.h"

#include <limits>
#include <numbers>

#include "envs/recsys/latent_factor_spec.h"
#include "envs/recsys/movielens_spec.h"

namespace ddpg {

namespace {

struct TableEntry {
  EnvFamily family;
  EnvSpec spec;
};

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kPi = std::numbers::pi_v<float>;

std::vector<float> Repeat(int count, float value) { return std::vector<float>(count, value); }

// obs_dim and act_dim are the lengths of the bound vectors.
TableEntry Entry(EnvFamily family, const char* id, std::vector<float> obs_low, std::vector<float> obs_high,
                 std::vector<float> act_low, std::vector<float> act_high, int max_episode_steps) {
  EnvSpec spec;
  spec.id = id;
  spec.obs_dim = static_cast<int>(obs_low.size());
  spec.act_dim = static_cast<int>(act_low.size());
  spec.obs_low = std::move(obs_low);
  spec.obs_high = std::move(obs_high);
  spec.act_low = std::move(act_low);
  spec.act_high = std::move(act_high);
  spec.max_episode_steps = max_episode_steps;
  return {family, std::move(spec)};
}

// Gymnasium's MuJoCo observations are unbounded and every actuator's ctrlrange is symmetric.
TableEntry Mujoco(const char* id, int obs_dim, int act_dim, float act_bound, int max_episode_steps) {
  return Entry(EnvFamily::kMujoco, id, Repeat(obs_dim, -kInf), Repeat(obs_dim, kInf), Repeat(act_dim, -act_bound),
               Repeat(act_dim, act_bound), max_episode_steps);
}

std::vector<float> Join(std::vector<float> head, const std::vector<float>& tail) {
  head.insert(head.end(), tail.begin(), tail.end());
  return head;
}

// Gymnasium's observation and action spaces and TimeLimits.
const std::vector<TableEntry>& Table() {
  using enum EnvFamily;
  static const std::vector<TableEntry> table = {
      Entry(kClassicControl, "Pendulum-v1", {-1.0f, -1.0f, -8.0f}, {1.0f, 1.0f, 8.0f}, {-2.0f}, {2.0f}, 200),
      Entry(kClassicControl, "MountainCarContinuous-v0", {-1.2f, -0.07f}, {0.6f, 0.07f}, {-1.0f}, {1.0f}, 999),
      Entry(kBox2d, "LunarLanderContinuous-v3", {-2.5f, -2.5f, -10.0f, -10.0f, -2 * kPi, -10.0f, 0.0f, 0.0f},
            {2.5f, 2.5f, 10.0f, 10.0f, 2 * kPi, 10.0f, 1.0f, 1.0f}, Repeat(2, -1.0f), Repeat(2, 1.0f), 1000),
      // Hull and joint terms (Gymnasium bounds the leg contacts by 5), then 10 lidar fractions.
      Entry(kBox2d, "BipedalWalker-v3",
            Join({-kPi, -5.0f, -5.0f, -5.0f, -kPi, -5.0f, -kPi, -5.0f, 0.0f, -kPi, -5.0f, -kPi, -5.0f, 0.0f},
                 Repeat(10, -1.0f)),
            Join({kPi, 5.0f, 5.0f, 5.0f, kPi, 5.0f, kPi, 5.0f, 5.0f, kPi, 5.0f, kPi, 5.0f, 5.0f}, Repeat(10, 1.0f)),
            Repeat(4, -1.0f), Repeat(4, 1.0f), 1600),
      Mujoco("HalfCheetah-v4", 17, 6, 1.0f, 1000),
      Mujoco("Hopper-v4", 11, 3, 1.0f, 1000),
      Mujoco("Walker2d-v4", 17, 6, 1.0f, 1000),
      Mujoco("Ant-v4", 27, 8, 1.0f, 1000),
      Mujoco("Humanoid-v4", 376, 17, 0.4f, 1000),
      Mujoco("Swimmer-v4", 8, 2, 1.0f, 1000),
      Mujoco("Reacher-v4", 11, 2, 1.0f, 50),
      Mujoco("InvertedPendulum-v4", 4, 1, 3.0f, 1000),
      Mujoco("InvertedDoublePendulum-v4", 11, 1, 1.0f, 1000),
      // With the default options; LookUpEnvSpec answers for the run's.
      {kRecommender, recsys::LatentFactorSpec(RecsimOptions{})},
      // Its dimensions follow the embeddings file; LookUpEnvSpec reads it.
      {kRecommender, recsys::MovieLensPlaceholderSpec()},
  };
  return table;
}

StatusOr<const TableEntry*> Find(const std::string& id) {
  for (const TableEntry& entry : Table()) {
    if (entry.spec.id == id) return &entry;
  }
  std::string known;
  for (const std::string& name : RegisteredEnvironmentIds()) known += (known.empty() ? "" : ", ") + name;
  return NotFound("unknown environment id '" + id + "'; known ids: " + known);
}

}  // namespace

StatusOr<EnvSpec> LookUpEnvSpec(const std::string& id, const EnvOptions& options) {
  auto entry = Find(id);
  if (!entry.ok()) return entry.status();
  if (id == recsys::kLatentFactorId) {
    if (Status valid = recsys::ValidateRecsimOptions(options.recsim); !valid.ok()) return valid;
    return recsys::LatentFactorSpec(options.recsim);
  }
  if (id == recsys::kMovieLensId) return recsys::LoadMovieLensSpec(options.movielens);
  return (*entry)->spec;
}

StatusOr<EnvFamily> LookUpEnvFamily(const std::string& id) {
  auto entry = Find(id);
  if (!entry.ok()) return entry.status();
  return (*entry)->family;
}

std::vector<std::string> RegisteredEnvironmentIds() {
  std::vector<std::string> ids;
  for (const TableEntry& entry : Table()) ids.push_back(entry.spec.id);
  return ids;
}

}  // namespace ddpg
