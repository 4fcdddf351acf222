// wav_file.cpp — WAV reading and writing.
#include "voice/wav_file.hpp"

#include "common/error.hpp"
#include "common/mapped_file.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace vg::voice {
namespace {

std::uint32_t le32(const std::uint8_t *p) {
  return p[0] | p[1] << 8 | p[2] << 16 | std::uint32_t(p[3]) << 24;
}
std::uint16_t le16(const std::uint8_t *p) {
  return static_cast<std::uint16_t>(p[0] | p[1] << 8);
}

} // namespace

WavAudio read_wav(const std::string &path) {
  MappedFile f = MappedFile::open(path, std::size_t(1) << 31);
  auto b = f.bytes();
  if (b.size() < 12 || std::memcmp(b.data(), "RIFF", 4) != 0 ||
      std::memcmp(b.data() + 8, "WAVE", 4) != 0)
    throw Error(path, "not a RIFF/WAVE file");
  std::size_t off = 12;
  unsigned format = 0, channels = 0, bits = 0, rate = 0;
  bool have_fmt = false;
  std::span<const std::uint8_t> data;
  bool have_data = false;
  while (off + 8 <= b.size()) {
    std::uint32_t size = le32(b.data() + off + 4);
    std::string id(reinterpret_cast<const char *>(b.data() + off), 4);
    off += 8;
    std::size_t avail = b.size() - off;
    if (id == "data") {
      // streams written before the length is known carry 0 or 0xffffffff: take what is there
      std::size_t n = (size == 0 || size == 0xffffffffu) ? avail : size;
      if (n > avail)
        throw Error(path, "data chunk says " + std::to_string(size) + " bytes but only " +
                              std::to_string(avail) + " remain (truncated file)");
      data = b.subspan(off, n);
      have_data = true;
      break;
    }
    if (size > avail)
      throw Error(path, "chunk '" + id + "' says " + std::to_string(size) + " bytes but only " +
                            std::to_string(avail) + " remain (truncated file)");
    if (id == "fmt ") {
      if (size < 16)
        throw Error(path, "fmt chunk of " + std::to_string(size) + " bytes is too short");
      const auto *p = b.data() + off;
      format = le16(p);
      channels = le16(p + 2);
      rate = le32(p + 4);
      bits = le16(p + 14);
      if (format == 0xfffe && size >= 26)
        format = le16(p + 24); // WAVE_FORMAT_EXTENSIBLE: sub-format GUID's first two bytes
      have_fmt = true;
    }
    off += size + (size & 1);
  }
  if (!have_fmt)
    throw Error(path, "no fmt chunk");
  if (!have_data)
    throw Error(path, "no data chunk");
  if (channels == 0 || channels > 32)
    throw Error(path, "unsupported channel count " + std::to_string(channels));
  if (rate < 1000 || rate > 768000)
    throw Error(path, "unsupported sample rate " + std::to_string(rate));
  bool pcm = format == 1 && (bits == 8 || bits == 16 || bits == 24 || bits == 32);
  bool flt = format == 3 && (bits == 32 || bits == 64);
  if (!pcm && !flt)
    throw Error(path, "unsupported sample format (format tag " + std::to_string(format) + ", " +
                          std::to_string(bits) + " bits)");
  std::size_t bytes = bits / 8;
  std::size_t frame = bytes * channels;
  std::size_t frames = data.size() / frame;
  WavAudio a;
  a.sample_rate = rate;
  a.channels.assign(channels, std::vector<float>(frames));
  for (std::size_t i = 0; i < frames; ++i)
    for (unsigned c = 0; c < channels; ++c) {
      const auto *p = data.data() + i * frame + c * bytes;
      float v;
      if (flt && bits == 32) {
        std::memcpy(&v, p, 4);
      } else if (flt) {
        double d;
        std::memcpy(&d, p, 8);
        v = static_cast<float>(d);
      } else if (bits == 8) {
        v = (static_cast<float>(p[0]) - 128.0f) / 128.0f;
      } else if (bits == 16) {
        v = static_cast<float>(static_cast<std::int16_t>(le16(p))) / 32768.0f;
      } else if (bits == 24) {
        std::int32_t s = (p[0] << 8 | p[1] << 16 | p[2] << 24) >> 8;
        v = static_cast<float>(s) / 8388608.0f;
      } else {
        v = static_cast<float>(static_cast<std::int32_t>(le32(p))) / 2147483648.0f;
      }
      if (!std::isfinite(v))
        throw Error(path, "non-finite sample at frame " + std::to_string(i));
      a.channels[c][i] = v;
    }
  return a;
}

void write_wav(const std::string &path, const WavAudio &a) {
  if (a.channels.empty())
    throw Error(path, "no audio to write");
  std::size_t frames = a.frames();
  auto ch = static_cast<std::uint32_t>(a.channels.size());
  std::uint32_t data_bytes = static_cast<std::uint32_t>(frames * ch * 2);
  std::vector<std::uint8_t> out(44 + data_bytes);
  auto put32 = [&](std::size_t o, std::uint32_t v) {
    for (int i = 0; i < 4; ++i)
      out[o + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v >> (8 * i));
  };
  auto put16 = [&](std::size_t o, std::uint16_t v) {
    out[o] = static_cast<std::uint8_t>(v);
    out[o + 1] = static_cast<std::uint8_t>(v >> 8);
  };
  std::memcpy(out.data(), "RIFF", 4);
  put32(4, 36 + data_bytes);
  std::memcpy(out.data() + 8, "WAVEfmt ", 8);
  put32(16, 16);
  put16(20, 1);
  put16(22, static_cast<std::uint16_t>(ch));
  put32(24, a.sample_rate);
  put32(28, a.sample_rate * ch * 2);
  put16(32, static_cast<std::uint16_t>(ch * 2));
  put16(34, 16);
  std::memcpy(out.data() + 36, "data", 4);
  put32(40, data_bytes);
  for (std::size_t i = 0; i < frames; ++i)
    for (std::uint32_t c = 0; c < ch; ++c) {
      float v = std::clamp(a.channels[c][i], -1.0f, 1.0f);
      auto s = static_cast<std::int16_t>(std::lround(v * 32767.0f));
      put16(44 + (i * ch + c) * 2, static_cast<std::uint16_t>(s));
    }
  FILE *fp = std::fopen(path.c_str(), "wb");
  if (!fp)
    throw Error(path, std::string("cannot create: ") + std::strerror(errno));
  bool ok = std::fwrite(out.data(), 1, out.size(), fp) == out.size();
  ok &= std::fclose(fp) == 0;
  if (!ok)
    throw Error(path, "write failed");
}

} // namespace vg::voice
