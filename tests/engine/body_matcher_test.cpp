// BodyMatcher tests: semantics (with cases observed on clamscan 1.4.6), edge cases, a property test
// against a brute-force reference matcher, atom distance consistency and bounded cost.
#include "common/file_bytes.hpp"
#include "engine/body_matcher.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>

namespace vg {
namespace {

std::vector<std::uint8_t> bytes(std::string_view s) {
  return {s.begin(), s.end()};
}

BodyMatcher compile(std::string_view hex) {
  auto r = parse_body_pattern(hex);
  EXPECT_TRUE(r.ok()) << hex << ": " << r.error;
  return BodyMatcher(r.pattern);
}

std::optional<BodyMatch> find_all(std::string_view hex, std::string_view data) {
  auto d = bytes(data);
  return compile(hex).find(d, 0, d.size());
}

TEST(BodyMatcher, ExactRunsAndEndOfBuffer) {
  auto m = find_all("616263", "xxabcxabc");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->start, 2u);
  EXPECT_EQ(m->end, 5u);
  EXPECT_TRUE(find_all("616263", "xxabc")); // ends exactly at the end of the data
  EXPECT_FALSE(find_all("616263", "xxab"));
  auto d = bytes("xxabcxabc");
  auto mm = compile("616263");
  EXPECT_EQ(mm.find(d, 3, 9)->start, 6u);
  EXPECT_FALSE(mm.find(d, 3, 5));
  EXPECT_FALSE(mm.find(d, 7, 100));
  EXPECT_TRUE(mm.match_at(d, 6));
  EXPECT_FALSE(mm.match_at(d, 5));
  EXPECT_FALSE(mm.match_at(d, 100));
  EXPECT_EQ(mm.min_length(), 3u);
}

TEST(BodyMatcher, NibblesAndWildcards) {
  EXPECT_TRUE(find_all("6f??727374????7879", "oprstuwxy"));
  EXPECT_TRUE(find_all("6?6164?26?62{3}?26162?361", "abcadbabcadbabcacb"));
  EXPECT_TRUE(find_all("61624?", "abO"));
  EXPECT_FALSE(find_all("61624?", "ab_"));
  EXPECT_TRUE(find_all("6162?f", "ab_"));
  EXPECT_FALSE(find_all("6162??", "ab")); // a wildcard still needs a byte
}

TEST(BodyMatcher, AlternationsOverlapAndBacktrack) {
  // The first alternative that matches is not always the one that leads to a match.
  EXPECT_TRUE(find_all("6161(62|6262)6263", "aabbbc"));
  EXPECT_TRUE(find_all("6161(6262|62)6263", "aabbc"));
  EXPECT_TRUE(find_all("6161(6a6a|66(6767|6868)66|6969)6161", "aafhhfaa"));
  EXPECT_FALSE(find_all("6161(6a6a|66(6767|6868)66|6969)6161", "aafghfaa"));
  EXPECT_TRUE(find_all("!(61|62)636363", "xacccc"));
  EXPECT_FALSE(find_all("!(61|62)636363", "xbccc"));
  auto m = find_all("6262(6162|6364|6265|6465){2}6363", "ebbbbbbbbeecccccddf");
  EXPECT_TRUE(m);
}

TEST(BodyMatcher, GapsBoundedUnboundedAndLarge) {
  EXPECT_TRUE(find_all("64[4-4]61616161{2}6262[3-6]65", "daaaaaaaaddbbbbbcce"));
  EXPECT_TRUE(find_all("616161*63636363*6565", "aaaabbbbcccccdddddeeee"));
  EXPECT_FALSE(find_all("616161*63636363*6565", "aaaabbbbcccccdddddeXeX"));
  EXPECT_TRUE(find_all("616161{-2}626262", "aaaXbbb"));
  EXPECT_FALSE(find_all("616161{2-}626262", "aaaXbbb"));
  EXPECT_TRUE(find_all("616161{2-}626262", "aaaXXXXXbbb"));
  // A large bounded gap at its exact limits.
  std::string big = "ab" + std::string(100000, 'x') + "cd";
  EXPECT_TRUE(find_all("6162{100000}6364", big));
  EXPECT_FALSE(find_all("6162{100001}6364", big));
  EXPECT_TRUE(find_all("6162{99990-100000}6364", big));
  EXPECT_FALSE(find_all("6162{0-99999}6364", big));
  // Many unbounded gaps; pieces must come in order and not overlap.
  EXPECT_TRUE(find_all("6162*6364*6566*6768*696a", "abXcdXefghXij"));
  EXPECT_FALSE(find_all("6162*6364*6566*6768*696a", "abXcdXghXefij"));
  EXPECT_FALSE(find_all("616263*636465", "xxabcdexx")); // clamscan 1.4.6: no overlap
  EXPECT_TRUE(find_all("616263*636465", "xxabcXcdexx"));
}

TEST(BodyMatcher, BoundariesAtBufferEdges) {
  EXPECT_TRUE(find_all("(B)616161", "aaax")); // start of data is a boundary
  EXPECT_TRUE(find_all("616161(B)", "xaaa")); // so is the end
  EXPECT_TRUE(find_all("(L)616161(L)", "aaa"));
  EXPECT_TRUE(find_all("(W)616161(W)", "aaa"));
  EXPECT_FALSE(find_all("616161!(W)", "xaaa")); // negated: end of data fails
  EXPECT_TRUE(find_all("616161!(W)", "xaaab"));
  EXPECT_FALSE(find_all("(B)616161", "xaaax"));
  EXPECT_TRUE(find_all("61616161(L)", "aaaa\r\n"));
  EXPECT_FALSE(find_all("61616161(L)", "aaaa\rx"));
}

// Observed with clamscan 1.4.6: an .ndb "T:0:*:HEX" and a data file (all >= 8 bytes), made binary
// by 32 bytes of 00 01 02 03 fe fd 80 81 before or after the text (otherwise clamscan also scans a
// normalised copy of a text file, where \t \v \f have become spaces).
struct Observed {
  const char *hex;
  const char *data;
  bool found;
};

TEST(BodyMatcher, AgreesWithClamscanObservations) {
  const Observed cases[] = {
      {"6161(B)6262", "xxxxaa bbxxxx", true},
      {"6161(B)6262", "xxxxaabbxxxx", false},
      {"6161(B)6262", "xxxxaa.bbxxxx", true},
      {"6161(B)6262", "xxxxaaxbbxxxx", false},
      {"6161(B)6262", "xxxxaa<bbxxxx", true},
      {"6161(B)6262", "xxxxaa\tbbxxxx",
       false}, // raw bytes: a tab is no boundary (clamscan matches it only in text files, after
               // normalisation turns it into a space)
      {"(B)616161", "xxxx aaaxxxx", true},
      {"(B)616161", "xxxxxaaaxxxx", false},
      {"(B)616161", "aaaxxxxxxxx", true},
      {"(B)616161", "xxxx.aaaxxxx", true},
      {"(B)616161", "xxxx\"aaaxxxx", false},
      {"(B)616161", "xxxx>aaaxxxx", false},
      {"(B)616161", "xxxx@aaaxxxx", true},
      {"616161(B)", "xxxxaaa\"xxxx", true},
      {"616161(B)", "xxxxaaa.xxxx", false},
      {"616161(B)", "xxxxxxxxaaa", true},
      {"616161(B)", "xxxxaaa<xxxx", false},
      {"616161(B)", "xxxxaaa=xxxx", true},
      {"616161{0}626262", "xxaaaXXbbbxx", true},
      {"616161{0-0}626262", "xxaaaXXbbbxx", true},
      {"616161{5-0}626262", "xxaaaXXbbbxx", false},
      {"616161{5-0}626262", "xxaaaXXXXXXbbbxx", true},
      {"616263*636465", "xxxxabcdexxx", false},
      {"616263*636465", "xxxxabcXcdexxx", true},
      {"!(B)616161", "xxxxxaaaxxxx", true},
      {"!(B)616161", "xxxx aaaxxxx", false},
      {"61616161(L)", "xxxxaaaa\r\nxx", true},
      {"61616161(L)", "xxxxaaaa\rxxxx", false},
      {"61616161(L)", "xxxxxxxxaaaa", true},
      {"(L)61616161", "xxxx\naaaaxx", true},
      {"(L)61616161", "xxxx\raaaaxx", false},
      {"6161(L)6262", "xxxaa\r\nbbxxx", false},
      {"6161(L)6262", "xxxaa\nbbxxx", true},
      {"6161(L)6262", "xxxaa\rbbxxx", false},
      {"6161(W)6262", "xxxaa-bbxxx", true},
      {"6161(W)6262", "xxxaaXbbxxx", false},
      {"6161!(W)6262", "xxxaaXbbxxx", true},
      {"6161!(B)6262", "xxxaaXbbxxx", true},
      {"6161!(B)6262", "xxxaa bbxxx", false},
      {"616161!(B)", "xxxaaaXxxx", true},
      {"616161!(B)", "xxxaaa xxx", false},
      {"(W)616161", "xxxx-aaaxxxx", true},
      {"(W)616161", "xxxxbaaaxxxx", false},
      {"616161(W)", "xxxxaaa_xxxx", true},
      {"61[1-2]626364", "xxxxaXbcdxxx", true},
      {"61[1-2]626364", "xxxxaXXXbcdxxx", false},
      {"61[1-2]626364", "xxxxabcdxxx", false},
      {"61[0-2]626364", "xxxxabcdxxx", true},
      {"626364[1-2]65", "xxxxbcdXexxx", true},
      {"61[1-2]6263[1-2]64", "xxxaXbcXdxxx", true},
      {"61[3]626364", "xxxxaXXXbcdxxx", true},
      {"!(61|62)636363", "xxxxaccccxxx", true},
      {"!(61|62)636363", "xxxxbcccxxx", false},
      {"!(6162|6364)656565", "xxxxxxeeexxx", true},
      {"6A6A6A", "xxxxjjjxxxx", true},
      {"(61(62|63)|64)656565", "xxacdeeexx", true},
      {"(61(62|63)|64)656565", "xxaceeexx", true},
      {"(61(62|63)|64)656565", "xxdeeexx", true},
      {"(61|62{2}63)646464", "xxadddxx", true},
      {"616161{-2}626262", "xxaaaXbbbxx", true},
      {"616161{2-}626262", "xxaaaXbbbxx", false},
      {"616161{2-}626262", "xxaaaXXXXXbbbxx", true},
  };
  for (const auto &c : cases)
    EXPECT_EQ(find_all(c.hex, c.data).has_value(), c.found) << c.hex << " on " << c.data;
}

TEST(BodyMatcher, WordBoundaryTableMatchesClamscan) {
  // Measured byte by byte with clamscan 1.4.6 on binary files (6161(B)6262, (B)616161, 616161(B)),
  // the same as libclamav's boundary[] table.
  const std::set<int> middle = {0x0a, 0x0d, 0x20, 0x22, 0x27, 0x2d, 0x2e,
                                0x2f, 0x3c, 0x3d, 0x3e, 0x40, 0x5f};
  const std::set<int> before = {0x20, 0x2d, 0x2e, 0x2f, 0x3c, 0x40, 0x5f};
  const std::set<int> after = {0x0a, 0x0d, 0x20, 0x22, 0x27, 0x2d, 0x2f, 0x3d, 0x3e, 0x5f};
  auto mid = compile("6161(B)6262"), left = compile("(B)616161"), right = compile("616161(B)");
  for (int b = 0; b < 256; ++b) {
    auto c = static_cast<char>(b);
    auto d1 = bytes(std::string("xxxxaa") + c + "bbxxxx");
    auto d2 = bytes(std::string("xxxx") + c + "aaaxxxx");
    auto d3 = bytes(std::string("xxxxaaa") + c + "xxxx");
    EXPECT_EQ(mid.find(d1, 0, d1.size()).has_value(), middle.count(b) == 1) << b;
    EXPECT_EQ(left.find(d2, 0, d2.size()).has_value(), before.count(b) == 1) << b;
    EXPECT_EQ(right.find(d3, 0, d3.size()).has_value(), after.count(b) == 1) << b;
  }
}

// ---- property test against a brute-force reference
// ------------------------------------------------

bool ref_alnum(std::uint8_t b) {
  return std::isalnum(b) != 0;
}

bool ref_boundary(const Boundary &b, const std::vector<std::uint8_t> &d, std::size_t p) {
  bool r;
  if (b.side == Boundary::Side::before) {
    if (p == 0)
      r = true;
    else if (b.kind == Boundary::Kind::word)
      r = std::string_view(" -./<@_").find(static_cast<char>(d[p - 1])) != std::string_view::npos;
    else if (b.kind == Boundary::Kind::line)
      r = d[p - 1] == '\n';
    else
      r = !ref_alnum(d[p - 1]);
  } else {
    if (p == d.size())
      r = true;
    else if (b.kind == Boundary::Kind::word)
      r = std::string_view("\n\r \"'-/=>_").find(static_cast<char>(d[p])) != std::string_view::npos;
    else if (b.kind == Boundary::Kind::line)
      r = d[p] == '\n' || (d[p] == '\r' && p + 1 < d.size() && d[p + 1] == '\n');
    else
      r = !ref_alnum(d[p]);
  }
  return r != b.negated;
}

bool ref_run(const ByteRun &r, const std::vector<std::uint8_t> &d, std::size_t p) {
  if (p + r.size() > d.size())
    return false;
  for (std::size_t i = 0; i < r.size(); ++i)
    if ((d[p + i] & r[i].mask) != r[i].value)
      return false;
  return true;
}

// All ends of matches of elements[i..] starting at p: plain recursion over every choice (each
// alternative, each gap length), with (i, p) pairs already explored skipped.
void ref_ends(const BodyPattern &pat, std::size_t i, const std::vector<std::uint8_t> &d,
              std::size_t p, std::set<std::size_t> &out,
              std::set<std::pair<std::size_t, std::size_t>> &seen) {
  if (!seen.insert({i, p}).second)
    return;
  if (i == pat.elements.size()) {
    out.insert(p);
    return;
  }
  const auto &el = pat.elements[i];
  if (auto *r = std::get_if<ByteRun>(&el)) {
    if (ref_run(*r, d, p))
      ref_ends(pat, i + 1, d, p + r->size(), out, seen);
  } else if (auto *a = std::get_if<Alternation>(&el)) {
    if (a->negated) {
      std::size_t len = a->alternatives[0].size();
      bool any = false;
      for (const auto &x : a->alternatives)
        any = any || ref_run(x, d, p);
      if (!any && p + len <= d.size())
        ref_ends(pat, i + 1, d, p + len, out, seen);
    } else {
      for (const auto &x : a->alternatives)
        if (ref_run(x, d, p))
          ref_ends(pat, i + 1, d, p + x.size(), out, seen);
    }
  } else if (auto *g = std::get_if<Gap>(&el)) {
    for (std::size_t x = p + g->min;
         x <= d.size() && (g->max == Gap::kUnbounded || x <= p + g->max); ++x)
      ref_ends(pat, i + 1, d, x, out, seen);
  } else if (ref_boundary(std::get<Boundary>(el), d, p)) {
    ref_ends(pat, i + 1, d, p, out, seen);
  }
}

std::optional<BodyMatch> ref_find(const BodyPattern &pat, const std::vector<std::uint8_t> &d,
                                  std::size_t lo, std::size_t hi) {
  for (std::size_t s = lo; s <= std::min(hi, d.size()); ++s) {
    std::set<std::size_t> ends;
    std::set<std::pair<std::size_t, std::size_t>> seen;
    ref_ends(pat, 0, d, s, ends, seen);
    if (!ends.empty())
      return BodyMatch{s, *ends.begin()};
  }
  return std::nullopt;
}

const std::uint8_t kAlphabet[] = {'a', 'b', 'A', ' ', '\n', 0x00};

ByteMatch random_byte(std::mt19937 &rng) {
  std::uint8_t v = kAlphabet[rng() % 6];
  switch (rng() % 8) {
  case 0:
    return ByteMatch{0, 0};
  case 1:
    return ByteMatch{static_cast<std::uint8_t>(v & 0xf0), 0xf0};
  case 2:
    return ByteMatch{static_cast<std::uint8_t>(v & 0x0f), 0x0f};
  default:
    return ByteMatch{v, 0xff};
  }
}

ByteRun random_run(std::mt19937 &rng, std::size_t len) {
  ByteRun r;
  for (std::size_t i = 0; i < len; ++i)
    r.push_back(random_byte(rng));
  return r;
}

BodyPattern random_pattern(std::mt19937 &rng) {
  BodyPattern p;
  std::size_t n = 1 + rng() % 6;
  for (std::size_t i = 0; i < n; ++i) {
    switch (rng() % 5) {
    case 0:
    case 1:
      p.elements.push_back(random_run(rng, 1 + rng() % 3));
      break;
    case 2: {
      Alternation a;
      a.negated = rng() % 4 == 0;
      std::size_t k = 1 + rng() % 3, fixed = 1 + rng() % 2;
      for (std::size_t j = 0; j < k; ++j)
        a.alternatives.push_back(random_run(rng, a.negated ? fixed : 1 + rng() % 3));
      p.elements.push_back(a);
      break;
    }
    case 3: {
      std::uint32_t lo = static_cast<std::uint32_t>(rng() % 3);
      p.elements.push_back(rng() % 3 == 0 ? Gap{lo, Gap::kUnbounded}
                                          : Gap{lo, lo + static_cast<std::uint32_t>(rng() % 4)});
      break;
    }
    default:
      p.elements.push_back(Boundary{static_cast<Boundary::Kind>(rng() % 3),
                                    static_cast<Boundary::Side>(rng() % 2), rng() % 4 == 0});
    }
  }
  return p;
}

bool atom_at(const Atom &a, const std::vector<std::uint8_t> &d, std::size_t pos) {
  if (pos + a.bytes.size() > d.size())
    return false;
  for (std::size_t i = 0; i < a.bytes.size(); ++i) {
    std::uint8_t b = d[pos + i];
    if (a.caseless && b >= 'A' && b <= 'Z')
      b = static_cast<std::uint8_t>(b | 0x20);
    if (b != a.bytes[i])
      return false;
  }
  return true;
}

bool atom_placed(const Atom &a, const std::vector<std::uint8_t> &d, const BodyMatch &m) {
  for (std::uint64_t dist = a.min_distance;
       dist <= a.max_distance && m.start + dist + a.bytes.size() <= d.size(); ++dist)
    if (atom_at(a, d, m.start + dist))
      return true;
  return false;
}

TEST(BodyMatcher, AgreesWithBruteForceReferenceOnRandomPatterns) {
  std::mt19937 rng(12345);
  std::size_t matched = 0, checked_atoms = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    BodyPattern p = random_pattern(rng);
    std::vector<std::uint8_t> d(rng() % 20);
    for (auto &b : d)
      b = kAlphabet[rng() % 6];
    std::size_t lo = rng() % (d.size() + 2), hi = lo + rng() % (d.size() + 2);
    BodyMatcher m(p);
    auto got = m.find(d, lo, hi);
    auto want = ref_find(p, d, lo, hi);
    ASSERT_EQ(got.has_value(), want.has_value()) << "iteration " << iter;
    if (!got)
      continue;
    ++matched;
    ASSERT_EQ(got->start, want->start) << "iteration " << iter;
    ASSERT_EQ(got->end, want->end) << "iteration " << iter;
    EXPECT_GE(got->end - got->start, m.min_length());
    Atom a = m.choose_atom();
    if (!a.bytes.empty()) {
      ++checked_atoms;
      ASSERT_TRUE(atom_placed(a, d, *got)) << "iteration " << iter;
    }
  }
  EXPECT_GT(matched, 2000u);
  EXPECT_GT(checked_atoms, 300u);
}

