// libFuzzer target: RTP header and RTCP compound parsing plus stream statistics on arbitrary bytes.
#include "voice/rtcp_packet.hpp"
#include "voice/rtp_packet.hpp"
#include "voice/rtp_stream_stats.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::span<const std::uint8_t> in(data, size);
  (void)vg::voice::check_rtcp(in);
  // the input is also a sequence of length-prefixed RTP packets of one stream
  vg::voice::RtpStreamStats stats(48000, 20);
  std::vector<vg::voice::Finding> out;
  std::size_t off = 0;
  double t = 0;
  while (off + 1 < size) {
    std::size_t len = data[off];
    ++off;
    if (len > size - off)
      len = size - off;
    auto r = vg::voice::parse_rtp(in.subspan(off, len));
    if (auto *p = std::get_if<vg::voice::RtpPacket>(&r)) {
      if (p->payload.data() < data || p->payload.data() + p->payload.size() > data + size)
        std::abort();
      stats.add(*p, t, t, out);
    }
    t += 0.02;
    off += len;
  }
  (void)stats.lost();
  (void)stats.jitter_ms();
  return 0;
}
