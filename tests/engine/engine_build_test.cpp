// Engine::build on its own: repeated subsignatures share one compiled pattern and still count per
// signature, the build statistics, per-tier scan timing (on only when asked for), and the memory
// shape of a parsed subsignature, and the refusal of sets too large for its 32-bit entry ids.
#include "common/error.hpp"
#include "engine/engine.hpp"
#include "signatures/database_loader.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <thread>

namespace vg {
namespace {

std::shared_ptr<const Engine> engine_for(const std::string &ldb, const std::string &ndb,
                                         EngineOptions options = {}) {
  SignatureSet set;
  load_database_text(set, "t.ldb", ldb, true);
  load_database_text(set, "t.ndb", ndb, true);
  return Engine::build(std::move(set), options);
}

std::span<const std::uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t *>(s.data()), s.size()};
}

std::set<std::string> names(const Engine &e, std::string_view data, Engine::Scratch &s) {
  auto r = e.scan(bytes_of(data), true, s);
  std::set<std::string> out;
  for (const auto &d : r.detections)
    out.insert(std::string(d.name));
  return out;
}

// Binary filler so the data is typed as binary, not text (ClamAV scans text normalised).
std::string bin(const std::string &s) {
  return std::string("\x7f\x01\x02\x03\xfe\xff", 6) + s + std::string(8, '\0');
}

// Three signatures share the subsignature 6162636465 (and two the ::wa one with two patterns); each
// keeps its own counts and conditions.
const char *kShared = "A;Target:0;0&1;6162636465;7677787980\n"
                      "B;Target:0;0>1;6162636465\n"
                      "C;Target:0;0&1;6162636465;717273747576::wa\n"
                      "D;Target:0;0;717273747576::wa\n";

TEST(EngineBuild, RepeatedSubsignaturesAreCompiledOnceAndCountedPerSignature) {
  auto e = engine_for(kShared, "N:0:*:6b6c6d6e6f70\n");
  const auto &st = e->stats();
  EXPECT_EQ(st.logical, 4u);
  // Distinct patterns: 6162636465, 7677787980, and the wide and plain forms of
  // 717273747576.
  EXPECT_EQ(st.distinct_subsigs, 4u);
  EXPECT_EQ(st.subsigs_prefiltered, 8u); // 1+1 (A), 1 (B), 1+2 (C), 2 (D)
  // Literal ids are per target type and shared by equal atoms: the body signature's, and one per
  // distinct subsignature pattern.
  EXPECT_EQ(st.literals, 5u);
  Engine::Scratch s;
  EXPECT_EQ(names(*e, bin("abcde vwxy\x80"), s), (std::set<std::string>{"A"}));
  EXPECT_EQ(names(*e, bin("abcde abcde"), s), (std::set<std::string>{"B"}));
  EXPECT_EQ(names(*e, bin("abcde qrstuv"), s), (std::set<std::string>{"C", "D"}));
  EXPECT_EQ(names(*e, bin(std::string("abcde q\0r\0s\0t\0u\0v\0", 18)), s),
            (std::set<std::string>{"C", "D"}));
  EXPECT_EQ(names(*e, bin("abcde klmnop"), s), (std::set<std::string>{"N"}));
  EXPECT_TRUE(names(*e, bin("abcd vwxy qrstu"), s).empty());
}

// Repeats are found by their packed pattern, whatever their offset: E anchors 6162636465 at 6, F
// and H search for it, G anchors it at 20. One matcher serves all four; F takes an atom of its own
// (E's anchored first occurrence has none) and H shares F's.
TEST(EngineBuild, RepeatedPatternsShareAcrossOffsets) {
  auto e = engine_for("E;Target:0;0&1;6:6162636465;7677787980\n"
                      "F;Target:0;0;6162636465\n"
                      "G;Target:0;0;20:6162636465\n"
                      "H;Target:0;0;*:6162636465\n",
                      "");
  const auto &st = e->stats();
  EXPECT_EQ(st.distinct_subsigs, 2u);
  EXPECT_EQ(st.subsigs_anchored, 2u);    // E's 0, G's
  EXPECT_EQ(st.subsigs_prefiltered, 3u); // E's 1, F's, H's
  EXPECT_EQ(st.literals, 2u);            // abcde (F and H), vwxy
  Engine::Scratch s;
  EXPECT_EQ(names(*e, bin("abcde vwxy\x80"), s), (std::set<std::string>{"E", "F", "H"}));
  EXPECT_EQ(names(*e, bin("..............abcde vwxy\x80"), s),
            (std::set<std::string>{"F", "G", "H"}));
  EXPECT_TRUE(names(*e, bin("abcd vwxy\x80"), s).empty());
}

