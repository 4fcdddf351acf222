#include "guard/assets/contact_book.hpp"

#include <algorithm>

namespace vg::guard {

void ContactBook::add(const std::string &name, const std::string &address) {
  auto &set = contacts[name];
  if (!address.empty())
    set.insert(address);
}

bool ContactChange::number_changed() const {
  return std::any_of(before.begin(), before.end(),
                     [&](const std::string &a) { return !after.contains(a); });
}

namespace {
std::string join(const std::set<std::string> &s) {
  if (s.empty())
    return "(no address)";
  std::string out;
  for (const auto &a : s) {
    if (!out.empty())
      out += ", ";
    out += a;
  }
  return out;
}
} // namespace

std::string ContactChange::describe() const {
  std::string who = "contact \"" + name + "\"";
  switch (kind) {
  case Kind::added:
    return who + " added: " + join(after);
  case Kind::removed:
    return who + " removed (was " + join(before) + ")";
  case Kind::changed:
    break;
  }
  // Show only what differs, so a contact with several numbers reads as one clear change.
  std::set<std::string> gone, came;
  std::set_difference(before.begin(), before.end(), after.begin(), after.end(),
                      std::inserter(gone, gone.end()));
  std::set_difference(after.begin(), after.end(), before.begin(), before.end(),
                      std::inserter(came, came.end()));
  if (gone.empty())
    return who + ": added " + join(came);
  if (came.empty())
    return who + ": removed " + join(gone);
  return who + ": " + join(gone) + " \u2192 " + join(came);
}

std::vector<ContactChange> diff_books(const ContactBook &before, const ContactBook &after) {
  std::vector<ContactChange> out;
  auto b = before.contacts.begin(), be = before.contacts.end();
  auto a = after.contacts.begin(), ae = after.contacts.end();
  while (b != be || a != ae) {
    if (a == ae || (b != be && b->first < a->first)) {
      out.push_back({ContactChange::Kind::removed, b->first, b->second, {}});
      ++b;
    } else if (b == be || a->first < b->first) {
      out.push_back({ContactChange::Kind::added, a->first, {}, a->second});
      ++a;
    } else {
      if (a->second != b->second)
        out.push_back({ContactChange::Kind::changed, a->first, b->second, a->second});
      ++a;
      ++b;
    }
  }
  return out;
}

} // namespace vg::guard
