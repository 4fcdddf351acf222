// rtp_stream_stats.cpp — RFC 3550 sequence, loss and jitter bookkeeping plus continuity checks.
#include "voice/rtp_stream_stats.hpp"

#include <cmath>

namespace vg::voice {
namespace {
constexpr std::uint16_t kMaxDropout = 3000;
constexpr std::uint16_t kMaxMisorder = 100;
} // namespace

std::int64_t RtpStreamStats::expected() const {
  if (!started_)
    return 0;
  std::int64_t ext_max = static_cast<std::int64_t>(cycles_) + max_seq_;
  return ext_max - static_cast<std::int64_t>(base_seq_) + 1;
}

void RtpStreamStats::fault(const std::string &code, Severity s, const std::string &msg, double rel,
                           std::vector<Finding> &out) {
  if (faults_[code]++ == 0) {
    Finding f;
    f.code = code;
    f.severity = s;
    f.message = msg;
    f.time_s = rel;
    out.push_back(std::move(f));
  }
}

void RtpStreamStats::add(const RtpPacket &p, double t, double rel, std::vector<Finding> &out) {
  std::uint16_t seq = p.sequence;
  if (!started_) {
    started_ = true;
    base_seq_ = seq;
    max_seq_ = seq;
    last_ts_ = p.timestamp;
    received_ = 1;
    last_arrival_ = t;
    window_start_ = t;
    window_count_ = 1;
    transit_ = t * clock_ - p.timestamp;
    have_transit_ = true;
    return;
  }
  ++received_;
  auto udelta = static_cast<std::uint16_t>(seq - max_seq_);
  bool in_order = false;
  if (udelta == 0) {
    fault("rtp.duplicate", Severity::warning, "duplicate sequence number " + std::to_string(seq),
          rel, out);
  } else if (udelta < kMaxDropout) {
    if (seq < max_seq_)
      cycles_ += 65536;
    in_order = true;
    auto ts_delta = static_cast<std::int32_t>(p.timestamp - last_ts_);
    if (ts_delta < 0) {
      bool wrap = p.timestamp > last_ts_; // moved back across 0 -> 2^32
      fault("rtp.timestamp-backward", Severity::alert,
            "RTP timestamp moved backwards from " + std::to_string(last_ts_) + " to " +
                std::to_string(p.timestamp) + (wrap ? " (a backwards wrap across 2^32)" : "") +
                " while the sequence number advanced; receivers have hung on this (baresip #2954)",
            rel, out);
    } else if (static_cast<double>(ts_delta) > 10.0 * clock_ * udelta) {
      fault("rtp.timestamp-jump", Severity::warning,
            "RTP timestamp jumped ahead by " + std::to_string(ts_delta) + " ticks (" +
                std::to_string(ts_delta / clock_) + " s) for " + std::to_string(udelta) +
                " packet(s)",
            rel, out);
    }
    max_seq_ = seq;
    last_ts_ = p.timestamp;
  } else if (udelta <= 65535 - kMaxMisorder) {
    // large jump: RFC 3550 resynchronises after two sequential packets
    if (seq == bad_seq_) {
      base_seq_ = seq;
      max_seq_ = seq;
      cycles_ = 0;
      received_ = 1;
      last_ts_ = p.timestamp;
    } else {
      bad_seq_ = (seq + 1u) & 0xffffu;
      fault("rtp.sequence-jump", Severity::warning,
            "sequence number jumped from " + std::to_string(max_seq_) + " to " +
                std::to_string(seq),
            rel, out);
    }
  } else {
    fault("rtp.misordered", Severity::info,
          "late or reordered packet (sequence " + std::to_string(seq) + ")", rel, out);
  }
  if (in_order && have_transit_) {
    double transit = t * clock_ - p.timestamp;
    double d = std::fabs(transit - transit_);
    if (d < clock_ * 10.0) // ignore the jump of a timestamp fault
      jitter_ += (d - jitter_) / 16.0;
    transit_ = transit;
  }
  // rate against the packetisation time, over 1-second windows
  ++window_count_;
  if (t - window_start_ >= 1.0) {
    double rate = window_count_ / (t - window_start_);
    double nominal = 1000.0 / ptime_ms_;
    if (rate > 3.0 * nominal)
      fault("rtp.flood", Severity::alert,
            "RTP packet rate " + std::to_string(static_cast<int>(rate)) +
                "/s is more than three times the " + std::to_string(static_cast<int>(nominal)) +
                "/s that ptime " + std::to_string(ptime_ms_) + " ms implies",
            rel, out);
    window_start_ = t;
    window_count_ = 0;
  }
  last_arrival_ = t;
}

} // namespace vg::voice
