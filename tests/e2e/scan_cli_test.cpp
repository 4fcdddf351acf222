// End-to-end tests of `voxguard scan`: output format, exit codes, databases, limits, walking.
#include "run_command.hpp"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sstream>

namespace fs = std::filesystem;
using vg::test::run_command;

namespace {

const std::string kEicar = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";

class ScanCli : public ::testing::Test {
protected:
  fs::path dir;
  void SetUp() override {
    char tmpl[] = "/tmp/vg-scan-XXXXXX";
    dir = ::mkdtemp(tmpl);
  }
  void TearDown() override { fs::remove_all(dir); }
  std::string write(const std::string &rel, const std::string &text) {
    fs::create_directories((dir / rel).parent_path());
    std::ofstream(dir / rel, std::ios::binary) << text;
    return (dir / rel).string();
  }
  vg::test::CommandResult scan(std::vector<std::string> args, const std::string &input = {}) {
    args.insert(args.begin(), {VOXGUARD_BINARY, "scan", "--no-progress"});
    return run_command(args, input);
  }
  std::string bundled() const { return std::string(VOXGUARD_SOURCE_DIR) + "/db"; }
};

TEST_F(ScanCli, BundledDatabaseFindsEicarLikeClamscan) {
  auto bad = write("eicar.com", kEicar);
  auto good = write("readme.txt", "hello, nothing to see here\n");
  auto r = scan({"-d", bundled(), bad, good});
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_NE(r.out.find(bad + ": Eicar-Test-Signature.UNOFFICIAL FOUND\n"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find(good + ": OK\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("----------- SCAN SUMMARY -----------"), std::string::npos);
  EXPECT_NE(r.out.find("Known viruses: 3\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Scanned files: 2\nInfected files: 1\n"), std::string::npos) << r.out;
}

TEST_F(ScanCli, CleanTreeExitsZeroAndCountsDirectories) {
  write("a/b/c.txt", "one");
  write("a/d.txt", "two");
  auto r = scan({"-d", bundled(), (dir / "a").string()});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("Scanned directories: 2\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Scanned files: 2\n"), std::string::npos) << r.out;
}

TEST_F(ScanCli, AllmatchReportsEverySignature) {
  auto f = write("eicar.com", kEicar);
  auto one = scan({"-d", bundled(), "--no-summary", f});
  EXPECT_EQ(one.status, 1);
  EXPECT_EQ(std::count(one.out.begin(), one.out.end(), '\n'), 1) << one.out;
  auto all = scan({"-d", bundled(), "--no-summary", "--allmatch", f});
  EXPECT_EQ(all.status, 1);
  EXPECT_EQ(std::count(all.out.begin(), all.out.end(), '\n'), 2) << all.out; // hash and body
}

TEST_F(ScanCli, InfectedOnlyAndStdin) {
  write("clean.txt", "clean");
  auto r = scan({"-d", bundled(), "-i", "--no-summary", dir.string()});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, "");
  auto s = scan({"-d", bundled(), "--no-summary", "-"}, kEicar);
  EXPECT_EQ(s.status, 1);
  EXPECT_EQ(s.out, "stdin: Eicar-Test-Signature.UNOFFICIAL FOUND\n");
}

TEST_F(ScanCli, JsonCarriesOffsetsDatabaseAndSha256) {
  auto f = write("x/eicar.com", kEicar);
  auto r = scan({"-d", bundled() + "/voxguard-default.ndb", "--json", "--allmatch", f});
  EXPECT_EQ(r.status, 1);
  std::istringstream lines(r.out);
  std::string line;
  std::vector<nlohmann::json> objs;
  while (std::getline(lines, line))
    objs.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(objs.size(), 2u) << r.out;
  EXPECT_EQ(objs[0]["path"], f);
  EXPECT_EQ(objs[0]["status"], "infected");
  EXPECT_EQ(objs[0]["size"], kEicar.size());
  EXPECT_EQ(objs[0]["sha256"], "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f");
  ASSERT_EQ(objs[0]["verdicts"].size(), 1u);
  EXPECT_EQ(objs[0]["verdicts"][0]["signature"], "Eicar-Test-Signature.UNOFFICIAL");
  EXPECT_EQ(objs[0]["verdicts"][0]["offset"], 0);
  EXPECT_EQ(objs[0]["verdicts"][0]["database"], bundled() + "/voxguard-default.ndb");
  EXPECT_EQ(objs[1]["summary"]["infected_files"], 1);
}

TEST_F(ScanCli, MalformedDatabaseIsRefusedWithFileAndLine) {
  auto db = write("bad.ndb", "Good:0:*:41424344\nBroken:0:*:4142zz\n");
  auto f = write("f.txt", "ABCD");
  auto r = scan({"-d", db, f});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find(db + ":2: "), std::string::npos) << r.err;
  auto j = scan({"-d", db, "--json", f});
  EXPECT_EQ(j.status, 2);
  auto obj = nlohmann::json::parse(j.out);
  EXPECT_EQ(obj["error"]["input"], db + ":2");
}

TEST_F(ScanCli, MissingFileIsAnErrorLine) {
  auto r = scan({"-d", bundled(), "--no-summary", (dir / "nope").string()});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.out, (dir / "nope").string() + ": No such file or directory ERROR\n");
}

