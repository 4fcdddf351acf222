// temp_dir.hpp — test helper: a private directory that goes away with everything in it.
// Promise: TempDir creates a fresh directory /tmp/vg-test-XXXXXX (mkdtemp: mode 0700, a name no
// other process holds) or throws naming the reason; the destructor removes it recursively and never
// throws; write(name, bytes) creates or truncates path/name with exactly `bytes` and returns its
// path, throwing with the file's name if it cannot be written.
#pragma once
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>

#include <stdlib.h>

namespace vg::testing {

struct TempDir {
  std::filesystem::path path;

  TempDir() {
    char tmpl[] = "/tmp/vg-test-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr)
      throw std::runtime_error(std::string("mkdtemp /tmp/vg-test-XXXXXX: ") + std::strerror(errno));
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;

  std::string write(const std::string &name, std::string_view bytes) const {
    const std::filesystem::path p = path / name;
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.close();
    if (!out)
      throw std::runtime_error(p.string() + ": cannot write");
    return p.string();
  }
};

} // namespace vg::testing
