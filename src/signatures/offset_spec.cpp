#include "signatures/offset_spec.hpp"

#include <charconv>
#include <limits>

namespace vg {

namespace {

bool parse_uint(std::string_view s, std::uint64_t &out) {
  if (s.empty())
    return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

OffsetParseResult fail(std::string why) {
  OffsetParseResult r;
  r.error = std::move(why);
  return r;
}

constexpr std::uint64_t kMaxOffset = std::numeric_limits<std::int64_t>::max() / 4;

} // namespace

OffsetParseResult parse_offset_spec(std::string_view text) {
  OffsetParseResult r;
  if (text == "*")
    return r;
  if (text == "VI") {
    r.spec.base = OffsetSpec::Base::version_info;
    return r;
  }
  std::string_view main = text;
  auto comma = text.find(',');
  if (comma != std::string_view::npos) {
    std::uint64_t shift = 0;
    if (!parse_uint(text.substr(comma + 1), shift) || shift > 0xffffffffu)
      return fail("bad maxshift in offset '" + std::string(text) + "'");
    r.spec.max_shift = static_cast<std::uint32_t>(shift);
    main = text.substr(0, comma);
  }
  std::uint64_t n = 0;
  auto number = [&](std::string_view s) { return parse_uint(s, n) && n <= kMaxOffset; };
  auto bad = [&] { return fail("malformed offset '" + std::string(text) + "'"); };
  if (main.starts_with("EOF-")) {
    if (!number(main.substr(4)))
      return bad();
    r.spec.base = OffsetSpec::Base::eof_minus;
    r.spec.delta = -static_cast<std::int64_t>(n);
  } else if (main.starts_with("EP+") || main.starts_with("EP-")) {
    if (!number(main.substr(3)))
      return bad();
    r.spec.base = OffsetSpec::Base::entry_point;
    r.spec.delta = main[2] == '+' ? static_cast<std::int64_t>(n) : -static_cast<std::int64_t>(n);
  } else if (main.starts_with("SL+")) {
    if (!number(main.substr(3)))
      return bad();
    r.spec.base = OffsetSpec::Base::last_section_start;
    r.spec.delta = static_cast<std::int64_t>(n);
  } else if (main.starts_with("SE")) {
    if (!number(main.substr(2)) || n > 0xffff)
      return bad();
    r.spec.base = OffsetSpec::Base::section_entire;
    r.spec.section = static_cast<std::uint32_t>(n);
  } else if (main.starts_with("S")) {
    auto plus = main.find('+');
    std::uint64_t x = 0;
    if (plus == std::string_view::npos || !parse_uint(main.substr(1, plus - 1), x) || x > 0xffff ||
        !number(main.substr(plus + 1)))
      return bad();
    r.spec.base = OffsetSpec::Base::section_start;
    r.spec.section = static_cast<std::uint32_t>(x);
    r.spec.delta = static_cast<std::int64_t>(n);
  } else {
    if (!number(main))
      return bad();
    r.spec.base = OffsetSpec::Base::absolute;
    r.spec.delta = static_cast<std::int64_t>(n);
  }
  return r;
}

std::optional<StartRange> resolve(const OffsetSpec &spec, const OffsetContext &ctx) {
  std::int64_t base = 0;
  std::uint64_t extra = spec.max_shift;
  switch (spec.base) {
  case OffsetSpec::Base::any:
    if (ctx.file_size == 0)
      return std::nullopt;
    return StartRange{0, ctx.file_size - 1};
  case OffsetSpec::Base::absolute:
    base = spec.delta;
    break;
  case OffsetSpec::Base::eof_minus:
    base = static_cast<std::int64_t>(ctx.file_size) + spec.delta;
    break;
  case OffsetSpec::Base::entry_point:
    if (!ctx.entry_point)
      return std::nullopt;
    base = static_cast<std::int64_t>(*ctx.entry_point) + spec.delta;
    break;
  case OffsetSpec::Base::section_start:
    if (!ctx.sections || spec.section >= ctx.sections->size())
      return std::nullopt;
    base = static_cast<std::int64_t>((*ctx.sections)[spec.section].raw_offset) + spec.delta;
    break;
  case OffsetSpec::Base::section_entire: {
    if (!ctx.sections || spec.section >= ctx.sections->size())
      return std::nullopt;
    const auto &s = (*ctx.sections)[spec.section];
    base = static_cast<std::int64_t>(s.raw_offset);
    extra = s.raw_size;
    break;
  }
  case OffsetSpec::Base::version_info:
    if (!ctx.version_info || ctx.version_info->empty())
      return std::nullopt;
    return StartRange{ctx.version_info->front(), ctx.version_info->back()};
  case OffsetSpec::Base::last_section_start:
    if (!ctx.sections || ctx.sections->empty())
      return std::nullopt;
    base = static_cast<std::int64_t>(ctx.sections->back().raw_offset) + spec.delta;
    break;
  }
  if (base < 0 || static_cast<std::uint64_t>(base) >= ctx.file_size)
    return std::nullopt;
  StartRange r{static_cast<std::uint64_t>(base), static_cast<std::uint64_t>(base) + extra};
  if (r.hi >= ctx.file_size)
    r.hi = ctx.file_size - 1;
  return r;
}

} // namespace vg
