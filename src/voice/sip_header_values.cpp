// sip_header_values.cpp — recursive-descent parsers for SIP header-field values.
#include "voice/sip_header_values.hpp"

#include "common/ascii_text.hpp"
#include "common/error.hpp"
#include "voice/sip_chars.hpp"

#include <algorithm>
#include <cctype>

namespace vg::voice {
namespace {

// A cursor over one (unfolded) header-field value.
class Cursor {
public:
  Cursor(std::string_view s, std::string_view where) : s_(s), where_(where) {}
  bool eof() const { return i_ >= s_.size(); }
  unsigned char peek() const { return eof() ? 0 : static_cast<unsigned char>(s_[i_]); }
  std::size_t pos() const { return i_; }
  void seek(std::size_t p) { i_ = p; }
  std::string_view rest() const { return s_.substr(std::min(i_, s_.size())); }
  std::string_view text() const { return s_; }
  bool sws() { // skips *WSP, says whether any was there
    std::size_t start = i_;
    while (!eof() && sipchar::wsp(peek()))
      ++i_;
    return i_ != start;
  }
  // SWS c SWS
  bool accept(char c) {
    std::size_t save = i_;
    sws();
    if (peek() == static_cast<unsigned char>(c) && !eof()) {
      ++i_;
      sws();
      return true;
    }
    i_ = save;
    return false;
  }
  void expect(char c, std::string_view what) {
    if (!accept(c))
      fail(std::string("expected '") + c + "' " + std::string(what) + " at '" +
           printable_excerpt(rest()) + "'");
  }
  std::string_view token(std::string_view what) {
    std::size_t start = i_;
    while (!eof() && sipchar::token(peek()))
      ++i_;
    if (start == i_)
      fail(eof() ? "missing " + std::string(what)
                 : "expected " + std::string(what) + " at '" + printable_excerpt(rest()) + "'");
    return s_.substr(start, i_ - start);
  }
  std::string quoted_string() {
    // DQUOTE *(qdtext / quoted-pair) DQUOTE
    if (peek() != '"')
      fail("expected a quoted string at '" + printable_excerpt(rest()) + "'");
    std::size_t start = i_++;
    std::string out;
    while (true) {
      if (eof())
        fail("unterminated quoted string " + printable_excerpt(s_.substr(start)));
      unsigned char c = peek();
      if (c == '"') {
        ++i_;
        break;
      }
      if (c == '\\') {
        ++i_;
        if (eof())
          fail("unterminated quoted string " + printable_excerpt(s_.substr(start)));
        unsigned char q = peek();
        if (q == '\r' || q == '\n' || q > 0x7f)
          fail("invalid quoted-pair in quoted string " + printable_excerpt(s_.substr(start)));
        out += static_cast<char>(q);
        ++i_;
        continue;
      }
      if ((c < 0x20 && c != '\t') || c == 0x7f)
        fail("control character in quoted string " + printable_excerpt(s_.substr(start)));
      out += static_cast<char>(c);
      ++i_;
    }
    std::string_view raw = s_.substr(start, i_ - start);
    if (!valid_utf8(raw))
      fail("quoted string " + printable_excerpt(raw) + " is not valid UTF-8");
    return out;
  }
  [[noreturn]] void fail(const std::string &reason) const {
    throw Error(std::string(where_), reason);
  }

private:
  std::string_view s_;
  std::string_view where_;
  std::size_t i_ = 0;
};

// gen-value = token / host / quoted-string
GenericParam parse_generic_param(Cursor &c) {
  GenericParam p;
  c.sws();
  if (c.eof() || c.peek() == ';' || c.peek() == ',')
    c.fail("empty parameter (nothing between separators) in '" + printable_excerpt(c.text()) + "'");
  p.name = std::string(c.token("parameter name"));
  if (c.accept('=')) {
    p.has_value = true;
    if (c.peek() == '"') {
      p.value = c.quoted_string();
      p.quoted = true;
    } else if (c.peek() == '[') {
      std::size_t start = c.pos();
      auto close = c.rest().find(']');
      if (close == std::string_view::npos)
        c.fail("unterminated IPv6 reference in parameter '" + p.name + "'");
      std::string_view h = c.rest().substr(0, close + 1);
      if (!valid_sip_host(h))
        c.fail("parameter '" + p.name + "' has an invalid IPv6 reference " + printable_excerpt(h));
      c.seek(start + close + 1);
      p.value = std::string(h);
    } else {
      p.value = std::string(c.token("value of parameter '" + p.name + "'"));
    }
  }
  return p;
}

void parse_params(Cursor &c, std::vector<GenericParam> &out, const SipLimits &limits) {
  while (c.accept(';')) {
    if (out.size() >= limits.max_params_per_value)
      c.fail("more than " + std::to_string(limits.max_params_per_value) + " parameters");
    out.push_back(parse_generic_param(c));
  }
}

const GenericParam *find_param(const std::vector<GenericParam> &ps, std::string_view name) {
  for (const auto &p : ps)
    if (ascii_lower(p.name) == ascii_lower(name))
      return &p;
  return nullptr;
}

std::uint64_t digits_value(std::string_view d, std::uint64_t max, Cursor &c,
                           std::string_view what) {
  if (d.empty() || !std::all_of(d.begin(), d.end(), [](char ch) {
        return sipchar::digit(static_cast<unsigned char>(ch));
      }))
    c.fail(std::string(what) + " '" + printable_excerpt(d) + "' is not a decimal number");
  std::uint64_t v = 0;
  for (char ch : d) {
    v = v * 10 + static_cast<unsigned>(ch - '0');
    if (v > max)
      c.fail(std::string(what) + " '" + printable_excerpt(d) + "' is overlarge (maximum " +
             std::to_string(max) + ")");
  }
  return v;
}

void check_param_numbers(const std::vector<GenericParam> &ps, Cursor &c) {
  for (const auto &p : ps) {
    auto n = ascii_lower(p.name);
    if (n == "expires" && p.has_value)
      digits_value(p.value, 0xffffffffULL, c, "expires parameter");
    else if (n == "ttl" && p.has_value)
      digits_value(p.value, 255, c, "ttl parameter");
    else if (n == "q" && p.has_value) {
      // qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
      const std::string &v = p.value;
      bool ok = !v.empty() && (v[0] == '0' || v[0] == '1') &&
                (v.size() == 1 || (v[1] == '.' && v.size() <= 5));
      for (std::size_t i = 2; ok && i < v.size(); ++i)
        ok = sipchar::digit(static_cast<unsigned char>(v[i])) && (v[0] == '0' || v[i] == '0');
      if (!ok)
        c.fail("q parameter '" + printable_excerpt(v) + "' is not a qvalue (0 to 1.000)");
    }
  }
}

NameAddr parse_address(Cursor &c, std::string_view header, bool name_addr_only, bool in_list,
                       const SipLimits &limits) {
  NameAddr na;
  c.sws();
  std::size_t start = c.pos();
  bool has_laquot = false;
  if (c.peek() == '"') {
    na.display_name = c.quoted_string();
    na.has_display_name = true;
    c.sws();
    if (c.peek() != '<')
      c.fail("quoted display name must be followed by '<URI>'");
    has_laquot = true;
  } else if (c.peek() == '<') {
    has_laquot = true;
  } else {
    // display-name = *(token LWS): look ahead for '<'
    std::size_t save = c.pos();
    std::string name;
    while (!c.eof() && sipchar::token(c.peek())) {
      std::string_view t = c.token("display name");
      if (!name.empty())
        name += ' ';
      name += std::string(t);
      c.sws();
    }
    if (c.peek() == '<' && !name.empty()) {
      na.display_name = name;
      na.has_display_name = true;
      has_laquot = true;
    } else {
      c.seek(save);
    }
  }
  if (has_laquot) {
    na.bracketed = true;
    c.seek(c.pos() + 1); // '<'
    auto close = c.rest().find('>');
    if (close == std::string_view::npos)
      c.fail("'<' without a closing '>'");
    std::string_view inner = c.rest().substr(0, close);
    if (!inner.empty() && sipchar::wsp(static_cast<unsigned char>(inner.front())))
      c.fail("whitespace after '<' inside the addr-spec '<" + printable_excerpt(inner) + ">'");
    if (!inner.empty() && sipchar::wsp(static_cast<unsigned char>(inner.back())))
      c.fail("whitespace before '>' inside the addr-spec '<" + printable_excerpt(inner) + ">'");
    na.uri = parse_uri(inner, UriContext::bracketed, header, limits);
    c.seek(c.pos() + close + 1);
  } else {
    if (name_addr_only)
      c.fail("value must be a name-addr with the URI enclosed in <>");
    std::size_t b = c.pos();
    while (!c.eof() && !sipchar::wsp(c.peek()) && c.peek() != ';' && !(in_list && c.peek() == ','))
      c.seek(c.pos() + 1);
    std::string_view spec = c.text().substr(b, c.pos() - b);
    try {
      na.uri = parse_uri(spec, UriContext::bare, header, limits);
    } catch (const Error &e) {
      // "Bell, Alexander <sip:...>": a display name with non-token characters, not quoted
      if (c.text().substr(start).find('<') != std::string_view::npos && spec.find(':') == spec.npos)
        c.fail("display name '" +
               printable_excerpt(c.text().substr(start, c.text().find('<', start) - start)) +
               "' contains characters that are not allowed in an unquoted display name "
               "(non-token characters must be quoted)");
      throw;
    }
  }
  parse_params(c, na.params, limits);
  check_param_numbers(na.params, c);
  return na;
}

} // namespace

const GenericParam *NameAddr::param(std::string_view name) const {
  return find_param(params, name);
}
const GenericParam *ViaValue::param(std::string_view name) const {
  return find_param(params, name);
}

bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t n;
    std::uint32_t cp;
    if (c >= 0xc2 && c <= 0xdf) {
      n = 1;
      cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    for (std::size_t k = 1; k <= n; ++k) {
      if (i + k >= s.size())
        return false;
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80)
        return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
      return false;
    i += n + 1;
  }
  return true;
}

