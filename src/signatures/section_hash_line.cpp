#include "signatures/section_hash_line.hpp"

#include <algorithm>
#include <charconv>
#include <string>

namespace vg {

namespace {

// ClamAV's size rule (cli_loadhash): `*`, or a decimal number that is neither 0 nor 0xffffffff+.
std::string check_size(std::string_view what, std::string_view s) {
  if (s == "*")
    return {};
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size() || v == 0 || v >= 0xffffffffu)
    return "bad " + std::string(what) + " '" + std::string(s) + "' (1 to 4294967294, or *)";
  return {};
}

// Splits off the first two fields; the rest is NAME[:MINFLEVEL[:MAXFLEVEL]]. Checks the field
// count.
struct Fields {
  std::string_view first, second, rest;
};
std::variant<Fields, LineError> split(std::string_view line, std::string_view layout) {
  auto colons = std::count(line.begin(), line.end(), ':');
  if (colons < 2 || colons > 4)
    return LineError{"expected " + std::string(layout) + "[:MINFLEVEL[:MAXFLEVEL]], got " +
                     std::to_string(colons + 1) + " fields"};
  auto a = line.find(':');
  auto b = line.find(':', a + 1);
  return Fields{line.substr(0, a), line.substr(a + 1, b - a - 1), line.substr(b + 1)};
}

// The hash, name and level fields follow the .hdb rules: parse_hash_line checks them on the line
// rewritten into its HASH:SIZE:NAME order. `star_is_free`: a `*` size needs no functionality level
// (.imp), so the size is checked here and `*` stands in as a plain number there.
std::variant<HashSignature, LineSkipped, LineError> parse_reordered(std::string_view hash,
                                                                    std::string_view size,
                                                                    std::string_view rest,
                                                                    bool star_is_free) {
  const bool free_star = star_is_free && size == "*";
  std::string line;
  line.reserve(hash.size() + size.size() + rest.size() + 2);
  line.append(hash).append(":").append(free_star ? "1" : size).append(":").append(rest);
  auto r = parse_hash_line(line);
  if (auto *s = std::get_if<HashSignature>(&r); s && free_star)
    s->size = HashSignature::kAnySize;
  return r;
}

// .mdb/.msb put the size first, .imp the hash; only .imp lets `*` go without a level.
std::variant<HashSignature, LineSkipped, LineError> parse_pe_hash(std::string_view line,
                                                                  bool section) {
  auto f = split(line, section ? "SECTIONSIZE:HASH:NAME" : "HASH:IMPORTSIZE:NAME");
  if (auto *e = std::get_if<LineError>(&f))
    return *e;
  const auto &[first, second, rest] = std::get<Fields>(f);
  const std::string_view size = section ? first : second, hash = section ? second : first;
  if (auto e = check_size(section ? "section size" : "import table size", size); !e.empty())
    return LineError{e};
  return parse_reordered(hash, size, rest, !section);
}

} // namespace

std::variant<HashSignature, LineSkipped, LineError> parse_section_hash_line(std::string_view line) {
  return parse_pe_hash(line, true);
}

std::variant<HashSignature, LineSkipped, LineError> parse_import_hash_line(std::string_view line) {
  return parse_pe_hash(line, false);
}

} // namespace vg
