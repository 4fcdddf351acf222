// Tests of the signature snapshot: a set read back equals the set written, field by field, for the
// shared databases (full official subset, ditekshen, rfxn, the unit-test and pe_allmatch sets) and
// for .cvd containers, .cdb, .ign2 and .fp files; damaged snapshots are refused with the reason
// (among them an expression DAG, out-of-range offsets, tampered count caps, PCRE triggers and
// offsets that differ from their text); the key follows content and the program's build-id, not
// mtimes; load_databases_cached() stores, reuses and rewrites.
#include "common/error.hpp"
#include "common/mapped_file.hpp"
#include "common/temp_dir.hpp"
#include "signatures/database_loader.hpp"
#include "signatures/signature_snapshot.hpp"

#include "signatures/cvd_test_builder.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <map>
#include <optional>
#include <unistd.h>

namespace vg {
namespace {

namespace fs = std::filesystem;

const std::string kData = VOXGUARD_SHARED_DATA;

using vg::testing::TempDir;

// --- field-by-field equality, written out so that no field can be forgotten by a shared codec ---

void expect_same(const OffsetSpec &a, const OffsetSpec &b, const std::string &where) {
  EXPECT_EQ(a.base, b.base) << where;
  EXPECT_EQ(a.delta, b.delta) << where;
  EXPECT_EQ(a.section, b.section) << where;
  EXPECT_EQ(a.max_shift, b.max_shift) << where;
}

void expect_same(const SigOrigin &a, const SigOrigin &b, const std::string &where) {
  EXPECT_EQ(a.database, b.database) << where;
  EXPECT_EQ(a.line, b.line) << where;
}

void expect_same(const CdbRange &a, const CdbRange &b, const std::string &where) {
  EXPECT_EQ(a.any, b.any) << where;
  EXPECT_EQ(a.min, b.min) << where;
  EXPECT_EQ(a.max, b.max) << where;
}

void expect_same(const TargetDescription &a, const TargetDescription &b, const std::string &w) {
  EXPECT_EQ(a.target, b.target) << w;
  EXPECT_EQ(a.engine, b.engine) << w;
  EXPECT_EQ(a.file_size, b.file_size) << w;
  EXPECT_EQ(a.entry_point, b.entry_point) << w;
  EXPECT_EQ(a.number_of_sections, b.number_of_sections) << w;
  EXPECT_EQ(a.container(), b.container()) << w;
  EXPECT_EQ(a.intermediates(), b.intermediates()) << w;
  EXPECT_EQ(a.icon_group1(), b.icon_group1()) << w;
  EXPECT_EQ(a.icon_group2(), b.icon_group2()) << w;
  EXPECT_EQ(a.handler_type(), b.handler_type()) << w;
}

void expect_same(const LogicalSubsignature &a, const LogicalSubsignature &b, const std::string &w) {
  EXPECT_EQ(a.kind, b.kind) << w;
  EXPECT_EQ(a.options.nocase, b.options.nocase) << w;
  EXPECT_EQ(a.options.wide, b.options.wide) << w;
  EXPECT_EQ(a.options.fullword, b.options.fullword) << w;
  EXPECT_EQ(a.options.ascii, b.options.ascii) << w;
  expect_same(a.offset, b.offset, w);
  EXPECT_TRUE(a.patterns == b.patterns) << w;
  const auto &p = a.pcre(), &q = b.pcre();
  expect_same(p.offset, q.offset, w + " pcre");
  EXPECT_EQ(p.offset_text, q.offset_text) << w;
  EXPECT_EQ(p.trigger, q.trigger) << w;
  EXPECT_EQ(p.regex, q.regex) << w;
  EXPECT_TRUE(p.flags == q.flags) << w;
  EXPECT_TRUE(a.trigger() == b.trigger()) << w;
  const auto &x = a.byte_compare(), &y = b.byte_compare();
  EXPECT_EQ(x.trigger, y.trigger) << w;
  EXPECT_EQ(x.offset, y.offset) << w;
  EXPECT_EQ(x.encoding, y.encoding) << w;
  EXPECT_EQ(x.endian, y.endian) << w;
  EXPECT_EQ(x.exact, y.exact) << w;
  EXPECT_EQ(x.byte_count, y.byte_count) << w;
  EXPECT_TRUE(x.comparisons == y.comparisons) << w;
}

// Stops at the first differing signature of a kind (a million failures help nobody).
void expect_same(const SignatureSet &a, const SignatureSet &b) {
  EXPECT_EQ(a.databases, b.databases);
  EXPECT_TRUE(a.hashes == b.hashes);
  EXPECT_TRUE(a.allow == b.allow);
  EXPECT_TRUE(a.sections == b.sections);
  EXPECT_TRUE(a.imports == b.imports);
  ASSERT_EQ(a.bodies.size(), b.bodies.size());
  for (std::size_t i = 0; i < a.bodies.size() && !::testing::Test::HasFailure(); ++i) {
    const auto &x = a.bodies[i], &y = b.bodies[i];
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.target, y.target) << x.name;
    expect_same(x.offset, y.offset, x.name);
    EXPECT_TRUE(x.pattern == y.pattern) << x.name;
    expect_same(x.origin, y.origin, x.name);
  }
  ASSERT_EQ(a.logicals.size(), b.logicals.size());
  for (std::size_t i = 0; i < a.logicals.size() && !::testing::Test::HasFailure(); ++i) {
    const auto &x = a.logicals[i], &y = b.logicals[i];
    EXPECT_EQ(x.name, y.name);
    expect_same(x.tdb, y.tdb, x.name);
    EXPECT_TRUE(x.expression == y.expression) << x.name;
    ASSERT_EQ(x.subsigs.size(), y.subsigs.size()) << x.name;
    for (std::size_t k = 0; k < x.subsigs.size(); ++k)
      expect_same(x.subsigs[k], y.subsigs[k], x.name + " subsignature " + std::to_string(k));
    expect_same(x.origin, y.origin, x.name);
  }
  ASSERT_EQ(a.container_metadata.size(), b.container_metadata.size());
  for (std::size_t i = 0; i < a.container_metadata.size(); ++i) {
    const auto &x = a.container_metadata[i], &y = b.container_metadata[i];
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.container_type, y.container_type) << x.name;
    expect_same(x.container_size, y.container_size, x.name);
    ASSERT_EQ(x.name_regex.has_value(), y.name_regex.has_value()) << x.name;
    if (x.name_regex) {
      EXPECT_EQ(x.name_regex->pattern(), y.name_regex->pattern()) << x.name;
    }
    expect_same(x.size_in_container, y.size_in_container, x.name);
    expect_same(x.size_real, y.size_real, x.name);
    EXPECT_EQ(x.encrypted, y.encrypted) << x.name;
    expect_same(x.position, y.position, x.name);
    expect_same(x.origin, y.origin, x.name);
  }
  EXPECT_EQ(a.ignored, b.ignored);
  EXPECT_EQ(a.skipped_by_level, b.skipped_by_level);
  EXPECT_EQ(a.warnings, b.warnings);
  EXPECT_EQ(a.signature_count(), b.signature_count());
}