TEST_F(ScanCli, SizeLimitsAreReportedNotSilent) {
  auto big = write("big.bin", std::string(4096, 'A') + kEicar);
  auto r = scan({"-d", bundled(), "--no-summary", "--max-filesize=1K", big});
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find(big + ": file size limit exceeded"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("SKIPPED"), std::string::npos) << r.out;
  auto a = scan({"-d", bundled(), "--no-summary", "--max-filesize=1K", "--alert-exceeds-max", big});
  EXPECT_EQ(a.status, 1);
  EXPECT_EQ(a.out, big + ": Heuristics.Limits.Exceeded.MaxFileSize FOUND\n");
  // A body signature beyond --max-scansize is not seen, and the cut is reported in JSON.
  auto tail = write("tail.bin", std::string(8192, 'B') + "\n" + kEicar);
  auto db = write("tail.ndb", "Tail:0:*:" + std::string("45494341522d5354414e44415244") + "\n");
  auto c = scan({"-d", db, "--json", "--max-scansize=4K", tail});
  EXPECT_EQ(c.status, 0) << c.out;
  EXPECT_NE(c.out.find("--max-scansize"), std::string::npos) << c.out;
  auto full = scan({"-d", db, "--no-summary", tail});
  EXPECT_EQ(full.status, 1) << full.out;
}

TEST_F(ScanCli, ExcludesAndSymlinksStayInTheTree) {
  write("tree/keep.txt", kEicar);
  write("tree/skip.log", kEicar);
  write("tree/.git/obj", kEicar);
  write("outside/evil.com", kEicar);
  fs::create_directory_symlink(dir / "outside", dir / "tree" / "link");
  auto r = scan({"-d", bundled(), "--no-summary", "--exclude=*.log", "--exclude-dir=.git",
                 (dir / "tree").string()});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out, (dir / "tree/keep.txt").string() + ": Eicar-Test-Signature.UNOFFICIAL FOUND\n");
  auto f = scan({"-d", bundled(), "--no-summary", "--follow-symlinks", (dir / "tree").string()});
  EXPECT_NE(f.out.find("link/evil.com: Eicar"), std::string::npos) << f.out;
}

TEST_F(ScanCli, OutputOrderIsTheWalkOrderWithManyThreads) {
  std::string expect;
  for (int i = 0; i < 200; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "many/f%03d", i);
    auto p = write(name, i % 7 ? std::string(i * 100, 'x') : kEicar);
    expect += p + (i % 7 ? ": OK\n" : ": Eicar-Test-Signature.UNOFFICIAL FOUND\n");
  }
  auto r = scan({"-d", bundled(), "--no-summary", "-j", "4", (dir / "many").string()});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out, expect);
}

TEST_F(ScanCli, DatabaseSearchOrderUsesEnvironment) {
  auto db = write("env/only.ndb", "EnvSig:0:*:68656c6c6f2c2076\n");
  auto f = write("f.txt", "hello, voxguard");
  auto r = run_command({VOXGUARD_BINARY, "scan", "--no-summary", f}, {},
                       {"VOXGUARD_DB=" + (dir / "env").string()});
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_EQ(r.out, f + ": EnvSig.UNOFFICIAL FOUND\n");
}

TEST_F(ScanCli, HelpAndBadOptions) {
  auto h = scan({"--help"});
  EXPECT_EQ(h.status, 0);
  EXPECT_NE(h.out.find("EXIT STATUS"), std::string::npos);
  auto b = scan({"--no-such-option", "x"});
  EXPECT_EQ(b.status, 2);
  EXPECT_NE(b.err.find("--no-such-option"), std::string::npos);
  auto j = scan({"-j", "zero", "x"});
  EXPECT_EQ(j.status, 2);
}

} // namespace
