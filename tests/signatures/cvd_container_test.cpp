#include "common/temp_dir.hpp"
#include "signatures/cvd_container.hpp"

#include "common/error.hpp"
#include "common/mapped_file.hpp"
#include "signatures/database_loader.hpp"

#include "cvd_test_builder.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>

namespace vg {
namespace {

namespace fs = std::filesystem;
using namespace cvdtest;

const std::string kEicar =
    R"(X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*)";

using vg::testing::TempDir;

std::string eicar_hdb(const std::string &name) {
  return digest_of(kEicar, HashAlgo::md5).hex() + ":68:" + name + "\n";
}

Spec eicar_spec(CvdKind kind = CvdKind::cvd) {
  Spec s;
  s.kind = kind;
  s.members = {{"test.hdb", eicar_hdb("Test.EICAR.HDB")}};
  return s;
}

std::vector<std::string> names_detecting(const SignatureSet &set, const std::string &data) {
  auto d = digest_bytes({reinterpret_cast<const std::uint8_t *>(data.data()), data.size()},
                        set.hashes.needs(data.size()));
  std::vector<HashTable::Hit> hits;
  set.hashes.lookup(data.size(), d, hits);
  std::vector<std::string> out;
  for (const auto &h : hits)
    out.emplace_back(h.name);
  return out;
}

SignatureSet load_one(const std::string &path, const std::string &bytes,
                      const CvdTrust &trust = keys().trust()) {
  SignatureSet set;
  load_cvd_container(set, path, cvdtest::bytes(bytes), trust);
  set.finish();
  return set;
}

// The reason a container is refused for (fails the test if it is accepted).
std::string refusal(const std::string &bytes, const std::string &path = "/db/main.cvd",
                    const CvdTrust &trust = keys().trust()) {
  try {
    load_one(path, bytes, trust);
  } catch (const Error &e) {
    EXPECT_EQ(e.input(), path);
    return e.reason();
  }
  ADD_FAILURE() << "container accepted";
  return {};
}

#define EXPECT_REFUSED(bytes, needle)                                                              \
  do {                                                                                             \
    auto why_ = refusal(bytes);                                                                    \
    EXPECT_NE(why_.find(needle), std::string::npos) << why_;                                       \
  } while (0)

TEST(CvdContainer, SignedCvdLoadsWithOfficialNamesAndDetects) {
  auto s = eicar_spec();
  s.members.push_back({"test.ndb", "Test.Body:0:*:4142434445464748\n"});
  auto set = load_one("/db/main.cvd", build(s));
  EXPECT_EQ(names_detecting(set, kEicar), std::vector<std::string>{"Test.EICAR.HDB"});
  ASSERT_EQ(set.bodies.size(), 1u);
  EXPECT_EQ(set.bodies[0].name, "Test.Body");
  EXPECT_EQ(set.databases,
            (std::vector<std::string>{"/db/main.cvd/test.hdb", "/db/main.cvd/test.ndb"}));
  EXPECT_TRUE(set.warnings.empty());
}

TEST(CvdContainer, InspectionReportsEveryCheck) {
  auto c = inspect_cvd(bytes(build(eicar_spec())), "main.cvd", keys().trust());
  EXPECT_EQ(c.md5.state, CvdCheck::State::ok);
  EXPECT_EQ(c.signature.state, CvdCheck::State::ok);
  EXPECT_EQ(c.archive.state, CvdCheck::State::ok);
  EXPECT_EQ(c.info.state, CvdCheck::State::ok);
  EXPECT_EQ(c.header.md5, c.archive_md5);
  ASSERT_EQ(c.members.size(), 3u);
  EXPECT_EQ(c.members[0].name, "COPYING");
  EXPECT_TRUE(c.failure().empty());
}

TEST(CvdContainer, ClamAVsKeyRefusesATestSignedContainer) {
  // The default trust is ClamAV's published key: our own signature must not pass it.
  auto why = refusal(build(eicar_spec()), "/db/main.cvd", CvdTrust{});
  EXPECT_NE(why.find("digital signature does not verify"), std::string::npos) << why;
}

TEST(CvdContainer, IgnoreListInsideAppliesToTheWholeContainer) {
  auto s = eicar_spec();
  s.members.push_back({"test.ndb", "Keep:0:*:41424344\nDrop:0:*:45464748\n"});
  s.members.push_back({"test.ign2", "Drop\n"}); // after the .ndb in the archive
  auto set = load_one("/db/daily.cvd", build(s));
  ASSERT_EQ(set.bodies.size(), 1u);
  EXPECT_EQ(set.bodies[0].name, "Keep");
}

TEST(CvdContainer, UnsupportedMemberIsPassedOverWithAWarning) {
  auto s = eicar_spec();
  s.members.push_back({"test.wdb", "X:.+:.+\n"});
  s.members.push_back({"test.cdb", "Something:CL_TYPE_ZIP:*:x:*:*:*:*:*:*\n"}); // a read format
  s.members.push_back({"a.cbc", "ClamBC bytecode\n"});
  s.members.push_back({"b.cbc", "ClamBC bytecode\n"});
  auto set = load_one("/db/main.cvd", build(s));
  ASSERT_EQ(set.warnings.size(), 2u);
  EXPECT_EQ(set.warnings[0], "/db/main.cvd: 2 .cbc files (a.cbc, ...): database format not "
                             "supported yet, passed over");
  EXPECT_EQ(set.warnings[1],
            "/db/main.cvd/test.wdb: database format not supported yet, passed over");
  EXPECT_EQ(set.hashes.size(), 1u);
  ASSERT_EQ(set.container_metadata.size(), 1u);
  EXPECT_EQ(set.container_metadata[0].name, "Something");
}

TEST(CvdContainer, MalformedMemberLineNamesContainerMemberAndLine) {
  auto s = eicar_spec();
  s.members.push_back({"test.ndb", "Good:0:*:41424344\nBad:0:*:41zz\n"});
  try {
    load_one("/db/main.cvd", build(s));
    FAIL();
  } catch (const Error &e) {
    EXPECT_EQ(e.input(), "/db/main.cvd/test.ndb:2");
  }
}

TEST(CvdContainer, TruncatedAnywhereIsRefused) {
  auto good = build(eicar_spec());
  for (std::size_t cut : {std::size_t{0}, std::size_t{100}, std::size_t{511}, std::size_t{512},
                          std::size_t{600}, good.size() / 2, good.size() - 1}) {
    SCOPED_TRACE(cut);
    auto why = refusal(good.substr(0, cut));
    EXPECT_FALSE(why.empty());
  }
  EXPECT_REFUSED(good.substr(0, 300), "truncated");
  EXPECT_REFUSED(good.substr(0, good.size() - 1), "MD5");
}

TEST(CvdContainer, FlippedArchiveByteFailsTheMd5) {
  auto good = build(eicar_spec());
  for (std::size_t at : {std::size_t{512}, std::size_t{520}, good.size() - 3}) {
    auto bad = good;
    bad[at] = static_cast<char>(bad[at] ^ 0x20);
    EXPECT_REFUSED(bad, "archive's MD5");
  }
}

TEST(CvdContainer, HeaderMd5ThatDoesNotMatchIsRefused) {
  auto good = build(eicar_spec());
  auto c = inspect_cvd(bytes(good), "main.cvd", keys().trust());
  auto bad = good;
  auto at = bad.find(c.header.md5);
  bad[at] = bad[at] == '0' ? '1' : '0';
  EXPECT_REFUSED(bad, "header says");
}

TEST(CvdContainer, BadSignatureIsRefused) {
  auto s = eicar_spec();
  s.signer = &other_keys(); // signed, but by a key we do not trust
  EXPECT_REFUSED(build(s), "digital signature does not verify");
  auto good = build(eicar_spec());
  auto c = inspect_cvd(bytes(good), "main.cvd", keys().trust());
  auto bad = good;
  auto at = bad.find(c.header.dsig) + 20;
  bad[at] = bad[at] == 'a' ? 'b' : 'a';
  EXPECT_REFUSED(bad, "digital signature does not verify");
}

TEST(CvdContainer, WrongHeaderFieldsAreRefused) {
  auto good = build(eicar_spec());
  auto version_text = good;
  version_text.replace(version_text.find(":5:1:216:"), 9, ":x:1:216:");
  EXPECT_REFUSED(version_text, "version");
  auto s = eicar_spec();
  s.info_version = 6; // .info says version 6, the header 5
  EXPECT_REFUSED(build(s), "does not match the container's");
  EXPECT_REFUSED("ClamAV-VDX" + good.substr(10), "ClamAV-VDB");
}

TEST(CvdContainer, LevelAboveOursIsAWarningAsInClamscan) {
  auto s = eicar_spec();
  s.level = kFunctionalityLevel + 84;
  auto set = load_one("/db/main.cvd", build(s));
  ASSERT_EQ(set.warnings.size(), 1u);
  EXPECT_NE(set.warnings[0].find("functionality level 300"), std::string::npos);
  EXPECT_EQ(set.hashes.size(), 1u);
}

TEST(CvdContainer, DailyDatabaseAgeIsWarnedAboutAsInClamscan) {
  auto now = static_cast<std::uint64_t>(std::time(nullptr));
  auto s = eicar_spec();
  EXPECT_TRUE(load_one("/db/daily.cvd", build(s)).warnings.empty());
  s.stime = now - 8 * 86400;
  auto old = load_one("/db/daily.cvd", build(s));
  ASSERT_EQ(old.warnings.size(), 1u);
  EXPECT_NE(old.warnings[0].find("older than 7 days (8 days)"), std::string::npos);
  EXPECT_EQ(old.hashes.size(), 1u);
  EXPECT_TRUE(load_one("/db/main.cvd", build(s)).warnings.empty()); // main is meant to be old
  s.stime = now + 7200;
  auto future = load_one("/db/daily.cvd", build(s));
  ASSERT_EQ(future.warnings.size(), 1u);
  EXPECT_NE(future.warnings[0].find("in the future"), std::string::npos);
}

TEST(CvdContainer, InfoProblemsAreRefused) {
  auto unlisted = eicar_spec();
  unlisted.info_extra_lines = {"gone.ndb:10:" + std::string(64, 'a')};
  EXPECT_REFUSED(build(unlisted), "missing from the archive");
  auto no_info = eicar_spec();
  no_info.with_info = false;
  EXPECT_REFUSED(build(no_info), "no .info member");
  auto unsigned_info = eicar_spec();
  unsigned_info.sign_info = false;
  EXPECT_REFUSED(build(unsigned_info), "no DSIG line");
  auto other_signer = eicar_spec(CvdKind::cld);
  other_signer.signer = &other_keys();
  auto why = refusal(build(other_signer), "/db/daily.cld");
  EXPECT_NE(why.find("DSIG does not verify"), std::string::npos) << why;
  auto malformed = eicar_spec();
  malformed.info_extra_lines = {"broken-line"};
  EXPECT_REFUSED(build(malformed), "NAME:SIZE:SHA256");
}

TEST(CvdContainer, MemberChangedAfterSigningIsRefused) {
  // A .cld has no archive signature: its .info's hashes are what protect the members.
  auto s = eicar_spec(CvdKind::cld);
  auto good = build(s);
  EXPECT_EQ(load_one("/db/daily.cld", good).hashes.size(), 1u);
  auto bad = good;
  auto at = bad.find("Test.EICAR.HDB");
  bad[at] = 'B';
  auto why = refusal(bad, "/db/daily.cld");
  EXPECT_NE(why.find("SHA-256"), std::string::npos) << why;
}

TEST(CvdContainer, ArchiveShapesClamAVRefuses) {
  auto slash = eicar_spec();
  slash.members.push_back({"sub/x.ndb", "A:0:*:41424344\n"});
  EXPECT_REFUSED(build(slash), "no '/'");
  auto dir = eicar_spec();
  dir.members.push_back({"adir", "", AE_IFDIR});
  EXPECT_REFUSED(build(dir), "not a regular file");
  auto stray = eicar_spec();
  stray.unlisted.push_back({"stray.ndb", "A:0:*:41424344\n"});
  EXPECT_REFUSED(build(stray), "'stray.ndb' is not listed in test.info");
  std::string header(512, ' ');
  std::string noise = header + "this is not a tar archive at all, not even gzip'd";
  EXPECT_FALSE(refusal(noise, "/db/x.cud").empty());
}

TEST(CvdContainer, UnsignedCudLoadsWithUnofficialNames) {
  auto set = load_one("/db/test.cud", build(eicar_spec(CvdKind::cud)), CvdTrust{});
  EXPECT_EQ(names_detecting(set, kEicar), std::vector<std::string>{"Test.EICAR.HDB.UNOFFICIAL"});
}

TEST(CvdContainer, DirectoryLoadsOnlyTheNewerOfCvdAndCld) {
  ScopedCvdTrust trust(keys().trust());
  auto make = [](CvdKind kind, std::uint32_t version, const std::string &name) {
    Spec s;
    s.kind = kind;
    s.version = version;
    s.members = {{"main.hdb", eicar_hdb(name)}};
    return build(s);
  };
  auto names = [](const std::string &dir) {
    auto set = load_databases({dir});
    return std::make_pair(names_detecting(set, kEicar), set.warnings);
  };
  {
    TempDir d;
    d.write("main.cvd", make(CvdKind::cvd, 5, "From.Cvd"));
    d.write("main.cld", make(CvdKind::cld, 6, "From.Cld"));
    auto [found, warnings] = names(d.path.string());
    EXPECT_EQ(found, std::vector<std::string>{"From.Cld"});
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_NE(warnings[0].find("main.cvd: version 5 is not newer"), std::string::npos);
  }
  {
    TempDir d;
    d.write("main.cvd", make(CvdKind::cvd, 7, "From.Cvd"));
    d.write("main.cld", make(CvdKind::cld, 6, "From.Cld"));
    EXPECT_EQ(names(d.path.string()).first, std::vector<std::string>{"From.Cvd"});
  }
  {
    TempDir d; // equal versions: clamscan keeps the .cld
    d.write("main.cvd", make(CvdKind::cvd, 6, "From.Cvd"));
    d.write("main.cld", make(CvdKind::cld, 6, "From.Cld"));
    d.write("daily.cld", make(CvdKind::cld, 9, "From.Daily"));
    // Both load (two signatures), and as in clamscan the same (size, digest) reports one name,
    // the last loaded: daily.cld sorts before main.cld.
    EXPECT_EQ(load_databases({d.path.string()}).hashes.size(), 2u);
    EXPECT_EQ(names(d.path.string()).first, std::vector<std::string>{"From.Cld"});
  }
}

TEST(CvdContainer, BrokenContainerInDirectoryStopsLoading) {
  ScopedCvdTrust trust(keys().trust());
  TempDir d;
  auto good = build(eicar_spec());
  auto p = d.write("main.cvd", good.substr(0, good.size() - 10));
  try {
    load_databases({d.path.string()});
    FAIL();
  } catch (const Error &e) {
    EXPECT_EQ(e.input(), p);
  }
}

// clamscan itself, on a container that ClamAV's own sigtool built: same names, same detection.
TEST(CvdContainer, SigtoolBuiltCudMatchesClamscan) {
  if (std::system("command -v sigtool >/dev/null 2>&1 && command -v clamscan >/dev/null 2>&1"))
    GTEST_SKIP() << "sigtool/clamscan (package clamav) not installed";
  TempDir d;
  d.write("test.hdb", eicar_hdb("Test.EICAR.HDB"));
  d.write("test.ndb", "Test.Body:0:*:4142434445464748\n");
  d.write("COPYING", "test\n");
  auto sample = d.write("sample.txt", kEicar);
  std::string cmd = "cd '" + d.path.string() +
                    "' && echo vgtest | sigtool --build=test.cud --unsigned --cvd-version=3 "
                    "--no-cdiff --datadir=. >/dev/null 2>&1 && mkdir db && mv test.cud db/";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  auto db = (d.path / "db").string();
  std::string out_file = (d.path / "clamscan.out").string();
  std::string scan = "clamscan --no-summary -d '" + db + "' '" + sample + "' > '" + out_file + "'";
  (void)std::system(scan.c_str());
  auto out = read_text_file(out_file);
  EXPECT_NE(out.find(": Test.EICAR.HDB.UNOFFICIAL FOUND"), std::string::npos) << out;

  auto set = load_databases({db});
  EXPECT_EQ(names_detecting(set, kEicar), std::vector<std::string>{"Test.EICAR.HDB.UNOFFICIAL"});
  EXPECT_EQ(set.bodies.size(), 1u);
  EXPECT_TRUE(set.warnings.empty());
  auto file = MappedFile::open(db + "/test.cud");
  auto c = inspect_cvd(file.bytes(), db + "/test.cud");
  EXPECT_EQ(c.header.version, 3u);
  EXPECT_EQ(c.header.signatures, 2u);
  EXPECT_EQ(c.header.builder, "vgtest");
  EXPECT_EQ(c.header.functionality_level, kFunctionalityLevel);
  EXPECT_EQ(c.info.state, CvdCheck::State::ok);
}

} // namespace
} // namespace vg
