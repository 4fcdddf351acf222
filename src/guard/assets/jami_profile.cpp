#include "guard/assets/jami_profile.hpp"

#include "common/error.hpp"
#include "guard/assets/vcard.hpp"

namespace vg::guard {

std::optional<std::string> base64_decode(std::string_view text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z')
      return c - 'A';
    if (c >= 'a' && c <= 'z')
      return c - 'a' + 26;
    if (c >= '0' && c <= '9')
      return c - '0' + 52;
    if (c == '+' || c == '-')
      return 62;
    if (c == '/' || c == '_')
      return 63;
    return -1;
  };
  while (!text.empty() && text.back() == '=')
    text.remove_suffix(1);
  if (text.empty() || text.size() % 4 == 1)
    return std::nullopt;
  std::string out;
  unsigned acc = 0;
  int bits = 0;
  for (char c : text) {
    int v = value(c);
    if (v < 0)
      return std::nullopt;
    acc = (acc << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xffu);
    }
  }
  return out;
}

void add_jami_profile(ContactBook &book, std::string_view file_name, std::string_view vcf,
                      const std::string &input) {
  if (!file_name.ends_with(".vcf"))
    throw Error(input, "a Jami profile's name must end in .vcf");
  auto uri = base64_decode(file_name.substr(0, file_name.size() - 4));
  if (!uri || uri->empty() ||
      uri->find_first_of(std::string_view("\0\n\r", 3)) != std::string::npos)
    throw Error(input,
                "profile name '" + std::string(file_name) + "' is not base64 of a contact URI");
  auto cards = parse_vcards(vcf, input);
  if (cards.size() != 1)
    throw Error(input,
                "a Jami profile holds exactly one vCard, found " + std::to_string(cards.size()));
  const VCard &card = cards.front();
  std::string name = card.name.empty() ? *uri : card.name;
  book.add(name, *uri);
  for (const auto &a : card.addresses)
    book.add(name, a);
}

} // namespace vg::guard
