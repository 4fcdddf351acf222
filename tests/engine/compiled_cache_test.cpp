// The on-disk cache of compiled Vectorscan databases: a warm load detects exactly what a cold
// compile detects on real signatures; damaged, foreign, misplaced and untrusted cache files are
// rejected with a notice naming the file and recompiled; an unsafe cache directory is refused;
// the size bound evicts the least recently used entries.
#include "common/error.hpp"
#include "common/file_bytes.hpp"
#include "common/mapped_file.hpp"
#include "engine/compiled_cache.hpp"
#include "engine/detection_list.hpp"
#include "engine/engine.hpp"
#include "engine/literal_prefilter.hpp"
#include "signatures/database_loader.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>
#include <vector>

namespace vg {
namespace {

namespace fs = std::filesystem;

using Bytes = std::vector<std::uint8_t>;
using Literals = std::vector<Bytes>;

Bytes bytes_of(std::string_view s) {
  return Bytes(s.begin(), s.end());
}

void write_file(const fs::path &p, std::span<const std::uint8_t> b) {
  std::ofstream(p, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char *>(b.data()), static_cast<std::streamsize>(b.size()));
  ::chmod(p.c_str(), 0600);
}

// The key a cache file's header carries (bytes 16-47).
CacheKey key_in(const Bytes &file) {
  CacheKey key{};
  std::copy_n(file.begin() + 16, key.size(), key.begin());
  return key;
}

mode_t mode_of(const fs::path &p) {
  struct stat st {};
  ::lstat(p.c_str(), &st);
  return st.st_mode & 07777;
}

std::vector<fs::path> entries(const fs::path &dir) {
  std::vector<fs::path> out;
  for (const auto &e : fs::directory_iterator(dir))
    out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

// Every (literal id, start) the prefilter reports on `text`.
std::vector<std::pair<std::uint32_t, std::size_t>> hits(const LiteralPrefilter &p,
                                                        std::string_view text) {
  LiteralPrefilter::Scratch s;
  s.prepare(p);
  std::vector<std::pair<std::uint32_t, std::size_t>> out;
  p.scan({reinterpret_cast<const std::uint8_t *>(text.data()), text.size()}, s,
         [&](std::uint32_t id, std::size_t start) {
           out.emplace_back(id, start);
           return true;
         });
  return out;
}

const Literals kSetA = {bytes_of("softphone"), bytes_of("address book"), bytes_of("BANK 123")};
const Literals kSetB = {bytes_of("987-65-43"), bytes_of("acoustic modem")};
constexpr std::string_view kText =
    "the softphone keeps its address book; bank 123 became 987-65-43 via an acoustic modem";

class CompiledCacheTest : public ::testing::Test {
protected:
  fs::path dir;
  std::vector<std::string> notices;

  void SetUp() override {
    char tmpl[] = "/tmp/vg-cache-test-XXXXXX";
    dir = fs::path(::mkdtemp(tmpl)) / "cache";
  }
  void TearDown() override {
    set_compiled_cache(nullptr);
    fs::remove_all(dir.parent_path());
  }
  // Installs a fresh process-wide cache on `dir` (as a new process would) and returns it.
  std::shared_ptr<const CompiledCache>
  use_cache(std::uint64_t max = CompiledCache::kDefaultMaxBytes) {
    auto c = std::make_shared<const CompiledCache>(
        dir, max, [this](const std::string &line) { notices.push_back(line); });
    set_compiled_cache(c);
    return c;
  }
  // The only cache entry of a cold build of `lits`.
  fs::path cold_entry(const Literals &lits, const std::vector<bool> &caseless = {}) {
    use_cache();
    LiteralPrefilter p(lits, caseless);
    auto all = entries(dir);
    EXPECT_EQ(all.size(), 1u);
    return all.empty() ? fs::path() : all.front();
  }
  // Rebuilds `lits` with the cache, expecting one rejection notice naming `file` and containing
  // `reason`, a correct prefilter, and a good entry written back.
  void expect_rejected_and_recompiled(const Literals &lits, const fs::path &file,
                                      const std::string &reason) {
    notices.clear();
    auto c = use_cache();
    LiteralPrefilter p(lits);
    ASSERT_EQ(notices.size(), 1u);
    EXPECT_NE(notices[0].find(file.string()), std::string::npos) << notices[0];
    EXPECT_NE(notices[0].find(reason), std::string::npos) << notices[0];
    EXPECT_EQ(c->stats().rejected, 1u);
    EXPECT_EQ(c->stats().hits, 0u);
    EXPECT_EQ(c->stats().stored, 1u);
    EXPECT_EQ(hits(p, kText), hits(LiteralPrefilter(lits), kText));
    // The entry written back is good: the next process loads it silently.
    notices.clear();
    auto again = use_cache();
    LiteralPrefilter q(lits);
    EXPECT_TRUE(notices.empty()) << notices[0];
    EXPECT_EQ(again->stats().hits, 1u);
    EXPECT_EQ(hits(q, kText), hits(p, kText));
  }
};

TEST_F(CompiledCacheTest, WarmLoadOfRealSignaturesDetectsWhatColdCompileDetects) {
  const fs::path data = VOXGUARD_SHARED_DATA;
  const fs::path c = data / "clamav";
  const std::vector<std::string> dbs = {
      (c / "unittests/pe_allmatch/alert-sigs").string(), (c / "rfxn-lmd/rfxn.ndb").string(),
      (c / "official-talos-subset/daily.ndb").string(), (c / "ditekshen/clamav.ldb").string()};
  for (const auto &d : dbs)
    if (!fs::exists(d))
      GTEST_SKIP() << "shared data missing: " << d;
  std::vector<fs::path> files = {c / "unittests/pe_allmatch/test.exe"};
  for (const auto &e : fs::directory_iterator(c / "unittests/other_scanfiles"))
    if (e.is_regular_file())
      files.push_back(e.path());
  files.push_back("/bin/sh");

  auto detections = [&](const Engine &engine) { return detection_list(engine, files); };

  set_compiled_cache(nullptr);
  auto reference = detections(*Engine::build(load_databases(dbs)));
  ASSERT_GE(reference.size(), 10u) << "the real set should fire on test.exe with allmatch";

  auto cold = use_cache();
  auto cold_found = detections(*Engine::build(load_databases(dbs)));
  EXPECT_GE(cold->stats().stored, 1u);
  EXPECT_EQ(cold->stats().hits, 0u);
  EXPECT_EQ(cold_found, reference);

  auto warm = use_cache();
  auto warm_found = detections(*Engine::build(load_databases(dbs)));
  EXPECT_EQ(warm->stats().hits, cold->stats().stored);
  EXPECT_EQ(warm->stats().misses, 0u);
  EXPECT_EQ(warm->stats().stored, 0u);
  EXPECT_EQ(warm->stats().rejected, 0u);
  EXPECT_TRUE(notices.empty()) << notices.front();
  EXPECT_EQ(warm_found, reference);
}

TEST_F(CompiledCacheTest, DirectoryIs0700AndFiles0600WithNoTemporaryLeft) {
  auto entry = cold_entry(kSetA);
  EXPECT_EQ(mode_of(dir), 0700u);
  EXPECT_EQ(mode_of(entry), 0600u);
  EXPECT_EQ(entry.extension(), ".hsdb");
  EXPECT_EQ(entries(dir).size(), 1u); // the temporary file was renamed, not left behind
}

TEST_F(CompiledCacheTest, KeyCoversLiteralsFlagsAndOrder) {
  use_cache();
  LiteralPrefilter a(kSetA);
  LiteralPrefilter caseless(kSetA, {false, false, true});
  Literals reordered = {kSetA[1], kSetA[0], kSetA[2]};
  LiteralPrefilter r(reordered);
  EXPECT_EQ(entries(dir).size(), 3u);
  // The caseless variant finds "bank 123"; a warm load must not hand it the case-sensitive one.
  auto warm = use_cache();
  LiteralPrefilter again(kSetA, {false, false, true});
  EXPECT_EQ(warm->stats().hits, 1u);
  EXPECT_EQ(hits(again, kText), hits(caseless, kText));
  EXPECT_NE(hits(again, kText), hits(a, kText));
}

TEST_F(CompiledCacheTest, TruncatedFilesAreRejectedAndRecompiled) {
  auto entry = cold_entry(kSetA);
  Bytes full = testing::read_file_bytes(entry);
  write_file(entry, std::span(full).first(full.size() / 2));
  expect_rejected_and_recompiled(kSetA, entry, "payload length");
  write_file(entry, std::span(full).first(20));
  expect_rejected_and_recompiled(kSetA, entry, "truncated header");
  write_file(entry, {});
  expect_rejected_and_recompiled(kSetA, entry, "truncated header");
}

TEST_F(CompiledCacheTest, CorruptedPayloadIsRejectedAndRecompiled) {
  auto entry = cold_entry(kSetA);
  Bytes b = testing::read_file_bytes(entry);
  b[kCacheHeaderSize + (b.size() - kCacheHeaderSize) / 2] ^= 0x40;
  write_file(entry, b);
  expect_rejected_and_recompiled(kSetA, entry, "SHA-256");
}

TEST_F(CompiledCacheTest, BadMagicAndFormatVersionAreRejected) {
  auto entry = cold_entry(kSetA);
  Bytes good = testing::read_file_bytes(entry);
  Bytes b = good;
  b[0] = 'Z';
  write_file(entry, b);
  expect_rejected_and_recompiled(kSetA, entry, "bad magic");
  b = good;
  b[8] = 99;
  write_file(entry, b);
  expect_rejected_and_recompiled(kSetA, entry, "cache format version 99");
}

TEST_F(CompiledCacheTest, DatabaseOfAnotherVectorscanVersionIsRejected) {
  auto entry = cold_entry(kSetA);
  Bytes file = testing::read_file_bytes(entry);
  CacheKey key = key_in(file);
  Bytes payload(file.begin() + kCacheHeaderSize, file.end());
  // A database image starts with its magic and then the 32-bit version it was built by
  // (major << 24 | minor << 16 | patch << 8): make it 4.9.0, and keep the cache header valid.
  ASSERT_GE(payload.size(), 8u);
  payload[4] = 0;
  payload[5] = 0;
  payload[6] = 9;
  payload[7] = 4;
  write_file(entry, make_cache_file(key, payload));
  expect_rejected_and_recompiled(kSetA, entry, "compiled by another Vectorscan (4.9.0), this is ");
}

TEST_F(CompiledCacheTest, PayloadThatIsNoDatabaseIsRejected) {
  auto entry = cold_entry(kSetA);
  write_file(entry, make_cache_file(key_in(testing::read_file_bytes(entry)),
                                    bytes_of("not a database at all")));
  expect_rejected_and_recompiled(kSetA, entry, "not a Vectorscan database image");
}

TEST_F(CompiledCacheTest, FileStoredUnderAnotherKeyIsRejected) {
  auto a = cold_entry(kSetA);
  Bytes a_bytes = testing::read_file_bytes(a);
  fs::remove(a);
  auto b = cold_entry(kSetB);
  write_file(b, a_bytes); // set A's compiled database under set B's name
  expect_rejected_and_recompiled(kSetB, b, "is not the key looked up");
}

TEST_F(CompiledCacheTest, UntrustedEntriesAreRejected) {
  auto entry = cold_entry(kSetA);
  ::chmod(entry.c_str(), 0666);
  expect_rejected_and_recompiled(kSetA, entry, "writable by group or others");

  Bytes good = testing::read_file_bytes(entry);
  fs::path elsewhere = dir.parent_path() / "elsewhere.hsdb";
  write_file(elsewhere, good);
  fs::remove(entry);
  fs::create_symlink(elsewhere, entry);
  expect_rejected_and_recompiled(kSetA, entry, "symbolic link");
  EXPECT_FALSE(fs::is_symlink(entry));

  if (::geteuid() == 0) { // only root can give a file away
    ASSERT_EQ(::chown(entry.c_str(), 65534, 65534), 0);
    expect_rejected_and_recompiled(kSetA, entry, "owned by uid 65534");
  }
}

TEST_F(CompiledCacheTest, UnsafeDirectoryIsRefused) {
  fs::create_directories(dir);
  ::chmod(dir.c_str(), 0777);
  try {
    CompiledCache c(dir);
    FAIL() << "a world-writable cache directory was accepted";
  } catch (const Error &e) {
    EXPECT_EQ(e.input(), dir.string());
    EXPECT_NE(e.reason().find("writable by group or others"), std::string::npos) << e.what();
  }
  ::chmod(dir.c_str(), 0700);
  fs::path foreign = dir.parent_path() / "foreign";
  if (::geteuid() == 0) {
    fs::create_directories(foreign);
    ::chmod(foreign.c_str(), 0700);
    ASSERT_EQ(::chown(foreign.c_str(), 65534, 65534), 0);
  } else {
    foreign = "/usr/share"; // owned by root
  }
  EXPECT_THROW(CompiledCache c(foreign), Error);
  try {
    CompiledCache c(foreign);
  } catch (const Error &e) {
    EXPECT_NE(e.reason().find("not by this user"), std::string::npos) << e.what();
  }
  fs::path file = dir / "plain-file";
  std::ofstream(file) << "x";
  EXPECT_THROW(CompiledCache c(file), Error);

  // An explicitly named unsafe directory is an error; the default location only a warning.
  ::chmod(dir.c_str(), 0777);
  CompiledCacheSettings explicit_dir{true, dir};
  std::vector<std::string> warnings;
  auto warn = [&](const std::string &l) { warnings.push_back(l); };
  EXPECT_THROW(install_compiled_cache(explicit_dir, warn), Error);
  EXPECT_EQ(compiled_cache(), nullptr);
  const char *old = std::getenv("VOXGUARD_CACHE_DIR");
  std::string saved = old ? old : "";
  ::setenv("VOXGUARD_CACHE_DIR", dir.c_str(), 1);
  install_compiled_cache(CompiledCacheSettings{}, warn);
  old ? ::setenv("VOXGUARD_CACHE_DIR", saved.c_str(), 1) : ::unsetenv("VOXGUARD_CACHE_DIR");
  EXPECT_EQ(compiled_cache(), nullptr);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find(dir.string()), std::string::npos) << warnings[0];
  EXPECT_NE(warnings[0].find("not cached"), std::string::npos) << warnings[0];
}

TEST_F(CompiledCacheTest, NoCacheSettingWritesNothing) {
  install_compiled_cache(CompiledCacheSettings{false, dir});
  EXPECT_EQ(compiled_cache(), nullptr);
  LiteralPrefilter p(kSetA);
  EXPECT_FALSE(fs::exists(dir));
  install_compiled_cache(CompiledCacheSettings{true, dir});
  ASSERT_NE(compiled_cache(), nullptr);
  LiteralPrefilter q(kSetA);
  EXPECT_EQ(entries(dir).size(), 1u);
}

TEST_F(CompiledCacheTest, DefaultLocationFollowsTheEnvironment) {
  const char *names[] = {"VOXGUARD_CACHE_DIR", "XDG_CACHE_HOME", "HOME"};
  std::vector<std::pair<std::string, std::optional<std::string>>> saved;
  for (const char *n : names) {
    const char *v = std::getenv(n);
    saved.emplace_back(n, v ? std::optional<std::string>(v) : std::nullopt);
  }
  ::setenv("VOXGUARD_CACHE_DIR", "/srv/vg-cache", 1);
  ::setenv("XDG_CACHE_HOME", "/home/u/.xdg", 1);
  ::setenv("HOME", "/home/u", 1);
  EXPECT_EQ(CompiledCache::default_dir(), "/srv/vg-cache");
  ::unsetenv("VOXGUARD_CACHE_DIR");
  if (::geteuid() == 0) {
    EXPECT_EQ(CompiledCache::default_dir(), "/var/cache/voxguard");
  } else {
    EXPECT_EQ(CompiledCache::default_dir(), "/home/u/.xdg/voxguard");
    ::setenv("XDG_CACHE_HOME", "relative/ignored", 1);
    EXPECT_EQ(CompiledCache::default_dir(), "/home/u/.cache/voxguard");
  }
  for (const auto &[n, v] : saved)
    v ? ::setenv(n.c_str(), v->c_str(), 1) : ::unsetenv(n.c_str());
}

TEST_F(CompiledCacheTest, SizeBoundEvictsLeastRecentlyUsed) {
  const std::size_t entry_size = kCacheHeaderSize + 1000;
  auto c = use_cache(3 * entry_size + entry_size / 2); // room for three entries
  std::vector<CacheKey> keys(5);
  for (std::size_t i = 0; i < keys.size(); ++i)
    keys[i].fill(static_cast<std::uint8_t>(i + 1));
  Bytes payload(1000, 0x5a);
  // Entries used at distinct, known times: 0 oldest, then 1, 2.
  for (std::size_t i = 0; i < 3; ++i) {
    c->store(keys[i], payload);
    struct timespec t[2] = {{1000000 + static_cast<time_t>(i), 0},
                            {1000000 + static_cast<time_t>(i), 0}};
    ASSERT_EQ(::utimensat(AT_FDCWD, c->path_for(keys[i]).c_str(), t, 0), 0);
  }
  ASSERT_TRUE(c->load(keys[0])); // 0 is now the most recently used
  c->store(keys[3], payload);    // over the bound: 1 goes
  EXPECT_TRUE(fs::exists(c->path_for(keys[0])));
  EXPECT_FALSE(fs::exists(c->path_for(keys[1])));
  EXPECT_TRUE(fs::exists(c->path_for(keys[2])));
  EXPECT_TRUE(fs::exists(c->path_for(keys[3])));
  EXPECT_EQ(c->stats().evicted, 1u);

  // A temporary file left by a writer that died long ago is cleared; a fresh one is left alone.
  fs::path stale = dir / ".dead.hsdb.tmp.1.0", fresh = dir / ".live.hsdb.tmp.2.0";
  write_file(stale, payload);
  write_file(fresh, payload);
  struct timespec old[2] = {{1000, 0}, {1000, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, stale.c_str(), old, 0), 0);
  c->store(keys[4], payload);
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_TRUE(fs::exists(fresh));

  // An entry larger than the whole bound is not stored, and says so.
  notices.clear();
  c->store(keys[1], Bytes(4 * entry_size, 1));
  EXPECT_FALSE(fs::exists(c->path_for(keys[1])));
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_NE(notices[0].find("larger than the cache bound"), std::string::npos) << notices[0];
}

TEST(CacheFileFormat, RoundTripAndEveryHeaderFieldChecked) {
  CacheKey key{};
  key.fill(7);
  Bytes payload = bytes_of("payload bytes");
  Bytes file = make_cache_file(key, payload);
  ASSERT_EQ(file.size(), kCacheHeaderSize + payload.size());
  auto got = parse_cache_file(file, key, "f.hsdb");
  EXPECT_EQ(Bytes(got.begin(), got.end()), payload);
  for (std::size_t i = 0; i < kCacheHeaderSize; ++i) {
    Bytes bad = file;
    bad[i] ^= 1;
    EXPECT_THROW(parse_cache_file(bad, key, "f.hsdb"), Error) << "header byte " << i;
  }
  CacheKey other = key;
  other[31] = 8;
  try {
    parse_cache_file(file, other, "f.hsdb");
    FAIL();
  } catch (const Error &e) {
    EXPECT_EQ(e.input(), "f.hsdb");
  }
  Bytes longer = file;
  longer.push_back(0);
  EXPECT_THROW(parse_cache_file(longer, key, "f.hsdb"), Error);
}

} // namespace
} // namespace vg
