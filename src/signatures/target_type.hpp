// target_type.hpp — ClamAV's target types (the second field of .ndb lines, Target: in .ldb).
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>

namespace vg {

enum class TargetType : std::uint8_t {
  any = 0,
  pe = 1,
  ole2 = 2,
  html = 3,
  mail = 4,
  graphics = 5,
  elf = 6,
  ascii = 7,
  unused8 = 8,
  macho = 9,
  pdf = 10,
  flash = 11,
  java = 12,
  internal = 13,
  other = 14,
};
constexpr int kTargetTypeCount = 15;

const char *target_type_name(TargetType t);

} // namespace vg
