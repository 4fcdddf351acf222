// Tests for detect_file_type / detect_clamav_type. Expected types of the crafted buffers are what
// clamscan 1.4.6 reported for the same bytes (its final cli_file_t, read from the debug output of
// a per-file hash signature hit), including ClamAV's quirks.
#include "common/file_bytes.hpp"
#include "engine/file_type.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

namespace vg {
namespace {

std::vector<std::uint8_t> B(std::string_view s) {
  return {s.begin(), s.end()};
}

// A string literal with embedded NUL bytes, all of it.
template <std::size_t N> std::string S(const char (&s)[N]) {
  return std::string(s, N - 1);
}

ClamType clam(std::string_view s) {
  return detect_clamav_type(B(s));
}
FileKind kind(std::string_view s) {
  return detect_file_type(B(s));
}

std::vector<std::uint8_t> minimal_pe() {
  std::vector<std::uint8_t> d(0x100, 0);
  d[0] = 'M';
  d[1] = 'Z';
  d[0x3c] = 0x80;
  d[0x80] = 'P';
  d[0x81] = 'E';
  return d;
}

TEST(FileType, MagicTableKinds) {
  EXPECT_EQ(detect_file_type(minimal_pe()), FileKind::pe);
  EXPECT_EQ(kind(S("MZ\x90\0\x03\0\0\0") + std::string(100, 'x')), FileKind::msdos);
  EXPECT_EQ(kind(S("\x7f"
                   "ELF\x02\x01\x01") +
                 std::string(60, '\0')),
            FileKind::elf);
  EXPECT_EQ(kind(S("\xcf\xfa\xed\xfe") + std::string(40, '\0')), FileKind::macho);
  EXPECT_EQ(kind(S("\xce\xfa\xed\xfe") + std::string(40, '\0')), FileKind::macho);
  EXPECT_EQ(kind(S("\xfe\xed\xfa\xce") + std::string(40, '\0')), FileKind::macho);
  EXPECT_EQ(kind(S("\xfe\xed\xfa\xcf") + std::string(40, '\0')), FileKind::macho);
  EXPECT_EQ(kind(S("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") + std::string(40, '\0')), FileKind::ole2);
  EXPECT_EQ(kind("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj"), FileKind::pdf);
  EXPECT_EQ(kind(S("FWS\x09") + std::string(20, '\0')), FileKind::flash);
  EXPECT_EQ(kind(S("CWS\x09") + std::string(20, '\0')), FileKind::flash);
  EXPECT_EQ(kind(S("ZWS\x0d") + std::string(20, '\0')), FileKind::flash);
  EXPECT_EQ(kind(S("\x89PNG\r\n\x1a\n") + std::string(20, '\0')), FileKind::graphics);
  EXPECT_EQ(kind("GIF89a\x01\x00\x01\x00"), FileKind::graphics);
  EXPECT_EQ(kind(S("\xff\xd8\xff\xe0") + std::string(20, '\0')), FileKind::graphics);
  EXPECT_EQ(kind(S("BM\x36\0\0\0") + std::string(20, '\0')), FileKind::graphics);
  EXPECT_EQ(kind(S("II*\0") + std::string(20, '\0')), FileKind::graphics);
  EXPECT_EQ(kind(S("PK\x03\x04\x14\0") + std::string(30, '\0')), FileKind::zip);
  EXPECT_EQ(kind(S("\x1f\x8b\x08\0") + std::string(20, '\0')), FileKind::gzip);
  EXPECT_EQ(kind("BZh91AY&SY..."), FileKind::bzip2);
  EXPECT_EQ(kind(S("\xfd"
                   "7zXZ\0") +
                 std::string(20, '\0')),
            FileKind::xz);
  EXPECT_EQ(kind(S("7z\xbc\xaf\x27\x1c\0\x04") + std::string(20, '\0')), FileKind::sevenzip);
  EXPECT_EQ(kind(S("Rar!\x1a\x07\x01\0") + std::string(20, '\0')), FileKind::rar);
  EXPECT_EQ(kind(S("MSCF\0\0\0\0") + std::string(20, '\0')), FileKind::cab);
  EXPECT_EQ(kind("From: someone@example.com\nSubject: hi\n\nbody"), FileKind::mail);
  EXPECT_EQ(kind("Received: from x by y\n"), FileKind::mail);
  EXPECT_EQ(kind("plain words, nothing else\n"), FileKind::ascii);
}

TEST(FileType, JavaAndUniversalBinaryShareCafebabe) {
  // Class-file major version 0x34 (Java 8) is Java; a small count is a fat Mach-O. clamscan 1.4.6
  // types a class file with major version >= 0x40 (Java 20+) as plain binary data.
  EXPECT_EQ(kind(S("\xca\xfe\xba\xbe\0\0\0\x34") + std::string(40, '\0')), FileKind::java);
  EXPECT_EQ(clam(S("\xca\xfe\xba\xbe\0\0\0\x02") + std::string(40, '\0')), ClamType::macho_unibin);
  EXPECT_EQ(clam(S("\xca\xfe\xba\xbe\0\0\0\x40") + std::string(40, '\0')), ClamType::binary_data);
}

TEST(FileType, TextDetectionAsClamAVDoes) {
  EXPECT_EQ(clam("hello world\n"), ClamType::text_ascii);
  // ClamAV's "ASCII" admits every byte >= 0x80 (ISO-8859 and extended ASCII), so UTF-8 text is
  // ASCII to it; its UTF-8 test only runs on text that already failed for a control byte.
  EXPECT_EQ(clam("Caf\xc3\xa9 au lait\n"), ClamType::text_ascii);
  // No byte-order mark and no zero high byte at even offsets: ClamAV's UTF-16 test guesses
  // big-endian text, even for bytes like these.
  EXPECT_EQ(clam(S("\x01\x02\x03\x04\x05\x06\x07\x08")), ClamType::text_utf16be);
  EXPECT_EQ(clam(S("abc\0def\0ghi\0jkl more")), ClamType::text_utf16be);
  EXPECT_EQ(clam(S("ab\0\x01 more text")), ClamType::binary_data);
}

TEST(FileType, HtmlMarkersInTheFirstKibibyte) {
  EXPECT_EQ(kind("just text <html><body>x</body></html>"), FileKind::html);
  EXPECT_EQ(kind("x <SCRIPT>alert(1)</SCRIPT>"), FileKind::html);
  EXPECT_EQ(kind("x <a  class=y href='z'>"), FileKind::html);
  EXPECT_EQ(kind("<%@ LANGUAGE = VBScript %>"), FileKind::html);
  // Markers are case-sensitive byte strings: "<hTmL>" is none of the listed spellings.
  EXPECT_EQ(kind("x <hTmL> y"), FileKind::ascii);
  // Only the first 1024 bytes decide the type.
  EXPECT_EQ(kind(std::string(1100, 'a') + "<html>"), FileKind::ascii);
  // HTML in UTF-16LE without a byte-order mark.
  std::string u16;
  for (char c : std::string("<html><body>hi</body></html>")) {
    u16.push_back(c);
    u16.push_back('\0');
  }
  EXPECT_EQ(clam(u16), ClamType::html_utf16);
  EXPECT_EQ(detect_file_type(B(u16)), FileKind::html);
}

TEST(FileType, MailRecognitionCombinations) {
  EXPECT_EQ(clam("hello\nFrom: a@b\nContent-Type: text/plain\n\nbody\n"), ClamType::mail);
  EXPECT_EQ(clam("hello\nFrom: a@b\nMIME-Version: 1.0\nbody\n"), ClamType::mail);
  EXPECT_EQ(clam("Xdelivered: Delivered-To:x Received: y more\n"), ClamType::mail);
  EXPECT_EQ(clam("MIME-Version: 1.0\nContent-Type: text/html\n\nbody\n"), ClamType::mhtml);
}

TEST(FileType, ClamAVPrecedenceQuirks) {
  // "ustar" at 257 is tried before MZ (the magic table is searched newest entry first).
  std::string mz_tar = "MZ" + std::string(255, '\0') + "ustar" + std::string(100, '\0');
  EXPECT_EQ(clam(mz_tar), ClamType::posix_tar);
  // A file starting with "MM" is a big-endian TIFF to ClamAV.
  EXPECT_EQ(clam(S("MM\0\x2a") + std::string(40, '\0')), ClamType::tiff);
  // An embedded PE header re-types text; a later HTML marker wins over an earlier PE marker,
  // an HTML marker before the PE marker does not.
  EXPECT_EQ(clam("hello MZ" + std::string(70, 'A') + S("PE\0\0 end")), ClamType::msexe);
  EXPECT_EQ(clam("hello MZ" + std::string(70, 'A') + S("PE\0\0 <html> end")), ClamType::html);
  EXPECT_EQ(clam("<html> MZ" + std::string(70, 'A') + S("PE\0\0 end")), ClamType::msexe);
  // Archive-SFX markers leave the text/binary type alone (and still mask a preceding HTML marker).
  EXPECT_EQ(clam(S("hello world text PK\x03\x04 more text here\n")), ClamType::text_utf16be);
  EXPECT_EQ(clam(S("<html> text PK\x03\x04 text\n")), ClamType::text_utf16be);
  EXPECT_EQ(clam(S("\x01\0MSCF\0\0\0\0 data")), ClamType::binary_data);
  // Other recognised types do re-type: NSIS, PDF inside binary data, a boot record signature.
  EXPECT_EQ(clam(S("\x01\0\x02\xef\xbe\xad\xdeNullsoftInst more")), ClamType::nulsft);
  EXPECT_EQ(clam(S("\x01\0\x02 %PDF-1.4 junk")), ClamType::pdf);
  std::string mbr = S("\x01\0\x02") + std::string(507, '\0') + "\x55\xaa" + std::string(20, '\0');
  EXPECT_EQ(clam(mbr), ClamType::mbr);
  EXPECT_EQ(clam("some text <xdp:xdp more\n"), ClamType::xdp);
}

TEST(FileType, OldTarByHeaderChecksum) {
  std::vector<std::uint8_t> t(1024, 0);
  const std::string name = "file.txt";
  std::copy(name.begin(), name.end(), t.begin());
  const std::string mode = "0000644";
  std::copy(mode.begin(), mode.end(), t.begin() + 100);
  std::fill(t.begin() + 148, t.begin() + 156, ' ');
  unsigned sum = 0;
  for (int i = 0; i < 512; ++i)
    sum += t[i];
  char chk[8];
  std::snprintf(chk, sizeof chk, "%06o", sum);
  std::copy(chk, chk + 6, t.begin() + 148);
  t[154] = 0;
  EXPECT_EQ(detect_clamav_type(t), ClamType::old_tar);
  EXPECT_EQ(detect_file_type(t), FileKind::tar);
  t[0] ^= 1; // checksum no longer matches
  EXPECT_NE(detect_clamav_type(t), ClamType::old_tar);
}

TEST(FileType, TargetTypes) {
  EXPECT_EQ(target_type_for(FileKind::pe), TargetType::pe);
  EXPECT_EQ(target_type_for(FileKind::msdos), TargetType::pe);
  EXPECT_EQ(target_type_for(FileKind::ole2), TargetType::ole2);
  EXPECT_EQ(target_type_for(FileKind::html), TargetType::html);
  EXPECT_EQ(target_type_for(FileKind::mail), TargetType::mail);
  EXPECT_EQ(target_type_for(FileKind::graphics), TargetType::graphics);
  EXPECT_EQ(target_type_for(FileKind::elf), TargetType::elf);
  EXPECT_EQ(target_type_for(FileKind::ascii), TargetType::ascii);
  EXPECT_EQ(target_type_for(FileKind::macho), TargetType::macho);
  EXPECT_EQ(target_type_for(FileKind::pdf), TargetType::pdf);
  EXPECT_EQ(target_type_for(FileKind::flash), TargetType::flash);
  EXPECT_EQ(target_type_for(FileKind::java), TargetType::java);
  EXPECT_EQ(target_type_for(FileKind::zip), TargetType::any);
  EXPECT_EQ(clamav_target_of(ClamType::text_utf8), std::nullopt);
  EXPECT_EQ(clamav_target_of(ClamType::macho_unibin), TargetType::macho);
  EXPECT_EQ(clamav_target_of(ClamType::mhtml), std::nullopt);
  for (int k = 0; k <= static_cast<int>(FileKind::tar); ++k)
    EXPECT_STRNE(file_kind_name(static_cast<FileKind>(k)), "?");
  EXPECT_STREQ(clamav_type_name(ClamType::html), "CL_TYPE_HTML");
  EXPECT_STREQ(clamav_type_name(ClamType::ignored), "CL_TYPE_IGNORED");
}

TEST(FileType, EmptyAndTinyInputs) {
  EXPECT_EQ(detect_clamav_type({}), ClamType::text_ascii);
  EXPECT_EQ(clam("M"), ClamType::text_ascii);
  EXPECT_EQ(clam("MZ"), ClamType::msexe);
  EXPECT_EQ(kind("MZ"), FileKind::msdos);
}

// The clamav-testfiles package and the upstream unit-test files, typed as clamscan 1.4.6 did.
TEST(FileType, ClamAVTestFiles) {
  const std::string dir = "/usr/share/clamav-testfiles/";
  if (!std::filesystem::exists(dir + "clam.exe"))
    GTEST_SKIP() << dir << " missing (Debian package clamav-testfiles)";
  const std::pair<const char *, ClamType> expect[] = {
      {"clam.exe", ClamType::msexe},
      {"clam-upx.exe", ClamType::msexe},
      {"clam.7z", ClamType::sevenzip},
      {"clam.arj", ClamType::arj},
      {"clam.bin-be.cpio", ClamType::cpio_old},
      {"clam.cab", ClamType::mscab},
      {"clam.chm", ClamType::mschm},
      {"clam.exe.binhex", ClamType::binhex},
      {"clam.exe.bz2", ClamType::bz},
      {"clam.exe.html", ClamType::html},
      {"clam.exe.mbox.base64", ClamType::mail},
      {"clam.exe.rtf", ClamType::rtf},
      {"clam.exe.szdd", ClamType::msszdd},
      {"clam.mail", ClamType::mail},
      {"clam.newc.cpio", ClamType::cpio_newc},
      {"clam.ole.doc", ClamType::msole2},
      {"clam.pdf", ClamType::pdf},
      {"clam.sis", ClamType::sis},
      {"clam.tar.gz", ClamType::gz},
      {"clam.tnef", ClamType::tnef},
      {"clam.zip", ClamType::zip},
  };
  for (const auto &[name, type] : expect) {
    const auto data = testing::read_file_bytes(dir + name);
    ASSERT_FALSE(data.empty()) << name;
    EXPECT_EQ(detect_clamav_type(data), type)
        << name << " gave " << clamav_type_name(detect_clamav_type(data));
  }
}

TEST(FileType, UpstreamUnitTestFiles) {
  const std::string dir = std::string(VOXGUARD_SHARED_DATA) + "/clamav/unittests/";
  if (!std::filesystem::exists(dir + "htmlnorm_scanfiles"))
    GTEST_SKIP() << dir << " missing";
  const std::pair<const char *, ClamType> expect[] = {
      {"htmlnorm_scanfiles/htmlnorm_test.html", ClamType::html},
      {"htmlnorm_scanfiles/css_background_2.html", ClamType::html},
      {"other_scanfiles/alz/deflate.alz", ClamType::alz},
      {"other_scanfiles/lha_lzh/lh5.lzh", ClamType::lha_lzh},
      {"other_scanfiles/zip/logos.z01", ClamType::binary_data},
      {"other_scanfiles/pdf/out-of-order.pdf", ClamType::pdf},
      {"pe_allmatch/test.exe", ClamType::msexe},
  };
  for (const auto &[name, type] : expect) {
    if (!std::filesystem::exists(dir + name))
      continue;
    const auto data = testing::read_file_bytes(dir + name);
    EXPECT_EQ(detect_clamav_type(data), type)
        << name << " gave " << clamav_type_name(detect_clamav_type(data));
  }
}

} // namespace
} // namespace vg
