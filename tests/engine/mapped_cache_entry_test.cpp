// CompiledCache::load_mapped: a hit maps the payload 64-byte aligned and verifies it; every refusal
// load() makes it makes too (with the same notice); a payload altered after the header was written
// is caught by wait_verified() (entry rejected once, file removed); the digest check does not make
// the payload resident; release() gives whole pages back and every byte stays readable.
#include "engine/compiled_cache.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace vg {
namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;

void write_file(const fs::path &p, std::span<const std::uint8_t> b, mode_t mode = 0600) {
  std::ofstream(p, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char *>(b.data()), static_cast<std::streamsize>(b.size()));
  ::chmod(p.c_str(), mode);
}

Bytes pattern(std::size_t n) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i)
    b[i] = static_cast<std::uint8_t>((i * 2654435761u) >> 13);
  return b;
}

// The resident size in kB of this process's mapping holding `p` (/proc/self/smaps), or -1.
long mapping_rss_kb(const void *p) {
  std::ifstream smaps("/proc/self/smaps");
  const auto at = reinterpret_cast<std::uintptr_t>(p);
  std::string line;
  bool inside = false;
  while (std::getline(smaps, line)) {
    unsigned long lo = 0, hi = 0;
    if (std::sscanf(line.c_str(), "%lx-%lx ", &lo, &hi) == 2 && line.find(' ') < 40 &&
        line.find('-') < line.find(' ')) {
      inside = at >= lo && at < hi;
      continue;
    }
    if (inside && line.starts_with("Rss:"))
      return std::strtol(line.c_str() + 4, nullptr, 10);
  }
  return -1;
}

class MappedCacheEntryTest : public ::testing::Test {
protected:
  fs::path dir;
  std::vector<std::string> notices;
  std::unique_ptr<CompiledCache> cache;
  CacheKey key{};

  void SetUp() override {
    char tmpl[] = "/tmp/vg-mapped-cache-test-XXXXXX";
    dir = fs::path(::mkdtemp(tmpl)) / "cache";
    cache = std::make_unique<CompiledCache>(
        dir, CompiledCache::kDefaultMaxBytes,
        [this](const std::string &line) { notices.push_back(line); });
    key.fill(0x3c);
  }
  void TearDown() override {
    cache.reset();
    fs::remove_all(dir.parent_path());
  }
  // Expects load_mapped(key) to refuse the file with a notice containing `reason` and remove it.
  void expect_refused(const std::string &reason) {
    notices.clear();
    const auto before = cache->stats();
    EXPECT_EQ(cache->load_mapped(key), nullptr);
    ASSERT_EQ(notices.size(), 1u);
    EXPECT_NE(notices[0].find(cache->path_for(key).string()), std::string::npos) << notices[0];
    EXPECT_NE(notices[0].find(reason), std::string::npos) << notices[0];
    EXPECT_EQ(cache->stats().rejected, before.rejected + 1);
    EXPECT_EQ(cache->stats().hits, before.hits);
    EXPECT_FALSE(fs::exists(cache->path_for(key)) || fs::is_symlink(cache->path_for(key)));
  }
};

TEST_F(MappedCacheEntryTest, HitIsMappedAlignedAndVerified) {
  const Bytes payload = pattern(3 * 4096 + 123);
  cache->store(key, payload);
  auto e = cache->load_mapped(key);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(e->payload().data()) % kCachePayloadAlignment, 0u);
  EXPECT_TRUE(e->wait_verified());
  EXPECT_TRUE(e->wait_verified()); // idempotent
  EXPECT_TRUE(e->failure().empty());
  EXPECT_TRUE(std::equal(e->payload().begin(), e->payload().end(), payload.begin(), payload.end()));
  EXPECT_EQ(cache->stats().hits, 1u);
  EXPECT_EQ(cache->stats().rejected, 0u);
  EXPECT_TRUE(notices.empty());
  // The same file reads the same through load().
  auto copy = cache->load(key);
  ASSERT_TRUE(copy);
  EXPECT_TRUE(
      std::equal(copy->payload().begin(), copy->payload().end(), payload.begin(), payload.end()));
}

TEST_F(MappedCacheEntryTest, EmptyPayloadIsAHit) {
  cache->store(key, {});
  auto e = cache->load_mapped(key);
  ASSERT_NE(e, nullptr);
  EXPECT_TRUE(e->payload().empty());
  EXPECT_TRUE(e->wait_verified());
}

TEST_F(MappedCacheEntryTest, MissingFileIsASilentMiss) {
  EXPECT_EQ(cache->load_mapped(key), nullptr);
  EXPECT_TRUE(notices.empty());
  EXPECT_EQ(cache->stats().misses, 1u);
}

