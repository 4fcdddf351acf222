#include "guard/control_socket.hpp"

#include "common/error.hpp"
#include "guard/process_info.hpp"

#include <cerrno>
#include <cstring>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace vg::guard {

namespace {
sockaddr_un address(const std::string &path) {
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  if (path.size() >= sizeof a.sun_path)
    throw Error(path, "control socket path too long");
  std::memcpy(a.sun_path, path.c_str(), path.size() + 1);
  return a;
}
} // namespace

ControlSocket::ControlSocket(std::string path, std::function<std::string(pid_t, bool)> grant)
    : path_(std::move(path)), grant_(std::move(grant)) {
  sockaddr_un a = address(path_);
  unlink(path_.c_str());
  fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  mode_t old = umask(077);
  int rc = fd_ < 0 ? -1 : bind(fd_, reinterpret_cast<sockaddr *>(&a), sizeof a);
  umask(old);
  if (rc != 0 || listen(fd_, 8) != 0)
    throw Error(path_, std::string("cannot listen: ") + std::strerror(errno));
}

ControlSocket::~ControlSocket() {
  if (fd_ >= 0)
    close(fd_);
  unlink(path_.c_str());
}

void ControlSocket::serve(const std::atomic<bool> &stop) {
  while (!stop) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, 200) <= 0)
      continue;
    int c = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0)
      continue;
    timeval tv{2, 0};
    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ucred cred{};
    socklen_t len = sizeof cred;
    std::string answer;
    char buf[128];
    ssize_t n = read(c, buf, sizeof buf - 1);
    std::string line = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "";
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
      line.pop_back();
    if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || cred.uid != 0) {
      answer = "error: only root may ask the guard";
    } else if (line.starts_with("allow ") || line.starts_with("revoke ")) {
      bool allow = line.starts_with("allow ");
      char *end = nullptr;
      long pid = std::strtol(line.c_str() + (allow ? 6 : 7), &end, 10);
      auto target = read_process(static_cast<pid_t>(pid));
      if (pid <= 1 || *end)
        answer = "error: bad pid";
      else if (allow && (!target || target->ppid != cred.pid))
        answer = "error: pid " + std::to_string(pid) + " is not a child of the requester";
      else if (std::string why = grant_(static_cast<pid_t>(pid), allow); !why.empty())
        answer = "error: " + why;
      else
        answer = "ok";
    } else {
      answer = "error: unknown request '" + line + "'";
    }
    answer += "\n";
    if (write(c, answer.data(), answer.size()) < 0) {
      // the requester went away; nothing to tell
    }
    close(c);
  }
}

std::string control_request(const std::string &socket_path, const std::string &line) {
  sockaddr_un a = address(socket_path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) != 0) {
    std::string why = std::strerror(errno);
    if (fd >= 0)
      close(fd);
    throw Error(socket_path, "cannot reach the running guard: " + why);
  }
  std::string req = line + "\n";
  if (write(fd, req.data(), req.size()) != static_cast<ssize_t>(req.size())) {
    close(fd);
    throw Error(socket_path, "cannot send to the guard");
  }
  char buf[256];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  std::string answer = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "";
  while (!answer.empty() && answer.back() == '\n')
    answer.pop_back();
  return answer;
}

} // namespace vg::guard
