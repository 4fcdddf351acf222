// linphone_friends_db.hpp — Linphone's friends.db (liblinphone 5.x: table friends with sip_uri and
// vCard) and the newer linphone.db schema (friend + sip_address).
// Promise: the number behind a name is read from both places it is stored (sip_uri and the vCard);
// a database with neither schema, a corrupt image or a bad sip_uri throws vg::Error naming it.
#pragma once
#include "guard/assets/contact_book.hpp"

#include <cstdint>
#include <span>
#include <string>

namespace vg::guard {

ContactBook parse_linphone_friends_db(std::span<const std::uint8_t> bytes,
                                      const std::string &input);

} // namespace vg::guard
