#include "guard/assets/asset_format.hpp"

#include "common/digest.hpp"
#include "common/error.hpp"
#include "guard/assets/baresip_contacts.hpp"
#include "guard/assets/eds_contacts_db.hpp"
#include "guard/assets/jami_profile.hpp"
#include "guard/assets/linphone_friends_db.hpp"
#include "guard/assets/linphonerc.hpp"
#include "guard/assets/twinkle_ab.hpp"
#include "guard/assets/vcard.hpp"

#include <array>
#include <utility>

namespace vg::guard {

namespace {
constexpr std::array<std::pair<AssetFormat, const char *>, 8> kNames{{
    {AssetFormat::baresip_contacts, "baresip-contacts"},
    {AssetFormat::linphonerc, "linphonerc"},
    {AssetFormat::linphone_friends_db, "linphone-friends-db"},
    {AssetFormat::jami_profile, "jami-profile"},
    {AssetFormat::twinkle_ab, "twinkle-ab"},
    {AssetFormat::eds_contacts_db, "eds-contacts-db"},
    {AssetFormat::vcard, "vcard"},
    {AssetFormat::opaque, "opaque"},
}};

std::string_view as_text(std::span<const std::uint8_t> b) {
  return {reinterpret_cast<const char *>(b.data()), b.size()};
}

std::string short_digest(std::span<const std::uint8_t> b) {
  return digest_bytes(b, hash_bit(HashAlgo::sha256)).sha256->hex().substr(0, 16);
}
} // namespace

const char *asset_format_name(AssetFormat f) {
  for (const auto &[fmt, name] : kNames)
    if (fmt == f)
      return name;
  return "?";
}

std::optional<AssetFormat> asset_format_from_name(std::string_view name) {
  for (const auto &[fmt, n] : kNames)
    if (name == n)
      return fmt;
  return std::nullopt;
}

std::string asset_format_names() {
  std::string out;
  for (const auto &[fmt, name] : kNames)
    out += (out.empty() ? "" : ", ") + std::string(name);
  return out;
}

bool has_contacts(AssetFormat f) {
  return f != AssetFormat::opaque;
}

ContactBook parse_asset(AssetFormat f, std::span<const std::uint8_t> bytes,
                        const std::string &path) {
  switch (f) {
  case AssetFormat::baresip_contacts:
    return parse_baresip_contacts(as_text(bytes), path);
  case AssetFormat::linphonerc:
    return parse_linphonerc(as_text(bytes), path);
  case AssetFormat::linphone_friends_db:
    return parse_linphone_friends_db(bytes, path);
  case AssetFormat::jami_profile: {
    ContactBook book;
    std::size_t slash = path.rfind('/');
    add_jami_profile(book, slash == std::string::npos ? path : path.substr(slash + 1),
                     as_text(bytes), path);
    return book;
  }
  case AssetFormat::twinkle_ab:
    return parse_twinkle_ab(as_text(bytes), path);
  case AssetFormat::eds_contacts_db:
    return parse_eds_contacts_db(bytes, path);
  case AssetFormat::vcard:
    return parse_vcard_book(as_text(bytes), path);
  case AssetFormat::opaque:
    break;
  }
  throw Error(path, std::string("format '") + asset_format_name(f) + "' holds no contacts");
}

std::vector<std::string> describe_change(AssetFormat f, const std::string &path,
                                         std::span<const std::uint8_t> before,
                                         std::span<const std::uint8_t> after) {
  std::vector<std::string> out;
  bool same =
      before.size() == after.size() && std::equal(before.begin(), before.end(), after.begin());
  if (same)
    return out;
  std::string digests = "sha256 " + short_digest(before) + "… → " + short_digest(after) + "…";
  if (!has_contacts(f)) {
    out.push_back("content changed (" + digests + ")");
    return out;
  }
  ContactBook b, a;
  try {
    b = parse_asset(f, before, path);
  } catch (const Error &e) {
    out.push_back(std::string("previous version does not parse (") + e.what() + "); " + digests);
    return out;
  }
  try {
    a = parse_asset(f, after, path);
  } catch (const Error &e) {
    out.push_back(std::string("new version does not parse (") + e.what() + "); " + digests);
    return out;
  }
  for (const auto &c : diff_books(b, a))
    out.push_back(c.describe());
  if (out.empty())
    out.push_back("content changed, contacts unchanged (" + digests + ")");
  return out;
}

bool changes_a_number(AssetFormat f, const std::string &path, std::span<const std::uint8_t> before,
                      std::span<const std::uint8_t> after) {
  if (!has_contacts(f))
    return false;
  try {
    for (const auto &c : diff_books(parse_asset(f, before, path), parse_asset(f, after, path)))
      if (c.number_changed())
        return true;
  } catch (const Error &) {
    return true;
  }
  return false;
}

} // namespace vg::guard
