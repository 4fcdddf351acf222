#include "guard/assets/eds_contacts_db.hpp"

#include "common/error.hpp"
#include "guard/assets/sqlite_image.hpp"
#include "guard/assets/vcard.hpp"

#include <map>

namespace vg::guard {

ContactBook parse_eds_contacts_db(std::span<const std::uint8_t> bytes, const std::string &input) {
  SqliteImage db(bytes, input);
  if (!db.has_table("folders"))
    throw Error(input, "no 'folders' table: not an Evolution contacts.db");
  std::vector<std::string> folders;
  db.query("SELECT folder_id FROM folders",
           [&](const std::vector<std::string> &row) { folders.push_back(row[0]); });
  ContactBook book;
  for (const auto &folder : folders) {
    if (!db.has_table(folder))
      throw Error(input, "folder '" + folder + "' is listed but has no table");
    std::map<std::string, std::string> name_of; // uid → name
    db.query("SELECT uid, vcard, full_name FROM " + sql_identifier(folder),
             [&](const std::vector<std::string> &row) {
               std::string where = input + ": contact " + row[0];
               std::string name;
               std::vector<std::string> addresses;
               if (!row[1].empty())
                 for (const auto &c : parse_vcards(row[1], where)) {
                   if (name.empty())
                     name = c.name;
                   addresses.insert(addresses.end(), c.addresses.begin(), c.addresses.end());
                 }
               if (name.empty())
                 name = row[2].empty() ? row[0] : row[2];
               name_of[row[0]] = name;
               book.add(name, "");
               for (const auto &a : addresses)
                 book.add(name, a);
             });
    std::string phones = folder + "_phone_list";
    if (db.has_table(phones))
      db.query("SELECT uid, value FROM " + sql_identifier(phones),
               [&](const std::vector<std::string> &row) {
                 auto it = name_of.find(row[0]);
                 // A phone entry whose contact is gone is itself a sign of tampering: keep it
                 // visible under its uid.
                 book.add(it == name_of.end() ? row[0] : it->second, row[1]);
               });
  }
  return book;
}

} // namespace vg::guard
