// End-to-end tests of `voxguard scan`: output format, exit codes, databases, limits, walking,
// the compiled cache.
#include "engine/compiled_cache.hpp"
#include "run_command.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sstream>
#include <sys/stat.h>

namespace fs = std::filesystem;
using vg::test::run_command;

namespace {

// Every voxguard this test process runs (this file's tests and the other end-to-end suites linked
// into the same executable) keeps its compiled cache in a temporary directory of its own, never in
// the user's ~/.cache or /var/cache, unless the caller chose one with $VOXGUARD_CACHE_DIR.
class PrivateCompiledCache : public ::testing::Environment {
public:
  // In SetUp, not the constructor: listing the tests (gtest_discover_tests) runs no environment.
  void SetUp() override {
    if (const char *set = std::getenv("VOXGUARD_CACHE_DIR"); set && *set)
      return;
    char tmpl[] = "/tmp/vg-e2e-cache-XXXXXX";
    if (::mkdtemp(tmpl)) {
      dir_ = tmpl;
      ::setenv("VOXGUARD_CACHE_DIR", tmpl, 1);
    }
  }
  void TearDown() override {
    if (!dir_.empty())
      fs::remove_all(dir_);
  }

private:
  fs::path dir_;
};
[[maybe_unused]] ::testing::Environment *const kPrivateCache =
    ::testing::AddGlobalTestEnvironment(new PrivateCompiledCache);

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

TEST_F(ScanCli, EngineStatsSayWhereLoadAndScanTimeWent) {
  auto bad = write("eicar.com", kEicar);
  auto good = write("readme.txt", "hello\n");
  auto r = scan({"-d", bundled(), "--no-summary", "--engine-stats", bad, good});
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_EQ(r.out, bad + ": Eicar-Test-Signature.UNOFFICIAL FOUND\n" + good + ": OK\n");
  EXPECT_NE(r.err.find("engine load: parse "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("prefilter "), std::string::npos) << r.err;
  // Two files, each scanned once as a buffer at least: the per-tier sums count them.
  auto at = r.err.find("engine scan: ");
  ASSERT_NE(at, std::string::npos) << r.err;
  EXPECT_GE(std::stoul(r.err.substr(at + 13)), 2u) << r.err;
  EXPECT_NE(r.err.find("verification "), std::string::npos) << r.err;
  auto plain = scan({"-d", bundled(), "--no-summary", bad});
  EXPECT_EQ(plain.err.find("engine "), std::string::npos) << plain.err; // only on request
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

std::vector<fs::path> cache_entries(const fs::path &cache) {
  std::vector<fs::path> out;
  for (const auto &e : fs::directory_iterator(cache))
    out.push_back(e.path());
  return out;
}

TEST_F(ScanCli, CompiledCacheColdWarmAndDamaged) {
  // A body signature found anywhere in a file goes through the literal prefilter, which is cached.
  auto db = write("floating.ndb", "Floating.Cache.Test:0:*:" +
                                      std::string("766f7867756172642063616368652074657374") + "\n");
  auto bad = write("eicar.com", kEicar);
  auto hit = write("hit.txt", "...voxguard cache test...");
  auto good = write("readme.txt", "hello\n");
  std::string cache = (dir / "cache").string();
  auto run = [&] {
    return scan({"-d", bundled(), "-d", db, "--no-summary", "--cache-dir", cache, bad, hit, good});
  };
  auto cold = run();
  EXPECT_EQ(cold.status, 1) << cold.err;
  EXPECT_EQ(cold.err, "");
  EXPECT_NE(cold.out.find(hit + ": Floating.Cache.Test.UNOFFICIAL FOUND\n"), std::string::npos)
      << cold.out;
  auto files = cache_entries(cache);
  ASSERT_FALSE(files.empty()) << "nothing cached in " << cache;
  struct stat st {};
  ASSERT_EQ(::stat(cache.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  for (const auto &f : files) {
    EXPECT_EQ(f.extension(), ".hsdb") << f;
    ASSERT_EQ(::stat(f.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u) << f;
  }
  auto warm = run();
  EXPECT_EQ(warm.status, 1);
  EXPECT_EQ(warm.out, cold.out);
  EXPECT_EQ(warm.err, "");
  // A truncated entry: the same verdicts, one line naming the file and the reason, rewritten.
  fs::resize_file(files[0], 40);
  auto damaged = run();
  EXPECT_EQ(damaged.status, 1);
  EXPECT_EQ(damaged.out, cold.out);
  EXPECT_EQ(damaged.err, "voxguard: compiled cache " + files[0].string() +
                             ": truncated header (40 bytes, a header is " +
                             std::to_string(vg::kCacheHeaderSize) + "); building it again\n");
  EXPECT_GT(fs::file_size(files[0]), vg::kCacheHeaderSize);
  auto healed = run();
  EXPECT_EQ(healed.err, "");
  EXPECT_EQ(healed.out, cold.out);
}

TEST_F(ScanCli, NoCacheWritesNothingAndDefaultFollowsEnvironment) {
  auto f = write("hit.txt", "...voxguard cache test...");
  auto db = write("floating.ndb", "Floating.Cache.Test:0:*:" +
                                      std::string("766f7867756172642063616368652074657374") + "\n");
  fs::path cache = dir / "env-cache";
  std::vector<std::string> env = {"VOXGUARD_CACHE_DIR=" + cache.string()};
  auto off = run_command(
      {VOXGUARD_BINARY, "scan", "--no-progress", "--no-cache", "-d", db, "--no-summary", f}, {},
      env);
  EXPECT_EQ(off.status, 1) << off.err;
  EXPECT_FALSE(fs::exists(cache));
  auto on =
      run_command({VOXGUARD_BINARY, "scan", "--no-progress", "-d", db, "--no-summary", f}, {}, env);
  EXPECT_EQ(on.status, 1) << on.err;
  EXPECT_EQ(on.out, off.out);
  ASSERT_TRUE(fs::is_directory(cache));
  EXPECT_FALSE(cache_entries(cache).empty());
}

TEST_F(ScanCli, UnsafeCacheDirectoryIsRefused) {
  auto f = write("eicar.com", kEicar);
  fs::path open_dir = dir / "open";
  fs::create_directories(open_dir);
  ::chmod(open_dir.c_str(), 0777);
  // Named on the command line: an error, nothing scanned.
  auto r = scan({"-d", bundled(), "--cache-dir", open_dir.string(), f});
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_NE(r.err.find(open_dir.string() + ": unsafe cache directory: writable by group or others"),
            std::string::npos)
      << r.err;
  EXPECT_TRUE(cache_entries(open_dir).empty());
  // The default location: a warning, and the scan runs without the cache.
  auto d =
      run_command({VOXGUARD_BINARY, "scan", "--no-progress", "-d", bundled(), "--no-summary", f},
                  {}, {"VOXGUARD_CACHE_DIR=" + open_dir.string()});
  EXPECT_EQ(d.status, 1);
  EXPECT_EQ(d.out, f + ": Eicar-Test-Signature.UNOFFICIAL FOUND\n");
  EXPECT_NE(d.err.find("compiled databases are not cached"), std::string::npos) << d.err;
  EXPECT_TRUE(cache_entries(open_dir).empty());
  auto size = scan({"-d", bundled(), "--cache-max-size=lots", f});
  EXPECT_EQ(size.status, 2);
  EXPECT_NE(size.err.find("--cache-max-size"), std::string::npos) << size.err;
}

// The cache entry holding the signature snapshot (its payload starts with the snapshot's magic).
fs::path snapshot_entry(const fs::path &cache) {
  for (const auto &f : cache_entries(cache)) {
    std::ifstream in(f, std::ios::binary);
    std::string head(vg::kCacheHeaderSize + 8, '\0');
    if (in.read(head.data(), static_cast<std::streamsize>(head.size())) &&
        head.substr(vg::kCacheHeaderSize) == "VGSIGSNP")
      return f;
  }
  return {};
}

std::vector<std::uint8_t> read_bytes(const fs::path &p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST_F(ScanCli, WarmStartReadsTheSignatureSnapshotWithIdenticalResults) {
  auto ndb = write("db/local.ndb", "Local.Body:0:*:766f78677561726420736e617073686f74\n");
  write("db/local.ldb", "Local.Ldb;Engine:81-255,Target:0;0&1;6c6f676963616c;0/sn[a-z]+ot/\n");
  write("db/local.ign2", "Nothing.Ignored\n");
  auto hit = write("hit.txt", "...voxguard snapshot, logical...");
  auto good = write("readme.txt", "hello\n");
  std::string cache = (dir / "cache").string();
  auto run = [&] {
    return scan({"-z", "-d", (dir / "db").string(), "--no-summary", "--engine-stats", "--cache-dir",
                 cache, hit, good});
  };
  auto cold = run();
  EXPECT_EQ(cold.status, 1) << cold.err;
  EXPECT_EQ(cold.out, hit + ": Local.Body.UNOFFICIAL FOUND\n" + hit +
                          ": Local.Ldb.UNOFFICIAL FOUND\n" + good + ": OK\n");
  EXPECT_NE(cold.err.find("(text parsed "), std::string::npos) << cold.err;
  EXPECT_NE(cold.err.find("snapshot stored"), std::string::npos) << cold.err;
  ASSERT_FALSE(snapshot_entry(cache).empty()) << "no snapshot in " << cache;
  auto warm = run();
  EXPECT_EQ(warm.status, 1);
  EXPECT_EQ(warm.out, cold.out);
  EXPECT_NE(warm.err.find("(from the signature snapshot: "), std::string::npos) << warm.err;
  EXPECT_EQ(warm.err.find("engine load"), cold.err.find("engine load")) << "nothing else printed";
  // --no-cache neither reads nor writes it.
  auto off = scan({"-z", "-d", (dir / "db").string(), "--no-summary", "--engine-stats",
                   "--no-cache", hit, good});
  EXPECT_EQ(off.out, cold.out);
  EXPECT_NE(off.err.find("no cache"), std::string::npos) << off.err;

  // A database changed in place, same size, its mtime set back: only the content tells. Parsed
  // again, the new signature loaded, the old one gone.
  auto mtime = fs::last_write_time(ndb);
  write("db/local.ndb", "Local.Body:0:*:766f78677561726420736e617073686f75\n");
  fs::last_write_time(ndb, mtime);
  auto changed = run();
  EXPECT_NE(changed.err.find("(text parsed "), std::string::npos) << changed.err;
  EXPECT_EQ(changed.out, hit + ": Local.Ldb.UNOFFICIAL FOUND\n" + good + ": OK\n");
}

TEST_F(ScanCli, DamagedSignatureSnapshotGivesOneNoticeAndIdenticalResults) {
  auto db = write("local.ndb", "Local.Body:0:*:766f78677561726420736e617073686f74\n");
  auto hit = write("hit.txt", "...voxguard snapshot...");
  std::string cache = (dir / "cache").string();
  auto run = [&] {
    return scan({"-d", db, "--no-summary", "--engine-stats", "--cache-dir", cache, hit});
  };
  auto cold = run();
  ASSERT_EQ(cold.status, 1) << cold.err;
  fs::path entry = snapshot_entry(cache);
  ASSERT_FALSE(entry.empty());
  // An entry whose cache header and digest are right but whose snapshot is cut short: only the
  // snapshot reader can tell.
  auto bytes = read_bytes(entry);
  vg::CacheKey key{};
  std::copy_n(bytes.begin() + 16, key.size(), key.begin());
  auto payload = vg::parse_cache_file(bytes, key, entry.string());
  std::vector<std::uint8_t> cut(payload.begin(), payload.begin() + payload.size() / 2);
  auto forged = vg::make_cache_file(key, cut);
  std::ofstream(entry, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char *>(forged.data()),
             static_cast<std::streamsize>(forged.size()));
  auto damaged = run();
  EXPECT_EQ(damaged.status, 1);
  EXPECT_EQ(damaged.out, cold.out);
  auto first = damaged.err.find("voxguard: compiled cache " + entry.string() +
                                ": bad signature snapshot: truncated");
  EXPECT_NE(first, std::string::npos) << damaged.err;
  EXPECT_EQ(damaged.err.find("voxguard: compiled cache", first + 1), std::string::npos)
      << "one notice only: " << damaged.err;
  EXPECT_NE(damaged.err.find("(text parsed "), std::string::npos) << damaged.err;
  // Rewritten: the next start reads it silently.
  auto healed = run();
  EXPECT_EQ(healed.out, cold.out);
  EXPECT_EQ(healed.err.find("voxguard: compiled cache"), std::string::npos) << healed.err;
  EXPECT_NE(healed.err.find("(from the signature snapshot: "), std::string::npos) << healed.err;
  // A flipped byte in the payload is caught by the cache's own digest: one notice, same results.
  bytes = read_bytes(entry);
  bytes[bytes.size() / 2] ^= 0x20; // inside the payload: the header is kCacheHeaderSize bytes
  std::ofstream(entry, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char *>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
  auto flipped = run();
  EXPECT_EQ(flipped.out, cold.out);
  EXPECT_NE(flipped.err.find("voxguard: compiled cache " + entry.string()), std::string::npos)
      << flipped.err;
  EXPECT_NE(flipped.err.find("(text parsed "), std::string::npos) << flipped.err;
}

// The whole shared database (the benchmark's set) with the pe_allmatch signatures: a warm start
// from the snapshot reports exactly what the cold start parsed from the text reported.
TEST_F(ScanCli, FullDatabaseVerdictsAreIdenticalFromTheSnapshot) {
  const std::string data = VOXGUARD_SHARED_DATA, o = data + "/clamav/official-talos-subset/";
  std::vector<std::string> dbs = {o + "main.fp",
                                  o + "main.hdb",
                                  o + "main.ldb",
                                  o + "daily.fp",
                                  o + "daily.hdb",
                                  o + "daily.hsb",
                                  o + "daily.ndb",
                                  data + "/clamav/rfxn-lmd/rfxn.hdb",
                                  data + "/clamav/rfxn-lmd/rfxn.ndb",
                                  data + "/clamav/ditekshen/clamav.ldb",
                                  data + "/clamav/unittests/pe_allmatch/alert-sigs"};
  for (const auto &d : dbs)
    if (!fs::exists(d))
      GTEST_SKIP() << d << " missing";
  std::string cache = (dir / "cache").string();
  std::vector<std::string> args = {"-z", "--no-summary", "--engine-stats", "--cache-dir", cache};
  for (const auto &d : dbs)
    args.insert(args.end(), {"-d", d});
  for (const char *f : {"/unittests/pe_allmatch/test.exe", "/unittests/clamav_hdb_scanfiles_xor"})
    args.push_back(data + "/clamav" + f);
  args.push_back("/usr/bin/ls");
  auto cold = scan(args);
  auto warm = scan(args);
  EXPECT_EQ(cold.status, 1) << cold.err;
  EXPECT_NE(cold.err.find("snapshot stored"), std::string::npos) << cold.err;
  EXPECT_NE(warm.err.find("(from the signature snapshot: "), std::string::npos) << warm.err;
  EXPECT_GT(std::count(cold.out.begin(), cold.out.end(), '\n'), 50) << cold.out;
  EXPECT_EQ(warm.out, cold.out);
  EXPECT_EQ(warm.status, cold.status);
}

TEST_F(ScanCli, HelpAndBadOptions) {
  auto h = scan({"--help"});
  EXPECT_EQ(h.status, 0);
  EXPECT_NE(h.out.find("EXIT STATUS"), std::string::npos);
  for (const char *opt : {"--cache-dir=DIR", "--cache-max-size=SIZE", "--no-cache",
                          "VOXGUARD_CACHE_DIR", "/var/cache/voxguard"})
    EXPECT_NE(h.out.find(opt), std::string::npos) << opt;
  auto b = scan({"--no-such-option", "x"});
  EXPECT_EQ(b.status, 2);
  EXPECT_NE(b.err.find("--no-such-option"), std::string::npos);
  auto j = scan({"-j", "zero", "x"});
  EXPECT_EQ(j.status, 2);
}

} // namespace