// Writes, reads back, compares; the second write must give the same bytes (deterministic).
void round_trip(const SignatureSet &set) {
  auto bytes = write_signature_snapshot(set);
  SignatureSet back = read_signature_snapshot(bytes, "round-trip");
  expect_same(set, back);
  EXPECT_TRUE(write_signature_snapshot(back) == bytes);
}

std::vector<std::string> existing(std::vector<std::string> paths) {
  for (const auto &p : paths)
    if (!fs::exists(p))
      return {};
  return paths;
}

// The set of the benchmark (/tmp/fullargs in the issue): the whole official subset, rfxn and
// ditekshen.
std::vector<std::string> full_set() {
  const std::string o = kData + "/clamav/official-talos-subset/";
  return existing({o + "main.fp", o + "main.hdb", o + "main.ldb", o + "daily.fp", o + "daily.hdb",
                   o + "daily.hsb", o + "daily.ndb", kData + "/clamav/rfxn-lmd/rfxn.hdb",
                   kData + "/clamav/rfxn-lmd/rfxn.ndb", kData + "/clamav/ditekshen/clamav.ldb",
                   kData + "/clamav/ditekshen/indicator_rmm.ldb"});
}

TEST(SignatureSnapshot, FullSharedDatabaseRoundTrips) {
  auto paths = full_set();
  if (paths.empty())
    GTEST_SKIP() << "shared ClamAV data missing under " << kData;
  SignatureSet set = load_databases(paths);
  ASSERT_GT(set.logicals.size(), 30000u);
  ASSERT_GT(set.hashes.size(), 200000u);
  std::size_t pcre = 0, byte_compare = 0;
  for (const auto &l : set.logicals)
    for (const auto &s : l.subsigs) {
      pcre += s.kind == LogicalSubsignature::Kind::pcre;
      byte_compare += s.kind == LogicalSubsignature::Kind::byte_compare;
    }
  EXPECT_GT(pcre, 300u); // the parts beyond body patterns are really exercised (byte-compare
                         // subsignatures: in the container test below; the subset has none)
  EXPECT_EQ(byte_compare, 0u);
  round_trip(set);
  // Read with release_as_read: the same set, and the decoded pages were given back (anonymous
  // memory reads as zeros afterwards), so the snapshot and the set are not both resident.
  auto bytes = write_signature_snapshot(set);
  ASSERT_GT(bytes.size(), std::size_t{16} << 20);
  std::vector<std::uint8_t> owned = bytes;
  SignatureSet back = read_signature_snapshot(owned, "released", SnapshotBytes::release_as_read);
  expect_same(set, back);
  const std::size_t probe = std::size_t{8} << 20, page = 4096;
  EXPECT_TRUE(std::any_of(bytes.begin() + probe, bytes.begin() + probe + page,
                          [](std::uint8_t b) { return b != 0; }));
  EXPECT_TRUE(std::all_of(owned.begin() + probe, owned.begin() + probe + page,
                          [](std::uint8_t b) { return b == 0; }));
}

TEST(SignatureSnapshot, UnitTestAndAllmatchSetsRoundTrip) {
  const std::string u = kData + "/clamav/unittests/";
  auto paths = existing({u + "clamav.hdb", u + "other_sigs", u + "pe_allmatch/alert-sigs",
                         kData + "/clamav/official-talos-daily27371-small"});
  if (paths.empty())
    GTEST_SKIP() << "shared ClamAV data missing under " << kData;
  SignatureSet set = load_databases(paths);
  EXPECT_FALSE(set.sections.empty());
  EXPECT_FALSE(set.imports.empty());
  EXPECT_FALSE(set.allow.empty());   // daily.sfp
  EXPECT_FALSE(set.ignored.empty()); // daily.ign2
  EXPECT_FALSE(set.warnings.empty());
  round_trip(set);
}