TEST(EngineBuild, BuildPhasesAreTimed) {
  auto e = engine_for(kShared, "N:0:*:6b6c6d6e6f70\n");
  const auto &st = e->stats();
  EXPECT_GT(st.build_seconds, 0.0);
  EXPECT_GE(st.build_seconds, st.matcher_seconds + st.atom_seconds + st.prefilter_compile_seconds);
  EXPECT_GT(st.prefilter_compile_seconds,
            0.0); // Vectorscan compiled two databases
}

TEST(EngineBuild, ScanTimesStayZeroUnlessAsked) {
  auto e = engine_for(kShared, "N:0:*:6b6c6d6e6f70\n");
  Engine::Scratch s;
  names(*e, bin("abcde vwxy\x80 klmnop"), s);
  auto t = e->scan_times();
  EXPECT_EQ(t.files, 0u);
  EXPECT_EQ(t.file_typing + t.hashing + t.prefilter + t.verification + t.weak + t.pcre + t.logical,
            0.0);
}

TEST(EngineBuild, ScanTimesAddUpOverThreads) {
  // A PCRE subsignature and a weak body signature (no exact run of 3 bytes) so that every tier has
  // work.
  EngineOptions timed;
  timed.timing = true;
  auto e = engine_for(std::string(kShared) + "P;Target:0;0&1;6162636465;0/ab[c]de/\n",
                      "N:0:*:6b6c6d6e6f70\nW:0:*:6b6c??6d\n", timed);
  std::string data = bin("abcde vwxy\x80 klmnop klxm") + std::string(1 << 20, 'x');
  auto worker = [&] {
    Engine::Scratch s;
    for (int i = 0; i < 5; ++i)
      EXPECT_EQ(names(*e, data, s), (std::set<std::string>{"A", "N", "P", "W"}));
  };
  std::thread a(worker), b(worker);
  a.join();
  b.join();
  auto t = e->scan_times();
  EXPECT_EQ(t.files, 10u);
  EXPECT_GT(t.file_typing, 0.0);
  EXPECT_GT(t.prefilter, 0.0);
  EXPECT_GT(t.verification, 0.0);
  EXPECT_GT(t.weak, 0.0);
  EXPECT_GT(t.pcre, 0.0);
  EXPECT_GT(t.logical, 0.0);
}

TEST(EngineBuild, BodySubsignaturesStaySmall) {
  // 160,905 subsignatures in main.ldb alone: the PCRE and byte-compare parts must not be carried by
  // every body subsignature.
  EXPECT_LE(sizeof(LogicalSubsignature), 128u);
  LogicalSubsignature body;
  EXPECT_TRUE(body.pcre().regex.empty());
  EXPECT_EQ(body.byte_compare().byte_count, 0u);
}

// Entry ids are 32 bits with the top bit marking a subsignature pattern: a set that would make ids
// collide is refused up front (checked with counts: 2^31 real entries cannot be built in a test).
std::string refusal(std::uint64_t bodies, std::uint64_t patterns, std::uint64_t subsignatures) {
  try {
    Engine::check_entry_counts(bodies, patterns, subsignatures);
  } catch (const Error &e) {
    EXPECT_EQ(e.input(), "engine");
    return e.reason();
  }
  return "";
}

TEST(EngineBuild, EntryCountsBeyondTheIdWidthsAreRefused) {
  constexpr std::uint64_t kBit = std::uint64_t{1} << 31, kWord = std::uint64_t{1} << 32;
  EXPECT_EQ(refusal(kBit - 1, kBit - 1, kWord - 1), "");
  EXPECT_EQ(refusal(0, 0, 0), "");
  EXPECT_EQ(refusal(kBit, 0, 0),
            "2147483648 body signatures (at most 2147483647: entry ids are 32 bits)");
  EXPECT_EQ(refusal(1, kBit, 1),
            "2147483648 subsignature patterns (at most 2147483647: entry ids are 32 bits)");
  EXPECT_EQ(refusal(1, 1, kWord),
            "4294967296 logical subsignatures (at most 4294967295: entry ids are 32 bits)");
}

} // namespace
} // namespace vg
