#include "tcp_proxy.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <list>
#include <system_error>
#include <vector>

namespace ddpg::testing {
namespace {

// Bytes buffered towards one side before the proxy stops reading from the other (back-pressure).
constexpr size_t kMaxBuffered = 1 << 20;

[[noreturn]] void ThrowErrno(const std::string& what) { throw std::system_error(errno, std::generic_category(), what); }

sockaddr_in Loopback(int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port));
  return address;
}

// Closes `fd` with a reset instead of the orderly FIN, so that the peer sees a dropped connection.
void Reset(int fd) {
  const linger abort{.l_onoff = 1, .l_linger = 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
  close(fd);
}

// One side of a forwarded connection: its socket and the bytes waiting to be written to it.
struct Side {
  int fd = -1;
  std::string outgoing;
  bool eof = false;        // the peer closed its sending half; nothing more will be read
  bool shut_down = false;  // our sending half is closed, after `outgoing` was written
};

struct Connection {
  Side client;
  Side server;
  bool connecting = true;  // the non-blocking connect to the server has not completed yet
  bool failed = false;     // reset both sides
  bool silenced = false;   // never touched again until the proxy stops
};

// Reads what `from` has into `to.outgoing`; marks eof or failure.
void Read(Side& from, Side& to, Connection& connection) {
  char buffer[64 * 1024];
  while (to.outgoing.size() < kMaxBuffered) {
    const ssize_t n = recv(from.fd, buffer, sizeof buffer, 0);
    if (n > 0) {
      to.outgoing.append(buffer, static_cast<size_t>(n));
    } else if (n == 0) {
      from.eof = true;
      return;
    } else {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) connection.failed = true;
      return;
    }
  }
}

// Writes what it can of `to.outgoing`; once the other side has closed and everything is written, passes the
// close on.
void Write(Side& to, const Side& from, Connection& connection) {
  while (!to.outgoing.empty()) {
    const ssize_t n = send(to.fd, to.outgoing.data(), to.outgoing.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) connection.failed = true;
      break;
    }
    to.outgoing.erase(0, static_cast<size_t>(n));
  }
  if (from.eof && to.outgoing.empty() && !to.shut_down) {
    shutdown(to.fd, SHUT_WR);
    to.shut_down = true;
  }
}

}  // namespace

TcpProxy::TcpProxy(int target_port) : target_port_(target_port) {
  listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) ThrowErrno("socket");
  auto fail = [this](const std::string& what) {
    const int error = errno;
    close(listen_fd_);
    errno = error;
    ThrowErrno(what);
  };
  sockaddr_in address = Loopback(0);
  if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) fail("bind");
  if (listen(listen_fd_, 64) != 0) fail("listen");
  socklen_t length = sizeof address;
  if (getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) fail("getsockname");
  port_ = ntohs(address.sin_port);
  int wake[2];
  if (pipe2(wake, O_NONBLOCK | O_CLOEXEC) != 0) fail("pipe2");
  wake_read_fd_ = wake[0];
  wake_write_fd_ = wake[1];
  pump_thread_ = std::thread([this] { Pump(); });
}

TcpProxy::~TcpProxy() {
  Apply([](Control& control) { control.stop = true; });
  pump_thread_.join();
  close(listen_fd_);
  close(wake_read_fd_);
  close(wake_write_fd_);
}

void TcpProxy::CutAll() {
  Apply([](Control& control) { ++control.cuts_requested; });
}

void TcpProxy::SilenceAll() {
  Apply([](Control& control) { ++control.silences_requested; });
}

void TcpProxy::SetBlackhole(bool on) {
  Apply([on](Control& control) { control.blackhole = on; });
}

void TcpProxy::Apply(const std::function<void(Control&)>& change) {
  std::unique_lock lock(mutex_);
  change(control_);
  const uint64_t change_number = ++control_.changes;
  // A full pipe already holds a wake-up, so a failed write loses nothing.
  (void)!write(wake_write_fd_, "x", 1);
  handled_changed_.wait(lock, [&] { return handled_ >= change_number; });
}

