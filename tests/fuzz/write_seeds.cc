// Writes one valid frame of every message type into the directory given as argv[1]: the decoder
// fuzzer's starting corpus, so that it mutates real frames instead of discovering the header first.
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "common/protocol.h"

int main(int argc, char** argv) {
  using namespace ddpg::protocol;
  if (argc != 2) {
    std::cerr << "usage: write_seeds DIRECTORY\n";
    return 2;
  }
  TransitionBatch batch;
  batch.obs_dim = 3;
  batch.act_dim = 1;
  batch.observations = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f};
  batch.actions = {0.5f, -0.5f};
  batch.rewards = {-1.0f, -2.0f};
  batch.discounts = {0.99f, 0.0f};
  batch.next_observations = {0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f};
  batch.policy_versions = {0, 7};
  const std::vector<Message> messages = {
      Error{ErrorCode::kOverloaded, "busy", MessageType::kSampleRequest, 3},
      Heartbeat{"actor-1", 42},
      InsertChunk{1, 2, 3, batch},
      InsertAck{1, 3, false, 100, 42},
      SampleRequest{5, 2, 9},
      SampleReply{5, batch, {10, 11}, 100, 200, 2, 42, 150},
      StatsRequest{},
      StatsReply{100, 1000, 200, 300, 1, 2, 3, 4, 42},
      Weights{7, 3, 1, {4}, std::vector<float>(21, 0.25f), 43},
      EpisodeReport{1, true, -150.0, 200, 10, 7, 4000, 43},
      ActorIdRequest{99},
      ActorIdReply{99, 3},
  };
  for (size_t i = 0; i < messages.size(); ++i) {
    const std::string path = std::string(argv[1]) + "/seed-" + std::to_string(i + 1);
    std::ofstream(path, std::ios::binary) << Encode(messages[i]);
  }
  return 0;
}
