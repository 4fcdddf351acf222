// hex.hpp — hexadecimal text <-> bytes.
// Promise: hex_decode never throws on bad text; it returns nullopt so callers can name the input.
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace vg {

std::string hex_encode(std::span<const std::uint8_t> bytes);
// Value of one hex digit, or -1.
int hex_value(char c) noexcept;
std::optional<std::vector<std::uint8_t>> hex_decode(std::string_view text);

} // namespace vg
