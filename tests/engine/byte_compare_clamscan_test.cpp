// Differential test against the installed clamscan (skipped without it): random byte-compare
// subsignatures (offset >>n / <<n, h d a i, l b, e, byte counts, one or two comparisons) in .ldb
// lines `0&1;4e4f54;0(...)`, random binary files with "NOT" at offset 8 and text or binary numbers
// around it; every line against every file, clamscan --allmatch versus
// parse_byte_compare_subsignature() + byte_compare_matches().
#include "engine/byte_compare.hpp"
#include "engine/clamscan_runner.hpp"
#include "signatures/byte_compare_subsignature.hpp"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace vg {
namespace {

TEST(ByteCompareClamscan, RandomSubsignaturesAgreeWithClamscan) {
  if (!test::have_clamscan())
    GTEST_SKIP() << "clamscan not installed";
  std::mt19937 rng(1127);
  auto pick = [&](std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
  };
  const std::uint8_t prefix[] = {0x00, 0x01, 0x02, 0x03, 0xfe, 0xfd, 0x80, 0x81};
  const std::vector<std::string> pieces = {"0x", "0X", "12",  "ab", "FF", "7", " ",  "\t",
                                           "-",  "+",  "9",   "x",  "0",  "g", "10", "c3",
                                           "00", "\n", "0x1", "e",  "5",  "Z", "3",  "20"};
  std::vector<std::vector<std::uint8_t>> files;
  for (int j = 0; j < 120; ++j) {
    std::vector<std::uint8_t> d(std::begin(prefix), std::end(prefix));
    for (char c : std::string("NOT"))
      d.push_back(static_cast<std::uint8_t>(c));
    std::size_t n = 2 + pick(10);
    for (std::size_t k = 0; k < n; ++k) {
      if (pick(6) == 0)
        d.push_back(static_cast<std::uint8_t>(pick(256)));
      else
        for (char c : pieces[pick(pieces.size())])
          d.push_back(static_cast<std::uint8_t>(c));
    }
    files.push_back(std::move(d));
  }

  const std::string encodings[] = {"h", "d", "a", "i", ""};
  const std::string endians[] = {"l", "b", ""};
  std::vector<std::string> fields;
  std::vector<ByteCompareSubsignature> sigs;
  for (int i = 0; i < 160; ++i) {
    std::string enc = encodings[pick(5)];
    std::string end = endians[pick(3)];
    if (enc == "d" && end == "l")
      end = "b";
    std::size_t count = enc == "i" ? std::size_t{1} << pick(4) : 1 + pick(enc == "h" ? 10 : 12);
    std::string opts = enc + end + (pick(3) == 0 ? "e" : "") + std::to_string(count);
    std::size_t shift = pick(8);
    std::string offset = shift == 0 ? "0" : (pick(4) == 0 ? "<<" : ">>") + std::to_string(shift);
    // Comparison values near what the field holds in one of the files, so that some hold.
    ByteCompareSubsignature probe;
    auto parsed = parse_byte_compare_subsignature("0(" + offset + "#" + opts + "#=0)");
    ASSERT_TRUE(parsed.ok()) << parsed.error;
    auto v = byte_compare_extract(parsed.sig, files[pick(files.size())], 8);
    long long base = v ? *v : static_cast<long long>(pick(300));
    auto cmp = [&]() {
      const char ops[] = "<>=";
      long long value = base + static_cast<long long>(pick(5)) - 2;
      return std::string(1, ops[pick(3)]) + std::to_string(value);
    };
    std::string comparisons = cmp();
    if (pick(3) == 0)
      comparisons += "," + cmp();
    std::string field = "0(" + offset + "#" + opts + "#" + comparisons + ")";
    auto p = parse_byte_compare_subsignature(field);
    ASSERT_TRUE(p.ok()) << field << ": " << p.error;
    fields.push_back(field);
    sigs.push_back(p.sig);
  }

  test::ClamscanRun run("bcomp-clamscan");
  std::ostringstream db;
  std::set<std::string> expected;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    db << "B" << i << ";Engine:101-255,Target:0;0&1;4e4f54;" << fields[i] << "\n";
    for (std::size_t j = 0; j < files.size(); ++j) {
      std::uint64_t trigger[] = {8};
      if (byte_compare_matches(sigs[i], files[j], trigger))
        expected.insert(run.found(j, "B" + std::to_string(i)));
    }
  }
  auto observed = run.run(db.str(), files);
  auto describe = [&](const std::string &line) {
    auto f = line.find("/f"), colon = line.find(": B"), dot = line.find('.', colon);
    std::size_t j = std::stoul(line.substr(f + 2, colon - f - 2));
    std::size_t i = std::stoul(line.substr(colon + 3, dot - colon - 3));
    auto v = byte_compare_extract(sigs[i], files[j], 8);
    return line + "  [" + fields[i] + " on " + test::hex_of(files[j]) + ", voxguard value " +
           (v ? std::to_string(*v) : "none") + "]";
  };
  test::expect_same_detections(expected, observed, describe, fields.size(), files.size());
}

} // namespace
} // namespace vg
