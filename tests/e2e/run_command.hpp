// run_command.hpp — runs a command for end-to-end tests and captures its exit status and output.
#pragma once
#include <array>
#include <cstdio>
#include <fcntl.h>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace vg::test {

struct CommandResult {
  int status = -1; // exit status, or 128+signal
  std::string out;
  std::string err;
};

// Runs argv (argv[0] is the program path) with optional stdin text; no shell is involved.
inline CommandResult run_command(const std::vector<std::string> &argv,
                                 const std::string &input = {},
                                 const std::vector<std::string> &env = {}) {
  auto slurp = [](int fd) {
    std::string s;
    char buf[65536];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0)
      s.append(buf, static_cast<std::size_t>(n));
    return s;
  };
  char out_tmpl[] = "/tmp/vg-out-XXXXXX", err_tmpl[] = "/tmp/vg-err-XXXXXX",
       in_tmpl[] = "/tmp/vg-in-XXXXXX";
  int out = ::mkstemp(out_tmpl), err = ::mkstemp(err_tmpl), in = ::mkstemp(in_tmpl);
  ::unlink(out_tmpl);
  ::unlink(err_tmpl);
  ::unlink(in_tmpl);
  if (!input.empty() && ::write(in, input.data(), input.size()) < 0)
    return {};
  ::lseek(in, 0, SEEK_SET);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    for (const auto &e : env)
      ::putenv(const_cast<char *>(e.c_str()));
    std::vector<char *> args;
    for (const auto &a : argv)
      args.push_back(const_cast<char *>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  int st = 0;
  ::waitpid(pid, &st, 0);
  CommandResult r;
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  ::lseek(out, 0, SEEK_SET);
  ::lseek(err, 0, SEEK_SET);
  r.out = slurp(out);
  r.err = slurp(err);
  ::close(out);
  ::close(err);
  ::close(in);
  return r;
}

} // namespace vg::test
