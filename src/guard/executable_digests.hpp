// executable_digests.hpp — SHA-256 of executables, cached by file identity.
// Promise: a digest is computed once per (device, inode, size, mtime, ctime); any change to the
// file (which changes ctime) forces a new digest. Thread-safe. Failures give nullopt, never throw.
#pragma once
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>

namespace vg::guard {

class ExecutableDigests {
public:
  // Digest of the file open at `fd` (read with pread; the offset is not moved).
  std::optional<std::string> of_fd(int fd);
  // Digest of the file at `path` (e.g. "/proc/PID/exe").
  std::optional<std::string> of_path(const std::string &path);

private:
  using Key = std::tuple<std::uint64_t, std::uint64_t, std::int64_t, std::int64_t, std::int64_t,
                         std::int64_t, std::int64_t>;
  std::mutex mu_;
  std::map<Key, std::string> cache_;
};

} // namespace vg::guard
