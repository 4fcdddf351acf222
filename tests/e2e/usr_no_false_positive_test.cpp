// No false positives on a real system: /usr/bin and /usr/lib/x86_64-linux-gnu scanned with the
// whole official subset (main.ldb, main.hdb, main.fp, daily.ndb, daily.hdb, daily.hsb, daily.fp),
// the rfxn databases (rfxn.hdb, rfxn.ndb), the ditekshen logical signatures (clamav.ldb,
// indicator_rmm.ldb) and the allow/ignore lists (daily.sfp, daily.ign2) give no detection with
// voxguard, and none with clamscan run on the same trees with the same databases in the same test.
// The whole trees are scanned (clamscan takes 40-75 s on them here, 1.7 GB in about 6,000 files),
// not a sample. The suite is named Slow* so that the sanitizer pass of scripts/test.sh
// (ctest -E '^Slow') leaves it to the optimised build.
#include "differential/child_process.hpp"
#include "differential/detection_set.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using vg::testing::DetectionSet;
using vg::testing::find_program;
using vg::testing::parse_detections;
using vg::testing::run_program;

namespace {

std::string list(const DetectionSet &set) {
  std::string out;
  for (const auto &d : set)
    out += "  " + d.first + ": " + d.second + "\n";
  return out.empty() ? "  (nothing)\n" : out;
}

} // namespace

TEST(SlowUsrNoFalsePositive, SystemBinariesAndLibrariesAreCleanLikeClamscan) {
  const fs::path data = fs::path(VOXGUARD_SHARED_DATA) / "clamav";
  const std::vector<fs::path> dbs = {
      data / "official-talos-subset/main.ldb",
      data / "official-talos-subset/main.hdb",
      data / "official-talos-subset/daily.hsb",
      data / "official-talos-subset/daily.hdb",
      data / "official-talos-subset/daily.ndb",
      data / "rfxn-lmd/rfxn.hdb",
      data / "rfxn-lmd/rfxn.ndb",
      data / "ditekshen/clamav.ldb",
      data / "ditekshen/indicator_rmm.ldb",
      data / "official-talos-subset/main.fp",
      data / "official-talos-subset/daily.fp",
      data / "official-talos-daily27371-small/daily.sfp",
      data / "official-talos-daily27371-small/daily.ign2",
  };
  for (const auto &db : dbs)
    if (!fs::is_regular_file(db))
      GTEST_SKIP() << "shared test data missing: " << db;
  std::vector<std::string> trees;
  for (const char *t : {"/usr/bin", "/usr/lib/x86_64-linux-gnu"})
    if (fs::is_directory(t))
      trees.emplace_back(t);
  if (trees.empty())
    GTEST_SKIP() << "neither /usr/bin nor /usr/lib/x86_64-linux-gnu exists on this machine";
  const std::string clamscan = find_program("clamscan");
  if (clamscan.empty())
    GTEST_SKIP() << "clamscan is not installed (Debian package clamav): nothing to compare with";
  const std::string voxguard = VOXGUARD_BINARY;
  ASSERT_TRUE(fs::exists(voxguard)) << "voxguard binary not built: " << voxguard;

  auto argv_for = [&](std::vector<std::string> argv) {
    for (const char *opt : {"--allmatch", "--no-summary", "--infected"})
      argv.emplace_back(opt);
    for (const auto &db : dbs) {
      argv.emplace_back("-d");
      argv.push_back(db.string());
    }
    argv.insert(argv.end(), trees.begin(), trees.end());
    return argv;
  };

  auto vox = run_program(argv_for({voxguard, "scan"}));
  DetectionSet vox_found = parse_detections(vox.out);
  auto clam = run_program(argv_for({clamscan, "-r"}));
  DetectionSet clam_found = parse_detections(clam.out);

  // A database voxguard passes over would make "no detection" meaningless.
  EXPECT_EQ(vox.err.find("not supported"), std::string::npos)
      << "voxguard passed over a database:\n"
      << vox.err.substr(0, 4000);
  EXPECT_EQ(clam.exit_code, 0) << "clamscan:\n" << list(clam_found) << clam.err.substr(0, 2000);
  EXPECT_TRUE(clam_found.empty()) << "clamscan reports:\n" << list(clam_found);
  EXPECT_TRUE(vox_found.empty()) << "voxguard reports:\n" << list(vox_found);
  EXPECT_EQ(vox.exit_code, clam.exit_code) << "voxguard stderr:\n" << vox.err.substr(0, 4000);
}
