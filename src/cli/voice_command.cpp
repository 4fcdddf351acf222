// voice_command.cpp — `voxguard voice inspect|watch|guard|scrub`: the voice-channel inspection.
#include "cli/command.hpp"
#include "common/error.hpp"
#include "common/mapped_file.hpp"
#include "voice/finding_json.hpp"
#include "voice/inaudible_band_filter.hpp"
#include "voice/packet_guard.hpp"
#include "voice/pcap_reader.hpp"
#include "voice/pcap_scrubber.hpp"
#include "voice/sip_message.hpp"
#include "voice/voice_inspector.hpp"
#include "voice/wav_file.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace vg::voice;

const char *kUsage =
    "usage: voxguard voice inspect [--json] FILE.pcap\n"
    "       voxguard voice inspect [--json] --sip-message FILE\n"
    "       voxguard voice watch --iface IF [--json] [--duration SECONDS] [--filter BPF]\n"
    "       voxguard voice guard --queue N [--json]\n"
    "       voxguard voice scrub IN.wav OUT.wav | IN.pcap OUT.pcap\n"
    "\n"
    "inspect   per call (Call-ID, from, to, codecs) and per RTP stream (SSRC, codec, packets,\n"
    "          loss, jitter) with findings; --sip-message gives the verdict on one raw SIP "
    "message\n"
    "EXIT STATUS: 0 nothing found, 1 findings or invalid input reported, 2 error\n";

struct Options {
  bool json = false;
  std::string sip_message;
  std::vector<std::string> files;
};

int inspect_sip(const Options &o) {
  vg::MappedFile f = vg::MappedFile::open(o.sip_message, 1 << 20);
  std::string_view bytes(reinterpret_cast<const char *>(f.bytes().data()), f.size());
  SipVerdict v = inspect_sip_message(bytes);
  if (o.json) {
    std::printf("%s\n", to_json(v, o.sip_message).dump().c_str());
  } else {
    std::printf("%s: %s\n", o.sip_message.c_str(), std::string(v.name()).c_str());
    if (!v.parsed()) {
      std::printf("  reason: %s\n", v.reason.c_str());
    } else {
      std::printf("  %s\n", v.message->summary().c_str());
      for (const auto &fi : v.message->findings)
        std::printf("  %s\n", to_text(fi).c_str());
    }
  }
  return v.name() == "valid" ? 0 : 1;
}

