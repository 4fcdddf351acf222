// executable_scan.hpp — the offending program's executable, scanned with the signature engine.
// Promise: the engine is built once from the given ClamAV-format databases (files or folders);
// verdict() scans an executable at most once per SHA-256 (cached, bounded) and answers "clean",
// "infected: NAME[, NAME...]" or "not scanned: REASON" (database not loaded, unreadable, too
// large); it is thread-safe and never throws. Used to enrich guard events (field "exe_scan").
#pragma once
#include "engine/engine.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace vg::guard {

class ExecutableScan {
public:
  // Loads `databases`; a load error is kept and every verdict then names it.
  explicit ExecutableScan(const std::vector<std::string> &databases,
                          std::uint64_t max_bytes = 64u << 20);
  // `path` is read (e.g. /proc/PID/exe of a live process, else the executable's path);
  // `sha256` (hex, may be empty) keys the cache.
  std::string verdict(const std::string &path, const std::string &sha256);
  // "N signatures from DB, ..." or "not loaded: REASON".
  std::string summary() const;
  bool loaded() const { return engine_ != nullptr; }

private:
  std::shared_ptr<const Engine> engine_;
  std::string load_error_;
  std::uint64_t max_bytes_;
  std::mutex mu_;
  Engine::Scratch scratch_;
  std::map<std::string, std::string> cache_; // by SHA-256
};

} // namespace vg::guard
