// Tests for check_pe_hashes(): section hashes and the import hash on crafted PE files (sizes as
// ClamAV aligns and clips them, `*` sizes, algorithms, allmatch order, broken headers, PE32+), and
// on the pe_allmatch test.exe with the suite's own .mdb/.msb/.imp lines.
#include "engine/section_hash_check.hpp"

#include "engine/pe_test_image.hpp"
#include "signatures/section_hash_line.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace vg {
namespace {

using testing::Bytes;
using testing::TestPe;

std::string hex_digest(const Bytes &b, std::size_t from, std::size_t len, HashAlgo a) {
  const auto d = digest_bytes(std::span<const std::uint8_t>(b).subspan(from, len), hash_bit(a));
  return d.get(a)->hex();
}

// A table from signature lines, as the loader fills it.
HashTable table_of(const std::vector<std::string> &lines, bool imports = false) {
  HashTable t;
  for (const auto &line : lines) {
    auto r = imports ? parse_import_hash_line(line) : parse_section_hash_line(line);
    auto *sig = std::get_if<HashSignature>(&r);
    EXPECT_TRUE(sig) << line;
    if (sig)
      t.add(*sig);
  }
  t.finish();
  return t;
}

std::vector<std::string> names(const std::vector<HashTable::Hit> &hits) {
  std::vector<std::string> out;
  for (const auto &h : hits)
    out.emplace_back(h.name);
  return out;
}

std::vector<std::string> scan(const Bytes &file, const HashTable &sections,
                              const HashTable &imports, bool allmatch = true) {
  std::vector<HashTable::Hit> hits;
  check_pe_hashes(file, sections, imports, allmatch, hits);
  return names(hits);
}

TestPe two_sections() {
  TestPe pe;
  Bytes code(0x300);
  for (std::size_t i = 0; i < code.size(); ++i)
    code[i] = static_cast<std::uint8_t>(i * 7 + 1);
  pe.sections.push_back({".text", 0x1000, code, 0});
  pe.sections.push_back({".data", 0x2000, Bytes(0x10, 0x42), 0});
  return pe;
}

const HashTable kNone;

TEST(SectionHashCheck, SectionHashedOverItsAlignedRawSize) {
  const Bytes file = two_sections().build();
  // .text: 0x300 bytes of data, SizeOfRawData 0x400 at 0x400 (zero-padded); .data: 0x200 at 0x800.
  const auto text_md5 = hex_digest(file, 0x400, 0x400, HashAlgo::md5);
  const auto data_sha1 = hex_digest(file, 0x800, 0x200, HashAlgo::sha1);
  const auto short_md5 = hex_digest(file, 0x400, 0x300, HashAlgo::md5);
  auto sections = table_of({"1024:" + text_md5 + ":Text", "512:" + data_sha1 + ":Data",
                            "768:" + short_md5 + ":Unaligned", "512:" + text_md5 + ":WrongSize"});
  EXPECT_EQ(scan(file, sections, kNone), (std::vector<std::string>{"Text", "Data"}));
}

TEST(SectionHashCheck, StarSizesAndEveryAlgorithmInHeaderOrder) {
  const Bytes file = two_sections().build();
  const auto md5 = hex_digest(file, 0x400, 0x400, HashAlgo::md5);
  const auto sha1 = hex_digest(file, 0x400, 0x400, HashAlgo::sha1);
  const auto sha256 = hex_digest(file, 0x400, 0x400, HashAlgo::sha256);
  const auto data256 = hex_digest(file, 0x800, 0x200, HashAlgo::sha256);
  auto sections = table_of({"*:" + data256 + ":DataStar:73", "*:" + sha256 + ":Sha256Star:73",
                            "1024:" + sha1 + ":Sha1", "*:" + md5 + ":Md5Star:73",
                            "1024:" + md5 + ":Md5", "1024:" + sha256 + ":Sha256"});
  EXPECT_EQ(
      scan(file, sections, kNone),
      (std::vector<std::string>{"Md5", "Md5Star", "Sha1", "Sha256", "Sha256Star", "DataStar"}));
  // Without allmatch only the first one.
  EXPECT_EQ(scan(file, sections, kNone, false), (std::vector<std::string>{"Md5"}));
}

TEST(SectionHashCheck, SectionCutByTheEndOfFileIsHashedAsClipped) {
  Bytes file = two_sections().build();
  file.resize(0x800 + 0x80); // .data keeps 0x80 of its 0x200 bytes
  const auto md5 = hex_digest(file, 0x800, 0x80, HashAlgo::md5);
  auto sections = table_of({"128:" + md5 + ":Clipped"});
  EXPECT_EQ(scan(file, sections, kNone), (std::vector<std::string>{"Clipped"}));
}

TEST(SectionHashCheck, SectionsWithoutRawDataAreNeverHashed) {
  TestPe pe = two_sections();
  pe.sections.push_back({".bss", 0x3000, Bytes(), 0x1000});
  const Bytes file = pe.build();
  // md5 of nothing, with a `*` size: a virtual-only section is skipped as ClamAV skips it.
  auto sections = table_of({"*:d41d8cd98f00b204e9800998ecf8427e:Empty:73"});
  EXPECT_TRUE(scan(file, sections, kNone).empty());
}

TEST(SectionHashCheck, BrokenHeaderHidesSectionAndImportHashes) {
  TestPe pe = two_sections();
  pe.add_imports(0x3000, {{"a.dll", {"One"}}});
  pe.entry = 0x9000; // not backed by file data: ClamAV rejects the whole header
  const Bytes file = pe.build();
  const auto md5 = hex_digest(file, 0x400, 0x400, HashAlgo::md5);
  auto sections = table_of({"1024:" + md5 + ":Text"});
  const std::string text = "a.one";
  const Bytes t(text.begin(), text.end());
  auto imports = table_of({hex_digest(t, 0, t.size(), HashAlgo::md5) + ":5:Imp"}, true);
  EXPECT_TRUE(scan(file, sections, imports).empty());
  // The same file with a mapped entry point fires both.
  pe.entry = 0x1000;
  EXPECT_EQ(scan(pe.build(), sections, imports), (std::vector<std::string>{"Text", "Imp"}));
  EXPECT_TRUE(scan(Bytes(file.begin(), file.begin() + 0x100), sections, imports).empty());
  EXPECT_TRUE(scan(Bytes{'M', 'Z'}, sections, imports).empty());
}

TEST(SectionHashCheck, ImportHashLookedUpByItsLengthOnPe32Only) {
  TestPe pe = two_sections();
  pe.add_imports(0x3000, {{"KERNEL32.dll", {"Sleep"}}});
  // "kernel32.sleep": 14 characters.
  const std::string text = "kernel32.sleep";
  const Bytes t(text.begin(), text.end());
  const auto md5 = hex_digest(t, 0, t.size(), HashAlgo::md5);
  const auto sha1 = hex_digest(t, 0, t.size(), HashAlgo::sha1);
  auto imports =
      table_of({md5 + ":14:ImpMd5", md5 + ":15:ImpWrongSize", sha1 + ":*:ImpSha1Star"}, true);
  EXPECT_EQ(scan(pe.build(), kNone, imports), (std::vector<std::string>{"ImpMd5", "ImpSha1Star"}));
  // PE32+: ClamAV stops before its import scan (section hashes still apply).
  pe.plus = true;
  const Bytes plus = pe.build();
  EXPECT_TRUE(scan(plus, kNone, imports).empty());
  auto sections = table_of({"1024:" + hex_digest(plus, 0x400, 0x400, HashAlgo::md5) + ":Text64"});
  EXPECT_EQ(scan(plus, sections, imports), (std::vector<std::string>{"Text64"}));
}

TEST(SectionHashCheck, SectionHitsComeBeforeImportHits) {
  TestPe pe = two_sections();
  pe.add_imports(0x3000, {{"a.dll", {"One"}}});
  const Bytes file = pe.build();
  const std::string text = "a.one";
  const Bytes t(text.begin(), text.end());
  auto imports = table_of({hex_digest(t, 0, t.size(), HashAlgo::md5) + ":5:Imp"}, true);
  auto sections = table_of({"1024:" + hex_digest(file, 0x400, 0x400, HashAlgo::md5) + ":Text"});
  EXPECT_EQ(scan(file, sections, imports), (std::vector<std::string>{"Text", "Imp"}));
  EXPECT_EQ(scan(file, sections, imports, false), (std::vector<std::string>{"Text"}));
  EXPECT_EQ(scan(file, kNone, imports, false), (std::vector<std::string>{"Imp"}));
}

TEST(SectionHashCheck, ReleaseIsToldFileOffsetsOfHashedSections) {
  const Bytes file = two_sections().build();
  auto sections = table_of({"*:" + hex_digest(file, 0x800, 0x200, HashAlgo::md5) + ":Data:73"});
  std::vector<std::pair<std::size_t, std::size_t>> released;
  std::vector<HashTable::Hit> hits;
  check_pe_hashes(file, sections, kNone, true, hits,
                  [&](std::size_t b, std::size_t e) { released.emplace_back(b, e); });
  EXPECT_EQ(names(hits), (std::vector<std::string>{"Data"}));
  const std::vector<std::pair<std::size_t, std::size_t>> expected = {{0x400, 0x800},
                                                                     {0x800, 0xa00}};
  EXPECT_EQ(released, expected);
}

TEST(SectionHashCheck, TestExeFiresEverySuiteSignature) {
  const std::filesystem::path suite =
      std::filesystem::path(VOXGUARD_SHARED_DATA) / "clamav/unittests/pe_allmatch";
  if (!std::filesystem::is_regular_file(suite / "test.exe"))
    GTEST_SKIP() << "shared test data missing: " << suite;
  std::ifstream f(suite / "test.exe", std::ios::binary);
  const Bytes file{std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
  std::vector<std::string> section_lines, import_lines, expected;
  for (const auto &entry : std::filesystem::directory_iterator(suite / "alert-sigs")) {
    const auto ext = entry.path().extension();
    if (ext != ".mdb" && ext != ".msb" && ext != ".imp")
      continue;
    std::ifstream in(entry.path());
    std::string line;
    std::getline(in, line);
    (ext == ".imp" ? import_lines : section_lines).push_back(line);
    const auto name_at = line.find(':', line.find(':') + 1) + 1;
    expected.push_back(line.substr(name_at, line.find(':', name_at) - name_at));
  }
  ASSERT_EQ(section_lines.size(), 42u);
  ASSERT_EQ(import_lines.size(), 6u);
  auto hits = scan(file, table_of(section_lines), table_of(import_lines, true));
  std::sort(hits.begin(), hits.end());
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(hits, expected);
}

} // namespace
} // namespace vg
