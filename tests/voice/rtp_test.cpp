// RTP/RTCP header checks and RFC 3550 stream statistics, on hand-built packets.
#include "voice/rtcp_packet.hpp"
#include "voice/rtp_packet.hpp"
#include "voice/rtp_stream_stats.hpp"
#include "voice/udp_datagram.hpp"

#include <gtest/gtest.h>

namespace {

std::vector<std::uint8_t> rtp(std::uint16_t seq, std::uint32_t ts, std::uint8_t first = 0x80,
                              std::size_t payload = 160) {
  std::vector<std::uint8_t> p = {first,
                                 0,
                                 static_cast<std::uint8_t>(seq >> 8),
                                 static_cast<std::uint8_t>(seq),
                                 static_cast<std::uint8_t>(ts >> 24),
                                 static_cast<std::uint8_t>(ts >> 16),
                                 static_cast<std::uint8_t>(ts >> 8),
                                 static_cast<std::uint8_t>(ts),
                                 1,
                                 2,
                                 3,
                                 4};
  p.resize(12 + payload, 0xff);
  return p;
}

std::string error_of(const std::vector<std::uint8_t> &p) {
  auto r = vg::voice::parse_rtp(p);
  auto *e = std::get_if<std::string>(&r);
  return e ? *e : "";
}

TEST(Rtp, HeaderLengthsAreCheckedAgainstTheDatagram) {
  EXPECT_EQ(error_of(rtp(1, 0)), "");
  EXPECT_NE(error_of({0x80, 0, 0}).find("shorter than the 12-byte header"), std::string::npos);
  EXPECT_NE(error_of(rtp(1, 0, 0x40)).find("version 1"), std::string::npos);
  EXPECT_NE(error_of(rtp(1, 0, 0x8f, 8)).find("CSRC count 15"), std::string::npos);
  auto ext = rtp(1, 0, 0x90, 8);
  ext[14] = 0xff; // extension length 0xff.. words
  EXPECT_NE(error_of(ext).find("header extension length"), std::string::npos);
  auto pad = rtp(1, 0, 0xa0, 8);
  pad.back() = 200;
  EXPECT_NE(error_of(pad).find("padding count 200"), std::string::npos);
  pad.back() = 4;
  auto ok = vg::voice::parse_rtp(pad);
  ASSERT_TRUE(std::holds_alternative<vg::voice::RtpPacket>(ok));
  EXPECT_EQ(std::get<vg::voice::RtpPacket>(ok).payload.size(), 4u);
}

TEST(Rtcp, LengthFieldMustFitTheDatagram) {
  std::vector<std::uint8_t> rr = {0x80, 201, 0, 1, 0, 0, 0, 1};
  EXPECT_TRUE(std::holds_alternative<vg::voice::RtcpSummary>(vg::voice::check_rtcp(rr)));
  rr[3] = 9; // says 40 bytes
  auto r = vg::voice::check_rtcp(rr);
  ASSERT_TRUE(std::holds_alternative<std::string>(r));
  EXPECT_NE(std::get<std::string>(r).find("length field says 40 bytes"), std::string::npos);
  std::vector<std::uint8_t> sr = {0x81, 200, 0, 1, 0, 0, 0, 1}; // SR with one report in 8 bytes
  auto s = vg::voice::check_rtcp(sr);
  ASSERT_TRUE(std::holds_alternative<std::string>(s));
  EXPECT_NE(std::get<std::string>(s).find("needs 52 bytes"), std::string::npos);
}

TEST(RtpStats, LossAndSequenceWrap) {
  vg::voice::RtpStreamStats st(8000, 20);
  std::vector<vg::voice::Finding> out;
  std::uint16_t seq = 65530;
  std::uint32_t ts = 0xffffff00u; // timestamps wrap forward too: that is normal
  for (int i = 0; i < 20; ++i, ++seq, ts += 160) {
    if (i == 10)
      continue; // one lost packet
    auto p = std::get<vg::voice::RtpPacket>(vg::voice::parse_rtp(rtp(seq, ts)));
    st.add(p, 100.0 + i * 0.02, i * 0.02, out);
  }
  EXPECT_EQ(st.packets(), 19u);
  EXPECT_EQ(st.expected(), 20);
  EXPECT_EQ(st.lost(), 1);
  EXPECT_LT(st.jitter_ms(), 0.5);
  EXPECT_TRUE(out.empty()) << out[0].message;
}

TEST(RtpStats, TimestampBackwardsWrapIsAnAlert) {
  vg::voice::RtpStreamStats st(8000, 20);
  std::vector<vg::voice::Finding> out;
  auto a = std::get<vg::voice::RtpPacket>(vg::voice::parse_rtp(rtp(1, 100)));
  auto b = std::get<vg::voice::RtpPacket>(vg::voice::parse_rtp(rtp(2, 0xfffff000u)));
  st.add(a, 0, 0, out);
  st.add(b, 0.02, 0.02, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].code, "rtp.timestamp-backward");
  EXPECT_NE(out[0].message.find("backwards wrap"), std::string::npos);
}

TEST(RtpStats, FloodAgainstPtime) {
  vg::voice::RtpStreamStats st(8000, 20);
  std::vector<vg::voice::Finding> out;
  for (int i = 0; i < 400; ++i) {
    auto p = std::get<vg::voice::RtpPacket>(
        vg::voice::parse_rtp(rtp(static_cast<std::uint16_t>(i), i * 160u)));
    st.add(p, i * 0.003, i * 0.003, out);
  }
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out[0].code, "rtp.flood");
}

TEST(Frames, LinkTypesAndLyingLengths) {
  // IPv4/UDP in Linux cooked capture (SLL)
  std::vector<std::uint8_t> f(16, 0);
  f[14] = 0x08;
  f[15] = 0x00;
  std::vector<std::uint8_t> ip = {0x45, 0,    0, 32, 0, 0,   0,   0,   64,  17,   0,
                                  0,    127,  0, 0,  1, 127, 0,   0,   1,   0x13, 0xc4,
                                  0x13, 0xce, 0, 12, 0, 0,   'a', 'b', 'c', 'd'};
  f.insert(f.end(), ip.begin(), ip.end());
  auto d = vg::voice::decode_frame(113, f);
  ASSERT_TRUE(std::holds_alternative<vg::voice::UdpDatagram>(d));
  auto u = std::get<vg::voice::UdpDatagram>(d);
  EXPECT_EQ(u.src.port, 5060);
  EXPECT_EQ(u.dst.port, 5070);
  EXPECT_EQ(u.payload.size(), 4u);
  f[16 + 25] = 200; // UDP length beyond the packet
  auto bad = vg::voice::decode_frame(113, f);
  ASSERT_TRUE(std::holds_alternative<vg::voice::MalformedFrame>(bad));
  EXPECT_NE(std::get<vg::voice::MalformedFrame>(bad).reason.find("UDP length 200"),
            std::string::npos);
}

} // namespace
