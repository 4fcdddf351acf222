// policy.hpp — what the guard protects, whom it trusts and how it answers.
// Promise: parse_policy() reads the documented TOML policy (docs/guard.md) and rejects unknown
// tables/keys, wrong types, unknown formats/actions, relative paths and malformed SHA-256 digests
// with a vg::Error naming "INPUT:LINE"; to_toml() writes a policy that parses back to the same one.
#pragma once
#include "guard/assets/asset_format.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vg::guard {

enum class Action { audit, deny, deny_stop, deny_kill, deny_kill_quarantine };
const char *action_name(Action a);
std::optional<Action> action_from_name(std::string_view name);

struct AssetRule {
  std::string path; // absolute; may hold glob characters (* ? [) matched at start
  AssetFormat format = AssetFormat::opaque;
  std::string owner;              // the app that owns it ("baresip"); empty = any trusted writer
  bool secret = false;            // reads by untrusted processes are denied too
  bool protect_directory = false; // no new names may appear in its folder (except by its owner)
  std::size_t line = 0;
};

struct TrustedWriter {
  std::string path;                 // absolute path of the executable
  std::string sha256;               // lowercase hex of the executable's SHA-256
  std::string app;                  // which assets it may write (their owner); empty = all
  std::optional<std::uint32_t> uid; // only when running as this user
  std::size_t line = 0;
};

struct Policy {
  std::string source;        // file it was read from
  std::string mode = "auto"; // auto | bpf-lsm | fanotify
  Action action = Action::deny_kill;
  std::string journal = "/var/lib/voxguard/journal";
  std::size_t journal_versions = 20;
  std::string quarantine = "/var/lib/voxguard/quarantine";
  std::string events_file; // JSON lines file sink; empty = none
  bool syslog = true;
  bool alert_on_number_change = true; // alert even when a trusted writer changes a number
  // fanotify mode: after one judged read, an unchanged non-asset file in a protected folder gets
  // an ignore mark and its opens stay in the kernel (fast), at the price that an untrusted
  // program's open of it for writing is no longer checked (its first write ends the exemption).
  // Off by default: then every open of a foreign file in a protected folder is judged.
  bool exempt_neighbours = false;
  std::string pid_file = "/run/voxguard-guard.pid";
  // Signature databases (files or folders) the offending executables are scanned with; empty = the
  // scanner's own search order ($VOXGUARD_DB, /var/lib/voxguard, /var/lib/clamav, bundled).
  std::vector<std::string> signatures;
  std::vector<AssetRule> assets;
  std::vector<TrustedWriter> trusted;

  std::string to_toml() const;
};

Policy parse_policy(std::string_view text, const std::string &input);
Policy load_policy(const std::string &path);

} // namespace vg::guard
