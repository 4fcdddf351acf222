// Tests for import_table_text(): crafted PE files (names, ordinals, DLL extensions, malformed
// directories) and ClamAV's pe_allmatch test.exe, whose import list was read with `objdump -p` and
// whose MD5 and length are those of the suite's .imp signatures (clamscan 1.4.6 alerts on them).
#include "engine/pe_imports.hpp"

#include "common/digest.hpp"
#include "engine/pe_test_image.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

namespace vg {
namespace {

using testing::Bytes;
using testing::TestImport;
using testing::TestPe;

TestPe with_text() {
  TestPe pe;
  pe.sections.push_back({".text", 0x1000, Bytes(0x40, 0xc3), 0});
  return pe;
}

ImportTableText imports_of(const Bytes &file) {
  return import_table_text(file, parse_pe_header(file));
}

std::string text_of(const TestPe &pe) {
  auto r = imports_of(pe.build());
  EXPECT_TRUE(r.text) << r.reason;
  return r.text.value_or("<none: " + r.reason + ">");
}

TEST(PeImports, NamedImportsLowercasedAndJoined) {
  TestPe pe = with_text();
  pe.add_imports(0x2000,
                 {{"KERNEL32.dll", {"CreateFileA", "ExitProcess"}}, {"msvcrt.dll", {"printf"}}});
  EXPECT_EQ(text_of(pe), "kernel32.createfilea,kernel32.exitprocess,msvcrt.printf");
}

TEST(PeImports, DllExtensionDroppedOnlyForDllOcxSysAtTheFirstDot) {
  TestPe pe = with_text();
  pe.add_imports(0x2000, {{"Ctl.OCX", {"A"}},
                          {"drv.Sys", {"B"}},
                          {"video.drv", {"C"}},
                          {"a.b.dll", {"D"}},
                          {"x.dllfoo", {"E"}},
                          {"noext", {"F"}}});
  EXPECT_EQ(text_of(pe), "ctl.a,drv.b,video.drv.c,a.b.dll.d,x.e,noext.f");
}

TEST(PeImports, OrdinalsNamedForWinsockAndOleaut32) {
  TestPe pe = with_text();
  pe.add_imports(0x2000,
                 {{"WS2_32.dll", {std::uint16_t{115}, std::uint16_t{100}, std::uint16_t{500}}},
                  {"WSOCK32.DLL", {std::uint16_t{3}}},
                  {"OLEAUT32.dll", {std::uint16_t{2}, std::uint16_t{443}, std::uint16_t{302}}},
                  {"user32.dll", {std::uint16_t{7}, "MessageBoxA"}},
                  {"ws2_32", {std::uint16_t{115}}}});
  EXPECT_EQ(text_of(pe), "ws2_32.wsastartup,ws2_32.ord100,ws2_32.wep,wsock32.closesocket,"
                         "oleaut32.sysallocstring,oleaut32.unregistertypelibforuser,"
                         "oleaut32.ord302,user32.ord7,user32.messageboxa,ws2_32.ord115");
}

TEST(PeImports, Pe32PlusThunksAreEightBytes) {
  TestPe pe = with_text();
  pe.plus = true;
  pe.add_imports(0x2000, {{"KERNEL32.dll", {"Sleep", std::uint16_t{9}}}});
  EXPECT_EQ(text_of(pe), "kernel32.sleep,kernel32.ord9");
}

TEST(PeImports, FirstThunkUsedWithoutOriginalFirstThunk) {
  TestPe pe = with_text();
  TestImport imp{"a.dll", {"One", "Two"}};
  imp.original_first_thunk = false;
  pe.add_imports(0x2000, {imp});
  EXPECT_EQ(text_of(pe), "a.one,a.two");
}

TEST(PeImports, DirectoryEndsAtANullNameOrWithLessThanADescriptorLeft) {
  TestPe pe = with_text();
  pe.add_imports(0x2000, {{"a.dll", {"One"}}, {"b.dll", {"Two"}}});
  // Size 40 leaves exactly one descriptor after the first: ClamAV needs more than 20 bytes.
  pe.import_size = 40;
  EXPECT_EQ(text_of(pe), "a.one");
  pe.import_size = 41;
  EXPECT_EQ(text_of(pe), "a.one,b.two");
  // A descriptor whose Name is 0 ends the walk, whatever follows.
  Bytes file = pe.build();
  const auto desc = parse_pe_header(file).sections.back().raw_offset;
  testing::put_le(file, desc + 12, 0, 4);
  auto r = imports_of(file);
  ASSERT_TRUE(r.text) << r.reason;
  EXPECT_EQ(*r.text, "");
}

TEST(PeImports, FunctionNameWithAForbiddenCharacterAbandonsTheHash) {
  TestPe pe = with_text();
  pe.add_imports(0x2000, {{"a.dll", {"Good", "Bad-Name"}}});
  auto r = imports_of(pe.build());
  EXPECT_FALSE(r.text);
  EXPECT_NE(r.reason.find("character"), std::string::npos) << r.reason;
  // DLL names are not checked (ClamAV validates a pointer that is still NULL).
  TestPe odd = with_text();
  odd.add_imports(0x2000, {{"we ird!.dll", {"Fn"}}});
  EXPECT_EQ(text_of(odd), "we ird!.fn");
}

TEST(PeImports, NoDirectoryNoText) {
  TestPe pe = with_text();
  auto r = imports_of(pe.build());
  EXPECT_FALSE(r.text);
  EXPECT_NE(r.reason.find("no import directory"), std::string::npos) << r.reason;
  // Fewer than two data directories: the import directory does not exist.
  pe.add_imports(0x2000, {{"a.dll", {"One"}}});
  pe.data_directories = 1;
  EXPECT_FALSE(imports_of(pe.build()).text);
}

TEST(PeImports, DirectoryOutsideTheFileOrUnmappedNamesGiveNoText) {
  TestPe pe = with_text();
  pe.add_imports(0x2000, {{"a.dll", {"One"}}});
  pe.import_size = 0x100000;
  EXPECT_FALSE(imports_of(pe.build()).text);
  pe.import_size = 40;
  pe.import_rva = 0x9000; // no section there
  EXPECT_FALSE(imports_of(pe.build()).text);
  // A DLL name RVA that maps nowhere abandons the hash.
  pe.import_rva = 0x2000;
  Bytes file = pe.build();
  const auto desc = parse_pe_header(file).sections.back().raw_offset;
  testing::put_le(file, desc + 12, 0x7000, 4);
  auto r = imports_of(file);
  EXPECT_FALSE(r.text);
  EXPECT_NE(r.reason.find("DLL name"), std::string::npos) << r.reason;
}

TEST(PeImports, NameInTheLast256BytesOfTheFileIsPassedOver) {
  TestPe pe = with_text();
  pe.add_imports(0x2000, {{"a.dll", {"Early", "Late"}}});
  Bytes file = pe.build();
  // Move "Late" to the very end of the file: ClamAV maps a 256-byte window behind the hint and
  // cannot, so it skips the function without failing.
  const auto idata = parse_pe_header(file).sections.back();
  const std::uint64_t late_at = idata.raw_offset + idata.raw_size - 8;
  const std::uint8_t late[] = {0, 0, 'L', 'a', 't', 'e', 0, 0};
  std::copy(std::begin(late), std::end(late), file.begin() + static_cast<std::ptrdiff_t>(late_at));
  // Layout from TestPe::add_imports: one descriptor + the null one (0x28 bytes), "Early" (8 bytes
  // at 0x28), "Late" (8 bytes at 0x30), then the two thunk arrays (12 bytes each) at 0x38, 0x44.
  const std::uint32_t late_rva = static_cast<std::uint32_t>(late_at - idata.raw_offset + 0x2000);
  for (std::uint64_t array : {0x38, 0x44}) {
    ASSERT_EQ(file[idata.raw_offset + array + 4], 0x30); // the thunk of "Late"
    testing::put_le(file, idata.raw_offset + array + 4, late_rva, 4);
  }
  auto r = imports_of(file);
  ASSERT_TRUE(r.text) << r.reason;
  EXPECT_EQ(*r.text, "a.early");
}

TEST(PeImports, UnmappedPe32ThunkNameIsReadAtFileOffsetZero) {
  // libclamav ignores the mapping error of a PE32 hint/name RVA and reads the name behind a hint
  // at file offset 0 (checked with clamscan 1.4.6: "a.one,a.xy" alerts, "a.one" does not).
  TestPe pe = with_text();
  pe.add_imports(0x2000, {{"a.dll", {"One", "Two"}}});
  Bytes file = pe.build();
  file[2] = 'X';
  file[3] = 'Y';
  file[4] = 0;
  // "Two" is the second hint/name entry: after 0x28 bytes of descriptors and "One" (6 bytes).
  const auto idata = parse_pe_header(file).sections.back();
  for (std::uint64_t array : {0x34, 0x40}) {
    ASSERT_EQ(file[idata.raw_offset + array + 4], 0x2e);
    testing::put_le(file, idata.raw_offset + array + 4, 0x9000, 4);
  }
  EXPECT_EQ(imports_of(file).text, "a.one,a.xy");
  // A PE32+ thunk that does not map is passed over instead.
  TestPe plus = with_text();
  plus.plus = true;
  plus.add_imports(0x2000, {{"a.dll", {"One", "Two"}}});
  Bytes file64 = plus.build();
  const auto idata64 = parse_pe_header(file64).sections.back();
  for (std::uint64_t array : {0x34, 0x4c}) {
    ASSERT_EQ(file64[idata64.raw_offset + array + 8], 0x2e);
    testing::put_le(file64, idata64.raw_offset + array + 8, 0x9000, 4);
  }
  EXPECT_EQ(imports_of(file64).text, "a.one");
}

TEST(PeImports, HostileTablesNeverCrash) {
  TestPe pe = with_text();
  pe.add_imports(0x2000, {{"a.dll", {"One"}}});
  Bytes file = pe.build();
  const auto idata = parse_pe_header(file).sections.back();
  // Every truncation and every byte value in the descriptor area.
  for (std::size_t cut = 0; cut < file.size(); cut += 7) {
    Bytes part(file.begin(), file.begin() + static_cast<std::ptrdiff_t>(cut));
    (void)import_table_text(part, parse_pe_header(part));
  }
  for (std::size_t i = 0; i < 40; ++i) {
    for (int b : {0x00, 0x01, 0x7f, 0x80, 0xff}) {
      Bytes m = file;
      m[idata.raw_offset + i] = static_cast<std::uint8_t>(b);
      (void)import_table_text(m, parse_pe_header(m));
    }
  }
  // A layout from another file must not be trusted blindly either.
  const ExeInfo other = parse_pe_header(file);
  (void)import_table_text(Bytes(file.begin(), file.begin() + 0x500), other);
  SUCCEED();
}

// ---------------------------------------------------------------------------------------------
// test.exe of ClamAV's pe_allmatch suite

const std::filesystem::path kTestExe =
    std::filesystem::path(VOXGUARD_SHARED_DATA) / "clamav/unittests/pe_allmatch/test.exe";

TEST(PeImports, TestExeMatchesTheSuitesImportSignatures) {
  if (!std::filesystem::is_regular_file(kTestExe))
    GTEST_SKIP() << "shared test data missing: " << kTestExe;
  std::ifstream f(kTestExe, std::ios::binary);
  const Bytes file{std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
  // `objdump -p test.exe`: KERNEL32.dll then msvcrt.dll, in thunk order.
  const char *kernel32[] = {"CloseHandle",
                            "CreateProcessA",
                            "DeleteCriticalSection",
                            "EnterCriticalSection",
                            "GetCurrentProcess",
                            "GetCurrentProcessId",
                            "GetCurrentThreadId",
                            "GetLastError",
                            "GetModuleHandleW",
                            "GetProcAddress",
                            "GetStartupInfoA",
                            "GetSystemTimeAsFileTime",
                            "GetTickCount",
                            "InitializeCriticalSection",
                            "IsDBCSLeadByteEx",
                            "LeaveCriticalSection",
                            "MultiByteToWideChar",
                            "QueryPerformanceCounter",
                            "SetUnhandledExceptionFilter",
                            "Sleep",
                            "TerminateProcess",
                            "TlsGetValue",
                            "UnhandledExceptionFilter",
                            "VirtualProtect",
                            "VirtualQuery",
                            "WaitForSingleObject",
                            "WideCharToMultiByte"};
  const char *msvcrt[] = {"__getmainargs", "__initenv",  "__lconv_init",   "__mb_cur_max",
                          "__p__acmdln",   "__p__fmode", "__set_app_type", "__setusermatherr",
                          "_amsg_exit",    "_cexit",     "_errno",         "_initterm",
                          "_iob",          "_lock",      "_onexit",        "_unlock",
                          "abort",         "atoi",       "calloc",         "exit",
                          "fprintf",       "fputc",      "free",           "fwrite",
                          "localeconv",    "malloc",     "memcpy",         "perror",
                          "setlocale",     "signal",     "strchr",         "strerror",
                          "strlen",        "strncmp",    "vfprintf",       "wcslen",
                          "_write",        "_unlink",    "_open",          "_close"};
  std::ostringstream expected;
  const char *sep = "";
  for (const char *fn : kernel32) {
    std::string lower(fn);
    for (char &c : lower)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    expected << sep << "kernel32." << lower;
    sep = ",";
  }
  for (const char *fn : msvcrt)
    expected << sep << "msvcrt." << fn;
  auto r = imports_of(file);
  ASSERT_TRUE(r.text) << r.reason;
  EXPECT_EQ(*r.text, expected.str());
  // Test.GenSig.IMP_1of6_MD5_FIXED: ddeba1ab394d6c43225d83208b2d8ee3:1351
  EXPECT_EQ(r.text->size(), 1351u);
  const auto *bytes = reinterpret_cast<const std::uint8_t *>(r.text->data());
  const Digests d =
      digest_bytes({bytes, r.text->size()}, hash_bit(HashAlgo::md5) | hash_bit(HashAlgo::sha256));
  EXPECT_EQ(d.md5->hex(), "ddeba1ab394d6c43225d83208b2d8ee3");
  EXPECT_EQ(d.sha256->hex(), "f4b75231012ecd2164685ce91557c4c68c7473efeddc521bb7279ad13c362205");
}

} // namespace
} // namespace vg
