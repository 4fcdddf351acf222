// sip_message.hpp — one SIP message (RFC 3261) and its verdict.
// Promise: inspect_sip_message() never throws and never reads outside its input; every input gets a
// verdict: "invalid" with a reason naming the element and the fault (grammar, limits,
// Content-Length, CSeq/method mismatch, ...), or parsed, with findings for what is legal syntax but
// semantically wrong or suspicious ("suspicious" when any finding is a warning or worse, else
// "valid").
#pragma once
#include "voice/finding.hpp"
#include "voice/sdp.hpp"
#include "voice/sip_header_values.hpp"
#include "voice/sip_limits.hpp"
#include "voice/sip_uri.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vg::voice {

struct SipHeaderField {
  std::string name;      // as written
  std::string canonical; // lower-case long form ("v" -> "via")
  std::string value;     // unfolded, surrounding whitespace removed
};

struct SipMessage {
  bool is_request = false;
  std::string method; // requests
  SipUri request_uri;
  unsigned status_code = 0; // responses
  std::string reason_phrase;
  std::vector<SipHeaderField> headers;

  std::vector<ViaValue> vias;
  std::optional<NameAddr> from, to;
  std::vector<NameAddr> contacts;
  bool contact_star = false;
  std::vector<NameAddr> routes, record_routes;
  std::string call_id;
  std::optional<CSeqValue> cseq;
  std::optional<unsigned> max_forwards;
  std::vector<std::size_t> content_lengths; // every Content-Length value, in order
  std::optional<MediaType> content_type;
  std::vector<std::string> require, proxy_require;
  std::optional<std::vector<MediaType>> accept;
  std::vector<Credentials> authorizations;

  std::string body;
  std::size_t trailing_bytes = 0; // octets after the body that Content-Length excludes
  std::optional<SdpSession> sdp;
  std::vector<Finding> findings;

  std::size_t count(std::string_view canonical) const;
  const SipHeaderField *header(std::string_view canonical) const;
  // "INVITE sip:bob@example.com" or "200 OK (INVITE)"
  std::string summary() const;
};

struct SipVerdict {
  std::optional<SipMessage> message; // set when the message parsed
  std::string reason;                // set when it did not
  bool parsed() const { return message.has_value(); }
  // "invalid", "suspicious" or "valid"
  std::string_view name() const;
};

SipVerdict inspect_sip_message(std::string_view bytes, const SipLimits &limits = {},
                               const SdpLimits &sdp_limits = {});

// Throwing form used by inspect_sip_message(): vg::Error on a fault.
SipMessage parse_sip_message(std::string_view bytes, const SipLimits &limits,
                             const SdpLimits &sdp_limits);

// Adds the semantic findings (missing/duplicate fields, schemes, extensions, ...) to a parsed
// message.
void add_semantic_findings(SipMessage &msg, const SipLimits &limits);

// Cheap test used to recognise SIP in UDP payloads: starts like a request or status line.
bool looks_like_sip(std::string_view bytes);

} // namespace vg::voice
