// sip_uri.hpp — SIP/SIPS URIs (RFC 3261 19.1) and other absolute URIs (RFC 2396) in SIP messages.
// Promise: parse_uri() accepts exactly the grammar (escapes checked, host names and addresses
// validated, ports 0-65535, parameter counts bounded) or throws vg::Error naming the element and
// the fault. Headers ("?h=v") are refused in a Request-URI and in a URI that is not enclosed in <>.
#pragma once
#include "voice/sip_limits.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vg::voice {

struct UriParam {
  std::string name;
  std::string value;
  bool has_value = false;
};

struct SipUri {
  std::string text;    // as written
  std::string scheme;  // lower-case
  bool is_sip = false; // sip: or sips:
  std::string user;
  std::string password;
  std::string host;
  std::optional<std::uint16_t> port;
  std::vector<UriParam> params;
  std::vector<UriParam> headers;
  const UriParam *param(std::string_view name) const;
};

enum class UriContext { request_uri, bracketed, bare };

// `where` names the element for error messages ("Request-URI", "To", ...).
SipUri parse_uri(std::string_view text, UriContext ctx, std::string_view where,
                 const SipLimits &limits);

// host = hostname / IPv4address / IPv6reference
bool valid_sip_host(std::string_view host);
// True when every '%' starts a %HH escape.
bool valid_escapes(std::string_view s);

} // namespace vg::voice