std::string fmt(double v, const char *f = "%.3f") {
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

// Prints the calls, streams and findings of a finished inspection; returns the exit status.
int print_report(const VoiceInspector &vi, const std::string &input, bool json) {
  bool found = false;
  for (const auto &f : vi.findings())
    found |= f.severity != Severity::info;
  if (json) {
    for (const auto &c : vi.calls()) {
      nlohmann::json j{{"type", "call"},
                       {"input", input},
                       {"call_id", c.call_id},
                       {"from", c.from},
                       {"to", c.to},
                       {"request_uri", c.request_uri},
                       {"offered_codecs", c.offered_codecs},
                       {"answered_codecs", c.answered_codecs},
                       {"first_s", std::round(c.first_s * 1000) / 1000},
                       {"messages", c.messages},
                       {"last_status", c.last_status}};
      std::printf("%s\n", j.dump().c_str());
    }
    for (const auto &sp : vi.streams()) {
      const auto &s = *sp;
      nlohmann::json j{{"type", "stream"},
                       {"input", input},
                       {"src", s.src.str()},
                       {"dst", s.dst.str()},
                       {"ssrc", s.ssrc},
                       {"payload_type", s.payload_type},
                       {"codec", s.codec},
                       {"call_id", s.call_id},
                       {"packets", s.stats->packets()},
                       {"lost", s.stats->lost()},
                       {"jitter_ms", std::round(s.stats->jitter_ms() * 100) / 100},
                       {"first_s", std::round(s.first_s * 1000) / 1000},
                       {"last_s", std::round(s.last_s * 1000) / 1000}};
      if (!s.not_applicable.empty())
        j["inaudible_band"] = "not applicable: " + s.not_applicable;
      std::printf("%s\n", j.dump().c_str());
    }
    for (const auto &f : vi.findings()) {
      auto j = to_json(f);
      j["input"] = input;
      std::printf("%s\n", j.dump().c_str());
    }
    return found ? 1 : 0;
  }
  std::printf("%s: %zu UDP datagrams, %zu SIP messages, %zu calls, %zu RTP streams\n",
              input.c_str(), vi.datagrams(), vi.sip_messages(), vi.calls().size(),
              vi.streams().size());
  for (const auto &c : vi.calls()) {
    std::printf("call %s (at %s s, %u messages%s)\n", c.call_id.c_str(), fmt(c.first_s).c_str(),
                c.messages,
                c.last_status.empty() ? "" : (", last response " + c.last_status).c_str());
    if (!c.request_uri.empty())
      std::printf("  INVITE %s\n  from %s\n  to   %s\n", c.request_uri.c_str(), c.from.c_str(),
                  c.to.c_str());
    for (const auto &x : c.offered_codecs)
      std::printf("  offered  %s\n", x.c_str());
    for (const auto &x : c.answered_codecs)
      std::printf("  answered %s\n", x.c_str());
  }
  for (const auto &sp : vi.streams()) {
    const auto &s = *sp;
    std::printf("stream %s -> %s SSRC %08x %s: %llu packets, %lld lost, jitter %s ms, %s-%s s\n",
                s.src.str().c_str(), s.dst.str().c_str(), s.ssrc, s.codec.c_str(),
                static_cast<unsigned long long>(s.stats->packets()),
                static_cast<long long>(s.stats->lost()), fmt(s.stats->jitter_ms(), "%.2f").c_str(),
                fmt(s.first_s).c_str(), fmt(s.last_s).c_str());
  }
  if (vi.findings().empty())
    std::printf("no findings\n");
  for (const auto &f : vi.findings())
    std::printf("  %s\n", to_text(f).c_str());
  return found ? 1 : 0;
}

int inspect_pcap(const std::string &path, bool json) {
  VoiceInspector vi;
  auto reader = PcapReader::open_file(path);
  reader.run([&](const UdpDatagram &d) { vi.add(d); },
             [&](std::size_t frame, double t, const std::string &why) {
               vi.malformed_frame(frame, t, why);
             });
  vi.finish();
  return print_report(vi, path, json);
}

int run_inspect(int argc, char **argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--json")
      o.json = true;
    else if (a == "--sip-message" && i + 1 < argc)
      o.sip_message = argv[++i];
    else if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (!a.empty() && a[0] == '-' && a != "-")
      throw vg::Error(std::string(a), "unknown option for 'voice inspect'");
    else
      o.files.emplace_back(a);
  }
  if (!o.sip_message.empty())
    return inspect_sip(o);
  if (!o.files.empty()) {
    int rc = 0;
    for (const auto &f : o.files)
      rc = std::max(rc, inspect_pcap(f, o.json));
    return rc;
  }
  throw vg::Error("voice inspect", "give FILE.pcap or --sip-message FILE");
}

bool is_wav(const std::string &path) {
  vg::MappedFile f = vg::MappedFile::open(path, 16);
  auto b = f.bytes();
  return b.size() >= 12 && std::memcmp(b.data(), "RIFF", 4) == 0 &&
         std::memcmp(b.data() + 8, "WAVE", 4) == 0;
}

int run_scrub(int argc, char **argv) {
  if (argc == 2 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (argc != 3)
    throw vg::Error("voice scrub", "needs IN and OUT (WAV files or pcap captures)");
  std::string in = argv[1], out = argv[2];
  if (!is_wav(in)) {
    auto st = scrub_pcap(in, out);
    std::printf(
        "%s -> %s: %zu frames, %zu RTP audio packets rewritten, %zu left unchanged (codec cannot "
        "carry the band), %zu could not be rewritten (copied unchanged)\n",
        in.c_str(), out.c_str(), st.frames, st.rtp_rewritten, st.rtp_untouched, st.rtp_failed);
    return st.rtp_failed ? 1 : 0;
  }
  WavAudio a = read_wav(in);
  double band_before = -200, voice_before = -200;
  for (const auto &ch : a.channels) {
    band_before = std::max(band_before, band_level_dbfs(ch, a.sample_rate, 16800, 24000));
    voice_before = std::max(voice_before, band_level_dbfs(ch, a.sample_rate, 300, 3400));
  }
  bool active = false;
  for (auto &ch : a.channels) {
    InaudibleBandFilter f(a.sample_rate);
    active = f.active();
    if (!active)
      break;
    std::size_t d = f.delay();
    ch.resize(ch.size() + d, 0.0f);
    f.process(ch);
    ch.erase(ch.begin(), ch.begin() + static_cast<long>(d)); // remove the filter's delay
  }
  write_wav(out, a);
  double band_after = -200, voice_after = -200;
  for (const auto &ch : a.channels) {
    band_after = std::max(band_after, band_level_dbfs(ch, a.sample_rate, 16800, 24000));
    voice_after = std::max(voice_after, band_level_dbfs(ch, a.sample_rate, 300, 3400));
  }
  if (!active)
    std::printf("%s -> %s: %u Hz audio has no inaudible band (nothing above %u Hz); copied\n",
                in.c_str(), out.c_str(), a.sample_rate, a.sample_rate / 2);
  else
    std::printf("%s -> %s: inaudible band 16.8-24 kHz %.1f -> %.1f dBFS; voice band 300-3400 Hz "
                "%.1f -> %.1f dBFS\n",
                in.c_str(), out.c_str(), band_before, band_after, voice_before, voice_after);
  return 0;
}

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) {
  g_stop = 1;
}

