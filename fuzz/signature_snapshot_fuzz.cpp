// Fuzzes the signature snapshot reader (signature_snapshot.hpp), which reads untrusted bytes from
// the cache directory. Two modes, by the first byte:
//  - 'V' (the magic's first letter): the input is a snapshot. Whatever the reader accepts must
//    write back to bytes that read back to the same bytes, and must compile into an engine that
//    scans the input without crashing (the checks the reader makes are the engine's invariants).
//  - anything else: the input is database text (.ndb, .ldb, .hdb or .cdb by the first byte); what
//    the parsers accept is snapshotted and must read back to the same bytes; then the snapshot is
//    damaged with the input's bytes (xor at positions they choose) and must be refused or read as
//    a valid set, never crash.
#include "common/error.hpp"
#include "engine/engine.hpp"
#include "signatures/database_loader.hpp"
#include "signatures/signature_snapshot.hpp"

#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace {

// A snapshot the writer made reads back and writes again to the same bytes.
void check_stable(const std::vector<std::uint8_t> &bytes) {
  auto again = vg::write_signature_snapshot(vg::read_signature_snapshot(bytes, "again"));
  if (again != bytes)
    std::abort(); // the writer or the reader lost or changed a field
}

void scan_with(vg::SignatureSet set, std::span<const std::uint8_t> data) {
  if (set.logicals.size() + set.bodies.size() > 64)
    return; // compiling large engines would slow the search down for nothing new
  try {
    auto engine = vg::Engine::build(std::move(set));
    vg::Engine::Scratch scratch;
    engine->scan(data, true, scratch);
  } catch (const std::runtime_error &) {
    // Vectorscan may refuse a literal set; that is reported, not a crash.
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  if (size == 0 || size > 65536)
    return 0;
  std::span<const std::uint8_t> in(data, size);
  if (data[0] == 'V') {
    vg::SignatureSet set;
    try {
      set = vg::read_signature_snapshot(in, "fuzz");
    } catch (const vg::Error &) {
      return 0;
    }
    auto bytes = vg::write_signature_snapshot(set);
    check_stable(bytes);
    scan_with(std::move(set), in);
    return 0;
  }
  static constexpr const char *kNames[] = {"fuzz.ndb", "fuzz.ldb", "fuzz.hdb", "fuzz.cdb"};
  vg::SignatureSet set;
  try {
    vg::load_database_text(set, kNames[data[0] % 4],
                           std::string_view(reinterpret_cast<const char *>(data) + 1, size - 1));
    set.finish();
  } catch (const vg::Error &) {
    return 0;
  }
  auto bytes = vg::write_signature_snapshot(set);
  check_stable(bytes);
  // Damage: each following pair of input bytes xors its second byte in at a position chosen by
  // its first (scaled to the snapshot's length).
  auto damaged = bytes;
  for (std::size_t i = 1; i + 1 < size && i < 33; i += 2)
    damaged[data[i] * damaged.size() / 256] ^= data[i + 1];
  try {
    auto back = vg::read_signature_snapshot(damaged, "damaged");
    check_stable(vg::write_signature_snapshot(back));
    scan_with(std::move(back), in);
  } catch (const vg::Error &) {
  }
  return 0;
}
