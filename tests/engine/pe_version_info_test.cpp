#include "common/mapped_file.hpp"
#include "engine/engine.hpp"
#include "engine/exe_info.hpp"
#include "engine/pe_version_info.hpp"
#include "signatures/database_loader.hpp"

#include <filesystem>
#include <gtest/gtest.h>

namespace vg {
namespace {

std::string utf16(const std::string &s) {
  std::string out;
  for (char c : s) {
    out.push_back(c);
    out.push_back('\0');
  }
  return out;
}

std::string hex(const std::string &s) {
  static const char *d = "0123456789abcdef";
  std::string h;
  for (unsigned char c : s) {
    h.push_back(d[c >> 4]);
    h.push_back(d[c & 15]);
  }
  return h;
}

TEST(PeVersionInfo, KeysOfTestExeAndVIAnchoring) {
  std::string path = std::string(VOXGUARD_SHARED_DATA) + "/clamav/unittests/pe_allmatch/test.exe";
  if (!std::filesystem::exists(path))
    GTEST_SKIP() << "SKIPPED: " << path << " is missing";
  auto f = MappedFile::open(path);
  auto exe = parse_exe_info(f.bytes(), FileKind::pe);
  auto offs = version_info_offsets(f.bytes(), exe);
  ASSERT_FALSE(offs.empty());
  std::string_view text(reinterpret_cast<const char *>(f.bytes().data()), f.size());
  auto company = text.find(utf16("CompanyName"));
  ASSERT_NE(company, std::string_view::npos);
  EXPECT_TRUE(std::find(offs.begin(), offs.end(), company) != offs.end());
  // Every key offset points at a UTF-16 letter.
  for (auto o : offs) {
    ASSERT_LT(o + 1, f.size());
    EXPECT_TRUE(std::isalpha(f.bytes()[o]) && f.bytes()[o + 1] == 0) << o;
  }
  // A VI signature matches at a key, not at the same file's other bytes.
  SignatureSet set;
  load_database_text(set, "vi.ndb",
                     "AtKey:1:VI:" + hex(utf16("CompanyName")) + "\n" +
                         "NotAtKey:1:VI:" + hex(utf16("ompanyName")) + "\n" +
                         "Anywhere:1:*:" + hex(utf16("ompanyName")) + "\n");
  auto engine = Engine::build(std::move(set));
  Engine::Scratch scratch;
  auto out = engine->scan(f.bytes(), true, scratch);
  std::vector<std::string> names;
  for (const auto &d : out.detections)
    names.emplace_back(d.name);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"Anywhere.UNOFFICIAL", "AtKey.UNOFFICIAL"}));
}

TEST(PeVersionInfo, HostileInputsGiveNothing) {
  std::vector<std::uint8_t> junk(4096, 0xff);
  junk[0] = 'M';
  junk[1] = 'Z';
  auto exe = parse_exe_info(junk, FileKind::pe);
  EXPECT_TRUE(version_info_offsets(junk, exe).empty());
  std::vector<std::uint8_t> tiny{'M', 'Z'};
  EXPECT_TRUE(version_info_offsets(tiny, parse_exe_info(tiny, FileKind::pe)).empty());
}

} // namespace
} // namespace vg
