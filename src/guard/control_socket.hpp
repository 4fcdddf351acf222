// control_socket.hpp — the running guard's control channel (a root-only Unix socket beside the pid
// file): `guard edit` asks it for a one-time allowance for one editor process.
// Promise: only root peers are served (SO_PEERCRED); a request "allow PID" is granted only when PID
// is a child of the requesting process, "revoke PID" ends it; every other line gets "error: …".
// serve() returns within 200 ms of `stop` becoming true.
#pragma once
#include <atomic>
#include <functional>
#include <string>
#include <sys/types.h>

namespace vg::guard {

class ControlSocket {
public:
  // `grant(pid, allow)` applies or ends an allowance; it returns "" or the reason it refused.
  ControlSocket(std::string path, std::function<std::string(pid_t, bool)> grant);
  ~ControlSocket();
  ControlSocket(const ControlSocket &) = delete;
  ControlSocket &operator=(const ControlSocket &) = delete;
  void serve(const std::atomic<bool> &stop);
  const std::string &path() const { return path_; }

private:
  std::string path_;
  std::function<std::string(pid_t, bool)> grant_;
  int fd_ = -1;
};

// Client side: sends one request line and returns the guard's answer line.
std::string control_request(const std::string &socket_path, const std::string &line);

} // namespace vg::guard
