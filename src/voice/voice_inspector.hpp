// voice_inspector.hpp — turns captured UDP datagrams into calls, RTP streams and findings.
// Promise: add() accepts any datagram (hostile ones included) and never throws for bad content:
// SIP gets a verdict (invalid ones become findings with the reason), SDP offers/answers tell which
// ports carry which codecs, RTP/RTCP headers are checked, streams get RFC 3550 statistics, and
// audio is decoded (G.711, L16, Opus) and run through the inaudible-band and data-carrier
// detectors. For codecs that cannot carry the inaudible band a "not applicable" finding is given,
// never silence.
#pragma once
#include "voice/data_carrier_detector.hpp"
#include "voice/finding.hpp"
#include "voice/inaudible_band_detector.hpp"
#include "voice/rtp_stream_stats.hpp"
#include "voice/sdp.hpp"
#include "voice/sip_limits.hpp"
#include "voice/udp_datagram.hpp"

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace vg::voice {

class AudioDecoder;

struct InspectorConfig {
  SipLimits sip_limits;
  SdpLimits sdp_limits;
  std::set<std::uint16_t> sip_ports = {5060, 5061, 5070, 5080};
  unsigned sip_requests_per_window = 30; // Kamailio pike default
  double sip_window_s = 2.0;
  bool analyse_audio = true;
};

struct CallInfo {
  std::string call_id;
  std::string from, to, request_uri;
  std::vector<std::string> offered_codecs, answered_codecs;
  double first_s = 0;
  unsigned messages = 0;
  std::string last_status;
};

struct StreamInfo {
  Endpoint src, dst;
  std::uint32_t ssrc = 0;
  int payload_type = -1;
  std::string codec; // "opus/48000/2" or "PT 0 (no SDP)"
  std::string call_id;
  double first_s = 0, last_s = 0;
  std::uint64_t bytes = 0;
  std::unique_ptr<RtpStreamStats> stats;
  std::vector<Finding> findings;
  // audio
  std::unique_ptr<AudioDecoder> decoder;
  std::unique_ptr<InaudibleBandDetector> inaudible;
  std::unique_ptr<DataCarrierDetector> carriers;
  std::uint32_t clock = 8000;
  unsigned sample_rate = 8000;
  bool timeline_started = false;
  std::uint32_t next_ts = 0;
  std::uint64_t fullband_packets = 0, audio_packets = 0, decode_errors = 0;
  bool opus = false;
  std::string not_applicable; // reason the inaudible-band check does not apply
};

class VoiceInspector {
public:
  explicit VoiceInspector(InspectorConfig cfg = {});
  ~VoiceInspector();
  void add(const UdpDatagram &d);
  void malformed_frame(std::size_t frame, double time_s, const std::string &reason);
  void finish();

  const std::vector<CallInfo> &calls() const { return calls_; }
  const std::vector<std::unique_ptr<StreamInfo>> &streams() const { return streams_; }
  const std::vector<Finding> &findings() const { return findings_; }
  std::size_t datagrams() const { return datagrams_; }
  std::size_t sip_messages() const { return sip_messages_; }
  double start_time() const { return t0_; }
  // The media section negotiated for packets sent to `receiver` (from an SDP offer or answer seen
  // so far), or nullptr.
  const SdpMedia *negotiated_media(const Endpoint &receiver) const;
  // Called for each finding as soon as it is known (live mode).
  std::function<void(const Finding &)> on_finding;

private:
  struct Expectation {
    std::string call_id;
    SdpMedia media;
  };
  void handle_sip(const UdpDatagram &d, double rel);
  void handle_media(const UdpDatagram &d, double rel, const Expectation *e);
  void handle_audio(StreamInfo &s, const struct RtpPacket &p, double rel);
  void report(Finding f);
  CallInfo &call(const std::string &id, double rel);

  InspectorConfig cfg_;
  double t0_ = -1;
  std::size_t datagrams_ = 0, sip_messages_ = 0;
  std::vector<CallInfo> calls_;
  std::vector<std::unique_ptr<StreamInfo>> streams_;
  std::map<std::tuple<Endpoint, Endpoint, std::uint32_t>, StreamInfo *> by_key_;
  std::map<std::pair<Endpoint, Endpoint>, std::uint32_t> last_ssrc_;
  std::map<Endpoint, Expectation> media_; // receiver endpoint -> negotiated media
  std::map<Endpoint, Expectation> rtcp_;
  std::map<std::string, std::set<std::string>> call_addresses_;
  std::map<std::string, std::deque<double>> sip_rate_;
  std::set<std::string> flooding_;
  std::vector<Finding> findings_;
};

} // namespace vg::voice
