// sdp.cpp — strict SDP parser with limits.
#include "voice/sdp.hpp"

#include "common/error.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cctype>

namespace vg::voice {
namespace {

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) != 0;
  });
}

std::string show(std::string_view s) {
  std::string out;
  for (unsigned char c : s.substr(0, 60))
    out += (c < 0x20 || c >= 0x7f) ? '?' : static_cast<char>(c);
  if (s.size() > 60)
    out += "...";
  return out;
}

std::vector<std::string_view> split_sp(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  while (pos <= s.size()) {
    auto sp = s.find(' ', pos);
    out.push_back(s.substr(pos, sp == s.npos ? s.npos : sp - pos));
    if (sp == s.npos)
      break;
    pos = sp + 1;
  }
  return out;
}

std::uint64_t number(std::string_view s, std::uint64_t max, const std::string &where,
                     const std::string &what) {
  if (!all_digits(s) || s.size() > 20)
    throw Error(where, what + " '" + show(s) + "' is not a number");
  std::uint64_t v = 0;
  for (char c : s) {
    v = v * 10 + static_cast<unsigned>(c - '0');
    if (v > max)
      throw Error(where,
                  what + " " + show(s) + " is out of range (maximum " + std::to_string(max) + ")");
  }
  return v;
}

void check_address(std::string_view nettype, std::string_view addrtype, std::string_view addr,
                   const std::string &where) {
  if (nettype != "IN")
    throw Error(where, "network type '" + show(nettype) + "' is not IN");
  if (addrtype != "IP4" && addrtype != "IP6")
    throw Error(where, "address type '" + show(addrtype) + "' is not IP4 or IP6");
  std::string a(addr.substr(0, addr.find('/'))); // multicast TTL / count suffix
  if (a.empty())
    throw Error(where, "empty connection address");
  unsigned char buf[16];
  if (inet_pton(addrtype == "IP4" ? AF_INET : AF_INET6, a.c_str(), buf) == 1)
    return;
  // FQDN
  bool numeric = std::all_of(a.begin(), a.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) || c == '.';
  });
  bool fqdn = !numeric && addrtype == "IP4" && std::all_of(a.begin(), a.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.';
  });
  if (!fqdn)
    throw Error(where, "connection address '" + show(addr) + "' is neither an " +
                           std::string(addrtype) + " address nor a domain name");
}

} // namespace

std::optional<SdpCodec> static_payload_type(int pt) {
  struct S {
    int pt;
    const char *name;
    std::uint32_t rate;
    unsigned ch;
  };
  static const S table[] = {{0, "PCMU", 8000, 1},   {3, "GSM", 8000, 1},    {4, "G723", 8000, 1},
                            {5, "DVI4", 8000, 1},   {6, "DVI4", 16000, 1},  {7, "LPC", 8000, 1},
                            {8, "PCMA", 8000, 1},   {9, "G722", 8000, 1},   {10, "L16", 44100, 2},
                            {11, "L16", 44100, 1},  {12, "QCELP", 8000, 1}, {13, "CN", 8000, 1},
                            {14, "MPA", 90000, 1},  {15, "G728", 8000, 1},  {16, "DVI4", 11025, 1},
                            {17, "DVI4", 22050, 1}, {18, "G729", 8000, 1},  {25, "CelB", 90000, 1},
                            {26, "JPEG", 90000, 1}, {28, "nv", 90000, 1},   {31, "H261", 90000, 1},
                            {32, "MPV", 90000, 1},  {33, "MP2T", 90000, 1}, {34, "H263", 90000, 1}};
  for (const auto &s : table)
    if (s.pt == pt) {
      SdpCodec c;
      c.payload_type = pt;
      c.encoding = s.name;
      c.clock_rate = s.rate;
      c.channels = s.ch;
      c.from_static_table = true;
      return c;
    }
  return std::nullopt;
}

const SdpCodec *SdpMedia::codec(int pt) const {
  for (const auto &c : codecs)
    if (c.payload_type == pt)
      return &c;
  return nullptr;
}

