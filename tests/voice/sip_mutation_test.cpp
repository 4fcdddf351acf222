// Thousands of malformed SIP messages, made by mutating well-formed ones: each gets a verdict
// (parsed, or rejected with a reason), nothing crashes, nothing takes long.
#include "voice/sip_message.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

namespace {

const char *kSeed = "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
                    "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n"
                    "Max-Forwards: 70\r\n"
                    "To: Bob <sip:bob@biloxi.example.com>\r\n"
                    "From: \"Alice\" <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
                    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
                    "CSeq: 314159 INVITE\r\n"
                    "Contact: <sip:alice@pc33.atlanta.example.com>\r\n"
                    "Content-Type: application/sdp\r\n"
                    "Content-Length: 142\r\n"
                    "\r\n"
                    "v=0\r\n"
                    "o=alice 2890844526 2890844526 IN IP4 pc33.atlanta.example.com\r\n"
                    "s=-\r\n"
                    "c=IN IP4 192.0.2.101\r\n"
                    "t=0 0\r\n"
                    "m=audio 49172 RTP/AVP 0\r\n"
                    "a=rtpmap:0 PCMU/8000\r\n";

std::vector<std::string> seeds() {
  std::vector<std::string> out{kSeed};
  std::string dir = std::string(VOXGUARD_SHARED_DATA) + "/sip/rfc4475";
  if (std::filesystem::exists(dir))
    for (const auto &e : std::filesystem::directory_iterator(dir))
      if (e.path().extension() == ".dat") {
        std::ifstream f(e.path(), std::ios::binary);
        std::stringstream ss;
        ss << f.rdbuf();
        out.push_back(ss.str());
      }
  return out;
}

std::string mutate(std::string s, std::mt19937 &rng) {
  static const std::string tokens[] = {"\r\n",  " ",       ";",       ",",
                                       "\"",    "<",       ">",       ":",
                                       "@",     "%",       "\\",      "=",
                                       "\r\n ", "\0",      "\xff",    "\r",
                                       "\n",    "/",       "SIP/2.0", "Content-Length: 99999\r\n",
                                       "v=",    "m=audio "};
  int rounds = 1 + static_cast<int>(rng() % 4);
  for (int r = 0; r < rounds; ++r) {
    if (s.empty())
      s = "x";
    std::size_t at = rng() % s.size();
    switch (rng() % 8) {
    case 0: // flip a byte
      s[at] = static_cast<char>(rng() & 0xff);
      break;
    case 1: // insert a grammar-significant token
      s.insert(at, tokens[rng() % std::size(tokens)]);
      break;
    case 2: // delete a span
      s.erase(at, 1 + rng() % 16);
      break;
    case 3: // duplicate a span
      s.insert(at, s.substr(at, 1 + rng() % 64));
      break;
    case 4: // truncate
      s.resize(at);
      break;
    case 5: // long run of one character
      s.insert(at, std::string(1 + rng() % 9000, "a;,<\" %9"[rng() % 8]));
      break;
    case 6: { // many header fields
      std::string h;
      for (unsigned i = 0, n = 1 + rng() % 400; i < n; ++i)
        h += "Via: SIP/2.0/UDP h" + std::to_string(i) + ".example.com;branch=z9hG4bK" +
             std::to_string(i) + "\r\n";
      auto p = s.find("\r\n");
      s.insert(p == std::string::npos ? 0 : p + 2, h);
      break;
    }
    default: { // swap two lines
      auto a = s.find("\r\n", at);
      if (a != std::string::npos) {
        auto b = s.find("\r\n", a + 2);
        if (b != std::string::npos)
          std::swap_ranges(s.begin() + static_cast<long>(a),
                           s.begin() + static_cast<long>(std::min(b, a + (b - a) / 2)),
                           s.begin() + static_cast<long>(std::min(b, a + (b - a) / 2)));
      }
      break;
    }
    }
  }
  return s;
}

TEST(SipMutation, ThousandsOfMalformedMessagesAllGetAVerdict) {
  auto base = seeds();
  std::mt19937 rng(4475);
  std::size_t invalid = 0, parsed = 0;
  const std::size_t n = 6000;
  auto t0 = std::chrono::steady_clock::now();
  double worst_ms = 0;
  for (std::size_t i = 0; i < n; ++i) {
    std::string msg = mutate(base[i % base.size()], rng);
    auto a = std::chrono::steady_clock::now();
    auto v = vg::voice::inspect_sip_message(msg);
    double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - a).count();
    worst_ms = std::max(worst_ms, ms);
    if (v.parsed()) {
      ++parsed;
      EXPECT_TRUE(v.reason.empty());
    } else {
      ++invalid;
      ASSERT_FALSE(v.reason.empty()) << "rejected without a reason";
      EXPECT_EQ(v.reason.find("internal parser error"), std::string::npos) << v.reason;
    }
  }
  double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(parsed + invalid, n);
  EXPECT_GT(invalid, n / 2); // most mutations break the grammar
  EXPECT_LT(worst_ms, 250.0);
  EXPECT_LT(total, 60.0);
  std::printf("mutated messages: %zu, rejected %zu, parsed %zu, worst %.2f ms, total %.2f s\n", n,
              invalid, parsed, worst_ms, total);
}

