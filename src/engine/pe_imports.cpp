#include "engine/pe_imports.hpp"

#include "engine/pe_ordinal_names.hpp"

#include <algorithm>
#include <string_view>

namespace vg {

namespace {

constexpr std::uint64_t kDescriptorSize = 20; // IMAGE_IMPORT_DESCRIPTOR
constexpr unsigned kMaxDescriptors = 1024;    // ClamAV's PE_MAXIMPORTS
constexpr std::uint64_t kMaxNameSize = 256;   // ClamAV's PE_MAXNAMESIZE

char ascii_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool valid_function_name(std::string_view name) {
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
           c == '.';
  });
}

// The DLL part of an entry: the name up to its first '.' when what follows starts with .dll, .ocx
// or .sys (any case), the whole name otherwise.
std::string_view dll_stem(std::string_view dll) {
  auto dot = dll.find('.');
  if (dot == std::string_view::npos)
    return dll;
  std::string ext;
  for (char c : dll.substr(dot, 4))
    ext += ascii_lower(c);
  return ext == ".dll" || ext == ".ocx" || ext == ".sys" ? dll.substr(0, dot) : dll;
}

class Walker {
public:
  Walker(std::span<const std::uint8_t> data, const ExeInfo &exe)
      : data_(data), v_(data), exe_(exe), pe_(*exe.pe) {}

  ImportTableText run() {
    if (pe_.import_rva == 0 || pe_.import_size == 0)
      return none("the PE file has no import directory");
    auto dir = map(pe_.import_rva);
    if (!dir || *dir + pe_.import_size > data_.size())
      return none("the import directory lies outside the file");
    std::uint64_t left = pe_.import_size, at = *dir;
    for (unsigned n = 0; left > kDescriptorSize && n < kMaxDescriptors; ++n) {
      const std::uint32_t oft = *v_.u32(at), name_rva = *v_.u32(at + 12), ft = *v_.u32(at + 16);
      if (name_rva == 0)
        break;
      left -= kDescriptorSize;
      at += kDescriptorSize;
      auto name_off = map(name_rva);
      if (!name_off)
        return none("DLL name RVA " + std::to_string(name_rva) + " is not backed by file data");
      const std::string dll =
          v_.cstr(*name_off, static_cast<std::size_t>(std::min(kMaxNameSize, size() - *name_off)));
      if (auto failed = functions(dll, oft, ft))
        return *failed;
    }
    return ImportTableText{std::move(text_), {}};
  }

private:
  std::uint64_t size() const { return data_.size(); }
  std::optional<std::uint64_t> map(std::uint64_t rva) const {
    auto off = pe_rva_to_offset(exe_.sections, pe_.header_size, size(), rva);
    return off && *off < size() ? off : std::nullopt; // (a layout parsed from this very buffer)
  }
  static ImportTableText none(std::string reason) { return ImportTableText{{}, std::move(reason)}; }

  // The functions of one DLL (hash_impfns); a result means the whole import hash is abandoned.
  std::optional<ImportTableText> functions(const std::string &dll, std::uint32_t oft,
                                           std::uint32_t ft) {
    std::optional<std::uint64_t> thunks;
    if (oft)
      thunks = map(oft);
    if (!thunks || *thunks == 0)
      thunks = map(ft);
    if (!thunks)
      return none("first thunk RVA " + std::to_string(ft) + " of " + dll +
                  " is not backed by file data");
    const unsigned width = pe_.pe32plus ? 8 : 4;
    for (std::uint64_t at = *thunks;; at += width) {
      auto thunk = v_.uint(at, width, false);
      if (!thunk || *thunk == 0)
        return std::nullopt;
      if (++thunks_ > kMaxImportThunks)
        return none("more than " + std::to_string(kMaxImportThunks) + " import thunks");
      std::optional<std::string> function;
      if (*thunk >> (width * 8 - 1)) {
        function = pe_ordinal_name(dll, static_cast<std::uint16_t>(*thunk));
      } else {
        // The hint/name entry: a 16-bit hint, then the name. ClamAV reads the name of a PE32 thunk
        // even when its RVA does not map (from file offset 0 then); a PE32+ thunk it passes over.
        auto off = map(static_cast<std::uint32_t>(*thunk));
        if (!off && pe_.pe32plus)
          continue;
        const std::uint64_t name_at = off.value_or(0);
        const std::uint64_t len = std::min(kMaxNameSize, size() - name_at);
        if (name_at + 2 + len > size())
          continue; // ClamAV cannot map that window: the function is passed over
        function = v_.cstr(name_at + 2, static_cast<std::size_t>(len));
      }
      if (!valid_function_name(*function))
        return none("imported function name of " + dll + " has a character outside [0-9A-Za-z_.]");
      append(dll, *function);
      if (text_.size() > kMaxImportText)
        return none("import table text exceeds " + std::to_string(kMaxImportText) + " bytes");
    }
  }

  void append(std::string_view dll, std::string_view function) {
    if (!text_.empty())
      text_ += ',';
    for (char c : dll_stem(dll))
      text_ += ascii_lower(c);
    text_ += '.';
    for (char c : function)
      text_ += ascii_lower(c);
  }

  std::span<const std::uint8_t> data_;
  ByteView v_;
  const ExeInfo &exe_;
  const PeLayout &pe_;
  std::string text_;
  std::uint64_t thunks_ = 0;
};

} // namespace

ImportTableText import_table_text(std::span<const std::uint8_t> data, const ExeInfo &exe) {
  if (!exe.pe)
    return ImportTableText{{}, exe.error.empty() ? "not a PE file" : exe.error};
  return Walker(data, exe).run();
}

} // namespace vg
