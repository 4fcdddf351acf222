// offset_spec.hpp — where a body signature may start: ClamAV's offset field (`*`, `n`, `EOF-n`,
// `EP+n`, `EP-n`, `Sx+n`, `SEx`, `SL+n`, each but `*` optionally followed by `,maxshift`; and `VI`,
// a start at one of the PE VERSIONINFO string keys). Promise: parse_offset_spec() accepts exactly
// that grammar and explains any rejection; resolve() turns a spec into the inclusive range of
// allowed start positions for one file, or nothing when the file lacks what the spec refers to (no
// EP, too few sections, EOF-n before the start of the file).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vg {

struct OffsetSpec {
  enum class Base : std::uint8_t {
    any,
    absolute,
    eof_minus,
    entry_point,
    section_start,
    section_entire,
    last_section_start,
    version_info
  };
  Base base = Base::any;
  std::int64_t delta = 0;    // n (negative for EOF-n and EP-n)
  std::uint32_t section = 0; // x of Sx+n / SEx
  std::uint32_t max_shift = 0;

  bool anchored() const { return base != Base::any; }
  // True when resolving needs the executable header (EP or sections).
  bool needs_exe() const {
    return base == Base::entry_point || base == Base::section_start ||
           base == Base::section_entire || base == Base::last_section_start ||
           base == Base::version_info;
  }
};

struct OffsetParseResult {
  OffsetSpec spec;
  std::string error;
  bool ok() const { return error.empty(); }
};

OffsetParseResult parse_offset_spec(std::string_view text);

// What resolve() needs to know about a file.
struct OffsetContext {
  std::uint64_t file_size = 0;
  std::optional<std::uint64_t> entry_point;
  struct Section {
    std::uint64_t raw_offset = 0;
    std::uint64_t raw_size = 0;
  };
  const std::vector<Section> *sections = nullptr; // null when the file is not an executable
  const std::vector<std::uint64_t> *version_info = nullptr; // PE VERSIONINFO string keys (VI)
};

struct StartRange {
  std::uint64_t lo = 0;
  std::uint64_t hi = 0; // inclusive
};

// For `VI`, the range spans the first to the last version-info key; the caller must then accept
// only starts listed in ctx.version_info.
std::optional<StartRange> resolve(const OffsetSpec &spec, const OffsetContext &ctx);

} // namespace vg
