// SDP parser: limits and grammar faults are rejected with the line and the reason.
#include "voice/sdp.hpp"

#include "common/error.hpp"

#include <gtest/gtest.h>

namespace {

std::string sdp(const std::string &media) {
  return "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" + media;
}

std::string reason(const std::string &body) {
  try {
    vg::voice::parse_sdp(body);
  } catch (const vg::Error &e) {
    return e.what();
  }
  return "";
}

TEST(Sdp, ParsesCodecsPtimeAndRtcp) {
  auto s = vg::voice::parse_sdp(sdp("m=audio 20000 RTP/AVP 96 0 101\r\na=rtpmap:96 opus/48000/2\r\n"
                                    "a=fmtp:96 maxplaybackrate=48000\r\na=rtpmap:101 "
                                    "telephone-event/8000\r\na=ptime:20\r\na=rtcp:20001\r\n"));
  ASSERT_EQ(s.media.size(), 1u);
  const auto &m = s.media[0];
  EXPECT_EQ(m.port, 20000);
  EXPECT_EQ(m.connection_address, "127.0.0.1");
  ASSERT_NE(m.codec(96), nullptr);
  EXPECT_EQ(m.codec(96)->encoding, "opus");
  EXPECT_EQ(m.codec(96)->clock_rate, 48000u);
  EXPECT_EQ(m.codec(96)->channels, 2u);
  EXPECT_EQ(m.codec(96)->fmtp, "maxplaybackrate=48000");
  EXPECT_EQ(m.codec(0)->encoding, "PCMU");
  EXPECT_EQ(*m.ptime, 20u);
  EXPECT_EQ(*m.rtcp_port, 20001);
}

TEST(Sdp, RejectsOutOfRangeValues) {
  EXPECT_NE(reason(sdp("m=audio 70000 RTP/AVP 0\r\n")).find("port 70000 is out of range"),
            std::string::npos);
  EXPECT_NE(reason(sdp("m=audio 4000 RTP/AVP 128\r\n")).find("RTP payload type 128"),
            std::string::npos);
  EXPECT_NE(reason(sdp("m=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000/0\r\n")).find("channel"),
            std::string::npos);
  EXPECT_NE(reason(sdp("m=audio 4000 RTP/AVP 0\r\na=x:" + std::string(2000, 'a') + "\r\n"))
                .find("exceeds the limit of 1024"),
            std::string::npos);
  EXPECT_NE(reason("v=0\r\ns=-\r\n").find("o= must follow v="), std::string::npos);
  EXPECT_NE(reason(sdp("m=audio 4000 RTP/AVP 0 0\r\n")).find("listed twice"), std::string::npos);
  EXPECT_NE(reason(sdp("m =audio 4000 RTP/AVP 0\r\n")).find("<type>=<value>"), std::string::npos);
  EXPECT_NE(reason("v=0\r\no=- 1 1 IN IP4 999.1.1.1\r\ns=-\r\nt=0 0\r\n").find("neither"),
            std::string::npos);
}

TEST(Sdp, RtpmapProblemsAreFindings) {
  auto s = vg::voice::parse_sdp(sdp("m=audio 4000 RTP/AVP 0\r\na=rtpmap:31 LPC\r\n"));
  ASSERT_EQ(s.findings.size(), 2u);
  EXPECT_EQ(s.findings[0].code, "sdp.rtpmap-no-clock-rate");
  EXPECT_EQ(s.findings[1].code, "sdp.rtpmap-not-offered");
}

} // namespace
