// CurveZMQ for the cluster's sockets (run.security = curve; docs/operations.md, "Security"): the keys a
// process needs, read from files and checked once, and both ends of a secured connection.
//
//  - Keys are Curve25519 key pairs in Z85 text (40 characters), one key per file, made by ddpg_keys
//    (tools/). The cluster's servers (the replay server's ROUTER, the learner's weights PUB and reports
//    PULL) share one key pair. Every client (learner, actors, evaluator) holds a secret key; its public
//    key, derived from the secret one, must be listed in the servers' allowlist to be let in.
//  - A server socket (CurveServer::Secure) encrypts every connection and asks the ZAP handler (ZeroMQ's
//    authentication protocol, RFC 27) whether the client's public key may connect. CurveServer answers on
//    its own thread for one ZeroMQ context: it accepts the allowlist's keys, refuses every other and logs
//    the refusal (rate-limited: anyone who can reach the port can cause one). A client without CURVE, or
//    with another server public key, fails the handshake and never exchanges a message.
//  - ZeroMQ lets every client in on a CURVE socket whose context has no ZAP handler, so a server socket is
//    secured only through a running CurveServer, and the CurveServer must outlive the socket (declare it
//    after the context and before the sockets). Should its thread stop on an error, the handler stays
//    bound and unanswered: clients are kept out, not let in.
//
// Thread-safety: the key types are plain values and LoadSocketSecurity is stateless. CurveServer owns one
// thread, the only user of its ZAP socket; Secure (on a socket the caller owns), accepted() and refused()
// may be called from any thread. Blocking: ~CurveServer waits up to kStopPollInterval for its thread.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <zmq.hpp>

#include "common/config.h"
#include "common/status.h"

namespace ddpg {

// Which of a process's sockets bind (servers: replay server, learner) and which connect (clients: learner,
// actors, evaluator).
enum class SocketRoles { kServer, kClient, kServerAndClient };

// A client's keys, Z85: its own pair (the public key derived from the secret file) and the server's public
// key, which the handshake checks the server against.
struct CurveClientKeys {
  std::string public_key;
  std::string secret_key;
  std::string server_public_key;
};

struct AllowedClient {
  std::string public_key;  // 32 bytes, binary, as ZAP requests carry it
  std::string name;        // the rest of its allowlist line; the key in Z85 when the line names none
};

struct CurveServerKeys {
  std::string secret_key;  // Z85
  std::vector<AllowedClient> allowed_clients;
  std::string allowlist_path;  // named when a client is refused
};

// What one process needs to secure its sockets; both empty with run.security = none.
struct SocketSecurity {
  std::optional<CurveServerKeys> server;
  std::optional<CurveClientKeys> client;
};

// Reads and checks the key files that `roles` need (servers: run.server_secret_key_file and
// run.allowed_clients_file; clients: run.client_secret_key_file and run.server_public_key_file; a
// process with both roles must hold the server pair's two halves). Every error names the config key and
// the file: missing or unreadable, not one 40-character Z85 key, an empty allowlist, or a libzmq built
// without CURVE.
StatusOr<SocketSecurity> LoadSocketSecurity(const RunConfig& run, SocketRoles roles);

// Makes `socket` a CURVE client of the server `keys` name; call before it connects. Nothing for nullopt.
void SecureClientSocket(zmq::socket_t& socket, const std::optional<CurveClientKeys>& keys);

// Writes a new key pair in Z85 with a newline: public_path (mode 0644) and secret_path (0600), and returns
// the public key. Writes nothing when either file exists already (FailedPrecondition).
StatusOr<std::string> WriteCurveKeyPair(const std::string& public_path, const std::string& secret_path);

class CurveServer {
 public:
  static constexpr char kZapDomain[] = "ddpg";
  static constexpr std::chrono::milliseconds kStopPollInterval{100};

  // Binds the ZAP handler (inproc://zeromq.zap.01) on `context` and starts its thread. Unavailable when
  // the context has a ZAP handler already.
  static StatusOr<std::unique_ptr<CurveServer>> Start(zmq::context_t& context, CurveServerKeys keys);
  ~CurveServer();
  CurveServer(const CurveServer&) = delete;
  CurveServer& operator=(const CurveServer&) = delete;

  // Makes `socket` (of this server's context) a CURVE server whose clients this handler checks; call
  // before it binds.
  void Secure(zmq::socket_t& socket) const;

  size_t allowed_clients() const { return keys_.allowed_clients.size(); }
  // Handshakes answered so far: clients let in, and clients refused (a client retries after a refusal, so
  // one client counts many times).
  uint64_t accepted() const { return accepted_.load(); }
  uint64_t refused() const { return refused_.load(); }

 private:
  CurveServer(CurveServerKeys keys, zmq::socket_t zap_socket);
  // The handler thread: answers ZAP requests until stop_.
  void Serve();

  const CurveServerKeys keys_;
  zmq::socket_t zap_socket_;  // bound before thread_ starts; then used by thread_ only
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> accepted_{0};
  std::atomic<uint64_t> refused_{0};
  std::thread thread_;
};

}  // namespace ddpg
