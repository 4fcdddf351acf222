// Tests for parse_exe_info: hand-built PE/ELF/Mach-O images (well-formed and hostile), and real
// files whose entry point and sections were read from `clamscan --debug` (ClamAV 1.4.6).
#include "common/digest.hpp"
#include "common/file_bytes.hpp"
#include "common/hex.hpp"
#include "engine/exe_info.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace vg {
namespace {

using Bytes = std::vector<std::uint8_t>;

void put(Bytes &d, std::size_t off, std::uint64_t v, unsigned width, bool be = false) {
  if (d.size() < off + width)
    d.resize(off + width, 0);
  for (unsigned i = 0; i < width; ++i) {
    const unsigned shift = be ? 8 * (width - 1 - i) : 8 * i;
    d[off + i] = static_cast<std::uint8_t>(v >> shift);
  }
}

std::string sha256_hex(std::span<const std::uint8_t> d) {
  return hex_encode(digest_bytes(d, hash_bit(HashAlgo::sha256)).sha256->b);
}

// ---------------------------------------------------------------------------------------------
// PE

struct PeSection {
  std::string name;
  std::uint32_t vsize, rva, rsize, raw;
};

struct PeImage {
  bool plus = false;
  std::uint32_t entry = 0x1010;
  std::uint32_t valign = 0x1000, falign = 0x200, size_of_headers = 0x200;
  std::uint16_t nsections_override = 0; // 0: the real count
  std::vector<PeSection> sections = {{".text", 0x100, 0x1000, 0x200, 0x200},
                                     {".data", 0x80, 0x2000, 0x200, 0x400}};
  std::size_t file_size = 0x600;

