// explode.hpp — PKWARE Implode (zip compression method 6), decoded by hand: no Debian library
// reads it (libarchive 3.6 does not).
// Promise: decodes an imploded entry as PKWARE's APPNOTE (section 5.3) defines it: a 4 KiB or
// 8 KiB sliding dictionary (general-purpose flag bit 1) and two or three Shannon-Fano trees (flag
// bit 2: a literal tree, else literals are stored as 8 raw bits; minimum match 3 or 2). Implode
// has no end marker, so decoding stops after `size` bytes (the entry's uncompressed size); output
// stops earlier at `limit` bytes (then `cut` is set). Matches reaching before the start of the
// output read zero bytes, as PKZIP's and Info-ZIP's decoders do. A truncated stream or a bad
// tree (wrong number of values, over-subscribed or incomplete) throws vg::Error naming the byte
// offset and the reason; it never reads outside `in`.
#pragma once
#include "scan/containers/zip_decoded.hpp"

#include <cstdint>
#include <span>

namespace vg {

// `flags` is the zip entry's general-purpose bit flag (bits 1 and 2 are used).
ZipDecoded explode(std::span<const std::uint8_t> in, std::uint16_t flags, std::uint64_t size,
                   std::uint64_t limit);

} // namespace vg
