// packet_guard.hpp — the in-line decision for one IP packet on its way to the softphone.
// Promise: decide() never throws and always returns a verdict: malformed SIP (no verdict "valid" or
// "suspicious" without alerts), SIP request floods (pike: more than N requests in a window from one
// source), malformed RTP/RTCP towards a negotiated media port are dropped; RTP audio that can carry
// the inaudible band (Opus, L16 >= 33.6 kHz) is rewritten with the band removed; everything else is
// accepted unchanged. Any internal failure accepts the original packet (fail-open) and is counted
// and reported as a "guard.fail-open" finding, so a fault in voxguard never cuts a call.
#pragma once
#include "voice/finding.hpp"
#include "voice/rtp_audio_rewriter.hpp"
#include "voice/voice_inspector.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <vector>

namespace vg::voice {

struct GuardVerdict {
  enum class Action { accept, drop, rewrite } action = Action::accept;
  std::vector<std::uint8_t> packet; // the new IP packet for `rewrite`
  std::string reason;               // for `drop`
};

struct GuardStats {
  std::uint64_t packets = 0, accepted = 0, dropped = 0, rewritten = 0, fail_open = 0;
};

class PacketGuard {
public:
  explicit PacketGuard(InspectorConfig cfg = {});
  // `ip_packet` starts with the IPv4/IPv6 header (as netfilter queues deliver it); `now` in
  // seconds.
  GuardVerdict decide(std::span<const std::uint8_t> ip_packet, double now);
  const GuardStats &stats() const { return stats_; }
  std::function<void(const Finding &)> on_finding;

private:
  GuardVerdict decide_unsafe(std::span<const std::uint8_t> ip_packet, double now);
  void report(Finding f);
  InspectorConfig cfg_;
  VoiceInspector inspector_;
  GuardStats stats_;
  std::map<std::string, std::vector<double>> sip_times_;
  std::map<std::tuple<Endpoint, Endpoint, std::uint32_t, int>, std::unique_ptr<RtpAudioRewriter>>
      rewriters_;
};

// Runs the netfilter queue `queue` until `stop()` is true, applying `guard` to every packet. Throws
// vg::Error naming the queue when it cannot be bound. Only available when built with
// libnetfilter_queue (VOXGUARD_HAVE_NFQUEUE).
void run_netfilter_queue(unsigned queue, PacketGuard &guard, const std::function<bool()> &stop);

} // namespace vg::voice
