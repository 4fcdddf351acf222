#include "guard/assets/vcard.hpp"

#include "common/error.hpp"
#include "guard/assets/name_addr.hpp"
#include "guard/assets/text_lines.hpp"

#include <algorithm>
#include <cctype>
#include <optional>

namespace vg::guard {

namespace {

std::string upper(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

// vCard value escapes (\, \; \n) as written by vCard 3.0/4.0 producers.
std::string unescape(std::string_view v) {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '\\' && i + 1 < v.size()) {
      char n = v[++i];
      out += (n == 'n' || n == 'N') ? ' ' : n;
    } else {
      out += v[i];
    }
  }
  return out;
}

struct LogicalLine {
  std::string text;
  std::size_t number;
};

std::vector<LogicalLine> unfold(std::string_view text) {
  std::vector<LogicalLine> out;
  for_each_line(text, [&](std::string_view line, std::size_t number) {
    if (!line.empty() && (line.front() == ' ' || line.front() == '\t') && !out.empty()) {
      out.back().text.append(line.substr(1));
      return;
    }
    out.push_back({std::string(line), number});
  });
  return out;
}

} // namespace

std::vector<VCard> parse_vcards(std::string_view text, const std::string &input) {
  check_text(text, input);
  std::vector<VCard> cards;
  std::optional<VCard> cur;
  std::string n_name;
  std::size_t begin_line = 0;
  for (const auto &ll : unfold(text)) {
    std::string where = input + ":" + std::to_string(ll.number);
    std::string_view line = trim(ll.text);
    if (line.empty())
      continue;
    // The property name and parameters end at the first ':' outside a quoted parameter value.
    std::size_t colon = std::string_view::npos;
    bool quoted = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
      if (line[i] == '"')
        quoted = !quoted;
      else if (line[i] == ':' && !quoted) {
        colon = i;
        break;
      }
    }
    if (colon == std::string_view::npos)
      throw Error(where, "vCard line without ':' ('" + std::string(line.substr(0, 40)) + "')");
    std::string_view head = line.substr(0, colon);
    std::string_view value = line.substr(colon + 1);
    std::string prop = upper(head.substr(0, head.find(';')));
    if (std::size_t dot = prop.rfind('.'); dot != std::string::npos)
      prop.erase(0, dot + 1); // group prefix such as item1.
    if (prop.empty())
      throw Error(where, "vCard property without a name");
    if (prop == "BEGIN") {
      if (upper(trim(value)) != "VCARD")
        throw Error(where, "BEGIN:" + std::string(value) + " where BEGIN:VCARD was expected");
      if (cur)
        throw Error(where,
                    "BEGIN:VCARD inside the card begun at line " + std::to_string(begin_line));
      cur.emplace();
      n_name.clear();
      begin_line = ll.number;
      continue;
    }
    if (!cur)
      throw Error(where, "'" + prop + "' outside BEGIN:VCARD/END:VCARD");
    if (prop == "END") {
      if (upper(trim(value)) != "VCARD")
        throw Error(where, "END:" + std::string(value) + " where END:VCARD was expected");
      if (cur->name.empty())
        cur->name = n_name;
      cards.push_back(std::move(*cur));
      cur.reset();
    } else if (prop == "FN") {
      cur->name = unescape(trim(value));
    } else if (prop == "N") {
      // N:family;given;additional;prefix;suffix → "given family"
      std::vector<std::string> parts(1);
      for (char c : value) {
        if (c == ';')
          parts.emplace_back();
        else
          parts.back() += c;
      }
      std::string given = parts.size() > 1 ? parts[1] : "";
      n_name = std::string(trim(given + (given.empty() || parts[0].empty() ? "" : " ") + parts[0]));
    } else if (prop == "TEL" || prop == "IMPP" || prop == "X-SIP") {
      std::string v = unescape(trim(value));
      if (!v.empty())
        cur->addresses.push_back(v);
    }
  }
  if (cur)
    throw Error(input, "BEGIN:VCARD at line " + std::to_string(begin_line) +
                           " has no END:VCARD (truncated card)");
  return cards;
}

ContactBook parse_vcard_book(std::string_view text, const std::string &input) {
  ContactBook book;
  for (const auto &card : parse_vcards(text, input)) {
    std::string name =
        card.name.empty() && !card.addresses.empty() ? card.addresses.front() : card.name;
    book.add(name, "");
    for (const auto &a : card.addresses)
      book.add(name, a);
  }
  return book;
}

} // namespace vg::guard
