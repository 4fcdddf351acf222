#include "scan/containers/html_extractor.hpp"

#include <algorithm>
#include <cctype>
#include <gmime/gmime-encodings.h>
#include <string_view>

namespace vg {

namespace {

bool base64_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/' || c == '=' ||
         c == '\r' || c == '\n' || c == ' ' || c == '\t';
}

bool iequal_at(std::string_view t, std::size_t at, std::string_view word) {
  if (at + word.size() > t.size())
    return false;
  for (std::size_t i = 0; i < word.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(t[at + i])) != word[i])
      return false;
  return true;
}

} // namespace

void HtmlExtractor::extract(std::span<const std::uint8_t> data, ChildSink &sink) const {
  std::string_view t(reinterpret_cast<const char *>(data.data()), data.size());
  std::size_t pos = 0;
  while (sink.keep_going()) {
    std::size_t d = pos;
    while (d < t.size() && !iequal_at(t, d, "data:"))
      ++d;
    if (d >= t.size())
      return;
    pos = d + 5;
    // data:[<media type>][;param]*[;base64],<data>
    std::size_t comma = t.find(',', pos);
    if (comma == std::string_view::npos || comma - pos > 256)
      continue;
    std::string_view header = t.substr(pos, comma - pos);
    if (header.size() < 7 || !iequal_at(header, header.size() - 7, ";base64"))
      continue;
    std::size_t end = comma + 1;
    while (end < t.size() && base64_char(t[end]))
      ++end;
    pos = end;
    ChildObject c;
    c.name = std::string(header.substr(0, header.find(';')));
    c.method = "html:data-uri";
    std::size_t in_len = end - comma - 1;
    c.bytes.resize(in_len / 4 * 3 + 4);
    int state = 0;
    guint32 save = 0;
    std::size_t n = g_mime_encoding_base64_decode_step(
        reinterpret_cast<const unsigned char *>(t.data() + comma + 1), in_len, c.bytes.data(),
        &state, &save);
    c.bytes.resize(std::min<std::size_t>(n, c.bytes.size()));
    c.packed_size = in_len;
    if (c.bytes.size() > sink.size_cap()) {
      c.bytes.resize(static_cast<std::size_t>(sink.size_cap()));
      c.cut = true;
    }
    if (!sink.child(std::move(c)))
      return;
  }
}

} // namespace vg
