// Zip entries libarchive cannot decode (Deflate64, Implode) go through the hand-written decoders
// from the zip's central directory, and reach the ChildSink like every other entry: same names,
// order kept, size cap, ratio limit, CRC and damage reports; the real clam.d64.zip and
// clam.impl.zip of clamav-testfiles give clam.exe (compared with `unzip -p` when installed).
#include "common/error.hpp"
#include "common/file_bytes.hpp"
#include "differential/child_process.hpp"
#include "scan/container_fixtures.hpp"
#include "scan/containers/archive_extractor.hpp"
#include "scan/containers/zip_central_directory.hpp"
#include "scan/zip_stream_writer.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

namespace vg {
namespace {

namespace fs = std::filesystem;
using test::Bytes;
using test::bytes_of;
using test::CollectingSink;
using test::ZipBuilder;

std::uint32_t crc_of(const Bytes &b) {
  return static_cast<std::uint32_t>(crc32(0, b.data(), static_cast<uInt>(b.size())));
}

// Deflate64 (fixed block, literals then one match of 285 + 16 bits at distance code 0).
Bytes deflate64_of(const Bytes &prefix, std::uint32_t repeat_extra, Bytes &expected) {
  test::FixedDeflate64Writer w;
  w.begin_block(true);
  for (auto b : prefix)
    w.literal(b);
  expected = prefix;
  if (repeat_extra != 0) {
    w.match(285, repeat_extra, 16, 0, 0, 0);
    for (std::uint32_t i = 0; i < 3 + repeat_extra; ++i)
      expected.push_back(expected.back());
  }
  w.end_block();
  return w.w.bytes();
}

// Implode, three trees, 8 KiB: literals only.
Bytes implode_of(const Bytes &data) {
  test::ImplodeWriter w(true, std::vector<unsigned>(256, 8), std::vector<unsigned>(64, 6),
                        std::vector<unsigned>(64, 6));
  for (auto b : data)
    w.literal(b);
  return w.w.bytes();
}

Bytes marker_payload(const std::string &around) {
  return bytes_of(around + std::string(test::kMarker) + around);
}

void extract(const Bytes &zip, CollectingSink &sink) {
  ArchiveExtractor(ArchiveExtractor::Mode::archive).extract(zip, sink);
}

TEST(ZipHandDecodedEntries, Deflate64AndImplodeBesideOrdinaryEntries) {
  ZipBuilder z;
  z.add("first.txt", bytes_of("plain deflate entry"));
  Bytes d64_plain;
  const Bytes d64 = deflate64_of(marker_payload("d64"), 0, d64_plain);
  z.add_raw("dir/deflate64.bin", d64, crc_of(d64_plain), d64_plain.size(), 9);
  const Bytes imp_plain = marker_payload("implode");
  z.add_raw("imploded.bin", implode_of(imp_plain), crc_of(imp_plain), imp_plain.size(), 6, 2 | 4);
  z.add("last.txt", bytes_of("stored last"), false);
  CollectingSink sink;
  extract(z.finish(), sink);
  ASSERT_EQ(sink.children.size(), 4u);
  EXPECT_EQ(sink.children[0].name, "first.txt");
  EXPECT_EQ(sink.children[1].name, "dir/deflate64.bin");
  EXPECT_EQ(sink.children[1].method, "ZIP (deflate64)");
  EXPECT_TRUE(sink.children[1].bytes == d64_plain);
  EXPECT_TRUE(sink.children[1].unreadable.empty()) << sink.children[1].unreadable;
  EXPECT_EQ(sink.children[1].packed_size, d64.size());
  EXPECT_EQ(sink.children[2].name, "imploded.bin");
  EXPECT_EQ(sink.children[2].method, "ZIP (implode)");
  EXPECT_TRUE(sink.children[2].bytes == imp_plain);
  EXPECT_EQ(sink.children[3].name, "last.txt");
  EXPECT_TRUE(sink.damage.empty());
  EXPECT_TRUE(sink.has_child_with(test::kMarker));
}

TEST(ZipHandDecodedEntries, SizeCapCutsAndRatioLimitStops) {
  Bytes plain;
  const Bytes bomb = deflate64_of(bytes_of("B"), 65535, plain); // 65,539 bytes from ~10
  ZipBuilder z;
  z.add_raw("bomb.bin", bomb, crc_of(plain), plain.size(), 9);
  const Bytes zip = z.finish();
  {
    CollectingSink sink;
    sink.cap = 1000;
    extract(zip, sink);
    ASSERT_EQ(sink.children.size(), 1u);
    EXPECT_TRUE(sink.children[0].cut);
    EXPECT_EQ(sink.children[0].bytes.size(), 1000u);
  }
  {
    CollectingSink sink; // ratio 100 above the 1 MiB floor: 65 KB passes
    sink.ratio = 100;
    extract(zip, sink);
    ASSERT_EQ(sink.children.size(), 1u);
    EXPECT_FALSE(sink.children[0].ratio_exceeded);
    EXPECT_TRUE(sink.children[0].bytes == plain);
  }
  // A real bomb: 200 matches of 65,538 bytes (13 MB from ~700 bytes), ratio 100.
  test::FixedDeflate64Writer w;
  w.begin_block(true);
  w.literal('B');
  for (int i = 0; i < 200; ++i)
    w.match(285, 65535, 16, 0, 0, 0);
  w.end_block();
  ZipBuilder big;
  big.add_raw("big.bin", w.w.bytes(), 0, 200u * 65538 + 1, 9);
  CollectingSink sink;
  sink.ratio = 100;
  extract(big.finish(), sink);
  ASSERT_EQ(sink.children.size(), 1u);
  EXPECT_TRUE(sink.children[0].ratio_exceeded);
  EXPECT_LE(sink.children[0].bytes.size(), (1u << 20) + 1);
}

TEST(ZipHandDecodedEntries, DamageIsReportedAndTheNextEntryStillRead) {
  Bytes plain;
  const Bytes good = deflate64_of(marker_payload("x"), 0, plain);
  ZipBuilder z;
  z.add_raw("badcrc.bin", good, crc_of(plain) ^ 1, plain.size(), 9);
  z.add_raw("corrupt.bin", Bytes{0x07, 0x00}, 0, 10, 9); // block type 3
  z.add_raw("short.bin", Bytes(good.begin(), good.end() - 3), crc_of(plain), plain.size(), 9);
  z.add_raw("tree.bin", Bytes{0x00, 0x45}, 0, 10, 6); // a length tree of 5 values
  z.add("ok.txt", marker_payload("ok"));
  CollectingSink sink;
  extract(z.finish(), sink);
  ASSERT_EQ(sink.children.size(), 5u);
  EXPECT_TRUE(sink.children[0].bytes == plain); // still scanned
  ASSERT_EQ(sink.damage.size(), 1u);
  EXPECT_NE(sink.damage[0].find("badcrc.bin: CRC-32"), std::string::npos) << sink.damage[0];
  EXPECT_NE(sink.children[1].unreadable.find("invalid block type 3"), std::string::npos)
      << sink.children[1].unreadable;
  EXPECT_TRUE(sink.children[1].bytes.empty());
  EXPECT_NE(sink.children[2].unreadable.find("truncated"), std::string::npos)
      << sink.children[2].unreadable;
  EXPECT_NE(sink.children[3].unreadable.find("length tree describes 5 values"), std::string::npos)
      << sink.children[3].unreadable;
  EXPECT_EQ(sink.children[4].name, "ok.txt");
  EXPECT_TRUE(sink.children[4].unreadable.empty());
}

TEST(ZipHandDecodedEntries, CentralDirectoryOutOfBoundsIsAnError) {
  Bytes plain;
  ZipBuilder z;
  z.add_raw("a.bin", deflate64_of(bytes_of("abc"), 0, plain), crc_of(plain), plain.size(), 9);
  Bytes zip = z.finish();
  // Directory size field (EOCD + 12) larger than the file.
  Bytes broken = zip;
  broken[broken.size() - 22 + 12] = 0xFF, broken[broken.size() - 22 + 13] = 0xFF;
  EXPECT_THROW(for_each_zip_entry(broken, [](const ZipEntry &) { return true; }), Error);
  // Every truncation of the zip: no crash, and no entry read beyond the buffer.
  for (std::size_t n = 0; n < zip.size(); ++n) {
    CollectingSink sink;
    extract(Bytes(zip.begin(), zip.begin() + static_cast<std::ptrdiff_t>(n)), sink);
    for (const auto &c : sink.children)
      EXPECT_TRUE(c.bytes.empty() || c.bytes == plain);
  }
  // A self-extractor stub before the zip: offsets are shifted.
  Bytes sfx = bytes_of("MZ stub of 24 bytes.....");
  sfx.insert(sfx.end(), zip.begin(), zip.end());
  std::vector<ZipEntry> seen;
  for_each_zip_entry(sfx, [&](const ZipEntry &e) {
    seen.push_back(e);
    return true;
  });
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].local_header, 24u);
  EXPECT_EQ(zip_entry_data(sfx, seen[0]).size(), seen[0].packed_size);
}

