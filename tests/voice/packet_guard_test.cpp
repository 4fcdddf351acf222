// The in-line guard's per-packet decisions, on the packets of a recorded call plus hostile ones.
#include "voice/audio_codec.hpp"
#include "voice/inaudible_band_filter.hpp"
#include "voice/packet_guard.hpp"
#include "voice/pcap_reader.hpp"
#include "voice/rtp_packet.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace {

using Action = vg::voice::GuardVerdict::Action;

struct Packet {
  std::vector<std::uint8_t> ip;
  std::uint16_t dst_port;
};

std::vector<Packet> packets(const std::string &pcap) {
  std::vector<Packet> out;
  auto r = vg::voice::PcapReader::open_file(pcap);
  r.run(
      [&](const vg::voice::UdpDatagram &d) {
        out.push_back({std::vector<std::uint8_t>(d.ip_header, d.payload.data() + d.payload.size()),
                       d.dst.port});
      },
      [](std::size_t, double, const std::string &) {});
  return out;
}

// an IPv4/UDP packet 127.0.0.1:sport -> 127.0.0.1:dport carrying `payload`
std::vector<std::uint8_t> udp(std::uint16_t sport, std::uint16_t dport,
                              const std::string &payload) {
  const std::uint8_t head[28] = {0x45,
                                 0,
                                 0,
                                 0,
                                 0,
                                 0,
                                 0,
                                 0,
                                 64,
                                 17,
                                 0,
                                 0,
                                 127,
                                 0,
                                 0,
                                 1,
                                 127,
                                 0,
                                 0,
                                 1,
                                 static_cast<std::uint8_t>(sport >> 8),
                                 static_cast<std::uint8_t>(sport),
                                 static_cast<std::uint8_t>(dport >> 8),
                                 static_cast<std::uint8_t>(dport),
                                 0,
                                 0,
                                 0,
                                 0};
  std::vector<std::uint8_t> p(28 + payload.size());
  std::copy(std::begin(head), std::end(head), p.begin());
  std::copy(payload.begin(), payload.end(), p.begin() + 28);
  p[2] = static_cast<std::uint8_t>(p.size() >> 8);
  p[3] = static_cast<std::uint8_t>(p.size());
  std::size_t ul = p.size() - 20;
  p[24] = static_cast<std::uint8_t>(ul >> 8);
  p[25] = static_cast<std::uint8_t>(ul);
  return p;
}

std::string rfc4475(const std::string &name) {
  std::ifstream f(std::string(VOXGUARD_SHARED_DATA) + "/sip/rfc4475/" + name, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

class Guard : public ::testing::Test {
protected:
  void SetUp() override {
    pcap_ = std::string(VOXGUARD_SHARED_DATA) + "/pcap/baresip-opus128k-19khz-tone.pcap";
    if (!std::filesystem::exists(pcap_))
      GTEST_SKIP() << "shared test data missing: " << pcap_;
  }
  std::string pcap_;
};

TEST_F(Guard, CallPassesAudioIsScrubbedHostilePacketsAreDropped) {
  vg::voice::PacketGuard g;
  std::vector<vg::voice::Finding> findings;
  g.on_finding = [&](const vg::voice::Finding &f) { findings.push_back(f); };
  vg::voice::SdpCodec opus{96, "opus", 48000, 2};
  auto dec = vg::voice::AudioDecoder::create(vg::voice::codec_info(opus));
  std::vector<float> received;
  double t = 1000;
  for (const auto &p : packets(pcap_)) {
    auto v = g.decide(p.ip, t += 0.01);
    ASSERT_NE(v.action, Action::drop) << v.reason;
    if (p.dst_port == 20000 && v.action == Action::rewrite) {
      auto d = vg::voice::decode_frame(101, v.packet);
      ASSERT_TRUE(std::holds_alternative<vg::voice::UdpDatagram>(d));
      auto rtp = vg::voice::parse_rtp(std::get<vg::voice::UdpDatagram>(d).payload);
      ASSERT_TRUE(std::holds_alternative<vg::voice::RtpPacket>(rtp));
      auto pcm = dec->decode(std::get<vg::voice::RtpPacket>(rtp).payload);
      received.insert(received.end(), pcm.begin(), pcm.end());
    }
  }
  EXPECT_GT(g.stats().rewritten, 500u);
  EXPECT_EQ(g.stats().fail_open, 0u);
  EXPECT_LT(vg::voice::band_level_dbfs(received, 48000, 18500, 19500), -80);
  EXPECT_GT(vg::voice::band_level_dbfs(received, 48000, 300, 3400), -40);

  // malformed INVITE from the torture tests: never reaches the phone
  auto bad = g.decide(udp(5060, 5060, rfc4475("clerr.dat")), t);
  EXPECT_EQ(bad.action, Action::drop);
  EXPECT_NE(bad.reason.find("Content-Length"), std::string::npos);
  // RTP towards the negotiated port: wrong version, then a payload type nobody negotiated
  EXPECT_EQ(g.decide(udp(10034, 20000, std::string(20, '\x40')), t).action, Action::drop);
  std::string pt50 = {'\x80', '\x32', 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 'x', 'y'};
  EXPECT_EQ(g.decide(udp(10034, 20000, pt50), t).action, Action::drop);
  // an Opus packet the decoder refuses: forwarded unchanged (fail-open) and reported
  std::string broken = {'\x80', '\x60', 0, 2, 0, 0, 0, 2, 0, 0, 0, 1, '\xff'};
  EXPECT_EQ(g.decide(udp(10034, 20000, broken), t).action, Action::accept);
  EXPECT_EQ(g.stats().fail_open, 1u);
  bool reported = false;
  for (const auto &f : findings)
    reported |= f.code == "guard.fail-open";
  EXPECT_TRUE(reported);
  // non-UDP traffic is not judged
  std::vector<std::uint8_t> tcp = udp(1, 2, "abc");
  tcp[9] = 6;
  EXPECT_EQ(g.decide(tcp, t).action, Action::accept);
}

TEST_F(Guard, SipRequestFloodIsCut) {
  vg::voice::PacketGuard g;
  std::string options =
      "OPTIONS sip:bank@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.2;branch=z9hG4bK1\r\n"
      "Max-Forwards: 70\r\nTo: <sip:bank@127.0.0.1>\r\nFrom: <sip:x@127.0.0.2>;tag=1\r\n"
      "Call-ID: flood@127.0.0.2\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
  int dropped = 0;
  for (int i = 0; i < 60; ++i)
    dropped += g.decide(udp(5062, 5060, options), 50.0 + i * 0.02).action == Action::drop;
  EXPECT_EQ(dropped, 30); // 30 requests within 2 s pass, the rest are dropped
}

} // namespace