TEST(SignatureSnapshot, ContainersCdbIgnoreAndAllowListsRoundTrip) {
  using namespace cvdtest;
  ScopedCvdTrust trust(keys().trust());
  TempDir d;
  Spec spec;
  spec.members = {{"test.hdb", "44d88612fea8a8f36de82e1278abb02f:68:Test.EICAR.HDB\n"},
                  {"test.ndb", "Test.Body:1:EP+4,8:41424344(45|46)??4748{2-4}494a*4b4c\n"},
                  {"test.ldb",
                   "Test.Ldb;Engine:81-255,Target:1,FileSize:10-90000;0&1&2;41424344::iw;"
                   "0/ab+c/i;0(>>4#ib2#>12)\n"},
                  {"test.ign2", "Test.Dropped\n"}};
  d.write("main.cvd", build(spec));
  d.write("local.cdb", "Z.Hello:CL_TYPE_ZIP:100-700:hello\\.txt$:21:600:0:2:*:*\n"
                       "Any.Name:*:*:*:*:*:1:*:*:*\n");
  d.write("local.fp", "44d88612fea8a8f36de82e1278abb02f:68:Eicar-fp\n");
  d.write("local.msb", "*:8d9d0a3e3b0cf1e8be1b1b1b1b1b1b1b1b1b1b1b:Test.Section:73\n");
  d.write("local.ndb", "Test.Dropped:0:*:41424344\nTest.Kept:0:EOF-10:(B)6162(L)\n");
  d.write("ignored.yar", "rule x { condition: true }\n");
  SignatureSet set = load_databases({d.path.string()});
  ASSERT_EQ(set.container_metadata.size(), 2u);
  ASSERT_TRUE(set.container_metadata[0].name_regex.has_value());
  ASSERT_EQ(set.logicals.size(), 1u);
  ASSERT_EQ(set.logicals[0].subsigs.size(), 3u);
  EXPECT_EQ(set.logicals[0].subsigs[1].kind, LogicalSubsignature::Kind::pcre);
  EXPECT_EQ(set.logicals[0].subsigs[2].kind, LogicalSubsignature::Kind::byte_compare);
  EXPECT_EQ(set.bodies.size(), 2u); // Test.Dropped ignored
  EXPECT_FALSE(set.warnings.empty());
  round_trip(set);
  SignatureSet back = read_signature_snapshot(write_signature_snapshot(set), "x");
  // The regex was compiled again and works.
  ContainerEntryFacts entry;
  entry.container_type = "CL_TYPE_ZIP";
  entry.container_size = 300;
  entry.name = "dir/hello.txt";
  entry.size_in_container = 21;
  entry.size_real = 600;
  entry.position = 2;
  EXPECT_TRUE(back.container_metadata[0].matches(entry));
  entry.name = "dir/hello.txt.bak";
  EXPECT_FALSE(back.container_metadata[0].matches(entry));
}

// --- damaged snapshots ---

std::string refusal(std::span<const std::uint8_t> bytes, const std::string &name = "snap.hsdb") {
  try {
    read_signature_snapshot(bytes, name);
  } catch (const Error &e) {
    EXPECT_EQ(e.input(), name);
    return e.reason();
  }
  return "accepted";
}

SignatureSet small_set() {
  TempDir d;
  d.write("a.hdb", "44d88612fea8a8f36de82e1278abb02f:68:Eicar\n"
                   "aa4d88612fea8a8f36de82e1278abb02:*:Star:73\n");
  d.write("b.ndb", "Body:0:*:41424344??45[1-3]46\n");
  d.write("c.ldb", "L;Engine:81-255,Target:0;(0|1)>1,2&2;41424344;45464748::a;0/x{2}y/g\n");
  d.write("d.cdb", "C:*:*:evil\\.exe$:*:*:*:*:*:*\n");
  return load_databases({d.path.string()});
}

TEST(SignatureSnapshot, TruncatedAnywhereIsRefused) {
  auto bytes = write_signature_snapshot(small_set());
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    auto why = refusal({bytes.data(), n});
    EXPECT_NE(why.find("bad signature snapshot: "), std::string::npos) << n << ": " << why;
    if (::testing::Test::HasFailure())
      break;
  }
  auto longer = bytes;
  longer.push_back(0);
  EXPECT_NE(refusal(longer).find("trailing bytes"), std::string::npos);
}

TEST(SignatureSnapshot, HeaderIsChecked) {
  auto bytes = write_signature_snapshot(small_set());
  auto bad = bytes;
  bad[0] = 'X';
  EXPECT_NE(refusal(bad).find("wrong magic"), std::string::npos);
  bad = bytes;
  bad[8] = static_cast<std::uint8_t>(kSignatureSnapshotVersion + 1);
  EXPECT_NE(refusal(bad).find("format version " + std::to_string(kSignatureSnapshotVersion + 1) +
                              ", expected " + std::to_string(kSignatureSnapshotVersion)),
            std::string::npos)
      << refusal(bad);
}

TEST(SignatureSnapshot, EveryBitFlipIsRefusedOrReadsAValidSet) {
  // Free text (a name, a regex) may change without breaking the structure: the cache's SHA-256
  // catches those. Everything else must be refused, and nothing may crash or hang.
  SignatureSet set = small_set();
  auto bytes = write_signature_snapshot(set);
  std::size_t refused = 0;
  for (std::size_t i = 0; i < bytes.size(); ++i)
    for (int bit = 0; bit < 8; ++bit) {
      auto bad = bytes;
      bad[i] ^= static_cast<std::uint8_t>(1u << bit);
      try {
        SignatureSet back = read_signature_snapshot(bad, "flip");
        EXPECT_TRUE(write_signature_snapshot(back) == bad) << "byte " << i << " bit " << bit;
      } catch (const Error &e) {
        EXPECT_EQ(e.input(), "flip");
        ++refused;
      }
    }
  EXPECT_GT(refused, bytes.size() * 3) << "a large share of the flips breaks the structure";
}