// Whether every check holds around an atom hit at `pos` (as Engine's AtomPlace::admits).
bool checks_hold(const std::vector<AtomCheck> &checks, const std::vector<std::uint8_t> &d,
                 std::size_t pos) {
  return std::all_of(checks.begin(), checks.end(), [&](const AtomCheck &c) {
    const std::int64_t p = static_cast<std::int64_t>(pos) + c.offset;
    return p >= 0 && static_cast<std::size_t>(p) < d.size() &&
           (d[static_cast<std::size_t>(p)] & c.mask) == c.value;
  });
}

TEST(BodyMatcher, AtomChecksHoldAroundTheAtomOfEveryMatch) {
  // Soundness of skipping a hit that fails a check: every start at which the reference finds a
  // match has an atom occurrence, within the atom's distances, where all checks hold. Atoms are
  // also shortened and moved past leading NUL bytes, as the engine does before the prefilter.
  std::mt19937 rng(4242);
  std::size_t matched = 0, with_checks = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    BodyPattern p = random_pattern(rng);
    BodyMatcher m(p);
    Atom a = m.choose_atom();
    if (a.bytes.empty())
      continue;
    if (iter % 2) {
      while (a.bytes.size() > 1 && a.bytes[0] == 0) {
        a.bytes.erase(a.bytes.begin());
        ++a.min_distance;
        if (a.max_distance != Gap::kUnbounded)
          ++a.max_distance;
      }
      a.bytes.resize(std::min<std::size_t>(a.bytes.size(), 1 + rng() % 2));
    }
    const std::vector<AtomCheck> checks = m.atom_checks(a, 1 + rng() % 4);
    with_checks += !checks.empty();
    std::vector<std::uint8_t> d(rng() % 24);
    for (auto &b : d)
      b = kAlphabet[rng() % 6];
    for (std::size_t s = 0; s <= d.size(); ++s) {
      std::set<std::size_t> ends;
      std::set<std::pair<std::size_t, std::size_t>> seen;
      ref_ends(p, 0, d, s, ends, seen);
      if (ends.empty())
        continue;
      ++matched;
      bool admitted = false;
      for (std::uint64_t dist = a.min_distance;
           !admitted && dist <= a.max_distance && s + dist + a.bytes.size() <= d.size(); ++dist)
        admitted = atom_at(a, d, s + dist) && checks_hold(checks, d, s + dist);
      ASSERT_TRUE(admitted) << "iteration " << iter << ", start " << s;
    }
  }
  EXPECT_GT(matched, 3000u);
  EXPECT_GT(with_checks, 3000u);
}

