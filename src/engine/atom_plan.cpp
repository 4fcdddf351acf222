#include "engine/atom_plan.hpp"

#include "common/digest.hpp"
#include "common/error.hpp"

#include <algorithm>
#include <cstring>

namespace vg {

namespace {

// The format (integers little-endian):
//   header: "VXGATOMS", u32 version, u32 record count
//   record: u32 entry, 8 atom bytes, u8 length, u8 flags (bit 0: caseless), u8 check count,
//           u8 zero, u32 min_distance, u32 max_distance, 3 x (i16 offset, u8 value, u8 mask)
constexpr char kMagic[8] = {'V', 'X', 'G', 'A', 'T', 'O', 'M', 'S'};
constexpr std::size_t kHeaderSize = 16;
constexpr std::size_t kRecordSize = 4 + kPlanAtomLength + 4 + 8 + 4 * kPlanAtomChecks;

void put(std::uint8_t *&out, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i)
    *out++ = static_cast<std::uint8_t>(v >> (8 * i));
}

std::uint64_t get(const std::uint8_t *&in, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i)
    v |= std::uint64_t{*in++} << (8 * i);
  return v;
}

// Why a decoded record is not one the engine could have chosen (empty: it is).
std::string record_problem(const PlannedAtom &a, std::uint8_t flags, std::uint8_t zero) {
  if (a.length > kPlanAtomLength)
    return "atom length " + std::to_string(a.length) + " over " + std::to_string(kPlanAtomLength);
  if (flags > 1 || zero != 0)
    return "unknown flags";
  if (std::any_of(a.bytes.begin() + a.length, a.bytes.end(), [](std::uint8_t b) { return b; }))
    return "bytes after the atom's end";
  if (a.length > 0 && a.bytes[0] == 0)
    return "atom begins with a NUL byte (the prefilter refuses those)";
  if (a.length == 0 && (a.caseless || a.check_count))
    return "checks or flags without an atom";
  if (a.check_count > kPlanAtomChecks)
    return "check count " + std::to_string(a.check_count) + " over " +
           std::to_string(kPlanAtomChecks);
  if (std::any_of(a.checks.begin() + a.check_count, a.checks.end(),
                  [](const AtomCheck &c) { return c != AtomCheck{}; }))
    return "unused checks not zero";
  if (a.min_distance > a.max_distance)
    return "min_distance " + std::to_string(a.min_distance) + " over max_distance " +
           std::to_string(a.max_distance);
  return {};
}

} // namespace

std::vector<std::uint8_t> write_atom_plan(std::span<const PlannedAtom> plan) {
  std::vector<std::uint8_t> bytes(kHeaderSize + plan.size() * kRecordSize);
  std::uint8_t *out = bytes.data();
  std::memcpy(out, kMagic, sizeof kMagic);
  out += sizeof kMagic;
  put(out, kAtomPlanVersion, 4);
  put(out, plan.size(), 4);
  for (const PlannedAtom &a : plan) {
    put(out, a.entry, 4);
    std::memcpy(out, a.bytes.data(), a.bytes.size());
    out += a.bytes.size();
    put(out, a.length, 1);
    put(out, a.caseless ? 1 : 0, 1);
    put(out, a.check_count, 1);
    put(out, 0, 1);
    put(out, a.min_distance, 4);
    put(out, a.max_distance, 4);
    for (const AtomCheck &c : a.checks) {
      put(out, static_cast<std::uint16_t>(c.offset), 2);
      put(out, c.value, 1);
      put(out, c.mask, 1);
    }
  }
  return bytes;
}

std::vector<PlannedAtom> read_atom_plan(std::span<const std::uint8_t> bytes,
                                        std::span<const std::uint32_t> entries,
                                        const std::string &name) {
  if (bytes.size() < kHeaderSize || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0)
    throw Error(name, "not an atom plan (no VXGATOMS header)");
  const std::uint8_t *in = bytes.data() + sizeof kMagic;
  const auto version = get(in, 4);
  if (version != kAtomPlanVersion)
    throw Error(name, "atom plan version " + std::to_string(version) + ", expected " +
                          std::to_string(kAtomPlanVersion));
  const auto count = get(in, 4);
  if (count != entries.size())
    throw Error(name, "atom plan for " + std::to_string(count) + " patterns, the build has " +
                          std::to_string(entries.size()));
  if (bytes.size() != kHeaderSize + count * kRecordSize)
    throw Error(name, "atom plan of " + std::to_string(bytes.size()) + " bytes, expected " +
                          std::to_string(kHeaderSize + count * kRecordSize));
  std::vector<PlannedAtom> plan(entries.size());
  for (std::size_t i = 0; i < plan.size(); ++i) {
    PlannedAtom &a = plan[i];
    a.entry = static_cast<std::uint32_t>(get(in, 4));
    if (a.entry != entries[i])
      throw Error(name, "atom plan record " + std::to_string(i) + " is for pattern " +
                            std::to_string(a.entry) + ", the build has " +
                            std::to_string(entries[i]) + " there");
    std::memcpy(a.bytes.data(), in, a.bytes.size());
    in += a.bytes.size();
    a.length = static_cast<std::uint8_t>(get(in, 1));
    const auto flags = static_cast<std::uint8_t>(get(in, 1));
    a.caseless = flags & 1;
    a.check_count = static_cast<std::uint8_t>(get(in, 1));
    const auto zero = static_cast<std::uint8_t>(get(in, 1));
    a.min_distance = static_cast<std::uint32_t>(get(in, 4));
    a.max_distance = static_cast<std::uint32_t>(get(in, 4));
    for (AtomCheck &c : a.checks) {
      c.offset = static_cast<std::int16_t>(static_cast<std::uint16_t>(get(in, 2)));
      c.value = static_cast<std::uint8_t>(get(in, 1));
      c.mask = static_cast<std::uint8_t>(get(in, 1));
    }
    if (auto problem = record_problem(a, flags, zero); !problem.empty())
      throw Error(name, "atom plan record " + std::to_string(i) + ": " + problem);
  }
  return plan;
}

CacheKey atom_plan_key(const CacheKey &set_key) {
  std::vector<std::uint8_t> material(kMagic, kMagic + sizeof kMagic);
  std::uint8_t version[4];
  std::uint8_t *out = version;
  put(out, kAtomPlanVersion, 4);
  material.insert(material.end(), version, version + 4);
  material.insert(material.end(), set_key.begin(), set_key.end());
  Digests d = digest_bytes(material, hash_bit(HashAlgo::sha256));
  CacheKey key{};
  std::copy_n(d.sha256->b.begin(), key.size(), key.begin());
  return key;
}

} // namespace vg
