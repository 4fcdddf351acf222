// libFuzzer target: the Implode decoder on arbitrary bytes. The first byte picks the flags (8 KiB
// dictionary, literal tree) and the declared size; the rest is the stream. Checks that output is
// never longer than min(declared size, limit), that `consumed` stays inside the input, and that
// only vg::Error escapes.
#include "common/error.hpp"
#include "scan/containers/explode.hpp"

#include <algorithm>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  if (size < 1)
    return 0;
  constexpr std::uint64_t kLimit = 1 << 18;
  const auto flags = static_cast<std::uint16_t>(data[0] & 6);
  const std::uint64_t declared = (static_cast<std::uint64_t>(data[0] >> 3) + 1) * 20000;
  try {
    auto d = vg::explode({data + 1, size - 1}, flags, declared, kLimit);
    if (d.bytes.size() != std::min(declared, kLimit) || d.consumed > size - 1 ||
        d.cut != (declared > kLimit))
      std::abort();
  } catch (const vg::Error &) {
  }
  return 0;
}