TEST_F(MappedCacheEntryTest, EveryHeaderRefusal) {
  const Bytes payload = pattern(5000);
  const Bytes good = make_cache_file(key, payload);
  const fs::path file = cache->path_for(key);
  write_file(file, std::span(good).first(good.size() - 1));
  expect_refused("payload length");
  write_file(file, std::span(good).first(40));
  expect_refused("truncated header");
  write_file(file, {});
  expect_refused("truncated header");
  Bytes b = good;
  b[0] = 'Z';
  write_file(file, b);
  expect_refused("bad magic");
  b = good;
  b[8] = 1; // the format before the payload was aligned
  write_file(file, b);
  expect_refused("cache format version 1");
  b = good;
  b[100] = 1; // padding
  write_file(file, b);
  expect_refused("reserved header field");
  CacheKey other = key;
  other[0] ^= 1;
  write_file(file, make_cache_file(other, payload));
  expect_refused("is not the key looked up");
}

TEST_F(MappedCacheEntryTest, UntrustedFilesAreRefused) {
  const Bytes good = make_cache_file(key, pattern(100));
  const fs::path file = cache->path_for(key);
  write_file(file, good, 0620);
  expect_refused("writable by group or others");
  const fs::path elsewhere = dir.parent_path() / "elsewhere.hsdb";
  write_file(elsewhere, good);
  fs::create_symlink(elsewhere, file);
  expect_refused("symbolic link");
  fs::create_directory(file);
  notices.clear();
  EXPECT_EQ(cache->load_mapped(key), nullptr);
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_NE(notices[0].find("not a regular file"), std::string::npos) << notices[0];
  fs::remove(file);
  if (::geteuid() == 0) {
    write_file(file, good);
    ASSERT_EQ(::chown(file.c_str(), 65534, 65534), 0);
    expect_refused("owned by uid 65534");
  }
}

TEST_F(MappedCacheEntryTest, PayloadAlteredAfterTheHeaderIsCaughtByWaitVerified) {
  const Bytes payload = pattern(200000);
  Bytes file = make_cache_file(key, payload);
  file[kCacheHeaderSize + 150000] ^= 0x01; // header (and its digest) untouched
  write_file(cache->path_for(key), file);
  auto e = cache->load_mapped(key);
  ASSERT_NE(e, nullptr); // the header is fine: decoding may start
  EXPECT_TRUE(notices.empty());
  EXPECT_FALSE(e->wait_verified());
  EXPECT_NE(e->failure().find("SHA-256"), std::string::npos) << e->failure();
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_NE(notices[0].find("SHA-256"), std::string::npos) << notices[0];
  EXPECT_NE(notices[0].find(cache->path_for(key).string()), std::string::npos) << notices[0];
  EXPECT_FALSE(e->wait_verified());
  EXPECT_EQ(notices.size(), 1u); // rejected once
  EXPECT_EQ(cache->stats().rejected, 1u);
  EXPECT_EQ(cache->stats().hits, 0u);
  EXPECT_FALSE(fs::exists(cache->path_for(key)));
  // The mapping stays valid for the caller (who discards what it decoded) until it is dropped.
  EXPECT_EQ(e->payload()[150000], payload[150000] ^ 0x01);
}

TEST_F(MappedCacheEntryTest, CheckLeavesPagesOutAndReleaseDropsWholePages) {
  const Bytes payload = pattern(64 * 4096);
  cache->store(key, payload);
  auto e = cache->load_mapped(key);
  ASSERT_NE(e, nullptr);
  ASSERT_TRUE(e->wait_verified());
  // Nothing of the mapping was touched by the check (256 kB of payload).
  EXPECT_EQ(mapping_rss_kb(e->payload().data()), 0);
  auto p = e->payload();
  unsigned sum = 0;
  for (std::size_t i = 0; i < p.size(); i += 512)
    sum += p[i];
  sum += p.back(); // every page touched
  const long page_kb = ::sysconf(_SC_PAGESIZE) / 1024;
  EXPECT_GE(mapping_rss_kb(p.data()), 64 * page_kb);
  e->release(p.first(p.size() / 2 + 100)); // not page-aligned at either end
  // The first payload page shares the header's page and stays; pages 1-31 go; the page holding
  // byte size/2 + 100 stays, as do the ones after it.
  EXPECT_EQ(mapping_rss_kb(p.data()), (65 - 31) * page_kb) << "sum " << sum;
  // Released bytes read back from the file; later ones were never disturbed.
  EXPECT_TRUE(std::equal(p.begin(), p.end(), payload.begin(), payload.end()));
  // A span outside the payload releases nothing and does not fault.
  const std::uint8_t outside[8] = {};
  e->release(outside);
  EXPECT_TRUE(std::equal(p.begin(), p.end(), payload.begin(), payload.end()));
}

TEST_F(MappedCacheEntryTest, EntryOutlivesItsFileBeingReplaced) {
  const Bytes first = pattern(10000);
  cache->store(key, first);
  auto e = cache->load_mapped(key);
  ASSERT_NE(e, nullptr);
  cache->store(key, pattern(20000)); // rename over the mapped file
  EXPECT_TRUE(e->wait_verified());
  EXPECT_TRUE(std::equal(e->payload().begin(), e->payload().end(), first.begin(), first.end()));
}

} // namespace
} // namespace vg
