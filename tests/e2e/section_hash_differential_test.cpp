// Differential test of the section and import hashes against clamscan 1.4.6: a corpus of PE files
// (crafted PE32/PE32+ images with names, ordinals, truncated and misaligned sections, unmapped and
// invalid import names, a broken header; plus the PE files of the shared data), .mdb/.msb/.imp
// signatures written from what voxguard computes for each file (sized and `*`, every algorithm),
// and both scanners run with --allmatch on all of it. The detection sets must be equal, and not
// empty: a digest or size voxguard got wrong is a signature clamscan does not fire.
#include "common/digest.hpp"
#include "common/temp_dir.hpp"
#include "differential/child_process.hpp"
#include "differential/detection_set.hpp"
#include "engine/exe_info.hpp"
#include "engine/pe_imports.hpp"
#include "engine/pe_test_image.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using vg::testing::Bytes;
using vg::testing::DetectionSet;
using vg::testing::TestPe;

namespace {

using vg::testing::TempDir;

// Every file gets its own section contents (`salt`), so that each signature names one file's
// section (signatures sharing a (size, digest) report one name: hash_tie_differential_test.cpp).
std::vector<std::pair<std::string, Bytes>> crafted_corpus() {
  std::vector<std::pair<std::string, Bytes>> out;
  auto base = [](std::uint8_t salt) {
    TestPe pe;
    Bytes code(0x5a0);
    for (std::size_t i = 0; i < code.size(); ++i)
      code[i] = static_cast<std::uint8_t>(i * 13 + salt);
    pe.sections.push_back({".text", 0x1000, code, 0});
    pe.sections.push_back({".data", 0x2000, Bytes(0x30, salt), 0});
    pe.sections.push_back({".bss", 0x3000, Bytes(), 0x800});
    return pe;
  };
  auto with_imports = [&](std::uint8_t salt) {
    TestPe pe = base(salt);
    pe.add_imports(0x4000,
                   {{"KERNEL32.dll", {"CreateFileA", "ExitProcess"}},
                    {"WS2_32.dll", {std::uint16_t{115}, std::uint16_t{23}, std::uint16_t{999}}},
                    {"OLEAUT32.dll", {std::uint16_t{2}, "VariantInit"}},
                    {"Ctl.OCX", {std::uint16_t{7}}},
                    {"video.drv", {"Init_2"}},
                    {"salt" + std::to_string(salt) + ".dll", {"Unique"}}});
    return pe;
  };
  out.emplace_back("pe32_imports.exe", with_imports(1).build());
  TestPe plus = base(2);
  plus.plus = true;
  plus.sections.pop_back();
  plus.add_imports(0x4000, {{"KERNEL32.dll", {"Sleep", std::uint16_t{3}}}});
  out.emplace_back("pe32plus.exe", plus.build());
  Bytes cut = with_imports(3).build();
  cut.resize(0x400 + 0x300); // .text keeps 0x300 of its 0x600 bytes; later sections start beyond
  out.emplace_back("truncated.exe", cut);
  Bytes misaligned = with_imports(4).build();
  vg::testing::put_le(misaligned, 0x80 + 4 + 20 + 36, 0x1000, 4); // FileAlignment 0x1000
  out.emplace_back("falign_fallback.exe", misaligned);
  TestPe broken = with_imports(5);
  broken.entry = 0x9000;
  out.emplace_back("broken_entry.exe", broken.build());
  TestPe bad = base(6);
  bad.add_imports(0x4000, {{"a.dll", {"Fine", "Not-Fine"}}});
  out.emplace_back("bad_import_name.exe", bad.build());
  TestPe unmapped = base(7);
  unmapped.add_imports(0x4000, {{"a.dll", {"One", "Two"}}});
  Bytes u = unmapped.build();
  u[2] = 'Q';
  u[3] = 0;
  const auto idata = vg::parse_pe_header(u).sections.back();
  vg::testing::put_le(u, idata.raw_offset + 0x34 + 4, 0x9000, 4); // "Two" in the ILT: unmapped
  out.emplace_back("unmapped_thunk.exe", u);
  return out;
}

std::string hex_of(const Bytes &b, std::uint64_t off, std::uint64_t len, vg::HashAlgo a) {
  const auto d = vg::digest_bytes(std::span<const std::uint8_t>(b).subspan(off, len), hash_bit(a));
  return d.get(a)->hex();
}

} // namespace

