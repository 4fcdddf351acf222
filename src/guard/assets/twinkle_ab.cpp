#include "guard/assets/twinkle_ab.hpp"

#include "common/error.hpp"
#include "guard/assets/name_addr.hpp"
#include "guard/assets/text_lines.hpp"

#include <vector>

namespace vg::guard {

ContactBook parse_twinkle_ab(std::string_view text, const std::string &input) {
  check_text(text, input);
  ContactBook book;
  for_each_line(text, [&](std::string_view line, std::size_t number) {
    std::string where = input + ":" + std::to_string(number);
    if (trim(line).empty() || line.front() == '#')
      return;
    std::vector<std::string> fields(1);
    for (std::size_t i = 0; i < line.size(); ++i) {
      char c = line[i];
      if (c == '\\') {
        if (i + 1 >= line.size())
          throw Error(where, "line ends with a lone '\\'");
        fields.back() += line[++i];
      } else if (c == '|') {
        fields.emplace_back();
      } else {
        fields.back() += c;
      }
    }
    if (fields.size() != 5)
      throw Error(where, "expected 5 '|'-separated fields "
                         "(first_name|infix_name|last_name|sip_address|remark), got " +
                             std::to_string(fields.size()));
    std::string name;
    for (int i = 0; i < 3; ++i) {
      std::string_view part = trim(fields[static_cast<std::size_t>(i)]);
      if (part.empty())
        continue;
      if (!name.empty())
        name += ' ';
      name += part;
    }
    std::string address(trim(fields[3]));
    if (address.empty())
      throw Error(where, "empty sip_address field");
    book.add(name.empty() ? address : name, address);
  });
  return book;
}

} // namespace vg::guard
