#include "scan/containers/rtf_extractor.hpp"

#include "scan/containers/ole_package.hpp"

#include <cctype>
#include <string_view>

namespace vg {

void RtfExtractor::extract(std::span<const std::uint8_t> data, ChildSink &sink) const {
  std::string_view t(reinterpret_cast<const char *>(data.data()), data.size());
  std::size_t pos = 0;
  unsigned index = 0;
  while (sink.keep_going()) {
    std::size_t at = t.find("\\objdata", pos);
    if (at == std::string_view::npos)
      return;
    pos = at + 8;
    // Hex digits up to the end of the group; whitespace and line breaks are skipped, nested groups
    // and other control words (\\*\\objdata often holds "\\bin" free) end the data.
    std::vector<std::uint8_t> bytes;
    int hi = -1;
    std::size_t i = pos;
    for (; i < t.size(); ++i) {
      auto c = static_cast<unsigned char>(t[i]);
      if (c == '}' || c == '{')
        break;
      if (c == '\\') { // a control word inside the data: skip it
        ++i;
        while (i < t.size() && std::isalpha(static_cast<unsigned char>(t[i])))
          ++i;
        while (i < t.size() && (std::isdigit(static_cast<unsigned char>(t[i])) || t[i] == '-'))
          ++i;
        if (i < t.size() && t[i] != ' ')
          --i;
        continue;
      }
      if (!std::isxdigit(c))
        continue;
      int v = std::isdigit(c) ? c - '0' : std::tolower(c) - 'a' + 10;
      if (hi < 0) {
        hi = v;
      } else {
        if (bytes.size() >= sink.size_cap())
          break;
        bytes.push_back(static_cast<std::uint8_t>(hi << 4 | v));
        hi = -1;
      }
    }
    pos = i;
    ++index;
    ChildObject c;
    if (auto obj = parse_ole1_object(bytes)) {
      c = std::move(*obj);
      c.method = "rtf:" + c.method;
    } else {
      c.name = "objdata " + std::to_string(index);
      c.method = "rtf:objdata";
      c.bytes = std::move(bytes);
    }
    if (c.bytes.size() >= sink.size_cap())
      c.cut = true;
    if (!sink.child(std::move(c)))
      return;
  }
}

} // namespace vg
