// jami_profile.hpp — Jami contact profiles ~/.local/share/jami/ACCOUNT/profiles/BASE64(URI).vcf.
// Promise: the number behind a Jami contact is the FILE NAME (base64 of the peer's URI); the vCard
// inside gives the name (FN). A profile whose name is not base64 + ".vcf" or whose vCard is
// malformed throws vg::Error naming the file and the reason.
#pragma once
#include "guard/assets/contact_book.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace vg::guard {

// Decodes standard base64 (padding optional); nullopt for anything else.
std::optional<std::string> base64_decode(std::string_view text);

// Adds one profile to `book`: `file_name` is the profile's base name (e.g. "MTIzNDU2Nw==.vcf").
void add_jami_profile(ContactBook &book, std::string_view file_name, std::string_view vcf,
                      const std::string &input);

} // namespace vg::guard