std::vector<ViaValue> parse_via(std::string_view value, const SipLimits &limits) {
  Cursor c(value, "Via");
  std::vector<ViaValue> out;
  c.sws();
  if (c.eof())
    c.fail("empty Via header field");
  while (true) {
    if (out.size() >= limits.max_values_per_field)
      c.fail("more than " + std::to_string(limits.max_values_per_field) + " Via values");
    ViaValue v;
    c.sws();
    if (c.eof() || c.peek() == ',')
      c.fail("empty Via value between commas");
    v.protocol = std::string(c.token("protocol name"));
    c.expect('/', "after the protocol name");
    v.version = std::string(c.token("protocol version"));
    c.expect('/', "after the protocol version");
    v.transport = std::string(c.token("transport"));
    if (!c.sws())
      c.fail("missing whitespace between sent-protocol and sent-by");
    std::size_t hs = c.pos();
    if (c.peek() == '[') {
      auto close = c.rest().find(']');
      if (close == std::string_view::npos)
        c.fail("unterminated IPv6 reference in sent-by");
      c.seek(hs + close + 1);
    } else {
      while (!c.eof() && (sipchar::alphanum(c.peek()) || c.peek() == '-' || c.peek() == '.'))
        c.seek(c.pos() + 1);
    }
    std::string_view host = value.substr(hs, c.pos() - hs);
    if (host.empty())
      c.fail("missing sent-by host at '" + printable_excerpt(c.rest()) + "'");
    if (!valid_sip_host(host))
      c.fail("sent-by host '" + printable_excerpt(host) + "' is not a valid host name or address");
    v.host = std::string(host);
    if (c.accept(':')) {
      std::size_t ps = c.pos();
      while (!c.eof() && sipchar::digit(c.peek()))
        c.seek(c.pos() + 1);
      v.port = static_cast<std::uint16_t>(
          digits_value(value.substr(ps, c.pos() - ps), 65535, c, "sent-by port"));
    }
    parse_params(c, v.params, limits);
    check_param_numbers(v.params, c);
    for (const auto &p : v.params) {
      auto n = ascii_lower(p.name);
      if (n == "received" && (!p.has_value || !valid_sip_host(p.value) ||
                              std::any_of(p.value.begin(), p.value.end(), [](char ch) {
                                return sipchar::alpha(static_cast<unsigned char>(ch)) &&
                                       !sipchar::hex(static_cast<unsigned char>(ch));
                              })))
        c.fail("received parameter '" + printable_excerpt(p.value) + "' is not an IP address");
      if ((n == "branch" || n == "maddr") && !p.has_value)
        c.fail(p.name + " parameter without a value");
    }
    out.push_back(std::move(v));
    c.sws();
    if (c.eof())
      break;
    if (!c.accept(','))
      c.fail("unexpected '" + printable_excerpt(c.rest()) + "' after a Via value");
  }
  return out;
}

