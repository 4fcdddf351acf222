// discover.hpp — find the softphones' files in user homes and write a policy protecting them.
// Promise: looks for baresip (contacts, accounts, config, current_contact), Linphone (friends.db,
// linphone.db, .linphonerc, linphonerc), Jami (profiles, contacts, archive, dring.yml), Twinkle
// (*.ab) and Evolution (addressbook contacts.db) under each home; marks account/credential files
// secret; lists each softphone executable found on the system as a trusted writer with its SHA-256.
// Homes default to every passwd entry whose home folder exists (and /root).
#pragma once
#include "guard/policy.hpp"

#include <string>
#include <vector>

namespace vg::guard {

struct DiscoverResult {
  Policy policy;
  std::vector<std::string> notes; // what was found and where, for the user
};

DiscoverResult discover(const std::vector<std::string> &homes,
                        const std::vector<std::string> &executable_dirs = {
                            "/usr/bin", "/usr/libexec", "/usr/lib"});
std::vector<std::string> passwd_homes();

} // namespace vg::guard