  Bytes build() const {
    Bytes d(file_size, 0);
    d[0] = 'M';
    d[1] = 'Z';
    const std::size_t pe = 0x80;
    put(d, 0x3c, pe, 4);
    d[pe] = 'P';
    d[pe + 1] = 'E';
    const std::size_t fh = pe + 4;
    put(d, fh, plus ? 0x8664 : 0x14c, 2);
    put(d, fh + 2, nsections_override ? nsections_override : sections.size(), 2);
    const std::uint16_t opt_size = plus ? 0xf0 : 0xe0;
    put(d, fh + 16, opt_size, 2);
    const std::size_t opt = fh + 20;
    put(d, opt, plus ? 0x20b : 0x10b, 2);
    put(d, opt + 16, entry, 4);
    put(d, opt + 32, valign, 4);
    put(d, opt + 36, falign, 4);
    put(d, opt + 60, size_of_headers, 4);
    put(d, opt + (plus ? 108 : 92), 16, 4);
    std::size_t sh = opt + opt_size;
    for (const auto &s : sections) {
      std::memcpy(&d[sh], s.name.data(), std::min<std::size_t>(8, s.name.size()));
      put(d, sh + 8, s.vsize, 4);
      put(d, sh + 12, s.rva, 4);
      put(d, sh + 16, s.rsize, 4);
      put(d, sh + 20, s.raw, 4);
      sh += 40;
    }
    d.resize(file_size);
    return d;
  }
};

TEST(PeHeader, EntryPointThroughSectionTable) {
  PeImage img;
  const auto info = parse_exe_info(img.build(), FileKind::pe);
  EXPECT_TRUE(info.error.empty()) << info.error;
  ASSERT_TRUE(info.entry_point);
  EXPECT_EQ(*info.entry_point, 0x210u); // 0x1010 - 0x1000 + 0x200
  ASSERT_EQ(info.sections.size(), 2u);
  EXPECT_EQ(info.sections[0].name, ".text");
  EXPECT_EQ(info.sections[0].raw_offset, 0x200u);
  EXPECT_EQ(info.sections[0].raw_size, 0x200u);
  EXPECT_EQ(info.sections[0].rva, 0x1000u);
  EXPECT_EQ(info.sections[0].virtual_size, 0x1000u); // aligned up to SectionAlignment
  EXPECT_EQ(info.sections[1].raw_offset, 0x400u);
}

TEST(PeHeader, Pe32PlusUsesTheSameLayoutRules) {
  PeImage img;
  img.plus = true;
  img.entry = 0x2004;
  const auto info = parse_exe_info(img.build(), FileKind::pe);
  ASSERT_TRUE(info.entry_point) << info.error;
  EXPECT_EQ(*info.entry_point, 0x404u);
}

TEST(PeHeader, EntryPointInsideHeadersIsTheRva) {
  PeImage img;
  img.entry = 0x40; // below SizeOfHeaders aligned up to SectionAlignment (0x1000)
  const auto info = parse_exe_info(img.build(), FileKind::pe);
  ASSERT_TRUE(info.entry_point);
  EXPECT_EQ(*info.entry_point, 0x40u);
}

TEST(PeHeader, EntryPointNotBackedByFileDataRejectsTheHeader) {
  PeImage img;
  img.entry = 0x9000;
  const auto info = parse_exe_info(img.build(), FileKind::pe);
  EXPECT_FALSE(info.entry_point);
  EXPECT_TRUE(info.sections.empty());
  EXPECT_NE(info.error.find("entry point"), std::string::npos) << info.error;
}

TEST(PeHeader, MisalignedValuesAreAlignedAsClamAVDoes) {
  // clam.exe's single section has PointerToRawData 1: aligned down to 0 (FileAlignment 0x200).
  PeImage img;
  img.sections = {{"[CLAMAV]", 0x1000, 0x1000, 0x200, 0x1}};
  img.entry = 0x1040;
  img.size_of_headers = 0x400;
  img.file_size = 0x220;
  const auto info = parse_exe_info(img.build(), FileKind::pe);
  ASSERT_TRUE(info.entry_point) << info.error;
  EXPECT_EQ(*info.entry_point, 0x40u);
  ASSERT_EQ(info.sections.size(), 1u);
  EXPECT_EQ(info.sections[0].raw_offset, 0u);
  EXPECT_EQ(info.sections[0].raw_size, 0x200u);
}

TEST(PeHeader, FileAlignmentFallbackTo0x200) {
  PeImage img;
  img.falign = 0x1000; // .data at 0x400 is misaligned for 0x1000 but aligned to 0x200
  const auto info = parse_exe_info(img.build(), FileKind::pe);
  ASSERT_EQ(info.sections.size(), 2u) << info.error;
  EXPECT_EQ(info.sections[1].raw_offset, 0x400u);
}

TEST(PeHeader, RawSizeClippedToTheFile) {
  PeImage img;
  img.sections[1].rsize = 0x10000;
  const auto info = parse_exe_info(img.build(), FileKind::pe);
  ASSERT_EQ(info.sections.size(), 2u);
  EXPECT_EQ(info.sections[1].raw_size, 0x200u); // 0x600 - 0x400
}

TEST(PeHeader, SectionBeyondTheEndIsDropped) {
  PeImage img;
  img.sections.push_back({".far", 0x100, 0x3000, 0x200, 0x100000});
  const auto info = parse_exe_info(img.build(), FileKind::pe);
  EXPECT_EQ(info.sections.size(), 2u);
  EXPECT_TRUE(info.entry_point);
  EXPECT_NE(info.error.find("beyond"), std::string::npos);
  PeImage only;
  only.sections = {{".far", 0x100, 0x1000, 0x200, 0x100000}};
  const auto bad = parse_exe_info(only.build(), FileKind::pe);
  EXPECT_FALSE(bad.entry_point);
  EXPECT_FALSE(bad.error.empty());
}

TEST(PeHeader, HostileHeadersGiveReasons) {
  {
    PeImage img;
    img.nsections_override = 0;
    img.sections.clear();
    const auto i = parse_exe_info(img.build(), FileKind::pe);
    EXPECT_NE(i.error.find("NumberOfSections is 0"), std::string::npos) << i.error;
  }
  {
    PeImage img;
    img.nsections_override = 0xffff;
    const auto i = parse_exe_info(img.build(), FileKind::pe);
    EXPECT_NE(i.error.find("exceeds"), std::string::npos) << i.error;
    EXPECT_FALSE(i.entry_point);
  }
  {
    PeImage img;
    img.nsections_override = 90; // table would run past the end of the file
    const auto i = parse_exe_info(img.build(), FileKind::pe);
    EXPECT_NE(i.error.find("section table"), std::string::npos) << i.error;
  }
  {
    auto d = PeImage{}.build();
    put(d, 0x3c, 0xfffffff0u, 4); // e_lfanew far past the end
    const auto i = parse_exe_info(d, FileKind::pe);
    EXPECT_NE(i.error.find("no PE"), std::string::npos) << i.error;
  }
  {
    auto d = PeImage{}.build();
    put(d, 0x3c, 0, 4);
    EXPECT_NE(parse_exe_info(d, FileKind::pe).error.find("e_lfanew is 0"), std::string::npos);
  }
  {
    // clamscan 1.4.6 reads an unknown optional-header magic as PE32.
    auto d = PeImage{}.build();
    put(d, 0x80 + 24, 0x107, 2);
    EXPECT_EQ(parse_exe_info(d, FileKind::pe).entry_point, 0x210u);
  }
  {
    // SizeOfHeaders 0xffffffff rounds up to 0 in ClamAV's 32-bit arithmetic, so an entry point
    // below it is still looked up in the sections (clamscan 1.4.6 gave this file offset).
    PeImage img;
    img.size_of_headers = 0xffffffff;
    EXPECT_EQ(parse_exe_info(img.build(), FileKind::pe).entry_point, 0x210u);
  }
  {
    auto d = PeImage{}.build();
    put(d, 0x80 + 4 + 16, 0x10, 2); // SizeOfOptionalHeader too small
    EXPECT_NE(parse_exe_info(d, FileKind::pe).error.find("too small"), std::string::npos);
  }
  {
    // clamscan 1.4.6: "Found PE values with sign bit set" -> no EP+/Sx+ offset resolves.
    PeImage img;
    img.sections[1].rva = 0xfffffe00;
    const auto i = parse_exe_info(img.build(), FileKind::pe);
    EXPECT_FALSE(i.entry_point);
    EXPECT_NE(i.error.find("sign bit"), std::string::npos) << i.error;
  }
  EXPECT_FALSE(parse_exe_info(Bytes{'M', 'Z'}, FileKind::msdos).error.empty());
  EXPECT_FALSE(parse_exe_info(Bytes{}, FileKind::pe).error.empty());
}

TEST(PeHeader, EveryTruncationIsSafe) {
  const auto full = PeImage{}.build();
  for (std::size_t n = 0; n <= full.size(); ++n) {
    const Bytes cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
    const auto i = parse_exe_info(cut, FileKind::pe);
    if (i.entry_point) {
      EXPECT_LT(*i.entry_point, n);
    } else {
      EXPECT_FALSE(i.error.empty()) << n;
    }
  }
}

// Values printed by `clamscan --debug` (ClamAV 1.4.6) for these files.
TEST(PeHeader, MatchesClamscanOnRealFiles) {
  const std::string unit = std::string(VOXGUARD_SHARED_DATA) + "/clamav/unittests/pe_allmatch/";
  const std::string pkg = "/usr/share/clamav-testfiles/";
  struct Want {
    std::string path;
    std::uint64_t ep;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> raw; // (raw, rsz) per section
  };
  const std::vector<Want> wants = {
      {unit + "test.exe",
       0x8c0,
       {{0x400, 0x8600},
        {0x8a00, 0x11d600},
        {0x126000, 0xe00},
        {0x0, 0x0},
        {0x126e00, 0x800},
        {0x127600, 0x200},
        {0x127800, 0x200},
        {0x127a00, 0x38600}}},
      {pkg + "clam.exe", 0x40, {{0x0, 0x200}}},
      {pkg + "clam-upx.exe", 0x720, {}},
      {pkg + "clam-aspack.exe", 0xc01, {}},
      {pkg + "clam-mew.exe", 0x5ff, {}},
      {pkg + "clam-pespin.exe", 0xc87, {}},
      {pkg + "clam-petite.exe", 0x442, {}},
      {pkg + "clam-upack.exe", 0x18, {}},
      {pkg + "clam-wwpack.exe", 0xc00, {}},
      {pkg + "clam-yc.exe", 0xc60, {}},
      {pkg + "clam.ea05.exe", 0x30470, {{0x400, 0x0}, {0x400, 0x30400}, {0x30800, 0x2000}}},
      {pkg + "clam-nsis.exe",
       0x24b4,
       {{0x400, 0x5800}, {0x5c00, 0x1200}, {0x6e00, 0x400}, {0x0, 0x0}, {0x7200, 0x4200}}},
      {pkg + "clam_IScab_ext.exe",
       0xc217,
       {{0x400, 0x10a00}, {0x10e00, 0x1800}, {0x12600, 0x1600}, {0x13c00, 0x8600}}},
      {pkg + "clam_ISmsi_int.exe",
       0x553c3,
       {{0x400, 0x73c00}, {0x74000, 0x13400}, {0x87400, 0xa600}, {0x91a00, 0x4de00}}},
  };
  int checked = 0;
  for (const auto &w : wants) {
    if (!std::filesystem::exists(w.path))
      continue;
    const auto data = testing::read_file_bytes(w.path);
    ASSERT_EQ(detect_file_type(data), FileKind::pe) << w.path;
    const auto info = parse_exe_info(data, FileKind::pe);
    ASSERT_TRUE(info.entry_point) << w.path << ": " << info.error;
    EXPECT_EQ(*info.entry_point, w.ep) << w.path;
    if (!w.raw.empty()) {
      ASSERT_EQ(info.sections.size(), w.raw.size()) << w.path;
      for (std::size_t i = 0; i < w.raw.size(); ++i) {
        EXPECT_EQ(info.sections[i].raw_offset, w.raw[i].first) << w.path << " S" << i;
        EXPECT_EQ(info.sections[i].raw_size, w.raw[i].second) << w.path << " S" << i;
      }
    }
    ++checked;
  }
  if (checked == 0)
    GTEST_SKIP() << "neither " << unit << " nor " << pkg << " is present";
}

// ---------------------------------------------------------------------------------------------
// ELF

struct ElfImage {
  bool is64 = true, be = false;
  std::uint64_t entry = 0x401010;
  std::uint16_t phnum_override = 0xffff, shnum_override = 0xffff;
  std::uint16_t phentsize_override = 0, shentsize_override = 0;
  std::uint64_t shoff_override = 0;