// Snapshots written from sets the parsers could never produce: the reader refuses each, naming
// what is wrong.
TEST(SignatureSnapshot, InvariantsTheEngineReliesOnAreChecked) {
  auto expect_refused = [](const SignatureSet &s, const std::string &needle) {
    auto why = refusal(write_signature_snapshot(s));
    EXPECT_NE(why.find(needle), std::string::npos) << why;
  };
  SignatureSet base = small_set();
  {
    auto s = base;
    s.bodies[0].origin.database = 99;
    expect_refused(s, "origin names database 99 of 4");
  }
  // The first body's pattern, unpacked, changed and packed again.
  auto with_pattern = [&base](auto change) {
    auto s = base;
    BodyPattern p = s.bodies[0].pattern.unpack();
    change(p);
    s.bodies[0].pattern = PackedPattern::pack(p);
    return s;
  };
  expect_refused(with_pattern([](BodyPattern &p) { std::get<ByteRun>(p.elements[0]).clear(); }),
                 "empty byte run");
  expect_refused(with_pattern([](BodyPattern &p) {
                   std::get<ByteRun>(p.elements[0])[0] = ByteMatch{0x41, 0x0f};
                 }),
                 "byte value outside its mask");
  expect_refused(with_pattern([](BodyPattern &p) {
                   p.elements.push_back(Gap{5, 2});
                 }),
                 "gap minimum above its maximum");
  expect_refused(with_pattern([](BodyPattern &p) { p.elements.clear(); }), "empty body pattern");
  expect_refused(
      with_pattern([](BodyPattern &p) {
        p.elements.push_back(Alternation{
            {ByteRun{ByteMatch{1, 0xff}}, ByteRun{ByteMatch{2, 0xff}, ByteMatch{3, 0xff}}}, true});
      }),
      "negated alternation with alternatives of 1 and 2 bytes");
  {
    auto s = base;
    s.logicals[0].subsigs.pop_back();
    expect_refused(s, "with 2 subsignatures for an expression naming 3");
  }
  {
    auto s = base;
    s.logicals[0].subsigs[0].patterns.clear();
    expect_refused(s, "subsignature 0 with 0 patterns");
  }
  {
    auto s = base;
    s.logicals[0].subsigs[2].set_pcre(s.logicals[0].subsigs[2].pcre(),
                                      parse_logical_expression("2").expression);
    expect_refused(s, "whose trigger does not name earlier subsignatures");
  }
  {
    auto s = base;
    auto &sub = s.logicals[0].subsigs[2];
    sub = LogicalSubsignature();
    sub.kind = LogicalSubsignature::Kind::byte_compare;
    ByteCompareSubsignature b;
    b.trigger = 1;
    b.byte_count = 3;
    b.encoding = ByteCompareSubsignature::Encoding::binary;
    b.comparisons = {{'>', 1}};
    sub.set_byte_compare(b);
    expect_refused(s, "byte-compare byte count 3");
  }
  {
    auto s = base;
    HashSignature h;
    h.digest.len = 16;
    h.size = 1;
    s.hashes.add(h); // after finish(): out of order
    expect_refused(s, "hash table not sorted");
  }
}

// Where the expression parsed from `text` starts in `bytes` (its root, highest subsignature and
// node count, as the writer puts them): the tests below rewrite its nodes and caps in place.
std::size_t expression_at(const std::vector<std::uint8_t> &bytes, const std::string &text) {
  auto e = parse_logical_expression(text).expression;
  std::uint32_t header[3] = {static_cast<std::uint32_t>(e.nodes().size() - 1), e.max_subsig(),
                             static_cast<std::uint32_t>(e.nodes().size())};
  auto *h = reinterpret_cast<const std::uint8_t *>(header);
  auto it = std::search(bytes.begin(), bytes.end(), h, h + sizeof header);
  EXPECT_NE(it, bytes.end()) << text;
  return static_cast<std::size_t>(it - bytes.begin());
}

constexpr std::size_t kNodeBytes = 22; // kind, comparison, value, distinct, subsig, left, right

template <typename T> void poke(std::vector<std::uint8_t> &bytes, std::size_t at, T v) {
  std::memcpy(bytes.data() + at, &v, sizeof v);
}

