// byte_compare.hpp — evaluates a parsed byte-compare subsignature on a file's bytes with ClamAV's
// semantics (libclamav matcher-byte-comp.c cli_bcomp_scanbuf / cli_bcomp_compare_check).
// Promise: byte_compare_at() reads byte_count bytes at trigger_start + offset and applies every
// comparison, exactly as ClamAV 1.4 extracts them (leading whitespace skipped for text encodings,
// hex/decimal/auto text, little-endian hex text nibble-pair reversal, raw binary, the `e` rule),
// and is false whenever ClamAV would not count the subsignature (read past the end, absolute
// position
// <= 0, unconvertible text, options ClamAV cannot evaluate). byte_compare_matches() applies
// ClamAV's rule for a trigger with several matches: only the LAST recorded match start (the
// highest one) is evaluated, not any of them. Never reads outside data, never throws.
#pragma once
#include "signatures/byte_compare_subsignature.hpp"

#include <cstdint>
#include <optional>
#include <span>

namespace vg {

// The value extracted at trigger_start + offset, or nothing when ClamAV would not compare.
std::optional<std::int64_t> byte_compare_extract(const ByteCompareSubsignature &sig,
                                                 std::span<const std::uint8_t> data,
                                                 std::uint64_t trigger_start);

// True when the value extracted at this trigger match start satisfies every comparison.
bool byte_compare_at(const ByteCompareSubsignature &sig, std::span<const std::uint8_t> data,
                     std::uint64_t trigger_start);

// ClamAV's evaluation given all match starts of the trigger subsignature (any order): false when
// there is none, otherwise byte_compare_at() at the highest start.
bool byte_compare_matches(const ByteCompareSubsignature &sig, std::span<const std::uint8_t> data,
                          std::span<const std::uint64_t> trigger_starts);

} // namespace vg