TEST(BodyMatcher, AtomChecksAreTheFixedBytesAroundTheAtom) {
  // Atom "CDEFGH" three bytes after the start; A and B are fixed before it across a ??.
  auto m = compile("4142??434445464748");
  Atom a = m.choose_atom();
  ASSERT_EQ(a.min_distance, 3u);
  ASSERT_EQ(a.bytes, bytes("CDEFGH"));
  auto checks = m.atom_checks(a, 8);
  ASSERT_EQ(checks.size(), 2u);
  std::set<std::int16_t> offsets{checks[0].offset, checks[1].offset};
  EXPECT_EQ(offsets, (std::set<std::int16_t>{-3, -2}));
  EXPECT_TRUE(checks_hold(checks, bytes("AB-CDEFGH"), 3));
  EXPECT_FALSE(checks_hold(checks, bytes("AX-CDEFGH"), 3));
  EXPECT_FALSE(checks_hold(checks, bytes("CDEFGH"), 0)); // would lie before the data
  // A shortened atom leaves its tail to the checks; the number of checks is bounded.
  Atom shortened = a;
  shortened.bytes.resize(4);
  checks = m.atom_checks(shortened, 8);
  EXPECT_EQ(checks.size(), 4u);
  EXPECT_FALSE(checks_hold(checks, bytes("AB-CDEFXX"), 3));
  EXPECT_EQ(m.atom_checks(shortened, 1).size(), 1u);
  // Behind a variable gap nothing is at a fixed distance.
  auto v = compile("4142{1-2}434445464748");
  EXPECT_TRUE(v.atom_checks(v.choose_atom(), 8).empty());
  // A caseless atom: the prefilter matched the exact letter K in either case, so it is checked;
  // the case pairs are not (the prefilter established them), the nibble after them is.
  auto r = parse_body_pattern("21214b(61|41)(62|42)(63|43)(64|44)(65|45)3?");
  ASSERT_TRUE(r.ok()) << r.error;
  BodyMatcher c(r.pattern);
  Atom ca = c.choose_atom();
  ASSERT_TRUE(ca.caseless);
  ASSERT_EQ(ca.bytes, bytes("!!kabcde"));
  checks = c.atom_checks(ca, 8);
  ASSERT_EQ(checks.size(), 2u);
  EXPECT_TRUE(checks_hold(checks, bytes("!!KaBcDe3x"), 0));
  EXPECT_FALSE(checks_hold(checks, bytes("!!kaBcDe3x"), 0));
  EXPECT_FALSE(checks_hold(checks, bytes("!!KaBcDeAx"), 0));
}

