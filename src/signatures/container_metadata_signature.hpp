// container_metadata_signature.hpp — a ClamAV .cdb container metadata signature, parsed
// (container_metadata_line.hpp has the parser and the load rules).
// Promise: ContainerMetadataSignature::matches() is libclamav 1.4's cli_matchmeta() for one entry:
// the container type ('*': any), encryption ('*': either), ContainerSize, FileSizeInContainer,
// FileSizeReal and FilePos ranges ('*': any; "n" is n exactly; "min-max" with min = max is that
// value, otherwise a bound of 0 is open, as libclamav's CDBRANGE), and FileNameREGEX searched
// unanchored in the entry's name (an entry without a name never matches a regex). A
// FileSizeInContainer the container format does not give never matches a set range.
// EntryNameRegex runs PCRE2 under libclamav's default match and depth limits (a search that
// hits one is no match); it is immutable and may be used from several threads at once.
#pragma once
#include "signatures/sig_origin.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace vg {

struct CdbRange {
  bool any = true;
  std::uint32_t min = 0, max = 0;
  bool holds(std::uint64_t v) const;
};

// What a container says about one of its entries (libclamav's cli_matchmeta() arguments).
struct ContainerEntryFacts {
  std::string_view container_type; // CL_TYPE_* of the container holding the entry
  std::uint64_t container_size = 0;
  std::optional<std::string_view> name;           // nullopt: the entry has no name
  std::optional<std::uint64_t> size_in_container; // nullopt: the format does not say
  std::uint64_t size_real = 0;
  bool encrypted = false;
  std::uint64_t position = 0; // the container's own entry counter, as libclamav passes it
};

// A compiled FileNameREGEX (PCRE2, shared by copies of the signature).
class EntryNameRegex {
public:
  // Empty string and the error when the pattern does not compile.
  static std::variant<EntryNameRegex, std::string> compile(std::string_view pattern);
  bool search(std::string_view name) const;
  const std::string &pattern() const { return pattern_; }

private:
  std::string pattern_;
  std::shared_ptr<const void> code_;
};

struct ContainerMetadataSignature {
  std::string name;
  std::optional<std::string> container_type; // CL_TYPE_* (nullopt: any container)
  CdbRange container_size;
  std::optional<EntryNameRegex> name_regex; // nullopt: any name, or none
  CdbRange size_in_container;
  CdbRange size_real;
  std::optional<bool> encrypted; // nullopt: either
  CdbRange position;
  SigOrigin origin;

  bool matches(const ContainerEntryFacts &entry) const;
};

} // namespace vg
