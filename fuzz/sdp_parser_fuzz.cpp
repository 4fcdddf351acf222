// libFuzzer target: the SDP parser either returns a session or throws vg::Error with a reason.
#include "common/error.hpp"
#include "voice/sdp.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string_view in(reinterpret_cast<const char *>(data), size);
  try {
    auto s = vg::voice::parse_sdp(in);
    for (const auto &m : s.media)
      for (int pt : m.payload_types)
        if (pt < 0 || pt > 127)
          std::abort();
  } catch (const vg::Error &e) {
    if (e.reason().empty())
      std::abort();
  }
  return 0;
}
