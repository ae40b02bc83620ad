#include "learner/sample_client.h"

namespace ddpg {

SampleClient::SampleClient(zmq::context_t& context, const std::string& endpoint, uint32_t batch_size,
                           int requests_in_flight, uint64_t run_id, int heartbeat_interval_ms, int heartbeat_timeout_ms,
                           std::optional<CurveClientKeys> curve)
    : connection_(context, endpoint, "learner", heartbeat_interval_ms, heartbeat_timeout_ms,
                  ServerConnection::kDefaultSendQueueLimit, std::move(curve)),
      batch_size_(batch_size),
      requests_in_flight_(requests_in_flight),
      run_id_(run_id) {}

void SampleClient::Issue() {
  if (std::chrono::steady_clock::now() < issue_after_) return;
  while (outstanding_.size() < requests_in_flight_) {
    const uint64_t id = next_request_id_++;
    if (!connection_.Send(protocol::SampleRequest{id, batch_size_, run_id_})) break;
    outstanding_.insert(id);
  }
}

std::optional<protocol::SampleReply> SampleClient::Next(long timeout_ms) {
  if (connection_.Maintain()) {
    outstanding_.clear();
    issue_after_ = {};
  }
  Issue();
  std::optional<protocol::Message> message = connection_.Receive(timeout_ms);
  if (!message) return std::nullopt;
  if (auto* reply = std::get_if<protocol::SampleReply>(&*message)) {
    // A reply to a request from before a reconnect is still a valid batch; use it.
    outstanding_.erase(reply->request_id);
    return std::move(*reply);
  }
  if (const auto* error = std::get_if<protocol::Error>(&*message)) {
    HandleError(*error);
  } else {
    error_log_.Warn("unexpected " + std::string(protocol::TypeName(protocol::TypeOf(*message))) +
                    " from the replay server");
  }
  return std::nullopt;
}

bool SampleClient::SendPriorities(const protocol::PriorityUpdate& update) {
  if (connection_.Send(update)) return true;
  error_log_.Warn("a priority update could not be queued for the replay server and was dropped");
  return false;
}

void SampleClient::HandleError(const protocol::Error& error) {
  if (error.request_type == protocol::MessageType::kPriorityUpdate) {
    error_log_.Warn("replay server refused a priority update: " + error.message);
    return;
  }
  error_log_.Warn("replay server refused a sample request: " + error.message);
  if (error.request_type != protocol::MessageType::kSampleRequest) return;
  // The refused request will never be answered: its slot is free again.
  outstanding_.erase(error.request_id);
  if (error.code == protocol::ErrorCode::kOverloaded)
    issue_after_ = std::chrono::steady_clock::now() + kOverloadedRetry;
}

}  // namespace ddpg
