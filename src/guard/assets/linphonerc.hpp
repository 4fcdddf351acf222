// linphonerc.hpp — linphonec's ~/.linphonerc (ini): contacts are [friend_N] sections with url=.
// Promise: every non-comment line must be a [section] or key=value; anything else, a friend section
// without url= or with an url= that is not a name-addr throws vg::Error naming "INPUT:LINE".
#pragma once
#include "guard/assets/contact_book.hpp"

#include <string>
#include <string_view>

namespace vg::guard {

ContactBook parse_linphonerc(std::string_view text, const std::string &input);

} // namespace vg::guard
