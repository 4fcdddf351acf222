// Tests for the .mdb/.msb/.imp line parsers and their loading: good and bad lines with the rules
// of libclamav 1.4's cli_loadhash (checked against clamscan 1.4.6: a size of 0 is refused, `*` in
// an .imp line needs no functionality level), names, ignore lists and error positions.
#include "signatures/section_hash_line.hpp"

#include "common/error.hpp"
#include "signatures/database_loader.hpp"

#include <gtest/gtest.h>

#include <string>

namespace vg {
namespace {

const std::string kMd5 = "1931e3808e2374839e1cb81790d14c14";
const std::string kSha1 = "0fd72fd48bcf571bdfb7399fe285618aaec7b089";
const std::string kSha256 = "73757fdfd15f2e63995a547e86cc4568a9137bfb2f64a588ad9e6f45ddd5e367";

HashSignature ok(const std::variant<HashSignature, LineSkipped, LineError> &r) {
  if (auto *e = std::get_if<LineError>(&r))
    ADD_FAILURE() << "unexpected error: " << e->reason;
  EXPECT_TRUE(std::holds_alternative<HashSignature>(r));
  return std::holds_alternative<HashSignature>(r) ? std::get<HashSignature>(r) : HashSignature{};
}

std::string error(const std::variant<HashSignature, LineSkipped, LineError> &r) {
  auto *e = std::get_if<LineError>(&r);
  EXPECT_TRUE(e) << "expected an error";
  return e ? e->reason : std::string();
}

TEST(SectionHashLine, SizeHashNameWithEachAlgorithm) {
  auto s = ok(parse_section_hash_line("34304:" + kMd5 + ":Test.Md5"));
  EXPECT_EQ(s.size, 34304u);
  EXPECT_EQ(s.digest.len, 16);
  EXPECT_EQ(s.digest.hex(), kMd5);
  EXPECT_EQ(s.name, "Test.Md5");
  EXPECT_EQ(ok(parse_section_hash_line("512:" + kSha1 + ":Test.Sha1")).digest.len, 20);
  EXPECT_EQ(ok(parse_section_hash_line("512:" + kSha256 + ":Test.Sha256:0:999")).digest.len, 32);
  // Hex digits in either case.
  EXPECT_EQ(ok(parse_section_hash_line("1:1931E3808E2374839E1CB81790D14C14:Upper")).digest.hex(),
            kMd5);
}

TEST(SectionHashLine, StarSizeNeedsLevel73) {
  EXPECT_EQ(ok(parse_section_hash_line("*:" + kMd5 + ":Star:73")).size, HashSignature::kAnySize);
  EXPECT_EQ(ok(parse_section_hash_line("*:" + kSha256 + ":Star:100:300")).size,
            HashSignature::kAnySize);
  EXPECT_NE(error(parse_section_hash_line("*:" + kMd5 + ":Star")).find("73"), std::string::npos);
  EXPECT_NE(error(parse_section_hash_line("*:" + kMd5 + ":Star:72")).find("73"), std::string::npos);
}

TEST(SectionHashLine, BadLines) {
  EXPECT_NE(error(parse_section_hash_line("0:" + kMd5 + ":Zero")).find("section size"),
            std::string::npos);
  EXPECT_NE(error(parse_section_hash_line("4294967295:" + kMd5 + ":Max")).find("section size"),
            std::string::npos);
  EXPECT_FALSE(error(parse_section_hash_line("12a:" + kMd5 + ":Hex")).empty());
  EXPECT_FALSE(error(parse_section_hash_line("-1:" + kMd5 + ":Neg")).empty());
  EXPECT_FALSE(error(parse_section_hash_line(":" + kMd5 + ":Empty")).empty());
  // Hash first (the .hdb order) is caught as a bad size.
  EXPECT_FALSE(error(parse_section_hash_line(kMd5 + ":512:Swapped")).empty());
  EXPECT_FALSE(error(parse_section_hash_line("512:" + kMd5.substr(1) + ":Short")).empty());
  EXPECT_FALSE(error(parse_section_hash_line("512:" + kMd5.substr(1) + "g:NotHex")).empty());
  EXPECT_FALSE(error(parse_section_hash_line("512:" + kMd5 + ":")).empty());
  EXPECT_FALSE(error(parse_section_hash_line("512:" + kMd5 + ":Name:x")).empty());
  EXPECT_NE(error(parse_section_hash_line("512:" + kMd5)).find("SECTIONSIZE:HASH:NAME"),
            std::string::npos);
  EXPECT_NE(error(parse_section_hash_line("512:" + kMd5 + ":N:1:2:3")).find("6 fields"),
            std::string::npos);
  EXPECT_FALSE(error(parse_section_hash_line("")).empty());
}

TEST(SectionHashLine, LevelOutsideIsSkipped) {
  EXPECT_TRUE(
      std::holds_alternative<LineSkipped>(parse_section_hash_line("512:" + kMd5 + ":Future:9999")));
  EXPECT_TRUE(
      std::holds_alternative<LineSkipped>(parse_section_hash_line("512:" + kMd5 + ":Past:1:20")));
}

TEST(ImportHashLine, HashSizeNameAndFreeStar) {
  auto s = ok(parse_import_hash_line("ddeba1ab394d6c43225d83208b2d8ee3:1351:Imp"));
  EXPECT_EQ(s.size, 1351u);
  EXPECT_EQ(s.digest.hex(), "ddeba1ab394d6c43225d83208b2d8ee3");
  // `*` needs no level in .imp files (clamscan 1.4.6 loads it).
  EXPECT_EQ(ok(parse_import_hash_line(kSha1 + ":*:ImpStar")).size, HashSignature::kAnySize);
  EXPECT_EQ(ok(parse_import_hash_line(kSha256 + ":*:ImpStar:73")).size, HashSignature::kAnySize);
  EXPECT_TRUE(
      std::holds_alternative<LineSkipped>(parse_import_hash_line(kMd5 + ":*:ImpStar:9999")));
}

TEST(ImportHashLine, BadLines) {
  EXPECT_NE(error(parse_import_hash_line(kMd5 + ":0:Zero")).find("import table size"),
            std::string::npos);
  EXPECT_FALSE(error(parse_import_hash_line("1351:" + kMd5 + ":Swapped")).empty());
  EXPECT_NE(error(parse_import_hash_line(kMd5 + ":1")).find("HASH:IMPORTSIZE:NAME"),
            std::string::npos);
  EXPECT_FALSE(error(parse_import_hash_line(kMd5 + "0:1:Long")).empty());
  EXPECT_FALSE(error(parse_import_hash_line(kMd5 + ":1:Bad\x01Name")).empty());
}

TEST(SectionHashLoading, FormatsGoToTheirTablesWithSuffixAndOrigin) {
  SignatureSet set;
  load_database_text(set, "a.mdb", "# comment\n512:" + kMd5 + ":Sec.Md5\n");
  load_database_text(set, "b.msb", "*:" + kSha256 + ":Sec.Star:73\r\n512:" + kSha1 + ":Sec.Sha1\n");
  load_database_text(set, "c.imp", kMd5 + ":1351:Imp.Md5\n", true);
  load_database_text(set, "d.mdb", "512:" + kMd5 + ":Sec.Future:9999\n");
  set.finish();
  EXPECT_EQ(set.sections.size(), 3u);
  EXPECT_EQ(set.imports.size(), 1u);
  EXPECT_TRUE(set.hashes.empty());
  EXPECT_EQ(set.signature_count(), 4u);
  EXPECT_EQ(set.skipped_by_level, 1u);
  Digests d;
  d.sha1 = ok(parse_section_hash_line("512:" + kSha1 + ":x")).digest;
  std::vector<HashTable::Hit> hits;
  set.sections.lookup(512, d, hits);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].name, "Sec.Sha1.UNOFFICIAL");
  EXPECT_EQ(set.databases[hits[0].origin.database], "b.msb");
  EXPECT_EQ(hits[0].origin.line, 2u);
  Digests m;
  m.md5 = ok(parse_import_hash_line(kMd5 + ":1351:x")).digest;
  hits.clear();
  set.imports.lookup(1351, m, hits);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].name, "Imp.Md5"); // official: no suffix
  EXPECT_TRUE(is_supported_database("x.mdb"));
  EXPECT_TRUE(is_supported_database("x.msb"));
  EXPECT_TRUE(is_supported_database("x.imp"));
}

TEST(SectionHashLoading, IgnoredNamesAreNotStored) {
  SignatureSet set;
  load_database_text(set, "i.ign2", "Sec.Md5\n");
  load_database_text(set, "a.mdb", "512:" + kMd5 + ":Sec.Md5\n512:" + kSha1 + ":Sec.Kept\n");
  load_database_text(set, "b.imp", kMd5 + ":9:Sec.Md5\n");
  EXPECT_EQ(set.sections.size(), 1u);
  EXPECT_TRUE(set.imports.empty());
}

TEST(SectionHashLoading, MalformedLineNamesFileAndLine) {
  SignatureSet set;
  try {
    load_database_text(set, "bad.msb", "512:" + kSha1 + ":Good\n0:" + kSha1 + ":Bad\n");
    FAIL() << "no error";
  } catch (const Error &e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("bad.msb:2"), std::string::npos) << what;
    EXPECT_NE(what.find("section size"), std::string::npos) << what;
  }
}

} // namespace
} // namespace vg
