// Tests of the .cdb matching inside the container recursion: a metadata verdict names the entry in
// its chain, works at any depth (the type of the archive holding the entry counts, not the outer
// file's), and without allmatch the first verdict ends the file's scan.
#include "scan/container_fixtures.hpp"
#include "scan/containers/container_scanner.hpp"

#include <gtest/gtest.h>

namespace vg {
namespace {

using test::Bytes;
using test::bytes_of;

FileResult scan_with(const std::string &cdb, const Bytes &data, bool allmatch) {
  SignatureSet set;
  load_database_text(set, "m.cdb", cdb);
  load_database_text(set, "marker.ndb", test::marker_ndb());
  auto engine = Engine::build(std::move(set));
  ScanOptions opts;
  opts.allmatch = allmatch;
  Engine::Scratch scratch;
  FileResult r;
  scan_contents(*engine, opts, scratch, data, r);
  return r;
}

TEST(ContainerMetadataScan, VerdictNamesTheEntry) {
  test::ZipBuilder z;
  z.add("readme.txt", bytes_of("hello"), false);
  z.add("tool.exe", bytes_of("MZ......"), false);
  auto r = scan_with("ByName:CL_TYPE_ZIP:*:\\.exe$:*:*:*:*:*:*\n", z.finish(), true);
  ASSERT_EQ(r.verdicts.size(), 1u);
  EXPECT_EQ(r.verdicts[0].name, "ByName.UNOFFICIAL");
  EXPECT_EQ(r.verdicts[0].kind, "metadata");
  EXPECT_EQ(r.verdicts[0].database, "m.cdb");
  ASSERT_EQ(r.verdicts[0].chain.size(), 1u);
  EXPECT_EQ(r.verdicts[0].chain[0].name, "tool.exe");
  EXPECT_EQ(chain_text(r.verdicts[0].chain), "tool.exe");
}

TEST(ContainerMetadataScan, TheArchiveHoldingTheEntryDecides) {
  test::ZipBuilder inner;
  inner.add("deep.exe", bytes_of("payload"), false);
  Bytes tgz = test::libarchive_write(archive_write_set_format_ustar, archive_write_add_filter_gzip,
                                     {{"inner.zip", inner.finish()}});
  auto r = scan_with("InZip:CL_TYPE_ZIP:*:deep:*:*:*:*:*:*\n"
                     "InTar:CL_TYPE_POSIX_TAR:*:inner\\.zip:*:*:*:*:*:*\n"
                     "NotGz:CL_TYPE_GZ:*:*:*:*:*:*:*:*\n",
                     tgz, true);
  std::set<std::string> names;
  for (const auto &v : r.verdicts)
    names.insert(v.name + " @ " + chain_text(v.chain));
  EXPECT_EQ(names,
            (std::set<std::string>{"InTar.UNOFFICIAL @ CL_TYPE_POSIX_TAR > inner.zip",
                                   "InZip.UNOFFICIAL @ CL_TYPE_POSIX_TAR > inner.zip > deep.exe"}));
}

TEST(ContainerMetadataScan, FirstVerdictEndsTheScanWithoutAllmatch) {
  test::ZipBuilder z;
  for (int i = 0; i < 5; ++i)
    z.add("f" + std::to_string(i), bytes_of("x"), false);
  const std::string cdb = "Any:CL_TYPE_ZIP:*:*:*:*:*:*:*:*\n";
  EXPECT_EQ(scan_with(cdb, z.finish(), false).verdicts.size(), 1u);
  test::ZipBuilder z2;
  for (int i = 0; i < 5; ++i)
    z2.add("f" + std::to_string(i), bytes_of("x"), false);
  EXPECT_EQ(scan_with(cdb, z2.finish(), true).verdicts.size(), 5u);
}

// As libclamav: its zip reader matches every central-directory entry's metadata before it scans
// any content, its tar reader each entry's metadata just before that entry. Without allmatch the
// first verdict shows the order.
TEST(ContainerMetadataScan, MetadataOrderFollowsLibclamav) {
  const std::vector<std::pair<std::string, Bytes>> files = {
      {"first.bin", bytes_of(std::string("\x7f\x01") + std::string(test::kMarker))},
      {"second.exe", bytes_of("MZ")}};
  test::ZipBuilder z;
  for (const auto &[name, data] : files)
    z.add(name, data, false);
  const Bytes zip = z.finish();
  const Bytes tar = test::libarchive_write(archive_write_set_format_ustar, nullptr, files);
  const std::string second = "Second:*:*:second:*:*:*:*:*:*\n",
                    first = "First:*:*:first:*:*:*:*:*:*\n";
  auto first_verdict = [](const FileResult &r) {
    return r.verdicts.empty() ? std::string("none") : r.verdicts[0].name;
  };
  EXPECT_EQ(first_verdict(scan_with(second, zip, false)), "Second.UNOFFICIAL");
  EXPECT_EQ(first_verdict(scan_with(second, tar, false)), "Test.Container.Marker.UNOFFICIAL");
  EXPECT_EQ(first_verdict(scan_with(first, tar, false)), "First.UNOFFICIAL");
}

} // namespace
} // namespace vg
