// signature_snapshot.hpp — a compact binary snapshot of a parsed SignatureSet, so that a warm start
// reads the set back instead of parsing megabytes of database text.
// Promise: read_signature_snapshot(write_signature_snapshot(s)) equals s in every field (hash
// tables, body, logical and container metadata signatures with all their parts, ignored names,
// warnings, database names, skipped counts), and write_signature_snapshot() is deterministic.
// read_signature_snapshot() treats its input as untrusted: every length, count, index and enum is
// checked, as are the invariants the parsers guarantee and the engine relies on (subsignature ids
// under 64 and matching the expression, triggers naming earlier subsignatures, expression trees
// whose children precede their parent and are used once (a tree, not a DAG), offsets within the
// offset parser's ranges, count caps and PCRE triggers/offsets equal to what they derive from,
// sorted hash tables, origins naming a loaded database); any violation is a vg::Error naming the
// snapshot and the reason, never a crash or a hang. signature_snapshot_key() is the SHA-256 of the
// snapshot format version, the program's build identity (its GNU build-id: a parser changed without
// a version bump still misses), the functionality level, the trusted container keys, the loader's
// notices and every database file's path and full content (never its mtime), so a changed file
// never finds a stale snapshot. load_databases_cached() is the warm-start policy: a snapshot that
// cannot be read is rejected once (the cache names it and the reason), the text is parsed and the
// snapshot rewritten.
#pragma once
#include "common/error.hpp"
#include "signatures/database_loader.hpp"
#include "signatures/signature_set.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace vg {

inline constexpr std::uint32_t kSignatureSnapshotVersion =
    4; // 2: body patterns packed; 3: no subsignature texts;
       // 4: hash entries aligned

using SnapshotKey = std::array<std::uint8_t, 32>;

std::vector<std::uint8_t> write_signature_snapshot(const SignatureSet &set);
// What read_signature_snapshot() may do with its input. release_as_read: the whole pages already
// decoded are given back to the kernel while decoding (madvise MADV_DONTNEED), so the snapshot and
// the set are not both resident at the end; afterwards their content is unspecified (zeros for
// anonymous memory), for a caller that owns the buffer, only frees it afterwards and needs it
// writable or file-backed. kept: the input is only read.
enum class SnapshotBytes : std::uint8_t { kept, release_as_read };
// Throws vg::Error(name, reason) for bytes that are not a valid snapshot.
SignatureSet read_signature_snapshot(std::span<const std::uint8_t> bytes, const std::string &name,
                                     SnapshotBytes disposal = SnapshotBytes::kept);
// Told, while decoding, of each stretch of the input decoded since it was last told (a few MB at a
// time, between signatures; consecutive stretches meet on page boundaries): the decoder never
// reads those bytes again, so the caller may release them.
using SnapshotProgress = std::function<void(std::span<const std::uint8_t> decoded)>;
// The same, telling `on_decoded` (which may be empty) of its progress. With `keep`, which keeps
// `bytes` valid and unchanged as long as it lives (a read-only mapping), and `bytes` 16-byte
// aligned, the hash tables' entries and names are used in place (the set holds `keep`) instead of
// copied: ~35 MB of a full database, of which a scan touches a few pages. Released stretches
// (on_decoded) may include them: pages of a file mapping read back when touched again.
// `release_in_place` (with `keep` only) may drop pages of `bytes` at any time, also while the set
// is in use (a file mapping's pages are read back when touched again): a hash table calls it
// after each lookup in its borrowed entries, so that a scan of many files does not gather them.
SignatureSet read_signature_snapshot(std::span<const std::uint8_t> bytes, const std::string &name,
                                     const SnapshotProgress &on_decoded,
                                     std::shared_ptr<const void> keep = {},
                                     SnapshotProgress release_in_place = {});

// Reads every listed file in full. Throws vg::Error for a file that cannot be read.
SnapshotKey signature_snapshot_key(const DatabaseFileList &list);
// The same key for a given build identity (the one above passes program_build_identity()).
SnapshotKey signature_snapshot_key(const DatabaseFileList &list,
                                   std::span<const std::uint8_t> build_identity);
// Identifies the running program's code, so that a rebuilt parser never reads an older build's
// snapshot: "gnu-build-id:" and the main program's NT_GNU_BUILD_ID note, or, linked without one,
// "exe-sha256:" and the SHA-256 of /proc/self/exe. Computed once. Throws vg::Error when neither
// can be had.
std::vector<std::uint8_t> program_build_identity();

