// The learner's side of the sample channel: keeps several SampleRequests in flight so that the replay
// server prepares the next batches while the learner computes (the replies wait in the socket's queue).
//
// Every request holds one of requests_in_flight slots until its reply, or an Error naming it, comes back.
// A request the server refused as overloaded is issued again after kOverloadedRetry; after a reconnect
// or a replaced server (ServerConnection::Maintain) the outstanding requests are forgotten and issued
// again. Priority updates (prioritized replay) go out on the same socket, one per trained batch, and are
// not answered; one the socket will not take, or that the server refuses, is logged and dropped: a lost
// update leaves a few transitions at their old priorities. Owns its socket; used from the learner's
// thread only. Next blocks at most timeout_ms; SendPriorities never blocks.
#pragma once

#include <chrono>
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
  static constexpr std::chrono::milliseconds kOverloadedRetry{100};

  // run_id goes into every request (SampleRequest.run_id). With `curve` keys the channel uses CurveZMQ.
  SampleClient(zmq::context_t& context, const std::string& endpoint, uint32_t batch_size, int requests_in_flight,
               uint64_t run_id, int heartbeat_interval_ms, int heartbeat_timeout_ms,
               std::optional<CurveClientKeys> curve = std::nullopt);

  // Tops up the requests in flight and returns the next batch if one arrives within timeout_ms.
  std::optional<protocol::SampleReply> Next(long timeout_ms);
  // Sends the new priorities of the transitions of a batch that carried generations. False when the socket
  // did not take it (it is dropped).
  bool SendPriorities(const protocol::PriorityUpdate& update);

  size_t outstanding() const { return outstanding_.size(); }
  uint64_t reconnects() const { return connection_.reconnects(); }

 private:
  void Issue();
  void HandleError(const protocol::Error& error);

  ServerConnection connection_;
  uint32_t batch_size_;
  size_t requests_in_flight_;
  uint64_t run_id_;
  uint64_t next_request_id_ = 0;
  std::set<uint64_t> outstanding_;
  std::chrono::steady_clock::time_point issue_after_;  // back-off after an overloaded server refused one
  RateLimitedLog error_log_;
};

}  // namespace ddpg
