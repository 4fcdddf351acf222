// eds_contacts_db.hpp — Evolution Data Server's contacts.db (GNOME Contacts, GNOME Calls).
// Promise: for every folder listed in `folders`, the vCard of each contact and the folder's
// phone-list table are read; a number changed in either place shows up. Corrupt or foreign
// databases throw vg::Error naming the input and the reason.
#pragma once
#include "guard/assets/contact_book.hpp"

#include <cstdint>
#include <span>
#include <string>

namespace vg::guard {

ContactBook parse_eds_contacts_db(std::span<const std::uint8_t> bytes, const std::string &input);

} // namespace vg::guard
