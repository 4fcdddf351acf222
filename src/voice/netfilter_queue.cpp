// netfilter_queue.cpp — the libnetfilter_queue loop behind `voxguard voice guard --queue N`.
#include "voice/packet_guard.hpp"

#include "common/error.hpp"

#include <cerrno>
#include <chrono>
#include <cstring>

#ifdef VOXGUARD_HAVE_NFQUEUE
#include <arpa/inet.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <poll.h>
#endif

namespace vg::voice {

#ifdef VOXGUARD_HAVE_NFQUEUE
namespace {

struct Context {
  PacketGuard *guard;
};

int on_packet(nfq_q_handle *qh, nfgenmsg *, nfq_data *nfa, void *data) {
  auto *ctx = static_cast<Context *>(data);
  std::uint32_t id = 0;
  if (auto *ph = nfq_get_msg_packet_hdr(nfa))
    id = ntohl(ph->packet_id);
  unsigned char *payload = nullptr;
  int len = nfq_get_payload(nfa, &payload);
  if (len < 0) // nothing to judge: let it through (fail-open)
    return nfq_set_verdict(qh, id, NF_ACCEPT, 0, nullptr);
  double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  GuardVerdict v = ctx->guard->decide({payload, static_cast<std::size_t>(len)}, now);
  switch (v.action) {
  case GuardVerdict::Action::drop:
    return nfq_set_verdict(qh, id, NF_DROP, 0, nullptr);
  case GuardVerdict::Action::rewrite:
    return nfq_set_verdict(qh, id, NF_ACCEPT, static_cast<std::uint32_t>(v.packet.size()),
                           v.packet.data());
  default:
    return nfq_set_verdict(qh, id, NF_ACCEPT, 0, nullptr);
  }
}

} // namespace

void run_netfilter_queue(unsigned queue, PacketGuard &guard, const std::function<bool()> &stop) {
  const std::string name = "netfilter queue " + std::to_string(queue);
  nfq_handle *h = nfq_open();
  if (!h)
    throw Error(name, std::string("cannot open netfilter queue handle: ") + std::strerror(errno));
  Context ctx{&guard};
  nfq_q_handle *qh = nfq_create_queue(h, static_cast<std::uint16_t>(queue), on_packet, &ctx);
  if (!qh) {
    int e = errno;
    nfq_close(h);
    throw Error(name, std::string("cannot bind (is another program bound, are you root?): ") +
                          std::strerror(e));
  }
  if (nfq_set_mode(qh, NFQNL_COPY_PACKET, 0xffff) < 0) {
    nfq_destroy_queue(qh);
    nfq_close(h);
    throw Error(name, "cannot request packet copies");
  }
  // when voxguard cannot keep up, the kernel accepts instead of dropping: the call is never cut
  nfq_set_queue_flags(qh, NFQA_CFG_F_FAIL_OPEN, NFQA_CFG_F_FAIL_OPEN);
  int fd = nfq_fd(h);
  alignas(8) char buf[0x10000 + 4096];
  while (!(stop && stop())) {
    pollfd pfd{fd, POLLIN, 0};
    if (poll(&pfd, 1, 100) <= 0)
      continue;
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == ENOBUFS || errno == EINTR)
        continue; // the kernel dropped queue messages (fail-open flag lets packets pass)
      int e = errno;
      nfq_destroy_queue(qh);
      nfq_close(h);
      throw Error(name, std::string("receive failed: ") + std::strerror(e));
    }
    nfq_handle_packet(h, buf, static_cast<int>(n));
  }
  nfq_destroy_queue(qh);
  nfq_close(h);
}

#else

void run_netfilter_queue(unsigned queue, PacketGuard &, const std::function<bool()> &) {
  throw Error(
      "netfilter queue " + std::to_string(queue),
      "this voxguard was built without libnetfilter_queue (install libnetfilter-queue-dev)");
}

#endif

} // namespace vg::voice
