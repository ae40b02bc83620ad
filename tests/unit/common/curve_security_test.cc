// Tests of CurveZMQ (common/curve_security.h): key files and their checks, and a CURVE server with its ZAP
// handler against real clients on loopback TCP.
#include "common/curve_security.h"

#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include <catch2/catch.hpp>

#include "common/transport.h"

namespace ddpg {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class KeyDir {
 public:
  KeyDir() {
    path_ = fs::temp_directory_path() / ("ddpg_curve_test_" + std::to_string(std::random_device{}()));
    fs::create_directories(path_);
  }
  ~KeyDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  std::string File(const std::string& name) const { return (path_ / name).string(); }
  // Makes NAME.public and NAME.secret; returns the public key.
  std::string MakePair(const std::string& name) const {
    StatusOr<std::string> public_key = WriteCurveKeyPair(File(name + ".public"), File(name + ".secret"));
    REQUIRE(public_key.ok());
    return *public_key;
  }
  std::string Write(const std::string& name, const std::string& text) const {
    std::ofstream(File(name)) << text;
    return File(name);
  }

 private:
  fs::path path_;
};

std::string Read(const std::string& path) {
  std::ifstream file(path);
  return std::string(std::istreambuf_iterator<char>(file), {});
}

// A cluster's key files: the servers' pair and an allowlist naming "client" (but not "stranger").
struct ClusterKeys {
  KeyDir dir;
  std::string client_public = dir.MakePair("client");
  std::string stranger_public = dir.MakePair("stranger");
  std::string server_public = dir.MakePair("server");
  // '#' is a Z85 digit too: only a line that starts with it is a comment (a revoked key, here).
  std::string allowlist = dir.Write("allowed", "# the cluster's clients\n\n  " + client_public +
                                                   "  actor on host b # one \n#" + stranger_public + " revoked\n");

