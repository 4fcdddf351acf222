// udp_datagram.cpp — link layer, IPv4/IPv6 and UDP header decoding with bounds checks.
#include "voice/udp_datagram.hpp"

#include <arpa/inet.h>

namespace vg::voice {
namespace {

constexpr int kNull = 0, kEthernet = 1, kRaw = 101, kRawAlt1 = 12, kRawAlt2 = 14, kLoop = 108,
              kSll = 113, kIpv4 = 228, kIpv6 = 229, kSll2 = 276;

std::uint16_t be16(const std::uint8_t *p) {
  return static_cast<std::uint16_t>(p[0] << 8 | p[1]);
}

DecodedFrame decode_udp(std::span<const std::uint8_t> d, int ipv, Endpoint src, Endpoint dst,
                        const std::uint8_t *ip) {
  if (d.size() < 8)
    return MalformedFrame{"UDP header truncated (" + std::to_string(d.size()) + " bytes)"};
  std::uint16_t len = be16(d.data() + 4);
  if (len < 8)
    return MalformedFrame{"UDP length " + std::to_string(len) + " is below the header size"};
  if (len > d.size())
    return MalformedFrame{"UDP length " + std::to_string(len) + " exceeds the " +
                          std::to_string(d.size()) + " bytes the IP packet carries"};
  UdpDatagram u;
  u.ip_version = ipv;
  u.src = std::move(src);
  u.dst = std::move(dst);
  u.src.port = be16(d.data());
  u.dst.port = be16(d.data() + 2);
  u.payload = d.subspan(8, len - 8u);
  u.ip_header = ip;
  u.udp_header = d.data();
  return u;
}

DecodedFrame decode_ipv4(std::span<const std::uint8_t> d) {
  if (d.size() < 20)
    return MalformedFrame{"IPv4 header truncated"};
  unsigned ihl = (d[0] & 0x0f) * 4u;
  if ((d[0] >> 4) != 4)
    return MalformedFrame{"IP version " + std::to_string(d[0] >> 4) + " in an IPv4 frame"};
  if (ihl < 20 || ihl > d.size())
    return MalformedFrame{"IPv4 header length " + std::to_string(ihl) + " is invalid"};
  std::uint16_t total = be16(d.data() + 2);
  if (total < ihl || total > d.size())
    return MalformedFrame{"IPv4 total length " + std::to_string(total) + " does not fit the " +
                          std::to_string(d.size()) + " captured bytes"};
  std::uint16_t frag = be16(d.data() + 6);
  if ((frag & 0x1fff) != 0)
    return NotUdp{}; // non-first fragment
  if (d[9] != 17)
    return NotUdp{};
  if (frag & 0x2000)
    return NotUdp{}; // first fragment of a fragmented datagram: not reassembled
  char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, d.data() + 12, a, sizeof a);
  inet_ntop(AF_INET, d.data() + 16, b, sizeof b);
  return decode_udp(d.subspan(ihl, total - ihl), 4, {a, 0}, {b, 0}, d.data());
}

DecodedFrame decode_ipv6(std::span<const std::uint8_t> d) {
  if (d.size() < 40)
    return MalformedFrame{"IPv6 header truncated"};
  if ((d[0] >> 4) != 6)
    return MalformedFrame{"IP version " + std::to_string(d[0] >> 4) + " in an IPv6 frame"};
  std::size_t plen = be16(d.data() + 4);
  if (40 + plen > d.size())
    return MalformedFrame{"IPv6 payload length " + std::to_string(plen) +
                          " exceeds the captured bytes"};
  char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
  inet_ntop(AF_INET6, d.data() + 8, a, sizeof a);
  inet_ntop(AF_INET6, d.data() + 24, b, sizeof b);
  std::uint8_t next = d[6];
  std::size_t off = 40;
  std::size_t end = 40 + plen;
  for (int hops = 0; hops < 8; ++hops) {
    if (next == 17)
      return decode_udp(d.subspan(off, end - off), 6, {a, 0}, {b, 0}, d.data());
    if (next == 0 || next == 43 || next == 60) { // hop-by-hop, routing, destination options
      if (off + 8 > end)
        return MalformedFrame{"IPv6 extension header truncated"};
      std::size_t len = (d[off + 1] + 1u) * 8u;
      if (off + len > end)
        return MalformedFrame{"IPv6 extension header length exceeds the packet"};
      next = d[off];
      off += len;
      continue;
    }
    if (next == 44) { // fragment
      if (off + 8 > end)
        return MalformedFrame{"IPv6 fragment header truncated"};
      std::uint16_t fo = be16(d.data() + off + 2);
      if ((fo & 0xfff8) != 0 || (fo & 1))
        return NotUdp{}; // fragmented: not reassembled
      next = d[off];
      off += 8;
      continue;
    }
    return NotUdp{};
  }
  return MalformedFrame{"too many IPv6 extension headers"};
}

DecodedFrame decode_ethertype(std::uint16_t type, std::span<const std::uint8_t> d) {
  if (type == 0x0800)
    return decode_ipv4(d);
  if (type == 0x86dd)
    return decode_ipv6(d);
  return NotUdp{};
}

DecodedFrame decode_by_version(std::span<const std::uint8_t> d) {
  if (d.empty())
    return MalformedFrame{"empty frame"};
  if ((d[0] >> 4) == 4)
    return decode_ipv4(d);
  if ((d[0] >> 4) == 6)
    return decode_ipv6(d);
  return NotUdp{};
}

} // namespace

