#include "guard/assets/linphone_friends_db.hpp"

#include "common/error.hpp"
#include "guard/assets/name_addr.hpp"
#include "guard/assets/sqlite_image.hpp"
#include "guard/assets/vcard.hpp"

namespace vg::guard {

ContactBook parse_linphone_friends_db(std::span<const std::uint8_t> bytes,
                                      const std::string &input) {
  SqliteImage db(bytes, input);
  std::string sql;
  if (db.has_table("friends"))
    sql = "SELECT id, sip_uri, vCard FROM friends ORDER BY id";
  else if (db.has_table("friend") && db.has_table("sip_address"))
    sql = "SELECT f.id, s.value, f.v_card FROM friend f LEFT JOIN sip_address s "
          "ON f.sip_address_id = s.id ORDER BY f.id";
  else
    throw Error(input, "no 'friends' table (friends.db) nor 'friend'+'sip_address' (linphone.db)");
  ContactBook book;
  db.query(sql, [&](const std::vector<std::string> &row) {
    std::string where = input + ": friend id " + row[0];
    std::string name;
    std::vector<std::string> addresses;
    if (!row[1].empty()) {
      NameAddr na = parse_name_addr(row[1], where);
      name = na.display;
      addresses.push_back(na.uri);
    }
    if (!row[2].empty()) {
      auto cards = parse_vcards(row[2], where + " vCard");
      for (const auto &c : cards) {
        if (name.empty())
          name = c.name;
        addresses.insert(addresses.end(), c.addresses.begin(), c.addresses.end());
      }
    }
    if (addresses.empty())
      throw Error(where, "friend has neither a sip_uri nor an address in its vCard");
    if (name.empty())
      name = addresses.front();
    for (const auto &a : addresses)
      book.add(name, a);
  });
  return book;
}

} // namespace vg::guard
