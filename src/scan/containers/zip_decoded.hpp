// zip_decoded.hpp — what a hand-written zip entry decoder (Deflate64, Implode) returns.
// Promise: `bytes` never holds more than the byte limit the caller gave; `cut` says the entry had
// more content than that limit and decoding stopped there.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace vg {

struct ZipDecoded {
  std::vector<std::uint8_t> bytes;
  bool cut = false;         // stopped at the caller's limit with content left
  std::size_t consumed = 0; // bytes of compressed input used
};

} // namespace vg
