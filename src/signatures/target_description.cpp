#include "signatures/target_description.hpp"

#include "signatures/signature_set.hpp"

#include <algorithm>
#include <charconv>

namespace vg {

namespace {

// libclamav 1.4's ftmap names (filetypes.c), as cli_ftcode() accepts them.
constexpr std::string_view kTypeNames[] = {
    "CL_TYPE_ANY",          "CL_TYPE_TEXT_ASCII",   "CL_TYPE_TEXT_UTF8",
    "CL_TYPE_TEXT_UTF16LE", "CL_TYPE_TEXT_UTF16BE", "CL_TYPE_BINARY_DATA",
    "CL_TYPE_IGNORED",      "CL_TYPE_MSEXE",        "CL_TYPE_ELF",
    "CL_TYPE_MACHO",        "CL_TYPE_MACHO_UNIBIN", "CL_TYPE_POSIX_TAR",
    "CL_TYPE_OLD_TAR",      "CL_TYPE_CPIO_OLD",     "CL_TYPE_CPIO_ODC",
    "CL_TYPE_CPIO_NEWC",    "CL_TYPE_CPIO_CRC",     "CL_TYPE_GZ",
    "CL_TYPE_ZIP",          "CL_TYPE_BZ",           "CL_TYPE_RAR",
    "CL_TYPE_ARJ",          "CL_TYPE_MSSZDD",       "CL_TYPE_MSOLE2",
    "CL_TYPE_MSCAB",        "CL_TYPE_MSCHM",        "CL_TYPE_SIS",
    "CL_TYPE_SCRENC",       "CL_TYPE_GRAPHICS",     "CL_TYPE_GIF",
    "CL_TYPE_PNG",          "CL_TYPE_JPEG",         "CL_TYPE_TIFF",
    "CL_TYPE_RIFF",         "CL_TYPE_BINHEX",       "CL_TYPE_TNEF",
    "CL_TYPE_CRYPTFF",      "CL_TYPE_PDF",          "CL_TYPE_UUENCODED",
    "CL_TYPE_SCRIPT",       "CL_TYPE_HTML_UTF16",   "CL_TYPE_RTF",
    "CL_TYPE_7Z",           "CL_TYPE_SWF",          "CL_TYPE_JAVA",
    "CL_TYPE_XAR",          "CL_TYPE_XZ",           "CL_TYPE_OOXML_WORD",
    "CL_TYPE_OOXML_PPT",    "CL_TYPE_OOXML_XL",     "CL_TYPE_INTERNAL",
    "CL_TYPE_HWP3",         "CL_TYPE_OOXML_HWP",    "CL_TYPE_PS",
    "CL_TYPE_EGG",          "CL_TYPE_ONENOTE",      "CL_TYPE_PYTHON_COMPILED",
    "CL_TYPE_LHA_LZH",      "CL_TYPE_ALZ",          "CL_TYPE_MBR",
    "CL_TYPE_HTML",         "CL_TYPE_MAIL",         "CL_TYPE_SFX",
    "CL_TYPE_ZIPSFX",       "CL_TYPE_RARSFX",       "CL_TYPE_7ZSFX",
    "CL_TYPE_CABSFX",       "CL_TYPE_ARJSFX",       "CL_TYPE_NULSFT",
    "CL_TYPE_AUTOIT",       "CL_TYPE_ISHIELD_MSI",  "CL_TYPE_ISO9660",
    "CL_TYPE_DMG",          "CL_TYPE_GPT",          "CL_TYPE_APM",
    "CL_TYPE_PART_ANY",     "CL_TYPE_PART_HFSPLUS", "CL_TYPE_HFSPLUS",
    "CL_TYPE_XDP",          "CL_TYPE_XML_WORD",     "CL_TYPE_XML_XL",
    "CL_TYPE_XML_HWP",      "CL_TYPE_HWPOLE2",      "CL_TYPE_MHTML",
    "CL_TYPE_LNK",          "CL_TYPE_UDF",
};

bool parse_u32(std::string_view s, std::uint32_t &v) {
  if (s.empty() || s.find_first_not_of("0123456789") != std::string_view::npos)
    return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size();
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  for (;;) {
    auto p = s.find(sep);
    out.push_back(s.substr(0, p));
    if (p == std::string_view::npos)
      return out;
    s.remove_prefix(p + 1);
  }
}

} // namespace

const TargetDescription::Rare &TargetDescription::rare() const {
  return rare_.get();
}

void TargetDescription::set_rare(Rare rare) {
  if (rare.empty())
    rare_.reset();
  else
    rare_.set(std::move(rare));
}

bool is_clamav_type_name(std::string_view name) {
  return std::find(std::begin(kTypeNames), std::end(kTypeNames), name) != std::end(kTypeNames);
}

TdbParseResult parse_target_description(std::string_view text) {
  TdbParseResult r;
  TargetDescription &t = r.tdb;
  TargetDescription::Rare rare; // given to t at the end, when the description is valid
  bool have_target = false, have_new = false;
  std::uint32_t target = 0;
  auto error = [&](std::string why) {
    r.error = "target description block: " + std::move(why);
    return r;
  };
  if (text.empty())
    return error("empty");
  auto attrs = split(text, ',');
  for (std::size_t i = 0; i < attrs.size(); ++i) {
    std::string_view a = attrs[i];
    auto colon = a.find(':');
    if (colon == std::string_view::npos)
      return error("attribute '" + std::string(a) + "' is not Name:value");
    std::string_view name = a.substr(0, colon), value = a.substr(colon + 1);
    auto range = [&](std::optional<TdbRange> &out) {
      auto dash = value.find('-');
      TdbRange rg;
      if (dash == std::string_view::npos || !parse_u32(value.substr(0, dash), rg.min) ||
          !parse_u32(value.substr(dash + 1), rg.max)) {
        r.error = "target description block: " + std::string(name) + " needs min-max, got '" +
                  std::string(value) + "'";
        return false;
      }
      out = rg;
      return true;
    };
    auto type_name = [&](std::string_view v) {
      if (is_clamav_type_name(v))
        return true;
      r.skip = "unknown file type '" + std::string(v) + "' in " + std::string(name);
      return false;
    };
    if (name == "Engine") {
      if (i != 0)
        return error("Engine must be the first attribute");
      if (!range(t.engine))
        return r;
      continue;
    }
    if (name == "Target") {
      std::uint32_t v = 0;
      if (!parse_u32(value, v))
        return error("bad Target '" + std::string(value) + "'");
      have_target = true;
      target = v;
      continue;
    }
    have_new = true;
    if (name == "FileSize") {
      if (!range(t.file_size))
        return r;
    } else if (name == "EntryPoint") {
      if (!range(t.entry_point))
        return r;
    } else if (name == "NumberOfSections") {
      if (!range(t.number_of_sections))
        return r;
    } else if (name == "IconGroup1") {
      rare.icon_group1 = std::string(value);
    } else if (name == "IconGroup2") {
      rare.icon_group2 = std::string(value);
    } else if (name == "Container") {
      if (type_name(value))
        rare.container = std::string(value);
    } else if (name == "HandlerType") {
      if (type_name(value))
        rare.handler_type = std::string(value);
    } else if (name == "Intermediates") {
      rare.intermediates.clear();
      for (auto v : split(value, '>')) {
        if (!type_name(v))
          break;
        rare.intermediates.emplace_back(v);
      }
    } else {
      r.skip = "unknown attribute '" + std::string(name) + "'";
    }
    if (!r.skip.empty())
      return r; // ClamAV stops at the first unsupported attribute and skips the signature
  }
  if (have_new && (!t.engine || t.engine->min < 51))
    return error(
        "attributes other than Engine and Target need Engine with a minimum of 51 or more");
  if (t.engine && (t.engine->min > kFunctionalityLevel || t.engine->max < kFunctionalityLevel)) {
    r.skip = "functionality level " + std::to_string(t.engine->min) + "-" +
             std::to_string(t.engine->max) + " excludes " + std::to_string(kFunctionalityLevel);
    return r;
  }
  if (!have_target)
    return error("no Target");
  if (target >= static_cast<std::uint32_t>(kTargetTypeCount)) {
    r.skip = "target type " + std::to_string(target) + " not supported";
    return r;
  }
  t.target = static_cast<TargetType>(target);
  if ((rare.icon_group1 || rare.icon_group2) && t.target != TargetType::pe)
    return error("IconGroup needs Target:1");
  if ((t.entry_point || t.number_of_sections) && t.target != TargetType::pe &&
      t.target != TargetType::elf && t.target != TargetType::macho)
    return error("EntryPoint/NumberOfSections need Target 1, 6 or 9");
  t.set_rare(std::move(rare));
  return r;
}

} // namespace vg