TEST(BodyMatcher, LaterSegmentsAreFoundAcrossSearchWindows) {
  // A segment after * is searched forward in growing windows, jumping to its first byte: the
  // first full occurrence lies far past many partial ones and past several window borders.
  std::string text(300000, 'x');
  for (std::size_t i = 7; i < text.size(); i += 97)
    text[i] = '|';
  text.replace(100, 2, "ab");
  text.replace(199990, 6, "|stat!");
  text.replace(250000, 6, "|stat!");
  auto d = bytes(text);
  auto m = compile("6162*7c7374617421").find(d, 0, d.size());
  ASSERT_TRUE(m);
  EXPECT_EQ(m->start, 100u);
  EXPECT_EQ(m->end, 199996u);
  // The same first segment without any later occurrence of its tail: no match.
  text.replace(199990, 6, "|stat?");
  text.replace(250000, 6, "|stat?");
  d = bytes(text);
  EXPECT_FALSE(compile("6162*7c7374617421").find(d, 0, d.size()));
  // A fixed first segment found by its first byte, over a window of many starts.
  EXPECT_EQ(compile("7c7374617421").find(bytes(text + "|stat!"), 0, text.size())->start,
            text.size());
}

TEST(BodyMatcher, AtomDistancesHoldForParsedPatterns) {
  // Parsed patterns with alternations of different lengths and gaps before the atom.
  const std::pair<const char *, const char *> cases[] = {
      {"(61|6262|636363)2121??{2-5}7a7a7a7a7a", "bb!!QXXXzzzzz"},
      {"4141(42|4343)*6d6f7265207468616e20656e6f756768", "AACCxxxmore than enough"},
      {"61[1-3]62636465666768", "aXXbcdefgh"},
  };
  for (const auto &[hex, text] : cases) {
    auto m = compile(hex);
    auto d = bytes(text);
    auto hit = m.find(d, 0, d.size());
    ASSERT_TRUE(hit) << hex;
    Atom a = m.choose_atom();
    ASSERT_FALSE(a.bytes.empty());
    EXPECT_TRUE(atom_placed(a, d, *hit)) << hex;
  }
  Atom a = compile("6161(62|6363){1-4}4d5a9000030000000400*ffff").choose_atom();
  EXPECT_EQ(a.min_distance, 2u + 1 + 1);
  EXPECT_EQ(a.max_distance, 2u + 2 + 4);
  Atom u = compile("0000000000*e8000000005d81ed").choose_atom();
  EXPECT_EQ(u.max_distance,
            Gap::kUnbounded); // the rare run behind the * wins over zeros
  EXPECT_EQ(u.min_distance, 5u);
}