  RunConfig Run(const std::string& client = "client") const {
    RunConfig run;
    run.security = Security::kCurve;
    run.server_public_key_file = dir.File("server.public");
    run.server_secret_key_file = dir.File("server.secret");
    run.client_secret_key_file = dir.File(client + ".secret");
    run.allowed_clients_file = allowlist;
    return run;
  }
  CurveClientKeys Client(const std::string& name) const {
    StatusOr<SocketSecurity> security = LoadSocketSecurity(Run(name), SocketRoles::kClient);
    REQUIRE(security.ok());
    return *security->client;
  }
};

// The error LoadSocketSecurity gives for `run`; fails the test if it loads.
std::string LoadError(const RunConfig& run, SocketRoles roles) {
  StatusOr<SocketSecurity> security = LoadSocketSecurity(run, roles);
  REQUIRE_FALSE(security.ok());
  return security.status().message();
}

TEST_CASE("each role reads its own key files and a client derives its public key", "[curve]") {
  ClusterKeys keys;
  SECTION("none reads nothing, even files that do not exist") {
    RunConfig run;
    run.server_secret_key_file = keys.dir.File("missing");
    StatusOr<SocketSecurity> security = LoadSocketSecurity(run, SocketRoles::kServerAndClient);
    REQUIRE(security.ok());
    CHECK_FALSE(security->server);
    CHECK_FALSE(security->client);
  }
  SECTION("a client: its pair and the server's public key; no server files needed") {
    RunConfig run = keys.Run();
    run.server_secret_key_file = keys.dir.File("missing");
    run.allowed_clients_file = keys.dir.File("missing");
    StatusOr<SocketSecurity> security = LoadSocketSecurity(run, SocketRoles::kClient);
    REQUIRE(security.ok());
    CHECK_FALSE(security->server);
    REQUIRE(security->client);
    CHECK(security->client->public_key == keys.client_public);
    CHECK(security->client->secret_key + "\n" == Read(keys.dir.File("client.secret")));
    CHECK(security->client->server_public_key == keys.server_public);
  }
  SECTION("a server: its secret key and the allowlist, with names; no client files needed") {
    RunConfig run = keys.Run();
    run.client_secret_key_file = keys.dir.File("missing");
    run.server_public_key_file = keys.dir.File("missing");
    StatusOr<SocketSecurity> security = LoadSocketSecurity(run, SocketRoles::kServer);
    REQUIRE(security.ok());
    CHECK_FALSE(security->client);
    REQUIRE(security->server);
    REQUIRE(security->server->allowed_clients.size() == 1);
    CHECK(security->server->allowed_clients[0].name == "actor on host b # one");
    std::string binary(32, '\0');
    REQUIRE(zmq_z85_decode(reinterpret_cast<uint8_t*>(binary.data()), keys.client_public.c_str()) != nullptr);
    CHECK(security->server->allowed_clients[0].public_key == binary);
  }
  SECTION("the learner: both, and the server pair must be one pair") {
    CHECK(LoadSocketSecurity(keys.Run(), SocketRoles::kServerAndClient).ok());
    RunConfig run = keys.Run();
    run.server_public_key_file = keys.dir.File("stranger.public");
    const std::string error = LoadError(run, SocketRoles::kServerAndClient);
    CHECK(error.find("run.server_public_key_file = '" + run.server_public_key_file +
                     "' is not the public key of "
                     "run.server_secret_key_file") != std::string::npos);
  }
}

TEST_CASE("a bad key file is refused with the key and the file named", "[curve]") {
  ClusterKeys keys;
  RunConfig run = keys.Run();
  const std::string key = keys.client_public;
  SECTION("missing") {
    run.server_secret_key_file = keys.dir.File("nowhere.secret");
    CHECK(LoadError(run, SocketRoles::kServer) ==
          "run.server_secret_key_file = '" + run.server_secret_key_file +
              "' cannot be read: No such file or directory (ddpg_keys makes key pairs; docs/operations.md, "
              "\"Security\")");
  }
  SECTION("one character short") {
    run.client_secret_key_file = keys.dir.Write("short", key.substr(1) + "\n");
    CHECK(LoadError(run, SocketRoles::kClient)
              .find("run.client_secret_key_file = '" + run.client_secret_key_file +
                    "': expected one 40-character Z85 key, found 39 characters") == 0);
  }
  SECTION("two keys in one file") {
    run.server_public_key_file = keys.dir.Write("two", key + "\n" + key + "\n");
    CHECK(LoadError(run, SocketRoles::kClient)
              .find("run.server_public_key_file = '" + run.server_public_key_file +
                    "': expected one 40-character Z85 key, found 81") == 0);
  }
  SECTION("a character outside Z85") {
    run.client_secret_key_file = keys.dir.Write("tilde", key.substr(0, 6) + "~" + key.substr(7));
    CHECK(LoadError(run, SocketRoles::kClient).find("': not a Z85 key: character 7 is not in the Z85 alphabet") !=
          std::string::npos);
  }
  SECTION("Z85 characters that exceed 32 bits in a group") {
    run.client_secret_key_file = keys.dir.Write("overflow", "#####" + key.substr(5));
    CHECK(LoadError(run, SocketRoles::kClient).find("not a Z85 key: characters 1 to 5 exceed 32 bits") !=
          std::string::npos);
  }
  SECTION("an allowlist line that is not a key names its line") {
    run.allowed_clients_file = keys.dir.Write("allowed", "# comment\n" + key + " one\nnot-a-key two\n");
    CHECK(LoadError(run, SocketRoles::kServer)
              .find("run.allowed_clients_file = '" + run.allowed_clients_file +
                    "', line 3: expected one 40-character Z85 key") == 0);
  }
  SECTION("an allowlist without a key") {
    run.allowed_clients_file = keys.dir.Write("allowed", "# nobody yet\n\n");
    CHECK(LoadError(run, SocketRoles::kServer).find("' lists no client key") != std::string::npos);
  }
  SECTION("an empty file name") {
    run.server_public_key_file = "";
    CHECK(LoadError(run, SocketRoles::kClient).find("run.server_public_key_file is empty") == 0);
  }
}

TEST_CASE("key pairs are written with the secret key private, and never over an existing file", "[curve]") {
  KeyDir dir;
  const std::string public_key = dir.MakePair("a");
  CHECK(Read(dir.File("a.public")) == public_key + "\n");
  struct stat secret {
  }, visible{};
  REQUIRE(stat(dir.File("a.secret").c_str(), &secret) == 0);
  REQUIRE(stat(dir.File("a.public").c_str(), &visible) == 0);
  CHECK((secret.st_mode & 0777) == 0600);
  CHECK((visible.st_mode & 0777) == 0644);

  const std::string secret_text = Read(dir.File("a.secret"));
  const StatusOr<std::string> again = WriteCurveKeyPair(dir.File("a.public"), dir.File("b.secret"));
  REQUIRE_FALSE(again.ok());
  CHECK(again.status().message().find("a.public' exists already") != std::string::npos);
  CHECK_FALSE(fs::exists(dir.File("b.secret")));
  CHECK(Read(dir.File("a.secret")) == secret_text);
  CHECK(dir.MakePair("b") != public_key);
}

// A ROUTER secured by a CurveServer on its own context, as the replay server runs it.
class SecuredRouter {
 public:
  explicit SecuredRouter(CurveServerKeys keys) {
    StatusOr<std::unique_ptr<CurveServer>> started = CurveServer::Start(context_, std::move(keys));
    REQUIRE(started.ok());
    curve_ = std::move(started).value();
    socket_ = zmq::socket_t(context_, zmq::socket_type::router);
    ConfigureSocket(socket_);
    curve_->Secure(socket_);
    socket_.bind("tcp://127.0.0.1:*");
  }
  std::string endpoint() const { return socket_.get(zmq::sockopt::last_endpoint); }
  const CurveServer& curve() const { return *curve_; }
  zmq::context_t& context() { return context_; }

