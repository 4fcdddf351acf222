// sip_message.cpp — SIP message framing, start line, header-field dispatch and body.
#include "voice/sip_message.hpp"

#include "common/ascii_text.hpp"
#include "common/error.hpp"
#include "voice/sip_chars.hpp"

#include <algorithm>
#include <cctype>
#include <new>

namespace vg::voice {
namespace {

std::string canonical_name(std::string_view name) {
  std::string n = ascii_lower(name);
  if (n.size() == 1) {
    switch (n[0]) {
    case 'a':
      return "accept-contact";
    case 'b':
      return "referred-by";
    case 'c':
      return "content-type";
    case 'd':
      return "request-disposition";
    case 'e':
      return "content-encoding";
    case 'f':
      return "from";
    case 'i':
      return "call-id";
    case 'j':
      return "reject-contact";
    case 'k':
      return "supported";
    case 'l':
      return "content-length";
    case 'm':
      return "contact";
    case 'n':
      return "identity-info";
    case 'o':
      return "event";
    case 'r':
      return "refer-to";
    case 's':
      return "subject";
    case 't':
      return "to";
    case 'u':
      return "allow-events";
    case 'v':
      return "via";
    case 'x':
      return "session-expires";
    case 'y':
      return "identity";
    default:
      break;
    }
  }
  return n;
}

// SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT ; only 2.0 is supported
void check_version(std::string_view v, std::string_view where) {
  bool grammar = v.size() >= 7 && ascii_lower(v.substr(0, 4)) == "sip/";
  std::size_t dot = grammar ? v.find('.', 4) : std::string_view::npos;
  if (grammar) {
    std::string_view major = v.substr(4, dot == v.npos ? v.npos : dot - 4);
    std::string_view minor = dot == v.npos ? std::string_view{} : v.substr(dot + 1);
    auto digits = [](std::string_view d) {
      return !d.empty() && std::all_of(d.begin(), d.end(), [](char c) {
        return sipchar::digit(static_cast<unsigned char>(c));
      });
    };
    grammar = digits(major) && digits(minor);
  }
  if (!grammar)
    throw Error(std::string(where), "malformed SIP-Version '" + printable_excerpt(v) + "'");
  if (v.substr(4) != "2.0")
    throw Error(std::string(where),
                "unsupported SIP version '" + printable_excerpt(v) + "' (only SIP/2.0)");
}

void parse_request_line(std::string_view line, SipMessage &m, const SipLimits &limits) {
  const std::string where = "Request-Line";
  auto sp1 = line.find(' ');
  if (sp1 == std::string_view::npos)
    throw Error(where, "'" + printable_excerpt(line) + "' has no SP after the method");
  std::string_view method = line.substr(0, sp1);
  if (method.empty())
    throw Error(where, "empty method");
  for (char c : method)
    if (!sipchar::token(static_cast<unsigned char>(c)))
      throw Error(where, "method '" + printable_excerpt(method) +
                             "' contains non-token character '" +
                             printable_excerpt(std::string_view(&c, 1)) + "'");
  std::string_view rest = line.substr(sp1 + 1);
  if (!rest.empty() && sipchar::wsp(static_cast<unsigned char>(rest.front())))
    throw Error(where, "multiple SP between Method and Request-URI (exactly one SP required)");
  auto sp2 = rest.find(' ');
  if (sp2 == std::string_view::npos)
    throw Error(where, "'" + printable_excerpt(line) + "' has no SP before the SIP-Version");
  std::string_view uri = rest.substr(0, sp2);
  std::string_view tail = rest.substr(sp2 + 1);
  if (!tail.empty() && sipchar::wsp(static_cast<unsigned char>(tail.front())))
    throw Error(where, "multiple SP between Request-URI and SIP-Version (exactly one SP required)");
  if (!tail.empty() && sipchar::wsp(static_cast<unsigned char>(tail.back())))
    throw Error(where, "SP characters at the end of the Request-Line after the SIP-Version");
  if (tail.find_first_of(" \t") != std::string_view::npos)
    throw Error(where, "embedded whitespace in the Request-URI '" +
                           printable_excerpt(line.substr(sp1 + 1, line.rfind(' ') - sp1 - 1)) +
                           "' (the Request-Line must have exactly three elements)");
  if (uri.find('\t') != std::string_view::npos)
    throw Error(where, "embedded whitespace in the Request-URI");
  check_version(tail, where);
  m.is_request = true;
  m.method = std::string(method);
  m.request_uri = parse_uri(uri, UriContext::request_uri, "Request-URI", limits);
}

void parse_status_line(std::string_view line, SipMessage &m) {
  const std::string where = "Status-Line";
  auto sp1 = line.find(' ');
  if (sp1 == std::string_view::npos)
    throw Error(where, "'" + printable_excerpt(line) + "' has no SP after the SIP-Version");
  check_version(line.substr(0, sp1), where);
  std::string_view rest = line.substr(sp1 + 1);
  std::size_t n = 0;
  while (n < rest.size() && sipchar::digit(static_cast<unsigned char>(rest[n])))
    ++n;
  std::string_view code = rest.substr(0, n);
  if (n == 0)
    throw Error(where, "missing Status-Code in '" + printable_excerpt(line) + "'");
  if (n != 3)
    throw Error(where, "Status-Code '" + printable_excerpt(code) + "' is not exactly 3 digits");
  m.status_code =
      static_cast<unsigned>((code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0'));
  if (m.status_code < 100 || m.status_code > 699)
    throw Error(where, "Status-Code " + std::string(code) + " is outside 100-699");
  if (n == rest.size())
    throw Error(where, "missing SP between the Status-Code and the Reason-Phrase");
  if (rest[n] != ' ')
    throw Error(where, "Status-Code '" + printable_excerpt(rest.substr(0, n + 1)) +
                           "' is not exactly 3 digits");
  std::string_view reason = rest.substr(n + 1);
  // Reason-Phrase = *(reserved / unreserved / escaped / UTF8-NONASCII / UTF8-CONT / SP / HTAB)
  for (std::size_t i = 0; i < reason.size(); ++i) {
    auto c = static_cast<unsigned char>(reason[i]);
    if (c == '%') {
      if (i + 2 >= reason.size() || !sipchar::hex(static_cast<unsigned char>(reason[i + 1])) ||
          !sipchar::hex(static_cast<unsigned char>(reason[i + 2])))
        throw Error(where, "Reason-Phrase has a '%' that is not a %HH escape");
      i += 2;
      continue;
    }
    if (!(sipchar::reserved(c) || sipchar::unreserved(c) || c >= 0x80 || sipchar::wsp(c)))
      throw Error(where, "Reason-Phrase contains '" +
                             printable_excerpt(std::string_view(&reason[i], 1)) +
                             "', which is not allowed there");
  }
  if (!valid_utf8(reason))
    throw Error(where, "Reason-Phrase is not valid UTF-8");
  m.reason_phrase = std::string(reason);
}

void advisory(SipMessage &m, std::string_view what, std::size_t len, std::size_t limit,
              std::string_view option) {
  if (len > limit)
    m.findings.push_back({"sip.limit", Severity::warning,
                          std::string(what) + " is " + std::to_string(len) +
                              " bytes, longer than " + std::string(option) + " " +
                              std::to_string(limit)});
}

void dispatch_header(const SipHeaderField &h, SipMessage &m, const SipLimits &limits) {
  const std::string &n = h.canonical;
  const std::string_view v = h.value;
  if (n == "via") {
    auto vs = parse_via(v, limits);
    if (m.vias.size() + vs.size() > limits.max_values_per_field)
      throw Error("Via",
                  "more than " + std::to_string(limits.max_values_per_field) + " Via values");
    advisory(m, "Via header field", v.size(), limits.max_via_len, "max_via_len");
    m.vias.insert(m.vias.end(), vs.begin(), vs.end());
  } else if (n == "from" || n == "to") {
    auto na = parse_single_address(v, n == "from" ? "From" : "To", limits);
    advisory(m, n == "from" ? "From header field" : "To header field", v.size(),
             n == "from" ? limits.max_from_len : limits.max_to_len,
             n == "from" ? "max_from_len" : "max_to_len");
    auto &slot = n == "from" ? m.from : m.to;
    if (!slot)
      slot = std::move(na);
  } else if (n == "reply-to") {
    parse_single_address(v, "Reply-To", limits);
  } else if (n == "contact") {
    advisory(m, "Contact header field", v.size(), limits.max_contact_len, "max_contact_len");
    if (v == "*") {
      m.contact_star = true;
    } else {
      auto cs = parse_address_list(v, "Contact", false, limits);
      if (m.contacts.size() + cs.size() > limits.max_values_per_field)
        throw Error("Contact",
                    "more than " + std::to_string(limits.max_values_per_field) + " Contact values");
      m.contacts.insert(m.contacts.end(), cs.begin(), cs.end());
    }
  } else if (n == "route" || n == "record-route") {
    auto rs = parse_address_list(v, n == "route" ? "Route" : "Record-Route", true, limits);
    auto &dst = n == "route" ? m.routes : m.record_routes;
    if (dst.size() + rs.size() > limits.max_values_per_field)
      throw Error(h.name, "too many route values");
    dst.insert(dst.end(), rs.begin(), rs.end());
  } else if (n == "call-id") {
    auto id = parse_call_id(v);
    advisory(m, "Call-ID", id.size(), limits.max_call_id_len, "max_call_id_len");
    if (m.call_id.empty())
      m.call_id = id;
  } else if (n == "cseq") {
    auto c = parse_cseq(v);
    if (!m.cseq)
      m.cseq = c;
  } else if (n == "max-forwards") {
    auto mf = static_cast<unsigned>(parse_bounded_number(v, 255, "Max-Forwards"));
    if (!m.max_forwards)
      m.max_forwards = mf;
  } else if (n == "content-length") {
    m.content_lengths.push_back(
        static_cast<std::size_t>(parse_bounded_number(v, 0xffffffffULL, "Content-Length")));
  } else if (n == "content-type") {
    auto ct = parse_content_type(v, "Content-Type", limits);
    if (!m.content_type)
      m.content_type = ct;
  } else if (n == "expires" || n == "min-expires") {
    parse_delta_seconds(v, h.name, false, limits);
  } else if (n == "retry-after") {
    parse_delta_seconds(v, "Retry-After", true, limits);
  } else if (n == "warning") {
    parse_warning(v, limits);
  } else if (n == "date") {
    parse_date(v);
  } else if (n == "require" || n == "proxy-require" || n == "unsupported") {
    auto tags = parse_token_list(v, h.name, false, limits);
    if (n == "require")
      m.require.insert(m.require.end(), tags.begin(), tags.end());
    else if (n == "proxy-require")
      m.proxy_require.insert(m.proxy_require.end(), tags.begin(), tags.end());
  } else if (n == "supported" || n == "allow") {
    parse_token_list(v, h.name, true, limits);
  } else if (n == "accept") {
    auto a = parse_accept(v, limits);
    if (!m.accept)
      m.accept = std::move(a);
    else
      m.accept->insert(m.accept->end(), a.begin(), a.end());
  } else if (n == "authorization" || n == "proxy-authorization") {
    m.authorizations.push_back(parse_credentials(v, h.name, limits));
  } else {
    check_header_text(v, h.name);
  }
}

} // namespace

std::size_t SipMessage::count(std::string_view canonical) const {
  return static_cast<std::size_t>(
      std::count_if(headers.begin(), headers.end(),
                    [&](const SipHeaderField &h) { return h.canonical == canonical; }));
}

const SipHeaderField *SipMessage::header(std::string_view canonical) const {
  for (const auto &h : headers)
    if (h.canonical == canonical)
      return &h;
  return nullptr;
}

std::string SipMessage::summary() const {
  if (is_request)
    return method + " " + request_uri.text;
  std::string s = std::to_string(status_code) + " " + reason_phrase;
  if (cseq)
    s += " (" + cseq->method + ")";
  return s;
}

std::string_view SipVerdict::name() const {
  if (!message)
    return "invalid";
  for (const auto &f : message->findings)
    if (f.severity != Severity::info)
      return "suspicious";
  return "valid";
}

bool looks_like_sip(std::string_view b) {
  if (b.size() >= 8 && ascii_lower(b.substr(0, 8)) == "sip/2.0 ")
    return true;
  auto sp = b.find(' ');
  if (sp == std::string_view::npos || sp == 0 || sp > 64)
    return false;
  for (std::size_t i = 0; i < sp; ++i)
    if (!sipchar::token(static_cast<unsigned char>(b[i])))
      return false;
  auto eol = b.find("\r\n");
  std::string_view line = b.substr(0, eol);
  return line.size() > 8 && ascii_lower(line.substr(line.size() - 8)) == " sip/2.0";
}

SipMessage parse_sip_message(std::string_view bytes, const SipLimits &limits,
                             const SdpLimits &sdp_limits) {
  if (bytes.size() > limits.max_message_bytes)
    throw Error("message", std::to_string(bytes.size()) + " bytes exceed the limit of " +
                               std::to_string(limits.max_message_bytes));
  std::string_view b = bytes;
  while (b.size() >= 2 && b.substr(0, 2) == "\r\n") // RFC 3261 7.5: ignore leading CRLFs
    b.remove_prefix(2);
  if (b.empty())
    throw Error("message", "empty (no start line)");
  auto end = b.find("\r\n\r\n");
  if (end == std::string_view::npos) {
    if (b.find("\n\n") != std::string_view::npos)
      throw Error("message", "header section ends with bare LF line breaks (CRLF is required)");
    throw Error("message", "no empty line ends the header section (message truncated?)");
  }
  std::string_view head = b.substr(0, end);
  std::string_view after = b.substr(end + 4);

  SipMessage m;
  std::size_t pos = 0;
  std::size_t line_no = 0;
  bool first = true;
  while (pos <= head.size()) {
    auto eol = head.find("\r\n", pos);
    std::string_view line = head.substr(pos, eol == head.npos ? head.npos : eol - pos);
    pos = eol == head.npos ? head.size() + 1 : eol + 2;
    ++line_no;
    std::string where = "line " + std::to_string(line_no);
    if (line.find_first_of("\r\n") != std::string_view::npos)
      throw Error(where, "bare CR or LF inside a line (lines must end with CRLF)");
    if (first) {
      first = false;
      if (line.empty())
        throw Error("start line", "empty start line");
      if (sipchar::wsp(static_cast<unsigned char>(line.front())))
        throw Error("start line", "leading whitespace before the start line");
      if (line.size() >= 4 && ascii_lower(line.substr(0, 4)) == "sip/")
        parse_status_line(line, m);
      else
        parse_request_line(line, m, limits);
      continue;
    }
    if (line.empty())
      throw Error(where, "empty line inside the header section");
    if (sipchar::wsp(static_cast<unsigned char>(line.front()))) {
      if (m.headers.empty())
        throw Error(where, "continuation line before any header field");
      auto &v = m.headers.back().value;
      v += ' ';
      std::string_view t = line;
      while (!t.empty() && sipchar::wsp(static_cast<unsigned char>(t.front())))
        t.remove_prefix(1);
      v += std::string(t);
      if (v.size() > limits.max_header_field_bytes)
        throw Error(m.headers.back().name, "header field longer than " +
                                               std::to_string(limits.max_header_field_bytes) +
                                               " bytes");
      continue;
    }
    auto colon = line.find(':');
    if (colon == std::string_view::npos)
      throw Error(where, "header line '" + printable_excerpt(line) + "' has no ':'");
    std::string_view name = line.substr(0, colon);
    while (!name.empty() && sipchar::wsp(static_cast<unsigned char>(name.back())))
      name.remove_suffix(1);
    if (name.empty())
      throw Error(where, "header field with an empty name");
    for (char c : name)
      if (!sipchar::token(static_cast<unsigned char>(c)))
        throw Error(where, "header field name '" + printable_excerpt(name) + "' contains '" +
                               printable_excerpt(std::string_view(&c, 1)) +
                               "', which is not a token character");
    if (m.headers.size() >= limits.max_header_fields)
      throw Error(where,
                  "more than " + std::to_string(limits.max_header_fields) + " header fields");
    SipHeaderField h;
    h.name = std::string(name);
    h.canonical = canonical_name(name);
    h.value = std::string(line.substr(colon + 1));
    if (h.value.size() > limits.max_header_field_bytes)
      throw Error(h.name, "header field longer than " +
                              std::to_string(limits.max_header_field_bytes) + " bytes");
    m.headers.push_back(std::move(h));
  }
  for (auto &h : m.headers) {
    std::string &v = h.value;
    std::size_t a = 0;
    while (a < v.size() && sipchar::wsp(static_cast<unsigned char>(v[a])))
      ++a;
    std::size_t z = v.size();
    while (z > a && sipchar::wsp(static_cast<unsigned char>(v[z - 1])))
      --z;
    v = v.substr(a, z - a);
    dispatch_header(h, m, limits);
  }
  if (m.is_request && m.cseq && m.cseq->method != m.method)
    throw Error("CSeq", "method '" + printable_excerpt(m.cseq->method) +
                            "' does not match the Request-Line method '" +
                            printable_excerpt(m.method) + "'");
  if (m.is_request)
    advisory(m, "Method", m.method.size(), limits.max_method_len, "max_requestName_len");
  if (m.is_request)
    advisory(m, "Request-URI", m.request_uri.text.size(), limits.max_uri_len, "max_uri_len");

  // body
  bool conflicting = false;
  for (auto l : m.content_lengths)
    conflicting |= l != m.content_lengths.front();
  if (!m.content_lengths.empty() && !conflicting) {
    std::size_t cl = m.content_lengths.front();
    if (cl > after.size())
      throw Error("Content-Length", std::to_string(cl) + " is larger than the " +
                                        std::to_string(after.size()) +
                                        " octets that follow the header section");
    m.body = std::string(after.substr(0, cl));
    m.trailing_bytes = after.size() - cl;
    if (m.trailing_bytes)
      m.findings.push_back({"sip.trailing-data", Severity::info,
                            std::to_string(m.trailing_bytes) +
                                " octets after the end given by Content-Length are ignored"});
  } else {
    m.body = std::string(after);
  }
  if (m.body.size() > limits.max_body_bytes)
    throw Error("body", std::to_string(m.body.size()) + " bytes exceed the limit of " +
                            std::to_string(limits.max_body_bytes));
  advisory(m, "Body", m.body.size(), limits.max_content_len, "max_content_len");
  if (conflicting) {
    std::string vals;
    for (auto l : m.content_lengths)
      vals += (vals.empty() ? "" : ", ") + std::to_string(l);
    m.findings.push_back({"sip.conflicting-content-length", Severity::alert,
                          "conflicting Content-Length values (" + vals +
                              "): the body's extent is ambiguous (request smuggling)"});
  }
  if (m.content_type && m.content_type->full() == "application/sdp" && !m.body.empty()) {
    try {
      m.sdp = parse_sdp(m.body, sdp_limits);
      m.findings.insert(m.findings.end(), m.sdp->findings.begin(), m.sdp->findings.end());
    } catch (const Error &e) {
      m.findings.push_back(
          {"sdp.malformed", Severity::alert, std::string("SDP body rejected: ") + e.what()});
    }
  }
  add_semantic_findings(m, limits);
  return m;
}

SipVerdict inspect_sip_message(std::string_view bytes, const SipLimits &limits,
                               const SdpLimits &sdp_limits) {
  SipVerdict v;
  try {
    v.message = parse_sip_message(bytes, limits, sdp_limits);
  } catch (const Error &e) {
    v.reason = e.what();
  } catch (const std::bad_alloc &) {
    v.reason = "message: out of memory while parsing";
  } catch (const std::exception &e) {
    v.reason = std::string("message: internal parser error: ") + e.what();
  }
  return v;
}

} // namespace vg::voice
