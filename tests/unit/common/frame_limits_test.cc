// Tests of the start-up frame-size check (common/frame_limits.h).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "common/config.h"
#include "common/frame_limits.h"
#include "common/protocol.h"

namespace ddpg {
namespace {

constexpr int kHumanoidObs = 376;
constexpr int kHumanoidAct = 17;

Config HumanoidConfig() {
  Config config;
  config.env.id = "Humanoid-v4";
  return config;
}

// A batch whose every value differs, valid by protocol::ValidateBatch.
protocol::TransitionBatch Batch(int obs_dim, int act_dim, size_t size) {
  protocol::TransitionBatch batch;
  batch.obs_dim = obs_dim;
  batch.act_dim = act_dim;
  for (size_t i = 0; i < size; ++i) {
    for (int j = 0; j < obs_dim; ++j) {
      batch.observations.push_back(static_cast<float>(i * obs_dim + j));
      batch.next_observations.push_back(-static_cast<float>(i * obs_dim + j));
    }
    for (int j = 0; j < act_dim; ++j) batch.actions.push_back(static_cast<float>(j) / act_dim);
    batch.rewards.push_back(static_cast<float>(i));
    batch.discounts.push_back(0.99f);
    batch.policy_versions.push_back(i);
  }
  return batch;
}

// The number that follows `before` in `message`, read with its thousands separators ("21,647" -> 21647)
// or, with grouped = false, up to the first comma ("4092,4092" -> 4092).
long ReportedValue(const std::string& message, const std::string& before, bool grouped = true) {
  const size_t start = message.find(before);
  REQUIRE(start != std::string::npos);
  std::string digits;
  for (size_t i = start + before.size(); i < message.size(); ++i) {
    const char c = message[i];
    if (c >= '0' && c <= '9') {
      digits += c;
    } else if (!(grouped && c == ',')) {
      break;
    }
  }
  REQUIRE_FALSE(digits.empty());
  return std::stol(digits);
}

}  // namespace

TEST_CASE("the predicted frame sizes are those of real encodings", "[frame_limits]") {
  protocol::InsertChunk chunk;
  chunk.actor_id = 7;
  chunk.sequence = 123456;
  chunk.transitions = Batch(kHumanoidObs, kHumanoidAct, 1003);
  const std::string chunk_frame = protocol::Encode(chunk);
  REQUIRE(protocol::Decode(chunk_frame).ok());  // a complete message: no per-transition array left empty
  CHECK(InsertChunkFrameBytes(kHumanoidObs, kHumanoidAct, 1003) == chunk_frame.size());

  protocol::SampleReply reply;
  reply.request_id = 99;
  reply.transitions = Batch(kHumanoidObs, kHumanoidAct, 777);
  for (size_t i = 0; i < 777; ++i) reply.indices.push_back(i * 13);
  // As a prioritized server sends it, the larger form, which the prediction must cover.
  reply.generations.assign(777, 2);
  reply.weights.assign(777, 0.5f);
  reply.replay_size = 1000000;
  const std::string reply_frame = protocol::Encode(reply);
  REQUIRE(protocol::Decode(reply_frame).ok());
  CHECK(SampleReplyFrameBytes(kHumanoidObs, kHumanoidAct, 777) == reply_frame.size());

  const std::vector<int> hidden_sizes = {64, 32, 48};
  protocol::Weights weights;
  weights.version = 5000;
  weights.obs_dim = kHumanoidObs;
  weights.act_dim = kHumanoidAct;
  weights.hidden_sizes = {64, 32, 48};
  // 376*64+64 + 64*32+32 + 32*48+48 + 48*17+17: the actor MLP's weights and biases.
  CHECK(ActorParameterCount(kHumanoidObs, kHumanoidAct, hidden_sizes) == 24128 + 2080 + 1584 + 833);
  weights.parameters.assign(ActorParameterCount(kHumanoidObs, kHumanoidAct, hidden_sizes), 0.5f);
  CHECK(WeightsFrameBytes(kHumanoidObs, kHumanoidAct, hidden_sizes) == protocol::Encode(weights).size());
}

TEST_CASE("a chunk can hold chunk_size - 1 + num_envs * n_step transitions", "[frame_limits]") {
  ActorConfig actor;
  actor.chunk_size = 200;
  actor.num_envs = 4;
  CHECK(LargestChunkTransitions(actor) == 203);
  actor.num_envs = 1;
  CHECK(LargestChunkTransitions(actor) == 200);
  actor.num_envs = 4;
  actor.n_step = 5;
  CHECK(LargestChunkTransitions(actor) == 219);
}

TEST_CASE("the default configuration fits for Pendulum and Humanoid", "[frame_limits]") {
  CHECK(CheckFrameLimits(Config(), 3, 1).ok());
  CHECK(CheckFrameLimits(HumanoidConfig(), kHumanoidObs, kHumanoidAct).ok());
}

TEST_CASE("a batch whose SampleReply is over the frame limit is refused naming learner.batch_size", "[frame_limits]") {
  Config config = HumanoidConfig();
  config.learner.batch_size = 30000;
  const Status refused = CheckFrameLimits(config, kHumanoidObs, kHumanoidAct);
  REQUIRE(refused.code() == StatusCode::kInvalidArgument);
  INFO(refused.message());
  CHECK_THAT(refused.message(), Catch::StartsWith("learner.batch_size = 30000 makes SampleReply frames of 89.0 MiB") &&
                                    Catch::Contains("Humanoid-v4 (obs 376, act 17)") &&
                                    Catch::Contains("over the 64 MiB frame limit") &&
                                    Catch::EndsWith("lower learner.batch_size"));

  config.learner.batch_size = ReportedValue(refused.message(), "the largest batch that fits is ");
  CHECK(config.learner.batch_size > 20000);
  CHECK(CheckFrameLimits(config, kHumanoidObs, kHumanoidAct).ok());
  ++config.learner.batch_size;
  CHECK_THAT(CheckFrameLimits(config, kHumanoidObs, kHumanoidAct).message(),
             Catch::Contains("lower learner.batch_size"));
}

TEST_CASE("hidden layers whose Weights are over the frame limit are refused naming network.hidden_sizes",
          "[frame_limits]") {
  Config config = HumanoidConfig();
  config.network.hidden_sizes = {4096, 4096};
  const Status refused = CheckFrameLimits(config, kHumanoidObs, kHumanoidAct);
  REQUIRE(refused.code() == StatusCode::kInvalidArgument);
  INFO(refused.message());
  CHECK_THAT(refused.message(), Catch::StartsWith("network.hidden_sizes = 4096,4096 makes Weights frames of") &&
                                    Catch::Contains("over the 64 MiB frame limit") &&
                                    Catch::EndsWith("lower network.hidden_sizes"));

  const int widest = static_cast<int>(ReportedValue(refused.message(), "the widest 2 equal layers that fit are ",
                                                    /*grouped=*/false));
  config.network.hidden_sizes = {widest, widest};
  CHECK(CheckFrameLimits(config, kHumanoidObs, kHumanoidAct).ok());
  config.network.hidden_sizes = {widest + 1, widest + 1};
  CHECK_THAT(CheckFrameLimits(config, kHumanoidObs, kHumanoidAct).message(),
             Catch::Contains("lower network.hidden_sizes"));
}

TEST_CASE("a chunk_size whose InsertChunk is over the frame limit is refused naming actor.chunk_size",
          "[frame_limits]") {
  Config config = HumanoidConfig();
  config.actor.chunk_size = 100000;
  config.actor.num_envs = 4;
  const Status refused = CheckFrameLimits(config, kHumanoidObs, kHumanoidAct);
  REQUIRE(refused.code() == StatusCode::kInvalidArgument);
  INFO(refused.message());
  CHECK_THAT(refused.message(),
             Catch::StartsWith("actor.chunk_size = 100000 with actor.num_envs = 4 makes InsertChunk frames of up to "
                               "100,003 transitions") &&
                 Catch::EndsWith("lower actor.chunk_size"));

  // The boundary counts the num_envs - 1 transitions a chunk can overshoot by.
  config.actor.chunk_size = static_cast<int>(ReportedValue(refused.message(), "the largest chunk_size that fits is "));
  CHECK(CheckFrameLimits(config, kHumanoidObs, kHumanoidAct).ok());
  ++config.actor.chunk_size;
  CHECK_THAT(CheckFrameLimits(config, kHumanoidObs, kHumanoidAct).message(), Catch::Contains("lower actor.chunk_size"));
}

TEST_CASE("with n-step returns the chunk_size boundary counts the num_envs * n_step a step can add", "[frame_limits]") {
  Config config = HumanoidConfig();
  config.actor.chunk_size = 100000;
  config.actor.num_envs = 4;
  config.actor.n_step = 5;
  const Status refused = CheckFrameLimits(config, kHumanoidObs, kHumanoidAct);
  INFO(refused.message());
  CHECK_THAT(refused.message(), Catch::StartsWith("actor.chunk_size = 100000 with actor.num_envs = 4 and actor.n_step "
                                                  "= 5 makes InsertChunk frames of up to 100,019 transitions"));
  config.actor.chunk_size = static_cast<int>(ReportedValue(refused.message(), "the largest chunk_size that fits is "));
  CHECK(CheckFrameLimits(config, kHumanoidObs, kHumanoidAct).ok());
  ++config.actor.chunk_size;
  CHECK_THAT(CheckFrameLimits(config, kHumanoidObs, kHumanoidAct).message(), Catch::Contains("lower actor.chunk_size"));
}

TEST_CASE("num_envs whose single step is over the frame limit is refused naming actor.num_envs", "[frame_limits]") {
  Config config;
  config.env.id = "Wide-v0";  // observations this wide are not in the spec table, but nothing forbids them
  config.actor.chunk_size = 1;
  config.actor.num_envs = 4096;
  const Status refused = CheckFrameLimits(config, 20000, 1);
  INFO(refused.message());
  CHECK_THAT(refused.message(), Catch::Contains("actor.num_envs = 4096") && Catch::EndsWith("lower actor.num_envs"));
  // With n-step returns one step can complete n transitions per environment: 256 steps of 160 kB fit, 1024 not.
  config.actor.num_envs = 256;
  REQUIRE(CheckFrameLimits(config, 20000, 1).ok());
  config.actor.n_step = 4;
  CHECK_THAT(CheckFrameLimits(config, 20000, 1).message(), Catch::EndsWith("lower actor.num_envs or actor.n_step"));
}

}  // namespace ddpg
