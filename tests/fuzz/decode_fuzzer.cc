// libFuzzer target for the wire decoder (scripts/fuzz-decoder.sh builds and runs it with clang).
//
// Properties checked on every input, beyond "no crash, no sanitizer report, no huge allocation":
//  - Decode never throws;
//  - a frame that decodes re-encodes to a frame that decodes and re-encodes to the same bytes: the encoder
//    and the decoder agree on every message they accept. (Bytes, not operator==: a NaN parameter is a
//    valid float on the wire but never equal to itself.)
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "common/protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ddpg::protocol;
  const ddpg::StatusOr<Message> decoded = Decode(data, size);
  if (!decoded.ok()) return 0;
  const std::string encoded = Encode(*decoded);
  const ddpg::StatusOr<Message> again = Decode(encoded);
  if (!again.ok() || Encode(*again) != encoded) std::abort();
  return 0;
}
