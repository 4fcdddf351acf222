// A VBA project built inside the test (no Debian tool writes one, the shared data holds none): an
// OLE2 compound file written with libgsf's writer, laid out as Word does ("Macros/VBA/dir",
// "Macros/VBA/_VBA_PROJECT", "Macros/VBA/Module1", "Macros/PROJECT"), with the dir stream and the
// module source compressed as MS-OVBA 2.4.1 CompressedContainers. The Ole2Extractor must hand back
// the module's source as "vba:Module1"; the voxguard binary and clamscan 1.4.6 must both find a
// body signature that only the decompressed source holds; a truncated dir stream is reported as
// damage. The module's source starts after 64 bytes of p-code (MODULEOFFSET), as in every real
// document: libgsf 1.14.50's gsf_infile_msvba ignores that offset and finds no source at all.
#include "common/hex.hpp"
#include "e2e/run_command.hpp"
#include "scan/container_fixtures.hpp"
#include "scan/containers/ole2_extractor.hpp"

#include <algorithm>
#include <bit>
#include <filesystem>
#include <fstream>
#include <gsf/gsf-outfile-msole.h>
#include <gsf/gsf-outfile.h>
#include <gsf/gsf-output-memory.h>
#include <gsf/gsf-utils.h>
#include <gtest/gtest.h>
#include <iterator>
#include <stdexcept>
#include <string>

