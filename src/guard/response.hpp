// response.hpp — what the guard does to a process caught tampering: stop it, kill it, quarantine
// its executable.
// Promise: never signals the guard itself, pid 1 or pid 0; quarantine moves the executable into the
// quarantine folder with a JSON metadata file (restorable with `voxguard guard unquarantine`), and
// refuses system paths (/usr, /bin, /sbin, /lib*, /etc, /boot) so a shell or interpreter that was
// used by an attacker is never removed. Returns a word for the event ("killed", "stopped", ...).
#pragma once
#include "guard/policy.hpp"
#include "guard/process_info.hpp"

#include <string>

namespace vg::guard {

// Applies the signal part of `action` to process `pid`; returns "killed", "stopped" or "none".
std::string signal_offender(Action action, pid_t pid);
// Moves `exe` into `dir`; returns "quarantined as DIR/SHA256" or the reason it was not.
std::string quarantine_executable(const std::string &exe, const std::string &sha256,
                                  const std::string &dir, const ProcessInfo &who);
// Puts a quarantined executable back where it was; throws vg::Error with the reason.
std::string unquarantine(const std::string &dir, const std::string &sha256);

} // namespace vg::guard
