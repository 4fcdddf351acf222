// sip_uri.cpp — strict SIP-URI / absoluteURI parsing.
#include "voice/sip_uri.hpp"

#include "common/ascii_text.hpp"
#include "common/error.hpp"
#include "voice/sip_chars.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cctype>

namespace vg::voice {
namespace {

[[noreturn]] void fail(std::string_view where, const std::string &reason) {
  throw Error(std::string(where), reason);
}

std::string show(std::string_view s) {
  return printable_excerpt(s, 80);
}

// Checks that every octet of `s` is allowed by `ok` or starts a %HH escape.
template <class Pred>
void check_chars(std::string_view s, Pred ok, std::string_view what, std::string_view where) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c == '%') {
      if (i + 2 >= s.size() || !sipchar::hex(static_cast<unsigned char>(s[i + 1])) ||
          !sipchar::hex(static_cast<unsigned char>(s[i + 2])))
        fail(where, std::string(what) + " '" + show(s) + "' has a '%' that is not a %HH escape");
      i += 2;
      continue;
    }
    if (!ok(c)) {
      std::string reason = std::string(what) + " '" + show(s) + "' contains '" +
                           show(std::string_view(&s[i], 1)) + "', which is not allowed there";
      if (c == ' ' || c == '\t')
        reason = std::string(what) + " '" + show(s) + "' contains embedded whitespace";
      fail(where, reason);
    }
  }
}

bool valid_label(std::string_view l, bool top) {
  if (l.empty() || !sipchar::alphanum(static_cast<unsigned char>(l.front())) ||
      !sipchar::alphanum(static_cast<unsigned char>(l.back())))
    return false;
  if (top && !sipchar::alpha(static_cast<unsigned char>(l.front())))
    return false;
  return std::all_of(l.begin(), l.end(), [](char c) {
    return sipchar::alphanum(static_cast<unsigned char>(c)) || c == '-';
  });
}

void parse_params(std::string_view s, std::vector<UriParam> &out, char sep, bool header,
                  std::string_view where, const SipLimits &limits) {
  // s is the text after the first separator; items separated by `sep`.
  std::size_t pos = 0;
  while (true) {
    std::size_t end = s.find(sep, pos);
    std::string_view item = s.substr(pos, end == std::string_view::npos ? s.npos : end - pos);
    if (item.empty())
      fail(where,
           std::string("empty URI ") + (header ? "header" : "parameter") + " in '" + show(s) + "'");
    if (out.size() >= limits.max_params_per_value)
      fail(where, "more than " + std::to_string(limits.max_params_per_value) + " URI " +
                      (header ? "headers" : "parameters"));
    UriParam p;
    auto eq = item.find('=');
    std::string_view name = item.substr(0, eq);
    if (name.empty())
      fail(where, std::string("URI ") + (header ? "header" : "parameter") + " '" + show(item) +
                      "' has an empty name");
    auto pc = [header](unsigned char c) {
      return sipchar::unreserved(c) ||
             (header ? sipchar::hnv_unreserved(c) : sipchar::param_unreserved(c));
    };
    check_chars(name, pc, header ? "URI header name" : "URI parameter name", where);
    p.name = std::string(name);
    if (eq != std::string_view::npos) {
      std::string_view value = item.substr(eq + 1);
      if (value.empty() && !header)
        fail(where, "URI parameter '" + show(name) + "=' has an empty value");
      check_chars(value, pc, header ? "URI header value" : "URI parameter value", where);
      p.value = std::string(value);
      p.has_value = true;
    } else if (header) {
      fail(where, "URI header '" + show(item) + "' lacks '=value'");
    }
    out.push_back(std::move(p));
    if (end == std::string_view::npos)
      break;
    pos = end + 1;
  }
}

} // namespace

const UriParam *SipUri::param(std::string_view name) const {
  for (const auto &p : params)
    if (ascii_lower(p.name) == ascii_lower(name))
      return &p;
  return nullptr;
}

bool valid_escapes(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i)
    if (s[i] == '%') {
      if (i + 2 >= s.size() || !sipchar::hex(static_cast<unsigned char>(s[i + 1])) ||
          !sipchar::hex(static_cast<unsigned char>(s[i + 2])))
        return false;
      i += 2;
    }
  return true;
}

bool valid_sip_host(std::string_view host) {
  if (host.empty() || host.size() > 255)
    return false;
  if (host.front() == '[') {
    if (host.size() < 4 || host.back() != ']')
      return false;
    std::string inner(host.substr(1, host.size() - 2));
    unsigned char buf[16];
    return inet_pton(AF_INET6, inner.c_str(), buf) == 1;
  }
  if (std::all_of(host.begin(), host.end(), [](char c) {
        return sipchar::digit(static_cast<unsigned char>(c)) || c == '.';
      })) {
    std::string s(host);
    unsigned char buf[4];
    return inet_pton(AF_INET, s.c_str(), buf) == 1;
  }
  std::string_view h = host;
  if (h.back() == '.')
    h.remove_suffix(1);
  std::size_t pos = 0;
  while (true) {
    auto dot = h.find('.', pos);
    std::string_view label = h.substr(pos, dot == h.npos ? h.npos : dot - pos);
    bool top = dot == h.npos;
    if (!valid_label(label, top))
      return false;
    if (top)
      return true;
    pos = dot + 1;
  }
}

