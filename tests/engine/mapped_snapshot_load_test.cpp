// load_databases_cached() through the CompiledCache reads the signature snapshot mapped: the warm
// set equals the parsed one; a snapshot altered after its header was written (digest no longer
// matching) is discarded after decoding, rejected once and parsed again, whether its bytes still
// decode or not; the decoder's progress hook reports consecutive stretches that meet on page
// boundaries and never reach past what was decoded.
#include "engine/compiled_cache.hpp"
#include "signatures/database_loader.hpp"
#include "signatures/signature_snapshot.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>
#include <vector>

namespace vg {
namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;

class MappedSnapshotLoadTest : public ::testing::Test {
protected:
  fs::path root, db_dir;
  std::vector<std::string> notices;
  std::unique_ptr<CompiledCache> cache;

  void SetUp() override {
    char tmpl[] = "/tmp/vg-mapped-snapshot-test-XXXXXX";
    root = ::mkdtemp(tmpl);
    db_dir = root / "db";
    fs::create_directories(db_dir);
    cache = std::make_unique<CompiledCache>(
        root / "cache", CompiledCache::kDefaultMaxBytes,
        [this](const std::string &line) { notices.push_back(line); });
  }
  void TearDown() override {
    cache.reset();
    fs::remove_all(root);
  }
  void write(const std::string &name, const std::string &text) {
    std::ofstream(db_dir / name, std::ios::binary) << text;
  }
  // A database of `n` MD5 signatures (~40 snapshot bytes each) and a body signature; as many
  // allow-list hashes with `allow`.
  void write_hashes(std::size_t n, bool allow = false) {
    std::string text;
    text.reserve(n * 64);
    char line[96];
    for (std::size_t i = 0; i < n; ++i) {
      std::snprintf(line, sizeof line, "%016zx%016zx:%zu:Test.Hash-%zu\n", i * 7919, i, 100 + i, i);
      text += line;
    }
    write("many.hdb", text);
    if (allow)
      write("many.fp", text);
    write("one.ndb", "Body.Sig:0:*:76786775617264\n");
  }
  fs::path entry_path() {
    return cache->path_for(signature_snapshot_key(list_database_files({db_dir.string()})));
  }
  Bytes read_entry() {
    std::ifstream in(entry_path(), std::ios::binary);
    return Bytes((std::istreambuf_iterator<char>(in)), {});
  }
  void write_entry(const Bytes &b) {
    std::ofstream(entry_path(), std::ios::binary | std::ios::trunc)
        .write(reinterpret_cast<const char *>(b.data()), static_cast<std::streamsize>(b.size()));
  }
};

TEST_F(MappedSnapshotLoadTest, WarmLoadEqualsTheParse) {
  write_hashes(1000);
  auto cold = load_databases_cached({db_dir.string()}, cache.get());
  EXPECT_FALSE(cold.from_snapshot);
  EXPECT_TRUE(cold.stored);
  auto warm = load_databases_cached({db_dir.string()}, cache.get());
  EXPECT_TRUE(warm.from_snapshot);
  EXPECT_EQ(write_signature_snapshot(warm.set), write_signature_snapshot(cold.set));
  EXPECT_EQ(cache->stats().hits, 1u);
  EXPECT_EQ(cache->stats().rejected, 0u);
  EXPECT_TRUE(notices.empty());
}

TEST_F(MappedSnapshotLoadTest, AlteredPayloadThatStillDecodesIsDiscarded) {
  write_hashes(1000);
  auto cold = load_databases_cached({db_dir.string()}, cache.get());
  ASSERT_TRUE(cold.stored);
  // Change one letter of a signature name: the snapshot still decodes (to another set), only the
  // digest tells.
  Bytes b = read_entry();
  const std::string needle = "Test.Hash-500";
  auto at = std::search(b.begin() + kCacheHeaderSize, b.end(), needle.begin(), needle.end());
  ASSERT_NE(at, b.end());
  *at = 'B';
  write_entry(b);
  Bytes payload(b.begin() + kCacheHeaderSize, b.end());
  ASSERT_NO_THROW(read_signature_snapshot(payload, "altered")); // it does decode
  auto again = load_databases_cached({db_dir.string()}, cache.get());
  EXPECT_FALSE(again.from_snapshot);
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_NE(notices[0].find("SHA-256"), std::string::npos) << notices[0];
  EXPECT_EQ(cache->stats().rejected, 1u);
  EXPECT_EQ(write_signature_snapshot(again.set), write_signature_snapshot(cold.set));
  EXPECT_TRUE(again.stored); // written back
  auto healed = load_databases_cached({db_dir.string()}, cache.get());
  EXPECT_TRUE(healed.from_snapshot);
  EXPECT_EQ(notices.size(), 1u);
}

TEST_F(MappedSnapshotLoadTest, AlteredPayloadThatNoLongerDecodesIsRejectedOnce) {
  write_hashes(10);
  auto cold = load_databases_cached({db_dir.string()}, cache.get());
  ASSERT_TRUE(cold.stored);
  Bytes b = read_entry();
  b[kCacheHeaderSize] ^= 0xff; // the snapshot's magic
  write_entry(b);
  auto again = load_databases_cached({db_dir.string()}, cache.get());
  EXPECT_FALSE(again.from_snapshot);
  ASSERT_EQ(notices.size(), 1u); // the digest's reason, not a second one for the decoding
  EXPECT_NE(notices[0].find("SHA-256"), std::string::npos) << notices[0];
  EXPECT_EQ(write_signature_snapshot(again.set), write_signature_snapshot(cold.set));
}

TEST_F(MappedSnapshotLoadTest, ValidEntryThatDoesNotDecodeIsRejectedWithTheDecodersReason) {
  write_hashes(10);
  auto cold = load_databases_cached({db_dir.string()}, cache.get());
  ASSERT_TRUE(cold.stored);
  const Bytes b = read_entry();
  CacheKey key{};
  std::copy_n(b.begin() + 16, key.size(), key.begin());
  Bytes payload(b.begin() + kCacheHeaderSize, b.end());
  payload.resize(payload.size() / 2); // a digest that matches a truncated snapshot
  write_entry(make_cache_file(key, payload));
  auto again = load_databases_cached({db_dir.string()}, cache.get());
  EXPECT_FALSE(again.from_snapshot);
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_NE(notices[0].find("bad signature snapshot: truncated"), std::string::npos) << notices[0];
  EXPECT_EQ(write_signature_snapshot(again.set), write_signature_snapshot(cold.set));
}

TEST_F(MappedSnapshotLoadTest, ProgressHookReportsPageAlignedStretchesOfDecodedInput) {
  write_hashes(200000, true); // two hash tables of some MB each: several stretches
  auto cold = load_databases_cached({db_dir.string()}, cache.get());
  const Bytes snap = write_signature_snapshot(cold.set);
  ASSERT_GT(snap.size(), std::size_t{9} << 20);
  const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  std::vector<std::span<const std::uint8_t>> told;
  SignatureSet back = read_signature_snapshot(
      snap, "hooked", [&](std::span<const std::uint8_t> s) { told.push_back(s); });
  ASSERT_GE(told.size(), 2u);
  EXPECT_EQ(told.front().data(), snap.data());
  for (std::size_t i = 0; i < told.size(); ++i) {
    const auto end = reinterpret_cast<std::uintptr_t>(told[i].data() + told[i].size());
    EXPECT_EQ(end % page, 0u) << "stretch " << i;
    if (i > 0) {
      EXPECT_EQ(told[i].data(), told[i - 1].data() + told[i - 1].size()) << "stretch " << i;
    }
  }
  EXPECT_LT(static_cast<std::size_t>(told.back().data() + told.back().size() - snap.data()),
            snap.size());
  EXPECT_EQ(write_signature_snapshot(back), snap);
}

} // namespace
} // namespace vg