// A chain "0&0&...&0" of 4095 nodes rewritten so that node i is all(i - 1, i - 1): every walk of
// that DAG visits 2^4094 paths. The reader must refuse it, at once.
TEST(SignatureSnapshot, ExpressionSharingOperandsIsRefused) {
  std::string chain = "0";
  for (int i = 1; i < 2048; ++i)
    chain += "&0";
  TempDir d;
  d.write("dag.ldb", "Dag;Target:0;" + chain + ";41424344\n");
  auto bytes = write_signature_snapshot(load_databases({d.path.string()}));
  std::size_t at = expression_at(bytes, chain) + 12;
  for (std::int32_t i = 1; i < 4095; ++i) {
    std::size_t node = at + static_cast<std::size_t>(i) * kNodeBytes;
    bytes[node] = 1; // all
    bytes[node + 1] = 0;
    poke<std::uint32_t>(bytes, node + 2, 0);
    poke<std::uint32_t>(bytes, node + 6, 0);
    poke<std::uint32_t>(bytes, node + 10, 0);
    poke<std::int32_t>(bytes, node + 14, i - 1);
    poke<std::int32_t>(bytes, node + 18, i - 1);
  }
  auto t0 = std::chrono::steady_clock::now();
  auto why = refusal(bytes);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(1));
  EXPECT_NE(why.find("expression node 0 is an operand more than once (not a tree)"),
            std::string::npos)
      << why;

  // Shared operands on a small expression, and a root that is not the last node.
  bytes = write_signature_snapshot(small_set());
  at = expression_at(bytes, "(0|1)>1,2&2") + 12; // nodes: 0, 1, any(0,1), 2, all(2,3)
  auto shared = bytes;
  poke<std::int32_t>(shared, at + 4 * kNodeBytes + 18, 2); // all(2, 2): node 3 unused
  EXPECT_NE(refusal(shared).find("is an operand more than once"), std::string::npos);
  auto unused = bytes;
  poke<std::int32_t>(unused, at + 2 * kNodeBytes + 18, 0); // any(0, 0)
  poke<std::int32_t>(unused, at + 4 * kNodeBytes + 14, 1); // all(1, 3)
  EXPECT_NE(refusal(unused).find("is an operand more than once"), std::string::npos);
  auto root = bytes;
  poke<std::int32_t>(root, at - 12, 2);
  EXPECT_NE(refusal(root).find("root is not its last node"), std::string::npos);
  // An operator node naming a subsignature: the parser never writes one, and the node's 8-bit
  // field would not keep a large value.
  auto named = bytes;
  poke<std::uint32_t>(named, at + 2 * kNodeBytes + 10, 256 + 1);
  EXPECT_NE(refusal(named).find("operands do not precede it"), std::string::npos);
}

// Hash entries are read as one block in the entries' own layout: every field comes back (sizes
// above 32 bits included), and each entry is still checked.
TEST(SignatureSnapshot, HashEntriesReadBackAndAreChecked) {
  SignatureSet set;
  set.databases = {"a.hdb"};
  for (std::uint32_t i = 0; i < 3; ++i) {
    HashSignature h;
    h.digest.len = i == 2 ? 32 : 16;
    h.digest.b.fill(static_cast<std::uint8_t>(0xa0 + i));
    h.size = (std::uint64_t{i + 1} << 32) + 7;
    h.name = "Hash.Sig-" + std::to_string(i);
    h.origin = {0, i + 1};
    set.hashes.add(h);
  }
  set.hashes.finish();
  auto bytes = write_signature_snapshot(set);
  SignatureSet back = read_signature_snapshot(bytes, "hashes");
  EXPECT_TRUE(back.hashes == set.hashes);
  Digests d;
  d.md5 = Digest{};
  d.md5->len = 16;
  d.md5->b.fill(0xa1);
  std::vector<HashTable::Hit> hits;
  back.hashes.lookup((std::uint64_t{2} << 32) + 7, d, hits);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].name, "Hash.Sig-1");
  EXPECT_EQ(hits[0].origin.line, 2u);
  hits.clear();
  back.hashes.lookup(7, d, hits); // the low 32 bits alone do not match
  EXPECT_TRUE(hits.empty());

  // The record of the MD5 entry of signature 1: u64 size, digest, u32 signature.
  std::uint8_t record[12];
  std::uint64_t size = (std::uint64_t{2} << 32) + 7;
  std::memcpy(record, &size, 8);
  std::memset(record + 8, 0xa1, 4);
  auto it = std::search(bytes.begin(), bytes.end(), record, record + sizeof record);
  ASSERT_NE(it, bytes.end());
  std::size_t sig_at = static_cast<std::size_t>(it - bytes.begin()) + 8 + 16;
  auto bad = bytes;
  poke<std::uint32_t>(bad, sig_at, 3);
  EXPECT_NE(refusal(bad).find("hash entry names signature 3 of 3"), std::string::npos);
  bad = bytes;
  poke<std::uint32_t>(bad, sig_at, 0); // signature 0 named twice, signature 1 by none
  EXPECT_NE(refusal(bad).find("signature 0 has two hash entries"), std::string::npos);
  bad = bytes;
  poke<std::uint32_t>(bad, sig_at - 16 - 4, 0); // size 7: now below the first entry's
  EXPECT_NE(refusal(bad).find("hash table not sorted"), std::string::npos);
}