NameAddr parse_single_address(std::string_view value, std::string_view header,
                              const SipLimits &limits) {
  Cursor c(value, header);
  c.sws();
  if (c.eof())
    c.fail("empty " + std::string(header) + " header field");
  NameAddr na = parse_address(c, header, false, false, limits);
  c.sws();
  if (!c.eof())
    c.fail("unexpected '" + printable_excerpt(c.rest()) + "' after the address");
  return na;
}

std::vector<NameAddr> parse_address_list(std::string_view value, std::string_view header,
                                         bool name_addr_only, const SipLimits &limits) {
  Cursor c(value, header);
  std::vector<NameAddr> out;
  c.sws();
  if (c.eof())
    c.fail("empty " + std::string(header) + " header field");
  while (true) {
    if (out.size() >= limits.max_values_per_field)
      c.fail("more than " + std::to_string(limits.max_values_per_field) + " values");
    c.sws();
    if (c.eof() || c.peek() == ',')
      c.fail("empty value between commas");
    out.push_back(parse_address(c, header, name_addr_only, true, limits));
    c.sws();
    if (c.eof())
      break;
    if (!c.accept(','))
      c.fail("unexpected '" + printable_excerpt(c.rest()) + "' after an address");
  }
  return out;
}

std::string parse_call_id(std::string_view value) {
  Cursor c(value, "Call-ID");
  c.sws();
  std::size_t start = c.pos();
  auto is_word = [](unsigned char ch) { return sipchar::word(ch); };
  std::size_t n = 0;
  while (!c.eof() && is_word(c.peek())) {
    c.seek(c.pos() + 1);
    ++n;
  }
  if (n == 0)
    c.fail(c.eof() ? "empty Call-ID" : "Call-ID starts with '" + printable_excerpt(c.rest()) + "'");
  if (c.peek() == '@') {
    c.seek(c.pos() + 1);
    std::size_t m = 0;
    while (!c.eof() && is_word(c.peek())) {
      c.seek(c.pos() + 1);
      ++m;
    }
    if (m == 0)
      c.fail("Call-ID has nothing after '@'");
  }
  std::string_view id = value.substr(start, c.pos() - start);
  c.sws();
  if (!c.eof())
    c.fail("Call-ID '" + printable_excerpt(value) + "' contains '" +
           printable_excerpt(c.rest().substr(0, 1)) + "', which is not a word character");
  return std::string(id);
}

