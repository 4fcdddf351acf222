#include "signatures/hash_table.hpp"
#include "signatures/signature_line.hpp"

#include <gtest/gtest.h>

namespace vg {
namespace {

HashSignature sig(const char *line) {
  auto r = parse_hash_line(line);
  EXPECT_TRUE(std::holds_alternative<HashSignature>(r)) << line;
  return std::get<HashSignature>(r);
}

std::span<const std::uint8_t> bytes(const std::string &s) {
  return {reinterpret_cast<const std::uint8_t *>(s.data()), s.size()};
}

TEST(HashTable, OnlySizesNamedNeedHashing) {
  std::string abc = "abc";
  auto md5 = digest_bytes(bytes(abc), hash_bit(HashAlgo::md5)).md5->hex();
  auto sha1 = digest_bytes(bytes(abc), hash_bit(HashAlgo::sha1)).sha1->hex();
  HashTable idx;
  idx.add(sig((md5 + ":3:M").c_str()));
  idx.add(sig((sha1 + ":3:S").c_str()), ".UNOFFICIAL");
  idx.add(sig("0123456789abcdef0123456789abcdef:99:Other"));
  idx.finish();
  EXPECT_EQ(idx.needs(3), hash_bit(HashAlgo::md5) | hash_bit(HashAlgo::sha1));
  EXPECT_EQ(idx.needs(99), hash_bit(HashAlgo::md5));
  EXPECT_EQ(idx.needs(4), 0);
  std::vector<HashTable::Hit> hits;
  idx.lookup(3, digest_bytes(bytes(abc), idx.needs(3)), hits);
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0].name, "M");
  EXPECT_EQ(hits[1].name, "S.UNOFFICIAL");
  hits.clear();
  idx.lookup(4, digest_bytes(bytes(abc), hash_bit(HashAlgo::md5)), hits);
  EXPECT_TRUE(hits.empty()); // right digest, wrong size
}

TEST(HashTable, WildcardSizeMatchesAnySize) {
  std::string data = "hello world";
  auto sha256 = digest_bytes(bytes(data), hash_bit(HashAlgo::sha256)).sha256->hex();
  HashTable idx;
  idx.add(sig((sha256 + ":*:Star:73").c_str()));
  idx.finish();
  EXPECT_EQ(idx.needs(123456), hash_bit(HashAlgo::sha256));
  std::vector<HashTable::Hit> hits;
  idx.lookup(data.size(), digest_bytes(bytes(data), idx.needs(data.size())), hits);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].name, "Star");
}

// needs() searches the sorted entries themselves: neighbouring sizes, the first and last size and
// a `*` signature beside sized ones of the same algorithm.
TEST(HashTable, NeedsFindsExactSizesAndWildcardsPerAlgorithm) {
  HashTable idx;
  idx.add(sig("0123456789abcdef0123456789abcdef:5:A"));
  idx.add(sig("0123456789abcdef0123456789abcdef:7:B"));
  idx.add(sig("00000000000000000000000000000000:1000000:C"));
  idx.add(sig("0123456789abcdef0123456789abcdef01234567:7:D"));
  idx.add(sig("0123456789abcdef0123456789abcdef01234567:*:E:73"));
  idx.finish();
  const HashMask md5 = hash_bit(HashAlgo::md5), sha1 = hash_bit(HashAlgo::sha1);
  EXPECT_EQ(idx.needs(5), md5 | sha1);
  EXPECT_EQ(idx.needs(6), sha1);
  EXPECT_EQ(idx.needs(7), md5 | sha1);
  EXPECT_EQ(idx.needs(4), sha1);
  EXPECT_EQ(idx.needs(1000000), md5 | sha1);
  EXPECT_EQ(idx.needs(1000001), sha1);
  EXPECT_EQ(idx.needs(0), sha1);
  HashTable none;
  none.finish();
  EXPECT_EQ(none.needs(5), 0);
}

// ClamAV keeps one signature per (algorithm, size or `*`, digest): the last one loaded.
TEST(HashTable, SignaturesSharingSizeAndDigestReportTheLastLoaded) {
  std::string data = "tie";
  auto d = digest_bytes(bytes(data), hash_bit(HashAlgo::md5) | hash_bit(HashAlgo::sha256));
  std::string md5 = d.md5->hex(), sha256 = d.sha256->hex();
  HashTable idx;
  idx.add(sig((md5 + ":3:A").c_str()));
  idx.add(sig((sha256 + ":3:S1").c_str()));
  idx.add(sig((md5 + ":*:W1:73").c_str()));
  idx.add(sig((md5 + ":3:B").c_str()));
  idx.add(sig((md5 + ":*:W2:73").c_str()));
  idx.add(sig((sha256 + ":3:S2").c_str()));
  idx.add(sig((md5 + ":4:OtherSize").c_str()));
  idx.finish();
  EXPECT_EQ(idx.size(), 7u); // all are counted, as clamscan counts them
  std::vector<HashTable::Hit> hits;
  idx.lookup(3, digest_bytes(bytes(data), idx.needs(3)), hits);
  std::vector<std::string> names;
  for (const auto &h : hits)
    names.emplace_back(h.name);
  EXPECT_EQ(names, (std::vector<std::string>{"B", "W2", "S2"}));
}

