// Tests of the archive header walk behind the .cdb matcher: libclamav's positions, sizes and
// flags per container type, the zip local-header fallback, damage and the entry cap.
#include "scan/container_fixtures.hpp"
#include "scan/containers/archive_entry_metadata.hpp"

#include <gtest/gtest.h>

namespace vg {
namespace {

using test::Bytes;
using test::bytes_of;

Bytes sample_zip(std::size_t *deflated_size = nullptr) {
  test::ZipBuilder z;
  z.add("dir/", {}, false);
  Bytes text = bytes_of(std::string(600, 't'));
  Bytes packed = test::deflate_raw(text);
  if (deflated_size)
    *deflated_size = packed.size();
  z.add_raw("docs/a.txt", packed, 1, text.size(), 8);
  z.add_raw("locked.bin", bytes_of("0123456789"), 2, 7, 0, 1);
  return z.finish();
}

std::size_t central_directory_offset(const Bytes &zip) {
  std::size_t end = zip.size() - 22;
  return zip[end + 16] | zip[end + 17] << 8 | zip[end + 18] << 16 |
         static_cast<std::size_t>(zip[end + 19]) << 24;
}

TEST(ArchiveEntryMetadata, ZipCentralDirectory) {
  std::size_t deflated = 0;
  Bytes zip = sample_zip(&deflated);
  auto l = list_entry_metadata(ClamType::zip, zip, 100);
  EXPECT_EQ(l.damaged, "");
  ASSERT_EQ(l.entries.size(), 3u);
  EXPECT_EQ(*l.entries[0].name, "dir/");
  EXPECT_EQ(l.entries[0].position, 1u);
  EXPECT_EQ(*l.entries[1].name, "docs/a.txt");
  EXPECT_EQ(*l.entries[1].size_in_container, deflated);
  EXPECT_EQ(l.entries[1].size_real, 600u);
  EXPECT_FALSE(l.entries[1].encrypted);
  EXPECT_EQ(l.entries[1].position, 2u);
  EXPECT_TRUE(l.entries[2].encrypted);
  EXPECT_EQ(*l.entries[2].size_in_container, 10u);
  EXPECT_EQ(l.entries[2].size_real, 7u);
  EXPECT_EQ(l.entries[2].position, 3u);
  EXPECT_EQ(list_entry_metadata(ClamType::zip, zip, 2).entries.size(), 2u);
}

TEST(ArchiveEntryMetadata, ZipWithoutCentralDirectoryWalksLocalHeaders) {
  Bytes zip = sample_zip();
  Bytes locals(zip.begin(),
               zip.begin() + static_cast<std::ptrdiff_t>(central_directory_offset(zip)));
  auto l = list_entry_metadata(ClamType::zip, locals, 100);
  ASSERT_EQ(l.entries.size(), 3u);
  EXPECT_EQ(*l.entries[1].name, "docs/a.txt");
  EXPECT_EQ(l.entries[1].size_real, 600u);
  EXPECT_TRUE(l.entries[2].encrypted);
  EXPECT_EQ(l.entries[2].position, 3u);
  // Cut inside the second entry's data (headers of 30 bytes + name): two headers stay, the damage
  // is said.
  Bytes cut(locals.begin(), locals.begin() + (30 + 4) + (30 + 10) + 5);
  auto c = list_entry_metadata(ClamType::zip, cut, 100);
  EXPECT_EQ(c.entries.size(), 2u);
  EXPECT_EQ(c.damaged, "zip entry data truncated");
  Bytes in_header(locals.begin(), locals.begin() + (30 + 4) + 35);
  auto h = list_entry_metadata(ClamType::zip, in_header, 100);
  EXPECT_EQ(h.entries.size(), 1u);
  EXPECT_EQ(h.damaged, "zip local header truncated");
}

TEST(ArchiveEntryMetadata, ZipDamagedCentralDirectory) {
  Bytes zip = sample_zip();
  zip[central_directory_offset(zip) + 46 + 4] ^= 0xff; // second record's signature ("dir/" first)
  auto l = list_entry_metadata(ClamType::zip, zip, 100);
  EXPECT_EQ(l.entries.size(), 1u);
  EXPECT_NE(l.damaged.find("central directory entry 1"), std::string::npos) << l.damaged;
}

TEST(ArchiveEntryMetadata, TarCountsRegularFilesFromOne) {
  Bytes tar = test::libarchive_write(archive_write_set_format_ustar, nullptr,
                                     {{"a", bytes_of("x")}, {"empty", {}}, {"b", bytes_of("yy")}});
  auto l = list_entry_metadata(ClamType::posix_tar, tar, 100);
  ASSERT_EQ(l.entries.size(), 3u);
  EXPECT_EQ(*l.entries[1].name, "empty");
  EXPECT_EQ(l.entries[1].size_real, 0u);
  EXPECT_EQ(l.entries[2].position, 3u);
  EXPECT_EQ(*l.entries[2].size_in_container, 2u);
}

TEST(ArchiveEntryMetadata, CpioSkipsEmptyEntriesAndSanitisesNames) {
  Bytes cpio = test::libarchive_write(
      archive_write_set_format_cpio_newc, nullptr,
      {{"a%b", bytes_of("x")}, {"empty", {}}, {"c\xc3\xa9", bytes_of("yy")}});
  auto l = list_entry_metadata(ClamType::cpio_newc, cpio, 100);
  ASSERT_EQ(l.entries.size(), 2u);
  EXPECT_EQ(*l.entries[0].name, "a_b");
  EXPECT_EQ(l.entries[0].position, 1u);
  EXPECT_EQ(*l.entries[1].name, "c__");
  EXPECT_EQ(l.entries[1].position, 3u); // the empty entry's header still counts
}

// Fuzzer finding: libarchive's cpio reader allocated the stated name size (here 0xDDDDDDDD bytes,
// 3.7 GB) before noticing the file is 300 bytes long. The walk is now by hand, as libclamav's.
TEST(ArchiveEntryMetadata, HugeCpioNameSizeIsDamageNotAnAllocation) {
  std::string h = "070701" + std::string(48, '0') + "0000002D" + std::string(32, '0') + "DDDDDDDD" +
                  std::string(8, '0') + std::string(300, 'D');
  auto l = list_entry_metadata(ClamType::cpio_newc, bytes_of(h), 100);
  EXPECT_TRUE(l.entries.empty());
  EXPECT_EQ(l.damaged, "cpio header 1: name runs past the end");
}

// Old binary cpio, either byte order: the magic 070707 decides whether every 16-bit field swaps.
TEST(ArchiveEntryMetadata, BinaryCpioBothByteOrders) {
  auto header = [](bool big, std::uint16_t namesize, std::uint32_t size) {
    Bytes b;
    auto put = [&](std::uint16_t v) {
      b.push_back(static_cast<std::uint8_t>(big ? v >> 8 : v));
      b.push_back(static_cast<std::uint8_t>(big ? v : v >> 8));
    };
    put(070707);
    for (int i = 0; i < 9; ++i)
      put(0);
    put(namesize);
    put(static_cast<std::uint16_t>(size >> 16));
    put(static_cast<std::uint16_t>(size));
    return b;
  };
  for (bool big : {false, true}) {
    Bytes a = header(big, 6, 3); // "a.exe\0" + 3 bytes + 1 pad
    for (char c : std::string("a.exe", 6))
      a.push_back(static_cast<std::uint8_t>(c));
    a.insert(a.end(), {'x', 'y', 'z', 0});
    Bytes t = header(big, 11, 0);
    for (char c : std::string("TRAILER!!!", 11))
      t.push_back(static_cast<std::uint8_t>(c));
    t.push_back(0);
    a.insert(a.end(), t.begin(), t.end());
    a.insert(a.end(), 26, 0);
    auto l = list_entry_metadata(ClamType::cpio_old, a, 100);
    ASSERT_EQ(l.entries.size(), 1u) << big;
    EXPECT_EQ(*l.entries[0].name, "a.exe");
    EXPECT_EQ(l.entries[0].size_real, 3u);
    EXPECT_EQ(l.entries[0].position, 1u);
    EXPECT_EQ(l.damaged, "");
  }
}

TEST(ArchiveEntryMetadata, SevenZipPositionsFromZeroWithoutPackedSize) {
  Bytes sz = test::libarchive_write(archive_write_set_format_7zip, nullptr,
                                    {{"one", bytes_of("1111")}, {"two", bytes_of("22")}});
  auto l = list_entry_metadata(ClamType::sevenzip, sz, 100);
  ASSERT_EQ(l.entries.size(), 2u);
  EXPECT_EQ(l.entries[0].position, 0u);
  EXPECT_EQ(l.entries[1].position, 1u);
  EXPECT_EQ(*l.entries[1].size_in_container, 0u);
  EXPECT_EQ(l.entries[1].size_real, 2u);
}

TEST(ArchiveEntryMetadata, OtherTypesAndGarbage) {
  EXPECT_FALSE(has_entry_metadata(ClamType::rar));
  EXPECT_TRUE(list_entry_metadata(ClamType::rar, bytes_of("Rar!\x1a\x07"), 100).entries.empty());
  auto g = list_entry_metadata(ClamType::posix_tar, bytes_of("not a tar at all"), 100);
  EXPECT_TRUE(g.entries.empty());
  EXPECT_NE(g.damaged, "");
  EXPECT_TRUE(list_entry_metadata(ClamType::zip, {}, 100).entries.empty());
}

} // namespace
} // namespace vg
