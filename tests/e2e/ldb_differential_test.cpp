// Differential conformance of `voxguard scan` against clamscan on logical (.ldb) signatures.
// tests/differential/gen_ldb_corpus.py instantiates about 5,800 logical signatures of
// official-talos-subset/main.ldb and ditekshen/*.ldb (subsignatures with their own offsets,
// ::i ::w ::f ::a modifiers and counts, combined so the logical expression holds, in a file that
// honours the TDB), their near misses (a subsignature one short, a count off by one, the TDB
// broken), files holding several signatures, and noise. Both scanners run once over the whole
// corpus with --allmatch and the same .ldb files; the sets of (file, signature name) they report
// must be identical. clamscan must confirm at least 5,000 generated positives, which keeps the
// generator honest.
#include "differential/child_process.hpp"
#include "differential/detection_set.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <map>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace fs = std::filesystem;
using vg::testing::DetectionSet;
using vg::testing::find_program;
using vg::testing::parse_detections;
using vg::testing::run_program;

namespace {

constexpr const char *kLdbSeed = "20261127";
constexpr std::size_t kMinConfirmedPositives = 5000;

// A directory made with mkdtemp() and removed with everything in it when the test ends.
struct ScratchDir {
  fs::path path;
  explicit ScratchDir(const char *tag) {
    std::string pattern = (fs::temp_directory_path() / tag).string() + "-XXXXXX";
    if (char *made = ::mkdtemp(pattern.data()))
      path = made;
  }
  ~ScratchDir() {
    std::error_code ec;
    if (!path.empty())
      fs::remove_all(path, ec);
  }
  ScratchDir(const ScratchDir &) = delete;
  ScratchDir &operator=(const ScratchDir &) = delete;
};

// manifest.tsv: path, kind, expected names, origin; keyed by the normalised path.
struct CorpusEntry {
  std::string kind;
  std::string expected;
  std::string origin;
};

std::map<std::string, CorpusEntry> load_corpus_manifest(const fs::path &dir) {
  std::map<std::string, CorpusEntry> entries;
  std::ifstream in(dir / "manifest.tsv");
  std::string line;
  bool header = true;
  while (std::getline(in, line)) {
    if (std::exchange(header, false))
      continue;
    std::size_t a = line.find('\t');
    std::size_t b = line.find('\t', a + 1);
    std::size_t c = line.find('\t', b + 1);
    if (c == std::string::npos)
      continue;
    entries[fs::path(line.substr(0, a)).lexically_normal().string()] = {
        line.substr(a + 1, b - a - 1), line.substr(b + 1, c - b - 1), line.substr(c + 1)};
  }
  return entries;
}

std::vector<std::string> ldb_databases() {
  const fs::path data = fs::path(VOXGUARD_SHARED_DATA) / "clamav";
  return {(data / "official-talos-subset/main.ldb").string(),
          (data / "ditekshen/clamav.ldb").string(),
          (data / "ditekshen/indicator_rmm.ldb").string()};
}

// Why the test cannot run here, or "" when it can.
std::string missing_prerequisite(bool need_clamscan) {
  for (const auto &db : ldb_databases())
    if (!fs::is_regular_file(db))
      return "shared test data missing: " + db;
  if (find_program("python3").empty())
    return "python3 is not installed (needed to generate the corpus)";
  if (need_clamscan && find_program("clamscan").empty())
    return "clamscan is not installed (Debian package clamav): nothing to compare with";
  return {};
}

vg::testing::ProgramResult generate(const fs::path &out, const std::vector<std::string> &extra) {
  std::vector<std::string> argv = {
      find_program("python3"),
      (fs::path(VOXGUARD_SOURCE_DIR) / "tests/differential/gen_ldb_corpus.py").string(),
      "--out",
      out.string(),
      "--seed",
      kLdbSeed};
  for (const auto &db : ldb_databases()) {
    argv.push_back("--ldb");
    argv.push_back(db);
  }
  argv.insert(argv.end(), extra.begin(), extra.end());
  return run_program(argv);
}

// One run of a scanner over the whole corpus directory with the .ldb databases.
vg::testing::ProgramResult scan_corpus(std::vector<std::string> argv, const fs::path &corpus) {
  for (const char *opt : {"--allmatch", "--no-summary"})
    argv.emplace_back(opt);
  for (const auto &db : ldb_databases()) {
    argv.emplace_back("-d");
    argv.push_back(db);
  }
  argv.emplace_back("files");
  return run_program(argv, corpus);
}

std::string slurp(const fs::path &file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

} // namespace

TEST(LdbDifferential, GeneratorIsReproducibleFromItsSeed) {
  if (auto why = missing_prerequisite(false); !why.empty())
    GTEST_SKIP() << why;
  ScratchDir a("vg-ldb-seed-a");
  ScratchDir b("vg-ldb-seed-b");
  ASSERT_FALSE(a.path.empty() || b.path.empty()) << "cannot create a temporary directory";
  const std::vector<std::string> small = {"--max-sigs", "400", "--noise", "40", "--multi", "20"};
  auto run_a = std::async(std::launch::async, generate, a.path, small);
  auto rb = generate(b.path, small);
  auto ra = run_a.get();
  ASSERT_EQ(ra.exit_code, 0) << ra.err;
  ASSERT_EQ(rb.exit_code, 0) << rb.err;
  ASSERT_EQ(slurp(a.path / "manifest.tsv"), slurp(b.path / "manifest.tsv"))
      << "manifest.tsv differs between two runs with seed " << kLdbSeed;
  auto entries = load_corpus_manifest(a.path);
  ASSERT_GT(entries.size(), 400u);
  std::size_t differing = 0;
  for (const auto &[rel, entry] : entries)
    if (slurp(a.path / rel) != slurp(b.path / rel))
      ++differing;
  EXPECT_EQ(differing, 0u) << "files differ between two runs with seed " << kLdbSeed;
}

// Slow*: about 4 minutes of scanning in the release build (7,659 files, two scanners), so the
// sanitizer pass of scripts/test.sh leaves it out; the release pass always runs it.
TEST(SlowLdbDifferential, AllmatchDetectionsEqualClamscanOnGeneratedLdbCorpus) {
  if (auto why = missing_prerequisite(true); !why.empty())
    GTEST_SKIP() << why;
  const std::string voxguard = VOXGUARD_BINARY;
  ASSERT_TRUE(fs::exists(voxguard)) << "voxguard binary not built: " << voxguard;

  ScratchDir dir("vg-ldb-differential");
  ASSERT_FALSE(dir.path.empty()) << "cannot create a temporary directory";
  auto gen = generate(dir.path, {});
  ASSERT_EQ(gen.exit_code, 0) << "generator failed:\n" << gen.out << gen.err;
  std::cout << gen.out;
  auto manifest = load_corpus_manifest(dir.path);

  // The two scanners run at the same time (one process each over the whole corpus directory), so
  // the test takes as long as the slower of them on two cores.
  auto clam_run = std::async(std::launch::async, scan_corpus,
                             std::vector<std::string>{find_program("clamscan"), "-r"}, dir.path);
  auto vox = scan_corpus({voxguard, "scan"}, dir.path);
  auto clam = clam_run.get();
  ASSERT_TRUE(clam.exit_code == 0 || clam.exit_code == 1)
      << "clamscan exited " << clam.exit_code << ":\n"
      << clam.err.substr(0, 4000);
  ASSERT_TRUE(vox.exit_code == 0 || vox.exit_code == 1)
      << "voxguard exited " << vox.exit_code << ":\n"
      << vox.err.substr(0, 4000);
  EXPECT_EQ(vox.err.find("not supported"), std::string::npos)
      << "voxguard passed over a database:\n"
      << vox.err.substr(0, 4000);

  DetectionSet expected = parse_detections(clam.out);
  DetectionSet actual = parse_detections(vox.out);

  std::size_t positives = 0;
  std::size_t confirmed = 0;
  for (const auto &[rel, entry] : manifest) {
    if (entry.kind != "pos")
      continue;
    ++positives;
    confirmed += expected.count({rel, entry.expected + ".UNOFFICIAL"});
  }
  std::cout << "positive files " << positives << ", confirmed by clamscan " << confirmed
            << "; clamscan detections " << expected.size() << ", voxguard " << actual.size()
            << "\n";
  EXPECT_GE(confirmed, kMinConfirmedPositives)
      << "the generator no longer produces enough real instances";

  auto note = [&](const std::string &file) {
    auto it = manifest.find(file);
    return it == manifest.end() ? std::string() : it->second.kind + " " + it->second.origin;
  };
  EXPECT_TRUE(expected == actual) << "detection sets differ (corpus seed " << kLdbSeed
                                  << ", regenerate with tests/differential/gen_ldb_corpus.py"
                                     " --out DIR --seed "
                                  << kLdbSeed << "):\n"
                                  << vg::testing::describe_difference(expected, "clamscan", actual,
                                                                      "voxguard", note);
}