  Bytes build() const {
    const unsigned w = is64 ? 8 : 4;
    const std::size_t ehsize = is64 ? 64 : 52, phent = is64 ? 56 : 32, shent = is64 ? 64 : 40;
    Bytes d(0x1000, 0);
    d[0] = 0x7f;
    d[1] = 'E';
    d[2] = 'L';
    d[3] = 'F';
    d[4] = is64 ? 2 : 1;
    d[5] = be ? 2 : 1;
    d[6] = 1;
    put(d, 16, 2, 2, be);
    put(d, 24, entry, w, be);
    const std::size_t phoff = ehsize;
    put(d, 24 + w, phoff, w, be);
    const std::size_t shoff = 0x800;
    put(d, 24 + 2 * w, shoff_override ? shoff_override : shoff, w, be);
    const std::size_t tail = 24 + 3 * w + 4;
    put(d, tail, ehsize, 2, be);
    put(d, tail + 2, phentsize_override ? phentsize_override : phent, 2, be);
    put(d, tail + 4, phnum_override != 0xffff ? phnum_override : 2, 2, be);
    put(d, tail + 6, shentsize_override ? shentsize_override : shent, 2, be);
    put(d, tail + 8, shnum_override != 0xffff ? shnum_override : 3, 2, be);
    put(d, tail + 10, 2, 2, be); // shstrndx
    // Two PT_LOAD segments: [0x400000, +0x200) at 0, [0x401000, +0x300) at 0x200.
    const std::uint64_t segs[2][3] = {{0x0, 0x400000, 0x200}, {0x200, 0x401000, 0x300}};
    for (int i = 0; i < 2; ++i) {
      const std::size_t p = phoff + phent * i;
      put(d, p, 1, 4, be);
      if (is64) {
        put(d, p + 8, segs[i][0], 8, be);
        put(d, p + 16, segs[i][1], 8, be);
        put(d, p + 32, segs[i][2], 8, be);
        put(d, p + 40, segs[i][2], 8, be);
      } else {
        put(d, p + 4, segs[i][0], 4, be);
        put(d, p + 8, segs[i][1], 4, be);
        put(d, p + 16, segs[i][2], 4, be);
        put(d, p + 20, segs[i][2], 4, be);
      }
    }
    // Sections: null, .text (0x200, 0x300), .shstrtab (0x700, 17).
    const char names[] = "\0.text\0.shstrtab\0";
    std::memcpy(&d[0x700], names, sizeof names);
    const std::uint64_t secs[3][4] = {
        {0, 0, 0, 0}, {1, 0x401000, 0x200, 0x300}, {7, 0, 0x700, sizeof names}};
    for (int i = 0; i < 3; ++i) {
      const std::size_t s = shoff + shent * i;
      put(d, s, secs[i][0], 4, be);
      put(d, s + (is64 ? 16 : 12), secs[i][1], w, be);
      put(d, s + (is64 ? 24 : 16), secs[i][2], w, be);
      put(d, s + (is64 ? 32 : 20), secs[i][3], w, be);
    }
    return d;
  }
};

TEST(ElfHeader, EntryPointThroughProgramHeaders) {
  for (bool is64 : {true, false})
    for (bool be : {false, true}) {
      ElfImage img;
      img.is64 = is64;
      img.be = be;
      const auto info = parse_exe_info(img.build(), FileKind::elf);
      ASSERT_TRUE(info.entry_point) << info.error;
      EXPECT_EQ(*info.entry_point, 0x210u) << is64 << be; // 0x401010 - 0x401000 + 0x200
      ASSERT_EQ(info.sections.size(), 3u);
      EXPECT_EQ(info.sections[1].name, ".text");
      EXPECT_EQ(info.sections[1].raw_offset, 0x200u);
      EXPECT_EQ(info.sections[1].raw_size, 0x300u);
      EXPECT_EQ(info.sections[1].rva, 0x401000u);
      EXPECT_EQ(info.sections[2].name, ".shstrtab");
    }
}

TEST(ElfHeader, NoEntryOrNoProgramHeadersMeansZero) {
  ElfImage img;
  img.entry = 0;
  EXPECT_EQ(parse_exe_info(img.build(), FileKind::elf).entry_point, 0u);
  ElfImage nophdr;
  nophdr.phnum_override = 0;
  EXPECT_EQ(parse_exe_info(nophdr.build(), FileKind::elf).entry_point, 0u);
}

TEST(ElfHeader, HostileHeadersGiveReasons) {
  {
    ElfImage img;
    img.entry = 0x900000; // in no segment
    const auto i = parse_exe_info(img.build(), FileKind::elf);
    EXPECT_FALSE(i.entry_point);
    EXPECT_TRUE(i.sections.empty());
    EXPECT_NE(i.error.find("no segment"), std::string::npos) << i.error;
  }
  {
    ElfImage img;
    img.phnum_override = 129;
    EXPECT_NE(parse_exe_info(img.build(), FileKind::elf).error.find("program headers"),
              std::string::npos);
  }
  {
    ElfImage img;
    img.phentsize_override = 7;
    EXPECT_NE(parse_exe_info(img.build(), FileKind::elf).error.find("e_phentsize"),
              std::string::npos);
  }
  {
    ElfImage img;
    img.shnum_override = 300;
    EXPECT_NE(parse_exe_info(img.build(), FileKind::elf).error.find("sections"), std::string::npos);
  }
  {
    // ClamAV checks e_shentsize even when there are no sections.
    ElfImage img;
    img.shnum_override = 0;
    img.shentsize_override = 1;
    EXPECT_NE(parse_exe_info(img.build(), FileKind::elf).error.find("e_shentsize"),
              std::string::npos);
  }
  {
    ElfImage img;
    img.shoff_override = 0xffffffffffff0000ull;
    EXPECT_NE(parse_exe_info(img.build(), FileKind::elf).error.find("past the end"),
              std::string::npos);
  }
  {
    auto d = ElfImage{}.build();
    d[4] = 9;
    EXPECT_NE(parse_exe_info(d, FileKind::elf).error.find("class"), std::string::npos);
  }
  const auto full = ElfImage{}.build();
  for (std::size_t n = 0; n < 0x900; n += 3) {
    const Bytes cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
    const auto i = parse_exe_info(cut, FileKind::elf);
    if (n < 0x800 + 3 * 64) {
      EXPECT_FALSE(i.error.empty()) << n;
    }
  }
}

struct RealElf {
  const char *path;
  const char *sha256;
  std::uint64_t ep;
  std::size_t nsections;
  std::vector<std::pair<std::size_t, std::pair<std::uint64_t, std::uint64_t>>>
      some; // S -> off,size
};

// What clamscan 1.4.6 printed for these builds (Debian 12 amd64); other builds are skipped.
TEST(ElfHeader, MatchesClamscanOnSystemFiles) {
  const std::vector<RealElf> files = {
      {"/usr/bin/ls",
       "cb30d69b24245bf2ecdc9e7f53bbad19159999970b6d82c0c00c7d32d9e37aa4",
       0x61d0,
       31,
       {{1, {792, 28}}, {12, {16384, 23}}, {15, {18096, 86174}}, {16, {104272, 9}}}},
      {"/usr/lib/x86_64-linux-gnu/libz.so.1",
       "7e2a72b4c4b38c61e6962de6e3f4a5e9ae692e732c68deead10a7ce2135a7f68",
       0,
       28,
       {{1, {568, 36}}, {10, {12288, 23}}, {13, {13120, 72899}}}},
  };
  int checked = 0;
  for (const auto &f : files) {
    if (!std::filesystem::exists(f.path))
      continue;
    const auto data = testing::read_file_bytes(f.path);
    if (sha256_hex(data) != f.sha256)
      continue;
    ASSERT_EQ(detect_file_type(data), FileKind::elf);
    const auto info = parse_exe_info(data, FileKind::elf);
    ASSERT_TRUE(info.entry_point) << info.error;
    EXPECT_EQ(*info.entry_point, f.ep) << f.path;
    ASSERT_EQ(info.sections.size(), f.nsections) << f.path;
    for (const auto &[idx, want] : f.some) {
      EXPECT_EQ(info.sections[idx].raw_offset, want.first) << f.path << " S" << idx;
      EXPECT_EQ(info.sections[idx].virtual_size, want.second) << f.path << " S" << idx;
    }
    ++checked;
  }
  if (checked == 0)
    GTEST_SKIP() << "the recorded /usr/bin/ls and libz.so.1 builds are not installed";
}

// ---------------------------------------------------------------------------------------------
// Mach-O (layouts checked against clamscan 1.4.6: "Entry Point file offset: 528" for the PPC
// image, EP+0 matching at offset 0 for the i386 and x86_64 images)

Bytes macho32(std::uint32_t cpu, bool be, std::uint32_t pc) {
  Bytes d(0x200, 0);
  put(d, 0, 0xfeedface, 4, be);
  put(d, 4, cpu, 4, be);
  put(d, 12, 2, 4, be); // MH_EXECUTE
  put(d, 16, 2, 4, be); // ncmds
  put(d, 20, 124 + (cpu == 18 ? 176 : 80), 4, be);
  std::size_t at = 28;
  put(d, at, 1, 4, be); // LC_SEGMENT
  put(d, at + 4, 56 + 68, 4, be);
  std::memcpy(&d[at + 8], "__TEXT", 6);
  put(d, at + 24, 0x1000, 4, be);
  put(d, at + 28, 0x1000, 4, be);
  put(d, at + 32, 0x200, 4, be);
  put(d, at + 36, 0x40, 4, be);
  put(d, at + 48, 1, 4, be); // nsects
  at += 56;
  std::memcpy(&d[at], "__text", 6);
  std::memcpy(&d[at + 16], "__TEXT", 6);
  put(d, at + 32, 0x1000, 4, be); // addr
  put(d, at + 36, 0x40, 4, be);   // size
  put(d, at + 40, 0x200, 4, be);  // offset
  put(d, at + 44, 4, 4, be);      // align 2^4
  at += 68;
  put(d, at, 5, 4, be); // LC_UNIXTHREAD
  if (cpu == 18) {
    put(d, at + 4, 16 + 160, 4, be);
    put(d, at + 8, 1, 4, be);
    put(d, at + 12, 40, 4, be);
    put(d, at + 16, pc, 4, be); // srr0
    at += 16 + 160;
  } else {
    put(d, at + 4, 16 + 64, 4, be);
    put(d, at + 8, 1, 4, be);
    put(d, at + 12, 16, 4, be);
    put(d, at + 16 + 40, pc, 4, be); // eip
    at += 16 + 64;
  }
  d.resize(0x200, 0);
  d.resize(0x240, 0x90);
  return d;
}

Bytes macho64_x86() {
  Bytes d(0x400, 0);
  put(d, 0, 0xfeedfacf, 4);
  put(d, 4, 0x01000007, 4);
  put(d, 12, 2, 4);
  put(d, 16, 2, 4);
  std::size_t at = 32;
  put(d, at, 0x19, 4); // LC_SEGMENT_64
  put(d, at + 4, 72 + 80, 4);
  std::memcpy(&d[at + 8], "__TEXT", 6);
  put(d, at + 64, 1, 4); // nsects
  at += 72;
  std::memcpy(&d[at], "__text", 6);
  put(d, at + 32, 0x100001000ull, 8);
  put(d, at + 40, 0x40, 8);
  put(d, at + 48, 0x200, 4);
  put(d, at + 52, 4, 4);
  at += 80;
  put(d, at, 0x80000028, 4); // LC_MAIN: ignored by ClamAV
  put(d, at + 4, 24, 4);
  put(d, at + 8, 0x210, 8);
  d.resize(0x400, 0);
  return d;
}

TEST(MachOHeader, PowerPcEntryPointFromThreadState) {
  const auto d = macho32(18, true, 0x1010);
  EXPECT_EQ(detect_file_type(d), FileKind::macho);
  const auto info = parse_exe_info(d, FileKind::macho);
  ASSERT_TRUE(info.entry_point) << info.error;
  EXPECT_EQ(*info.entry_point, 528u);
  ASSERT_EQ(info.sections.size(), 1u);
  EXPECT_EQ(info.sections[0].name, "__text");
  EXPECT_EQ(info.sections[0].raw_offset, 0x200u);
  EXPECT_EQ(info.sections[0].raw_size, 0x40u);
}

TEST(MachOHeader, IntelImagesHaveEntryPointZeroLikeClamAV) {
  for (bool be : {false, true}) {
    const auto info = parse_exe_info(macho32(7, be, 0x1010), FileKind::macho);
    ASSERT_TRUE(info.entry_point) << info.error;
    EXPECT_EQ(*info.entry_point, 0u);
    EXPECT_EQ(info.sections.size(), 1u);
  }
  const auto info = parse_exe_info(macho64_x86(), FileKind::macho);
  ASSERT_TRUE(info.entry_point) << info.error;
  EXPECT_EQ(*info.entry_point, 0u);
  ASSERT_EQ(info.sections.size(), 1u);
  EXPECT_EQ(info.sections[0].raw_offset, 0x200u);
  EXPECT_EQ(info.sections[0].rva, 0x100001000ull);
}

TEST(MachOHeader, UniversalBinaryListsMembers) {
  const auto a = macho32(18, true, 0x1010);
  const auto b = macho64_x86();
  Bytes fat;
  put(fat, 0, 0xcafebabe, 4, true);
  put(fat, 4, 2, 4, true);
  put(fat, 8, 18, 4, true);
  put(fat, 16, 0x1000, 4, true);
  put(fat, 20, a.size(), 4, true);
  put(fat, 28, 0x01000007, 4, true);
  put(fat, 36, 0x2000, 4, true);
  put(fat, 40, b.size(), 4, true);
  fat.resize(0x1000, 0);
  fat.insert(fat.end(), a.begin(), a.end());
  fat.resize(0x2000, 0);
  fat.insert(fat.end(), b.begin(), b.end());
  EXPECT_EQ(detect_clamav_type(fat), ClamType::macho_unibin);
  const auto info = parse_exe_info(fat, FileKind::macho);
  EXPECT_FALSE(info.entry_point);
  ASSERT_EQ(info.members.size(), 2u);
  EXPECT_EQ(info.members[0].offset, 0x1000u);
  EXPECT_EQ(info.members[1].size, b.size());
  // A member running past the end is reported and stops the list.
  put(fat, 40, 0x7fffffff, 4, true);
  const auto cut = parse_exe_info(fat, FileKind::macho);
  EXPECT_EQ(cut.members.size(), 1u);
  EXPECT_NE(cut.error.find("past the end"), std::string::npos) << cut.error;
  put(fat, 4, 33, 4, true); // (a count of 39 or more would be a Java class file)
  EXPECT_NE(parse_exe_info(fat, FileKind::macho).error.find("architectures"), std::string::npos);
}

TEST(MachOHeader, HostileHeadersGiveReasons) {
  {
    auto d = macho32(18, true, 0x1010);
    put(d, 16, 0, 4, true);
    EXPECT_NE(parse_exe_info(d, FileKind::macho).error.find("load commands"), std::string::npos);
    put(d, 16, 5000, 4, true);
    EXPECT_NE(parse_exe_info(d, FileKind::macho).error.find("load commands"), std::string::npos);
  }
  {
    auto d = macho32(18, true, 0x1010);
    put(d, 28 + 48, 1000, 4, true); // nsects
    EXPECT_NE(parse_exe_info(d, FileKind::macho).error.find("sections"), std::string::npos);
  }
  {
    auto d = macho32(18, true, 0x1010);
    put(d, 28 + 56 + 44, 40, 4, true); // alignment exponent
    EXPECT_NE(parse_exe_info(d, FileKind::macho).error.find("alignment"), std::string::npos);
  }
  {
    const auto d = macho32(18, true, 0x9000); // PC in no section
    const auto i = parse_exe_info(d, FileKind::macho);
    EXPECT_FALSE(i.entry_point);
    EXPECT_NE(i.error.find("no section"), std::string::npos) << i.error;
  }
  const auto full = macho32(18, true, 0x1010);
  for (std::size_t n = 0; n < 28 + 124 + 176; ++n) {
    const Bytes cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
    EXPECT_FALSE(parse_exe_info(cut, FileKind::macho).error.empty()) << n;
  }
}

TEST(ExeInfo, OtherKindsGiveNothing) {
  const Bytes text = {'h', 'e', 'l', 'l', 'o'};
  const auto i = parse_exe_info(text, FileKind::ascii);
  EXPECT_FALSE(i.entry_point);
  EXPECT_TRUE(i.sections.empty());
  EXPECT_TRUE(i.error.empty());
}

} // namespace
} // namespace vg
