// sip_limits.hpp — size limits applied while parsing SIP.
// Promise: hard limits bound the parser's work (exceeding one rejects the message with a reason);
// advisory limits follow the Snort SIP preprocessor's defaults and give a "sip.limit" finding.
#pragma once
#include <cstddef>

namespace vg::voice {

struct SipLimits {
  // hard limits: the message is rejected
  std::size_t max_message_bytes = 65535; // largest UDP payload
  std::size_t max_header_fields = 256;
  std::size_t max_header_field_bytes = 8192; // one field after unfolding
  std::size_t max_values_per_field = 70;     // comma-separated values (Via, Contact, ...)
  std::size_t max_params_per_value = 64;
  std::size_t max_body_bytes = 65535;
  // advisory limits (Snort sip preprocessor defaults): a finding, the message still parses
  std::size_t max_uri_len = 256;
  std::size_t max_call_id_len = 256;
  std::size_t max_method_len = 20;
  std::size_t max_from_len = 256;
  std::size_t max_to_len = 256;
  std::size_t max_via_len = 1024;
  std::size_t max_contact_len = 256;
  std::size_t max_content_len = 1024;
};

} // namespace vg::voice
