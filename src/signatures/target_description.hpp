// target_description.hpp — the target description block of a ClamAV .ldb signature (second field),
// e.g. "Engine:51-255,Target:1,FileSize:100-2000,Container:CL_TYPE_ZIP".
// Promise: parse_target_description() applies libclamav's lsigattribs()/init_tdb() load rules:
//  - attributes are "Name:value" separated by ','; Engine, if present, must come first;
//  - Engine, FileSize, EntryPoint, NumberOfSections are "min-max" ranges of decimal numbers;
//    Target a decimal number; Container, HandlerType a ClamAV file type name (CL_TYPE_*);
//    Intermediates CL_TYPE_* names joined by '>' (outermost first); IconGroup1/2 any text;
//  - any attribute besides Engine and Target needs Engine with a minimum of at least 51;
//  - Target is required; IconGroup only with Target:1; EntryPoint/NumberOfSections only with
//    Target 1, 6 or 9.
// Breaking a rule is an error (the database is refused, as clamscan refuses it). Like ClamAV, an
// unknown attribute name, an unknown file type name, a Target of 15 or more and an Engine range
// that excludes kFunctionalityLevel do not refuse the database: the signature is skipped, with
// `skip` saying why. Stricter than ClamAV: empty numbers and numbers beyond 32 bits are errors.
#pragma once
#include "common/boxed_value.hpp"
#include "signatures/target_type.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vg {

struct TdbRange {
  std::uint32_t min = 0;
  std::uint32_t max = 0;
  bool contains(std::uint64_t v) const { return v >= min && v <= max; }
  friend bool operator==(const TdbRange &, const TdbRange &) = default;
};

// Real databases hold tens of thousands of logical signatures, nearly all of them with only
// Target, Engine and FileSize: the rare attributes (Container, Intermediates, IconGroup1/2,
// HandlerType) live in one separate allocation (behind one pointer) that only signatures having
// one of them carry, so a description costs 64 bytes. A copy copies that part.
struct TargetDescription {
  struct Rare {
    std::optional<std::string> container;   // CL_TYPE_* name of the direct parent
    std::vector<std::string> intermediates; // CL_TYPE_* names, outermost first
    std::optional<std::string> icon_group1, icon_group2;
    std::optional<std::string> handler_type; // CL_TYPE_* name
    bool empty() const {
      return !container && intermediates.empty() && !icon_group1 && !icon_group2 && !handler_type;
    }
    friend bool operator==(const Rare &, const Rare &) = default;
  };

  TargetType target = TargetType::any;
  std::optional<TdbRange> engine;
  std::optional<TdbRange> file_size;
  std::optional<TdbRange> entry_point;
  std::optional<TdbRange> number_of_sections;

  const std::optional<std::string> &container() const { return rare().container; }
  const std::vector<std::string> &intermediates() const { return rare().intermediates; }
  const std::optional<std::string> &icon_group1() const { return rare().icon_group1; }
  const std::optional<std::string> &icon_group2() const { return rare().icon_group2; }
  const std::optional<std::string> &handler_type() const { return rare().handler_type; }
  // All of the rare attributes (every field empty when the signature has none).
  const Rare &rare() const;
  // Replaces the rare attributes; an empty `rare` allocates nothing.
  void set_rare(Rare rare);

  friend bool operator==(const TargetDescription &a, const TargetDescription &b) {
    return a.target == b.target && a.engine == b.engine && a.file_size == b.file_size &&
           a.entry_point == b.entry_point && a.number_of_sections == b.number_of_sections &&
           a.rare() == b.rare();
  }

private:
  BoxedValue<Rare> rare_; // unset when every rare attribute is absent
};

struct TdbParseResult {
  TargetDescription tdb;
  std::string error; // the database is malformed
  std::string skip;  // the signature is valid but ClamAV does not load it
  bool ok() const { return error.empty(); }
};

TdbParseResult parse_target_description(std::string_view text);

// True for the file type names libclamav 1.4's cli_ftcode() knows ("CL_TYPE_ZIP", ...).
bool is_clamav_type_name(std::string_view name);

} // namespace vg
