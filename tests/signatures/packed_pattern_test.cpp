// PackedPattern: every element kind and its edge cases round-trip, the encoding is compact, equal
// patterns share bytes and hash, and check() refuses damaged encodings with a reason. Also every
// body pattern of the shared test databases round-trips.
#include "common/error.hpp"
#include "signatures/database_loader.hpp"
#include "signatures/packed_pattern.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

namespace vg {
namespace {

using Bytes = std::vector<std::uint8_t>;

BodyPattern parsed(std::string_view hex) {
  auto r = parse_body_pattern(hex);
  EXPECT_TRUE(r.ok()) << hex << ": " << r.error;
  return r.pattern;
}

Bytes bytes_of(const PackedPattern &p) {
  return Bytes(p.bytes().begin(), p.bytes().end());
}

// Packs, checks the round trip, and checks that the bytes are accepted and read back equal.
PackedPattern round_trip(const BodyPattern &p, bool valid = true) {
  PackedPattern packed = PackedPattern::pack(p);
  EXPECT_TRUE(packed.unpack() == p);
  const std::string why = PackedPattern::check(packed.bytes());
  EXPECT_EQ(why.empty(), valid) << why;
  if (valid) {
    PackedPattern again(packed.bytes(), "test");
    EXPECT_TRUE(again == packed);
    EXPECT_TRUE(again.unpack() == p);
  }
  return packed;
}

std::string refusal(const Bytes &b) {
  std::string why = PackedPattern::check(b);
  EXPECT_FALSE(why.empty()) << "accepted";
  try {
    PackedPattern p(b, "pattern.bin");
    ADD_FAILURE() << "constructed from refused bytes";
  } catch (const Error &e) {
    EXPECT_EQ(e.input(), "pattern.bin");
    EXPECT_NE(e.reason().find(why), std::string::npos) << e.reason();
  }
  return why;
}

ByteMatch B(std::uint8_t v, std::uint8_t mask = 0xff) {
  return ByteMatch{v, mask};
}

TEST(PackedPattern, ExactRunIsItsBytesBehindTagAndLength) {
  auto p = round_trip(parsed("41424344"));
  EXPECT_EQ(bytes_of(p), (Bytes{0x00, 8, 0x41, 0x42, 0x43, 0x44}));
  EXPECT_EQ(p.min_length(), 4u);
}

TEST(PackedPattern, MaskedPositionsAreListedApart) {
  BodyPattern p = parsed("6f6E??7A4?");
  auto packed = round_trip(p);
  // length 5 masked (11), values, 2 masked positions: 2 (delta 2) mask 00, 4 (delta 1) mask f0.
  EXPECT_EQ(bytes_of(packed), (Bytes{0x00, 11, 0x6f, 0x6e, 0x00, 0x7a, 0x40, 2, 2, 0x00, 1, 0xf0}));
  round_trip(parsed("6162?3"));
  round_trip(BodyPattern{{ByteRun{B(0, 0), B(0, 0), B(1, 1)}}}); // every position masked
}

TEST(PackedPattern, EveryElementKindRoundTrips) {
  round_trip(parsed("4142(4344|45|464748)4950"));
  round_trip(parsed("4142!(4344|4546)4950"));
  round_trip(parsed("4142*4344{3-9}4546{7-}4748"));
  round_trip(parsed("41[2-4]4243444546[1-3]47"));
  round_trip(parsed("(B)41424344(L)"));
  round_trip(parsed("(W)414243!(B)"));
  auto variants = parse_body_pattern("41424344", BodyPatternOptions{true, true, true, true});
  ASSERT_TRUE(variants.ok()) << variants.error;
  for (const auto &v : variants.patterns)
    round_trip(v);
  // Every boundary kind, side, negation and width.
  for (auto kind : {Boundary::Kind::word, Boundary::Kind::line, Boundary::Kind::non_alnum})
    for (auto side : {Boundary::Side::before, Boundary::Side::after})
      for (bool negated : {false, true})
        for (bool wide : {false, true})
          round_trip(BodyPattern{{Boundary{kind, side, negated, wide}, ByteRun{B(1), B(2)}}});
}

TEST(PackedPattern, GapsKeepTheirBoundsIncludingUnboundedAndExtremes) {
  for (Gap g :
       {Gap{0, Gap::kUnbounded}, Gap{7, Gap::kUnbounded}, Gap{0, 0}, Gap{3, 3}, Gap{5, 0xfffffffe},
        Gap{0xfffffffe, 0xfffffffe}, Gap{Gap::kUnbounded, Gap::kUnbounded}}) {
    BodyPattern p{{ByteRun{B(1), B(2)}, g, ByteRun{B(3), B(4)}}};
    auto packed = round_trip(p);
    EXPECT_EQ(packed.min_length(), std::uint64_t{4} + g.min) << g.min << "-" << g.max;
  }
}

TEST(PackedPattern, LongRunsCrossTheVarintWidths) {
  for (std::size_t n : {63u, 64u, 127u, 128u, 8191u, 8192u, 16383u, 16384u, 100000u}) {
    ByteRun run;
    for (std::size_t i = 0; i < n; ++i)
      run.push_back(B(static_cast<std::uint8_t>(i * 7), i % 1000 == 999 ? 0xf0 & (i * 7) : 0xff));
    for (auto &m : run)
      m.value &= m.mask;
    BodyPattern p{{run}};
    auto packed = round_trip(p);
    EXPECT_EQ(packed.min_length(), n);
    const std::size_t masks = n / 1000;
    EXPECT_LE(packed.bytes().size(), 1 + 3 + n + (masks ? 3 + 3 * masks : 0)) << n;
  }
}

TEST(PackedPattern, MinLengthCountsAlternationsAsTheMatcherDoes) {
  EXPECT_EQ(PackedPattern::pack(parsed("4142(4344|45|464748)")).min_length(), 3u);
  EXPECT_EQ(PackedPattern::pack(parsed("4142!(4344|4546)")).min_length(), 4u);
  EXPECT_EQ(PackedPattern::pack(parsed("(B)4142*4344(L)")).min_length(), 4u);
  EXPECT_EQ(PackedPattern().min_length(), 0u);
}

TEST(PackedPattern, PatternsTheParserNeverGivesStillRoundTripButAreRefusedAsInput) {
  EXPECT_TRUE(PackedPattern::pack(BodyPattern{}).empty());
  EXPECT_TRUE(PackedPattern::pack(BodyPattern{}).unpack() == BodyPattern{});
  round_trip(BodyPattern{{ByteRun{}}}, false);
  round_trip(BodyPattern{{ByteRun{B(1), B(2)}, Alternation{{}, false}}}, false);
  round_trip(BodyPattern{{ByteRun{B(1), B(2)}, Alternation{{ByteRun{}, ByteRun{B(3)}}, false}}},
             false);
  round_trip(BodyPattern{{Alternation{{ByteRun{B(1)}, ByteRun{B(2), B(3)}}, true}}}, false);
  round_trip(BodyPattern{{ByteRun{B(0x41, 0x0f)}}}, false);
  round_trip(BodyPattern{{ByteRun{B(1), B(2)}, Gap{5, 2}}}, false);
}

TEST(PackedPattern, EqualPatternsHaveEqualBytesAndHash) {
  auto a = PackedPattern::pack(parsed("41424344*45464748"));
  auto b = PackedPattern::pack(parsed("41424344*45464748"));
  auto c = PackedPattern::pack(parsed("41424344*45464749"));
  EXPECT_TRUE(a == b);
  EXPECT_EQ(a.hash(), b.hash());
  EXPECT_EQ(std::hash<PackedPattern>{}(a), a.hash());
  EXPECT_FALSE(a == c);
  PackedPattern copy = a;
  EXPECT_TRUE(copy == a);
  EXPECT_NE(copy.bytes().data(), a.bytes().data()); // its own block
  PackedPattern moved = std::move(copy);
  EXPECT_TRUE(moved == a);
  copy = moved;
  EXPECT_TRUE(copy == a);
  EXPECT_EQ(sizeof(PackedPattern), sizeof(void *));
}

TEST(PackedPattern, DamagedEncodingsAreRefusedWithTheReason) {
  EXPECT_NE(refusal({}).find("empty body pattern"), std::string::npos);
  EXPECT_NE(refusal({0x09}).find("unknown element tag 0x09 at byte 0 of 1"), std::string::npos);
  EXPECT_NE(refusal({0x00}).find("truncated in byte run length"), std::string::npos);
  EXPECT_NE(refusal({0x00, 8, 0x41}).find("truncated: byte run of 4 bytes"), std::string::npos);
  EXPECT_NE(refusal({0x00, 0}).find("empty byte run"), std::string::npos);
  EXPECT_NE(refusal({0x00, 0x88, 0x00, 0x41, 0x42, 0x43, 0x44}).find("not in its shortest form"),
            std::string::npos);
  EXPECT_NE(refusal({0x00, 0xff, 0xff, 0xff, 0xff, 0x7f}).find("above 2^32 - 1"),
            std::string::npos);
  EXPECT_NE(refusal({0x00, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01}).find("above 2^32 - 1"),
            std::string::npos);
  // Masks: none listed, past the run, 0xff listed, value outside, truncated.
  EXPECT_NE(refusal({0x00, 5, 0x41, 0x42, 0}).find("with 0 masked ones"), std::string::npos);
  EXPECT_NE(refusal({0x00, 5, 0x41, 0x42, 1, 2, 0x00}).find("masked byte 2 past the run's 2"),
            std::string::npos);
  EXPECT_NE(refusal({0x00, 5, 0x41, 0x42, 1, 0, 0xff}).find("mask 0xff listed as masked"),
            std::string::npos);
  EXPECT_NE(refusal({0x00, 5, 0x41, 0x42, 1, 0, 0x0f}).find("byte value outside its mask"),
            std::string::npos);
  EXPECT_NE(refusal({0x00, 5, 0x41, 0x42, 1, 0}).find("truncated in a byte mask"),
            std::string::npos);
  EXPECT_NE(refusal({0x00, 5, 0x41, 0x42, 3, 0, 0x00, 0, 0x00, 0, 0x00}).find("with 3 masked"),
            std::string::npos);
  // Alternations.
  EXPECT_NE(refusal({0x01, 0}).find("alternation without alternatives"), std::string::npos);
  EXPECT_NE(refusal({0x01, 100, 2, 0x41}).find("truncated: 100 alternatives"), std::string::npos);
  EXPECT_NE(refusal({0x01, 2, 2, 0x41, 0}).find("empty byte run at byte 4"), std::string::npos);
  EXPECT_NE(refusal({0x02, 2, 2, 0x41, 4, 0x42, 0x43})
                .find("negated alternation with "
                      "alternatives of 1 and 2 bytes"),
            std::string::npos);
  // Gaps and boundaries.
  EXPECT_NE(refusal({0x03, 5, 3}).find("gap minimum above its maximum (5 > 2)"), std::string::npos);
  EXPECT_NE(refusal({0x03, 5}).find("truncated in gap maximum"), std::string::npos);
  EXPECT_NE(refusal({0x04}).find("truncated in a boundary"), std::string::npos);
  EXPECT_NE(refusal({0x04, 0x03}).find("boundary with bits 0x03"), std::string::npos);
  EXPECT_NE(refusal({0x04, 0x20}).find("boundary with bits 0x20"), std::string::npos);
  // A valid element followed by garbage.
  EXPECT_NE(refusal({0x00, 4, 0x41, 0x42, 0x77}).find("unknown element tag 0x77 at byte 4"),
            std::string::npos);
}

TEST(PackedPattern, EveryTruncationOfAValidEncodingIsRefused) {
  auto p = PackedPattern::pack(parsed("(W)4142??43(44|4546)!(4748|494a)*4b4c{3-9}4d4e(B)"));
  const Bytes all = bytes_of(p);
  ASSERT_TRUE(PackedPattern::check(all).empty());
  // A prefix that ends exactly between two elements is a valid (shorter) pattern; every other
  // prefix is refused.
  std::size_t accepted = 0;
  for (std::size_t n = 0; n < all.size(); ++n) {
    Bytes prefix(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n));
    if (PackedPattern::check(prefix).empty())
      ++accepted;
  }
  EXPECT_EQ(accepted, p.unpack().elements.size() - 1);
}

// Every .ndb body and .ldb body subsignature pattern of the official subset and rfxn (~160,000)
// packs and unpacks equal and is accepted as input, and the encoding stays close to one byte per
// run position (the figures are printed).
TEST(PackedPattern, RealDatabasePatternsRoundTrip) {
  namespace fs = std::filesystem;
  const fs::path root = fs::path(VOXGUARD_SHARED_DATA) / "clamav";
  const std::vector<fs::path> files = {root / "official-talos-subset" / "main.ldb",
                                       root / "official-talos-subset" / "daily.ndb",
                                       root / "rfxn-lmd" / "rfxn.ndb"};
  for (const auto &f : files)
    if (!fs::exists(f))
      GTEST_SKIP() << f << " missing (shared test data not present)";
  std::vector<std::string> paths;
  for (const auto &f : files)
    paths.push_back(f.string());
  const SignatureSet set = load_databases(paths);
  std::size_t count = 0, packed_bytes = 0, positions = 0;
  auto visit = [&](const PackedPattern &p) {
    const BodyPattern unpacked = p.unpack();
    EXPECT_TRUE(PackedPattern::pack(unpacked) == p);
    EXPECT_EQ(PackedPattern::check(p.bytes()), "");
    ++count;
    packed_bytes += p.bytes().size();
    for (const auto &el : unpacked.elements)
      if (const auto *run = std::get_if<ByteRun>(&el))
        positions += run->size();
  };
  for (const auto &b : set.bodies)
    visit(b.pattern);
  for (const auto &l : set.logicals)
    for (const auto &sub : l.subsigs)
      for (const auto &p : sub.patterns)
        visit(p);
  EXPECT_GT(count, 100000u);
  // Runs are nearly all exact: little more than one byte per position plus a few per element.
  EXPECT_LT(packed_bytes, positions + positions / 4 + 8 * count);
  std::cout << count << " patterns, " << positions << " run positions, " << packed_bytes
            << " packed bytes\n";
}

} // namespace
} // namespace vg
