#include "common/curve_security.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <spdlog/spdlog.h>
#include <zmq_addon.hpp>

#include "common/rate_limited_log.h"
#include "common/transport.h"

namespace ddpg {
namespace {

constexpr size_t kZ85KeyLength = 40;
constexpr size_t kBinaryKeyLength = 32;
// A key file holds one line; anything much longer is not a key file. An allowlist holds a line per client.
constexpr std::streamsize kMaxKeyFileBytes = 4096;
constexpr std::streamsize kMaxAllowlistBytes = 1 << 20;
constexpr char kZ85Alphabet[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
constexpr char kZapEndpoint[] = "inproc://zeromq.zap.01";
constexpr char kHelp[] = " (ddpg_keys makes key pairs; docs/operations.md, \"Security\")";

std::string Trim(const std::string& text) {
  const size_t begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return "";
  return text.substr(begin, text.find_last_not_of(" \t\r\n") - begin + 1);
}

std::string Describe(const std::string& key, const std::string& path) { return key + " = '" + path + "'"; }

// The 32-byte key that `text` encodes, or why it is not one 40-character Z85 key.
StatusOr<std::string> DecodeZ85Key(const std::string& text) {
  if (text.size() != kZ85KeyLength) {
    return InvalidArgument("expected one " + std::to_string(kZ85KeyLength) + "-character Z85 key, found " +
                           std::to_string(text.size()) + " characters");
  }
  uint64_t group = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char* digit = text[i] == '\0' ? nullptr : std::strchr(kZ85Alphabet, text[i]);
    if (digit == nullptr) {
      return InvalidArgument("not a Z85 key: character " + std::to_string(i + 1) + " is not in the Z85 alphabet");
    }
    // libzmq's decoder lets a group's value wrap around 2^32 unnoticed: a typo would become another key.
    group = group * 85 + static_cast<uint64_t>(digit - kZ85Alphabet);
    if (i % 5 == 4) {
      if (group > UINT32_MAX) {
        return InvalidArgument("not a Z85 key: characters " + std::to_string(i - 3) + " to " + std::to_string(i + 1) +
                               " exceed 32 bits");
      }
      group = 0;
    }
  }
  std::string binary(kBinaryKeyLength, '\0');
  zmq_z85_decode(reinterpret_cast<uint8_t*>(binary.data()), text.c_str());
  return binary;
}

std::string EncodeZ85Key(const std::string& binary) {
  char text[kZ85KeyLength + 1] = {};
  zmq_z85_encode(text, reinterpret_cast<const uint8_t*>(binary.data()), binary.size());
  return text;
}

StatusOr<std::string> ReadSmallFile(const std::string& key, const std::string& path, std::streamsize max_bytes) {
  if (path.empty()) return InvalidArgument(key + " is empty: run.security = curve needs it" + kHelp);
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    return InvalidArgument(Describe(key, path) + " cannot be read: " + std::strerror(errno) + kHelp);
  }
  std::string text(static_cast<size_t>(max_bytes) + 1, '\0');
  file.read(text.data(), max_bytes + 1);
  if (file.bad()) return InvalidArgument(Describe(key, path) + " cannot be read: " + std::strerror(errno));
  text.resize(static_cast<size_t>(file.gcount()));
  if (text.size() > static_cast<size_t>(max_bytes)) {
    return InvalidArgument(Describe(key, path) + " is larger than " + std::to_string(max_bytes) + " bytes");
  }
  return text;
}

// Reads a key file: one Z85 key, with surrounding white space. Returns the key in Z85.
StatusOr<std::string> ReadKeyFile(const std::string& key, const std::string& path) {
  StatusOr<std::string> text = ReadSmallFile(key, path, kMaxKeyFileBytes);
  if (!text.ok()) return text.status();
  const std::string trimmed = Trim(*text);
  if (StatusOr<std::string> binary = DecodeZ85Key(trimmed); !binary.ok()) {
    return InvalidArgument(Describe(key, path) + ": " + binary.status().message() + kHelp);
  }
  return trimmed;
}

// One client per line: its public key in Z85, optionally followed by a name. A line that starts with '#' is a
// comment: '#' is a Z85 digit, but the largest one, so a group of five that starts with it exceeds 32 bits and
// no key starts with it; within a line it is part of the key or the name.
StatusOr<std::vector<AllowedClient>> ReadAllowlist(const std::string& path) {
  const std::string key = "run.allowed_clients_file";
  StatusOr<std::string> text = ReadSmallFile(key, path, kMaxAllowlistBytes);
  if (!text.ok()) return text.status();
  std::vector<AllowedClient> clients;
  std::istringstream lines(*text);
  std::string line;
  for (int number = 1; std::getline(lines, line); ++number) {
    const std::string content = Trim(line);
    if (content.empty() || content[0] == '#') continue;
    const size_t space = content.find_first_of(" \t");
    const std::string z85 = content.substr(0, space);
    StatusOr<std::string> binary = DecodeZ85Key(z85);
    if (!binary.ok()) {
      return InvalidArgument(Describe(key, path) + ", line " + std::to_string(number) + ": " +
                             binary.status().message() + kHelp);
    }
    const std::string name = space == std::string::npos ? z85 : Trim(content.substr(space));
    clients.push_back({std::move(binary).value(), name});
  }
  if (clients.empty()) {
    return InvalidArgument(
        Describe(key, path) +
        " lists no client key: add the public key of every client, one per line (ddpg_keys --allow)");
  }
  return clients;
}

std::string PublicKeyOf(const std::string& z85_secret_key) {
  char public_key[kZ85KeyLength + 1] = {};
  zmq_curve_public(public_key, z85_secret_key.c_str());
  return public_key;
}

Status WriteKeyFile(const std::string& path, const std::string& z85_key, mode_t mode) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return Unavailable("cannot create '" + path + "': " + std::strerror(errno));
  const std::string line = z85_key + "\n";
  // The umask may have taken bits away, never added any; fchmod makes the mode exactly `mode`.
  const bool written = ::fchmod(fd, mode) == 0 && ::write(fd, line.data(), line.size()) == ssize_t(line.size());
  const int write_errno = errno;
  if (::close(fd) != 0 || !written) {
    ::unlink(path.c_str());
    return Unavailable("cannot write '" + path + "': " + std::strerror(written ? errno : write_errno));
  }
  return Status::Ok();
}

}  // namespace