void TcpProxy::Pump() {
  std::list<Connection> connections;
  uint64_t cuts_done = 0;
  uint64_t silences_done = 0;
  auto reset_all = [&] {
    for (Connection& connection : connections) {
      Reset(connection.client.fd);
      Reset(connection.server.fd);
    }
    connections.clear();
  };
  std::vector<pollfd> items;
  while (true) {
    Control control;
    {
      std::lock_guard lock(mutex_);
      control = control_;
    }
    if (control.stop || control.cuts_requested > cuts_done) {
      reset_all();
      cuts_done = control.cuts_requested;
    }
    if (control.silences_requested > silences_done) {
      for (Connection& connection : connections) connection.silenced = true;
      silences_done = control.silences_requested;
    }
    {
      std::lock_guard lock(mutex_);
      handled_ = control.changes;
    }
    handled_changed_.notify_all();
    if (control.stop) return;

    // items: the wake pipe, the listening socket, then client and server of each connection (fd -1, which
    // poll() skips, for a silenced one). While blackholed, only the wake pipe is watched.
    items.assign({{wake_read_fd_, POLLIN, 0}});
    if (!control.blackhole) {
      items.push_back({listen_fd_, POLLIN, 0});
      for (const Connection& c : connections) {
        if (c.silenced) {
          items.insert(items.end(), 2, {-1, 0, 0});
          continue;
        }
        short client_events = c.client.outgoing.empty() ? 0 : POLLOUT;
        short server_events = c.server.outgoing.empty() ? 0 : POLLOUT;
        if (c.connecting) {
          server_events = POLLOUT;
        } else {
          if (!c.client.eof && c.server.outgoing.size() < kMaxBuffered) client_events |= POLLIN;
          if (!c.server.eof && c.client.outgoing.size() < kMaxBuffered) server_events |= POLLIN;
        }
        items.push_back({c.client.fd, client_events, 0});
        items.push_back({c.server.fd, server_events, 0});
      }
    }
    if (poll(items.data(), items.size(), -1) < 0) {
      if (errno == EINTR) continue;
      ThrowErrno("poll");
    }
    if (items[0].revents != 0) {
      char drained[64];
      while (read(wake_read_fd_, drained, sizeof drained) > 0) {
      }
    }
    if (control.blackhole) continue;

    size_t item = 2;
    for (Connection& c : connections) {
      const short client_revents = items[item++].revents;
      const short server_revents = items[item++].revents;
      if (c.silenced) continue;
      if (c.connecting && server_revents != 0) {
        int error = 0;
        socklen_t length = sizeof error;
        getsockopt(c.server.fd, SOL_SOCKET, SO_ERROR, &error, &length);
        c.connecting = false;
        c.failed = error != 0;
      } else if (!c.connecting) {
        if (client_revents & (POLLIN | POLLHUP | POLLERR)) Read(c.client, c.server, c);
        if (server_revents & (POLLIN | POLLHUP | POLLERR)) Read(c.server, c.client, c);
      }
      if (!c.connecting && !c.failed) {
        Write(c.server, c.client, c);
        Write(c.client, c.server, c);
      }
    }
    for (auto it = connections.begin(); it != connections.end();) {
      const bool finished = it->client.shut_down && it->server.shut_down;
      if (it->failed) {
        Reset(it->client.fd);
        Reset(it->server.fd);
      } else if (finished) {
        close(it->client.fd);
        close(it->server.fd);
      }
      it = it->failed || finished ? connections.erase(it) : std::next(it);
    }

    if (items[1].revents & POLLIN) {
      while (true) {
        const int client_fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (client_fd < 0) break;
        ++accepted_;
        const int server_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        const sockaddr_in target = Loopback(target_port_);
        if (server_fd < 0 || (connect(server_fd, reinterpret_cast<const sockaddr*>(&target), sizeof target) != 0 &&
                              errno != EINPROGRESS)) {
          if (server_fd >= 0) close(server_fd);
          Reset(client_fd);  // as if the server had refused the connection
          continue;
        }
        Connection& connection = connections.emplace_back();
        connection.client.fd = client_fd;
        connection.server.fd = server_fd;
      }
    }
  }
}

}  // namespace ddpg::testing