  // The text of the next frame that arrives within `timeout`, if one does.
  std::optional<std::string> Next(std::chrono::milliseconds timeout) {
    std::vector<zmq::pollitem_t> items = {{socket_.handle(), 0, ZMQ_POLLIN, 0}};
    if (Poll(items, timeout.count()) == 0) return std::nullopt;
    zmq::message_t routing_id, frame;
    REQUIRE(socket_.recv(routing_id));
    REQUIRE(socket_.recv(frame));
    return frame.to_string();
  }

 private:
  zmq::context_t context_;
  std::unique_ptr<CurveServer> curve_;
  zmq::socket_t socket_;
};

// A DEALER that connects to `endpoint` (as a CURVE client with `keys`) and sends `text`.
zmq::socket_t SendFrom(zmq::context_t& context, const std::string& endpoint, const std::optional<CurveClientKeys>& keys,
                       const std::string& text) {
  zmq::socket_t socket(context, zmq::socket_type::dealer);
  socket.set(zmq::sockopt::linger, 0);
  SecureClientSocket(socket, keys);
  socket.connect(endpoint);
  REQUIRE(socket.send(zmq::buffer(text), zmq::send_flags::dontwait));
  return socket;
}

TEST_CASE("a CURVE server lets in the allowlist's keys and no other client", "[curve]") {
  ClusterKeys keys;
  StatusOr<SocketSecurity> server = LoadSocketSecurity(keys.Run(), SocketRoles::kServer);
  INFO(server.status().message());
  REQUIRE(server.ok());
  SecuredRouter router(*server->server);
  zmq::context_t clients;

  zmq::socket_t allowed = SendFrom(clients, router.endpoint(), keys.Client("client"), "allowed");
  CHECK(router.Next(2s) == "allowed");
  CHECK(router.curve().accepted() == 1);

  SECTION("a key the allowlist does not name") {
    zmq::socket_t stranger = SendFrom(clients, router.endpoint(), keys.Client("stranger"), "stranger");
    CHECK_FALSE(router.Next(1s));
    CHECK(router.curve().refused() >= 1);
  }
  SECTION("a plain client") {
    zmq::socket_t plain = SendFrom(clients, router.endpoint(), std::nullopt, "plain");
    CHECK_FALSE(router.Next(1s));
  }
  SECTION("an allowed client that expects another server key") {
    CurveClientKeys wrong_server = keys.Client("client");
    wrong_server.server_public_key = keys.stranger_public;
    zmq::socket_t mistaken = SendFrom(clients, router.endpoint(), wrong_server, "mistaken");
    CHECK_FALSE(router.Next(1s));
  }
  // Whoever was turned away, the allowed client still gets through.
  REQUIRE(allowed.send(zmq::buffer(std::string("again")), zmq::send_flags::dontwait));
  CHECK(router.Next(2s) == "again");
  CHECK(router.curve().accepted() == 1);
}

TEST_CASE("one ZAP handler per context, and it stops promptly", "[curve]") {
  ClusterKeys keys;
  StatusOr<SocketSecurity> server = LoadSocketSecurity(keys.Run(), SocketRoles::kServer);
  INFO(server.status().message());
  REQUIRE(server.ok());
  zmq::context_t context;
  StatusOr<std::unique_ptr<CurveServer>> first = CurveServer::Start(context, *server->server);
  REQUIRE(first.ok());
  StatusOr<std::unique_ptr<CurveServer>> second = CurveServer::Start(context, *server->server);
  REQUIRE_FALSE(second.ok());
  CHECK(second.status().message().find("inproc://zeromq.zap.01") != std::string::npos);

  const auto start = std::chrono::steady_clock::now();
  first->reset();
  CHECK(std::chrono::steady_clock::now() - start < CurveServer::kStopPollInterval + 200ms);
}

}  // namespace
}  // namespace ddpg
