#include "guard/toml_lite.hpp"

#include "common/error.hpp"

#include <cctype>
#include <cstdint>
#include <cstdio>

namespace vg::guard {

namespace {

class LineParser {
public:
  LineParser(std::string_view s, std::string where) : s_(s), where_(std::move(where)) {}

  void skip_ws() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\r'))
      ++pos_;
  }
  bool at_end_or_comment() {
    skip_ws();
    return pos_ >= s_.size() || s_[pos_] == '#';
  }
  char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  bool eat(char c) {
    skip_ws();
    if (peek() == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  [[noreturn]] void fail(const std::string &why) const { throw Error(where_, why); }

  std::string key() {
    skip_ws();
    if (peek() == '"' || peek() == '\'')
      return string_value();
    std::size_t start = pos_;
    while (pos_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[pos_])) ||
                                s_[pos_] == '_' || s_[pos_] == '-'))
      ++pos_;
    if (start == pos_)
      fail("expected a key");
    return std::string(s_.substr(start, pos_ - start));
  }

  std::string string_value() {
    char q = s_[pos_++];
    std::string out;
    while (true) {
      if (pos_ >= s_.size())
        fail("unterminated string (strings must end on the line they start)");
      char c = s_[pos_++];
      if (c == q)
        return out;
      if (q == '"' && c == '\\') {
        if (pos_ >= s_.size())
          fail("unterminated escape in string");
        char e = s_[pos_++];
        switch (e) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case 'n':
          out += '\n';
          break;
        case 't':
          out += '\t';
          break;
        case 'r':
          out += '\r';
          break;
        case 'u': {
          if (pos_ + 4 > s_.size())
            fail("\\u needs 4 hex digits");
          unsigned cp = 0;
          for (int i = 0; i < 4; ++i) {
            char h = s_[pos_++];
            if (!std::isxdigit(static_cast<unsigned char>(h)))
              fail("\\u needs 4 hex digits");
            cp = cp * 16 + static_cast<unsigned>(std::isdigit(static_cast<unsigned char>(h))
                                                     ? h - '0'
                                                     : (std::tolower(h) - 'a' + 10));
          }
          if (cp < 0x80) {
            out += static_cast<char>(cp);
          } else if (cp < 0x800) {
            out += static_cast<char>(0xC0 | (cp >> 6));
            out += static_cast<char>(0x80 | (cp & 0x3F));
          } else {
            out += static_cast<char>(0xE0 | (cp >> 12));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
          }
          break;
        }
        default:
          fail(std::string("unknown escape \\") + e);
        }
      } else {
        out += c;
      }
    }
  }

  TomlValue value(std::size_t line, int depth = 0) {
    skip_ws();
    TomlValue v;
    v.line = line;
    char c = peek();
    if (c == '"' || c == '\'') {
      v.v = string_value();
    } else if (c == '[') {
      if (depth > 8)
        fail("arrays nested too deeply");
      ++pos_;
      std::vector<TomlValue> items;
      skip_ws();
      if (!eat(']')) {
        while (true) {
          items.push_back(value(line, depth + 1));
          if (eat(']'))
            break;
          if (!eat(','))
            fail("expected ',' or ']' in array (arrays must fit on one line)");
          if (eat(']'))
            break;
        }
      }
      v.v = std::move(items);
    } else if (s_.substr(pos_).starts_with("true")) {
      pos_ += 4;
      v.v = true;
    } else if (s_.substr(pos_).starts_with("false")) {
      pos_ += 5;
      v.v = false;
    } else if (c == '-' || c == '+' || std::isdigit(static_cast<unsigned char>(c))) {
      std::size_t start = pos_;
      if (c == '-' || c == '+')
        ++pos_;
      std::int64_t n = 0;
      bool digits = false;
      while (pos_ < s_.size() &&
             (std::isdigit(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_')) {
        if (s_[pos_] != '_') {
          if (n > (INT64_MAX - 9) / 10)
            fail("integer out of range");
          n = n * 10 + (s_[pos_] - '0');
          digits = true;
        }
        ++pos_;
      }
      if (!digits)
        fail("bad number '" + std::string(s_.substr(start, pos_ - start)) + "'");
      v.v = c == '-' ? -n : n;
    } else {
      fail("expected a value (\"string\", 'string', integer, true/false or [array])");
    }
    return v;
  }

private:
  std::string_view s_;
  std::size_t pos_ = 0;
  std::string where_;
};

} // namespace

std::vector<TomlTable> parse_toml_lite(std::string_view text, const std::string &input) {
  std::vector<TomlTable> tables(1);
  std::size_t number = 0;
  while (!text.empty()) {
    std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    ++number;
    std::string where = input + ":" + std::to_string(number);
    if (line.find('\0') != std::string_view::npos)
      throw Error(where, "NUL byte in policy text");
    LineParser p(line, where);
    if (p.at_end_or_comment())
      continue;
    if (p.eat('[')) {
      bool array = p.eat('[');
      TomlTable t;
      t.name = p.key();
      while (p.eat('.'))
        t.name += "." + p.key();
      if (!p.eat(']') || (array && !p.eat(']')))
        p.fail(array ? "expected ']]' to close the table header"
                     : "expected ']' to close the table header");
      if (!p.at_end_or_comment())
        p.fail("unexpected text after the table header");
      t.array = array;
      t.line = number;
      if (!array)
        for (const auto &existing : tables)
          if (existing.name == t.name && !existing.array)
            p.fail("table [" + t.name + "] is defined twice (first at line " +
                   std::to_string(existing.line) + ")");
      tables.push_back(std::move(t));
      continue;
    }
    std::string key = p.key();
    if (!p.eat('='))
      p.fail("expected '=' after key '" + key + "'");
    TomlValue v = p.value(number);
    if (!p.at_end_or_comment())
      p.fail("unexpected text after the value of '" + key + "'");
    auto &keys = tables.back().keys;
    if (keys.contains(key))
      p.fail("key '" + key + "' is set twice in the same table");
    keys.emplace(key, std::move(v));
  }
  return tables;
}

std::string toml_quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\t':
      out += "\\t";
      break;
    case '\r':
      out += "\\r";
      break;
    default:
      if (static_cast<unsigned char>(c) < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
        out += buf;
      } else {
        out += c;
      }
    }
  }
  return out + "\"";
}

} // namespace vg::guard
