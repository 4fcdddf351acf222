// voice_peers.hpp — shared set-up of the voice end-to-end tests with real peers (baresip, sipp)
// in a private network namespace, following ../shared/docs/voip-e2e.
// Promise: skip_reason() names what is missing (recipe, root, a tool) or is empty; write_script()
// writes a test's shell script with the recipe path pointing at this checkout's shared docs;
// make_audio() renders the espeak-ng speech at 48 kHz and the variants the tests send.
#pragma once
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>
#include <unistd.h>

namespace vg::test {

inline int sh(const std::string &cmd) {
  return std::system(cmd.c_str());
}

inline std::filesystem::path voip_recipe_dir() {
  return std::filesystem::path(VOXGUARD_SHARED_DATA).parent_path() / "docs" / "voip-e2e";
}

inline std::string skip_reason(std::initializer_list<const char *> tools) {
  auto e2e = voip_recipe_dir();
  if (!std::filesystem::exists(e2e / "config.template"))
    return "recipe missing: " + e2e.string();
  if (geteuid() != 0)
    return "needs root for unshare -n";
  for (const char *tool : tools)
    if (sh(std::string("command -v ") + tool + " >/dev/null 2>&1") != 0)
      return std::string(tool) + " is not installed (scripts/deps.sh # voice)";
  return {};
}

// Shell functions every call script starts with (run with bash inside unshare -n):
//   peer_config OUT MODULE CODECS WAV  loopback up, baresip's HOME and config for one call (CFG)
//   start_sipp OUT                     the answering peer on 5070, RTP on 20000, echoing (SIPP)
//   start_baresip OUT                  the calling softphone (BARESIP); dial with dial_by_name.py
inline constexpr const char *kPeerFunctions = R"SH(set -u
E2E=/work/shared/docs/voip-e2e
peer_config() {
  rm -rf "$1"; mkdir -p "$1"
  ip link set lo up
  export HOME=$1/home; CFG=$HOME/.baresip; mkdir -p "$CFG"
  sed -e "s#@WAV@#$4#" -e "s#@CODECMODS@#module\t\t\t$2#" -e "s#@OPUSBR@#64000#" $E2E/config.template > $CFG/config
  sed -e "s#@ACCPARAMS@#;audio_codecs=$3#" $E2E/accounts.template > $CFG/accounts
  cp $E2E/contacts.orig $CFG/contacts
}
start_sipp() {
  sipp -sf $E2E/uas_first_codec.xml -i 127.0.0.1 -p 5070 -m 1 -timeout 30s -nostdin \
       -mi 127.0.0.1 -mp 20000 -rtp_echo >$1/sipp.screen 2>&1 & SIPP=$!
}
start_baresip() {
  baresip -f $CFG -t 30 >$1/baresip.log 2>&1 & BARESIP=$!
}
)SH";

// Writes kPeerFunctions + `script`, with the recipe path (/work/shared/docs/voip-e2e in the text)
// pointing at this checkout's shared docs.
inline void write_script(std::string script, const std::filesystem::path &to) {
  script = kPeerFunctions + script;
  const std::string where = "/work/shared/docs/voip-e2e", here = voip_recipe_dir().string();
  for (std::size_t p = 0; (p = script.find(where, p)) != std::string::npos; p += here.size())
    script.replace(p, where.size(), here);
  std::ofstream(to) << script;
}

// In `dir`: speech48.wav (espeak-ng `text`, 48 kHz mono) and mark.wav (the same plus a 19 kHz
// tone at -30 dBFS). Returns the shell status.
inline int make_audio(const std::filesystem::path &dir, const std::string &text) {
  return sh("cd " + dir.string() + " && espeak-ng -w speech.wav '" + text +
            "' && sox speech.wav -r 48000 -c 1 -b 16 speech48.wav &&"
            " sox -n -r 48000 -c 1 -b 16 tone.wav synth $(soxi -D speech48.wav) sine 19000 "
            "vol 0.0447 && sox -m -v 1 speech48.wav -v 1 tone.wav mark.wav >/dev/null 2>&1");
}

} // namespace vg::test