SipUri parse_uri(std::string_view text, UriContext ctx, std::string_view where,
                 const SipLimits &limits) {
  SipUri uri;
  uri.text = std::string(text);
  if (text.empty())
    fail(where, "empty URI");
  if (text.front() == '<')
    fail(where, ctx == UriContext::request_uri
                    ? "Request-URI must not be enclosed in <>"
                    : "URI '" + show(text) + "' starts with a stray '<'");
  auto colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0)
    fail(where, "'" + show(text) + "' is not a URI (no scheme)");
  std::string_view scheme = text.substr(0, colon);
  if (!sipchar::alpha(static_cast<unsigned char>(scheme.front())) ||
      !std::all_of(scheme.begin(), scheme.end(), [](char c) {
        return sipchar::alphanum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
      }))
    fail(where, "URI scheme '" + show(scheme) + "' is not a valid scheme name");
  uri.scheme = ascii_lower(scheme);
  std::string_view rest = text.substr(colon + 1);
  if (uri.scheme != "sip" && uri.scheme != "sips") {
    // absoluteURI = scheme ":" ( hier-part / opaque-part ), every octet uric
    if (rest.empty())
      fail(where, "URI '" + show(text) + "' has nothing after the scheme");
    check_chars(rest, sipchar::uric, "URI", where);
    if (ctx == UriContext::bare && rest.find_first_of(",;?") != std::string_view::npos)
      fail(where, "URI '" + show(text) + "' contains ',', ';' or '?' and must be enclosed in <>");
    return uri;
  }
  uri.is_sip = true;
  // headers
  std::string_view headers;
  auto q = rest.find('?');
  auto at = rest.find('@');
  // '?' may legally appear in the user part (user-unreserved); headers start after the host.
  if (q != std::string_view::npos && at != std::string_view::npos && q < at)
    q = rest.find('?', at);
  if (q != std::string_view::npos) {
    headers = rest.substr(q + 1);
    rest = rest.substr(0, q);
    if (ctx == UriContext::request_uri)
      fail(where, "Request-URI '" + show(text) +
                      "' carries header fields ('?...'), which a Request-URI must not contain");
    if (ctx == UriContext::bare)
      fail(where, "URI '" + show(text) + "' has header fields ('?...') but is not enclosed in <>");
    parse_params(headers, uri.headers, '&', true, where, limits);
  }
  if (at != std::string_view::npos) {
    std::string_view userinfo = rest.substr(0, at);
    rest = rest.substr(at + 1);
    auto pc = userinfo.find(':');
    std::string_view user = userinfo.substr(0, pc);
    if (user.empty())
      fail(where, "URI '" + show(text) + "' has an empty user part before '@'");
    check_chars(
        user, [](unsigned char c) { return sipchar::unreserved(c) || sipchar::user_unreserved(c); },
        "URI user part", where);
    uri.user = std::string(user);
    if (pc != std::string_view::npos) {
      std::string_view password = userinfo.substr(pc + 1);
      check_chars(
          password,
          [](unsigned char c) { return sipchar::unreserved(c) || sipchar::password_extra(c); },
          "URI password", where);
      uri.password = std::string(password);
    }
  }
  // hostport *( ";" uri-parameter )
  std::string_view hostport = rest;
  std::string_view params;
  auto semi = rest.find(';');
  if (semi != std::string_view::npos) {
    hostport = rest.substr(0, semi);
    params = rest.substr(semi + 1);
    if (ctx == UriContext::bare)
      fail(where, "URI '" + show(text) + "' has parameters but is not enclosed in <>");
  }
  std::string_view host = hostport;
  if (!hostport.empty() && hostport.front() == '[') {
    auto close = hostport.find(']');
    if (close == std::string_view::npos)
      fail(where, "URI '" + show(text) + "' has an unterminated IPv6 reference");
    host = hostport.substr(0, close + 1);
    std::string_view after = hostport.substr(close + 1);
    if (!after.empty() && after.front() != ':')
      fail(where, "URI '" + show(text) + "' has junk after the IPv6 reference");
    hostport = after;
  } else {
    auto pcol = hostport.find(':');
    host = hostport.substr(0, pcol);
    hostport = pcol == std::string_view::npos ? std::string_view{} : hostport.substr(pcol);
  }
  if (host.empty())
    fail(where, "URI '" + show(text) + "' has no host");
  if (host.find_first_of(" \t") != std::string_view::npos)
    fail(where, "URI '" + show(text) + "' contains embedded whitespace");
  if (!valid_sip_host(host))
    fail(where, "URI host '" + show(host) + "' is not a valid host name or address");
  uri.host = std::string(host);
  if (!hostport.empty()) { // ":port"
    std::string_view port = hostport.substr(1);
    if (port.empty() || port.size() > 5 || !std::all_of(port.begin(), port.end(), [](char c) {
          return sipchar::digit(static_cast<unsigned char>(c));
        }))
      fail(where, "URI port '" + show(port) + "' is not a number 0-65535");
    unsigned long v = std::stoul(std::string(port));
    if (v > 65535)
      fail(where, "URI port " + std::string(port) + " is larger than 65535");
    uri.port = static_cast<std::uint16_t>(v);
  }
  if (semi != std::string_view::npos)
    parse_params(params, uri.params, ';', false, where, limits);
  return uri;
}

} // namespace vg::voice
