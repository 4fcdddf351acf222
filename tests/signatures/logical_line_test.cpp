#include "common/error.hpp"
#include "signatures/database_loader.hpp"
#include "signatures/logical_line.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace vg {
namespace {

LogicalSignature parse_ok(std::string_view line) {
  auto r = parse_ldb_line(line);
  if (auto *e = std::get_if<LineError>(&r))
    ADD_FAILURE() << line << ": " << e->reason;
  EXPECT_TRUE(std::holds_alternative<LogicalSignature>(r)) << line;
  return std::holds_alternative<LogicalSignature>(r) ? std::get<LogicalSignature>(r)
                                                     : LogicalSignature{};
}

std::string error_of(std::string_view line) {
  auto r = parse_ldb_line(line);
  auto *e = std::get_if<LineError>(&r);
  return e ? e->reason : std::string();
}

TEST(LdbLine, FieldsAndSubsignatures) {
  auto s = parse_ok("Win.Test-1;Engine:51-255,Target:1;0&1&2;41424344;EP+10:45464748;"
                    "0:494a4b4c::iw");
  EXPECT_EQ(s.name, "Win.Test-1");
  EXPECT_EQ(s.tdb.target, TargetType::pe);
  ASSERT_EQ(s.subsigs.size(), 3u);
  EXPECT_EQ(s.subsigs[0].kind, LogicalSubsignature::Kind::body);
  EXPECT_EQ(s.subsigs[0].offset.base, OffsetSpec::Base::any);
  EXPECT_EQ(s.subsigs[1].offset.base, OffsetSpec::Base::entry_point);
  EXPECT_EQ(s.subsigs[1].offset.delta, 10);
  EXPECT_EQ(s.subsigs[2].offset.base, OffsetSpec::Base::absolute);
  EXPECT_TRUE(s.subsigs[2].options.nocase);
  EXPECT_TRUE(s.subsigs[2].options.wide);
  EXPECT_EQ(s.subsigs[2].patterns.size(), 1u);
  EXPECT_TRUE(s.expression.evaluate(std::vector<std::uint32_t>{1, 1, 1}));
}

TEST(LdbLine, Modifiers) {
  auto s = parse_ok("M;Target:0;0&1&2&3;41424344::wa;41424344::f;41424344::i;41424344::a");
  EXPECT_EQ(s.subsigs[0].patterns.size(), 2u); // wide + ascii
  EXPECT_TRUE(s.subsigs[1].options.fullword);
  EXPECT_TRUE(s.subsigs[2].options.nocase);
  EXPECT_TRUE(s.subsigs[3].options.ascii);
  EXPECT_NE(error_of("M;Target:0;0;41424344::x").find("modifier"), std::string::npos);
}

// The ::wa patterns are the wide and the plain form, in that order, held inline; a third or an
// empty pattern is refused.
TEST(LdbLine, SubsignaturePatternsHoldOneOrTwo) {
  auto s = parse_ok("M;Target:0;0;41424344::wa");
  const SubsignaturePatterns &p = s.subsigs[0].patterns;
  ASSERT_EQ(p.size(), 2u);
  auto wide = parse_body_pattern("41424344", BodyPatternOptions{false, true, false, false});
  ASSERT_TRUE(wide.ok()) << wide.error;
  EXPECT_TRUE(p[0].unpack() == wide.patterns[0]);
  EXPECT_TRUE(p[1].unpack() == parse_body_pattern("41424344").pattern);
  std::size_t seen = 0;
  for (const auto &x : p)
    seen += !x.empty();
  EXPECT_EQ(seen, 2u);
  SubsignaturePatterns copy = p;
  EXPECT_TRUE(copy == p);
  EXPECT_THROW(copy.push_back(p[0]), Error);
  copy.clear();
  EXPECT_TRUE(copy.empty());
  EXPECT_FALSE(copy == p);
  EXPECT_THROW(copy.push_back(PackedPattern()), Error);
  copy.push_back(p[1]);
  EXPECT_EQ(copy.size(), 1u);
  EXPECT_TRUE(copy[0] == p[1]);
  EXPECT_EQ(sizeof(SubsignaturePatterns), 2 * sizeof(void *));
}

TEST(LdbLine, FiveColonPartsKeepOnlyTheFirstAsClamavDoes) {
  // main.ldb holds "hex::i*hex::i*hex::i": ClamAV keeps the first hex without its modifiers.
  auto s = parse_ok("V;Engine:81-255,Target:7;0;706f7765::i*5773::i*4465::i");
  ASSERT_EQ(s.subsigs[0].patterns.size(), 1u);
  EXPECT_FALSE(s.subsigs[0].options.nocase);
}

TEST(LdbLine, OtherSubsignatureKinds) {
  auto s = parse_ok("K;Engine:81-255,Target:0;0&1&2&3&4;41424344;0/abc/i;"
                    "0(>>5#hb2#=0x4142);${1-2}3$;fuzzy_img#0123456789abcdef");
  EXPECT_EQ(s.subsigs[1].kind, LogicalSubsignature::Kind::pcre);
  EXPECT_EQ(s.subsigs[1].pcre().regex, "abc");
  EXPECT_TRUE(s.subsigs[1].pcre().flags.caseless);
  EXPECT_EQ(s.subsigs[2].byte_compare().trigger, 0u);
  EXPECT_EQ(s.subsigs[2].kind, LogicalSubsignature::Kind::byte_compare);
  EXPECT_EQ(s.subsigs[3].kind, LogicalSubsignature::Kind::macro);
  EXPECT_EQ(s.subsigs[4].kind, LogicalSubsignature::Kind::fuzzy_image);
  // A ';' inside a PCRE regex does not split fields.
  auto p = parse_ok("P;Engine:81-255,Target:0;0&1;41424344;0/a;b/");
  ASSERT_EQ(p.subsigs.size(), 2u);
  EXPECT_EQ(p.subsigs[1].kind, LogicalSubsignature::Kind::pcre);
  EXPECT_EQ(p.subsigs[1].pcre().regex, "a;b");
}

// The PCRE and byte-compare parts are owned by their subsignature: a copy (or an assignment)
// has its own, equal parts that outlive the original; a body subsignature has none.
TEST(LdbLine, SubsignatureCopiesOwnTheirParts) {
  std::vector<LogicalSubsignature> copies;
  {
    auto s = parse_ok("K;Engine:81-255,Target:0;0&1&2;41424344;0/abc/i;0(>>5#hb2#=0x4142)");
    copies = s.subsigs;
    EXPECT_NE(&copies[1].pcre(), &s.subsigs[1].pcre());
    EXPECT_NE(&copies[2].byte_compare(), &s.subsigs[2].byte_compare());
    EXPECT_EQ(&copies[0].pcre(), &LogicalSubsignature().pcre()); // body: the shared empty parts
    LogicalSubsignature assigned;
    assigned = s.subsigs[1];
    const LogicalSubsignature &same = assigned;
    assigned = same; // self-assignment keeps the parts
    EXPECT_EQ(assigned.pcre().regex, "abc");
  }
  EXPECT_EQ(copies[1].pcre().regex, "abc");
  EXPECT_TRUE(copies[1].trigger() == parse_logical_expression("0").expression);
  EXPECT_EQ(copies[2].byte_compare().trigger, 0u);
  LogicalSubsignature moved = std::move(copies[1]);
  EXPECT_EQ(moved.pcre().regex, "abc");
}

TEST(LdbLine, Skipped) {
  for (const char *line :
       {"S;Engine:300-400,Target:0;0;41424344", "S;Engine:51-255,Target:0,Foo:1;0;41424344",
        "S;Engine:51-255,Target:0,Container:CL_TYPE_WHAT;0;41424344", "S;Target:20;0;41424344"}) {
    auto r = parse_ldb_line(line);
    EXPECT_TRUE(std::holds_alternative<LineSkipped>(r)) << line;
  }
}

TEST(LdbLine, Errors) {
  EXPECT_NE(error_of("A;Target:0;0").find("fields"), std::string::npos);
  EXPECT_NE(error_of(";Target:0;0;4142").find("name"), std::string::npos);
  EXPECT_NE(error_of("A;Target:0;0&1;41424344").find("subsignatures"), std::string::npos);
  EXPECT_NE(error_of("A;Target:0;0;41424344;45464748").find("subsignatures"), std::string::npos);
  EXPECT_NE(error_of("A;Target:0;0&(1;41424344;45464748").find("logical expression"),
            std::string::npos);
  EXPECT_NE(error_of("A;Engine:51-255;0;41424344").find("Target"), std::string::npos);
  EXPECT_NE(error_of("A;Target:0;0;4142zz44").find("subsignature 0"), std::string::npos);
  EXPECT_NE(error_of("A;Target:0;0;foo:41424344").find("subsignature 0"), std::string::npos);
  EXPECT_NE(error_of("A;Target:0;0;/abc/").find("trigger"), std::string::npos);
  EXPECT_NE(error_of("A;Target:0;0;0/abc").find("subsignature 0"), std::string::npos);
  EXPECT_NE(error_of("A;Target:0;0;${1-2}40$").find("macro"), std::string::npos);
  // PCRE and byte-compare triggers may only name earlier subsignatures.
  EXPECT_NE(error_of("A;Engine:81-255,Target:0;0&1;41424344;1/abc/").find("trigger"),
            std::string::npos);
  EXPECT_NE(error_of("A;Engine:81-255,Target:0;0&1;41424344;1(>>5#hb2#=0x41)").find("trigger"),
            std::string::npos);
  EXPECT_NE(
      error_of("A;Engine:81-255,Target:0;0&1&2;41424344;0/abc/;1(>>5#hb2#=0x41)").find("body"),
      std::string::npos);
  EXPECT_FALSE(error_of("A;Engine:81-255,Target:0;0&1;41424344;0/abc/q").empty());
  EXPECT_NE(error_of("A;Target:0;0;${1-2$").find("macro"), std::string::npos);
  EXPECT_NE(error_of("A;Target:0;0;fuzzy_img#12").find("fuzzy"), std::string::npos);
  EXPECT_NE(error_of("A;Target:0;0;").find("empty"), std::string::npos);
  // 65 subsignatures.
  std::string many = "A;Target:0;0";
  for (int i = 1; i < 65; ++i)
    many += "|" + std::to_string(i);
  for (int i = 0; i < 65; ++i)
    many += ";41424344";
  EXPECT_FALSE(error_of(many).empty());
  // 64 are fine.
  std::string most = "A;Target:0;0";
  for (int i = 1; i < 64; ++i)
    most += "|" + std::to_string(i);
  for (int i = 0; i < 64; ++i)
    most += ";41424344";
  EXPECT_EQ(parse_ok(most).subsigs.size(), 64u);
}

TEST(LdbLine, LoaderNamesFileAndLine) {
  SignatureSet set;
  load_database_text(set, "x.ldb", "# c\nA;Target:0;0;41424344\nB;Engine:300-400,Target:0;0;41\n");
  ASSERT_EQ(set.logicals.size(), 1u);
  EXPECT_EQ(set.logicals[0].name, "A.UNOFFICIAL");
  EXPECT_EQ(set.logicals[0].origin.line, 2u);
  EXPECT_EQ(set.skipped_by_level, 1u);
  try {
    load_database_text(set, "y.ldb", "A;Target:0;0;41424344\nB;Target:0;0&1;41424344\n");
    FAIL() << "malformed line accepted";
  } catch (const Error &e) {
    EXPECT_EQ(e.input(), "y.ldb:2");
  }
  EXPECT_TRUE(is_supported_database("main.ldb"));
}

// The real databases load without error (clamscan loads them), every line accounted for.
TEST(LdbLine, OfficialAndDitekshenDatabasesParse) {
  namespace fs = std::filesystem;
  const fs::path root = fs::path(VOXGUARD_SHARED_DATA) / "clamav";
  const fs::path files[] = {root / "official-talos-subset/main.ldb", root / "ditekshen/clamav.ldb",
                            root / "ditekshen/indicator_rmm.ldb"};
  for (const auto &f : files) {
    if (!fs::exists(f))
      GTEST_SKIP() << "shared test data missing: " << f;
    std::ifstream in(f);
    std::stringstream text;
    text << in.rdbuf();
    SignatureSet set;
    ASSERT_NO_THROW(load_database_text(set, f.string(), text.str())) << f;
    EXPECT_GT(set.logicals.size(), 0u) << f;
  }
}

} // namespace
} // namespace vg