// Entries keep the size in two 32-bit words: sizes that differ only above bit 31, or that are
// 2^32 apart, stay distinct, and the lower word alone never matches.
TEST(HashTable, SizesBeyondThirtyTwoBitsStayDistinct) {
  std::string data = "big";
  auto md5 = digest_bytes(bytes(data), hash_bit(HashAlgo::md5)).md5->hex();
  const std::uint64_t big = (std::uint64_t{1} << 32) + 3, bigger = (std::uint64_t{5} << 32) + 3;
  HashTable idx;
  auto add = [&](std::uint64_t size, const char *name) {
    HashSignature s = sig((md5 + ":3:x").c_str());
    s.size = size;
    s.name = name;
    idx.add(s);
  };
  add(bigger, "Bigger");
  add(big, "Big");
  add(0xffffffffu, "AllLowBits");
  idx.finish();
  EXPECT_EQ(idx.needs(3), 0);
  EXPECT_EQ(idx.needs(big), hash_bit(HashAlgo::md5));
  EXPECT_EQ(idx.needs(bigger), hash_bit(HashAlgo::md5));
  EXPECT_EQ(idx.needs(0xffffffffu), hash_bit(HashAlgo::md5));
  EXPECT_EQ(idx.needs(std::uint64_t{2} << 32), 0);
  for (auto [size, name] : {std::pair<std::uint64_t, std::string>{big, "Big"},
                            {bigger, "Bigger"},
                            {0xffffffffu, "AllLowBits"}}) {
    std::vector<HashTable::Hit> hits;
    idx.lookup(size, digest_bytes(bytes(data), hash_bit(HashAlgo::md5)), hits);
    ASSERT_EQ(hits.size(), 1u) << name;
    EXPECT_EQ(hits[0].name, name);
  }
}

// needs() answers from a list of sizes and lookup() searches only the block of entries a fence of
// every 64th size points to: in a table of many blocks, runs of one size that cross blocks, sizes
// between and beyond the listed ones, sizes of 2^32 and more and a `*` signature all come out as
// a search of the whole table gives them.
TEST(HashTable, LargeTablesFindEverySizeThroughTheirFence) {
  HashTable idx;
  std::vector<std::pair<std::uint64_t, std::string>> added;
  auto digest_of = [](std::size_t i) {
    Digest d;
    d.len = 16;
    for (std::size_t b = 0; b < 16; ++b)
      d.b[b] = static_cast<std::uint8_t>((i * 131 + b * 7) >> (b % 3));
    d.b[0] = static_cast<std::uint8_t>(i);
    d.b[1] = static_cast<std::uint8_t>(i >> 8);
    return d;
  };
  for (std::size_t i = 0; i < 1000; ++i) {
    // sizes 10, 10, ..., then a run of 150 entries of size 5000 crossing two fences, then big ones
    std::uint64_t size = i < 300 ? 10 + (i / 2) * 3 : i < 450 ? 5000 : 6000 + i;
    if (i >= 990)
      size = (std::uint64_t{1} << 32) + i - 991; // 2^32 - 1 and beyond
    HashSignature h;
    h.digest = digest_of(i);
    h.size = size;
    h.name = "S" + std::to_string(i);
    idx.add(h);
    added.emplace_back(size, h.name);
  }
  HashSignature star;
  star.digest = digest_of(5000);
  star.size = HashSignature::kAnySize;
  star.name = "Star";
  HashTable with_star = idx;
  with_star.add(star);
  idx.finish();
  with_star.finish();
  const HashMask md5 = hash_bit(HashAlgo::md5);
  for (std::size_t i = 0; i < added.size(); ++i) {
    auto [size, name] = added[i];
    EXPECT_EQ(idx.needs(size), md5) << name;
    Digests d;
    d.md5 = digest_of(i);
    std::vector<HashTable::Hit> hits;
    idx.lookup(size, d, hits);
    ASSERT_EQ(hits.size(), 1u) << name;
    EXPECT_EQ(hits[0].name, name);
    hits.clear();
    with_star.lookup(size, d, hits);
    ASSERT_EQ(hits.size(), 1u) << name;
    EXPECT_EQ(hits[0].name, name);
  }
  for (std::uint64_t size : {std::uint64_t{0}, std::uint64_t{11}, std::uint64_t{4999},
                             std::uint64_t{5001}, std::uint64_t{6449}, std::uint64_t{1} << 33})
    EXPECT_EQ(idx.needs(size), 0) << size;
  EXPECT_EQ(with_star.needs(11), md5);
  Digests d;
  d.md5 = digest_of(5000);
  std::vector<HashTable::Hit> hits;
  with_star.lookup(11, d, hits);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].name, "Star");
}

// Origins are stored as a line per signature and runs of one database: signatures from databases
// that alternate (as the loader never adds them, but a snapshot may hold them) keep theirs.
TEST(HashTable, OriginsFollowTheirSignatureAcrossDatabases) {
  const SigOrigin origins[] = {{0, 1}, {0, 7}, {2, 3}, {0, 9}, {1, 4}, {1, 5}};
  HashTable idx;
  std::vector<Digests> digests;
  for (std::size_t i = 0; i < std::size(origins); ++i) {
    std::string data = "file " + std::to_string(i);
    digests.push_back(digest_bytes(bytes(data), hash_bit(HashAlgo::sha1)));
    HashSignature s = sig((digests.back().sha1->hex() + ":6:N" + std::to_string(i)).c_str());
    s.origin = origins[i];
    idx.add(s);
  }
  idx.finish();
  for (std::size_t i = 0; i < std::size(origins); ++i) {
    std::vector<HashTable::Hit> hits;
    idx.lookup(6, digests[i], hits);
    ASSERT_EQ(hits.size(), 1u) << i;
    EXPECT_EQ(hits[0].name, "N" + std::to_string(i));
    EXPECT_EQ(hits[0].origin, origins[i]) << i;
  }
}

} // namespace
} // namespace vg