struct LoadedSignatures {
  SignatureSet set;
  bool from_snapshot = false; // read back from the cache instead of parsed from the text
  bool stored = false;        // parsed, and the snapshot written to the cache
  // The key the snapshot was read or stored under (covers the set's content and the program's
  // build, so what is derived from the set may be cached under it); none without the cache, or
  // when the files changed while they were parsed.
  std::optional<SnapshotKey> key;
  double key_seconds = 0;   // listing and hashing the database files
  double load_seconds = 0;  // parsing the text, or reading the snapshot (fetch + decode)
  double fetch_seconds = 0; // of load_seconds: reading the cache entry and checking its digest
                            // (mapped: opening and mapping it, checking its header)
  double verify_wait_seconds = 0; // of load_seconds, mapped: waiting for the digest after decoding
  double store_seconds = 0;       // writing the snapshot after a parse
};

// Loads `paths` as load_databases() does, through `cache` when it is not null. Cache is duck-typed
// so that this module does not depend on the engine's CompiledCache: it needs load(key) returning
// an optional entry with payload(), store(key, bytes), reject(key, reason) and path_for(key); if it
// has load_mapped(key) (a pointer-like entry with payload(), release(span) and wait_verified(),
// which rejects the entry itself on a digest mismatch), that is used instead of load().
template <class Cache>
LoadedSignatures load_databases_cached(const std::vector<std::string> &paths, const Cache *cache) {
  using Clock = std::chrono::steady_clock;
  auto since = [](Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
  };
  LoadedSignatures r;
  auto t0 = Clock::now();
  if (!cache) {
    r.set = load_databases(paths);
    r.load_seconds = since(t0);
    return r;
  }
  DatabaseFileList list = list_database_files(paths);
  SnapshotKey key = signature_snapshot_key(list);
  r.key_seconds = since(t0);
  auto t1 = Clock::now();
  if constexpr (requires { cache->load_mapped(key); }) {
    // Mapped: decoding starts at once while the entry's digest is checked on another thread, and
    // each decoded stretch of the mapping is given back as it is passed. Nothing decoded is kept
    // unless the digest then matches.
    if (auto mapped = cache->load_mapped(key)) {
      r.fetch_seconds = since(t1);
      std::optional<SignatureSet> set;
      try {
        set = read_signature_snapshot(
            mapped->payload(), cache->path_for(key).string(),
            [&mapped](std::span<const std::uint8_t> done) { mapped->release(done); }, mapped,
            [keep = mapped](std::span<const std::uint8_t> used) { keep->release(used); });
      } catch (const Error &e) {
        if (mapped->wait_verified()) // else rejected already, for its digest
          cache->reject(key, e.reason());
      } catch (const std::exception &e) { // e.g. bad_alloc: not used, and not kept for next time
        if (mapped->wait_verified())
          cache->reject(key, std::string("cannot decode: ") + e.what());
      }
      auto t_wait = Clock::now();
      if (set && mapped->wait_verified()) {
        r.verify_wait_seconds = since(t_wait);
        r.set = std::move(*set);
        r.from_snapshot = true;
        r.key = key;
        r.load_seconds = since(t1);
        return r;
      }
    } else {
      r.fetch_seconds = since(t1);
    }
  } else if (auto entry = cache->load(key)) {
    r.fetch_seconds = since(t1);
    try {
      // The entry is ours and only dropped after this: its decoded pages can go at once.
      r.set = read_signature_snapshot(entry->payload(), cache->path_for(key).string(),
                                      SnapshotBytes::release_as_read);
      r.from_snapshot = true;
      r.key = key;
      r.load_seconds = since(t1);
      return r;
    } catch (const Error &e) {
      cache->reject(key, e.reason());
    } catch (const std::exception &e) {
      cache->reject(key, std::string("cannot decode: ") + e.what());
    }
  } else {
    r.fetch_seconds = since(t1);
  }
  // The entry (read or mapped) is gone here: not kept beside the text parse.
  r.set = load_database_files(list);
  r.load_seconds = since(t1);
  auto t2 = Clock::now();
  // A file replaced between hashing and parsing must not leave its new content under the old
  // content's key: hash again (cold path only) and store only if nothing changed.
  if (signature_snapshot_key(list_database_files(paths)) == key) {
    cache->store(key, write_signature_snapshot(r.set));
    r.stored = true;
    r.key = key;
  }
  r.store_seconds = since(t2);
  return r;
}

} // namespace vg
