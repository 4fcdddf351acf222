// sip_header_values.hpp — the structured SIP header-field values of RFC 3261 section 25.
// Promise: each parse_* function consumes exactly the grammar of its header field value (LWS/SWS
// around separators, quoted strings with quoted-pairs, generic parameters) and throws vg::Error
// naming the header field and the fault otherwise. Counts of values and parameters are bounded by
// SipLimits.
#pragma once
#include "voice/sip_limits.hpp"
#include "voice/sip_uri.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vg::voice {

struct GenericParam {
  std::string name;  // as written
  std::string value; // unquoted form for quoted strings
  bool has_value = false;
  bool quoted = false;
};

struct NameAddr {
  std::string display_name; // unquoted
  bool has_display_name = false;
  bool bracketed = false; // URI was written inside <>
  SipUri uri;
  std::vector<GenericParam> params; // header parameters (tag, expires, q, ...)
  const GenericParam *param(std::string_view name) const;
};

struct ViaValue {
  std::string protocol;  // "SIP"
  std::string version;   // "2.0"
  std::string transport; // "UDP"
  std::string host;
  std::optional<std::uint16_t> port;
  std::vector<GenericParam> params;
  const GenericParam *param(std::string_view name) const;
};

struct MediaType {
  std::string type;    // lower-case
  std::string subtype; // lower-case
  std::vector<GenericParam> params;
  std::string full() const { return type + "/" + subtype; }
};

struct Credentials {
  std::string scheme;
  std::vector<GenericParam> params;
};

std::vector<ViaValue> parse_via(std::string_view value, const SipLimits &limits);
// To/From/Reply-To (single value); addr-spec allowed.
NameAddr parse_single_address(std::string_view value, std::string_view header,
                              const SipLimits &limits);
// Contact (may be "*"), Route, Record-Route: comma-separated; `name_addr_only` for
// Route/Record-Route.
std::vector<NameAddr> parse_address_list(std::string_view value, std::string_view header,
                                         bool name_addr_only, const SipLimits &limits);
// Call-ID = word ["@" word]
std::string parse_call_id(std::string_view value);
struct CSeqValue {
  std::uint32_t number = 0;
  std::string method;
};
CSeqValue parse_cseq(std::string_view value);
// 1*DIGIT with an upper bound; `header` names the field.
std::uint64_t parse_bounded_number(std::string_view value, std::uint64_t max,
                                   std::string_view header);
MediaType parse_content_type(std::string_view value, std::string_view header,
                             const SipLimits &limits);
std::vector<MediaType> parse_accept(std::string_view value, const SipLimits &limits);
std::vector<std::string> parse_token_list(std::string_view value, std::string_view header,
                                          bool allow_empty, const SipLimits &limits);
Credentials parse_credentials(std::string_view value, std::string_view header,
                              const SipLimits &limits);
// Expires / Min-Expires / Retry-After (delta-seconds <= 2^32-1, Retry-After may add comment/params)
std::uint32_t parse_delta_seconds(std::string_view value, std::string_view header, bool retry_after,
                                  const SipLimits &limits);
// Warning = warning-value *(COMMA warning-value)
void parse_warning(std::string_view value, const SipLimits &limits);
// Date = rfc1123-date, which must be in GMT
void parse_date(std::string_view value);
// Free text of an unknown header field: TEXT-UTF8 and LWS, control octets only as quoted-pairs.
void check_header_text(std::string_view value, std::string_view header);
// True when `s` is well-formed UTF-8.
bool valid_utf8(std::string_view s);

} // namespace vg::voice
