// The literal prefilter's flat input (LiteralList): literals kept back to back come out as they
// went in; the flat and the per-literal constructors find the same occurrences and store their
// compiled database under the same cache key, and that key is the documented digest of the
// literals (so that cache entries written before the flat input still hit); an empty literal is
// refused with its index. A warm prefilter uses Vectorscan's database image in place from the
// mapped entry (read-only: a write would fault), finds what the compiled one finds, survives moves
// and the cache's end, and an image Vectorscan does not accept is rejected and recompiled.
#include "common/digest.hpp"
#include "engine/compiled_cache.hpp"
#include "engine/literal_prefilter.hpp"

#include <gtest/gtest.h>
#include <hs/hs.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vg {
namespace {

namespace fs = std::filesystem;

std::span<const std::uint8_t> span_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t *>(s.data()), s.size()};
}

std::string text_of(std::span<const std::uint8_t> b) {
  return std::string(b.begin(), b.end());
}

using Hits = std::vector<std::pair<std::uint32_t, std::size_t>>;

Hits hits(const LiteralPrefilter &p, std::string_view text) {
  LiteralPrefilter::Scratch s;
  s.prepare(p);
  Hits out;
  p.scan(span_of(text), s, [&](std::uint32_t id, std::size_t start) {
    out.emplace_back(id, start);
    return true;
  });
  return out;
}

// Literals chosen so that a lost boundary or flag shows: "ab" is a prefix of "abc", "SIP" only
// matches the text's "sip" when caseless, and a literal with NUL bytes inside.
const std::vector<std::string> kLiterals = {"abc", "ab", "SIP", std::string("x\0y", 3), "invite"};
const std::vector<bool> kCaseless = {false, false, true, false, false};
const std::string kText = std::string("abc sip INVITE invite x\0y ab", 28);

LiteralList flat_list() {
  LiteralList list;
  list.reserve(kLiterals.size(), 64);
  for (std::size_t i = 0; i < kLiterals.size(); ++i)
    list.add(span_of(kLiterals[i]), kCaseless[i]);
  return list;
}

std::vector<std::vector<std::uint8_t>> nested_literals() {
  std::vector<std::vector<std::uint8_t>> out;
  for (const auto &l : kLiterals)
    out.emplace_back(l.begin(), l.end());
  return out;
}

TEST(LiteralList, KeepsEachLiteralAndFlagInOrder) {
  const LiteralList list = flat_list();
  ASSERT_EQ(list.size(), kLiterals.size());
  std::size_t total = 0;
  for (std::size_t i = 0; i < kLiterals.size(); ++i) {
    EXPECT_EQ(text_of(list[i]), kLiterals[i]) << "literal " << i;
    EXPECT_EQ(list.caseless(i), kCaseless[i]) << "literal " << i;
    total += kLiterals[i].size();
  }
  EXPECT_EQ(list.total_bytes(), total);
  EXPECT_TRUE(LiteralList().empty());
}

TEST(LiteralPrefilterFlat, FindsWhatThePerLiteralFormFinds) {
  set_compiled_cache(nullptr);
  const LiteralPrefilter flat(flat_list());
  const LiteralPrefilter nested(nested_literals(), kCaseless);
  EXPECT_EQ(flat.literal_count(), kLiterals.size());
  const Hits found = hits(flat, kText);
  // Expected by hand, in end order: abc@0 (ab@0 ends first), sip@4 caseless, invite@15 (INVITE is
  // not caseless), x\0y@22, ab@26.
  const Hits expected = {{1, 0}, {0, 0}, {2, 4}, {4, 15}, {3, 22}, {1, 26}};
  EXPECT_EQ(found, expected);
  EXPECT_EQ(hits(nested, kText), found);
}

