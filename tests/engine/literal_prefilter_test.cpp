// The literal prefilter's flat input (LiteralList): literals kept back to back come out as they
// went in; the flat and the per-literal constructors find the same occurrences and store their
// compiled database under the same cache key, and that key is the documented digest of the
// literals (so that cache entries written before the flat input still hit); an empty literal is
// refused with its index.
#include "common/digest.hpp"
#include "engine/compiled_cache.hpp"
#include "engine/literal_prefilter.hpp"

#include <gtest/gtest.h>
#include <hs/hs.h>

#include <cstdlib>
#include <filesystem>
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
  text("voxguard literal prefilter, hs_compile_lit_multi");
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

} // namespace
} // namespace vg
