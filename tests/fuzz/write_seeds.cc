// Writes one valid frame of every message type into the directory given as argv[1]: the decoder
// fuzzer's starting corpus, so that it mutates real frames instead of discovering the header first.
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "common/protocol.h"
#include "tools/sample_messages.h"

int main(int argc, char** argv) {
  using namespace ddpg::protocol;
  if (argc != 2) {
    std::cerr << "usage: write_seeds DIRECTORY\n";
    return 2;
  }
  const std::vector<Message> messages = ddpg::fuzzing::OneMessageOfEachType();
  for (size_t i = 0; i < messages.size(); ++i) {
    const std::string path = std::string(argv[1]) + "/seed-" + std::to_string(i + 1);
    std::ofstream(path, std::ios::binary) << Encode(messages[i]);
  }
  return 0;
}
