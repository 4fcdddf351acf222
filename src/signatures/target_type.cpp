#include "signatures/target_type.hpp"

namespace vg {

const char *target_type_name(TargetType t) {
  switch (t) {
  case TargetType::any:
    return "any";
  case TargetType::pe:
    return "PE";
  case TargetType::ole2:
    return "OLE2";
  case TargetType::html:
    return "HTML";
  case TargetType::mail:
    return "mail";
  case TargetType::graphics:
    return "graphics";
  case TargetType::elf:
    return "ELF";
  case TargetType::ascii:
    return "ASCII";
  case TargetType::unused8:
    return "unused";
  case TargetType::macho:
    return "Mach-O";
  case TargetType::pdf:
    return "PDF";
  case TargetType::flash:
    return "Flash";
  case TargetType::java:
    return "Java";
  case TargetType::internal:
    return "internal";
  case TargetType::other:
    return "other";
  }
  return "?";
}

} // namespace vg
