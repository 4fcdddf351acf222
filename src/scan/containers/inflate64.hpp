// inflate64.hpp — Deflate64 ("enhanced deflate", zip compression method 9), decoded by hand: no
// Debian library reads it (libarchive 3.6 and zlib do not).
// Promise: decodes a raw Deflate64 stream as PKWARE's APPNOTE and Info-ZIP's inflate define it:
// deflate's block structure with a 64 KiB window, length code 285 = base 3 + 16 extra bits and
// distance codes 30 and 31 (base 32769 and 49153, 14 extra bits). Output stops at `limit` bytes
// (then `cut` is set), so a bomb costs at most `limit` bytes of memory. A truncated or corrupt
// stream throws vg::Error naming the byte offset and the reason (bad block type, stored length
// check, bad code lengths, invalid code, distance beyond the start of the output ...); it never
// reads outside `in`.
#pragma once
#include "scan/containers/zip_decoded.hpp"

#include <cstdint>
#include <span>

namespace vg {

ZipDecoded inflate64(std::span<const std::uint8_t> in, std::uint64_t limit);

} // namespace vg
