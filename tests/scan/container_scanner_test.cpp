// The recursion driver: chains, limits and notices, with an engine that knows only the marker.
#include "scan/container_fixtures.hpp"
#include "scan/containers/container_scanner.hpp"

#include <gtest/gtest.h>

namespace vg {
namespace {

using test::Bytes;
using test::bytes_of;
using test::kMarker;

Bytes payload() {
  return bytes_of("dropper " + std::string(kMarker) + " end");
}

FileResult scan(const Bytes &data, const ScanOptions &opts = {}) {
  static auto engine = test::marker_engine();
  Engine::Scratch scratch;
  FileResult r;
  scan_contents(*engine, opts, scratch, data, r);
  return r;
}

bool has_limit(const FileResult &r, const std::string &name) {
  for (const auto &n : r.notices)
    if (n.kind == ScanNotice::Kind::limit && n.limit == name)
      return true;
  return false;
}

std::string mail_around(const std::string &filename, const Bytes &attachment) {
  std::string b64 = test::base64(attachment);
  return "From: a@example.org\nSubject: s\nMIME-Version: 1.0\n"
         "Content-Type: multipart/mixed; boundary=\"B\"\n\n--B\nContent-Type: text/plain\n\nhi\n"
         "--B\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n"
         "Content-Disposition: attachment; filename=\"" +
         filename + "\"\n\n" + b64 + "\n--B--\n";
}

TEST(ContainerScanner, ChainFromMailThroughTarGzToTheDropper) {
  test::ZipBuilder z; // deflated, so the marker shows only once the zip is opened
  z.add("dropper.exe", payload());
  Bytes tgz =
      test::libarchive_write(archive_write_set_format_ustar, archive_write_add_filter_gzip,
                             {{"readme.txt", bytes_of("nothing")}, {"inner.zip", z.finish()}});
  Bytes mail = bytes_of(mail_around("attachment.tar.gz", tgz));
  FileResult r = scan(mail);
  ASSERT_EQ(r.verdicts.size(), 1u);

  const auto &v = r.verdicts[0];
  EXPECT_EQ(v.name, "Test.Container.Marker.UNOFFICIAL");
  ASSERT_EQ(v.chain.size(), 4u);
  EXPECT_EQ(v.chain[0].name, "attachment.tar.gz");
  EXPECT_EQ(v.chain[0].type, "CL_TYPE_GZ");
  EXPECT_EQ(v.chain[0].method, "mime:base64");
  EXPECT_EQ(v.chain[1].type, "CL_TYPE_POSIX_TAR");
  EXPECT_EQ(v.chain[1].method, "gzip");
  EXPECT_EQ(v.chain[2].name, "inner.zip");
  EXPECT_EQ(v.chain[2].type, "CL_TYPE_ZIP");
  EXPECT_EQ(v.chain[3].name, "dropper.exe");
  EXPECT_EQ(chain_text(v.chain), "attachment.tar.gz > CL_TYPE_POSIX_TAR > inner.zip > dropper.exe");
  EXPECT_GE(r.objects, 5u);
  EXPECT_TRUE(r.notices.empty());
}

TEST(ContainerScanner, FirstVerdictStopsUnlessAllmatch) {
  test::ZipBuilder z;
  z.add("one.bin", payload());
  z.add("two.bin", payload());
  Bytes zip = z.finish();
  EXPECT_EQ(scan(zip).verdicts.size(), 1u);
  ScanOptions all;
  all.allmatch = true;
  FileResult r = scan(zip, all);
  ASSERT_EQ(r.verdicts.size(), 2u);
  EXPECT_EQ(r.verdicts[1].chain.back().name, "two.bin");
}

TEST(ContainerScanner, RecursionLimitIsReportedAndAlertedOnRequest) {
  Bytes inner = payload();
  for (int level = 0; level < 5; ++level) {
    test::ZipBuilder z;
    z.add("level" + std::to_string(level) + ".zip", inner);
    inner = z.finish();
  }
  ScanOptions opts;
  opts.max_recursion = 3;
  FileResult r = scan(inner, opts);
  EXPECT_TRUE(r.verdicts.empty());
  EXPECT_TRUE(has_limit(r, "MaxRecursion"));
  opts.alert_exceeds_max = true;
  r = scan(inner, opts);
  ASSERT_EQ(r.verdicts.size(), 1u);
  EXPECT_EQ(r.verdicts[0].name, "Heuristics.Limits.Exceeded.MaxRecursion");
  EXPECT_EQ(r.verdicts[0].kind, "heuristic");
  opts.max_recursion = 17;
  opts.alert_exceeds_max = false;
  r = scan(inner, opts);
  ASSERT_EQ(r.verdicts.size(), 1u);
  EXPECT_EQ(r.verdicts[0].chain.size(), 5u); // level4.zip > ... > level0.zip (the payload)
}

TEST(ContainerScanner, FileCountSizeAndScanSizeLimits) {
  test::ZipBuilder z;
  for (int i = 0; i < 50; ++i)
    z.add("f" + std::to_string(i), bytes_of("tiny " + std::to_string(i)));
  z.add("last", payload());
  Bytes many = z.finish();
  ScanOptions opts;
  opts.max_files = 20;
  FileResult r = scan(many, opts);
  EXPECT_TRUE(r.verdicts.empty());
  EXPECT_TRUE(has_limit(r, "MaxFiles"));
  EXPECT_EQ(r.objects, 20u);

  test::ZipBuilder big;
  Bytes noise(2 << 20);
  std::uint32_t seed = 12345;
  for (auto &b : noise) // incompressible, so that only the size limits apply
    b = static_cast<std::uint8_t>((seed = seed * 1103515245u + 12345u) >> 24);
  big.add("big.bin", noise);
  big.add("after.bin", payload());
  Bytes b = big.finish();
  opts = {};
  opts.max_filesize = 1 << 20;
  r = scan(b, opts);
  EXPECT_TRUE(has_limit(r, "MaxFileSize"));
  EXPECT_EQ(r.verdicts.size(), 1u) << "the entry after a skipped one is still scanned";

  opts = {};
  opts.max_scansize = 1 << 20;
  r = scan(b, opts);
  EXPECT_TRUE(has_limit(r, "MaxScanSize"));
  EXPECT_TRUE(r.verdicts.empty());
}

TEST(ContainerScanner, RatioLimitOnABombEntry) {
  test::ZipBuilder z;
  z.add("zeros", Bytes(16 << 20, 0));
  z.add("after.bin", payload());
  FileResult r = scan(z.finish());
  EXPECT_TRUE(has_limit(r, "MaxCompressionRatio"));
  EXPECT_EQ(r.verdicts.size(), 1u);
}

TEST(ContainerScanner, EncryptedEntriesAreNoticedAndAlertedOnRequest) {
  test::ZipBuilder z;
  Bytes junk = payload();
  z.add_raw("secret.exe", junk, 0, junk.size(), 0, 1);
  Bytes zip = z.finish();
  FileResult r = scan(zip);
  ASSERT_EQ(r.notices.size(), 1u);
  EXPECT_EQ(r.notices[0].kind, ScanNotice::Kind::encrypted);
  EXPECT_EQ(chain_text(r.notices[0].where), "secret.exe");
  EXPECT_TRUE(r.verdicts.empty());
  ScanOptions opts;
  opts.alert_encrypted = true;
  r = scan(zip, opts);
  ASSERT_EQ(r.verdicts.size(), 1u);
  EXPECT_EQ(r.verdicts[0].name, "Heuristics.Encrypted.Archive");
}

TEST(ContainerScanner, TimeLimit) {
  test::ZipBuilder z;
  for (int i = 0; i < 2000; ++i)
    z.add("f" + std::to_string(i), Bytes(4096, static_cast<std::uint8_t>(i)));
  ScanOptions opts;
  opts.max_scantime_ms = 1;
  Bytes zip = z.finish();
  FileResult r = scan(zip, opts);
  EXPECT_TRUE(has_limit(r, "MaxScanTime"));
  EXPECT_LT(r.objects, 2000u);
}

TEST(ContainerScanner, PlainDataIsLeftAlone) {
  FileResult r = scan(payload());
  EXPECT_TRUE(r.verdicts.empty()); // the outer bytes are the caller's to scan
  EXPECT_EQ(r.objects, 0u);
  EXPECT_TRUE(r.notices.empty());
}

} // namespace
} // namespace vg
