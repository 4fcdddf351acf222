// asset_format.hpp — the formats of protected assets, and what a change to one means in words.
// Promise: parse_asset() dispatches to the parser for the format (every parser throws vg::Error
// naming the input on bad bytes); describe_change() never throws: it says which contacts changed,
// or why it cannot tell (e.g. the new version does not parse), or that an opaque file's digest
// changed. changes_a_number() never throws either: a book that stops parsing counts as changed.
#pragma once
#include "guard/assets/contact_book.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace vg::guard {

enum class AssetFormat {
  baresip_contacts,    // ~/.baresip/contacts
  linphonerc,          // ~/.linphonerc [friend_N]
  linphone_friends_db, // ~/.local/share/linphone/friends.db
  jami_profile,        // ~/.local/share/jami/ACCOUNT/profiles/BASE64(URI).vcf
  twinkle_ab,          // ~/.twinkle/*.ab
  eds_contacts_db,     // ~/.local/share/evolution/addressbook/*/contacts.db
  vcard,               // any .vcf address book
  opaque,              // protected bytes without contacts (accounts, settings, archives)
};

const char *asset_format_name(AssetFormat f);
std::optional<AssetFormat> asset_format_from_name(std::string_view name);
// All names, for error messages and documentation.
std::string asset_format_names();
bool has_contacts(AssetFormat f);

// Parses `bytes` of an asset stored at `path` (Jami needs the file name: it is the number).
ContactBook parse_asset(AssetFormat f, std::span<const std::uint8_t> bytes,
                        const std::string &path);

std::vector<std::string> describe_change(AssetFormat f, const std::string &path,
                                         std::span<const std::uint8_t> before,
                                         std::span<const std::uint8_t> after);

// Whether the change takes a number away from an existing contact (another number, or the contact
// removed): what `alert_on_number_change` flags even when a trusted writer made it, since a
// hijacked softphone is still a trusted writer.
bool changes_a_number(AssetFormat f, const std::string &path, std::span<const std::uint8_t> before,
                      std::span<const std::uint8_t> after);

} // namespace vg::guard
