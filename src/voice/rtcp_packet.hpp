// rtcp_packet.hpp — RTCP compound packets (RFC 3550 6.4-6.7, RFC 4585).
// Promise: check_rtcp() walks every packet of a compound datagram and verifies version, the length
// field against the datagram, report counts against the length, and known packet types; it returns
// the number of packets, or a reason naming the packet index and the fault.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <variant>
#include <vector>

namespace vg::voice {

struct RtcpSummary {
  std::vector<std::uint8_t> types; // packet types in order (200 SR, 201 RR, 202 SDES, 203 BYE, ...)
  std::uint32_t sender_ssrc = 0;
};

std::variant<RtcpSummary, std::string> check_rtcp(std::span<const std::uint8_t> datagram);

} // namespace vg::voice