TEST(BodyMatcher, AtomPrefersRareLongRuns) {
  Atom a = compile("00000000000000ffffffff??e8????????5d81ed12345678").choose_atom();
  ASSERT_GE(a.bytes.size(), 4u);
  EXPECT_EQ(a.bytes[0], 0x5d);
  EXPECT_EQ(a.min_distance, 17u);
  EXPECT_EQ(a.max_distance, 17u);
  EXPECT_LT(atom_score(std::vector<std::uint8_t>(8, 0x00)), atom_score(bytes("\x5d\x81\xed\x12")));
  EXPECT_LT(atom_score(bytes("    ")), atom_score(bytes("GetP")));
  EXPECT_LT(atom_score(bytes("AAAAAAAA")), atom_score(bytes("AbCdEfGh")));
  EXPECT_LT(atom_score(bytes("ab")), atom_score(bytes("abcd")));
  BodyPatternOptions i;
  i.nocase = true;
  auto r = parse_body_pattern("47657450726f6341646472657373", i);
  ASSERT_TRUE(r.ok());
  Atom c = BodyMatcher(r.patterns[0]).choose_atom();
  EXPECT_TRUE(c.caseless);
  EXPECT_EQ(std::string(c.bytes.begin(), c.bytes.end()), "getprocaddress");
}

