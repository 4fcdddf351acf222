// Hostile containers generated here (zip bombs nested and flat, 100,000 tiny entries, mail nested
// 1,000 deep, a truncated archive, entry names with ../ and absolute paths), each scanned by the
// voxguard binary: every one must end with a verdict within the limits, in bounded time and memory
// (the child's peak RSS from wait4's rusage), writing nothing anywhere (its working directory is an
// empty private directory that must stay empty, and no path an entry names may appear).
#include "scan/container_fixtures.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace fs = std::filesystem;
using vg::test::Bytes;
using vg::test::bytes_of;
using vg::test::kMarker;

namespace {

struct ChildRun {
  int status = -1;
  std::string out, err;
  long peak_rss_kb = 0;
  double seconds = 0;
};

// Runs voxguard in `cwd`, capturing its output through files in `scratch` and its rusage.
ChildRun run_voxguard(const std::vector<std::string> &args, const fs::path &cwd,
                      const fs::path &scratch) {
  ChildRun r;
  fs::path out = scratch / "stdout", err = scratch / "stderr";
  auto t0 = std::chrono::steady_clock::now();
  std::fflush(stdout); // or the child would print what is buffered here once more
  std::fflush(stderr);
  pid_t pid = ::fork();
  if (pid == 0) {
    if (::chdir(cwd.c_str()) != 0)
      ::_exit(126);
    if (!std::freopen(out.c_str(), "w", stdout) || !std::freopen(err.c_str(), "w", stderr))
      ::_exit(126);
    std::vector<char *> argv;
    std::string bin = VOXGUARD_BINARY;
    argv.push_back(bin.data());
    std::vector<std::string> copy = args;
    for (auto &a : copy)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  int st = 0;
  struct rusage ru {};
  ::wait4(pid, &st, 0, &ru);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  r.peak_rss_kb = ru.ru_maxrss;
  auto slurp = [](const fs::path &p) {
    std::ifstream in(p, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), {});
  };
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

class ContainerHostile : public ::testing::Test {
protected:
  fs::path dir, cwd, scratch, db;
  void SetUp() override {
    char tmpl[] = "/tmp/vg-hostile-XXXXXX";
    dir = ::mkdtemp(tmpl);
    cwd = dir / "cwd";
    scratch = dir / "scratch";
    fs::create_directories(cwd);
    fs::create_directories(scratch);
    db = dir / "marker.ndb";
    std::ofstream(db) << vg::test::marker_ndb();
  }
  void TearDown() override { fs::remove_all(dir); }

  fs::path write(const std::string &name, const Bytes &b) {
    fs::path p = dir / name;
    std::ofstream(p, std::ios::binary)
        .write(reinterpret_cast<const char *>(b.data()), static_cast<std::streamsize>(b.size()));
    return p;
  }

  // Scans `file`; checks the common promises and returns the JSON line of the file.
  nlohmann::json scan(const fs::path &file, std::vector<std::string> extra, long max_rss_mb,
                      ChildRun *out = nullptr) {
    std::vector<std::string> args = {"scan", "--no-progress", "--json", "-j", "1",
                                     "-d",   db.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(file.string());
    ChildRun r = run_voxguard(args, cwd, scratch);
    std::printf("%s: exit %d, %.2f s, peak RSS %ld MB\n", file.filename().c_str(), r.status,
                r.seconds, r.peak_rss_kb / 1024);
    EXPECT_TRUE(r.status == 0 || r.status == 1) << r.err;
    EXPECT_LT(r.seconds, 120.0);
#ifndef VOXGUARD_SANITIZED // ASan's shadow memory and quarantine are not voxguard's memory
    EXPECT_LT(r.peak_rss_kb / 1024, max_rss_mb) << "memory is not flat";
#else
    (void)max_rss_mb;
#endif
    EXPECT_TRUE(fs::is_empty(cwd)) << "voxguard wrote into its working directory";
    if (out)
      *out = r;
    auto nl = r.out.find('\n');
    if (nl == std::string::npos) {
      ADD_FAILURE() << "no output: " << r.err;
      return {};
    }
    return nlohmann::json::parse(r.out.substr(0, nl));
  }
};

bool has_verdict(const nlohmann::json &j, const std::string &name) {
  for (const auto &v : j["verdicts"])
    if (v["signature"] == name)
      return true;
  return false;
}
bool has_limit_notice(const nlohmann::json &j, const std::string &limit) {
  if (!j.contains("notices"))
    return false;
  for (const auto &n : j["notices"])
    if (n["kind"] == "limit" && n.value("limit", "") == limit)
      return true;
  return false;
}

// The deflate of `n` zero bytes with its CRC: an entry that expands about 1000 times.
struct ZeroEntry {
  Bytes deflated;
  std::uint32_t crc = 0;
  std::uint64_t size = 0;
};
ZeroEntry zeros(std::uint64_t n) {
  Bytes z(static_cast<std::size_t>(n), 0);
  ZeroEntry e{vg::test::deflate_raw(z), 0, n};
  e.crc = static_cast<std::uint32_t>(crc32(0, z.data(), static_cast<uInt>(z.size())));
  return e;
}

Bytes flat_bomb(int entries, const ZeroEntry &e) {
  vg::test::ZipBuilder z;
  for (int i = 0; i < entries; ++i)
    z.add_raw("zeros" + std::to_string(i) + ".bin", e.deflated, e.crc, e.size, 8);
  return z.finish();
}

TEST_F(ContainerHostile, FlatZipBomb) {
  ZeroEntry e = zeros(256u << 20);
  fs::path f = write("flat.zip", flat_bomb(16, e)); // 4 GiB inside
  auto j = scan(f, {"--alert-exceeds-max"}, 150);
  EXPECT_TRUE(has_verdict(j, "Heuristics.Limits.Exceeded.MaxCompressionRatio")) << j.dump();
  // Without the ratio limit the size limit holds instead (each entry is cut at --max-filesize).
  j = scan(f, {"--max-ratio", "0", "--max-filesize", "32M"}, 200);
  EXPECT_EQ(j["status"], "clean");
  EXPECT_TRUE(has_limit_notice(j, "MaxFileSize")) << j.dump();
  EXPECT_TRUE(has_limit_notice(j, "MaxScanSize")) << "16 x 32 MiB inflated passes 400 MiB";
}

TEST_F(ContainerHostile, NestedZipBomb) {
  // 42.zip style: 16 copies per level, four levels of zips over 16 MiB-of-zeros entries
  // (nominally 16^4 * 16 MiB = 1 TiB).
  ZeroEntry e = zeros(16u << 20);
  Bytes level = flat_bomb(16, e);
  for (int depth = 0; depth < 3; ++depth) {
    vg::test::ZipBuilder z;
    Bytes deflated = vg::test::deflate_raw(level);
    auto crc = static_cast<std::uint32_t>(crc32(0, level.data(), static_cast<uInt>(level.size())));
    for (int i = 0; i < 16; ++i)
      z.add_raw("level" + std::to_string(depth) + "_" + std::to_string(i) + ".zip", deflated, crc,
                level.size(), 8);
    level = z.finish();
  }
  fs::path f = write("nested.zip", level);
  ChildRun r;
  auto j = scan(f, {}, 200, &r);
  EXPECT_EQ(j["status"], "clean");
  EXPECT_TRUE(has_limit_notice(j, "MaxCompressionRatio") || has_limit_notice(j, "MaxScanSize") ||
              has_limit_notice(j, "MaxScanTime"))
      << j.dump();
  EXPECT_LT(r.seconds, 30.0) << "extraction work is bounded by --max-scansize";
  j = scan(f, {"--alert-exceeds-max"}, 200);
  EXPECT_EQ(j["status"], "infected");
  // Text mode says it too (on standard error; standard output stays clamscan's).
  ChildRun t = run_voxguard(
      {"scan", "--no-progress", "--no-summary", "-d", db.string(), f.string()}, cwd, scratch);
  EXPECT_EQ(t.out, f.string() + ": OK\n");
  EXPECT_NE(t.err.find("limit exceeded"), std::string::npos) << t.err;
}

TEST_F(ContainerHostile, HundredThousandTinyEntries) {
  vg::test::ZipBuilder z;
  for (int i = 0; i < 100000; ++i)
    z.add("e" + std::to_string(i), bytes_of("tiny"), false);
  z.add("last.txt", bytes_of(std::string(kMarker)), true);
  fs::path f = write("many.zip", z.finish());
  auto j = scan(f, {"--alert-exceeds-max"}, 150);
  EXPECT_TRUE(has_verdict(j, "Heuristics.Limits.Exceeded.MaxFiles")) << j.dump();
  EXPECT_EQ(j["objects_scanned"], 10000);
}

TEST_F(ContainerHostile, MailNestedThousandDeep) {
  // message/rfc822 inside message/rfc822, 1,000 levels, the marker at the bottom.
  std::string mail = "From: bottom@example.org\nContent-Type: application/octet-stream\n"
                     "Content-Transfer-Encoding: base64\n\n" +
                     vg::test::base64(bytes_of(std::string(kMarker))) + "\n";
  for (int i = 0; i < 1000; ++i)
    mail = "From: l" + std::to_string(i) + "@example.org\nSubject: level " + std::to_string(i) +
           "\nMIME-Version: 1.0\nContent-Type: message/rfc822\n\n" + mail;
  fs::path f = write("deep.eml", bytes_of(mail));
  auto j = scan(f, {"--alert-exceeds-max"}, 150);
  EXPECT_TRUE(has_verdict(j, "Heuristics.Limits.Exceeded.MaxRecursion")) << j.dump();
  // Multipart inside multipart, 1,000 levels.
  std::string mp = "Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n" +
                   vg::test::base64(bytes_of(std::string(kMarker))) + "\n";
  for (int i = 0; i < 1000; ++i) {
    std::string b = "b" + std::to_string(i);
    mp = "Content-Type: multipart/mixed; boundary=\"" + b + "\"\n\n--" + b + "\n" + mp + "\n--" +
         b + "--\n";
  }
  mp = "From: a@example.org\nMIME-Version: 1.0\n" + mp;
  f = write("deep-multipart.eml", bytes_of(mp));
  j = scan(f, {}, 150);
  EXPECT_TRUE(has_limit_notice(j, "MaxRecursion")) << j.dump().substr(0, 2000);
}

TEST_F(ContainerHostile, TruncatedArchiveKeepsItsVerdict) {
  Bytes noise(1 << 20);
  std::mt19937 rng(7);
  for (auto &b : noise)
    b = static_cast<std::uint8_t>(rng());
  vg::test::ZipBuilder inner;
  inner.add("dropper.exe", bytes_of("x " + std::string(kMarker)));
  Bytes tgz =
      vg::test::libarchive_write(archive_write_set_format_ustar, archive_write_add_filter_gzip,
                                 {{"first.zip", inner.finish()}, {"noise.bin", noise}});
  tgz.resize(tgz.size() * 6 / 10);
  fs::path f = write("truncated.tar.gz", tgz);
  auto j = scan(f, {}, 150);
  EXPECT_EQ(j["status"], "infected") << j.dump();
  bool damaged = false;
  for (const auto &n : j.value("notices", nlohmann::json::array()))
    damaged = damaged || n["kind"] == "damaged";
  EXPECT_TRUE(damaged) << j.dump();
}

TEST_F(ContainerHostile, TraversalAndAbsoluteNamesAreOnlyNames) {
  std::string tag = fs::path(dir).filename().string();
  std::string rel = "../../../" + tag + "-escape.exe";
  fs::path abs = fs::path("/tmp") / (tag + "-abs") / "evil.exe";
  vg::test::ZipBuilder z;
  z.add(rel, bytes_of("a " + std::string(kMarker)));
  z.add(abs.string(), bytes_of("b " + std::string(kMarker)));
  fs::path f = write("traversal.zip", z.finish());
  auto j = scan(f, {"--allmatch"}, 150);
  ASSERT_EQ(j["verdicts"].size(), 2u) << j.dump();
  EXPECT_EQ(j["verdicts"][0]["container_path"], f.string() + " > " + rel);
  EXPECT_EQ(j["verdicts"][1]["container_path"], f.string() + " > " + abs.string());
  EXPECT_FALSE(fs::exists(abs.parent_path()));
  EXPECT_FALSE(fs::exists(cwd / rel));
  EXPECT_FALSE(fs::exists(fs::path("/") / (tag + "-escape.exe")));
}

} // namespace
