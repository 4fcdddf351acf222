#include "common/error.hpp"
#include "common/temp_dir.hpp"
#include "signatures/database_loader.hpp"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>

namespace vg {
namespace {

namespace fs = std::filesystem;

using vg::testing::TempDir;

TEST(DatabaseLoader, LoadsEachFormatWithOrigins) {
  TempDir d;
  d.write("a.hdb", "44d88612fea8a8f36de82e1278abb02f:68:Eicar\n");
  d.write("b.ndb", "# comment\nBody:0:*:41424344\r\n\nBody2:0:0:4142:9999\n");
  d.write("c.fp", "44d88612fea8a8f36de82e1278abb02f:68:fp-1\n");
  d.write("d.ign2", "Body2\n");
  d.write("notes.txt", "not a database\n");
  auto set = load_databases({d.path.string()});
  ASSERT_EQ(set.hashes.size(), 1u);
  ASSERT_EQ(set.bodies.size(), 1u);
  EXPECT_EQ(set.bodies[0].name, "Body.UNOFFICIAL");
  EXPECT_EQ(set.bodies[0].origin.line, 2u);
  EXPECT_EQ(set.databases[set.bodies[0].origin.database], (d.path / "b.ndb").string());
  EXPECT_EQ(set.allow.size(), 1u);
  EXPECT_EQ(set.skipped_by_level, 1u);
  EXPECT_EQ(set.signature_count(), 2u);
}

TEST(DatabaseLoader, IgnoreListDropsNamedSignatures) {
  TempDir d;
  auto ndb = d.write("x.ndb", "Keep:0:*:41424344\nDrop:0:*:45464748\n");
  auto ign = d.write("x.ign2", "Drop\n");
  auto set = load_databases({ndb, ign});
  ASSERT_EQ(set.bodies.size(), 1u);
  EXPECT_EQ(set.bodies[0].name, "Keep.UNOFFICIAL");
}

TEST(DatabaseLoader, MalformedLineNamesFileAndLine) {
  TempDir d;
  auto p = d.write("bad.ndb", "Good:0:*:41424344\nBad:0:*:41zz\n");
  try {
    load_databases({p});
    FAIL() << "malformed database accepted";
  } catch (const Error &e) {
    EXPECT_EQ(e.input(), p + ":2");
    EXPECT_NE(e.reason().find("hex"), std::string::npos) << e.reason();
  }
}

TEST(DatabaseLoader, UnsupportedAndMissing) {
  TempDir d;
  auto p = d.write("x.xyz", "whatever\n");
  EXPECT_THROW(load_databases({p}), Error);
  EXPECT_THROW(load_databases({(d.path / "missing.hdb").string()}), Error);
  EXPECT_THROW(load_databases({d.path.string()}), Error); // no database files in it
  d.write("y.cbc", "ClamBC bytecode is not read\n");
  d.write("z.hdb", "44d88612fea8a8f36de82e1278abb02f:68:Eicar\n");
  auto set = load_databases({d.path.string()});
  EXPECT_EQ(set.hashes.size(), 1u);
  ASSERT_EQ(set.warnings.size(), 1u); // the .cbc is reported as passed over, not silently dropped
}

TEST(DatabaseLoader, LogicalLineNamingAnUnknownTypeIsSkippedWithANotice) {
  TempDir d;
  auto p = d.write("x.ldb", "X.Bad;Engine:51-255,Target:0,Container:CL_TYPE_NOPE;0;414243\n"
                            "X.Future;Engine:300-400,Target:0;0;414243\n"
                            "X.Good;Engine:51-255,Target:0;0;414243\n");
  auto set = load_databases({p});
  ASSERT_EQ(set.logicals.size(), 1u);
  EXPECT_EQ(set.logicals[0].name, "X.Good.UNOFFICIAL");
  // The unknown type is reported with its line; a functionality level outside ours is routine.
  ASSERT_EQ(set.warnings.size(), 1u);
  EXPECT_EQ(set.warnings[0],
            p + ":1: signature skipped: unknown file type 'CL_TYPE_NOPE' in Container");
  EXPECT_EQ(set.skipped_by_level, 1u);
}

TEST(DatabaseLoader, RealDatabasesLoad) {
  std::string dir = std::string(VOXGUARD_SHARED_DATA) + "/clamav";
  if (!fs::exists(dir))
    GTEST_SKIP() << "SKIPPED: " << dir << " is missing";
  auto set = load_databases(
      {dir + "/rfxn-lmd/rfxn.hdb", dir + "/rfxn-lmd/rfxn.ndb",
       dir + "/official-talos-subset/daily.ndb", dir + "/official-talos-subset/daily.hsb",
       dir + "/official-talos-subset/main.hdb", dir + "/official-talos-subset/main.fp",
       dir + "/official-talos-daily27371-small/daily.sfp",
       dir + "/official-talos-daily27371-small/daily.ign2"});
  EXPECT_EQ(set.bodies.size() + set.skipped_by_level, 1869u + 258u);
  EXPECT_GT(set.hashes.size(), 9000u + 146000u + 82000u);
  EXPECT_EQ(set.allow.size(), 513u + 1u);
}

} // namespace
} // namespace vg
