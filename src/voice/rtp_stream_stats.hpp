// rtp_stream_stats.hpp — RFC 3550 receiver statistics for one RTP stream (one SSRC towards one
// port). Promise: add() follows RFC 3550 A.1 (sequence extension with MAX_DROPOUT/MAX_MISORDER) and
// A.8 (interarrival jitter), and reports continuity faults as findings: sequence jumps, timestamps
// that move backwards (including a backwards wrap across 2^32) or jump far ahead, and packet floods
// against the packetisation time. Each kind of fault is reported once with a running count.
#pragma once
#include "voice/finding.hpp"
#include "voice/rtp_packet.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace vg::voice {

class RtpStreamStats {
public:
  RtpStreamStats(std::uint32_t clock_rate, unsigned ptime_ms)
      : clock_(clock_rate ? clock_rate : 8000), ptime_ms_(ptime_ms ? ptime_ms : 20) {}
  // `t` is the arrival time (seconds, any origin), `rel` the time since the capture started.
  void add(const RtpPacket &p, double t, double rel, std::vector<Finding> &out);
  std::uint64_t packets() const { return received_; }
  std::int64_t expected() const;
  std::int64_t lost() const { return expected() - static_cast<std::int64_t>(received_); }
  double jitter_ms() const { return jitter_ / clock_ * 1000.0; }
  const std::map<std::string, std::uint64_t> &fault_counts() const { return faults_; }

private:
  void fault(const std::string &code, Severity s, const std::string &msg, double rel,
             std::vector<Finding> &out);
  std::uint32_t clock_;
  unsigned ptime_ms_;
  bool started_ = false;
  std::uint16_t max_seq_ = 0;
  std::uint32_t cycles_ = 0, base_seq_ = 0, bad_seq_ = 0x10001;
  std::uint64_t received_ = 0;
  std::uint32_t last_ts_ = 0;
  double last_arrival_ = 0, transit_ = 0, jitter_ = 0;
  bool have_transit_ = false;
  double window_start_ = 0;
  unsigned window_count_ = 0;
  std::map<std::string, std::uint64_t> faults_;
};

} // namespace vg::voice
