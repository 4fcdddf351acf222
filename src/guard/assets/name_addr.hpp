// name_addr.hpp — SIP name-addr text as softphones store it: `"Bank"
// <sip:1234567@host>;access=allow`. Promise: parse_name_addr accepts a quoted or bare display name
// followed by <URI>, or a bare URI, and throws vg::Error naming `input` (e.g. "contacts:7") with
// the reason for anything else.
#pragma once
#include <string>
#include <string_view>

namespace vg::guard {

struct NameAddr {
  std::string display; // unquoted, unescaped; empty when none was given
  std::string uri;     // what is inside <...>, or the bare URI
  std::string params;  // what follows the URI (";access=allow"), trimmed
  // The display name, or the URI when no display name was given.
  const std::string &name() const { return display.empty() ? uri : display; }
};

NameAddr parse_name_addr(std::string_view text, const std::string &input);

std::string_view trim(std::string_view s);

} // namespace vg::guard