namespace {
std::uint16_t fold(std::uint32_t sum) {
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}
std::uint32_t sum16(const std::uint8_t *p, std::size_t n, std::uint32_t sum = 0) {
  for (std::size_t i = 0; i + 1 < n; i += 2)
    sum += static_cast<std::uint32_t>(p[i] << 8 | p[i + 1]);
  if (n & 1)
    sum += static_cast<std::uint32_t>(p[n - 1] << 8);
  return sum;
}
} // namespace

std::vector<std::uint8_t> replace_udp_payload(std::span<const std::uint8_t> frame,
                                              const UdpDatagram &d,
                                              std::span<const std::uint8_t> payload) {
  auto ip = static_cast<std::size_t>(d.ip_header - frame.data());
  auto udp = static_cast<std::size_t>(d.udp_header - frame.data());
  std::vector<std::uint8_t> out(frame.begin(), frame.begin() + static_cast<long>(udp + 8));
  out.insert(out.end(), payload.begin(), payload.end());
  std::size_t udp_len = out.size() - udp;
  out[udp + 4] = static_cast<std::uint8_t>(udp_len >> 8);
  out[udp + 5] = static_cast<std::uint8_t>(udp_len);
  out[udp + 6] = out[udp + 7] = 0;
  std::uint32_t pseudo;
  if (d.ip_version == 4) {
    std::size_t total = out.size() - ip;
    out[ip + 2] = static_cast<std::uint8_t>(total >> 8);
    out[ip + 3] = static_cast<std::uint8_t>(total);
    out[ip + 10] = out[ip + 11] = 0;
    std::uint16_t cs = fold(sum16(&out[ip], (out[ip] & 0x0f) * 4u));
    out[ip + 10] = static_cast<std::uint8_t>(cs >> 8);
    out[ip + 11] = static_cast<std::uint8_t>(cs);
    pseudo = sum16(&out[ip + 12], 8);
  } else {
    std::size_t plen = out.size() - ip - 40;
    out[ip + 4] = static_cast<std::uint8_t>(plen >> 8);
    out[ip + 5] = static_cast<std::uint8_t>(plen);
    pseudo = sum16(&out[ip + 8], 32);
  }
  pseudo += static_cast<std::uint32_t>(udp_len) + 17;
  std::uint16_t cs = fold(sum16(&out[udp], udp_len, pseudo));
  if (cs == 0)
    cs = 0xffff;
  out[udp + 6] = static_cast<std::uint8_t>(cs >> 8);
  out[udp + 7] = static_cast<std::uint8_t>(cs);
  return out;
}

std::string Endpoint::str() const {
  if (address.find(':') != std::string::npos)
    return "[" + address + "]:" + std::to_string(port);
  return address + ":" + std::to_string(port);
}

bool supported_linktype(int lt) {
  return lt == kNull || lt == kEthernet || lt == kRaw || lt == kRawAlt1 || lt == kRawAlt2 ||
         lt == kLoop || lt == kSll || lt == kIpv4 || lt == kIpv6 || lt == kSll2;
}

DecodedFrame decode_frame(int lt, std::span<const std::uint8_t> f) {
  switch (lt) {
  case kEthernet: {
    if (f.size() < 14)
      return MalformedFrame{"Ethernet header truncated"};
    std::size_t off = 12;
    std::uint16_t type = be16(f.data() + off);
    for (int tags = 0; (type == 0x8100 || type == 0x88a8) && tags < 2; ++tags) {
      off += 4;
      if (off + 2 > f.size())
        return MalformedFrame{"VLAN tag truncated"};
      type = be16(f.data() + off);
    }
    return decode_ethertype(type, f.subspan(off + 2));
  }
  case kNull:
  case kLoop: {
    if (f.size() < 4)
      return MalformedFrame{"loopback header truncated"};
    std::uint32_t fam = lt == kLoop ? (std::uint32_t(f[0]) << 24 | f[1] << 16 | f[2] << 8 | f[3])
                                    : (std::uint32_t(f[3]) << 24 | f[2] << 16 | f[1] << 8 | f[0]);
    if (lt == kNull && fam > 0xffff) // written by a big-endian host
      fam = std::uint32_t(f[0]) << 24 | f[1] << 16 | f[2] << 8 | f[3];
    if (fam == 2)
      return decode_ipv4(f.subspan(4));
    if (fam == 10 || fam == 24 || fam == 28 || fam == 30)
      return decode_ipv6(f.subspan(4));
    return NotUdp{};
  }
  case kSll:
    if (f.size() < 16)
      return MalformedFrame{"Linux cooked header truncated"};
    return decode_ethertype(be16(f.data() + 14), f.subspan(16));
  case kSll2:
    if (f.size() < 20)
      return MalformedFrame{"Linux cooked v2 header truncated"};
    return decode_ethertype(be16(f.data()), f.subspan(20));
  case kRaw:
  case kRawAlt1:
  case kRawAlt2:
    return decode_by_version(f);
  case kIpv4:
    return decode_ipv4(f);
  case kIpv6:
    return decode_ipv6(f);
  default:
    return NotUdp{};
  }
}

} // namespace vg::voice