TEST(LiteralPrefilterFlat, EmptyLiteralIsRefusedWithItsIndex) {
  set_compiled_cache(nullptr);
  LiteralList list;
  list.add(span_of("abc"));
  list.add({});
  try {
    LiteralPrefilter p(list);
    FAIL() << "an empty literal was accepted";
  } catch (const std::runtime_error &e) {
    EXPECT_NE(std::string(e.what()).find("literal 1"), std::string::npos) << e.what();
  }
}

// The cache key as documented in literal_prefilter.cpp, derived here independently: SHA-256 over
// length-prefixed texts (a label, hs_version()), the platform, the mode, the literal count, then
// per literal its id, flags, length and bytes; every number 8 bytes little-endian.
CacheKey documented_key(const std::vector<std::string> &literals,
                        const std::vector<bool> &caseless) {
  hs_platform_info_t platform{};
  EXPECT_EQ(hs_populate_platform(&platform), HS_SUCCESS);
  std::string m;
  auto number = [&m](std::uint64_t v) {
    for (int i = 0; i < 8; ++i)
      m.push_back(static_cast<char>(v >> (8 * i) & 0xff));
  };
  auto text = [&](std::string_view s) {
    number(s.size());
    m += s;
  };
  text("voxguard literal prefilter, hs_compile_lit_multi, in-memory image");
  text(hs_version());
  number(platform.tune);
  number(platform.cpu_features);
  number(platform.reserved1);
  number(platform.reserved2);
  number(HS_MODE_BLOCK);
  number(literals.size());
  for (std::size_t i = 0; i < literals.size(); ++i) {
    bool letters = false;
    for (char c : literals[i])
      letters |= (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    number(i);
    number(caseless[i] && letters ? HS_FLAG_CASELESS : 0);
    text(literals[i]);
  }
  Digests d = digest_bytes(span_of(m), hash_bit(HashAlgo::sha256));
  CacheKey key{};
  std::copy_n(d.sha256->b.begin(), key.size(), key.begin());
  return key;
}

class LiteralPrefilterCache : public ::testing::Test {
protected:
  fs::path dir;
  void SetUp() override {
    char tmpl[] = "/tmp/vg-prefilter-test-XXXXXX";
    dir = fs::path(::mkdtemp(tmpl)) / "cache";
  }
  void TearDown() override {
    set_compiled_cache(nullptr);
    fs::remove_all(dir.parent_path());
  }
  std::shared_ptr<const CompiledCache> use_cache() {
    auto c = std::make_shared<const CompiledCache>(dir);
    set_compiled_cache(c);
    return c;
  }
};

TEST_F(LiteralPrefilterCache, FlatInputIsStoredUnderTheDocumentedKey) {
  auto cold = use_cache();
  LiteralPrefilter p(flat_list());
  EXPECT_EQ(cold->stats().stored, 1u);
  std::vector<fs::path> files;
  for (const auto &e : fs::directory_iterator(dir))
    files.push_back(e.path());
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0], cold->path_for(documented_key(kLiterals, kCaseless)));
  // One flag less is another key.
  std::vector<bool> sensitive(kLiterals.size(), false);
  EXPECT_NE(files[0], cold->path_for(documented_key(kLiterals, sensitive)));
}

TEST_F(LiteralPrefilterCache, PerLiteralFormHitsTheEntryOfTheFlatForm) {
  use_cache();
  const LiteralPrefilter cold(flat_list());
  auto warm = use_cache();
  const LiteralPrefilter nested(nested_literals(), kCaseless);
  EXPECT_EQ(warm->stats().hits, 1u);
  EXPECT_EQ(warm->stats().stored, 0u);
  EXPECT_EQ(hits(nested, kText), hits(cold, kText));
}

// The payload of the only entry in `dir` and the file.
std::pair<std::vector<std::uint8_t>, fs::path> only_entry(const fs::path &dir) {
  std::vector<fs::path> files;
  for (const auto &e : fs::directory_iterator(dir))
    files.push_back(e.path());
  EXPECT_EQ(files.size(), 1u);
  std::ifstream in(files.at(0), std::ios::binary);
  std::vector<std::uint8_t> b((std::istreambuf_iterator<char>(in)), {});
  return {b, files[0]};
}

