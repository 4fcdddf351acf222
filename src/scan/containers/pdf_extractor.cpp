#include "scan/containers/pdf_extractor.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <string>
#include <string_view>
#include <vector>
#include <zlib.h>

namespace vg {

namespace {

bool pdf_space(char c) {
  return c == ' ' || c == '\r' || c == '\n' || c == '\t' || c == '\f' || c == '\0';
}
bool pdf_delim(char c) {
  return pdf_space(c) || c == '/' || c == '[' || c == ']' || c == '<' || c == '>' || c == '(' ||
         c == ')';
}

// The filter names of a stream dictionary, in order (abbreviations expanded).
std::vector<std::string> filters_of(std::string_view dict) {
  std::vector<std::string> out;
  std::size_t f = dict.find("/Filter");
  if (f == std::string_view::npos)
    return out;
  std::size_t i = f + 7;
  while (i < dict.size() && pdf_space(dict[i]))
    ++i;
  bool array = i < dict.size() && dict[i] == '[';
  if (array)
    ++i;
  while (i < dict.size()) {
    while (i < dict.size() && pdf_space(dict[i]))
      ++i;
    if (i >= dict.size() || dict[i] != '/')
      break;
    std::size_t s = ++i;
    while (i < dict.size() && !pdf_delim(dict[i]))
      ++i;
    std::string name(dict.substr(s, i - s));
    if (name == "Fl")
      name = "FlateDecode";
    else if (name == "AHx")
      name = "ASCIIHexDecode";
    else if (name == "A85")
      name = "ASCII85Decode";
    out.push_back(name);
    if (!array)
      break;
  }
  return out;
}

// The direct /Length of a dictionary (nullopt when absent or an indirect reference).
std::optional<std::uint64_t> length_of(std::string_view dict) {
  std::size_t f = dict.find("/Length");
  if (f == std::string_view::npos)
    return std::nullopt;
  std::size_t i = f + 7;
  while (i < dict.size() && pdf_space(dict[i]))
    ++i;
  std::uint64_t v = 0;
  std::size_t digits = 0;
  while (i < dict.size() && std::isdigit(static_cast<unsigned char>(dict[i])) && digits < 15) {
    v = v * 10 + static_cast<std::uint64_t>(dict[i++] - '0');
    ++digits;
  }
  if (!digits)
    return std::nullopt;
  std::size_t j = i;
  while (j < dict.size() && pdf_space(dict[j]))
    ++j;
  // "N G R" is a reference, not a length.
  if (j < dict.size() && std::isdigit(static_cast<unsigned char>(dict[j]))) {
    while (j < dict.size() && std::isdigit(static_cast<unsigned char>(dict[j])))
      ++j;
    while (j < dict.size() && pdf_space(dict[j]))
      ++j;
    if (j < dict.size() && dict[j] == 'R')
      return std::nullopt;
  }
  return v;
}

struct Decoded {
  std::vector<std::uint8_t> bytes;
  bool cut = false, ratio = false;
  std::string damage;
};

Decoded inflate_bytes(std::span<const std::uint8_t> in, const ChildSink &sink) {
  Decoded d;
  const std::uint64_t cap = sink.size_cap();
  for (int window : {15, -15}) { // zlib stream, else raw deflate
    d = Decoded{};
    z_stream z{};
    if (inflateInit2(&z, window) != Z_OK)
      throw std::bad_alloc();
    z.next_in = const_cast<Bytef *>(in.data());
    z.avail_in = static_cast<uInt>(std::min<std::size_t>(in.size(), UINT32_MAX));
    std::uint8_t buf[64 * 1024];
    int rc = Z_OK;
    while (rc == Z_OK) {
      z.next_out = buf;
      z.avail_out = sizeof buf;
      rc = inflate(&z, Z_NO_FLUSH);
      std::size_t got = sizeof buf - z.avail_out;
      if (d.bytes.size() + got > cap) {
        d.bytes.insert(d.bytes.end(), buf, buf + (cap - d.bytes.size()));
        d.cut = true;
        break;
      }
      d.bytes.insert(d.bytes.end(), buf, buf + got);
      if (sink.ratio_broken(d.bytes.size(), z.total_in)) {
        d.ratio = true;
        break;
      }
      if (got == 0 && rc == Z_OK)
        break; // no progress: input exhausted
    }
    inflateEnd(&z);
    if (rc == Z_STREAM_END || d.cut || d.ratio)
      return d;
    if (!d.bytes.empty() || window < 0) {
      d.damage =
          rc == Z_BUF_ERROR || rc == Z_OK ? "Flate stream is truncated" : "Flate stream is damaged";
      return d;
    }
  }
  return d;
}

Decoded ascii_hex(std::span<const std::uint8_t> in) {
  Decoded d;
  int hi = -1;
  for (std::uint8_t c : in) {
    if (c == '>')
      break;
    int v = std::isxdigit(c) ? (std::isdigit(c) ? c - '0' : (std::tolower(c) - 'a' + 10)) : -1;
    if (v < 0)
      continue; // whitespace and junk are skipped, as readers do
    if (hi < 0) {
      hi = v;
    } else {
      d.bytes.push_back(static_cast<std::uint8_t>(hi << 4 | v));
      hi = -1;
    }
  }
  if (hi >= 0)
    d.bytes.push_back(static_cast<std::uint8_t>(hi << 4));
  return d;
}

Decoded ascii85(std::span<const std::uint8_t> in) {
  Decoded d;
  std::uint32_t tuple = 0;
  int n = 0;
  for (std::size_t i = 0; i < in.size(); ++i) {
    std::uint8_t c = in[i];
    if (c == '~')
      break;
    if (c == 'z' && n == 0) {
      d.bytes.insert(d.bytes.end(), 4, 0);
      continue;
    }
    if (c < '!' || c > 'u')
      continue;
    tuple = tuple * 85 + static_cast<std::uint32_t>(c - '!');
    if (++n == 5) {
      for (int k = 3; k >= 0; --k)
        d.bytes.push_back(static_cast<std::uint8_t>(tuple >> (8 * k)));
      tuple = 0;
      n = 0;
    }
  }
  if (n > 1) {
    for (int k = n; k < 5; ++k)
      tuple = tuple * 85 + 84;
    for (int k = 0; k < n - 1; ++k)
      d.bytes.push_back(static_cast<std::uint8_t>(tuple >> (8 * (3 - k))));
  }
  return d;
}

} // namespace

void PdfExtractor::extract(std::span<const std::uint8_t> data, ChildSink &sink) const {
  std::string_view t(reinterpret_cast<const char *>(data.data()), data.size());
  std::size_t pos = 0;
  while (sink.keep_going()) {
    std::size_t s = t.find("stream", pos);
    if (s == std::string_view::npos)
      break;
    pos = s + 6;
    if (s >= 3 && t.substr(s - 3, 3) == "end")
      continue;
    std::size_t body = s + 6;
    if (body < t.size() && t[body] == '\r')
      ++body;
    if (body < t.size() && t[body] == '\n')
      ++body;
    else if (body >= t.size() || t[body - 1] != '\r')
      continue; // "stream" inside some other word or string
    // The object header and dictionary before the keyword.
    std::size_t from = s > 65536 ? s - 65536 : 0;
    std::size_t obj = t.rfind(" obj", s);
    if (obj == std::string_view::npos || obj < from)
      obj = from;
    std::string_view dict = t.substr(obj, s - obj);
    std::string name = "stream";
    {
      std::size_t ls = t.rfind('\n', obj);
      std::size_t lr = t.rfind('\r', obj);
      std::size_t line = std::max(ls == std::string_view::npos ? 0 : ls + 1,
                                  lr == std::string_view::npos ? 0 : lr + 1);
      if (obj >= line && obj - line < 32)
        name = "obj " + std::string(t.substr(line, obj - line));
    }
    std::size_t end = std::string_view::npos;
    if (auto len = length_of(dict); len && *len <= t.size() - body) {
      std::size_t e = body + *len;
      std::size_t k = e;
      while (k < t.size() && pdf_space(t[k]))
        ++k;
      if (t.substr(k, 9) == "endstream")
        end = e;
    }
    if (end == std::string_view::npos) {
      end = t.find("endstream", body);
      if (end == std::string_view::npos) {
        sink.damaged("PDF stream at offset " + std::to_string(body) + " has no endstream");
        end = t.size();
      }
      while (end > body && (t[end - 1] == '\n' || t[end - 1] == '\r'))
        --end;
    }
    pos = std::max(pos, end);
    ChildObject c;
    c.name = name;
    c.packed_size = end - body;
    std::span<const std::uint8_t> raw = data.subspan(body, end - body);
    std::vector<std::uint8_t> cur(raw.begin(), raw.end());
    std::string method = "pdf";
    for (const std::string &f : filters_of(dict)) {
      Decoded d;
      if (f == "FlateDecode")
        d = inflate_bytes(cur, sink);
      else if (f == "ASCIIHexDecode")
        d = ascii_hex(cur);
      else if (f == "ASCII85Decode")
        d = ascii85(cur);
      else {
        method += ":" + f + "(not decoded)";
        break;
      }
      method += ":" + f;
      cur = std::move(d.bytes);
      c.cut = c.cut || d.cut;
      c.ratio_exceeded = c.ratio_exceeded || d.ratio;
      if (!d.damage.empty())
        c.unreadable = d.damage;
      if (d.cut || d.ratio || !d.damage.empty())
        break;
    }
    if (cur.size() > sink.size_cap()) {
      cur.resize(sink.size_cap());
      c.cut = true;
    }
    if (!c.unreadable.empty() && !cur.empty()) {
      sink.damaged(name + ": " + c.unreadable);
      c.unreadable.clear(); // scan what decoded before the damage
    }
    c.bytes = std::move(cur);
    c.method = method;
    if (!sink.child(std::move(c)))
      break;
  }
}

} // namespace vg
