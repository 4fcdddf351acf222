// error.hpp — the one exception type voxguard throws for bad input.
// Promise: every Error names the input it is about (a path, "path:line", a packet index...) and the
// reason, so a user can find and fix the offending input. what() is "INPUT: REASON".
#pragma once
#include <stdexcept>
#include <string>

namespace vg {

class Error : public std::runtime_error {
public:
  Error(std::string input, std::string reason)
      : std::runtime_error(input.empty() ? reason : input + ": " + reason),
        input_(std::move(input)), reason_(std::move(reason)) {}
  const std::string &input() const noexcept { return input_; }
  const std::string &reason() const noexcept { return reason_; }

private:
  std::string input_;
  std::string reason_;
};

} // namespace vg