// A lookup done before (several prefilters' digest checks at once) gives the same prefilter: from
// the mapped entry when warm, compiled and stored under the same key when cold, and without a
// cache the constructor's own path.
TEST_F(LiteralPrefilterCache, LookupDoneBeforeGivesTheSamePrefilter) {
  set_compiled_cache(nullptr);
  const LiteralPrefilter plain(flat_list());
  const Hits expected = hits(plain, kText);
  ASSERT_FALSE(expected.empty());
  const LiteralPrefilter no_cache(flat_list(), LiteralPrefilter::look_up(flat_list()));
  EXPECT_EQ(hits(no_cache, kText), expected);

  auto cold = use_cache();
  const LiteralPrefilter compiled(flat_list(), LiteralPrefilter::look_up(flat_list()));
  EXPECT_FALSE(compiled.mapped());
  EXPECT_EQ(cold->stats().stored, 1u);
  EXPECT_EQ(only_entry(dir).second, cold->path_for(documented_key(kLiterals, kCaseless)));
  EXPECT_EQ(hits(compiled, kText), expected);

  auto warm = use_cache();
  auto lookup = LiteralPrefilter::look_up(flat_list());
  EXPECT_EQ(warm->stats().hits, 1u);
  const LiteralPrefilter mapped(flat_list(), std::move(lookup));
  EXPECT_TRUE(mapped.mapped());
  EXPECT_EQ(warm->stats().hits, 1u) << "the entry is looked up once";
  EXPECT_EQ(hits(mapped, kText), expected);
}

TEST_F(LiteralPrefilterCache, WarmDatabaseIsUsedInPlaceFromTheMapping) {
  auto cold_cache = use_cache();
  const LiteralPrefilter cold(flat_list());
  EXPECT_FALSE(cold.mapped());
  const Hits expected = hits(cold, kText);
  ASSERT_FALSE(expected.empty());
  auto warm = use_cache();
  LiteralPrefilter p(flat_list());
  EXPECT_TRUE(p.mapped());
  EXPECT_EQ(warm->stats().hits, 1u);
  EXPECT_EQ(warm->stats().rejected, 0u);
  // The payload is what a deserialisation makes (an image whose size Vectorscan reports), not a
  // serialised database (which hs_database_size would refuse: its header differs).
  auto [file, path] = only_entry(dir);
  ASSERT_GT(file.size(), kCacheHeaderSize);
  // The mapping stays with the prefilter: the cache going away and moves change nothing.
  set_compiled_cache(nullptr);
  warm.reset();
  cold_cache.reset();
  LiteralPrefilter moved = std::move(p);
  EXPECT_EQ(hits(moved, kText), expected);
  // Nor does the cache directory being removed: the mapping outlives the file's name.
  fs::remove_all(dir);
  ASSERT_FALSE(fs::exists(dir));
  EXPECT_EQ(hits(moved, kText), expected);
  // Many scans with fresh and reused scratch: the database in a read-only mapping is never
  // written (a write would fault).
  LiteralPrefilter::Scratch s;
  s.prepare(moved);
  for (int i = 0; i < 50; ++i) {
    Hits h;
    moved.scan(span_of(kText), s, [&](std::uint32_t id, std::size_t at) {
      h.emplace_back(id, at);
      return true;
    });
    ASSERT_EQ(h, expected);
  }
}

