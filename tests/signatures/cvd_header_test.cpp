#include "signatures/cvd_header.hpp"

#include "common/error.hpp"

#include <gtest/gtest.h>

namespace vg {
namespace {

std::vector<std::uint8_t> padded(std::string head) {
  head.resize(kCvdHeaderSize, ' ');
  head += "archive";
  return {head.begin(), head.end()};
}

std::string reason_of(const std::string &head) {
  try {
    parse_cvd_header(padded(head), "x.cvd");
  } catch (const Error &e) {
    EXPECT_EQ(e.input(), "x.cvd");
    return e.reason();
  }
  ADD_FAILURE() << "accepted: " << head;
  return {};
}

TEST(CvdHeader, ParsesEveryField) {
  auto h = parse_cvd_header(
      padded("ClamAV-VDB:27 Nov 2026 08-01 +0000:62:6647427:90:0123abcd0123abcd0123abcd0123abcd:"
             "sigDIGITS+/:sigmgr:1795766515"),
      "main.cvd");
  EXPECT_EQ(h.build_time, "27 Nov 2026 08-01 +0000");
  EXPECT_EQ(h.display_time(), "27 Nov 2026 08:01 +0000");
  EXPECT_EQ(h.version, 62u);
  EXPECT_EQ(h.signatures, 6647427u);
  EXPECT_EQ(h.functionality_level, 90u);
  EXPECT_EQ(h.md5, "0123abcd0123abcd0123abcd0123abcd");
  EXPECT_EQ(h.dsig, "sigDIGITS+/");
  EXPECT_EQ(h.builder, "sigmgr");
  EXPECT_EQ(h.stime, 1795766515u);
}

TEST(CvdHeader, OldFormatHasNoSeconds) {
  auto h = parse_cvd_header(padded("ClamAV-VDB:01 Jan 2009 00-00 +0000:1:2:3:X:X:tk"), "old.cvd");
  EXPECT_EQ(h.stime, 0u);
  EXPECT_EQ(h.builder, "tk");
}

TEST(CvdHeader, InfoLineWithNewline) {
  auto h = parse_cvd_header_line("ClamAV-VDB:t:7:1:216:X:X:b:5\r\n", "daily.info");
  EXPECT_EQ(h.version, 7u);
  EXPECT_EQ(h.stime, 5u);
}

TEST(CvdHeader, RefusesBadHeadersNamingTheField) {
  EXPECT_NE(reason_of("NotClamAV:1:2:3").find("ClamAV-VDB"), std::string::npos);
  EXPECT_NE(reason_of("ClamAV-VDB:t:x1:1:216:X:X:b:5").find("version"), std::string::npos);
  EXPECT_NE(reason_of("ClamAV-VDB:t:1:-1:216:X:X:b:5").find("signature count"), std::string::npos);
  EXPECT_NE(reason_of("ClamAV-VDB:t:1:1:2.5:X:X:b:5").find("functionality level"),
            std::string::npos);
  EXPECT_NE(reason_of("ClamAV-VDB:t:1:1:216:X:X").find("builder"), std::string::npos);
  EXPECT_NE(reason_of("ClamAV-VDB:t:1:1:216::X:b").find("MD5"), std::string::npos);
  EXPECT_NE(reason_of("ClamAV-VDB:t:1:1:216:X:X:b:soon").find("seconds"), std::string::npos);
  EXPECT_NE(reason_of("ClamAV-VDB:t:99999999999:1:216:X:X:b").find("version"), std::string::npos);
}

TEST(CvdHeader, TruncatedHeader) {
  std::vector<std::uint8_t> short_file(100, ' ');
  try {
    parse_cvd_header(short_file, "cut.cvd");
    FAIL();
  } catch (const Error &e) {
    EXPECT_NE(e.reason().find("truncated"), std::string::npos);
  }
}

} // namespace
} // namespace vg