CSeqValue parse_cseq(std::string_view value) {
  Cursor c(value, "CSeq");
  c.sws();
  std::size_t s = c.pos();
  while (!c.eof() && sipchar::digit(c.peek()))
    c.seek(c.pos() + 1);
  CSeqValue v;
  std::string_view num = value.substr(s, c.pos() - s);
  if (num.empty())
    c.fail("CSeq does not start with a sequence number: '" + printable_excerpt(value) + "'");
  v.number = static_cast<std::uint32_t>(
      digits_value(num, 0x7fffffffULL, c, "CSeq sequence number (must be below 2**31)"));
  if (!c.sws())
    c.fail("missing whitespace between the CSeq number and method");
  v.method = std::string(c.token("CSeq method"));
  c.sws();
  if (!c.eof())
    c.fail("unexpected '" + printable_excerpt(c.rest()) + "' after the CSeq method");
  return v;
}

std::uint64_t parse_bounded_number(std::string_view value, std::uint64_t max,
                                   std::string_view header) {
  Cursor c(value, header);
  c.sws();
  std::size_t s = c.pos();
  while (!c.eof() && !sipchar::wsp(c.peek()))
    c.seek(c.pos() + 1);
  std::string_view d = value.substr(s, c.pos() - s);
  c.sws();
  if (!c.eof())
    c.fail("value '" + printable_excerpt(value) + "' is not a single number");
  if (!d.empty() && d.front() == '-')
    c.fail("negative value '" + printable_excerpt(d) + "'");
  return digits_value(d, max, c, std::string(header) + " value");
}

MediaType parse_content_type(std::string_view value, std::string_view header,
                             const SipLimits &limits) {
  Cursor c(value, header);
  c.sws();
  MediaType m;
  m.type = ascii_lower(c.token("media type"));
  c.expect('/', "between media type and subtype");
  m.subtype = ascii_lower(c.token("media subtype"));
  parse_params(c, m.params, limits);
  c.sws();
  if (!c.eof())
    c.fail("unexpected '" + printable_excerpt(c.rest()) + "' after the media type");
  return m;
}

