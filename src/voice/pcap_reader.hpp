// pcap_reader.hpp — reading captures (files with libpcap offline, interfaces live).
// Promise: PcapReader::open_file/open_live report libpcap's error text with the file or interface
// name; next() yields every UDP datagram with its time and frame number, counts frames it skipped
// (not UDP) and reports malformed ones with the frame number and reason. Only link types that
// decode_frame() supports are accepted.
#pragma once
#include "voice/udp_datagram.hpp"

#include <functional>
#include <memory>
#include <string>

typedef struct pcap pcap_t;

namespace vg::voice {

class PcapReader {
public:
  static PcapReader open_file(const std::string &path);
  // Live capture; `filter` is a BPF expression ("udp" by default).
  static PcapReader open_live(const std::string &iface, const std::string &filter = "udp");
  PcapReader(PcapReader &&) noexcept;
  PcapReader &operator=(PcapReader &&) noexcept;
  ~PcapReader();

  // Calls on_datagram for each UDP datagram and on_malformed for each bad frame until the file ends
  // (returns false) or, live, until `stop()` returns true. Returns when the source is exhausted.
  void run(const std::function<void(const UdpDatagram &)> &on_datagram,
           const std::function<void(std::size_t frame, double time_s, const std::string &)>
               &on_malformed,
           const std::function<bool()> &stop = {});
  int linktype() const { return linktype_; }
  std::size_t frames() const { return frames_; }

private:
  PcapReader(pcap_t *p, std::string name, bool live);
  pcap_t *pcap_ = nullptr;
  std::string name_;
  bool live_ = false;
  int linktype_ = 0;
  std::size_t frames_ = 0;
};

} // namespace vg::voice
