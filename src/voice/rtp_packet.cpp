// rtp_packet.cpp — RTP header parsing with length checks.
#include "voice/rtp_packet.hpp"

namespace vg::voice {

bool looks_like_rtcp(std::span<const std::uint8_t> d) {
  return d.size() >= 2 && (d[0] >> 6) == 2 && d[1] >= 192 && d[1] <= 223;
}

std::variant<RtpPacket, std::string> parse_rtp(std::span<const std::uint8_t> d) {
  if (d.size() < 12)
    return "RTP packet of " + std::to_string(d.size()) +
           " bytes is shorter than the 12-byte header";
  if ((d[0] >> 6) != 2)
    return "RTP version " + std::to_string(d[0] >> 6) + " (must be 2)";
  RtpPacket p;
  bool padding = d[0] & 0x20;
  p.has_extension = d[0] & 0x10;
  p.csrc_count = d[0] & 0x0f;
  p.marker = d[1] & 0x80;
  p.payload_type = d[1] & 0x7f;
  p.sequence = static_cast<std::uint16_t>(d[2] << 8 | d[3]);
  p.timestamp =
      std::uint32_t(d[4]) << 24 | std::uint32_t(d[5]) << 16 | std::uint32_t(d[6]) << 8 | d[7];
  p.ssrc =
      std::uint32_t(d[8]) << 24 | std::uint32_t(d[9]) << 16 | std::uint32_t(d[10]) << 8 | d[11];
  std::size_t off = 12 + 4u * p.csrc_count;
  if (off > d.size())
    return "CSRC count " + std::to_string(p.csrc_count) + " needs " + std::to_string(off) +
           " header bytes but the packet has " + std::to_string(d.size());
  if (p.has_extension) {
    if (off + 4 > d.size())
      return "header extension truncated";
    std::size_t words = static_cast<std::size_t>(d[off + 2] << 8 | d[off + 3]);
    std::size_t ext = 4 + 4 * words;
    if (off + ext > d.size())
      return "header extension length " + std::to_string(words) + " words exceeds the packet (" +
             std::to_string(d.size() - off - 4) + " bytes left)";
    off += ext;
  }
  std::size_t end = d.size();
  if (padding) {
    std::size_t pad = d[d.size() - 1];
    if (pad == 0)
      return "padding bit set with a padding count of 0";
    if (off + pad > d.size())
      return "padding count " + std::to_string(pad) + " exceeds the " +
             std::to_string(d.size() - off) + " bytes after the header";
    p.padding = pad;
    end -= pad;
  }
  p.payload = d.subspan(off, end - off);
  return p;
}

} // namespace vg::voice
