// The learner's side of the sample channel: keeps several SampleRequests in flight so that the replay
// server prepares the next batches while the learner computes (the replies wait in the socket's queue).
// After a reconnect (the replay server was silent for the heartbeat timeout) the outstanding requests are
// forgotten and issued again. Owns its socket; used from the learner's thread only.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include <zmq.hpp>

#include "common/protocol.h"
#include "common/rate_limited_log.h"
#include "common/server_connection.h"

namespace ddpg {

class SampleClient {
 public:
  SampleClient(zmq::context_t& context, const std::string& endpoint, uint32_t batch_size, int requests_in_flight,
               int heartbeat_interval_ms, int heartbeat_timeout_ms);

  // Tops up the requests in flight and returns the next batch if one arrives within timeout_ms.
  std::optional<protocol::SampleReply> Next(long timeout_ms);

  uint64_t reconnects() const { return connection_.reconnects(); }

 private:
  ServerConnection connection_;
  uint32_t batch_size_;
  size_t requests_in_flight_;
  uint64_t next_request_id_ = 0;
  std::set<uint64_t> outstanding_;
  RateLimitedLog error_log_;
};

}  // namespace ddpg
