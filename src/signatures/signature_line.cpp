#include "signatures/signature_line.hpp"

#include "common/hex.hpp"

#include <charconv>
#include <vector>

namespace vg {

namespace {

std::vector<std::string_view> split_fields(std::string_view line, char sep = ':') {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (;;) {
    auto p = line.find(sep, start);
    if (p == std::string_view::npos) {
      out.push_back(line.substr(start));
      return out;
    }
    out.push_back(line.substr(start, p - start));
    start = p + 1;
  }
}

bool parse_u64(std::string_view s, std::uint64_t &v) {
  if (s.empty())
    return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size();
}

// Checks optional MINFLEVEL[:MAXFLEVEL] fields starting at index `first`.
// Returns an error text, or "" and sets `skip` when the level excludes the signature.
std::string check_levels(const std::vector<std::string_view> &f, std::size_t first, bool &skip) {
  skip = false;
  if (f.size() > first && !f[first].empty()) {
    std::uint64_t min = 0;
    if (!parse_u64(f[first], min))
      return "bad minimum functionality level '" + std::string(f[first]) + "'";
    if (min > kFunctionalityLevel)
      skip = true;
  }
  if (f.size() > first + 1 && !f[first + 1].empty()) {
    std::uint64_t max = 0;
    if (!parse_u64(f[first + 1], max))
      return "bad maximum functionality level '" + std::string(f[first + 1]) + "'";
    if (max < kFunctionalityLevel)
      skip = true;
  }
  return {};
}

std::string check_name(std::string_view name) {
  if (name.empty())
    return "empty signature name";
  for (unsigned char c : name)
    if (c < 0x20 || c == 0x7f)
      return "control character in signature name";
  return {};
}

} // namespace

std::variant<HashSignature, LineSkipped, LineError> parse_hash_line(std::string_view line) {
  auto f = split_fields(line);
  if (f.size() < 3 || f.size() > 5)
    return LineError{"expected HASH:SIZE:NAME[:MINFLEVEL[:MAXFLEVEL]], got " +
                     std::to_string(f.size()) + " fields"};
  HashSignature sig;
  auto hash = f[0];
  if (hash.size() != 32 && hash.size() != 40 && hash.size() != 64)
    return LineError{"hash must be 32, 40 or 64 hex digits (MD5, SHA1, SHA256)"};
  auto bytes = hex_decode(hash);
  if (!bytes)
    return LineError{"hash is not hexadecimal"};
  std::copy(bytes->begin(), bytes->end(), sig.digest.b.begin());
  sig.digest.len = static_cast<std::uint8_t>(bytes->size());
  bool skip = false;
  if (auto e = check_levels(f, 3, skip); !e.empty())
    return LineError{e};
  if (f[1] == "*") {
    sig.size = HashSignature::kAnySize;
    std::uint64_t min = 0;
    if (f.size() < 4 || !parse_u64(f[3], min) || min < 73)
      return LineError{"a '*' size needs a minimum functionality level of at least 73"};
  } else if (!parse_u64(f[1], sig.size) || sig.size == HashSignature::kAnySize) {
    return LineError{"bad file size '" + std::string(f[1]) + "'"};
  }
  if (auto e = check_name(f[2]); !e.empty())
    return LineError{e};
  if (skip)
    return LineSkipped{};
  sig.name = std::string(f[2]);
  return sig;
}

std::variant<BodySignature, LineSkipped, LineError> parse_ndb_line(std::string_view line) {
  auto f = split_fields(line);
  if (f.size() < 4 || f.size() > 6)
    return LineError{"expected NAME:TARGET:OFFSET:HEXSIG[:MINFLEVEL[:MAXFLEVEL]], got " +
                     std::to_string(f.size()) + " fields"};
  BodySignature sig;
  if (auto e = check_name(f[0]); !e.empty())
    return LineError{e};
  std::uint64_t target = 0;
  if (!parse_u64(f[1], target) || target >= kTargetTypeCount)
    return LineError{"bad target type '" + std::string(f[1]) + "' (0-14)"};
  auto off = parse_offset_spec(f[2]);
  if (!off.ok())
    return LineError{off.error};
  auto body = parse_body_pattern(f[3]);
  if (!body.ok())
    return LineError{"bad hex signature: " + body.error};
  bool skip = false;
  if (auto e = check_levels(f, 4, skip); !e.empty())
    return LineError{e};
  if (skip)
    return LineSkipped{};
  sig.name = std::string(f[0]);
  sig.target = static_cast<TargetType>(target);
  sig.offset = off.spec;
  sig.pattern = PackedPattern::pack(body.pattern);
  return sig;
}

std::variant<std::string, LineError> parse_ign2_line(std::string_view line) {
  auto f = split_fields(line);
  if (f.size() > 2)
    return LineError{"expected NAME[:MD5]"};
  if (auto e = check_name(f[0]); !e.empty())
    return LineError{e};
  if (f.size() == 2 && (f[1].size() != 32 || !hex_decode(f[1])))
    return LineError{"bad MD5 after the name"};
  return std::string(f[0]);
}

} // namespace vg
