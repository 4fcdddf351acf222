// Differential conformance of `voxguard scan` against clamscan on generated files.
// tests/differential/gen_ndb_corpus.py instantiates every signature of rfxn.ndb and daily.ndb (one
// file each, in a file of the signature's target type, at the offset it demands), and of a
// synthetic .ndb covering the grammar those two never use ((B), (L), (W), !(..), [x-y], ...), plus
// negatives, files holding several instances and noise; both scanners run with --allmatch on that
// corpus and the sets of (file, signature name) they report must be identical. clamscan must also
// detect at least 2,000 of the generated positives, which keeps the generator honest.
#include "differential/child_process.hpp"
#include "differential/detection_set.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <system_error>
#include <unistd.h>
#include <vector>

namespace fs = std::filesystem;
using vg::testing::Detection;
using vg::testing::DetectionSet;
using vg::testing::find_program;
using vg::testing::parse_detections;
using vg::testing::run_program;

namespace {

constexpr const char *kSeed = "20261127";

struct ManifestRow {
  std::string kind;
  std::string expected;
  std::string origin;
};

class TempDir {
public:
  explicit TempDir(const std::string &tag) {
    path_ = fs::temp_directory_path() / (tag + "-" + std::to_string(::getpid()));
    std::error_code ec;
    fs::remove_all(path_, ec);
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;
  const fs::path &path() const { return path_; }

private:
  fs::path path_;
};

std::map<std::string, ManifestRow> read_manifest(const fs::path &file) {
  std::map<std::string, ManifestRow> rows;
  std::ifstream in(file);
  std::string line;
  std::getline(in, line); // header
  while (std::getline(in, line)) {
    std::vector<std::string> cols;
    std::stringstream ss(line);
    std::string col;
    while (std::getline(ss, col, '\t'))
      cols.push_back(col);
    cols.resize(4);
    rows[fs::path(cols[0]).lexically_normal().string()] = {cols[1], cols[2], cols[3]};
  }
  return rows;
}

std::string read_file(const fs::path &file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> split_lines(const std::string &text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line))
    lines.push_back(line);
  return lines;
}

struct Tools {
  std::string python;
  std::string clamscan;
  fs::path generator;
  std::vector<std::string> databases;
  std::string skip_reason;
};

Tools find_tools() {
  Tools s;
  const fs::path data = VOXGUARD_SHARED_DATA;
  s.databases = {(data / "clamav/rfxn-lmd/rfxn.ndb").string(),
                 (data / "clamav/official-talos-subset/daily.ndb").string()};
  for (const auto &db : s.databases)
    if (!fs::is_regular_file(db))
      s.skip_reason = "shared test data missing: " + db;
  s.generator = fs::path(VOXGUARD_SOURCE_DIR) / "tests/differential/gen_ndb_corpus.py";
  s.python = find_program("python3");
  s.clamscan = find_program("clamscan");
  if (s.python.empty())
    s.skip_reason = "python3 is not installed (needed to generate the corpus)";
  if (s.clamscan.empty())
    s.skip_reason = "clamscan is not installed (Debian package clamav): nothing to compare with";
  return s;
}

std::vector<std::string> generator_argv(const Tools &s, const fs::path &out) {
  std::vector<std::string> argv = {s.python, s.generator.string(), "--out", out.string(), "--seed",
                                   kSeed};
  for (const auto &db : s.databases) {
    argv.push_back("--ndb");
    argv.push_back(db);
  }
  return argv;
}

// The generator lists every database the corpus was made from (the real ones plus its
// synthetic.ndb).
std::vector<std::string> read_databases(const fs::path &file) {
  std::vector<std::string> dbs;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty())
      dbs.push_back(line);
  return dbs;
}

std::vector<std::string> scan_argv(std::vector<std::string> argv,
                                   const std::vector<std::string> &databases) {
  argv.push_back("--allmatch");
  argv.push_back("--no-summary");
  for (const auto &db : databases) {
    argv.push_back("-d");
    argv.push_back(db);
  }
  argv.push_back("files");
  return argv;
}

} // namespace

