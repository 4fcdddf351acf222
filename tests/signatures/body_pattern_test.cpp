// Grammar tests for parse_body_pattern(): every construct, every error, and every body subsignature
// of the real ClamAV databases in the shared test data.
#include "signatures/body_pattern.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace vg {
namespace {

BodyPattern ok(std::string_view hex) {
  auto r = parse_body_pattern(hex);
  EXPECT_TRUE(r.ok()) << hex << ": " << r.error;
  return r.pattern;
}

std::string err(std::string_view hex) {
  auto r = parse_body_pattern(hex);
  EXPECT_FALSE(r.ok()) << hex << " parsed";
  return r.error;
}

ByteMatch B(std::uint8_t v) {
  return ByteMatch{v, 0xff};
}

TEST(BodyPattern, HexBytesAndNibbles) {
  auto p = ok("6f6E??7A4?");
  ASSERT_EQ(p.elements.size(), 1u);
  auto run = std::get<ByteRun>(p.elements[0]);
  ASSERT_EQ(run.size(), 5u);
  EXPECT_EQ(run[1], B(0x6e)); // upper case hex accepted
  EXPECT_EQ(run[2], (ByteMatch{0, 0}));
  EXPECT_EQ(run[3], B(0x7a));
  EXPECT_EQ(run[4], (ByteMatch{0x40, 0xf0}));
  auto q = ok("6162?3");
  EXPECT_EQ(std::get<ByteRun>(q.elements[0])[2], (ByteMatch{0x03, 0x0f}));
}

TEST(BodyPattern, Gaps) {
  // {n} with n < 128 is expanded in place; other gaps split parts but mean the same range.
  EXPECT_EQ(ok("6161{3}6262").elements[1], (PatternElement{Gap{3, 3}}));
  EXPECT_EQ(ok("6161{300}6262").elements[1], (PatternElement{Gap{300, 300}}));
  EXPECT_EQ(ok("6161{-5}6262").elements[1], (PatternElement{Gap{0, 5}}));
  EXPECT_EQ(ok("6161{5-}6262").elements[1], (PatternElement{Gap{5, Gap::kUnbounded}}));
  EXPECT_EQ(ok("6161{2-7}6262").elements[1], (PatternElement{Gap{2, 7}}));
  EXPECT_EQ(ok("6161*6262").elements[1], (PatternElement{Gap{0, Gap::kUnbounded}}));
  // ClamAV keeps a split gap as (min, max) with max 0 meaning "no limit" (clamscan 1.4.6 matches
  // 616161{0}626262 on "aaaXXbbb").
  EXPECT_EQ(ok("616161{0}626262").elements[1], (PatternElement{Gap{0, Gap::kUnbounded}}));
  EXPECT_EQ(ok("616161{5-0}626262").elements[1], (PatternElement{Gap{5, Gap::kUnbounded}}));
  // Neighbouring gaps merge; leading/trailing inline gaps are allowed.
  EXPECT_EQ(ok("6161{2}{3}6262").elements[1], (PatternElement{Gap{5, 5}}));
  EXPECT_EQ(ok("{2}6161").elements[0], (PatternElement{Gap{2, 2}}));
  EXPECT_EQ(ok("6161{2}").elements[1], (PatternElement{Gap{2, 2}}));
}

TEST(BodyPattern, Alternations) {
  auto p = ok("6161(62|63|64)6161");
  auto alt = std::get<Alternation>(p.elements[1]);
  EXPECT_FALSE(alt.negated);
  ASSERT_EQ(alt.alternatives.size(), 3u);
  EXPECT_EQ(alt.alternatives[2], (ByteRun{B(0x64)}));
  auto m = std::get<Alternation>(ok("6161(6262|63636363|6464646464)6161").elements[1]);
  EXPECT_EQ(m.alternatives[1].size(), 4u);
  // Nested (generic) alternations are expanded into plain strings.
  auto g = std::get<Alternation>(ok("6161(6a6a|66(6767|6868)66|6969)6161").elements[1]);
  ASSERT_EQ(g.alternatives.size(), 4u);
  EXPECT_EQ(g.alternatives[1], (ByteRun{B(0x66), B(0x67), B(0x67), B(0x66)}));
  EXPECT_EQ(g.alternatives[2], (ByteRun{B(0x66), B(0x68), B(0x68), B(0x66)}));
  // Wildcards and inline gaps inside alternatives.
  auto w = std::get<Alternation>(ok("(61|62{2}63|6?)646464").elements[0]);
  EXPECT_EQ(w.alternatives[1], (ByteRun{B(0x62), ByteMatch{0, 0}, ByteMatch{0, 0}, B(0x63)}));
  EXPECT_EQ(w.alternatives[2], (ByteRun{ByteMatch{0x60, 0xf0}}));
  auto n = std::get<Alternation>(ok("!(6162|6364)656565").elements[0]);
  EXPECT_TRUE(n.negated);
}

TEST(BodyPattern, AnchoredByteRanges) {
  auto p = ok("61[1-2]626364");
  ASSERT_EQ(p.elements.size(), 3u);
  EXPECT_EQ(p.elements[0], (PatternElement{ByteRun{B(0x61)}}));
  EXPECT_EQ(p.elements[1], (PatternElement{Gap{1, 2}}));
  auto q = ok("626364[0-32]65");
  EXPECT_EQ(q.elements[1], (PatternElement{Gap{0, 32}}));
  EXPECT_EQ(ok("61[3]626364").elements[1], (PatternElement{Gap{3, 3}}));
  auto both = ok("61[1-2]6263[1-2]64");
  ASSERT_EQ(both.elements.size(), 5u);
  EXPECT_EQ(both.elements[4], (PatternElement{ByteRun{B(0x64)}}));
  EXPECT_EQ(ok("??[1-2]626364").elements[0], (PatternElement{ByteRun{ByteMatch{0, 0}}}));
}

TEST(BodyPattern, Boundaries) {
  // At the edges of a part: zero-width tests.
  auto p = ok("(B)616161(L)");
  ASSERT_EQ(p.elements.size(), 3u);
  EXPECT_EQ(p.elements[0],
            (PatternElement{Boundary{Boundary::Kind::word, Boundary::Side::before}}));
  EXPECT_EQ(p.elements[2], (PatternElement{Boundary{Boundary::Kind::line, Boundary::Side::after}}));
  auto neg = ok("616161!(W)");
  EXPECT_EQ(neg.elements[1],
            (PatternElement{Boundary{Boundary::Kind::non_alnum, Boundary::Side::after, true}}));
  // Part edges next to * are edges too.
  auto parts = ok("6161(B)*(W)6262");
  EXPECT_TRUE(std::holds_alternative<Boundary>(parts.elements[1]));
  EXPECT_TRUE(std::holds_alternative<Boundary>(parts.elements[3]));
  // In the middle they consume one byte of their class.
  auto mid = std::get<Alternation>(ok("6161(B)6262").elements[1]);
  EXPECT_EQ(mid.alternatives.size(), 13u);
  EXPECT_FALSE(mid.negated);
  auto midw = std::get<Alternation>(ok("6161(W)6262").elements[1]);
  EXPECT_TRUE(midw.negated); // "not one of the 62 alphanumerics"
  EXPECT_EQ(midw.alternatives.size(), 62u);
  auto midl = std::get<Alternation>(ok("6161(L)6262").elements[1]);
  EXPECT_EQ(midl.alternatives, (std::vector<ByteRun>{{B(0x0a)}}));
  // "!(B)" at the start is not an edge in ClamAV (the '!' comes first): it consumes a byte.
  auto lead = std::get<Alternation>(ok("!(B)616161").elements[0]);
  EXPECT_TRUE(lead.negated);
}

struct Bad {
  const char *hex;
  const char *reason;
};

TEST(BodyPattern, RejectsMalformedTextWithReasonAndColumn) {
  const Bad cases[] = {
      {"", "empty pattern"},
      {"616", "odd number of hex digits at column 3"},
      {"6161(62|63", "unbalanced '(' at column 5"},
      {"616162|63)", "unbalanced ')' at column 10"},
      {"6161|6262", "unexpected '|' at column 5"},
      {"6161)6262", "unbalanced ')' at column 5"},
      {"6161{5-3}6262", "minimum above maximum at column 5"},
      {"6161{}6262", "empty gap '{}' at column 5"},
      {"6161{-}6262", "bad gap '{-}' at column 5"},
      {"6161{2-3-4}6262", "bad gap"},
      {"6161{x}6262", "unexpected character 'x' at column 6"},
      {"6161{7x}6262", "unexpected character"},
      {"6161\x01", "unexpected character '\\x01' at column 5"},
      {"6161{26262", "unbalanced '{' at column 5"},
      {"6161}6262", "unbalanced '}' at column 5"},
      {"6161(61||62)6262", "empty alternative at column 9"},
      {"6161(|62)6262", "empty alternative at column 6"},
      {"6161()6262", "empty group '()' at column 5"},
      {"????", "no run of 2 fixed bytes"},
      {"61*6262", "no run of 2 fixed bytes (ClamAV needs one in every part) at column 1"},
      {"61??62", "no run of 2 fixed bytes"},
      {"*616161", "gap with no bytes before it at column 1"},
      {"616161*", "gap with no bytes after it at column 7"},
      {"616161**626262", "gap with no bytes before it at column 8"},
      {"6161(62|63*64)6262", "'*' inside an alternation at column 11"},
      {"6161(62|63{2-3}64)6262", "ranged gap inside an alternation"},
      {"!(6162|63)6464", "negated alternation needs equal-length"},
      {"!(6?|63)646464", "negated alternation needs equal-length"},
      {"6161(62|!(63|64))6262", "negation inside an alternation"},
      {"6161(62|(B))6262", "inside an alternation"},
      {"61[33]626364", "needs n <= m <= 32 at column 3"},
      {"61[3-2]626364", "needs n <= m"},
      {"61[-]626364", "bad byte range '[-]' at column 3"},
      {"6162[1-2]6364", "needs a single byte before or after it at column 5"},
      {"61[1-2626364", "unbalanced '['"},
      {"616161]", "unbalanced ']'"},
      {"6161!6262", "'!' must be followed by '(' at column 5"},
      {"6161 6262", "unexpected character ' ' at column 5"},
      {"6161zz", "unexpected character 'z' at column 5"},
      {"0:6161/abc/", "PCRE"},
      {"${1-2}0$", "macro"},
      {"(B)", "no run of 2 fixed bytes"},
      {"6161L6262", "unexpected 'L' at column 5"},
  };
  for (const auto &c : cases) {
    std::string e = err(c.hex);
    EXPECT_NE(e.find(c.reason), std::string::npos) << c.hex << " gave: " << e;
  }
}

TEST(BodyPattern, DeepNestingAndHugeExpansionAreRejected) {
  std::string deep = "6161";
  for (int i = 0; i < 20; ++i)
    deep += "(61|";
  deep += "62";
  for (int i = 0; i < 20; ++i)
    deep += ")";
  EXPECT_NE(err(deep).find("nested deeper"), std::string::npos);
  std::string wide = "6161";
  for (int i = 0; i < 14; ++i)
    wide += "(61|62)";
  auto product = "6161(" + wide.substr(4) + "|63)";
  EXPECT_NE(err(product).find("more than 4096"), std::string::npos);
}

TEST(BodyPattern, Modifiers) {
  BodyPatternOptions i;
  i.nocase = true;
  auto r = parse_body_pattern("41423031", i);
  ASSERT_TRUE(r.ok()) << r.error;
  ASSERT_EQ(r.patterns.size(), 1u);
  const auto &els = r.patterns[0].elements;
  ASSERT_EQ(els.size(), 3u); // (a|A) (b|B) 3031
  EXPECT_EQ(std::get<Alternation>(els[0]).alternatives, (std::vector<ByteRun>{{B('a')}, {B('A')}}));
  EXPECT_EQ(els[2], (PatternElement{ByteRun{B('0'), B('1')}}));
  // Any modifier makes alternations generic, and generic ones cannot be negated (as in ClamAV).
  EXPECT_FALSE(parse_body_pattern("!(61|62)636363", i).ok());

  BodyPatternOptions w;
  w.wide = true;
  auto wr = parse_body_pattern("6162[1-2]63", w);
  ASSERT_TRUE(wr.ok()) << wr.error;
  EXPECT_EQ(wr.patterns[0].elements[0], (PatternElement{ByteRun{B('a'), B(0), B('b'), B(0)}}));
  EXPECT_EQ(wr.patterns[0].elements[1], (PatternElement{Gap{1, 2}}));

  BodyPatternOptions wa = w;
  wa.ascii = true;
  wa.fullword = true;
  auto war = parse_body_pattern("616263", wa);
  ASSERT_TRUE(war.ok()) << war.error;
  ASSERT_EQ(war.patterns.size(), 2u);
  auto first = std::get<Boundary>(war.patterns[0].elements.front());
  EXPECT_TRUE(first.wide);
  EXPECT_EQ(first.kind, Boundary::Kind::non_alnum);
  EXPECT_FALSE(std::get<Boundary>(war.patterns[1].elements.front()).wide);
}

// ---- every body subsignature of the real databases parses --------------------------------------

std::filesystem::path data_dir() {
  return std::filesystem::path(VOXGUARD_SHARED_DATA) / "clamav";
}

// Returns the hex of a logical subsignature "[offset:]hex[::modifiers]" and its modifiers.
bool split_subsig(std::string s, std::string &hex, std::string &mods) {
  auto m = s.find("::");
  mods = m == std::string::npos ? "" : s.substr(m + 2);
  if (m != std::string::npos)
    s.resize(m);
  if (s.find('/') != std::string::npos || s.find('$') != std::string::npos ||
      s.find('#') != std::string::npos)
    return false; // PCRE, macro, byte compare: not body patterns
  auto colon = s.rfind(':');
  hex = colon == std::string::npos ? s : s.substr(colon + 1);
  return true;
}

TEST(BodyPattern, EveryBodySignatureOfTheSharedDatabasesParses) {
  const std::pair<const char *, char> files[] = {{"official-talos-subset/main.ldb", ';'},
                                                 {"official-talos-subset/daily.ndb", ':'},
                                                 {"rfxn-lmd/rfxn.ndb", ':'},
                                                 {"ditekshen/clamav.ldb", ';'},
                                                 {"ditekshen/indicator_rmm.ldb", ';'}};
  if (!std::filesystem::exists(data_dir() / files[0].first))
    GTEST_SKIP() << "shared data missing: " << data_dir();
  std::size_t parsed = 0, skipped = 0;
  for (const auto &[name, sep] : files) {
    std::ifstream in(data_dir() / name);
    ASSERT_TRUE(in) << name;
    std::string line;
    std::size_t lineno = 0;
    while (std::getline(in, line)) {
      ++lineno;
      if (line.empty() || line[0] == '#')
        continue;
      std::vector<std::string> f;
      std::stringstream ss(line);
      for (std::string x; std::getline(ss, x, sep);)
        f.push_back(x);
      std::vector<std::string> subs;
      if (sep == ':') {
        ASSERT_GE(f.size(), 4u) << name << ":" << lineno;
        subs.push_back(f[3]);
      } else {
        ASSERT_GE(f.size(), 4u) << name << ":" << lineno;
        subs.assign(f.begin() + 3, f.end());
      }
      for (const auto &sub : subs) {
        std::string hex, mods;
        if (!split_subsig(sub, hex, mods)) {
          ++skipped;
          continue;
        }
        BodyPatternOptions o;
        o.nocase = mods.find('i') != std::string::npos;
        o.wide = mods.find('w') != std::string::npos;
        o.fullword = mods.find('f') != std::string::npos;
        o.ascii = mods.find('a') != std::string::npos;
        auto r = parse_body_pattern(hex, o);
        EXPECT_TRUE(r.ok()) << name << ":" << lineno << ": " << hex << " ::" << mods << ": "
                            << r.error;
        ++parsed;
      }
    }
  }
  std::cout << "parsed " << parsed << " body subsignatures, skipped " << skipped
            << " PCRE/macro/byte-compare ones\n";
  EXPECT_GT(parsed, 150000u);
}

} // namespace
} // namespace vg
