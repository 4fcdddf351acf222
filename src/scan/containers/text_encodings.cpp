#include "scan/containers/text_encodings.hpp"

#include <algorithm>
#include <array>
#include <string_view>

namespace vg {

namespace {

std::string_view as_view(std::span<const std::uint8_t> s) {
  return {reinterpret_cast<const char *>(s.data()), s.size()};
}

// Next line of `t` from `pos` (without the line end); advances pos past it.
std::string_view next_line(std::string_view t, std::size_t &pos) {
  std::size_t end = t.find('\n', pos);
  if (end == std::string_view::npos)
    end = t.size();
  std::string_view line = t.substr(pos, end - pos);
  pos = end < t.size() ? end + 1 : end;
  if (!line.empty() && line.back() == '\r')
    line.remove_suffix(1);
  return line;
}

bool is_uu_begin(std::string_view line, std::string &name) {
  if (line.substr(0, 6) != "begin ")
    return false;
  std::size_t i = 6;
  std::size_t digits = 0;
  while (i < line.size() && line[i] >= '0' && line[i] <= '7') {
    ++i;
    ++digits;
  }
  if (digits < 3 || digits > 4 || i >= line.size() || line[i] != ' ')
    return false;
  name = std::string(line.substr(i + 1));
  return true;
}

void append_capped(ChildObject &c, std::uint8_t b, std::uint64_t cap) {
  if (c.bytes.size() < cap)
    c.bytes.push_back(b);
  else
    c.cut = true;
}

} // namespace

std::vector<ChildObject> find_uuencoded(std::span<const std::uint8_t> text, std::uint64_t cap,
                                        std::size_t max_blocks) {
  std::vector<ChildObject> out;
  std::string_view t = as_view(text);
  std::size_t pos = 0;
  while (pos < t.size() && out.size() < max_blocks) {
    std::string name;
    if (!is_uu_begin(next_line(t, pos), name))
      continue;
    ChildObject c;
    c.name = name;
    c.method = "uuencode";
    bool ended = false;
    while (pos < t.size()) {
      std::string_view line = next_line(t, pos);
      if (line == "end") {
        ended = true;
        break;
      }
      if (line.empty())
        continue;
      auto val = [](char ch) { return static_cast<std::uint8_t>((ch - 0x20) & 0x3f); };
      std::size_t n = val(line[0]);
      if (n == 0)
        continue; // the "`" line before "end"
      std::size_t produced = 0;
      for (std::size_t i = 1; i + 1 < line.size() && produced < n; i += 4) {
        std::uint8_t q[4] = {};
        for (std::size_t k = 0; k < 4; ++k)
          q[k] = i + k < line.size() ? val(line[i + k]) : 0;
        std::uint8_t b[3] = {static_cast<std::uint8_t>(q[0] << 2 | q[1] >> 4),
                             static_cast<std::uint8_t>(q[1] << 4 | q[2] >> 2),
                             static_cast<std::uint8_t>(q[2] << 6 | q[3])};
        for (int k = 0; k < 3 && produced < n; ++k, ++produced)
          append_capped(c, b[k], cap);
      }
      if (c.cut)
        break;
    }
    if (!ended && c.unreadable.empty() && !c.cut)
      c.unreadable = "uuencoded block has no \"end\" line";
    out.push_back(std::move(c));
  }
  return out;
}

std::vector<ChildObject> find_binhex(std::span<const std::uint8_t> text, std::uint64_t cap) {
  std::vector<ChildObject> out;
  std::string_view t = as_view(text);
  std::size_t mark = t.find("(This file must be converted with BinHex");
  if (mark == std::string_view::npos)
    return out;
  std::size_t start =
      t.find(':', t.find('\n', mark) == std::string_view::npos ? t.size() : t.find('\n', mark));
  if (start == std::string_view::npos)
    return out;
  static constexpr std::string_view kAlphabet =
      "!\"#$%&'()*+,-012345689@ABCDEFGHIJKLMNPQRSTUVXYZ[`abcdefhijklmpqr";
  std::array<int, 256> value{};
  value.fill(-1);
  for (std::size_t i = 0; i < kAlphabet.size(); ++i)
    value[static_cast<std::uint8_t>(kAlphabet[i])] = static_cast<int>(i);

  // 6-bit decoding, then run-length expansion (0x90 n), into one byte stream; the stream holds the
  // header and both forks, so it is bounded by the header's sizes (each capped).
  std::vector<std::uint8_t> raw;
  const std::uint64_t raw_cap = 2 * cap + 4096;
  std::uint32_t acc = 0;
  int bits = 0;
  bool run = false, closed = false, cut = false;
  std::uint8_t last = 0;
  auto emit = [&](std::uint8_t b) {
    if (run) {
      run = false;
      if (b == 0) {
        raw.push_back(0x90);
        last = 0x90;
      } else {
        for (int k = 1; k < b && raw.size() < raw_cap; ++k)
          raw.push_back(last);
      }
    } else if (b == 0x90) {
      run = true;
    } else {
      raw.push_back(b);
      last = b;
    }
    if (raw.size() >= raw_cap)
      cut = true;
  };
  for (std::size_t i = start + 1; i < t.size() && !cut; ++i) {
    auto ch = static_cast<std::uint8_t>(t[i]);
    if (ch == ':') {
      closed = true;
      break;
    }
    if (ch == '\n' || ch == '\r' || ch == ' ' || ch == '\t')
      continue;
    if (value[ch] < 0)
      break;
    acc = (acc << 6) | static_cast<std::uint32_t>(value[ch]);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      emit(static_cast<std::uint8_t>(acc >> bits));
    }
  }
  std::size_t p = 0;
  auto need = [&](std::size_t n) { return p + n <= raw.size(); };
  if (!need(1))
    return out;
  std::size_t name_len = raw[p++];
  if (!need(name_len + 1 + 8 + 2 + 8 + 2)) {
    ChildObject c;
    c.method = "binhex";
    c.unreadable = "BinHex header is truncated";
    out.push_back(std::move(c));
    return out;
  }
  std::string name(raw.begin() + static_cast<std::ptrdiff_t>(p),
                   raw.begin() + static_cast<std::ptrdiff_t>(p + name_len));
  p += name_len + 1 + 8 + 2;
  auto be32 = [&](std::size_t at) {
    return std::uint32_t{raw[at]} << 24 | std::uint32_t{raw[at + 1]} << 16 |
           std::uint32_t{raw[at + 2]} << 8 | raw[at + 3];
  };
  std::uint64_t data_len = be32(p), rsrc_len = be32(p + 4);
  p += 8 + 2;
  for (int fork = 0; fork < 2; ++fork) {
    std::uint64_t len = fork == 0 ? data_len : rsrc_len;
    if (len == 0)
      continue;
    ChildObject c;
    c.name = fork == 0 ? name : name + " (resource fork)";
    c.method = "binhex";
    std::uint64_t avail = p <= raw.size() ? raw.size() - p : 0;
    std::uint64_t take = std::min({len, avail, cap});
    c.bytes.assign(raw.begin() + static_cast<std::ptrdiff_t>(p),
                   raw.begin() + static_cast<std::ptrdiff_t>(p + take));
    if (take < len) {
      if (take == cap || cut)
        c.cut = true;
      else
        c.unreadable =
            closed ? "BinHex fork is shorter than its header says" : "BinHex block is truncated";
    }
    p += static_cast<std::size_t>(std::min<std::uint64_t>(len, avail)) + 2;
    out.push_back(std::move(c));
  }
  return out;
}

} // namespace vg
