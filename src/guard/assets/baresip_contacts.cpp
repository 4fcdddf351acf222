#include "guard/assets/baresip_contacts.hpp"

#include "guard/assets/name_addr.hpp"
#include "guard/assets/text_lines.hpp"

namespace vg::guard {

ContactBook parse_baresip_contacts(std::string_view text, const std::string &input) {
  check_text(text, input);
  ContactBook book;
  for_each_line(text, [&](std::string_view line, std::size_t number) {
    std::string_view t = trim(line);
    if (t.empty() || t.front() == '#')
      return;
    NameAddr na = parse_name_addr(t, input + ":" + std::to_string(number));
    book.add(na.name(), na.uri);
  });
  return book;
}

} // namespace vg::guard