namespace vg {
namespace {

namespace fs = std::filesystem;
using test::Bytes;
using test::bytes_of;

constexpr std::string_view kCanary = "voxguard-vba-canary";
// Two CompressedChunks: the canary sits in the second, after repetitive comment lines.
std::string module_source() {
  std::string s = "Attribute VB_Name = \"Module1\"\r\n";
  for (int i = 0; s.size() < 5000; ++i)
    s += "' filler line " + std::to_string(i) + " of the vba macro\r\n";
  return s + "Sub AutoOpen()\r\n  Shell \"" + std::string(kCanary) + "\"\r\nEnd Sub\r\n";
}
const std::string kSource = module_source();
constexpr std::uint32_t kPcodeBytes = 64; // MODULEOFFSET: p-code filler before the source

// MS-OVBA 2.4.1 CompressedContainer: signature byte 0x01, then CompressedChunks of 4096
// decompressed bytes (the last one shorter), each a run of flag bytes and tokens: literals, and
// copy tokens for the longest earlier match in the chunk (2.4.1.3.19), whose offset/length split
// depends on how much of the chunk is already decompressed. Every chunk must compress (the test
// texts do); flag bytes between literal runs keep each text out of the stream in one piece.
Bytes ovba_compress(const Bytes &text) {
  Bytes out{0x01};
  for (std::size_t start = 0; start < text.size(); start += 4096) {
    const std::size_t end = std::min(text.size(), start + 4096);
    Bytes body;
    std::size_t pos = start;
    while (pos < end) {
      const std::size_t flag_at = body.size();
      body.push_back(0);
      for (int bit = 0; bit < 8 && pos < end; ++bit) {
        const std::size_t done = pos - start;
        const int bits = done == 0 ? 4 : std::max(static_cast<int>(std::bit_width(done - 1)), 4);
        const std::size_t max_len = (0xffffu >> bits) + 3;
        std::size_t best_len = 0, best_off = 0;
        for (std::size_t from = start; from < pos; ++from) {
          std::size_t n = 0;
          while (pos + n < end && n < max_len && text[from + n] == text[pos + n])
            ++n;
          if (n > best_len) {
            best_len = n;
            best_off = pos - from;
          }
        }
        if (best_len >= 3) {
          const auto token =
              static_cast<std::uint16_t>((best_off - 1) << (16 - bits) | (best_len - 3));
          body.push_back(static_cast<std::uint8_t>(token));
          body.push_back(static_cast<std::uint8_t>(token >> 8));
          body[flag_at] = static_cast<std::uint8_t>(body[flag_at] | 1u << bit);
          pos += best_len;
        } else {
          body.push_back(text[pos++]);
        }
      }
    }
    if (body.size() > 4096)
      throw std::runtime_error("test text does not compress; MS-OVBA would need a raw chunk");
    // CompressedChunkHeader: size - 3 in bits 0..11, signature 0b011, flag 1 (compressed).
    const auto header = static_cast<std::uint16_t>((body.size() + 2 - 3) | 0x3000 | 0x8000);
    out.push_back(static_cast<std::uint8_t>(header));
    out.push_back(static_cast<std::uint8_t>(header >> 8));
    out.insert(out.end(), body.begin(), body.end());
  }
  return out;
}

// One dir stream record: Id (u16), Size (u32), Size bytes of data.
void record(Bytes &dir, std::uint16_t id, const Bytes &data) {
  dir.push_back(static_cast<std::uint8_t>(id));
  dir.push_back(static_cast<std::uint8_t>(id >> 8));
  const auto n = static_cast<std::uint32_t>(data.size());
  for (int s = 0; s < 32; s += 8)
    dir.push_back(static_cast<std::uint8_t>(n >> s));
  dir.insert(dir.end(), data.begin(), data.end());
}
Bytes le(std::uint32_t v, int width) {
  Bytes b;
  for (int i = 0; i < width; ++i)
    b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  return b;
}
Bytes utf16(std::string_view s) {
  Bytes b;
  for (char c : s) {
    b.push_back(static_cast<std::uint8_t>(c));
    b.push_back(0);
  }
  return b;
}

// MS-OVBA 2.3.4.2 dir stream (decompressed): PROJECTINFORMATION, no references, PROJECTMODULES
// with one procedural module, then the terminator.
Bytes dir_stream() {
  Bytes d;
  record(d, 0x0001, le(1, 4));               // PROJECTSYSKIND: Win32
  record(d, 0x0002, le(0x409, 4));           // PROJECTLCID
  record(d, 0x0014, le(0x409, 4));           // PROJECTLCIDINVOKE
  record(d, 0x0003, le(1252, 2));            // PROJECTCODEPAGE
  record(d, 0x0004, bytes_of("VBAProject")); // PROJECTNAME
  record(d, 0x0005, {});                     // PROJECTDOCSTRING
  record(d, 0x0040, {});                     //   its Unicode part
  record(d, 0x0006, {});                     // PROJECTHELPFILEPATH
  record(d, 0x003D, {});                     //   its second copy
  record(d, 0x0007, le(0, 4));               // PROJECTHELPCONTEXT
  record(d, 0x0008, le(0, 4));               // PROJECTLIBFLAGS
  // PROJECTVERSION: Reserved (=4) stands where a size would be, then major u32 and minor u16.
  Bytes ver = le(0x0009, 2);
  for (auto part : {le(4, 4), le(1, 4), le(0, 2)})
    ver.insert(ver.end(), part.begin(), part.end());
  d.insert(d.end(), ver.begin(), ver.end());
  record(d, 0x000C, {});                  // PROJECTCONSTANTS
  record(d, 0x003C, {});                  //   its Unicode part
  record(d, 0x000F, le(1, 2));            // PROJECTMODULES: one module
  record(d, 0x0013, le(0xFFFF, 2));       // PROJECTCOOKIE
  record(d, 0x0019, bytes_of("Module1")); // MODULENAME
  record(d, 0x0047, utf16("Module1"));    // MODULENAMEUNICODE
  record(d, 0x001A, bytes_of("Module1")); // MODULESTREAMNAME
  record(d, 0x0032, utf16("Module1"));    //   its Unicode part
  record(d, 0x001C, {});                  // MODULEDOCSTRING
  record(d, 0x0048, {});                  //   its Unicode part
  record(d, 0x0031, le(kPcodeBytes, 4));  // MODULEOFFSET
  record(d, 0x001E, le(0, 4));            // MODULEHELPCONTEXT
  record(d, 0x002C, le(0xFFFF, 2));       // MODULECOOKIE
  record(d, 0x0021, {});                  // MODULETYPE: procedural
  record(d, 0x002B, {});                  // module terminator
  record(d, 0x0010, {});                  // dir terminator
  return d;
}

void put(GsfOutfile *parent, const char *name, const Bytes &data) {
  GsfOutput *s = gsf_outfile_new_child(parent, name, FALSE);
  gsf_output_write(s, data.size(), data.data());
  gsf_output_close(s);
  g_object_unref(s);
}

// The whole compound file; `dir` is the compressed dir stream to store.
Bytes vba_document(const Bytes &dir) {
  gsf_init();
  GsfOutput *mem = gsf_output_memory_new();
  GsfOutfile *ole = gsf_outfile_msole_new(mem);
  put(ole, "WordDocument", Bytes(512, 0));
  GsfOutput *macros = gsf_outfile_new_child(ole, "Macros", TRUE);
  put(GSF_OUTFILE(macros), "PROJECT",
      bytes_of("ID=\"{00000000-0000-0000-0000-000000000000}\"\r\nModule=Module1\r\n"
               "Name=\"VBAProject\"\r\nHelpContextID=\"0\"\r\nVersionCompatible32=\"393222000\"\r\n"
               "CMG=\"\"\r\nDPB=\"\"\r\nGC=\"\"\r\n\r\n[Host Extender Info]\r\n"));
  GsfOutput *vba = gsf_outfile_new_child(GSF_OUTFILE(macros), "VBA", TRUE);
  // MS-OVBA 2.3.4.1 _VBA_PROJECT: Reserved1 0x61CC, Version, Reserved2 0x00, Reserved3 u16.
  put(GSF_OUTFILE(vba), "_VBA_PROJECT", {0xCC, 0x61, 0xFF, 0xFF, 0x00, 0x00, 0x00});
  put(GSF_OUTFILE(vba), "dir", dir);
  Bytes module(kPcodeBytes, 0xA5);
  Bytes src = ovba_compress(bytes_of(kSource));
  module.insert(module.end(), src.begin(), src.end());
  put(GSF_OUTFILE(vba), "Module1", module);
  return test::ole2_finish({vba, macros}, ole, mem);
}

bool contains(const Bytes &hay, std::string_view needle) {
  return std::string_view(reinterpret_cast<const char *>(hay.data()), hay.size()).find(needle) !=
         std::string_view::npos;
}

std::string canary_ndb() {
  return "Test.VBA.Canary:0:*:" + hex_encode(bytes_of(kCanary)) + "\n";
}

class Ole2Vba : public ::testing::Test {
protected:
  fs::path dir;
  void SetUp() override {
    char tmpl[] = "/tmp/vg-vba-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir = tmpl;
  }
  void TearDown() override { fs::remove_all(dir); }
  fs::path write(const std::string &name, const std::string &text) {
    fs::path p = dir / name;
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }
  fs::path write(const std::string &name, const Bytes &b) {
    return write(name, std::string(b.begin(), b.end()));
  }
};

TEST_F(Ole2Vba, FixtureHoldsTheCanaryOnlyCompressed) {
  // The fixture hides the canary: neither the file nor any raw stream holds it in one piece.
  Bytes doc = vba_document(ovba_compress(dir_stream()));
  EXPECT_FALSE(contains(doc, kCanary));
  // Nor once NUL bytes are dropped (as UTF-16 text normalisation does): a copy token splits it.
  Bytes no_nul;
  std::copy_if(doc.begin(), doc.end(), std::back_inserter(no_nul), [](auto b) { return b != 0; });
  EXPECT_FALSE(contains(no_nul, kCanary));
  EXPECT_TRUE(contains(doc, "Attribut")); // the first literal run, after its flag byte
}

TEST_F(Ole2Vba, ExtractorYieldsModuleSource) {
  Bytes doc = vba_document(ovba_compress(dir_stream()));
  test::CollectingSink sink;
  Ole2Extractor().extract(doc, sink);
  const ChildObject *mod = nullptr;
  bool raw_module = false;
  for (const auto &c : sink.children) {
    if (c.name == "vba:Module1")
      mod = &c;
    if (c.name == "Macros/VBA/Module1" && c.method == "ole2:stream")
      raw_module = true;
  }
  EXPECT_TRUE(raw_module);
  ASSERT_NE(mod, nullptr) << "no vba:Module1 child; damage: "
                          << (sink.damage.empty() ? "none" : sink.damage.front());
  EXPECT_EQ(mod->method, "ole2:vba");
  EXPECT_EQ(std::string(mod->bytes.begin(), mod->bytes.end()), kSource);
  EXPECT_TRUE(sink.damage.empty()) << sink.damage.front();
}

TEST_F(Ole2Vba, TruncatedDirStreamIsDamageNotACrash) {
  Bytes packed = ovba_compress(dir_stream());
  for (std::size_t keep : {std::size_t{1}, std::size_t{3}, std::size_t{20}, packed.size() / 2}) {
    SCOPED_TRACE("dir stream cut to " + std::to_string(keep) + " bytes");
    Bytes cut(packed.begin(), packed.begin() + static_cast<std::ptrdiff_t>(keep));
    test::CollectingSink sink;
    Ole2Extractor().extract(vba_document(cut), sink);
    bool source = false;
    for (const auto &c : sink.children)
      source = source || c.name == "vba:Module1";
    EXPECT_FALSE(source);
    ASSERT_FALSE(sink.damage.empty());
    EXPECT_NE(sink.damage.front().find("VBA project Macros/VBA"), std::string::npos)
        << sink.damage.front();
  }
}

TEST_F(Ole2Vba, VoxguardAndClamscanAgreeOnTheFixture) {
  const Bytes packed = ovba_compress(dir_stream());
  const Bytes cut(packed.begin(), packed.begin() + 20);
  struct Case {
    const char *file;
    Bytes dir;
    int verdict; // 1: FOUND, 0: clean (without the dir stream the source is not found)
  };
  const Case cases[] = {{"macro.doc", packed, 1}, {"macro-cut-dir.doc", cut, 0}};
  fs::path db = write("canary.ndb", canary_ndb());
  const bool have_clamscan = test::run_command({"clamscan", "--version"}).status == 0;
  for (const auto &c : cases) {
    SCOPED_TRACE(c.file);
    fs::path doc = write(c.file, vba_document(c.dir));
    auto vg = test::run_command({VOXGUARD_BINARY, "scan", "--no-progress", "--no-summary", "-d",
                                 db.string(), doc.string()});
    const std::string vg_out = vg.out + vg.err;
    const int vg_rc = vg.status;
    EXPECT_EQ(vg_rc, c.verdict) << vg_out;
    const std::string line =
        doc.string() + (c.verdict ? ": Test.VBA.Canary.UNOFFICIAL FOUND" : ": OK");
    EXPECT_NE(vg_out.find(line), std::string::npos) << vg_out;
    if (!have_clamscan)
      continue;
    auto cs = test::run_command({"clamscan", "--no-summary", "-d", db.string(), doc.string()});
    const std::string cs_out = cs.out + cs.err;
    const int cs_rc = cs.status;
    EXPECT_EQ(vg_rc, cs_rc) << "voxguard:\n" << vg_out << "clamscan:\n" << cs_out;
    EXPECT_NE(cs_out.find(line), std::string::npos) << cs_out;
  }
  if (!have_clamscan)
    GTEST_SKIP() << "clamscan is not installed: voxguard's verdicts stand unchecked";
}

} // namespace
} // namespace vg
