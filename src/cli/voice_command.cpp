// voice_command.cpp — `voxguard voice inspect|watch|guard|scrub`: the voice-channel inspection.
#include "cli/command.hpp"
#include "common/error.hpp"
#include "common/mapped_file.hpp"
#include "voice/finding_json.hpp"
#include "voice/sip_message.hpp"

#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace vg::voice;

const char *kUsage =
    "usage: voxguard voice inspect [--json] FILE.pcap\n"
    "       voxguard voice inspect [--json] --sip-message FILE\n"
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
  throw vg::Error("voice inspect", "give FILE.pcap or --sip-message FILE");
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
