// The section and import hashes inside Engine::scan: reported with their names, after the body
// signatures (clamscan 1.4.6 without --allmatch reports an .ndb hit on test.exe before an .mdb
// one), only for PE files, and cancelled by an .fp entry of the whole file (clamscan 1.4.6:
// test.exe with an .mdb or .imp alert and its MD5 in an .fp is OK).
#include "engine/engine.hpp"

#include "common/digest.hpp"
#include "engine/pe_test_image.hpp"
#include "signatures/database_loader.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

namespace vg {
namespace {

namespace fs = std::filesystem;
using testing::Bytes;

const fs::path kSuite = fs::path(VOXGUARD_SHARED_DATA) / "clamav/unittests/pe_allmatch";

std::string slurp(const fs::path &p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

std::vector<std::string> names(const ScanOutcome &r) {
  std::vector<std::string> out;
  for (const auto &d : r.detections)
    out.emplace_back(d.name);
  return out;
}

class SectionHashEngine : public ::testing::Test {
protected:
  void SetUp() override {
    if (!fs::is_regular_file(kSuite / "test.exe"))
      GTEST_SKIP() << "shared test data missing: " << kSuite;
    const std::string s = slurp(kSuite / "test.exe");
    file_.assign(s.begin(), s.end());
  }
  void load(SignatureSet &set, const std::string &alert) {
    const fs::path p = kSuite / "alert-sigs" / alert;
    load_database_text(set, p.string(), slurp(p));
  }
  // The outcome's names point into the engine, which the fixture keeps.
  ScanOutcome scan(SignatureSet set, bool allmatch) {
    engine_ = Engine::build(std::move(set));
    Engine::Scratch scratch;
    return engine_->scan(file_, allmatch, scratch);
  }
  Bytes file_;
  std::shared_ptr<const Engine> engine_;
};

TEST_F(SectionHashEngine, SectionAndImportHashesFire) {
  SignatureSet set;
  load(set, "Test.GenSig.MDB_01of16_MD5_FIXED_text.UNOFFICIAL.mdb");
  load(set, "Test.GenSig.MSB_32of32_SHA256_STAR_rsrc.UNOFFICIAL.msb");
  load(set, "Test.GenSig.IMP_4of6_SHA1_STAR.UNOFFICIAL.imp");
  set.finish();
  auto r = scan(std::move(set), true);
  EXPECT_EQ(r.kind, FileKind::pe);
  EXPECT_EQ(names(r),
            (std::vector<std::string>{"Test.GenSig.MDB_01of16_MD5_FIXED_text.UNOFFICIAL",
                                      "Test.GenSig.MSB_32of32_SHA256_STAR_rsrc.UNOFFICIAL",
                                      "Test.GenSig.IMP_4of6_SHA1_STAR.UNOFFICIAL"}));
  for (const auto &d : r.detections)
    EXPECT_EQ(d.kind, Detection::Kind::hash);
}

TEST_F(SectionHashEngine, BodySignatureReportedFirstWithoutAllmatch) {
  SignatureSet set;
  load(set, "Test.GenSig.MDB_01of16_MD5_FIXED_text.UNOFFICIAL.mdb");
  load(set, "Test.GenSig.NDB_01of22_companyname.UNOFFICIAL.ndb");
  set.finish();
  auto r = scan(std::move(set), false);
  EXPECT_EQ(names(r), (std::vector<std::string>{"Test.GenSig.NDB_01of22_companyname.UNOFFICIAL"}));
}

TEST_F(SectionHashEngine, AllowListedFileCancelsSectionAndImportHits) {
  const Digests d = digest_bytes(file_, hash_bit(HashAlgo::md5));
  for (const char *alert : {"Test.GenSig.MDB_01of16_MD5_FIXED_text.UNOFFICIAL.mdb",
                            "Test.GenSig.IMP_1of6_MD5_FIXED.UNOFFICIAL.imp"}) {
    SignatureSet set;
    load(set, alert);
    load_database_text(set, "allow.fp",
                       d.md5->hex() + ":" + std::to_string(file_.size()) + ":Allowed\n");
    set.finish();
    auto r = scan(std::move(set), true);
    EXPECT_TRUE(r.detections.empty()) << alert;
    EXPECT_TRUE(r.allowlisted) << alert;
  }
}

TEST_F(SectionHashEngine, OnlyPeFilesAreLookedAt) {
  // The same section bytes outside a PE file: no section, no hash.
  SignatureSet set;
  load(set, "Test.GenSig.MDB_02of16_MD5_STAR_text.UNOFFICIAL.mdb");
  set.finish();
  auto engine = Engine::build(std::move(set));
  Engine::Scratch scratch;
  Bytes not_pe = file_;
  not_pe[0] = 'X';
  EXPECT_TRUE(engine->scan(not_pe, true, scratch).detections.empty());
  EXPECT_EQ(names(engine->scan(file_, true, scratch)),
            (std::vector<std::string>{"Test.GenSig.MDB_02of16_MD5_STAR_text.UNOFFICIAL"}));
}

} // namespace
} // namespace vg