std::vector<MediaType> parse_accept(std::string_view value, const SipLimits &limits) {
  Cursor c(value, "Accept");
  std::vector<MediaType> out;
  c.sws();
  if (c.eof())
    return out; // Accept may be empty
  while (true) {
    if (out.size() >= limits.max_values_per_field)
      c.fail("more than " + std::to_string(limits.max_values_per_field) + " media ranges");
    c.sws();
    MediaType m;
    if (c.peek() == '*') {
      c.seek(c.pos() + 1);
      m.type = "*";
    } else {
      m.type = ascii_lower(c.token("media type"));
    }
    c.expect('/', "in media range");
    if (c.peek() == '*') {
      c.seek(c.pos() + 1);
      m.subtype = "*";
    } else {
      m.subtype = ascii_lower(c.token("media subtype"));
    }
    if (m.type == "*" && m.subtype != "*")
      c.fail("media range '*/" + m.subtype + "' is not allowed");
    parse_params(c, m.params, limits);
    out.push_back(std::move(m));
    c.sws();
    if (c.eof())
      break;
    if (!c.accept(','))
      c.fail("unexpected '" + printable_excerpt(c.rest()) + "' in Accept");
  }
  return out;
}

std::vector<std::string> parse_token_list(std::string_view value, std::string_view header,
                                          bool allow_empty, const SipLimits &limits) {
  Cursor c(value, header);
  std::vector<std::string> out;
  c.sws();
  if (c.eof()) {
    if (!allow_empty)
      c.fail("empty " + std::string(header) + " header field");
    return out;
  }
  while (true) {
    if (out.size() >= limits.max_values_per_field)
      c.fail("more than " + std::to_string(limits.max_values_per_field) + " values");
    c.sws();
    out.emplace_back(c.token("option tag"));
    c.sws();
    if (c.eof())
      break;
    if (!c.accept(','))
      c.fail("unexpected '" + printable_excerpt(c.rest()) + "' in the list");
  }
  return out;
}

Credentials parse_credentials(std::string_view value, std::string_view header,
                              const SipLimits &limits) {
  Cursor c(value, header);
  c.sws();
  Credentials cr;
  cr.scheme = std::string(c.token("auth scheme"));
  if (!c.sws())
    c.fail("missing whitespace after the auth scheme");
  while (true) {
    if (cr.params.size() >= limits.max_params_per_value)
      c.fail("more than " + std::to_string(limits.max_params_per_value) + " auth parameters");
    GenericParam p;
    p.name = std::string(c.token("auth parameter name"));
    c.expect('=', "after auth parameter '" + p.name + "'");
    p.has_value = true;
    if (c.peek() == '"') {
      p.value = c.quoted_string();
      p.quoted = true;
    } else {
      p.value = std::string(c.token("auth parameter value"));
    }
    cr.params.push_back(std::move(p));
    c.sws();
    if (c.eof())
      break;
    if (!c.accept(','))
      c.fail("unexpected '" + printable_excerpt(c.rest()) + "' in credentials");
  }
  return cr;
}

std::uint32_t parse_delta_seconds(std::string_view value, std::string_view header, bool retry_after,
                                  const SipLimits &limits) {
  Cursor c(value, header);
  c.sws();
  std::size_t s = c.pos();
  while (!c.eof() && sipchar::digit(c.peek()))
    c.seek(c.pos() + 1);
  std::string_view d = value.substr(s, c.pos() - s);
  if (d.empty())
    c.fail("value '" + printable_excerpt(value) + "' is not delta-seconds");
  auto v = static_cast<std::uint32_t>(
      digits_value(d, 0xffffffffULL, c, std::string(header) + " delta-seconds"));
  if (retry_after) {
    c.sws();
    if (c.peek() == '(') { // comment, possibly nested
      int depth = 0;
      while (!c.eof()) {
        unsigned char ch = c.peek();
        c.seek(c.pos() + 1);
        if (ch == '\\') {
          c.seek(c.pos() + 1);
          continue;
        }
        if (ch == '(')
          ++depth;
        if (ch == ')' && --depth == 0)
          break;
        if (depth > 16)
          c.fail("comment nested too deeply");
      }
      if (depth != 0)
        c.fail("unterminated comment");
    }
    std::vector<GenericParam> ps;
    parse_params(c, ps, limits);
  }
  c.sws();
  if (!c.eof())
    c.fail("unexpected '" + printable_excerpt(c.rest()) + "' after delta-seconds");
  return v;
}

