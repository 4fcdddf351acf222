// libFuzzer target: a whole capture's worth of datagrams through the inspector (SIP, SDP, RTP,
// RTCP, audio decoding). Input: records of [kind][len][bytes]; kind chooses ports so SIP/SDP
// negotiated media endpoints are exercised.
#include "voice/voice_inspector.hpp"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  vg::voice::InspectorConfig cfg;
  vg::voice::VoiceInspector vi(cfg);
  std::size_t off = 0;
  double t = 1000.0;
  while (off + 2 <= size) {
    std::uint8_t kind = data[off];
    std::size_t len = static_cast<std::size_t>(data[off + 1]) * 4u;
    off += 2;
    if (len > size - off)
      len = size - off;
    vg::voice::UdpDatagram d;
    d.time_s = t;
    d.src = {"127.0.0.1", static_cast<std::uint16_t>(kind & 1 ? 5060 : 10000 + (kind >> 1))};
    d.dst = {"127.0.0.1", static_cast<std::uint16_t>(kind & 1 ? 5070 : 20000 + (kind >> 4))};
    d.payload = {data + off, len};
    vi.add(d);
    off += len;
    t += 0.01;
  }
  vi.finish();
  return 0;
}
