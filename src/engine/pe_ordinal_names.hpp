// pe_ordinal_names.hpp — names for PE imports by ordinal, as ClamAV's import-table hash spells
// them. Promise: pe_ordinal_name() gives the export name of a known ordinal of ws2_32.dll /
// wsock32.dll or oleaut32.dll (the DLL named by a case-insensitive prefix match, as libclamav's
// pe_ordinal() does), and "ordN" (N in decimal) for any other ordinal or DLL.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace vg {

std::string pe_ordinal_name(std::string_view dll, std::uint16_t ordinal);

} // namespace vg