TEST(BodyMatcher, CostStaysBoundedOnHostileInput) {
  // Nested choices that would make a backtracking matcher explode, over 1 MiB of near misses.
  std::string hex = "6161";
  for (int i = 0; i < 12; ++i)
    hex += "(61|6161|616161)?"
           "?(61|6161)";
  hex += "6262";
  auto m = compile(hex);
  std::vector<std::uint8_t> d(1 << 20, 'a');
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(m.find(d, 0, d.size()));
  auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(secs, 20.0);
  // Many unbounded gaps whose last piece never occurs: one forward pass, not one per start.
  auto star = compile("6161*6161*6161*6161*6161*7a7a");
  t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(star.find(d, 0, d.size()));
  secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(secs, 5.0);
  std::cout << "hostile patterns over 1 MiB: done\n";
}

// Observed with clamscan 1.4.6: an .ldb "T;Engine:81-255,Target:0;0;HEX::MODS" and a data file.
TEST(BodyMatcher, ModifiersAgreeWithClamscanObservations) {
  struct Case {
    const char *hex, *mods;
    std::string data;
    bool found;
  };
  using namespace std::string_literals;
  const Case cases[] = {
      {"68656c6c6f", "i", "xxHeLLoxxxx", true},
      {"68656c6c6f(20|2d)776f726c64", "i", "xxHELLO-World", true},
      {"68656c6c6f", "w", "xxh\0e\0l\0l\0o\0xx"s, true},
      {"68656c6c6f", "wa", "xxhelloxxxx", true},
      {"68656c6c6f", "f", "xx hello xx", true},
      {"68656c6c6f", "f", "xxhelloxxxx", false},
      {"68656c6c6f", "fw", "x\0 \0h\0e\0l\0l\0o\0.\0"s, true},
      {"68656c6c6f", "fw", "x\0a\0h\0e\0l\0l\0o\0.\0"s, false},
      {"6865[1-2]6c6c6f", "w", "xxh\0e\0Z\0l\0l\0o\0xx"s, true},
      {"68656c6c6f", "iw", "xxH\0E\0l\0L\0o\0xx"s, true},
  };
  for (const auto &c : cases) {
    std::string mods = c.mods;
    BodyPatternOptions o;
    o.nocase = mods.find('i') != std::string::npos;
    o.wide = mods.find('w') != std::string::npos;
    o.fullword = mods.find('f') != std::string::npos;
    o.ascii = mods.find('a') != std::string::npos;
    auto r = parse_body_pattern(c.hex, o);
    ASSERT_TRUE(r.ok()) << c.hex << "::" << mods << ": " << r.error;
    auto d = bytes(c.data);
    bool found = false;
    for (const auto &p : r.patterns)
      found = found || BodyMatcher(p).find(d, 0, d.size()).has_value();
    EXPECT_EQ(found, c.found) << c.hex << "::" << mods;
  }
  // clamscan: "Can't apply negation operation to generic alternate strings".
  BodyPatternOptions i;
  i.nocase = true;
  EXPECT_FALSE(parse_body_pattern("!(61|62)636363", i).ok());
}

