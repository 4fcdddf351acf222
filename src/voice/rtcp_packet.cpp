// rtcp_packet.cpp — RTCP compound packet validation.
#include "voice/rtcp_packet.hpp"

namespace vg::voice {

std::variant<RtcpSummary, std::string> check_rtcp(std::span<const std::uint8_t> d) {
  RtcpSummary s;
  std::size_t off = 0;
  std::size_t index = 0;
  while (off < d.size()) {
    ++index;
    std::string where = "RTCP packet " + std::to_string(index) + ": ";
    if (d.size() - off < 4)
      return where + "header truncated";
    if ((d[off] >> 6) != 2)
      return where + "version " + std::to_string(d[off] >> 6) + " (must be 2)";
    unsigned count = d[off] & 0x1f;
    std::uint8_t type = d[off + 1];
    std::size_t len = (static_cast<std::size_t>(d[off + 2] << 8 | d[off + 3]) + 1) * 4;
    if (len > d.size() - off)
      return where + "length field says " + std::to_string(len) + " bytes but only " +
             std::to_string(d.size() - off) + " remain in the datagram";
    bool padding = d[off] & 0x20;
    if (padding) {
      std::size_t pad = d[off + len - 1];
      if (pad == 0 || pad > len - 4)
        return where + "invalid padding count " + std::to_string(pad);
    }
    if (type < 192 || type > 223)
      return where + "payload type " + std::to_string(type) + " is not RTCP";
    // RFC 5506 allows reduced-size (non-compound) RTCP, so the first packet may be of any type
    if (len >= 8 && index == 1)
      s.sender_ssrc = std::uint32_t(d[off + 4]) << 24 | std::uint32_t(d[off + 5]) << 16 |
                      std::uint32_t(d[off + 6]) << 8 | d[off + 7];
    std::size_t need = 4;
    if (type == 200)
      need = 28 + 24 * count; // header + sender info + report blocks
    else if (type == 201)
      need = 8 + 24 * count;
    else if (type == 203)
      need = 4 + 4 * count;
    if (need > len)
      return where + "type " + std::to_string(type) + " with " + std::to_string(count) +
             " reports needs " + std::to_string(need) + " bytes but its length is " +
             std::to_string(len);
    s.types.push_back(type);
    off += len;
    if (index > 64)
      return "more than 64 packets in one compound RTCP datagram";
  }
  return s;
}

} // namespace vg::voice