// Read with something that keeps the bytes (a mapping) and from an aligned start, the hash tables
// use their entries and names in place, holding the keeper; from a misaligned start, or without a
// keeper, they are copied. Either way they equal the tables written and find the same names, also
// after every other holder of the bytes is gone, in a copy, and after an add() (which copies).
TEST(SignatureSnapshot, HashTablesAreUsedInPlaceFromKeptAlignedBytes) {
  SignatureSet set;
  set.databases = {"a.hdb"};
  for (std::uint32_t i = 0; i < 5; ++i) {
    HashSignature h;
    h.digest.len = i % 3 == 0 ? 16 : i % 3 == 1 ? 20 : 32;
    h.digest.b.fill(static_cast<std::uint8_t>(0x10 + i));
    h.size = 100 + i;
    h.name = "In.Place-" + std::to_string(i);
    h.origin = {0, i + 1};
    set.hashes.add(h);
  }
  set.hashes.finish();
  const auto bytes = write_signature_snapshot(set);
  auto lookup = [](const HashTable &t, std::uint32_t i) {
    Digests d;
    Digest g;
    g.len = i % 3 == 0 ? 16 : i % 3 == 1 ? 20 : 32;
    g.b.fill(static_cast<std::uint8_t>(0x10 + i));
    (g.len == 16 ? d.md5 : g.len == 20 ? d.sha1 : d.sha256) = g;
    std::vector<HashTable::Hit> hits;
    t.lookup(100 + i, d, hits);
    return hits.size() == 1 ? std::string(hits[0].name) : std::string("(none)");
  };

  HashTable borrowed_copy;
  {
    auto kept = std::make_shared<std::vector<std::uint8_t>>(bytes);
    ASSERT_EQ(reinterpret_cast<std::uintptr_t>(kept->data()) % 16, 0u);
    SignatureSet back = read_signature_snapshot(*kept, "kept", SnapshotProgress{}, kept);
    EXPECT_TRUE(back.hashes.borrowed());
    EXPECT_FALSE(back.allow.borrowed() && back.allow.size() != 0);
    EXPECT_TRUE(back.hashes == set.hashes);
    EXPECT_TRUE(write_signature_snapshot(back) == bytes);
    kept.reset(); // the table keeps the bytes
    for (std::uint32_t i = 0; i < 5; ++i)
      EXPECT_EQ(lookup(back.hashes, i), "In.Place-" + std::to_string(i));
    borrowed_copy = back.hashes;
  }
  EXPECT_TRUE(borrowed_copy.borrowed());
  EXPECT_EQ(lookup(borrowed_copy, 4), "In.Place-4");

  // From a file mapping whose pages a lookup may drop: every lookup gives back what it used, and
  // the entries are read back from the file when touched again.
  {
    TempDir d;
    const std::string path = (d.path / "snapshot").string();
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char *>(bytes.data()),
               static_cast<std::streamsize>(bytes.size()));
    auto file = std::make_shared<MappedFile>(MappedFile::open(path));
    std::size_t calls = 0;
    SignatureSet back = read_signature_snapshot(
        file->bytes(), path, SnapshotProgress{}, file,
        [&calls, file](std::span<const std::uint8_t> used) {
          ++calls;
          const auto *base = file->bytes().data();
          // The hook may be told more than the entries (whole folios): it keeps to its bytes.
          const auto *lo = std::max(used.data(), base);
          const auto *hi = std::min(used.data() + used.size(), base + file->size());
          if (lo < hi)
            file->release(static_cast<std::size_t>(lo - base), static_cast<std::size_t>(hi - base));
        });
    ASSERT_TRUE(back.hashes.borrowed());
    for (int round = 0; round < 2; ++round)
      for (std::uint32_t i = 0; i < 5; ++i)
        EXPECT_EQ(lookup(back.hashes, i), "In.Place-" + std::to_string(i));
    EXPECT_GE(calls, 10u);
    EXPECT_TRUE(back.hashes == set.hashes);
  }
  HashSignature extra;
  extra.digest.len = 16;
  extra.digest.b.fill(0x77);
  extra.size = 7;
  extra.name = "Extra";
  borrowed_copy.add(extra);
  borrowed_copy.finish();
  EXPECT_FALSE(borrowed_copy.borrowed());
  EXPECT_EQ(borrowed_copy.size(), 6u);
  EXPECT_EQ(lookup(borrowed_copy, 3), "In.Place-3");

  // One byte off: copied, equal.
  auto shifted = std::make_shared<std::vector<std::uint8_t>>(bytes.size() + 1);
  std::copy(bytes.begin(), bytes.end(), shifted->begin() + 1);
  SignatureSet copied = read_signature_snapshot(std::span<const std::uint8_t>(*shifted).subspan(1),
                                                "shifted", SnapshotProgress{}, shifted);
  EXPECT_FALSE(copied.hashes.borrowed());
  EXPECT_TRUE(copied.hashes == set.hashes);
  EXPECT_EQ(lookup(copied.hashes, 2), "In.Place-2");
  // Without a keeper: copied.
  EXPECT_FALSE(read_signature_snapshot(bytes, "plain").hashes.borrowed());
}

// Counting caps are derived from the nodes: a snapshot claiming others is refused.
TEST(SignatureSnapshot, TamperedCountCapsAreRefused) {
  SignatureSet set = small_set();
  auto bytes = write_signature_snapshot(set);
  // (0|1)>1,2 caps subsignatures 0 and 1 at 2; 2 stays at 1.
  ASSERT_EQ(set.logicals[0].expression.count_cap(0), 2u);
  ASSERT_EQ(set.logicals[0].expression.count_cap(2), 1u);
  std::size_t caps = expression_at(bytes, "(0|1)>1,2&2") + 12 + 5 * kNodeBytes;
  for (std::size_t i = 0; i < 3; ++i) {
    auto bad = bytes;
    poke<std::uint32_t>(bad, caps + 4 + 4 * i, 1000);
    EXPECT_NE(refusal(bad).find("expression count caps differ"), std::string::npos) << i;
  }
  auto fewer = bytes; // two caps instead of three, the third read as the next field
  poke<std::uint32_t>(fewer, caps, 2);
  EXPECT_NE(refusal(fewer).find("bad signature snapshot"), std::string::npos);
  SignatureSet back = read_signature_snapshot(bytes, "good");
  EXPECT_TRUE(back.logicals[0].expression == set.logicals[0].expression);
}

