// sig_origin.hpp — where a signature came from: which database file (an index into the loaded set's
// file list) and which line, so reports and errors can name it.
#pragma once
#include <cstdint>

namespace vg {

struct SigOrigin {
  std::uint32_t database = 0;
  std::uint32_t line = 0;
  friend bool operator==(const SigOrigin &, const SigOrigin &) = default;
};

} // namespace vg
