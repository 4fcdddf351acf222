// udp_datagram.hpp — decoding captured link-layer frames down to UDP datagrams.
// Promise: decode_frame() understands Ethernet (with 802.1Q/ad tags), BSD loopback (DLT_NULL/LOOP),
// Linux cooked (SLL, SLL2) and raw IP link types, IPv4 (options, fragments) and IPv6 (extension
// headers), and checks every length against the captured bytes; it returns the UDP datagram,
// nothing for non-UDP traffic, or a reason when a header lies about its length. It never reads past
// `caplen`.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

namespace vg::voice {

struct Endpoint {
  std::string address; // textual IPv4/IPv6
  std::uint16_t port = 0;
  bool operator==(const Endpoint &o) const = default;
  bool operator<(const Endpoint &o) const {
    return address != o.address ? address < o.address : port < o.port;
  }
  std::string str() const;
};

struct UdpDatagram {
  double time_s = 0;     // capture timestamp (seconds since the epoch)
  std::size_t frame = 0; // 1-based frame number in the capture
  int ip_version = 4;
  Endpoint src, dst;
  std::span<const std::uint8_t> payload;
  // headers inside the frame (valid while the frame is): used to rewrite datagrams in place
  const std::uint8_t *ip_header = nullptr;
  const std::uint8_t *udp_header = nullptr;
};

struct NotUdp {};       // a frame that carries no UDP (TCP, ARP, non-first fragment, ...)
struct MalformedFrame { // a header whose lengths do not fit the captured bytes
  std::string reason;
};

using DecodedFrame = std::variant<UdpDatagram, NotUdp, MalformedFrame>;

// `linktype` is a pcap DLT_/LINKTYPE_ value.
DecodedFrame decode_frame(int linktype, std::span<const std::uint8_t> frame);

// A copy of `frame` (the bytes `d` was decoded from) whose UDP payload is replaced by `payload`,
// with the UDP length, the IPv4 total length / IPv6 payload length and the checksums (IPv4 header,
// UDP) recomputed. Trailing link-layer padding is dropped.
std::vector<std::uint8_t> replace_udp_payload(std::span<const std::uint8_t> frame,
                                              const UdpDatagram &d,
                                              std::span<const std::uint8_t> payload);

// Whether decode_frame() knows the link type.
bool supported_linktype(int linktype);

} // namespace vg::voice
