// `voxguard voice watch --iface lo` live, inside a private network namespace (unshare -n): a
// recorded call is replayed onto loopback with its original pacing and the 19 kHz carrier must be
// reported live, within 200 ms of capture time after its onset. Needs root, unshare and python3;
// skips otherwise.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <unistd.h>

namespace {

const char *kReplay = R"PY(
# replays the UDP datagrams of a pcap/pcapng capture on 127.0.0.1 with the original ports and pacing
import socket, struct, sys, time
d = open(sys.argv[1], 'rb').read()
frames = []  # (time, linktype, bytes)
if struct.unpack('<I', d[:4])[0] == 0x0a0d0d0a:  # pcapng
    off = 0; links = []
    while off + 12 <= len(d):
        bt, bl = struct.unpack('<II', d[off:off+8])
        body = d[off+8:off+bl-4]
        if bt == 1:
            res = 1e6; o = 8
            while o + 4 <= len(body):
                code, ln = struct.unpack('<HH', body[o:o+4])
                if code == 0: break
                if code == 9: v = body[o+4]; res = 2 ** (v & 127) if v & 128 else 10 ** v
                o += 4 + ((ln + 3) & ~3)
            links.append((struct.unpack('<H', body[:2])[0], res))
        elif bt == 6:
            iface, hi, lo, cap, orig = struct.unpack('<IIIII', body[:20])
            frames.append((((hi << 32) | lo) / links[iface][1], links[iface][0], body[20:20+cap]))
        off += bl
else:
    lt = struct.unpack('<I', d[20:24])[0]; off = 24
    while off + 16 <= len(d):
        ts, us, incl, orig = struct.unpack('<IIII', d[off:off+16])
        frames.append((ts + us / 1e6, lt, d[off+16:off+16+incl])); off += 16 + incl
pkts = []
for t, lt, f in frames:
    ip = f[4:] if lt == 0 else f[14:] if lt == 1 else f[16:] if lt == 113 else f
    if not ip or ip[0] >> 4 != 4 or ip[9] != 17: continue
    ihl = (ip[0] & 15) * 4
    sport, dport, ulen = struct.unpack('>HHH', ip[ihl:ihl+6])
    pkts.append((t, sport, dport, ip[ihl+8:ihl+ulen]))
socks = {}
t0 = pkts[0][0]; w0 = time.monotonic()
for t, sp, dp, pl in pkts:
    while time.monotonic() - w0 < t - t0: time.sleep(0.0005)
    s = socks.get(sp)
    if s is None:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(('127.0.0.1', sp)); socks[sp] = s
    try: s.sendto(pl, ('127.0.0.1', dp))
    except OSError: pass
print('replayed %d datagrams' % len(pkts), file=sys.stderr)

)PY";

std::string run(const std::string &cmd) {
  std::string out;
  FILE *p = popen(cmd.c_str(), "r");
  if (!p)
    return out;
  std::array<char, 4096> buf;
  while (std::size_t n = fread(buf.data(), 1, buf.size(), p))
    out.append(buf.data(), n);
  pclose(p);
  return out;
}

TEST(VoiceWatchE2E, LiveCarrierIsReportedWithin200ms) {
  std::string pcap = std::string(VOXGUARD_SHARED_DATA) + "/pcap/baresip-opus128k-19khz-tone.pcap";
  if (!std::filesystem::exists(pcap))
    GTEST_SKIP() << "shared test data missing: " << pcap;
  if (geteuid() != 0 ||
      run("for c in unshare python3 ip; do command -v $c >/dev/null || echo missing; done")
              .find("missing") != std::string::npos)
    GTEST_SKIP() << "needs root, unshare, ip and python3 for a private network namespace";
  auto dir = std::filesystem::temp_directory_path() / ("vg-watch-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "replay.py") << kReplay;
  std::string cmd =
      "timeout 60 unshare -n -- sh -c 'ip link set lo up; " + std::string(VOXGUARD_BINARY) +
      " voice watch --iface lo --json --duration 9 > " + (dir / "watch.out").string() +
      " 2>&1 & sleep 1; python3 " + (dir / "replay.py").string() + " " + pcap + "; wait'";
  run(cmd);
  std::ifstream in(dir / "watch.out");
  std::string line;
#ifdef VOXGUARD_SANITIZED
  // A sanitized build runs the live path for its memory checks, but is too slow to keep up with
  // the call's pacing on a busy machine: the 200 ms bound and the one finding per direction (a
  // late watcher sees the carrier break off and start again) are checked in the release pass.
  constexpr bool kTimed = false;
#else
  constexpr bool kTimed = true;
#endif
  int live = 0, streams = 0;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << line;
    if (j["type"] == "stream")
      ++streams;
    if (j["type"] == "finding" && j["code"] == "audio.inaudible-band" && j.value("live", false)) {
      ++live;
      EXPECT_NEAR(j["frequency_hz"].get<double>(), 19000, 50);
      double latency = j["time_s"].get<double>() - j["onset_s"].get<double>();
      if (kTimed) {
        EXPECT_LE(latency, 0.2) << line;
      }
    }
  }
  if (kTimed) {
    EXPECT_EQ(live, 2); // both directions (sipp echoes the audio)
  } else {
    EXPECT_GE(live, 2);
  }
  EXPECT_EQ(streams, 2);
  std::filesystem::remove_all(dir);
}

} // namespace