TEST(Differential, GeneratorIsReproducibleFromItsSeed) {
  Tools s = find_tools();
  if (s.python.empty())
    GTEST_SKIP() << "python3 is not installed (needed to generate the corpus)";
  for (const auto &db : s.databases)
    if (!fs::is_regular_file(db))
      GTEST_SKIP() << "shared test data missing: " << db;
  TempDir a("vg-diff-seed-a");
  TempDir b("vg-diff-seed-b");
  auto ra = run_program(generator_argv(s, a.path()));
  auto rb = run_program(generator_argv(s, b.path()));
  ASSERT_EQ(ra.exit_code, 0) << ra.err;
  ASSERT_EQ(rb.exit_code, 0) << rb.err;
  auto lines_a = split_lines(read_file(a.path() / "manifest.tsv"));
  auto lines_b = split_lines(read_file(b.path() / "manifest.tsv"));
  ASSERT_EQ(lines_a.size(), lines_b.size()) << "manifest.tsv differs in length between two runs";
  for (std::size_t i = 0; i < lines_a.size(); ++i)
    ASSERT_EQ(lines_a[i], lines_b[i]) << "manifest.tsv line " << (i + 1) << " differs between runs";
  EXPECT_EQ(read_file(a.path() / "synthetic.ndb"), read_file(b.path() / "synthetic.ndb"));
  auto rows = read_manifest(a.path() / "manifest.tsv");
  ASSERT_GT(rows.size(), 2000u);
  std::size_t differing = 0;
  for (const auto &[rel, row] : rows)
    if (read_file(a.path() / rel) != read_file(b.path() / rel))
      ++differing;
  EXPECT_EQ(differing, 0u) << "files differ between two runs with seed " << kSeed;
}

TEST(Differential, AllmatchDetectionsEqualClamscanOnGeneratedNdbCorpus) {
  Tools s = find_tools();
  if (!s.skip_reason.empty())
    GTEST_SKIP() << s.skip_reason;
  const std::string voxguard = VOXGUARD_BINARY;
  ASSERT_TRUE(fs::exists(voxguard)) << "voxguard binary not built: " << voxguard;

  TempDir dir("vg-differential");
  auto gen = run_program(generator_argv(s, dir.path()));
  ASSERT_EQ(gen.exit_code, 0) << "generator failed:\n" << gen.out << gen.err;
  std::cout << gen.out;
  auto manifest = read_manifest(dir.path() / "manifest.tsv");
  auto databases = read_databases(dir.path() / "databases.txt");
  ASSERT_GE(databases.size(), s.databases.size()) << "generator wrote no databases.txt";

  auto clam = run_program(scan_argv({s.clamscan, "-r"}, databases), dir.path());
  ASSERT_TRUE(clam.exit_code == 0 || clam.exit_code == 1)
      << "clamscan exited " << clam.exit_code << ":\n"
      << clam.err;
  auto vox = run_program(scan_argv({voxguard, "scan"}, databases), dir.path());
  ASSERT_TRUE(vox.exit_code == 0 || vox.exit_code == 1)
      << "voxguard exited " << vox.exit_code << ":\n"
      << vox.err.substr(0, 4000);

  DetectionSet expected = parse_detections(clam.out);
  DetectionSet actual = parse_detections(vox.out);

  // The corpus must really exercise the signatures: clamscan has to find the generated instance in
  // at least 2,000 positive files (each named as clamscan names databases that are not signed
  // .cvd).
  std::size_t positives = 0;
  std::size_t confirmed = 0;
  for (const auto &[rel, row] : manifest) {
    if (row.kind != "pos")
      continue;
    ++positives;
    if (expected.count({rel, row.expected + ".UNOFFICIAL"}))
      ++confirmed;
  }
  std::cout << "positive files " << positives << ", confirmed by clamscan " << confirmed
            << "; clamscan detections " << expected.size() << ", voxguard " << actual.size()
            << "\n";
  EXPECT_GE(confirmed, 2000u) << "the generator no longer produces enough real instances";

  auto note = [&](const std::string &file) {
    auto it = manifest.find(file);
    return it == manifest.end() ? std::string() : it->second.kind + " " + it->second.origin;
  };
  // One divergence from clamscan 1.4.6 is known and open (README, "Known differences"); it is set
  // aside here by its exact class, printed, and bounded, so that anything else still fails:
  //  - ClamAV's Aho-Corasick partial-match tracking loses a later full match of a signature built
  //    from runs of one byte around a {-n} jump (synthetic repeated_byte_jump signatures); voxguard
  //    reports the match.
  // (HTML cut inside a <script> instance is no longer set aside: voxguard scans ClamAV's
  // JavaScript normaliser output too, which closes the script with "</script>".)
  std::size_t known = 0;
  auto set_aside = [&](DetectionSet &one_side, const DetectionSet &other, auto is_known) {
    for (auto it = one_side.begin(); it != one_side.end();) {
      if (!other.count(*it) && is_known(*it)) {
        std::cout << "KNOWN DIVERGENCE: " << it->first << ": " << it->second << "\n";
        ++known;
        it = one_side.erase(it);
      } else {
        ++it;
      }
    }
  };
  set_aside(actual, expected, [](const Detection &d) {
    return d.second.starts_with("VG.Synthetic.repeated_byte_jump.");
  });
  EXPECT_LE(known, 12u) << "more known divergences than when they were recorded";
  EXPECT_TRUE(expected == actual) << "detection sets differ (corpus seed " << kSeed
                                  << ", regenerate with " << s.generator << " --out DIR --seed "
                                  << kSeed << "):\n"
                                  << vg::testing::describe_difference(expected, "clamscan", actual,
                                                                      "voxguard", note);
}