SdpSession parse_sdp(std::string_view body, const SdpLimits &limits) {
  if (body.size() > limits.max_bytes)
    throw Error("SDP", "body of " + std::to_string(body.size()) + " bytes exceeds the limit of " +
                           std::to_string(limits.max_bytes));
  SdpSession s;
  enum class Stage { start, version, origin, session, media } stage = Stage::start;
  bool have_time = false;
  std::size_t line_no = 0;
  std::size_t pos = 0;
  SdpMedia *m = nullptr;
  while (pos < body.size()) {
    auto nl = body.find('\n', pos);
    std::string_view line = body.substr(pos, nl == body.npos ? body.npos : nl - pos);
    pos = nl == body.npos ? body.size() : nl + 1;
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    ++line_no;
    std::string where = "SDP line " + std::to_string(line_no);
    if (line_no > limits.max_lines)
      throw Error("SDP", "more than " + std::to_string(limits.max_lines) + " lines");
    if (line.empty()) {
      if (pos >= body.size())
        break; // trailing empty line
      throw Error(where, "empty line inside the session description");
    }
    if (line.size() > limits.max_line_bytes)
      throw Error(where, "line of " + std::to_string(line.size()) + " bytes exceeds the limit of " +
                             std::to_string(limits.max_line_bytes));
    if (line.size() < 2 || line[1] != '=' || !std::islower(static_cast<unsigned char>(line[0])))
      throw Error(where, "'" + show(line) + "' is not of the form <type>=<value>");
    if (std::any_of(line.begin(), line.end(), [](char c) {
          auto u = static_cast<unsigned char>(c);
          return u < 0x20 && u != '\t';
        }))
      throw Error(where, "control character in '" + show(line) + "'");
    char type = line[0];
    std::string_view v = line.substr(2);
    if (stage == Stage::start) {
      if (type != 'v')
        throw Error(where, "the description must start with v=");
      if (v != "0")
        throw Error(where, "unsupported SDP version '" + show(v) + "'");
      stage = Stage::version;
      continue;
    }
    if (stage == Stage::version) {
      if (type != 'o')
        throw Error(where, "o= must follow v=");
      auto f = split_sp(v);
      if (f.size() != 6 || std::any_of(f.begin(), f.end(), [](auto x) { return x.empty(); }))
        throw Error(where, "o= needs 6 fields separated by single spaces");
      number(f[1], UINT64_MAX / 10, where, "session id");
      number(f[2], UINT64_MAX / 10, where, "session version");
      check_address(f[3], f[4], f[5], where);
      s.origin_user = std::string(f[0]);
      s.origin_address = std::string(f[5]);
      stage = Stage::origin;
      continue;
    }
    if (stage == Stage::origin) {
      if (type != 's')
        throw Error(where, "s= must follow o=");
      s.session_name = std::string(v);
      stage = Stage::session;
      continue;
    }
    switch (type) {
    case 'c': {
      auto f = split_sp(v);
      if (f.size() != 3)
        throw Error(where, "c= needs 3 fields (nettype addrtype address)");
      check_address(f[0], f[1], f[2], where);
      std::string addr(f[2].substr(0, f[2].find('/')));
      if (m)
        m->connection_address = addr;
      else
        s.connection_address = addr;
      break;
    }
    case 't': {
      if (m)
        throw Error(where, "t= after the first m= line");
      auto f = split_sp(v);
      if (f.size() != 2)
        throw Error(where, "t= needs start and stop times");
      number(f[0], UINT64_MAX / 10, where, "start time");
      number(f[1], UINT64_MAX / 10, where, "stop time");
      have_time = true;
      break;
    }
    case 'm': {
      if (!have_time)
        throw Error(where, "m= before any t= line");
      if (s.media.size() >= limits.max_media)
        throw Error(where, "more than " + std::to_string(limits.max_media) + " media sections");
      auto f = split_sp(v);
      if (f.size() < 4 || std::any_of(f.begin(), f.end(), [](auto x) { return x.empty(); }))
        throw Error(where, "m= needs media, port, proto and at least one format, single-spaced");
      if (f.size() - 3 > limits.max_formats)
        throw Error(where, "more than " + std::to_string(limits.max_formats) + " formats");
      SdpMedia media;
      media.media = std::string(f[0]);
      auto slash = f[1].find('/');
      media.port = static_cast<std::uint16_t>(number(f[1].substr(0, slash), 65535, where, "port"));
      if (slash != std::string_view::npos) {
        media.port_count =
            static_cast<unsigned>(number(f[1].substr(slash + 1), 65535, where, "port count"));
        if (media.port_count == 0)
          throw Error(where, "port count 0");
      }
      media.proto = std::string(f[2]);
      for (std::size_t i = 3; i < f.size(); ++i) {
        media.formats.emplace_back(f[i]);
        if (media.is_rtp()) {
          auto pt = static_cast<int>(number(f[i], 127, where, "RTP payload type"));
          if (std::find(media.payload_types.begin(), media.payload_types.end(), pt) !=
              media.payload_types.end())
            throw Error(where, "payload type " + std::to_string(pt) + " listed twice");
          media.payload_types.push_back(pt);
          if (auto st = static_payload_type(pt))
            media.codecs.push_back(*st);
        }
      }
      s.media.push_back(std::move(media));
      m = &s.media.back();
      break;
    }
    case 'a': {
      auto colon = v.find(':');
      std::string_view name = v.substr(0, colon);
      std::string_view val = colon == v.npos ? std::string_view{} : v.substr(colon + 1);
      if (name.empty())
        throw Error(where, "attribute without a name");
      if (!m)
        break; // session-level attributes are not needed
      if (name == "rtpmap") {
        auto sp = val.find(' ');
        if (sp == val.npos)
          throw Error(where, "rtpmap '" + show(val) + "' lacks an encoding");
        auto pt = static_cast<int>(number(val.substr(0, sp), 127, where, "rtpmap payload type"));
        std::string_view enc = val.substr(sp + 1);
        SdpCodec c;
        c.payload_type = pt;
        auto e1 = enc.find('/');
        c.encoding = std::string(enc.substr(0, e1));
        if (c.encoding.empty())
          throw Error(where, "rtpmap with an empty encoding name");
        if (e1 == enc.npos) {
          s.findings.push_back(
              {"sdp.rtpmap-no-clock-rate", Severity::info,
               where + ": rtpmap for payload type " + std::to_string(pt) + " has no clock rate"});
          if (auto st = static_payload_type(pt))
            c.clock_rate = st->clock_rate;
        } else {
          std::string_view rest = enc.substr(e1 + 1);
          auto e2 = rest.find('/');
          c.clock_rate = static_cast<std::uint32_t>(
              number(rest.substr(0, e2), 10000000, where, "rtpmap clock rate"));
          if (c.clock_rate == 0)
            throw Error(where, "rtpmap clock rate 0");
          if (e2 != rest.npos) {
            c.channels =
                static_cast<unsigned>(number(rest.substr(e2 + 1), 255, where, "rtpmap channels"));
            if (c.channels == 0)
              throw Error(where, "rtpmap channel count 0");
          }
        }
        if (std::find(m->payload_types.begin(), m->payload_types.end(), pt) ==
            m->payload_types.end())
          s.findings.push_back({"sdp.rtpmap-not-offered", Severity::warning,
                                where + ": rtpmap for payload type " + std::to_string(pt) +
                                    ", which the m= line does not list"});
        auto existing = std::find_if(m->codecs.begin(), m->codecs.end(),
                                     [&](const SdpCodec &x) { return x.payload_type == pt; });
        if (existing != m->codecs.end()) {
          if (!existing->from_static_table)
            throw Error(where, "second rtpmap for payload type " + std::to_string(pt));
          c.fmtp = existing->fmtp;
          *existing = c;
        } else {
          m->codecs.push_back(c);
        }
      } else if (name == "fmtp") {
        auto sp = val.find(' ');
        auto pt = static_cast<int>(number(val.substr(0, sp), 127, where, "fmtp payload type"));
        for (auto &c : m->codecs)
          if (c.payload_type == pt)
            c.fmtp = sp == val.npos ? std::string{} : std::string(val.substr(sp + 1));
      } else if (name == "ptime") {
        m->ptime = static_cast<unsigned>(number(val, 10000, where, "ptime"));
        if (*m->ptime == 0)
          throw Error(where, "ptime 0");
      } else if (name == "rtcp") {
        m->rtcp_port = static_cast<std::uint16_t>(
            number(val.substr(0, val.find(' ')), 65535, where, "rtcp port"));
      } else if (name == "rtcp-mux") {
        m->rtcp_mux = true;
      } else if (name == "sendrecv" || name == "sendonly" || name == "recvonly" ||
                 name == "inactive") {
        m->direction = std::string(name);
      }
      break;
    }
    case 'i':
    case 'u':
    case 'e':
    case 'p':
    case 'b':
    case 'r':
    case 'z':
    case 'k':
      break;
    default:
      throw Error(where, std::string("unknown line type '") + type + "='");
    }
  }
  if (stage != Stage::session)
    throw Error("SDP", stage == Stage::start ? "empty session description"
                                             : "session description ends before o= and s=");
  if (!have_time)
    throw Error("SDP", "no t= line");
  for (auto &media : s.media) {
    if (media.connection_address.empty())
      media.connection_address = s.connection_address;
    if (media.connection_address.empty() && media.port != 0)
      throw Error("SDP", "m=" + media.media + " has no connection address (no c= line)");
  }
  return s;
}

} // namespace vg::voice
