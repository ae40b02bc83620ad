// A loopback TCP proxy for integration tests that need to break connections while the server keeps running.
//
// TcpProxy listens on a free 127.0.0.1 port and forwards every connection it accepts to a target port on
// 127.0.0.1, copying bytes both ways. A test points a client at endpoint() instead of the server, and then:
//  - CutAll: resets every open connection on both sides, as a NAT or a load balancer that drops its state
//    does; both peers learn of it at once;
//  - SilenceAll: stops forwarding on every open connection without telling either side, as when a peer's
//    host loses power or a middlebox forgets the connection silently: only a timeout can notice;
//  - SetBlackhole: a partition; while it lasts nothing is read, written or accepted (new connections wait in
//    the listen backlog).
//
// The proxy owns its listening socket, every forwarded connection and one thread that moves the bytes with
// poll() on non-blocking sockets. Its methods may be called from any thread; CutAll, SilenceAll and
// SetBlackhole block until that thread has carried them out. The destructor stops the thread and closes
// every socket.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace ddpg::testing {

class TcpProxy {
 public:
  explicit TcpProxy(int target_port);
  ~TcpProxy();
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  int port() const { return port_; }
  std::string endpoint() const { return "tcp://127.0.0.1:" + std::to_string(port_); }
  // Connections accepted so far, cut ones included.
  uint64_t accepted() const { return accepted_.load(); }

  // Resets every open connection on both sides (SO_LINGER {1, 0}); connections made afterwards are
  // forwarded as usual.
  void CutAll();
  // Never forwards anything on the connections open now again, and keeps them open until the proxy goes
  // away; connections made afterwards are forwarded as usual.
  void SilenceAll();
  // While on, nothing is read, written or accepted: open connections stall and new ones are not forwarded
  // until it is turned off again.
  void SetBlackhole(bool on);

 private:
  struct Control {
    uint64_t cuts_requested = 0;
    uint64_t silences_requested = 0;
    bool blackhole = false;
    bool stop = false;
    uint64_t changes = 0;
  };

  // Changes control_ and waits until the pump thread has acted on the change.
  void Apply(const std::function<void(Control&)>& change);
  void Pump();

  int port_ = 0;
  int listen_fd_ = -1;
  int target_port_;
  int wake_read_fd_ = -1;  // the pump thread polls it; Apply writes a byte to wake_write_fd_
  int wake_write_fd_ = -1;
  std::atomic<uint64_t> accepted_{0};
  std::mutex mutex_;
  std::condition_variable handled_changed_;
  Control control_;          // guarded by mutex_
  uint64_t handled_ = 0;     // guarded by mutex_: the control_.changes the pump thread has acted on
  std::thread pump_thread_;  // started last: it reads everything above
};

}  // namespace ddpg::testing