TEST(SipLimits, HardLimitsRejectWithAReason) {
  std::string many = "OPTIONS sip:a@example.com SIP/2.0\r\n";
  for (int i = 0; i < 300; ++i)
    many += "X-H" + std::to_string(i) + ": v\r\n";
  many += "\r\n";
  auto v = vg::voice::inspect_sip_message(many);
  ASSERT_FALSE(v.parsed());
  EXPECT_NE(v.reason.find("more than 256 header fields"), std::string::npos) << v.reason;

  vg::voice::SipLimits small;
  small.max_message_bytes = 100;
  auto w = vg::voice::inspect_sip_message(kSeed, small);
  ASSERT_FALSE(w.parsed());
  EXPECT_NE(w.reason.find("exceed the limit of 100"), std::string::npos) << w.reason;
}

TEST(SipLimits, SnortStyleAdvisoryLimitsGiveFindings) {
  std::string msg = kSeed;
  auto p = msg.find("Call-ID: ") + 9;
  msg.insert(p, std::string(300, 'x'));
  auto v = vg::voice::inspect_sip_message(msg);
  ASSERT_TRUE(v.parsed()) << v.reason;
  bool found = false;
  for (const auto &f : v.message->findings)
    found |= f.code == "sip.limit" && f.message.find("max_call_id_len") != std::string::npos;
  EXPECT_TRUE(found);
  EXPECT_EQ(v.name(), "suspicious");
}

TEST(SipMessage, SeedIsValidAndCarriesItsOffer) {
  auto v = vg::voice::inspect_sip_message(kSeed);
  ASSERT_TRUE(v.parsed()) << v.reason;
  EXPECT_EQ(v.name(), "valid");
  ASSERT_TRUE(v.message->sdp);
  EXPECT_EQ(v.message->sdp->media.at(0).codec(0)->encoding, "PCMU");
  EXPECT_EQ(v.message->sdp->media.at(0).connection_address, "192.0.2.101");
}

TEST(SipMessage, BareLineFeedsAndTruncationAreRejected) {
  std::string lf = kSeed;
  for (std::size_t p; (p = lf.find("\r\n")) != std::string::npos;)
    lf.replace(p, 2, "\n");
  auto v = vg::voice::inspect_sip_message(lf);
  ASSERT_FALSE(v.parsed());
  EXPECT_NE(v.reason.find("bare LF"), std::string::npos) << v.reason;
  auto t = vg::voice::inspect_sip_message(std::string(kSeed).substr(0, 120));
  ASSERT_FALSE(t.parsed());
  EXPECT_NE(t.reason.find("truncated"), std::string::npos) << t.reason;
}

} // namespace