TEST(ZipHandDecodedEntries, ClamavTestfilesGiveClamExe) {
  const fs::path dir = "/usr/share/clamav-testfiles";
  if (!fs::exists(dir / "clam.d64.zip") || !fs::exists(dir / "clam.impl.zip"))
    GTEST_SKIP() << dir << " missing (Debian package clamav-testfiles)";
  const Bytes clam = testing::read_file_bytes(dir / "clam.exe");
  ASSERT_EQ(clam.size(), 544u);
  for (const char *name : {"clam.d64.zip", "clam.impl.zip"}) {
    CollectingSink sink;
    extract(testing::read_file_bytes(dir / name), sink);
    ASSERT_EQ(sink.children.size(), 1u) << name;
    EXPECT_TRUE(sink.children[0].unreadable.empty()) << name << sink.children[0].unreadable;
    EXPECT_TRUE(sink.children[0].bytes == clam) << name;
    EXPECT_TRUE(sink.damage.empty()) << name;
    if (!testing::find_program("unzip").empty()) {
      auto r = testing::run_program({"unzip", "-p", (dir / name).string()});
      EXPECT_EQ(r.out, std::string(clam.begin(), clam.end())) << "unzip -p " << name;
    }
  }
}

// 7-Zip writes Deflate64 zips with real dynamic blocks and long distances: when it is installed,
// a 500 KB file with repeats 20, 35 and 50 KB apart must come back byte for byte.
TEST(ZipHandDecodedEntries, SevenZipDeflate64MatchesTheOriginal) {
  if (testing::find_program("7z").empty())
    GTEST_SKIP() << "7z not installed (Debian package p7zip-full)";
  char tmpl[] = "/tmp/vg-d64-XXXXXX";
  const fs::path tmp = ::mkdtemp(tmpl);
  Bytes data;
  std::uint32_t x = 12345;
  Bytes block;
  for (int i = 0; i < 20000; ++i) {
    x = x * 1103515245 + 12345;
    block.push_back(static_cast<std::uint8_t>('a' + (x >> 16) % 26));
  }
  for (int round = 0; round < 15; ++round) { // blocks repeated 20-60 KB apart, slightly changed
    data.insert(data.end(), block.begin(), block.end());
    block[static_cast<std::size_t>(round) * 997 % block.size()] ^= 0x20;
    if (round % 3 != 2) // the previous copy 35 KB (distance code 30) or 50 KB (code 31) back
      for (int i = 0; i < (round % 3 == 0 ? 15000 : 30000); ++i)
        data.push_back(static_cast<std::uint8_t>((x = x * 1103515245 + 12345) >> 24));
  }
  std::ofstream(tmp / "data.bin", std::ios::binary)
      .write(reinterpret_cast<const char *>(data.data()),
             static_cast<std::streamsize>(data.size()));
  auto r = testing::run_program({"7z", "a", "-tzip", "-mm=Deflate64", "-mx=9",
                                 (tmp / "d64.zip").string(), (tmp / "data.bin").string()});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const Bytes zip = testing::read_file_bytes(tmp / "d64.zip");
  fs::remove_all(tmp);
  bool saw_deflate64 = false;
  for_each_zip_entry(zip, [&](const ZipEntry &e) {
    saw_deflate64 = e.method == 9;
    return true;
  });
  ASSERT_TRUE(saw_deflate64);
  CollectingSink sink;
  extract(zip, sink);
  ASSERT_EQ(sink.children.size(), 1u);
  EXPECT_EQ(sink.children[0].method, "ZIP (deflate64)");
  EXPECT_TRUE(sink.children[0].unreadable.empty()) << sink.children[0].unreadable;
  EXPECT_TRUE(sink.children[0].bytes == data);
  EXPECT_TRUE(sink.damage.empty());
}

} // namespace
} // namespace vg
