// ascii_text.hpp — small, locale-free helpers for protocol text (SIP, SDP, signature lines).
// Promise: byte-wise and locale-independent; never read outside the view; printable_excerpt() is
// safe to put into an error message whatever the input holds (control and non-ASCII bytes become
// \xHH, long input is cut with "...").
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace vg {

// ASCII letters folded to lower case; every other byte unchanged.
std::string ascii_lower(std::string_view s);

// At most `limit` bytes of `s`, with bytes outside 0x20-0x7e written as \xHH, "..." when cut.
std::string printable_excerpt(std::string_view s, std::size_t limit = 60);

} // namespace vg
