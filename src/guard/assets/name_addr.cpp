#include "guard/assets/name_addr.hpp"

#include "common/error.hpp"

namespace vg::guard {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

NameAddr parse_name_addr(std::string_view text, const std::string &input) {
  NameAddr out;
  std::string_view s = trim(text);
  if (s.empty())
    throw Error(input, "empty address");
  std::size_t pos = 0;
  if (s.front() == '"') {
    pos = 1;
    bool closed = false;
    while (pos < s.size()) {
      char c = s[pos++];
      if (c == '\\') {
        if (pos >= s.size())
          throw Error(input, "display name ends with a lone backslash");
        out.display += s[pos++];
      } else if (c == '"') {
        closed = true;
        break;
      } else {
        out.display += c;
      }
    }
    if (!closed)
      throw Error(input, "display name has no closing quote");
    s = trim(s.substr(pos));
    if (s.empty() || s.front() != '<')
      throw Error(input, "expected <URI> after the quoted display name");
  }
  std::size_t lt = s.find('<');
  if (lt == std::string_view::npos) {
    // A bare URI: everything up to the first ';' is the URI.
    std::size_t semi = s.find(';');
    out.uri = std::string(trim(s.substr(0, semi)));
    if (semi != std::string_view::npos)
      out.params = std::string(trim(s.substr(semi)));
    if (out.uri.find_first_of(" \t\">") != std::string::npos)
      throw Error(input, "address '" + std::string(s) + "' is neither <URI> nor a bare URI");
  } else {
    if (out.display.empty())
      out.display = std::string(trim(s.substr(0, lt)));
    std::size_t gt = s.find('>', lt);
    if (gt == std::string_view::npos)
      throw Error(input, "'<' without a closing '>'");
    out.uri = std::string(trim(s.substr(lt + 1, gt - lt - 1)));
    out.params = std::string(trim(s.substr(gt + 1)));
    if (!out.params.empty() && out.params.front() != ';')
      throw Error(input, "unexpected text '" + out.params + "' after <URI>");
  }
  if (out.uri.empty())
    throw Error(input, "empty URI");
  if (out.uri.find(':') == std::string::npos)
    throw Error(input, "URI '" + out.uri + "' has no scheme (expected sip:, sips:, tel:...)");
  return out;
}

} // namespace vg::guard