// Offsets outside what parse_offset_spec() yields would overflow resolve()'s signed arithmetic.
TEST(SignatureSnapshot, OffsetsOutsideTheParsersRangesAreRefused) {
  using Base = OffsetSpec::Base;
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max() / 4;
  SignatureSet base = small_set();
  struct Case {
    OffsetSpec spec;
    bool ok;
  };
  const Case cases[] = {
      {{Base::absolute, kMax, 0, 7}, true},
      {{Base::absolute, kMax + 1, 0, 0}, false},
      {{Base::absolute, -1, 0, 0}, false},
      {{Base::absolute, 5, 1, 0}, false},
      {{Base::eof_minus, -kMax, 0, 0}, true},
      {{Base::eof_minus, std::numeric_limits<std::int64_t>::min(), 0, 0}, false},
      {{Base::eof_minus, 1, 0, 0}, false},
      {{Base::entry_point, -kMax, 0, 0}, true},
      {{Base::entry_point, kMax, 0, 0}, true},
      {{Base::entry_point, std::numeric_limits<std::int64_t>::max(), 0, 0}, false},
      {{Base::section_start, kMax, 0xffff, 0}, true},
      {{Base::section_start, 0, 0x10000, 0}, false},
      {{Base::section_start, -3, 1, 0}, false},
      {{Base::section_entire, 0, 0xffff, 0}, true},
      {{Base::section_entire, 4, 1, 0}, false},
      {{Base::last_section_start, kMax, 0, 0}, true},
      {{Base::last_section_start, -1, 0, 0}, false},
      {{Base::last_section_start, 0, 2, 0}, false},
      {{Base::any, 0, 0, 0}, true},
      {{Base::any, 3, 0, 0}, false},
      {{Base::any, 0, 0, 9}, false},
      {{Base::version_info, 0, 1, 0}, false},
  };
  for (const auto &c : cases) {
    std::string what = std::to_string(static_cast<int>(c.spec.base)) + " " +
                       std::to_string(c.spec.delta) + " " + std::to_string(c.spec.section);
    auto body = base;
    body.bodies[0].offset = c.spec;
    auto sub = base;
    sub.logicals[0].subsigs[0].offset = c.spec;
    for (const auto *s : {&body, &sub}) {
      auto why = refusal(write_signature_snapshot(*s));
      if (c.ok)
        EXPECT_EQ(why, "accepted") << what;
      else
        EXPECT_NE(why.find("that no offset field parses to"), std::string::npos) << what << why;
    }
  }
  // A PCRE subsignature's offset and trigger must be what their texts parse to.
  auto s = base;
  auto pcre = s.logicals[0].subsigs[2].pcre();
  pcre.offset = OffsetSpec{Base::absolute, 5, 0, 0}; // its text is "*"
  s.logicals[0].subsigs[2].set_pcre(pcre, s.logicals[0].subsigs[2].trigger());
  EXPECT_NE(refusal(write_signature_snapshot(s)).find("whose offset differs from '*' parsed"),
            std::string::npos);
  s = base;
  s.logicals[0].subsigs[2].set_pcre(s.logicals[0].subsigs[2].pcre(),
                                    parse_logical_expression("1").expression); // text says 0
  EXPECT_NE(refusal(write_signature_snapshot(s)).find("whose trigger differs from '0' parsed"),
            std::string::npos);
}

// --- the key ---

TEST(SignatureSnapshot, KeyFollowsPathsOrderAndContentNotTime) {
  TempDir d;
  auto a = d.write("a.ndb", "A:0:*:41424344\n");
  auto b = d.write("b.hdb", "44d88612fea8a8f36de82e1278abb02f:68:Eicar\n");
  auto key = [](std::vector<std::string> files) {
    return signature_snapshot_key(DatabaseFileList{std::move(files), {}});
  };
  auto k = key({a, b});
  EXPECT_EQ(k, key({a, b}));
  EXPECT_NE(k, key({b, a}));
  EXPECT_NE(k, key({a}));
  EXPECT_NE(k, signature_snapshot_key(DatabaseFileList{{a, b}, {"x: passed over"}}));
  fs::last_write_time(a, fs::last_write_time(a) - std::chrono::hours(5));
  EXPECT_EQ(k, key({a, b})) << "the time of a file is not part of the key";
  d.write("a.ndb", "A:0:*:41424345\n"); // same size, one byte changed
  EXPECT_NE(k, key({a, b}));
  d.write("a.ndb", "A:0:*:41424344\n");
  EXPECT_EQ(k, key({a, b}));
  fs::copy_file(a, d.path / "c.ndb");
  EXPECT_NE(k, key({(d.path / "c.ndb").string(), b})) << "the path is part of the key";
  EXPECT_THROW(key({(d.path / "missing.ndb").string()}), Error);
  // The files are digested on two threads: a longer list gives one key, in its order, and a
  // missing file among the others is the error, named.
  std::vector<std::string> many;
  for (int i = 0; i < 12; ++i)
    many.push_back(
        d.write("f" + std::to_string(i) + ".ndb", "A" + std::to_string(i) + ":0:*:41424344\n"));
  const auto k12 = key(many);
  EXPECT_EQ(k12, key(many));
  std::swap(many[3], many[8]);
  EXPECT_NE(k12, key(many));
  many.insert(many.begin() + 5, (d.path / "gone.ndb").string());
  try {
    key(many);
    ADD_FAILURE() << "a missing database file gives a key";
  } catch (const Error &e) {
    EXPECT_NE(e.input().find("gone.ndb"), std::string::npos) << e.input();
  }
}

