// vcard.hpp — vCard 2.1/3.0/4.0 text (Jami profiles, Linphone and Evolution contacts, .vcf files).
// Promise: folded lines are joined, property groups ("item1.TEL") and parameters are understood;
// every BEGIN:VCARD needs its END:VCARD. Malformed input throws vg::Error naming "INPUT:LINE".
#pragma once
#include "guard/assets/contact_book.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace vg::guard {

struct VCard {
  std::string name;                   // FN, else the N components, else empty
  std::vector<std::string> addresses; // TEL, IMPP and X-SIP values in file order
};

std::vector<VCard> parse_vcards(std::string_view text, const std::string &input);
// Every card of a .vcf file as a book (cards without a name are listed under their first address).
ContactBook parse_vcard_book(std::string_view text, const std::string &input);

} // namespace vg::guard
