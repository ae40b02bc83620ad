// Tests of an actor's channels to the learner (actor/learner_connection.h) against CURVE servers on
// 127.0.0.1, played by the test: recovery from a handshake the learner refused.
#include "actor/learner_connection.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>

#include <catch2/catch.hpp>

#include "common/frame_limits.h"
#include "common/transport.h"

namespace ddpg {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

const std::vector<int> kHidden = {16};

// The learner's weights PUB and reports PULL, as CURVE servers that allow the keys in run.allowed_clients_file.
class CurveLearner {
 public:
  CurveLearner(const RunConfig& run, const std::string& weights_endpoint, const std::string& reports_endpoint)
      : publisher_(context_, zmq::socket_type::pub), reports_(context_, zmq::socket_type::pull) {
    StatusOr<SocketSecurity> security = LoadSocketSecurity(run, SocketRoles::kServer);
    REQUIRE(security.ok());
    StatusOr<std::unique_ptr<CurveServer>> curve = CurveServer::Start(context_, *security->server);
    REQUIRE(curve.ok());
    curve_ = std::move(curve).value();
    for (zmq::socket_t* socket : {&publisher_, &reports_}) {
      ConfigureSocket(*socket);
      curve_->Secure(*socket);
    }
    publisher_.bind(weights_endpoint);
    reports_.bind(reports_endpoint);
  }
  std::string weights_endpoint() const { return publisher_.get(zmq::sockopt::last_endpoint); }
  std::string reports_endpoint() const { return reports_.get(zmq::sockopt::last_endpoint); }

  void Publish(uint64_t version) {
    protocol::Weights weights;
    weights.version = version;
    weights.obs_dim = 3;
    weights.act_dim = 1;
    weights.hidden_sizes = {16};
    weights.parameters.assign(ActorParameterCount(3, 1, kHidden), 0.5f);
    weights.learner_instance = 7;
    REQUIRE(SendMessage(publisher_, weights));
  }
  bool ReportArrives(std::chrono::milliseconds timeout) {
    std::vector<zmq::pollitem_t> items = {{reports_.handle(), 0, ZMQ_POLLIN, 0}};
    return Poll(items, timeout.count()) > 0 && ReceiveMessage(reports_, /*routed=*/false).has_value();
  }

 private:
  zmq::context_t context_;
  std::unique_ptr<CurveServer> curve_;
  zmq::socket_t publisher_;
  zmq::socket_t reports_;
};

TEST_CASE("an actor the learner refused gets weights and reports once its key is allowed", "[learner_connection]") {
  const fs::path dir =
      fs::temp_directory_path() / ("ddpg_learner_connection_" + std::to_string(std::random_device{}()));
  fs::create_directories(dir);
  RunConfig run;
  run.security = Security::kCurve;
  run.server_public_key_file = (dir / "server.public").string();
  run.server_secret_key_file = (dir / "server.secret").string();
  run.client_secret_key_file = (dir / "client.secret").string();
  run.allowed_clients_file = (dir / "allowed").string();
  REQUIRE(WriteCurveKeyPair(run.server_public_key_file, run.server_secret_key_file).ok());
  const StatusOr<std::string> client = WriteCurveKeyPair((dir / "client.public").string(), run.client_secret_key_file);
  const StatusOr<std::string> other =
      WriteCurveKeyPair((dir / "other.public").string(), (dir / "other.secret").string());
  REQUIRE((client.ok() && other.ok()));
  std::ofstream(run.allowed_clients_file) << *other << " other\n";
  StatusOr<SocketSecurity> client_keys = LoadSocketSecurity(run, SocketRoles::kClient);
  REQUIRE(client_keys.ok());

  auto learner = std::make_unique<CurveLearner>(run, "tcp://127.0.0.1:*", "tcp://127.0.0.1:*");
  const std::string weights_endpoint = learner->weights_endpoint();
  const std::string reports_endpoint = learner->reports_endpoint();
  zmq::context_t context;
  LearnerConnection connection(context, weights_endpoint, reports_endpoint, 300ms, client_keys->client);
  Policy policy(*LookUpEnvSpec("Pendulum-v1"), kHidden);
  auto update_for = [&](std::chrono::milliseconds duration, uint64_t version) {
    const auto deadline = std::chrono::steady_clock::now() + duration;
    while (!policy.has_weights() && std::chrono::steady_clock::now() < deadline) {
      learner->Publish(version);
      connection.UpdatePolicy(policy, 50);
    }
  };
  update_for(1500ms, 1);
  CHECK_FALSE(policy.has_weights());
  connection.Report(protocol::EpisodeReport{});
  CHECK_FALSE(learner->ReportArrives(300ms));

  // The learner restarts on the same ports with the actor's key in its allowlist.
  learner.reset();
  std::ofstream(run.allowed_clients_file, std::ios::app) << *client << " actor\n";
  learner = std::make_unique<CurveLearner>(run, weights_endpoint, reports_endpoint);
  update_for(5s, 2);
  REQUIRE(policy.has_weights());
  CHECK(policy.version() == 2);
  connection.Report(protocol::EpisodeReport{});
  CHECK(learner->ReportArrives(2s));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace ddpg
