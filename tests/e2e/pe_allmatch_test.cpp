// ClamAV's pe_allmatch suite: every alert signature of a format voxguard reads (.hdb .hsb .ndb …)
// must fire on test.exe with `voxguard scan --allmatch`, under the very name clamscan prints for
// it. clamscan is run here too, on each signature file alone and on all of them at once, and its
// names are the expectation.
#include "differential/child_process.hpp"
#include "differential/detection_set.hpp"
#include "signatures/database_loader.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using vg::testing::DetectionSet;
using vg::testing::find_program;
using vg::testing::parse_detections;
using vg::testing::run_program;

namespace {

const fs::path kSuite = fs::path(VOXGUARD_SHARED_DATA) / "clamav/unittests/pe_allmatch";

std::vector<fs::path> alert_signature_files() {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto &entry : fs::directory_iterator(kSuite / "alert-sigs", ec)) {
    // Every format the loader reads joins the suite as soon as it is implemented.
    if (entry.is_regular_file() && vg::is_supported_database(entry.path().string()))
      files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// .ldb signatures with IconGroup1/IconGroup2 fire only together with the .idb icon signatures of
// weak-sigs/, which voxguard does not read yet (README, "Known differences"): clamscan is silent on
// them when they are loaded alone, and voxguard must be too.
bool needs_icon_database(const fs::path &sig) {
  if (sig.extension() != ".ldb")
    return false;
  std::ifstream in(sig);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return text.find("IconGroup") != std::string::npos;
}

std::vector<std::string> scan_argv(std::vector<std::string> argv,
                                   const std::vector<fs::path> &dbs) {
  argv.push_back("--allmatch");
  argv.push_back("--no-summary");
  for (const auto &db : dbs) {
    argv.push_back("-d");
    argv.push_back(db.string());
  }
  argv.push_back("test.exe");
  return argv;
}

std::string names(const DetectionSet &set) {
  std::string out;
  for (const auto &d : set)
    out += "  " + d.first + ": " + d.second + "\n";
  return out.empty() ? "  (nothing)\n" : out;
}

class PeAllmatch : public ::testing::Test {
protected:
  void SetUp() override {
    if (!fs::is_regular_file(kSuite / "test.exe"))
      GTEST_SKIP() << "shared test data missing: " << (kSuite / "test.exe");
    clamscan_ = find_program("clamscan");
    if (clamscan_.empty())
      GTEST_SKIP() << "clamscan is not installed (Debian package clamav): it names the expectation";
    ASSERT_TRUE(fs::exists(voxguard_)) << "voxguard binary not built: " << voxguard_;
    sigs_ = alert_signature_files();
    ASSERT_GE(sigs_.size(), 26u) << "expected 2 .hdb, 4 .hsb and 20 .ndb alert signature files in "
                                 << (kSuite / "alert-sigs");
  }

  std::string clamscan_;
  std::string voxguard_ = VOXGUARD_BINARY;
  std::vector<fs::path> sigs_;
};

} // namespace

TEST_F(PeAllmatch, EachAlertSignatureFiresWithClamscansName) {
  for (const auto &sig : sigs_) {
    SCOPED_TRACE(sig.filename().string());
    auto clam = run_program(scan_argv({clamscan_}, {sig}), kSuite);
    auto vox = run_program(scan_argv({voxguard_, "scan"}, {sig}), kSuite);
    DetectionSet expected = parse_detections(clam.out);
    DetectionSet actual = parse_detections(vox.out);
    if (needs_icon_database(sig)) {
      // Without the .idb icon signatures of weak-sigs/ clamscan stays silent, and so must voxguard.
      EXPECT_EQ(clam.exit_code, 0) << "clamscan alerts on an icon signature alone:\n" << clam.out;
      EXPECT_EQ(vox.exit_code, 0) << vox.out << vox.err;
      continue;
    }
    ASSERT_EQ(clam.exit_code, 1) << "clamscan itself does not alert with " << sig << ":\n"
                                 << clam.out << clam.err;
    ASSERT_FALSE(expected.empty());
    EXPECT_EQ(vox.exit_code, 1) << vox.err;
    EXPECT_TRUE(expected == actual) << "clamscan reports:\n"
                                    << names(expected) << "voxguard reports:\n"
                                    << names(actual) << vox.err.substr(0, 2000);
  }
}

TEST_F(PeAllmatch, AllAlertSignaturesTogetherFireTogether) {
  auto clam = run_program(scan_argv({clamscan_}, sigs_), kSuite);
  auto vox = run_program(scan_argv({voxguard_, "scan"}, sigs_), kSuite);
  DetectionSet expected = parse_detections(clam.out);
  DetectionSet actual = parse_detections(vox.out);
  ASSERT_EQ(clam.exit_code, 1) << clam.err;
  auto icon =
      static_cast<std::size_t>(std::count_if(sigs_.begin(), sigs_.end(), needs_icon_database));
  EXPECT_EQ(expected.size(), sigs_.size() - icon) << "clamscan:\n" << names(expected);
  EXPECT_EQ(vox.exit_code, 1) << vox.err;
  EXPECT_TRUE(expected == actual) << vg::testing::describe_difference(expected, "clamscan", actual,
                                                                      "voxguard");
}
