// twinkle_ab.hpp — Twinkle's address book ~/.twinkle/twinkle.ab:
// `first_name|infix_name|last_name|sip_address|remark` a line, '|' and a leading '#' escaped with
// '\'. Promise: '#' lines are comments; a line that does not have exactly five fields, an empty SIP
// address or a dangling escape throws vg::Error naming "INPUT:LINE".
#pragma once
#include "guard/assets/contact_book.hpp"

#include <string>
#include <string_view>

namespace vg::guard {

ContactBook parse_twinkle_ab(std::string_view text, const std::string &input);

} // namespace vg::guard
