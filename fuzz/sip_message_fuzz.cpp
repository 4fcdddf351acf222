// libFuzzer target: the SIP message parser (with SDP bodies) must give every input a verdict.
#include "voice/sip_message.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string_view in(reinterpret_cast<const char *>(data), size);
  auto v = vg::voice::inspect_sip_message(in);
  if (!v.parsed() && v.reason.empty())
    std::abort(); // a rejection must carry a reason
  if (v.parsed())
    (void)v.message->summary();
  return 0;
}