StatusOr<SocketSecurity> LoadSocketSecurity(const RunConfig& run, SocketRoles roles) {
  SocketSecurity security;
  if (run.security == Security::kNone) return security;
  if (!zmq_has("curve")) {
    return FailedPrecondition(
        "run.security = curve, but this process's libzmq was built without CURVE (libsodium): install one "
        "with it (Debian's libzmq5 has it) or set run.security = none");
  }
  const bool server = roles != SocketRoles::kClient;
  const bool client = roles != SocketRoles::kServer;
  if (server) {
    StatusOr<std::string> secret = ReadKeyFile("run.server_secret_key_file", run.server_secret_key_file);
    if (!secret.ok()) return secret.status();
    StatusOr<std::vector<AllowedClient>> allowed = ReadAllowlist(run.allowed_clients_file);
    if (!allowed.ok()) return allowed.status();
    security.server = CurveServerKeys{*secret, std::move(allowed).value(), run.allowed_clients_file};
  }
  if (client) {
    StatusOr<std::string> secret = ReadKeyFile("run.client_secret_key_file", run.client_secret_key_file);
    if (!secret.ok()) return secret.status();
    StatusOr<std::string> server_public = ReadKeyFile("run.server_public_key_file", run.server_public_key_file);
    if (!server_public.ok()) return server_public.status();
    security.client = CurveClientKeys{PublicKeyOf(*secret), *secret, *server_public};
  }
  // The learner serves with the secret key and its clients check it against the public one: both must be
  // the same pair, or no actor could connect to the learner.
  if (server && client && PublicKeyOf(security.server->secret_key) != security.client->server_public_key) {
    return InvalidArgument(Describe("run.server_public_key_file", run.server_public_key_file) +
                           " is not the public key of " +
                           Describe("run.server_secret_key_file", run.server_secret_key_file) +
                           ": clients would refuse this server; give both files of one pair");
  }
  return security;
}

void SecureClientSocket(zmq::socket_t& socket, const std::optional<CurveClientKeys>& keys) {
  if (!keys) return;
  socket.set(zmq::sockopt::curve_serverkey, keys->server_public_key);
  socket.set(zmq::sockopt::curve_publickey, keys->public_key);
  socket.set(zmq::sockopt::curve_secretkey, keys->secret_key);
}

