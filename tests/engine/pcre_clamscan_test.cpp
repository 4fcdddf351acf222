// Differential test against the installed clamscan (skipped without it): random PCRE
// subsignatures (regex, flags g r e i s m x A E U, offsets *, n, n,maxshift, EOF-n, EOF-n,maxshift)
// in .ldb lines, random binary files; every line is scanned against every file by clamscan
// --allmatch and by parse_pcre_subsignature() + PcreMatcher, which must agree on whether
// subsignature 1 matched
// (`0&1`) and on how many times it counted (`0&1=N`).
#include "engine/clamscan_runner.hpp"
#include "engine/pcre_matcher.hpp"
#include "signatures/pcre_subsignature.hpp"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace vg {
namespace {

struct Case {
  std::string field; // Offset:0/regex/flags
  std::vector<std::uint8_t> data;
};

std::size_t count_matches(const PcreMatcher &m, const std::vector<std::uint8_t> &data) {
  OffsetContext ctx;
  ctx.file_size = data.size();
  std::size_t n = 0;
  m.scan(data, ctx, [&](std::uint64_t) {
    ++n;
    return true;
  });
  return n;
}

TEST(PcreClamscan, RandomSubsignaturesAgreeWithClamscan) {
  if (!test::have_clamscan())
    GTEST_SKIP() << "clamscan not installed";
  std::mt19937 rng(20261127);
  auto pick = [&](std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
  };
  const std::vector<std::string> regexes = {
      "ab",       "a+b",    "b",      "(ab)+", "a.b",   "^a",   "b$",     "a*b",
      "[ab]{2}",  "ba|ab",  "\\x61b", "A",     "a\\nb", "^b",   "(?=b)b", "bb?",
      "(a|b)*?a", "a{2,3}", "\\Ab",   "b\\Z",  "a b",   "a+?b", "^a.*b$", "a\\n^b"};
  const std::string flag_set = "greismxAEU";
  const std::uint8_t binary_prefix[] = {0x00, 0x01, 0x02, 0x03, 0xfe, 0xfd, 0x80, 0x81};
  const std::string alphabet = "abAB\n";

  std::vector<Case> cases;
  for (int i = 0; i < 150; ++i) {
    Case c;
    c.data.assign(std::begin(binary_prefix), std::end(binary_prefix));
    for (char ch : std::string("NOT"))
      c.data.push_back(static_cast<std::uint8_t>(ch));
    std::size_t len = pick(40);
    for (std::size_t k = 0; k < len; ++k)
      c.data.push_back(static_cast<std::uint8_t>(alphabet[pick(alphabet.size())]));
    std::string flags;
    for (char f : flag_set)
      if (pick(4) == 0)
        flags += f;
    std::string offset;
    switch (pick(5)) {
    case 0:
      offset = "*";
      break;
    case 1:
      offset = std::to_string(pick(c.data.size() + 3));
      break;
    case 2:
      offset = std::to_string(pick(c.data.size() + 3)) + "," + std::to_string(pick(12));
      break;
    case 3:
      offset = "EOF-" + std::to_string(pick(c.data.size() + 3));
      break;
    default:
      offset = "EOF-" + std::to_string(pick(c.data.size() + 3)) + "," + std::to_string(pick(12));
    }
    c.field = offset + ":0/" + regexes[pick(regexes.size())] + "/" + flags;
    cases.push_back(std::move(c));
  }

  std::vector<PcreMatcher> matchers;
  for (const auto &c : cases) {
    auto p = parse_pcre_subsignature(c.field);
    ASSERT_TRUE(p.ok()) << c.field << ": " << p.error;
    auto m = PcreMatcher::compile(p.sig);
    ASSERT_TRUE(m.ok()) << c.field << ": " << m.error;
    matchers.push_back(std::move(*m.matcher));
  }
  // counts[i][j]: matches of line i's subsignature in file j.
  std::vector<std::vector<std::size_t>> counts(cases.size());
  for (std::size_t i = 0; i < cases.size(); ++i)
    for (const auto &c : cases)
      counts[i].push_back(count_matches(matchers[i], c.data));

  test::ClamscanRun run("pcre-clamscan");
  std::ostringstream db;
  std::set<std::string> expected;
  std::vector<std::vector<std::uint8_t>> files;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    files.push_back(cases[i].data);
    std::string head = "Engine:81-255,Target:0";
    db << "C" << i << "Any;" << head << ";0&1;4e4f54;" << cases[i].field << "\n";
    std::size_t own = counts[i][i];
    if (own > 0)
      db << "C" << i << "Cnt;" << head << ";0&1=" << own << ";4e4f54;" << cases[i].field << "\n";
    for (std::size_t j = 0; j < cases.size(); ++j) {
      if (counts[i][j] > 0)
        expected.insert(run.found(j, "C" + std::to_string(i) + "Any"));
      if (own > 0 && counts[i][j] == own)
        expected.insert(run.found(j, "C" + std::to_string(i) + "Cnt"));
    }
  }
  auto observed = run.run(db.str(), files);
  auto describe = [&](const std::string &line) {
    // "DIR/fJ: CiAny.UNOFFICIAL FOUND" -> the subsignature and the data.
    auto f = line.find("/f"), colon = line.find(": C"), kind = line.find_first_of("AC", colon + 3);
    std::size_t j = std::stoul(line.substr(f + 2, colon - f - 2));
    std::size_t i = std::stoul(line.substr(colon + 3, kind - colon - 3));
    return line + "  [" + cases[i].field + " on " + test::hex_of(cases[j].data) +
           ", voxguard count " + std::to_string(counts[i][j]) + "]";
  };
  test::expect_same_detections(expected, observed, describe, cases.size(), cases.size());
}

} // namespace
} // namespace vg
