// Differential conformance of `voxguard scan` against clamscan 1.4.6 on the container chain:
// .cdb container metadata signatures (name regex, compressed/real size, encryption, position,
// container type and size) and .ldb Container/Intermediates keys, over zip, tar, tar.gz, 7z, cpio
// (newc, odc), a zip inside a zip and a zip attached to a mail, all built by the test. Both
// scanners run with --allmatch over the same files and databases; the sets of (file, signature)
// they report must be identical, and clamscan must confirm the detections the corpus was built to
// produce (so the test cannot pass on a corpus where nothing fires). rar is not covered: neither a
// rar writer nor libarchive's packed size is available (see archive_entry_metadata.hpp).
#include "differential/child_process.hpp"
#include "differential/detection_set.hpp"
#include "scan/container_fixtures.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using vg::test::Bytes;
using vg::test::bytes_of;
using vg::test::libarchive_write;
using vg::test::ZipBuilder;
using vg::testing::DetectionSet;
using vg::testing::find_program;
using vg::testing::parse_detections;
using vg::testing::run_program;

namespace {

// Binary around the marker, so both scanners type the object as binary data (not text).
Bytes payload(const std::string &tag) {
  std::string s =
      std::string("\x7f\x01\x02\x03\xfe\xff", 6) + "CHAIN-MARKER-5d1e" + tag + std::string(8, '\0');
  return bytes_of(s);
}

std::string hex(std::string_view s) {
  static const char *digits = "0123456789abcdef";
  std::string h;
  for (unsigned char c : s) {
    h += digits[c >> 4];
    h += digits[c & 15];
  }
  return h;
}

void write(const fs::path &p, const Bytes &b) {
  std::ofstream out(p, std::ios::binary);
  out.write(reinterpret_cast<const char *>(b.data()), static_cast<std::streamsize>(b.size()));
}

void write_text(const fs::path &p, const std::string &s) {
  write(p, bytes_of(s));
}

struct Corpus {
  fs::path root;
  std::string cdb, ldb;
  std::set<std::pair<std::string, std::string>> expected; // (file, signature) clamscan must report
};

// Builds every container and the databases; `expected` lists what the corpus is built to fire.
Corpus build_corpus(const fs::path &root) {
  Corpus c;
  c.root = root;
  fs::create_directories(root / "files");
  auto f = [&](const std::string &name) { return root / "files" / name; };
  auto expect = [&](const std::string &file, const std::string &sig) {
    c.expected.insert({"files/" + file, sig + ".UNOFFICIAL"});
  };

  // plain.zip: a directory, a deflated text, an empty file, a stored payload, an encrypted entry.
  Bytes readme = bytes_of(std::string(600, 'r'));
  Bytes deflated = vg::test::deflate_raw(readme);
  ZipBuilder z;
  z.add("dir/", {}, false);
  z.add_raw("docs/readme.txt", deflated,
            static_cast<std::uint32_t>(crc32(0, readme.data(), static_cast<uInt>(readme.size()))),
            readme.size(), 8);
  z.add("empty.bin", {}, false);
  z.add("payload.exe", payload("zip"), false);
  Bytes secret = bytes_of(std::string(64, 's'));
  z.add_raw("secret.dat", secret, 0x12345678, 52, 0, 1);
  Bytes plain_zip = z.finish();
  write(f("plain.zip"), plain_zip);

  // outer.zip > inner.zip > payload; mail.eml > attached.zip > payload.
  ZipBuilder inner;
  inner.add("deep.bin", payload("deep"), false);
  Bytes inner_zip = inner.finish();
  ZipBuilder outer;
  outer.add("inner.zip", inner_zip, false);
  write(f("outer.zip"), outer.finish());
  ZipBuilder att;
  att.add("mailed.bin", payload("mail"), false);
  std::string eml = "From: a@example.org\r\nTo: b@example.org\r\nSubject: chain\r\n"
                    "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"BB\"\r\n\r\n"
                    "--BB\r\nContent-Type: text/plain\r\n\r\nhello\r\n"
                    "--BB\r\nContent-Type: application/zip; name=\"attached.zip\"\r\n"
                    "Content-Transfer-Encoding: base64\r\n"
                    "Content-Disposition: attachment; filename=\"attached.zip\"\r\n\r\n" +
                    vg::test::base64(att.finish()) + "\r\n--BB--\r\n";
  write_text(f("mail.eml"), eml);

  const std::vector<std::pair<std::string, Bytes>> tar_files = {
      {"docs/a.txt", bytes_of("tar text file\n")},
      {"docs/empty", {}},
      {"bin/payload.bin", payload("tar")}};
  write(f("a.tar"), libarchive_write(archive_write_set_format_ustar, nullptr, tar_files));
  write(f("a.tar.gz"),
        libarchive_write(archive_write_set_format_ustar, archive_write_add_filter_gzip, tar_files));
  write(f("a.7z"), libarchive_write(archive_write_set_format_7zip, nullptr,
                                    {{"notes.txt", bytes_of("seven zip notes\n")},
                                     {"tool.exe", payload("7z")}}));
  const std::vector<std::pair<std::string, Bytes>> cpio_files = {
      {"etc/conf", bytes_of("key=value\n")}, {"none", {}}, {"usr/payload", payload("cpio")}};
  write(f("newc.cpio"), libarchive_write(archive_write_set_format_cpio_newc, nullptr, cpio_files));
  write(f("odc.cpio"), libarchive_write(archive_write_set_format_cpio_odc, nullptr, cpio_files));

  // .cdb: every field, on every container type.
  const std::string deflated_size = std::to_string(deflated.size());
  c.cdb = "Meta.ZipName:CL_TYPE_ZIP:*:readme\\.txt$:*:*:*:*:*:*\n"
          "Meta.ZipSizes:CL_TYPE_ZIP:*:*:" +
          deflated_size + ":600:0:*:*:*\n" + "Meta.ZipSizeWrong:CL_TYPE_ZIP:*:*:" + deflated_size +
          ":601:*:*:*:*\n"
          "Meta.ZipPos4:CL_TYPE_ZIP:*:*:*:*:*:4:*:*\n"
          "Meta.ZipEncrypted:CL_TYPE_ZIP:*:*:*:*:1:*:*:*\n"
          "Meta.ZipDir:CL_TYPE_ZIP:*:/$:*:*:*:*:*:*\n"
          "Meta.ZipContainerSize:CL_TYPE_ZIP:" +
          std::to_string(plain_zip.size()) +
          ":payload:*:*:*:*:*:*\n"
          "Meta.ZipContainerRange:CL_TYPE_ZIP:1-100:*:*:*:*:*:*:*\n"
          "Meta.ZipOpenRange:CL_TYPE_ZIP:*:*:*:500-0:*:*:*:*\n"
          "Meta.TarName:CL_TYPE_POSIX_TAR:*:^docs/:*:*:*:*:*:*\n"
          "Meta.TarPos3:CL_TYPE_POSIX_TAR:*:*:*:*:*:3:*:*\n"
          "Meta.TarEmpty:CL_TYPE_POSIX_TAR:*:*:0:0:*:*:*:*\n"
          "Meta.SevenName:CL_TYPE_7Z:*:\\.exe$:*:*:*:*:*:*\n"
          "Meta.SevenPos:CL_TYPE_7Z:*:*:0:*:*:1:*:*\n"
          "Meta.CpioNewc:CL_TYPE_CPIO_NEWC:*:*:*:*:*:3:*:*\n"
          "Meta.CpioOdc:CL_TYPE_CPIO_ODC:*:conf:*:*:*:*:*:*\n"
          "Meta.CpioEmpty:*:*:^none$:*:*:*:*:*:*\n"
          "Meta.AnyPayload:*:*:payload:*:*:*:*:*:*\n"
          "Meta.Rar:CL_TYPE_RAR:*:*:*:*:*:*:*:*\n"
          "Meta.MailAttachment:CL_TYPE_MAIL:*:\\.zip$:*:*:0:0:*:*\n"
          "Meta.Skipped:*:*:*:*:*:*:*:*:*:999\n";
  expect("plain.zip", "Meta.ZipName");
  expect("plain.zip", "Meta.ZipSizes");
  expect("plain.zip", "Meta.ZipPos4");
  expect("plain.zip", "Meta.ZipEncrypted");
  expect("plain.zip", "Meta.ZipDir");
  expect("plain.zip", "Meta.ZipContainerSize");
  expect("plain.zip", "Meta.ZipOpenRange");
  expect("a.tar", "Meta.TarName");
  expect("a.tar", "Meta.TarPos3");
  expect("a.tar", "Meta.TarEmpty");
  expect("a.tar.gz", "Meta.TarName");
  expect("a.7z", "Meta.SevenName");
  expect("a.7z", "Meta.SevenPos");
  expect("newc.cpio", "Meta.CpioNewc");
  expect("odc.cpio", "Meta.CpioOdc");
  expect("plain.zip", "Meta.AnyPayload");
  expect("a.tar", "Meta.AnyPayload");
  expect("mail.eml", "Meta.MailAttachment");

  // .ldb: the marker under each Container and Intermediates condition.
  auto ldb = [&](const std::string &name, const std::string &tdb, const std::string &tag) {
    c.ldb += "Chain." + name + ";Engine:51-255,Target:0," + tdb + ";0;" +
             hex("CHAIN-MARKER-5d1e" + tag) + "\n";
  };
  ldb("InZip", "Container:CL_TYPE_ZIP", "zip");
  ldb("InZipDeep", "Container:CL_TYPE_ZIP", "deep");
  ldb("InZipMail", "Container:CL_TYPE_ZIP", "mail");
  ldb("InTar", "Container:CL_TYPE_POSIX_TAR", "tar");
  ldb("TarInGz", "Container:CL_TYPE_GZ", "tar");
  ldb("In7z", "Container:CL_TYPE_7Z", "7z");
  ldb("InNewc", "Container:CL_TYPE_CPIO_NEWC", "cpio");
  ldb("InOdc", "Container:CL_TYPE_CPIO_ODC", "cpio");
  ldb("InMail", "Container:CL_TYPE_MAIL", "mail");
  ldb("TopLevelZip", "Container:CL_TYPE_ANY", "zip");
  ldb("TopLevelTar", "Container:CL_TYPE_ANY", "tar");
  ldb("ZipZip", "Intermediates:CL_TYPE_ZIP>CL_TYPE_ZIP", "deep");
  ldb("ZipZipAny", "Intermediates:CL_TYPE_ZIP>CL_TYPE_ANY", "deep");
  ldb("AnyZip", "Intermediates:CL_TYPE_ANY>CL_TYPE_ZIP", "deep");
  ldb("MailZip", "Intermediates:CL_TYPE_MAIL>CL_TYPE_ZIP", "mail");
  ldb("GzTar", "Intermediates:CL_TYPE_GZ>CL_TYPE_POSIX_TAR", "tar");
  ldb("ZipMail", "Intermediates:CL_TYPE_ZIP>CL_TYPE_MAIL", "mail");
  // CL_TYPE_ANY uses up no layer (libclamav's intermediates_eval): GZ>ANY compares GZ with the
  // direct parent (the tar: no match), TAR>ANY the tar (a match, once two layers are above).
  ldb("GzAny", "Intermediates:CL_TYPE_GZ>CL_TYPE_ANY", "tar");
  ldb("TarAny", "Intermediates:CL_TYPE_POSIX_TAR>CL_TYPE_ANY", "tar");
  ldb("TooDeep", "Intermediates:CL_TYPE_ZIP>CL_TYPE_ZIP>CL_TYPE_ZIP", "deep");
  ldb("NotInPdf", "Container:CL_TYPE_PDF", "zip");
  expect("plain.zip", "Chain.InZip");
  expect("outer.zip", "Chain.InZipDeep");
  expect("mail.eml", "Chain.InZipMail");
  expect("a.tar", "Chain.InTar");
  expect("a.tar.gz", "Chain.InTar");
  expect("a.tar.gz", "Chain.TarInGz");
  expect("a.7z", "Chain.In7z");
  expect("newc.cpio", "Chain.InNewc");
  expect("odc.cpio", "Chain.InOdc");
  expect("plain.zip", "Chain.TopLevelZip");
  expect("a.tar", "Chain.TopLevelTar");
  expect("outer.zip", "Chain.ZipZip");
  expect("mail.eml", "Chain.MailZip");
  expect("a.tar.gz", "Chain.GzTar");
  expect("a.tar.gz", "Chain.TarAny");
  write_text(root / "chain.cdb", c.cdb);
  write_text(root / "chain.ldb", c.ldb);
  return c;
}

std::vector<std::string> scan_argv(std::vector<std::string> argv) {
  for (const char *a :
       {"--allmatch", "--no-summary", "-d", "chain.cdb", "-d", "chain.ldb", "files"})
    argv.emplace_back(a);
  return argv;
}

struct ScratchDir {
  fs::path path;
  ScratchDir() {
    std::string tmpl = (fs::temp_directory_path() / "vg-chain-XXXXXX").string();
    if (::mkdtemp(tmpl.data()))
      path = tmpl;
  }
  ~ScratchDir() {
    std::error_code ec;
    if (!path.empty())
      fs::remove_all(path, ec);
  }
};

TEST(ContainerChainDifferential, CdbAndContainerKeysEqualClamscan) {
  const std::string clamscan = find_program("clamscan");
  if (clamscan.empty())
    GTEST_SKIP() << "clamscan is not installed (Debian package clamav): nothing to compare with";
  const std::string voxguard = VOXGUARD_BINARY;
  ASSERT_TRUE(fs::exists(voxguard)) << "voxguard binary not built: " << voxguard;
  ScratchDir dir;
  ASSERT_FALSE(dir.path.empty()) << "cannot create a temporary directory";
  Corpus corpus = build_corpus(dir.path);

  auto clam = run_program(scan_argv({clamscan, "-r"}), dir.path);
  ASSERT_TRUE(clam.exit_code == 0 || clam.exit_code == 1)
      << "clamscan exited " << clam.exit_code << ":\n"
      << clam.err;
  auto vox = run_program(scan_argv({voxguard, "scan"}), dir.path);
  ASSERT_TRUE(vox.exit_code == 0 || vox.exit_code == 1)
      << "voxguard exited " << vox.exit_code << ":\n"
      << vox.err;
  DetectionSet expected = parse_detections(clam.out);
  DetectionSet actual = parse_detections(vox.out);
  std::cout << "clamscan " << expected.size() << " detections, voxguard " << actual.size() << ":\n";
  for (const auto &e : expected)
    std::cout << "  " << e.first << ": " << e.second << "\n";
  for (const auto &e : corpus.expected)
    EXPECT_TRUE(expected.count(e)) << "clamscan no longer reports " << e.first << ": " << e.second
                                   << " (the corpus does not test what it should)";
  EXPECT_EQ(expected, actual) << vg::testing::describe_difference(expected, "clamscan", actual,
                                                                  "voxguard");
}

// Debian's clamav-testfiles (each holds the 544-byte clam.exe): probe .cdb lines that fire on
// any entry, on names, on positions 0 and 1, on encryption and on the real size 544. For the
// container types voxguard gives metadata for (zip with every compression, 7z, the four cpio
// variants, tar.gz, tgz, mail attachments, cab) both scanners must report the same; elsewhere
// voxguard may miss what clamscan reports (packers, arj, chm positions, html data URIs,
// InstallShield: documented gaps) but must never report more.
TEST(ContainerChainDifferential, ProbeSignaturesOnClamavTestfiles) {
  const fs::path testfiles = "/usr/share/clamav-testfiles";
  const std::string clamscan = find_program("clamscan");
  if (clamscan.empty())
    GTEST_SKIP() << "clamscan is not installed (Debian package clamav): nothing to compare with";
  if (!fs::is_directory(testfiles))
    GTEST_SKIP() << testfiles << " is missing (Debian package clamav-testfiles)";
  ScratchDir dir;
  ASSERT_FALSE(dir.path.empty()) << "cannot create a temporary directory";
  write_text(dir.path / "probe.cdb", "Any:*:*:*:*:*:*:*:*:*\n"
                                     "AnyName:*:*:clam:*:*:*:*:*:*\n"
                                     "P1:*:*:*:*:*:*:1:*:*\n"
                                     "P0:*:*:*:*:*:*:0:*:*\n"
                                     "Enc:*:*:*:*:*:1:*:*:*\n"
                                     "Size544:*:*:*:*:544:*:*:*:*\n");
  auto argv = [&](std::vector<std::string> a) {
    for (const char *x : {"--allmatch", "--no-summary", "-d", "probe.cdb"})
      a.emplace_back(x);
    a.push_back(testfiles.string());
    return a;
  };
  auto clam = run_program(argv({clamscan}), dir.path);
  auto vox = run_program(argv({VOXGUARD_BINARY, "scan"}), dir.path);
  ASSERT_TRUE(clam.exit_code == 0 || clam.exit_code == 1) << clam.err;
  ASSERT_TRUE(vox.exit_code == 0 || vox.exit_code == 1) << vox.err;
  const DetectionSet expected = parse_detections(clam.out), actual = parse_detections(vox.out);
  const std::set<std::string> covered = {"clam.zip",
                                         "clam.bz2.zip",
                                         "clam.d64.zip",
                                         "clam.impl.zip",
                                         "clam.7z",
                                         "clam.tar.gz",
                                         "clam_cache_emax.tgz",
                                         "clam.bin-be.cpio",
                                         "clam.bin-le.cpio",
                                         "clam.newc.cpio",
                                         "clam.odc.cpio",
                                         "clam.mail",
                                         "clam.exe.mbox.base64",
                                         "clam.cab"};
  DetectionSet expected_covered, actual_covered, extra;
  for (const auto &d : expected)
    if (covered.count(fs::path(d.first).filename().string()))
      expected_covered.insert(d);
  for (const auto &d : actual) {
    if (covered.count(fs::path(d.first).filename().string()))
      actual_covered.insert(d);
    if (!expected.count(d))
      extra.insert(d);
  }
  std::cout << "clamscan " << expected.size() << " probe detections (" << expected_covered.size()
            << " on covered types), voxguard " << actual.size() << "\n";
  EXPECT_GE(expected_covered.size(), 50u) << "clamscan no longer fires the probes";
  EXPECT_EQ(expected_covered, actual_covered)
      << vg::testing::describe_difference(expected_covered, "clamscan", actual_covered, "voxguard");
  EXPECT_TRUE(extra.empty()) << vg::testing::describe_difference({}, "clamscan", extra, "voxguard");
}

} // namespace
