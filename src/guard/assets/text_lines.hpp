// text_lines.hpp — line iteration shared by the text address-book parsers.
// Promise: lines are split on '\n' (a trailing '\r' is removed), numbered from 1; check_text
// rejects input containing NUL bytes (a binary file given as a text format) with a vg::Error naming
// it.
#pragma once
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace vg::guard {

void for_each_line(std::string_view text,
                   const std::function<void(std::string_view line, std::size_t number)> &fn);
void check_text(std::string_view text, const std::string &input);

} // namespace vg::guard
