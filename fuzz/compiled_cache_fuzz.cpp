// Fuzzes the compiled-cache file reader: the header parser (with the key the input itself carries,
// so that the length and digest checks are reached, and with a fixed key), the round trip of
// make_cache_file, and CompiledCache::load and load_mapped of the input stored as a cache entry
// on disk (the same verdict and payload).
#include "common/error.hpp"
#include "engine/compiled_cache.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <memory>
#include <span>
#include <unistd.h>

namespace {

vg::CompiledCache &fuzz_cache() {
  static std::unique_ptr<vg::CompiledCache> cache = [] {
    char tmpl[] = "/tmp/vg-cache-fuzz-XXXXXX";
    std::filesystem::path dir = ::mkdtemp(tmpl);
    return std::make_unique<vg::CompiledCache>(dir / "c", vg::CompiledCache::kDefaultMaxBytes,
                                               [](const std::string &) {});
  }();
  return *cache;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  std::span<const std::uint8_t> bytes(data, size);
  vg::CacheKey own{}, fixed{};
  fixed.fill(0xA5);
  if (size >= 48)
    std::copy_n(data + 16, own.size(), own.begin());
  for (const auto &key : {own, fixed}) {
    try {
      auto payload = vg::parse_cache_file(bytes, key, "fuzz.hsdb");
      if (payload.size() != size - vg::kCacheHeaderSize)
        std::abort();
    } catch (const vg::Error &) {
    }
  }
  // What make_cache_file writes, parse_cache_file gives back unchanged.
  auto file = vg::make_cache_file(own, bytes);
  auto back = vg::parse_cache_file(file, own, "fuzz.hsdb");
  if (!std::equal(back.begin(), back.end(), bytes.begin(), bytes.end()))
    std::abort();
  // The same bytes as an entry on disk: load() must answer, never fail otherwise.
  if (size > 0 && data[0] % 8 == 0) {
    vg::CompiledCache &cache = fuzz_cache();
    auto path = cache.path_for(own);
    auto write_entry = [&] {
      int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
      if (fd < 0)
        return false;
      bool written = ::write(fd, data, size) == static_cast<ssize_t>(size);
      ::close(fd);
      return written;
    };
    if (write_entry()) {
      auto entry = cache.load(own);
      if (entry && entry->payload().size() != size - vg::kCacheHeaderSize)
        std::abort();
      // Mapped: the same verdict once the digest is checked (load() removed a refused file, so
      // it is written again first).
      if (write_entry()) {
        auto mapped = cache.load_mapped(own);
        const bool good = mapped && mapped->wait_verified();
        if (good != entry.has_value())
          std::abort();
        if (good && !std::equal(mapped->payload().begin(), mapped->payload().end(),
                                entry->payload().begin(), entry->payload().end()))
          std::abort();
      }
    }
    ::unlink(path.c_str());
  }
  return 0;
}
