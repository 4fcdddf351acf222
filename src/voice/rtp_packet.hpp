// rtp_packet.hpp — RTP fixed header, CSRC list, header extension and padding (RFC 3550 5.1).
// Promise: parse_rtp() checks the version, the CSRC count, the extension length and the padding
// count against the datagram and returns the packet or a reason; the payload span stays inside the
// datagram. looks_like_rtcp() tells RTCP (payload types 192-223 in the second octet) from RTP.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <variant>

namespace vg::voice {

struct RtpPacket {
  bool marker = false;
  std::uint8_t payload_type = 0;
  std::uint16_t sequence = 0;
  std::uint32_t timestamp = 0;
  std::uint32_t ssrc = 0;
  unsigned csrc_count = 0;
  bool has_extension = false;
  std::size_t padding = 0;
  std::span<const std::uint8_t> payload;
};

std::variant<RtpPacket, std::string> parse_rtp(std::span<const std::uint8_t> datagram);
bool looks_like_rtcp(std::span<const std::uint8_t> datagram);

} // namespace vg::voice
