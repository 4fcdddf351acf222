// Hash signatures that share (algorithm, size or `*`, digest), against clamscan 1.4.6: ClamAV keeps
// one of them, the last one loaded, with or without --allmatch, while counting all of them in
// "Known viruses". The same databases are loaded in several orders and both scanners' outputs must
// be the same lines.
#include "run_command.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

std::string clamscan_path() {
  for (const char *p : {"/usr/bin/clamscan", "/usr/local/bin/clamscan"})
    if (fs::exists(p))
      return p;
  return {};
}

std::vector<std::string> sorted_lines(const std::string &text, bool keep_summary) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.find(" FOUND") != std::string::npos ||
        (keep_summary && line.rfind("Known viruses:", 0) == 0))
      out.push_back(line);
  std::sort(out.begin(), out.end());
  return out;
}

TEST(HashTieDifferential, OneNamePerSizeAndDigestTheLastLoadedLikeClamscan) {
  std::string clamscan = clamscan_path();
  if (clamscan.empty())
    GTEST_SKIP() << "clamscan is not installed (package clamav)";
  char tmpl[] = "/tmp/vg-hashtie-XXXXXX";
  fs::path dir = ::mkdtemp(tmpl);
  std::ofstream(dir / "f") << "hello tie\n"; // 10 bytes
  auto digest = [&](const char *tool) {
    auto r = vg::test::run_command({tool, (dir / "f").string()});
    return r.out.substr(0, r.out.find(' '));
  };
  std::string md5 = digest("/usr/bin/md5sum"), sha256 = digest("/usr/bin/sha256sum");
  ASSERT_EQ(md5.size(), 32u);
  ASSERT_EQ(sha256.size(), 64u);
  std::ofstream(dir / "a.hdb") << md5 << ":10:Tie.A\n" << md5 << ":10:Tie.B\n";
  std::ofstream(dir / "b.hdb") << md5 << ":10:Tie.C\n";
  std::ofstream(dir / "c.hsb") << md5 << ":*:Tie.D:73\n" << md5 << ":*:Tie.E:73\n";
  std::ofstream(dir / "d.hsb") << sha256 << ":10:Tie.S1\n" << sha256 << ":10:Tie.S2\n";
  const std::vector<std::vector<std::string>> orders = {
      {"a.hdb"},          {"a.hdb", "b.hdb"}, {"b.hdb", "a.hdb"},
      {"c.hsb", "a.hdb"}, {"d.hsb"},          {"d.hsb", "c.hsb", "b.hdb", "a.hdb"}};
  int found = 0;
  for (const auto &order : orders) {
    for (bool allmatch : {true, false}) {
      std::vector<std::string> common;
      if (allmatch)
        common.push_back("--allmatch");
      for (const auto &db : order) {
        common.push_back("-d");
        common.push_back((dir / db).string());
      }
      common.push_back((dir / "f").string());
      std::vector<std::string> clam{clamscan}, vox{VOXGUARD_BINARY, "scan"};
      clam.insert(clam.end(), common.begin(), common.end());
      vox.insert(vox.end(), common.begin(), common.end());
      auto c = vg::test::run_command(clam);
      auto v = vg::test::run_command(vox, {}, {"VOXGUARD_CACHE_DIR=" + (dir / "cache").string()});
      std::string what = ::testing::PrintToString(common);
      EXPECT_EQ(c.status, 1) << what << c.err;
      EXPECT_EQ(v.status, 1) << what << v.err;
      auto cl = sorted_lines(c.out, true), vl = sorted_lines(v.out, true);
      EXPECT_EQ(vl, cl) << what;
      found += static_cast<int>(std::count_if(vl.begin(), vl.end(), [](const std::string &l) {
        return l.find(" FOUND") != std::string::npos;
      }));
    }
  }
  EXPECT_GE(found, 12); // every order detects something: the comparison is not of empty sets
  fs::remove_all(dir);
}

} // namespace