TEST(SignatureSnapshot, KeyFollowsTheProgramsBuildIdentity) {
  TempDir d;
  DatabaseFileList list{{d.write("a.ndb", "A:0:*:41424344\n")}, {}};
  const std::vector<std::uint8_t> one = {'g', 'n', 'u', 1, 2, 3}, other = {'g', 'n', 'u', 1, 2, 4};
  EXPECT_EQ(signature_snapshot_key(list, one), signature_snapshot_key(list, one));
  EXPECT_NE(signature_snapshot_key(list, one), signature_snapshot_key(list, other));
  EXPECT_NE(signature_snapshot_key(list, one), signature_snapshot_key(list, {}));
  auto id = program_build_identity();
  EXPECT_EQ(signature_snapshot_key(list), signature_snapshot_key(list, id));
  EXPECT_EQ(id, program_build_identity());
  // This program is linked with --build-id (gcc's default on Debian): the note readelf shows.
  std::string cmd = "readelf -n /proc/" + std::to_string(::getpid()) + "/exe 2>/dev/null";
  std::string out;
  if (FILE *f = ::popen(cmd.c_str(), "r")) {
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;)
      out.append(buf, n);
    ::pclose(f);
  }
  auto at = out.find("Build ID: ");
  if (at == std::string::npos)
    GTEST_SKIP() << "readelf shows no build-id for this program";
  std::string hex = out.substr(at + 10, out.find('\n', at) - at - 10);
  const std::string gnu = "gnu-build-id:";
  ASSERT_GT(id.size(), gnu.size());
  EXPECT_EQ(std::string(id.begin(), id.begin() + static_cast<std::ptrdiff_t>(gnu.size())), gnu);
  std::string got;
  for (std::size_t i = gnu.size(); i < id.size(); ++i) {
    char b[3];
    std::snprintf(b, sizeof b, "%02x", id[i]);
    got += b;
  }
  EXPECT_EQ(got, hex);
}

// --- the warm-start policy, with an in-memory cache of the shape CompiledCache has ---

struct FakeCache {
  struct Entry {
    std::vector<std::uint8_t> bytes;
    std::span<const std::uint8_t> payload() const { return bytes; }
  };
  mutable std::map<SnapshotKey, std::vector<std::uint8_t>> entries;
  mutable std::vector<std::string> rejections;
  mutable int stores = 0;

  std::optional<Entry> load(const SnapshotKey &key) const {
    auto it = entries.find(key);
    if (it == entries.end())
      return std::nullopt;
    return Entry{it->second};
  }
  void store(const SnapshotKey &key, std::span<const std::uint8_t> payload) const {
    entries[key].assign(payload.begin(), payload.end());
    ++stores;
  }
  void reject(const SnapshotKey &key, const std::string &reason) const {
    rejections.push_back(reason);
    entries.erase(key);
  }
  fs::path path_for(const SnapshotKey &) const { return "/cache/entry.hsdb"; }
};

TEST(SignatureSnapshot, CachedLoadStoresReusesAndRewrites) {
  TempDir d;
  auto ndb = d.write("a.ndb", "A:0:*:41424344\n");
  d.write("b.ldb", "L;Engine:81-255,Target:0;0&1;41424344;0/abc/\n");
  FakeCache cache;
  auto cold = load_databases_cached({d.path.string()}, &cache);
  EXPECT_FALSE(cold.from_snapshot);
  EXPECT_TRUE(cold.stored);
  EXPECT_EQ(cache.entries.size(), 1u);
  auto warm = load_databases_cached({d.path.string()}, &cache);
  EXPECT_TRUE(warm.from_snapshot);
  EXPECT_FALSE(warm.stored);
  // Both name the key the entry is kept under (what the engine derives is cached under it).
  ASSERT_TRUE(cold.key && warm.key);
  EXPECT_EQ(*cold.key, *warm.key);
  EXPECT_EQ(cache.entries.count(*warm.key), 1u);
  expect_same(cold.set, warm.set);
  expect_same(warm.set, load_databases({d.path.string()}));

  // A damaged entry: one rejection naming the reason, the text parsed, the snapshot rewritten.
  cache.entries.begin()->second.resize(20);
  auto healed = load_databases_cached({d.path.string()}, &cache);
  EXPECT_FALSE(healed.from_snapshot);
  ASSERT_EQ(cache.rejections.size(), 1u);
  EXPECT_NE(cache.rejections[0].find("bad signature snapshot: truncated"), std::string::npos)
      << cache.rejections[0];
  expect_same(cold.set, healed.set);
  EXPECT_TRUE(load_databases_cached({d.path.string()}, &cache).from_snapshot);

  // A changed database: a new key, parsed again, the new signature is there.
  d.write("a.ndb", "B:0:*:45464748\n");
  auto changed = load_databases_cached({ndb, (d.path / "b.ldb").string()}, &cache);
  EXPECT_FALSE(changed.from_snapshot);
  ASSERT_TRUE(changed.key);
  EXPECT_NE(*changed.key, *cold.key);
  ASSERT_EQ(changed.set.bodies.size(), 1u);
  EXPECT_EQ(changed.set.bodies[0].name, "B.UNOFFICIAL");

  // No cache: plain loading, nothing stored.
  auto none = load_databases_cached<FakeCache>({d.path.string()}, nullptr);
  EXPECT_FALSE(none.from_snapshot || none.stored);
  EXPECT_FALSE(none.key);
  EXPECT_EQ(cache.rejections.size(), 1u);
}

} // namespace
} // namespace vg