TEST(SectionHashDifferential, SignaturesFromVoxguardsDigestsFireAlikeInClamscan) {
  const std::string clamscan = vg::testing::find_program("clamscan");
  if (clamscan.empty())
    GTEST_SKIP() << "clamscan is not installed (Debian package clamav): it is the reference";
  TempDir dir;
  auto corpus = crafted_corpus();
  const fs::path shared = fs::path(VOXGUARD_SHARED_DATA);
  for (const fs::path &p : {shared / "yara-conformance/blobs/PE32_FILE",
                            shared / "clamav/unittests/embedded_testfiles/clam.exe.emb-exes"}) {
    if (!fs::is_regular_file(p))
      continue;
    std::ifstream f(p, std::ios::binary);
    corpus.emplace_back(p.filename().string() + ".exe",
                        Bytes{std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()});
  }
  std::ofstream mdb(dir.path / "sections.mdb"), msb(dir.path / "sections.msb"),
      imp(dir.path / "imports.imp");
  std::vector<std::string> files;
  std::size_t section_sigs = 0;
  for (const auto &[name, bytes] : corpus) {
    const fs::path file = dir.path / "files" / name;
    fs::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary)
        .write(reinterpret_cast<const char *>(bytes.data()),
               static_cast<std::streamsize>(bytes.size()));
    files.push_back(file.string());
    // Signatures from every section voxguard sees, whether or not the header is accepted.
    std::string tag = name;
    for (char &c : tag)
      if (c == '.')
        c = '_';
    const vg::ExeInfo exe = vg::parse_pe_header(bytes);
    for (std::size_t i = 0; i < exe.sections.size(); ++i) {
      const auto &s = exe.sections[i];
      if (!s.raw_size)
        continue;
      const auto id = tag + "_S" + std::to_string(i);
      mdb << s.raw_size << ":" << hex_of(bytes, s.raw_offset, s.raw_size, vg::HashAlgo::md5) << ":"
          << id << "_md5\n";
      msb << s.raw_size << ":" << hex_of(bytes, s.raw_offset, s.raw_size, vg::HashAlgo::sha1) << ":"
          << id << "_sha1\n";
      msb << "*:" << hex_of(bytes, s.raw_offset, s.raw_size, vg::HashAlgo::sha256) << ":" << id
          << "_sha256star:73\n";
      ++section_sigs;
    }
    // The import text is computed for PE32+ files too: clamscan must not fire those either.
    if (!exe.pe)
      continue;
    const auto text = vg::import_table_text(bytes, exe);
    if (!text.text)
      continue;
    const Bytes t(text.text->begin(), text.text->end());
    imp << hex_of(t, 0, t.size(), vg::HashAlgo::md5) << ":" << t.size() << ":" << tag
        << "_imp_md5\n";
    imp << hex_of(t, 0, t.size(), vg::HashAlgo::sha256) << ":*:" << tag << "_imp_sha256star\n";
  }
  // A signature no file matches, so that every database file has a line.
  imp << std::string(32, 'f') << ":1:Nothing_imp\n";
  mdb.close();
  msb.close();
  imp.close();
  ASSERT_GE(section_sigs, 12u);

  auto argv = [&](std::vector<std::string> a) {
    a.insert(a.end(),
             {"--allmatch", "--no-summary", "-d", (dir.path / "sections.mdb").string(), "-d",
              (dir.path / "sections.msb").string(), "-d", (dir.path / "imports.imp").string()});
    a.insert(a.end(), files.begin(), files.end());
    return a;
  };
  auto clam = vg::testing::run_program(argv({clamscan}), dir.path);
  auto vox = vg::testing::run_program(argv({VOXGUARD_BINARY, "scan"}), dir.path);
  ASSERT_LE(clam.exit_code, 1) << clam.err;
  ASSERT_LE(vox.exit_code, 1) << vox.err;
  const DetectionSet expected = vg::testing::parse_detections(clam.out);
  const DetectionSet actual = vg::testing::parse_detections(vox.out);
  EXPECT_GE(expected.size(), section_sigs) << clam.out;
  EXPECT_TRUE(expected == actual) << vg::testing::describe_difference(expected, "clamscan", actual,
                                                                      "voxguard");
  // What the corpus is built to show.
  auto fired = [&](const std::string &file, const std::string &sig) {
    return actual.count({(dir.path / "files" / file).lexically_normal().string(), sig}) > 0;
  };
  EXPECT_TRUE(fired("pe32_imports.exe", "pe32_imports_exe_imp_md5.UNOFFICIAL"));
  EXPECT_FALSE(fired("pe32plus.exe", "pe32plus_exe_imp_md5.UNOFFICIAL"));
  EXPECT_TRUE(fired("pe32plus.exe", "pe32plus_exe_S0_md5.UNOFFICIAL"));
  EXPECT_TRUE(fired("unmapped_thunk.exe", "unmapped_thunk_exe_imp_md5.UNOFFICIAL"));
  EXPECT_FALSE(fired("broken_entry.exe", "broken_entry_exe_S0_md5.UNOFFICIAL"));
}