// ---- real signatures ---------------------------------------------------------------------------

std::filesystem::path clamav_data() {
  return std::filesystem::path(VOXGUARD_SHARED_DATA) / "clamav";
}

TEST(BodyMatcher, FindsEveryAlertBodySignatureInTheAllmatchTestExe) {
  auto dir = clamav_data() / "unittests/pe_allmatch";
  if (!std::filesystem::exists(dir / "test.exe"))
    GTEST_SKIP() << "shared data missing: " << dir;
  auto exe = testing::read_file_bytes(dir / "test.exe");
  std::size_t checked = 0;
  for (const auto &entry : std::filesystem::directory_iterator(dir / "alert-sigs")) {
    auto ext = entry.path().extension();
    if (ext != ".ndb" && ext != ".ldb")
      continue;
    std::ifstream in(entry.path());
    for (std::string line; std::getline(in, line);) {
      // .ndb: name:target:offset:hex   .ldb: name;tdb;expr;subsig0 (plain hex here)
      std::string hex = line.substr(line.find_last_of(ext == ".ndb" ? ':' : ';') + 1);
      auto m = compile(hex);
      auto hit = m.find(exe, 0, exe.size());
      EXPECT_TRUE(hit) << entry.path().filename() << ": " << hex;
      ++checked;
    }
  }
  EXPECT_GE(checked, 20u);
}

TEST(BodyMatcher, EveryRealSignatureGetsAnAtom) {
  const std::pair<const char *, char> files[] = {{"official-talos-subset/main.ldb", ';'},
                                                 {"official-talos-subset/daily.ndb", ':'},
                                                 {"rfxn-lmd/rfxn.ndb", ':'}};
  if (!std::filesystem::exists(clamav_data() / files[0].first))
    GTEST_SKIP() << "shared data missing: " << clamav_data();
  std::vector<double> scores;
  std::size_t total = 0, short_atoms = 0, unbounded = 0, caseless = 0, zero_start = 0;
  for (const auto &[name, sep] : files) {
    std::ifstream in(clamav_data() / name);
    for (std::string line; std::getline(in, line);) {
      std::vector<std::string> f;
      std::stringstream ss(line);
      for (std::string x; std::getline(ss, x, sep);)
        f.push_back(x);
      if (f.size() < 4)
        continue;
      std::vector<std::string> subs(f.begin() + 3, sep == ':' ? f.begin() + 4 : f.end());
      for (auto sub : subs) {
        std::string mods;
        if (auto m = sub.find("::"); m != std::string::npos)
          mods = sub.substr(m + 2), sub.resize(m);
        if (sub.find_first_of("/$#") != std::string::npos)
          continue;
        if (auto colon = sub.rfind(':'); colon != std::string::npos)
          sub = sub.substr(colon + 1);
        BodyPatternOptions o;
        o.nocase = mods.find('i') != std::string::npos;
        o.wide = mods.find('w') != std::string::npos;
        o.fullword = mods.find('f') != std::string::npos;
        o.ascii = mods.find('a') != std::string::npos;
        auto r = parse_body_pattern(sub, o);
        ASSERT_TRUE(r.ok()) << name << ": " << sub << ": " << r.error;
        for (const auto &p : r.patterns) {
          Atom a = BodyMatcher(p).choose_atom();
          ASSERT_GE(a.bytes.size(), 2u) << name << ": " << sub;
          ++total;
          scores.push_back(a.score);
          short_atoms += a.bytes.size() < 4;
          unbounded += a.max_distance == Gap::kUnbounded;
          caseless += a.caseless;
          zero_start += a.bytes[0] == 0;
        }
      }
    }
  }
  std::sort(scores.begin(), scores.end());
  std::cout << total << " patterns: atoms shorter than 4 bytes " << short_atoms << ", behind an "
            << "unbounded gap " << unbounded << ", caseless " << caseless << ", starting with 00 "
            << zero_start << "; score p10 " << scores[scores.size() / 10] << " median "
            << scores[scores.size() / 2] << "\n";
  EXPECT_GT(total, 150000u);
  EXPECT_LT(short_atoms * 100, total); // fewer than 1% of atoms are that short
}

