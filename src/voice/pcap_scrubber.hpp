// pcap_scrubber.hpp — capture-to-capture removal of the inaudible band from RTP audio.
// Promise: scrub_pcap() copies every frame of IN to OUT unchanged, except RTP audio towards an
// endpoint whose SDP negotiated Opus or L16 (>= 33.6 kHz): its payload is rewritten by
// RtpAudioRewriter and the UDP/IP lengths and checksums are fixed. A packet that cannot be
// rewritten is copied as it was and counted (fail-open). Errors opening or writing files throw
// vg::Error.
#pragma once
#include <cstddef>
#include <string>

namespace vg::voice {

struct ScrubPcapStats {
  std::size_t frames = 0;
  std::size_t rtp_rewritten = 0;
  std::size_t rtp_failed = 0;    // copied unchanged because rewriting failed
  std::size_t rtp_untouched = 0; // codecs that cannot carry the band
};

ScrubPcapStats scrub_pcap(const std::string &in, const std::string &out);

} // namespace vg::voice
