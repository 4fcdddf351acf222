#!/bin/bash
# bench/voice_streams.sh — voice-channel analysis throughput per codec, in streams per core in
# real time, against the tools a user would otherwise run on the same capture in the same run.
#
# usage: [VOXGUARD_BUILD=build] [MIN_CPU=3] bash bench/voice_streams.sh
#   (root: the calls are recorded with real peers inside `unshare -n`; needs baresip, sipp,
#    tshark, sox, espeak-ng, and ../shared/docs/voip-e2e)
#
# 1. Records one real call per codec (baresip -> sipp, the voip-e2e recipe) carrying the same
#    espeak-ng speech at 48 kHz: Opus 64 kbit/s, L16/48000, PCMU, G.722.
# 2. voxguard: bench/voice_streams.cpp (built here against the build's libvg_voice.a) decodes the
#    baresip -> sipp stream and runs every detector `voice inspect` runs on it, repeated until
#    MIN_CPU seconds of CPU; streams per core = audio seconds analysed / CPU seconds.
# 3. Anchors on the same input, in the same run:
#    a. sox: decode the same payloads (the stream 20 times over, so start-up does not dominate) and
#       compute a spectrogram at voxguard's resolution (10 ms columns, a ~32 ms DFT: 129 bins at
#       8 kHz, 1025 at 48 kHz) — what a person does to look for a 19 kHz carrier or a modem by
#       eye; the PNG goes to /dev/null. sox reads raw µ-law and L16, not raw G.722 or Opus RTP
#       payloads, so those rows say n/a.
#    b. tshark -q -z rtp,streams on the whole capture (the usual RTP stream analysis: loss, jitter;
#       it does not decode audio at all), against `voxguard voice inspect` on the same capture
#       (SIP + RTP checks + audio analysis of every stream). One run each: CPU seconds.
#    c. pcap parse throughput: `tshark -r FILE -Y rtp` (dissect every packet, keep RTP) against the
#       same `voxguard voice inspect`, which parses and also decodes and analyses the audio.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${VOXGUARD_BUILD:-$ROOT/build}" && pwd)
E2E=${VOXGUARD_E2E:-$ROOT/../shared/docs/voip-e2e}
MIN_CPU=${MIN_CPU:-3}
WORK=$(mktemp -d /tmp/vg-voice-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
for t in baresip sipp tshark sox espeak-ng unshare; do
  command -v $t >/dev/null || { echo "voice_streams.sh: $t is not installed" >&2; exit 2; }
done
[ -f "$E2E/run_audio_test.sh" ] || { echo "voice_streams.sh: recipe missing: $E2E" >&2; exit 2; }
[ -f "$BUILD/libvg_voice.a" ] || { echo "voice_streams.sh: no libvg_voice.a in $BUILD" >&2; exit 2; }

c++ -std=c++20 -O2 -DNDEBUG -I"$ROOT/src" "$ROOT/bench/voice_streams.cpp" \
    "$BUILD/libvg_voice.a" "$BUILD/libvg_common.a" \
    $(pkg-config --libs libpcap opus fftw3f libnetfilter_queue libcrypto) -o "$WORK/voice_streams"

espeak-ng -w "$WORK/speech.wav" "Hello, this is your bank calling about your account. Please \
confirm the last transaction of forty two euros, and the one before it of seventeen euros. \
Thank you and goodbye." >/dev/null 2>&1
sox "$WORK/speech.wav" -r 48000 -c 1 -b 16 "$WORK/speech48.wav"

cpu() { # CPU seconds (user + system) of a command, its output discarded
  local TIMEFORMAT=%U+%S t
  t=$( { time "$@" >/dev/null 2>&1; } 2>&1 ) || true
  echo "$t" | bc -l
}

printf '%-14s %9s %12s %12s %8s %12s %12s %8s %12s %8s\n' codec audio_s voxguard/core sox/core \
  ratio "inspect_s" "tshark_s" ratio "tshark_Y_s" ratio
for row in "opus opus.so opus/48000/2 - -" "L16 l16.so L16/48000/1 s16 48000" \
           "PCMU g711.so PCMU/8000/1 ul 8000" "G722 g722.so G722/8000/1 - -"; do
  set -- $row
  label=$1 mod=$2 codec=$3 soxtype=$4 soxrate=$5
  OUT_BASE="$WORK" timeout 90 unshare -n -- bash "$E2E/run_audio_test.sh" "$label" "$mod" "$codec" \
      64000 "$WORK/speech48.wav" >/dev/null 2>&1 || true
  cap="$WORK/$label/capture.pcap"
  [ -s "$cap" ] || { echo "$label: the call was not recorded" >&2; continue; }
  line=$("$WORK/voice_streams" "$cap" 20000 "$codec" "$MIN_CPU" --dump "$WORK/$label.raw")
  audio=$(sed -E 's/.*stream_audio_s=([0-9.]+).*/\1/' <<<"$line")
  ours=$(sed -E 's/.*streams_per_core=([0-9.]+).*/\1/' <<<"$line")
  soxcore=n/a soxratio=n/a
  if [ "$soxtype" != - ]; then
    extra=(); [ "$soxtype" = s16 ] && extra=(-B)
    # the stream 20 times over, so that sox's start-up does not dominate
    for _ in $(seq 20); do cat "$WORK/$label.raw"; done > "$WORK/$label.x20.raw"
    # at voxguard's resolution: 10 ms columns over the whole audio, a ~32 ms DFT
    cols=$(printf '%.0f' "$(echo "20 * $audio * 100 + 1" | bc -l)")
    bins=$([ "$soxrate" -ge 48000 ] && echo 1025 || echo 129)
    s=$(cpu sox -t "$soxtype" "${extra[@]}" -r "$soxrate" -c 1 "$WORK/$label.x20.raw" -n \
          spectrogram -X 100 -x "$cols" -y "$bins" -o /dev/null)
    soxcore=$(printf '%.0f' "$(echo "20 * $audio / $s" | bc -l)")
    soxratio=$(printf '%.1fx' "$(echo "$ours / $soxcore" | bc -l)")
  fi
  vi=$(cpu "$BUILD/voxguard" voice inspect "$cap")
  ts=$(cpu tshark -q -r "$cap" -d udp.port==5070,sip -d udp.port==20000,rtp -z rtp,streams)
  # pcap parse throughput: tshark dissecting every packet and filtering RTP (no audio decoding)
  ty=$(cpu tshark -r "$cap" -d udp.port==5070,sip -d udp.port==20000,rtp -Y rtp)
  printf '%-14s %9.2f %12.0f %12s %8s %12.3f %12.3f %7.1fx %12.3f %7.1fx\n' "$codec" "$audio" \
    "$ours" "$soxcore" "$soxratio" "$vi" "$ts" "$(echo "$ts / $vi" | bc -l)" "$ty" \
    "$(echo "$ty / $vi" | bc -l)"
done
echo "(streams per core: audio seconds analysed per CPU second on one core; $(nproc) cores here," \
     "shared: run on an idle machine for stable figures)"
