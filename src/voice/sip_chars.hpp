// sip_chars.hpp — the character classes of the RFC 3261 (section 25) grammar.
// Promise: pure, table-free predicates on one octet; no locale, no UB for any input value.
#pragma once
#include <string_view>

namespace vg::voice::sipchar {

constexpr bool alpha(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
constexpr bool digit(unsigned char c) {
  return c >= '0' && c <= '9';
}
constexpr bool alphanum(unsigned char c) {
  return alpha(c) || digit(c);
}
constexpr bool hex(unsigned char c) {
  return digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
constexpr bool wsp(unsigned char c) {
  return c == ' ' || c == '\t';
}
constexpr bool in(unsigned char c, std::string_view set) {
  return c != 0 && set.find(static_cast<char>(c)) != std::string_view::npos;
}
// token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")
constexpr bool token(unsigned char c) {
  return alphanum(c) || in(c, "-.!%*_+`'~");
}
// mark / unreserved / reserved
constexpr bool mark(unsigned char c) {
  return in(c, "-_.!~*'()");
}
constexpr bool unreserved(unsigned char c) {
  return alphanum(c) || mark(c);
}
constexpr bool reserved(unsigned char c) {
  return in(c, ";/?:@&=+$,");
}
constexpr bool user_unreserved(unsigned char c) {
  return in(c, "&=+$,;?/");
}
constexpr bool password_extra(unsigned char c) {
  return in(c, "&=+$,");
}
constexpr bool param_unreserved(unsigned char c) {
  return in(c, "[]/:&+$");
}
constexpr bool hnv_unreserved(unsigned char c) {
  return in(c, "[]/?:+$");
}
// word = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~" / "(" / ")" /
//        "<" / ">" / ":" / "\" / DQUOTE / "/" / "[" / "]" / "?" / "{" / "}")
constexpr bool word(unsigned char c) {
  return token(c) || in(c, "()<>:\\\"/[]?{}");
}
// uric (RFC 2396) = reserved / unreserved / escaped
constexpr bool uric(unsigned char c) {
  return reserved(c) || unreserved(c);
}
constexpr bool ctl(unsigned char c) {
  return c < 0x20 || c == 0x7f;
}

} // namespace vg::voice::sipchar
