// contact_book.hpp — what an address book says: which name leads to which addresses.
// Promise: every address-book parser returns a ContactBook; diff_books() turns two versions of a
// book into changes a person can read (`contact "Bank": sip:1234567@… → sip:9876543@…`), in name
// order.
#pragma once
#include <map>
#include <set>
#include <string>
#include <vector>

namespace vg::guard {

struct ContactBook {
  // Display name → every address stored for it (SIP URIs, phone numbers, Jami ids), as written.
  std::map<std::string, std::set<std::string>> contacts;

  // Adds `address` under `name`; an empty address only makes sure the name exists.
  void add(const std::string &name, const std::string &address);
  std::size_t size() const { return contacts.size(); }
};

struct ContactChange {
  enum class Kind { added, removed, changed };
  Kind kind;
  std::string name;
  std::set<std::string> before, after;
  // True when an address that was there before is gone (a number changed or was removed).
  bool number_changed() const;
  std::string describe() const;
};

std::vector<ContactChange> diff_books(const ContactBook &before, const ContactBook &after);

} // namespace vg::guard