StatusOr<std::string> WriteCurveKeyPair(const std::string& public_path, const std::string& secret_path) {
  for (const std::string& path : {public_path, secret_path}) {
    std::error_code error;
    if (std::filesystem::exists(std::filesystem::symlink_status(path, error))) {
      return FailedPrecondition("'" + path + "' exists already: keys are never overwritten");
    }
  }
  char public_key[kZ85KeyLength + 1] = {};
  char secret_key[kZ85KeyLength + 1] = {};
  if (zmq_curve_keypair(public_key, secret_key) != 0) {
    return FailedPrecondition(std::string("cannot make a key pair: ") + zmq_strerror(zmq_errno()));
  }
  DDPG_RETURN_IF_ERROR(WriteKeyFile(secret_path, secret_key, 0600));
  if (Status written = WriteKeyFile(public_path, public_key, 0644); !written.ok()) {
    ::unlink(secret_path.c_str());
    return written;
  }
  return std::string(public_key);
}

StatusOr<std::unique_ptr<CurveServer>> CurveServer::Start(zmq::context_t& context, CurveServerKeys keys) {
  // RFC 27 uses REQ/REP: libzmq sends one request per handshake and waits for its reply.
  zmq::socket_t zap_socket(context, zmq::socket_type::rep);
  zap_socket.set(zmq::sockopt::linger, 0);
  try {
    zap_socket.bind(kZapEndpoint);
  } catch (const zmq::error_t& error) {
    return Unavailable(std::string("cannot bind the ZAP handler at ") + kZapEndpoint + ": " + error.what());
  }
  return std::unique_ptr<CurveServer>(new CurveServer(std::move(keys), std::move(zap_socket)));
}

CurveServer::CurveServer(CurveServerKeys keys, zmq::socket_t zap_socket)
    : keys_(std::move(keys)), zap_socket_(std::move(zap_socket)), thread_([this] { Serve(); }) {}

CurveServer::~CurveServer() {
  stop_.store(true);
  thread_.join();
}

void CurveServer::Secure(zmq::socket_t& socket) const {
  socket.set(zmq::sockopt::curve_server, true);
  socket.set(zmq::sockopt::curve_secretkey, keys_.secret_key);
  // With a domain set, every handshake, whatever its mechanism, goes to the ZAP handler.
  socket.set(zmq::sockopt::zap_domain, kZapDomain);
}

void CurveServer::Serve() {
  RateLimitedLog refused_log;
  std::set<std::string> greeted;  // keys let in before: logged once each
  std::vector<zmq::pollitem_t> items = {{zap_socket_.handle(), 0, ZMQ_POLLIN, 0}};
  try {
    while (!stop_.load()) {
      if (Poll(items, kStopPollInterval.count()) == 0) continue;
      std::vector<zmq::message_t> request;
      if (!zmq::recv_multipart(zap_socket_, std::back_inserter(request), zmq::recv_flags::dontwait)) continue;
      // Request (RFC 27): version, request id, domain, address, routing id, mechanism, credentials...
      // Reply: version, request id, status code, status text, user id, metadata.
      auto frame = [&](size_t i) { return i < request.size() ? request[i].to_string() : std::string(); };
      const std::string request_id = frame(1), address = frame(3), mechanism = frame(5), key = frame(6);
      std::string status = "400", text = "client key not allowed", user;
      const auto allowed = std::find_if(keys_.allowed_clients.begin(), keys_.allowed_clients.end(),
                                        [&](const AllowedClient& client) { return client.public_key == key; });
      if (request.size() < 6 || frame(0) != "1.0") {
        status = "500";
        text = "malformed ZAP request";
      } else if (mechanism == "CURVE" && request.size() == 7 && allowed != keys_.allowed_clients.end()) {
        status = "200";
        text = "OK";
        user = allowed->name;
        if (greeted.insert(key).second) spdlog::info("accepted CURVE client '{}' from {}", user, address);
      } else {
        const std::string who = mechanism == "CURVE" && key.size() == kBinaryKeyLength
                                    ? "its public key " + EncodeZ85Key(key)
                                    : "its " + mechanism + " credentials";
        refused_log.Warn("refused a client from " + address + ": " + who + " is not in run.allowed_clients_file = '" +
                         keys_.allowlist_path + "'");
      }
      (status == "200" ? accepted_ : refused_).fetch_add(1);
      const std::array<zmq::const_buffer, 6> reply = {zmq::buffer(std::string_view("1.0")),
                                                      zmq::buffer(request_id),
                                                      zmq::buffer(status),
                                                      zmq::buffer(text),
                                                      zmq::buffer(user),
                                                      zmq::const_buffer()};
      (void)zmq::send_multipart(zap_socket_, reply);
    }
  } catch (const zmq::error_t& error) {
    spdlog::error("the ZAP handler stopped: {}; no client can connect to this process's servers now", error.what());
  }
}

}  // namespace ddpg