int run_watch(int argc, char **argv) {
  std::string iface, filter = "udp";
  bool json = false;
  double duration = 0;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--iface" && i + 1 < argc)
      iface = argv[++i];
    else if (a == "--filter" && i + 1 < argc)
      filter = argv[++i];
    else if (a == "--duration" && i + 1 < argc)
      duration = std::atof(argv[++i]);
    else if (a == "--json")
      json = true;
    else if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else
      throw vg::Error(std::string(a), "unknown option for 'voice watch'");
  }
  if (iface.empty())
    throw vg::Error("voice watch", "--iface IF is required");
  auto reader = PcapReader::open_live(iface, filter);
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  VoiceInspector vi;
  vi.on_finding = [&](const Finding &f) {
    if (json) {
      auto j = to_json(f);
      j["input"] = iface;
      j["live"] = true;
      std::printf("%s\n", j.dump().c_str());
    } else {
      std::printf("%s\n", to_text(f).c_str());
    }
    std::fflush(stdout);
  };
  auto start = std::chrono::steady_clock::now();
  reader.run(
      [&](const UdpDatagram &d) { vi.add(d); },
      [&](std::size_t frame, double t, const std::string &why) {
        vi.malformed_frame(frame, t, why);
      },
      [&] {
        return g_stop != 0 ||
               (duration > 0 &&
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() >=
                    duration);
      });
  vi.on_finding = nullptr;
  vi.finish();
  std::fflush(stdout);
  return print_report(vi, iface, json);
}

int run_guard(int argc, char **argv) {
  long queue = -1;
  bool json = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--queue" && i + 1 < argc) {
      char *end = nullptr;
      queue = std::strtol(argv[++i], &end, 10);
      if (!end || *end || queue < 0 || queue > 65535)
        throw vg::Error(argv[i], "queue number must be 0-65535");
    } else if (a == "--json") {
      json = true;
    } else if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else {
      throw vg::Error(std::string(a), "unknown option for 'voice guard'");
    }
  }
  if (queue < 0)
    throw vg::Error("voice guard", "--queue N is required");
  PacketGuard guard;
  guard.on_finding = [&](const Finding &f) {
    if (json)
      std::printf("%s\n", to_json(f).dump().c_str());
    else
      std::printf("%s\n", to_text(f).c_str());
    std::fflush(stdout);
  };
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  run_netfilter_queue(static_cast<unsigned>(queue), guard, [] { return g_stop != 0; });
  const auto &st = guard.stats();
  std::fprintf(
      stderr,
      "voxguard voice guard: %llu packets, %llu accepted, %llu dropped, %llu rewritten, %llu "
      "fail-open\n",
      static_cast<unsigned long long>(st.packets), static_cast<unsigned long long>(st.accepted),
      static_cast<unsigned long long>(st.dropped), static_cast<unsigned long long>(st.rewritten),
      static_cast<unsigned long long>(st.fail_open));
  return 0;
}

int voice_main(int argc, char **argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0) {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  std::string_view sub = argv[1];
  try {
    if (sub == "inspect")
      return run_inspect(argc - 1, argv + 1);
    if (sub == "watch")
      return run_watch(argc - 1, argv + 1);
    if (sub == "guard")
      return run_guard(argc - 1, argv + 1);
    if (sub == "scrub")
      return run_scrub(argc - 1, argv + 1);
    std::fprintf(stderr, "voxguard voice: unknown subcommand '%s'\n%s", argv[1], kUsage);
    return 2;
  } catch (const std::exception &e) {
    std::fprintf(stderr, "voxguard voice: %s\n", e.what());
    return 2;
  }
}

} // namespace

VOXGUARD_COMMAND(voice, "voice", "inspect SIP/RTP calls and their audio; guard and scrub it",
                 voice_main);
