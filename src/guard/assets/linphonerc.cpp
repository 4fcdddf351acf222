#include "guard/assets/linphonerc.hpp"

#include "common/error.hpp"
#include "guard/assets/name_addr.hpp"
#include "guard/assets/text_lines.hpp"

namespace vg::guard {

ContactBook parse_linphonerc(std::string_view text, const std::string &input) {
  check_text(text, input);
  ContactBook book;
  std::string section;
  std::size_t section_line = 0;
  bool in_friend = false, friend_has_url = false;
  auto close_section = [&]() {
    if (in_friend && !friend_has_url)
      throw Error(input + ":" + std::to_string(section_line),
                  "section [" + section + "] has no url= line");
  };
  for_each_line(text, [&](std::string_view raw, std::size_t number) {
    std::string_view line = trim(raw);
    std::string where = input + ":" + std::to_string(number);
    if (line.empty() || line.front() == '#' || line.front() == ';')
      return;
    if (line.front() == '[') {
      if (line.back() != ']')
        throw Error(where, "section header without a closing ']'");
      close_section();
      section = std::string(line.substr(1, line.size() - 2));
      section_line = number;
      in_friend = section.starts_with("friend_");
      friend_has_url = false;
      return;
    }
    std::size_t eq = line.find('=');
    if (eq == std::string_view::npos)
      throw Error(where, "expected key=value or [section], got '" + std::string(line) + "'");
    if (section.empty())
      throw Error(where, "key=value before the first [section]");
    if (in_friend && trim(line.substr(0, eq)) == "url") {
      NameAddr na = parse_name_addr(line.substr(eq + 1), where);
      book.add(na.name(), na.uri);
      friend_has_url = true;
    }
  });
  close_section();
  return book;
}

} // namespace vg::guard
