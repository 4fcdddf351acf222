// text_encodings.hpp — the two binary-in-text encodings mail carries outside MIME: uuencode blocks
// ("begin 644 name" … "end") and BinHex 4.0 ("(This file must be converted with BinHex 4.0)").
// Promise: the finders look at the whole text and return every block they can decode, in order,
// each cut at `cap` bytes (then `cut` is set); damaged blocks give what decoded before the damage
// and a reason. They never read outside the text and never throw on bad input.
#pragma once
#include "scan/containers/child_object.hpp"

#include <cstdint>
#include <span>
#include <vector>

namespace vg {

// Every uuencoded block of the text (the name is the one on the "begin" line).
std::vector<ChildObject> find_uuencoded(std::span<const std::uint8_t> text, std::uint64_t cap,
                                        std::size_t max_blocks);

// The BinHex 4.0 block of the text: its data fork (and resource fork when not empty).
std::vector<ChildObject> find_binhex(std::span<const std::uint8_t> text, std::uint64_t cap);

} // namespace vg
