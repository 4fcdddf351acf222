// baresip_contacts.hpp — baresip's ~/.baresip/contacts: one `"Name" <sip:user@host>;params` a line.
// Promise: '#' comments and blank lines are skipped; any other line that is not a name-addr throws
// vg::Error naming "INPUT:LINE" and the reason.
#pragma once
#include "guard/assets/contact_book.hpp"

#include <string>
#include <string_view>

namespace vg::guard {

ContactBook parse_baresip_contacts(std::string_view text, const std::string &input);

} // namespace vg::guard