TEST_F(LiteralPrefilterCache, ImageThatVectorscanRefusesIsRejectedAndRecompiled) {
  use_cache();
  const LiteralPrefilter cold(flat_list());
  const Hits expected = hits(cold, kText);
  auto [file, path] = only_entry(dir);
  CacheKey key{};
  std::copy_n(file.begin() + 16, key.size(), key.begin());
  std::vector<std::uint8_t> payload(file.begin() + kCacheHeaderSize, file.end());
  struct Case {
    std::size_t at;
    std::uint8_t value;
    const char *reason;
  };
  // Byte 0: the database magic; bytes 4-7: the version it was built by (major << 24 | minor << 16
  // | patch << 8), here 4.9.0. The cache header stays valid (digest recomputed): only
  // Vectorscan's own checks can refuse these.
  for (const Case &c : {Case{0, 0x00, "not a Vectorscan database image"},
                        Case{7, 0x04, "compiled by another Vectorscan (4."}}) {
    std::vector<std::uint8_t> bad = payload;
    bad[c.at] = c.value;
    auto bytes = make_cache_file(key, bad);
    std::ofstream(path, std::ios::binary | std::ios::trunc)
        .write(reinterpret_cast<const char *>(bytes.data()),
               static_cast<std::streamsize>(bytes.size()));
    std::vector<std::string> notices;
    auto c2 = std::make_shared<const CompiledCache>(
        dir, CompiledCache::kDefaultMaxBytes,
        [&](const std::string &line) { notices.push_back(line); });
    set_compiled_cache(c2);
    LiteralPrefilter p(flat_list());
    EXPECT_FALSE(p.mapped());
    ASSERT_EQ(notices.size(), 1u) << c.reason;
    EXPECT_NE(notices[0].find(c.reason), std::string::npos) << notices[0];
    EXPECT_EQ(c2->stats().rejected, 1u);
    EXPECT_EQ(c2->stats().stored, 1u);
    EXPECT_EQ(hits(p, kText), expected);
  }
  // The serialised form (what earlier builds stored): Vectorscan's size, version and mode checks
  // pass on it, its scratch allocation does not.
  {
    void *aligned = std::aligned_alloc(64, (payload.size() + 63) / 64 * 64);
    ASSERT_NE(aligned, nullptr);
    std::copy(payload.begin(), payload.end(), static_cast<std::uint8_t *>(aligned));
    char *serial = nullptr;
    std::size_t serial_size = 0;
    ASSERT_EQ(
        hs_serialize_database(static_cast<const hs_database_t *>(aligned), &serial, &serial_size),
        HS_SUCCESS);
    std::free(aligned);
    std::vector<std::uint8_t> serialised(serial, serial + serial_size);
    std::free(serial);
    auto file_bytes = make_cache_file(key, serialised);
    std::ofstream(path, std::ios::binary | std::ios::trunc)
        .write(reinterpret_cast<const char *>(file_bytes.data()),
               static_cast<std::streamsize>(file_bytes.size()));
    std::vector<std::string> notices;
    set_compiled_cache(std::make_shared<const CompiledCache>(
        dir, CompiledCache::kDefaultMaxBytes,
        [&](const std::string &line) { notices.push_back(line); }));
    LiteralPrefilter p(flat_list());
    EXPECT_FALSE(p.mapped());
    ASSERT_EQ(notices.size(), 1u);
    EXPECT_NE(notices[0].find("refuses the database image for scanning"), std::string::npos)
        << notices[0];
    EXPECT_EQ(hits(p, kText), expected);
  }
  // A payload too short to hold an image.
  auto bytes =
      make_cache_file(key, std::vector<std::uint8_t>(payload.begin(), payload.begin() + 64));
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char *>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
  std::vector<std::string> notices;
  set_compiled_cache(std::make_shared<const CompiledCache>(
      dir, CompiledCache::kDefaultMaxBytes,
      [&](const std::string &line) { notices.push_back(line); }));
  LiteralPrefilter p(flat_list());
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_NE(notices[0].find("not a Vectorscan database image (64 bytes)"), std::string::npos)
      << notices[0];
  EXPECT_EQ(hits(p, kText), expected);
}

} // namespace
} // namespace vg
