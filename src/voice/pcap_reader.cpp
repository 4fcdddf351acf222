// pcap_reader.cpp — libpcap wrapper.
#include "voice/pcap_reader.hpp"

#include "common/error.hpp"

#include <pcap/pcap.h>
#include <poll.h>
#include <utility>

namespace vg::voice {

PcapReader::PcapReader(pcap_t *p, std::string name, bool live)
    : pcap_(p), name_(std::move(name)), live_(live), linktype_(pcap_datalink(p)) {
  if (!supported_linktype(linktype_)) {
    std::string n =
        pcap_datalink_val_to_name(linktype_) ? pcap_datalink_val_to_name(linktype_) : "?";
    pcap_close(pcap_);
    pcap_ = nullptr;
    throw Error(name_, "unsupported link type " + std::to_string(linktype_) + " (" + n + ")");
  }
}

PcapReader PcapReader::open_file(const std::string &path) {
  char err[PCAP_ERRBUF_SIZE] = {0};
  pcap_t *p = pcap_open_offline(path.c_str(), err);
  if (!p)
    throw Error(path, std::string("cannot read capture: ") + err);
  return PcapReader(p, path, false);
}

PcapReader PcapReader::open_live(const std::string &iface, const std::string &filter) {
  char err[PCAP_ERRBUF_SIZE] = {0};
  pcap_t *p = pcap_create(iface.c_str(), err);
  if (!p)
    throw Error(iface, std::string("cannot open interface: ") + err);
  pcap_set_snaplen(p, 65535);
  pcap_set_promisc(p, 0);
  pcap_set_timeout(p, 20);
  pcap_set_immediate_mode(p, 1);
  if (pcap_activate(p) < 0) {
    std::string e = pcap_geterr(p);
    pcap_close(p);
    throw Error(iface, "cannot capture: " + e);
  }
  bpf_program prog;
  if (pcap_compile(p, &prog, filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0 ||
      pcap_setfilter(p, &prog) != 0) {
    std::string e = pcap_geterr(p);
    pcap_close(p);
    throw Error(iface, "cannot set filter '" + filter + "': " + e);
  }
  pcap_freecode(&prog);
  if (pcap_setnonblock(p, 1, err) != 0) {
    pcap_close(p);
    throw Error(iface, std::string("cannot switch to non-blocking capture: ") + err);
  }
  return PcapReader(p, iface, true);
}

PcapReader::PcapReader(PcapReader &&o) noexcept
    : pcap_(std::exchange(o.pcap_, nullptr)), name_(std::move(o.name_)), live_(o.live_),
      linktype_(o.linktype_), frames_(o.frames_) {}

PcapReader &PcapReader::operator=(PcapReader &&o) noexcept {
  if (this != &o) {
    if (pcap_)
      pcap_close(pcap_);
    pcap_ = std::exchange(o.pcap_, nullptr);
    name_ = std::move(o.name_);
    live_ = o.live_;
    linktype_ = o.linktype_;
    frames_ = o.frames_;
  }
  return *this;
}

PcapReader::~PcapReader() {
  if (pcap_)
    pcap_close(pcap_);
}

void PcapReader::run(
    const std::function<void(const UdpDatagram &)> &on_datagram,
    const std::function<void(std::size_t, double, const std::string &)> &on_malformed,
    const std::function<bool()> &stop) {
  while (!(stop && stop())) {
    if (live_) { // wait at most 50 ms so `stop` is checked even when no packet arrives
      pollfd pfd{pcap_get_selectable_fd(pcap_), POLLIN, 0};
      if (pfd.fd >= 0 && poll(&pfd, 1, 50) == 0)
        continue;
    }
    pcap_pkthdr *h = nullptr;
    const u_char *data = nullptr;
    int rc = pcap_next_ex(pcap_, &h, &data);
    if (rc == 0)
      continue; // live timeout
    if (rc == PCAP_ERROR_BREAK)
      return;
    if (rc < 0) {
      if (live_)
        throw Error(name_, std::string("capture failed: ") + pcap_geterr(pcap_));
      throw Error(name_, std::string("capture file is damaged after frame ") +
                             std::to_string(frames_) + ": " + pcap_geterr(pcap_));
    }
    ++frames_;
    double t = static_cast<double>(h->ts.tv_sec) + static_cast<double>(h->ts.tv_usec) * 1e-6;
    auto d = decode_frame(linktype_, {data, h->caplen});
    if (auto *u = std::get_if<UdpDatagram>(&d)) {
      u->time_s = t;
      u->frame = frames_;
      on_datagram(*u);
    } else if (auto *m = std::get_if<MalformedFrame>(&d)) {
      on_malformed(frames_, t, m->reason);
    }
  }
}

} // namespace vg::voice