TEST(BodyMatcher, AtomScoreIsTheScoreOfItsBytes) {
  // choose_atom() scores candidates incrementally; the score it reports must be the one
  // atom_score() gives the same bytes (for exact, case-sensitive atoms).
  std::mt19937 rng(777);
  std::size_t checked = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    std::string hex;
    for (int k = 0, n = 2 + static_cast<int>(rng() % 40); k < n; ++k) {
      static const char *kPieces[] = {"00", "ff", "41", "4d5a", "e8", "??", "20", "7a", "c3"};
      hex += kPieces[rng() % 9];
    }
    if (hex.find("????") != std::string::npos || hex.substr(0, 2) == "??" ||
        hex.substr(hex.size() - 2) == "??")
      continue;
    auto r = parse_body_pattern(hex);
    if (!r.ok())
      continue;
    Atom a = BodyMatcher(r.pattern).choose_atom();
    if (a.bytes.empty())
      continue;
    ++checked;
    ASSERT_EQ(a.score, atom_score(a.bytes)) << hex;
    ASSERT_LE(a.bytes.size(), 16u) << hex;
  }
  EXPECT_GT(checked, 1000u);
}

TEST(BodyMatcher, ChoosingAnAtomIsLinearInThePatternLength) {
  // 64 KiB of exact bytes: every start is extended to 16 bytes at most, scored incrementally.
  std::string hex;
  std::mt19937 rng(5);
  for (int i = 0; i < 65536; ++i) {
    static const char *kHex = "0123456789abcdef";
    hex += kHex[rng() % 16];
    hex += kHex[rng() % 16];
  }
  auto r = parse_body_pattern(hex);
  ASSERT_TRUE(r.ok());
  BodyMatcher m(r.pattern);
  auto t0 = std::chrono::steady_clock::now();
  Atom a = m.choose_atom();
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(a.bytes.size(), 16u);
  EXPECT_LT(s, 2.0); // ~20 ms; a choice quadratic in the run length would take minutes
}

TEST(BodyMatcher, CopiesShareOneLazilyCompiledFormAcrossThreads) {
  auto r = parse_body_pattern("6162(63|64){1-3}6566*666768");
  ASSERT_TRUE(r.ok());
  const BodyMatcher original(r.pattern);
  const BodyMatcher copy = original; // shares the pattern and its compiled form
  EXPECT_EQ(&copy.pattern(), &original.pattern());
  auto d = bytes("xxabcd..ef.fghxx");
  std::vector<std::thread> threads;
  std::atomic<int> found{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      const BodyMatcher &m = t % 2 ? copy : original;
      for (int i = 0; i < 200; ++i) {
        auto hit = m.find(d, 0, d.size());
        if (hit && hit->start == 2 && hit->end == 14)
          ++found;
      }
    });
  for (auto &t : threads)
    t.join();
  EXPECT_EQ(found.load(), 800);
}

// Built from a packed pattern, the matcher keeps it packed and unpacks it once, on the first use,
// even when that first use happens on several threads at once (every one sees the same pattern,
// minimum length and matches).
TEST(BodyMatcher, PackedPatternIsUnpackedOnceOnFirstUse) {
  auto r = parse_body_pattern("6162(63|6465){1-3}6566*666768");
  ASSERT_TRUE(r.ok());
  const PackedPattern packed = PackedPattern::pack(r.pattern);
  auto d = bytes("xxabdeX.ef.fghxx");
  for (int round = 0; round < 20; ++round) {
    const BodyMatcher m(packed);
    EXPECT_TRUE(m.packed() == packed);
    std::vector<std::thread> threads;
    std::atomic<int> ok{0};
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([&, t] {
        bool good = t % 2 ? m.min_length() == 9 : true;
        auto hit = m.find(d, 0, d.size());
        good = good && hit && hit->start == 2 && hit->end == 14 && m.min_length() == 9;
        ok += good;
      });
    for (auto &t : threads)
      t.join();
    EXPECT_EQ(ok.load(), 4);
    EXPECT_TRUE(m.pattern() == r.pattern);
    EXPECT_EQ(&m.pattern(), &BodyMatcher(m).pattern());
  }
}

} // namespace
} // namespace vg
