#include "guard/assets/text_lines.hpp"

#include "common/error.hpp"

namespace vg::guard {

void for_each_line(std::string_view text,
                   const std::function<void(std::string_view line, std::size_t number)> &fn) {
  std::size_t number = 0;
  while (!text.empty()) {
    std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    fn(line, ++number);
  }
}

void check_text(std::string_view text, const std::string &input) {
  std::size_t nul = text.find('\0');
  if (nul != std::string_view::npos)
    throw Error(input, "binary data (NUL byte at offset " + std::to_string(nul) +
                           ") in a text address book");
}

} // namespace vg::guard