void parse_warning(std::string_view value, const SipLimits &limits) {
  Cursor c(value, "Warning");
  std::size_t n = 0;
  while (true) {
    if (++n > limits.max_values_per_field)
      c.fail("too many warning values");
    c.sws();
    std::size_t s = c.pos();
    while (!c.eof() && sipchar::digit(c.peek()))
      c.seek(c.pos() + 1);
    std::string_view code = value.substr(s, c.pos() - s);
    if (code.size() != 3)
      c.fail("warn-code '" + printable_excerpt(code) + "' must be exactly 3 digits");
    if (c.peek() != ' ')
      c.fail("missing SP after warn-code");
    c.seek(c.pos() + 1);
    std::size_t a = c.pos();
    while (!c.eof() && c.peek() != ' ')
      c.seek(c.pos() + 1);
    if (a == c.pos())
      c.fail("missing warn-agent");
    if (c.peek() != ' ')
      c.fail("missing SP after warn-agent");
    c.seek(c.pos() + 1);
    c.quoted_string();
    c.sws();
    if (c.eof())
      break;
    if (!c.accept(','))
      c.fail("unexpected '" + printable_excerpt(c.rest()) + "' after a warning value");
  }
}

void parse_date(std::string_view value) {
  // rfc1123-date = wkday "," SP date1 SP time SP "GMT"; date1 = 2DIGIT SP month SP 4DIGIT
  Cursor c(value, "Date");
  c.sws();
  std::string_view v = c.rest();
  while (!v.empty() && sipchar::wsp(static_cast<unsigned char>(v.back())))
    v.remove_suffix(1);
  static const char *days[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
  static const char *months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  auto d = [&](std::size_t i) {
    return i < v.size() && sipchar::digit(static_cast<unsigned char>(v[i]));
  };
  bool ok = v.size() == 29 && v[3] == ',' && v[4] == ' ' && d(5) && d(6) && v[7] == ' ' &&
            v[11] == ' ' && d(12) && d(13) && d(14) && d(15) && v[16] == ' ' && d(17) && d(18) &&
            v[19] == ':' && d(20) && d(21) && v[22] == ':' && d(23) && d(24) && v[25] == ' ';
  if (ok) {
    ok = std::any_of(std::begin(days), std::end(days),
                     [&](const char *x) { return v.substr(0, 3) == x; }) &&
         std::any_of(std::begin(months), std::end(months),
                     [&](const char *x) { return v.substr(8, 3) == x; });
  }
  if (v.size() >= 4 && v.substr(v.size() - 4, 1) == " " && v.substr(v.size() - 3) != "GMT")
    c.fail("time zone '" + printable_excerpt(v.substr(v.size() - 3)) +
           "' is not GMT (RFC 3261 requires GMT)");
  if (!ok)
    c.fail("'" + printable_excerpt(v) +
           "' is not an RFC 1123 date (e.g. 'Sat, 13 Nov 2010 23:29:00 GMT')");
}

void check_header_text(std::string_view value, std::string_view header) {
  bool quoted = false;
  for (std::size_t i = 0; i < value.size(); ++i) {
    auto ch = static_cast<unsigned char>(value[i]);
    if (ch == '"')
      quoted = !quoted;
    else if (ch == '\\' && quoted && i + 1 < value.size()) {
      auto q = static_cast<unsigned char>(value[i + 1]);
      if (q == '\r' || q == '\n' || q > 0x7f)
        throw Error(std::string(header), "invalid quoted-pair in the value");
      ++i;
      continue;
    } else if (sipchar::ctl(ch) && ch != '\t') {
      throw Error(std::string(header),
                  "control character 0x" + std::string(1, "0123456789abcdef"[ch >> 4]) +
                      std::string(1, "0123456789abcdef"[ch & 15]) + " in the value");
    }
  }
  if (!valid_utf8(value))
    throw Error(std::string(header), "value is not valid UTF-8");
}

} // namespace vg::voice
