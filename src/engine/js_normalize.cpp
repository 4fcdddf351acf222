// js_normalize.cpp — see js_normalize.hpp. Mirrors libclamav/jsparse/js-norm.c (tokeniser yylex,
// cli_js_process_buffer, cli_js_parse_done with run_folders/run_decoders, cli_js_output) and the
// string helpers it uses from libclamav/str.c (cli_textbuffer_append_normalize, cli_unescape).
#include "engine/js_normalize.hpp"

#include "common/hex.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

namespace vg {

namespace {

// Token types: only those js-norm.c tests for are told apart; every other keyword and operator is
// `other` and carries its text.
enum class Tok {
  none,
  string_literal,
  numeric_int,
  numeric_float,
  identifier,
  unnorm_identifier,
  function,
  var,
  plus,
  par_open,
  par_close,
  curly_open,
  curly_close,
  bracket_open,
  bracket_close,
  comma,
  semicolon,
  dot,
  other,
};

enum class VType { undefined, cstring, string, scope, dval, ival };

struct Scope;

struct Token {
  Tok type = Tok::none;
  VType vtype = VType::undefined;
  bool has_text = false; // the C string pointer is not NULL
  std::string text;
  Scope *scope = nullptr;
  double dval = 0;
  long ival = 0;

  // TOKEN_GET(tok, cstring): a string or cstring value.
  const std::string *cstring() const {
    return (vtype == VType::cstring || vtype == VType::string) && has_text ? &text : nullptr;
  }
  // TOKEN_GET(tok, string): only a string value.
  std::string *string() { return vtype == VType::string && has_text ? &text : nullptr; }
  long get_ival() const { return vtype == VType::ival ? ival : -1; }
  void set_text(VType t, std::string s) {
    vtype = t;
    has_text = true;
    text = std::move(s);
  }
};

enum class Fsm {
  base,
  inside_var,
  inside_initializer,
  wait_function_name,
  wait_parameter_list,
  inside_function_decl
};

struct Scope {
  std::unordered_map<std::string, long> id_map;
  Scope *parent = nullptr;
  Fsm fsm_state = Fsm::base;
  Tok last_token = Tok::none;
  unsigned brackets = 0;
  unsigned blocks = 0;
};

enum class LexState {
  initial,
  multiline_comment,
  singleline_comment,
  number,
  dq_string,
  sq_string,
  identifier,
  dummy
};

// Character classes of js-norm.c's ctype[] / id_ctype[].
enum class Cc {
  ws,
  slash,
  op,
  dquote,
  squote,
  digit,
  id,
  bracket_open,
  bracket_close,
  comma,
  curly_open,
  curly_close,
  par_open,
  par_close,
  dot,
  semicolon,
  nop
};

Cc char_class(std::uint8_t c) {
  if (c == 9 || c == 10 || c == 11 || c == 13 || c == ' ')
    return Cc::ws;
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '$' || c == '_' || c == '\\')
    return Cc::id;
  if (c >= '0' && c <= '9')
    return Cc::digit;
  switch (c) {
  case '!':
  case '%':
  case '&':
  case '*':
  case '+':
  case '-':
  case ':':
  case '<':
  case '=':
  case '>':
  case '?':
  case '^':
  case '|':
  case '~':
    return Cc::op;
  case '/':
    return Cc::slash;
  case '"':
    return Cc::dquote;
  case '\'':
    return Cc::squote;
  case '[':
    return Cc::bracket_open;
  case ']':
    return Cc::bracket_close;
  case ',':
    return Cc::comma;
  case '{':
    return Cc::curly_open;
  case '}':
    return Cc::curly_close;
  case '(':
    return Cc::par_open;
  case ')':
    return Cc::par_close;
  case '.':
    return Cc::dot;
  case ';':
    return Cc::semicolon;
  default:
    return Cc::nop;
  }
}

// id_ctype[]: what may continue an identifier ('\\' is the only "operator").
Cc id_char_class(std::uint8_t c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '$' ||
      c == '_')
    return Cc::id;
  if (c == '\\')
    return Cc::op;
  return Cc::nop;
}

// keywords.h (ECMAScript 3 keywords, future reserved words, null/true/false), case-sensitive.
Tok keyword(std::string_view w) {
  static const std::unordered_set<std::string_view> words = {
      "break",      "case",      "catch",   "continue",  "default", "delete", "do",
      "else",       "finally",   "for",     "function",  "if",      "in",     "instanceof",
      "new",        "return",    "switch",  "this",      "throw",   "try",    "typeof",
      "var",        "void",      "while",   "with",      "null",    "true",   "false",
      "abstract",   "boolean",   "byte",    "char",      "class",   "const",  "debugger",
      "double",     "enum",      "export",  "extends",   "final",   "float",  "goto",
      "implements", "import",    "int",     "interface", "long",    "native", "package",
      "private",    "protected", "public",  "short",     "static",  "super",  "synchronized",
      "throws",     "transient", "volatile"};
  if (!words.count(w))
    return Tok::none;
  if (w == "var")
    return Tok::var;
  if (w == "function")
    return Tok::function;
  return Tok::other;
}

// operators.gperf.
bool is_operator(std::string_view s) {
  static const std::unordered_set<std::string_view> ops = {
      "=",  "+",  "===", ">>>", "!==", "<<", "<=", ">=",  ">>",  "||",   "--", "!=", "&&",
      "++", "==", "*=",  "/=",  "%=",  "+=", "-=", "<<=", ">>=", ">>>=", "&=", "^=", "|=",
      "&",  ":",  "/",   "!",   ">",   "<",  "-",  "*",   "|",   "%",    "?",  "~",  "^"};
  return ops.count(s) != 0;
}

int hex2int(std::uint8_t c) {
  return hex_value(static_cast<char>(c));
}

bool is_xdigit(std::uint8_t c) {
  return hex2int(c) >= 0;
}
bool is_alnum(std::uint8_t c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_space(std::uint8_t c) {
  return c == ' ' || (c >= 9 && c <= 13);
}

// str.c output_utf8(): a UCS-2 character as UTF-8, \0 written as \1.
void output_utf8(std::uint16_t u, std::string &dst) {
  if (!u) {
    dst.push_back('\x01');
  } else if (u < 0x80) {
    dst.push_back(static_cast<char>(u));
  } else if (u < 0x800) {
    dst.push_back(static_cast<char>(0xc0 | (u >> 6)));
    dst.push_back(static_cast<char>(0x80 | (u & 0x3f)));
  } else {
    dst.push_back(static_cast<char>(0xe0 | (u >> 12)));
    dst.push_back(static_cast<char>(0x80 | ((u >> 6) & 0x3f)));
    dst.push_back(static_cast<char>(0x80 | (u & 0x3f)));
  }
}

int nibble(std::uint8_t c) {
  return std::max(hex2int(c), 0);
}

// str.c cli_textbuffer_append_normalize(): JavaScript string escapes.
void append_normalize(std::string &buf, const std::uint8_t *str, std::size_t len) {
  for (std::size_t i = 0; i < len; ++i) {
    int c = str[i];
    if (c == '\\' && i + 1 < len) {
      ++i;
      switch (str[i]) {
      case '0':
        c = 0;
        break;
      case 'b':
        c = 8;
        break;
      case 't':
        c = 9;
        break;
      case 'n':
        c = 10;
        break;
      case 'v':
        c = 11;
        break;
      case 'f':
        c = 12;
        break;
      case 'r':
        c = 13;
        break;
      case 'x':
        if (i + 2 < len)
          c = (nibble(str[i + 1]) << 4) | hex2int(str[i + 2]);
        i += 2;
        break;
      case 'u':
        if (i + 4 < len) {
          const int u = (nibble(str[i + 1]) << 12) | (nibble(str[i + 2]) << 8) |
                        (nibble(str[i + 3]) << 4) | hex2int(str[i + 4]);
          output_utf8(static_cast<std::uint16_t>(u), buf);
          i += 4;
          continue;
        }
        break;
      default:
        c = str[i];
        break;
      }
    }
    const auto ch = static_cast<char>(c);
    buf.push_back(ch ? ch : '\x01');
  }
}

// str.c cli_unescape(): %XX and %uXXXX.
std::string unescape(const std::string &str) {
  std::string r;
  const std::size_t len = str.size();
  const auto *s = reinterpret_cast<const std::uint8_t *>(str.data());
  for (std::size_t k = 0; k < len; ++k) {
    std::uint8_t c = s[k];
    if (c == '%') {
      if (k + 5 >= len || s[k + 1] != 'u' || !is_xdigit(s[k + 2]) || !is_xdigit(s[k + 3]) ||
          !is_xdigit(s[k + 4]) || !is_xdigit(s[k + 5])) {
        if (k + 2 < len && is_xdigit(s[k + 1]) && is_xdigit(s[k + 2])) {
          c = static_cast<std::uint8_t>((hex2int(s[k + 1]) << 4) | hex2int(s[k + 2]));
          k += 2;
        }
      } else {
        const int u = (hex2int(s[k + 2]) << 12) | (hex2int(s[k + 3]) << 8) |
                      (hex2int(s[k + 4]) << 4) | hex2int(s[k + 5]);
        output_utf8(static_cast<std::uint16_t>(u), r);
        k += 5;
        continue;
      }
    }
    r.push_back(static_cast<char>(c ? c : 1));
  }
  return r;
}

// The tokeniser's state (js-norm.c struct scanner).
struct Scanner {
  std::string buf; // text_buffer contents (without its terminating NUL)
  bool have_yytext = false;
  std::string yytext; // a finished string literal
  const std::uint8_t *in = nullptr;
  std::size_t insize = 0;
  std::size_t pos = 0;
  std::size_t lastpos = static_cast<std::size_t>(-1);
  LexState state = LexState::initial;
  LexState last_state = LexState::dummy;

  void scan_bytes(const std::uint8_t *p, std::size_t len) {
    in = p;
    insize = len;
    pos = 0;
    lastpos = static_cast<std::size_t>(-1);
    last_state = LexState::dummy;
  }
  const std::string &text() const { return have_yytext ? yytext : buf; }

  Tok parse_string(Token &lval, std::uint8_t q, LexState tostate) {
    const std::uint8_t *start = in + pos;
    const std::uint8_t *end = start;
    const std::uint8_t *stop = in + insize;
    const std::uint8_t *found = nullptr;
    while (true) {
      found = static_cast<const std::uint8_t *>(
          end < stop ? std::memchr(end, q, static_cast<std::size_t>(stop - end)) : nullptr);
      if (found && found > start && found[-1] == '\\') {
        end = found + 1;
        continue;
      }
      break;
    }
    const std::size_t len = found ? static_cast<std::size_t>(found - start) : insize - pos;
    append_normalize(buf, start, len);
    if (found) {
      pos += len + 1;
      yytext = std::move(buf);
      have_yytext = true;
      buf.clear();
      lval.set_text(VType::string, yytext);
      state = LexState::initial;
      return Tok::string_literal;
    }
    pos += len;
    state = tostate;
    return Tok::none;
  }

  Tok parse_number(Token &lval) {
    bool is_float = false;
    while (pos < insize) {
      std::uint8_t c = in[pos++];
      if (c >= '0' && c <= '9') {
        buf.push_back(static_cast<char>(c));
        continue;
      }
      if (c == '.' && !is_float) {
        is_float = true;
        buf.push_back('.');
        continue;
      }
      if ((c == 'e' || c == 'E') && is_float) {
        buf.push_back(static_cast<char>(c));
        if (pos < insize) {
          c = in[pos++];
          if (c == '+' || c == '-' || (c >= '0' && c <= '9')) {
            buf.push_back(static_cast<char>(c));
            continue;
          }
        }
      }
      --pos;
      state = LexState::initial;
      if (is_float) {
        lval.vtype = VType::dval;
        lval.dval = std::atof(buf.c_str());
        return Tok::numeric_float;
      }
      // atoi(): strtol truncated to int.
      const long l = std::strtol(buf.c_str(), nullptr, 10);
      lval.vtype = VType::ival;
      lval.ival = static_cast<int>(static_cast<std::uint32_t>(l));
      return Tok::numeric_int;
    }
    state = LexState::number;
    return Tok::none;
  }

  Tok parse_id(Token &lval) {
    state = LexState::initial;
    while (pos < insize) {
      const std::uint8_t c = in[pos++];
      const Cc cls = id_char_class(c);
      if (cls == Cc::id) {
        buf.push_back(static_cast<char>(c));
        continue;
      }
      if (cls == Cc::op) { // '\\'
        if (pos < insize && in[pos++] == 'u') {
          buf.push_back(static_cast<char>(c));
          continue;
        }
        if (pos == insize)
          ++pos;
      }
      state = LexState::initial;
      --pos;
      const Tok kw = keyword(buf);
      if (kw != Tok::none) {
        lval.set_text(VType::cstring, buf);
        return kw;
      }
      lval.vtype = VType::cstring;
      lval.has_text = false;
      return Tok::identifier;
    }
    state = LexState::identifier;
    return Tok::none;
  }

  Tok parse_operator(Token &lval) {
    std::size_t len = std::min<std::size_t>(5, insize - pos);
    while (len) {
      const std::string_view s(reinterpret_cast<const char *>(in + pos), len);
      if (is_operator(s)) {
        lval.set_text(VType::cstring, std::string(s));
        pos += len;
        return s == "+" ? Tok::plus : Tok::other;
      }
      --len;
    }
    ++pos; // not reached: every operator character is an operator of its own
    lval.vtype = VType::cstring;
    lval.has_text = false;
    return Tok::other;
  }

  Tok special(Token &lval, Tok t, const char *s) {
    lval.set_text(VType::cstring, s);
    return t;
  }

  // yylex(): the next token, or Tok::none at the end of the input.
  Tok lex(Token &lval) {
    have_yytext = false;
    yytext.clear();
    if (pos == lastpos && last_state == state)
      ++pos; // ClamAV's "infloop detected, skipping character"
    lastpos = pos;
    last_state = state;
    while (pos < insize) {
      switch (state) {
      case LexState::initial: {
        buf.clear();
        const Cc cls = char_class(in[pos++]);
        switch (cls) {
        case Cc::ws:
        case Cc::nop:
          continue;
        case Cc::slash:
          if (pos < insize) {
            if (in[pos] == '*') {
              state = LexState::multiline_comment;
              ++pos;
              continue;
            }
            if (in[pos] == '/') {
              state = LexState::singleline_comment;
              ++pos;
              continue;
            }
          }
          --pos;
          return parse_operator(lval);
        case Cc::op:
          --pos;
          return parse_operator(lval);
        case Cc::dquote:
          return parse_string(lval, '"', LexState::dq_string);
        case Cc::squote:
          return parse_string(lval, '\'', LexState::sq_string);
        case Cc::digit:
          --pos;
          return parse_number(lval);
        case Cc::id:
          --pos;
          return parse_id(lval);
        case Cc::bracket_open:
          return special(lval, Tok::bracket_open, "[");
        case Cc::bracket_close:
          return special(lval, Tok::bracket_close, "]");
        case Cc::comma:
          return special(lval, Tok::comma, ",");
        case Cc::curly_open:
          return special(lval, Tok::curly_open, "{");
        case Cc::curly_close:
          return special(lval, Tok::curly_close, "}");
        case Cc::par_open:
          return special(lval, Tok::par_open, "(");
        case Cc::par_close:
          return special(lval, Tok::par_close, ")");
        case Cc::dot:
          return special(lval, Tok::dot, ".");
        case Cc::semicolon:
          return special(lval, Tok::semicolon, ";");
        }
        break;
      }
      case LexState::dq_string:
        return parse_string(lval, '"', LexState::dq_string);
      case LexState::sq_string:
        return parse_string(lval, '\'', LexState::sq_string);
      case LexState::identifier:
        return parse_id(lval);
      case LexState::multiline_comment:
        while (pos + 1 < insize) {
          if (in[pos] == '*' && in[pos + 1] == '/') {
            state = LexState::initial;
            ++pos;
            break;
          }
          ++pos;
        }
        ++pos;
        break;
      case LexState::number:
        return parse_number(lval);
      case LexState::singleline_comment:
        while (pos < insize) {
          if (in[pos] == '\n' || in[pos] == ' ')
            break;
          ++pos;
        }
        state = LexState::initial;
        break;
      case LexState::dummy:
        state = LexState::initial;
        break;
      }
    }
    return Tok::none;
  }
};

// The output buffer of cli_js_output: 64 KiB, flushed as ClamAV flushes it (that matters only
// for the check whether "</script>" is already at the end of the buffer).
class OutBuf {
public:
  explicit OutBuf(std::vector<std::uint8_t> &file) : file_(file) {}
  void outc(char c) {
    if (pos_ >= kSize)
      pos_ = 0;
    file_.push_back(static_cast<std::uint8_t>(c));
    ++pos_;
  }
  void outs(std::string_view s) {
    for (char ch : s) {
      if (pos_ == kSize)
        pos_ = 0;
      const auto u = static_cast<std::uint8_t>(ch);
      file_.push_back(is_space(u) ? ' ' : (u >= 'A' && u <= 'Z' ? u + 32 : u));
      ++pos_;
      if (pos_ == kSize)
        pos_ = 0;
    }
  }
  bool ends_with_script_close() const {
    static constexpr std::string_view close = "</script>";
    return pos_ >= close.size() &&
           std::equal(close.begin(), close.end(), file_.end() - static_cast<long>(close.size()));
  }

private:
  static constexpr std::size_t kSize = 65536;
  std::vector<std::uint8_t> &file_;
  std::size_t pos_ = 0;
};

struct DecodeResult {
  bool have_data = false;
  std::string data;
  std::size_t pos_begin = 0;
  std::size_t pos_end = 0;
  bool append = false;
};

} // namespace

struct JsNormalizer::Impl {
  unsigned long var_uniq = 0;
  unsigned long syntax_errors = 0;
  std::deque<Scope> scopes;
  Scope *global = nullptr;
  Scope *current = nullptr;
  Scanner scanner;
  std::vector<Token> tokens;
  unsigned rec = 0;
  bool done = false;

  Impl() { global = scope_new(); }

  Scope *scope_new() {
    Scope &s = scopes.emplace_back();
    s.parent = current;
    current = &s;
    return &s;
  }

  void scope_declare(Scope *s, const std::string &name) {
    s->id_map[name] = static_cast<long>(var_uniq++);
  }
  static void scope_use(Scope *s, const std::string &name) { s->id_map.try_emplace(name, -1); }
  static long scope_lookup(const Scope *s, const std::string &name) {
    for (; s; s = s->parent) {
      auto it = s->id_map.find(name);
      if (it != s->id_map.end() && it->second != -1)
        return it->second;
    }
    return -1;
  }

  // cli_js_process_buffer().
  void process_buffer(const std::uint8_t *buf, std::size_t n) {
    Scope *cur = current;
    scanner.scan_bytes(buf, n);
    while (true) {
      Token val;
      const Tok yv = scanner.lex(val);
      if (yv == Tok::none)
        break;
      val.type = yv;
      switch (yv) {
      case Tok::var:
        cur->fsm_state = Fsm::inside_var;
        break;
      case Tok::identifier: {
        const std::string text = scanner.text();
        if (cur->last_token == Tok::dot) {
          val.set_text(VType::string, text);
          val.type = Tok::unnorm_identifier;
        } else {
          switch (cur->fsm_state) {
          case Fsm::wait_parameter_list:
            ++syntax_errors;
            [[fallthrough]];
          case Fsm::base:
          case Fsm::inside_initializer:
            scope_use(cur, text);
            break;
          case Fsm::inside_var:
          case Fsm::inside_function_decl:
            scope_declare(cur, text);
            cur->fsm_state = Fsm::inside_initializer;
            cur->brackets = 0;
            break;
          case Fsm::wait_function_name:
            scope_declare(cur, text);
            cur->fsm_state = Fsm::wait_parameter_list;
            break;
          }
          val.set_text(VType::cstring, text);
        }
        break;
      }
      case Tok::par_open:
        if (cur->fsm_state == Fsm::wait_function_name || cur->fsm_state == Fsm::wait_parameter_list)
          cur->fsm_state = Fsm::inside_function_decl;
        break;
      case Tok::par_close:
        if (cur->fsm_state == Fsm::wait_function_name)
          ++syntax_errors;
        else if (cur->fsm_state == Fsm::wait_parameter_list)
          cur->fsm_state = Fsm::base;
        break;
      case Tok::curly_open:
        switch (cur->fsm_state) {
        case Fsm::wait_function_name:
        case Fsm::wait_parameter_list:
        case Fsm::inside_function_decl:
          cur->fsm_state = Fsm::base;
          [[fallthrough]];
        case Fsm::inside_var:
        case Fsm::inside_initializer:
          ++syntax_errors;
          [[fallthrough]];
        case Fsm::base:
          ++cur->blocks;
          break;
        }
        break;
      case Tok::curly_close:
        if (cur->blocks > 0)
          --cur->blocks;
        else
          ++syntax_errors;
        if (!cur->blocks) {
          if (cur->parent) {
            // The "}" token, then a function token without scope marking the function's end.
            tokens.push_back(val);
            val = Token{};
            val.type = Tok::function;
            val.vtype = VType::scope;
            val.scope = nullptr;
            current = cur = cur->parent;
          } else {
            ++syntax_errors;
          }
        }
        break;
      case Tok::bracket_open:
        ++cur->brackets;
        break;
      case Tok::bracket_close:
        if (cur->brackets > 0)
          --cur->brackets;
        else
          ++syntax_errors;
        break;
      case Tok::comma:
        if (cur->fsm_state == Fsm::inside_initializer && cur->brackets == 0 && cur->blocks == 0)
          cur->fsm_state = Fsm::inside_var;
        break;
      case Tok::semicolon:
        if (cur->brackets == 0 && cur->blocks == 0)
          cur->fsm_state = Fsm::base;
        break;
      case Tok::function:
        cur = scope_new();
        cur->fsm_state = Fsm::wait_function_name;
        val.vtype = VType::scope;
        val.has_text = false;
        val.scope = cur;
        break;
      case Tok::string_literal:
        if (tokens.size() >= 2 && tokens.back().type == Tok::plus) {
          Token &prev = tokens[tokens.size() - 2];
          if (prev.type == Tok::string_literal && prev.string()) {
            tokens.pop_back(); // the '+'
            prev.string()->append(scanner.text());
            continue;
          }
        }
        break;
      default:
        break;
      }
      tokens.push_back(std::move(val));
      cur->last_token = yv;
    }
  }

  bool update_scope(const Token &t) {
    if (t.type == Tok::function) {
      if (t.vtype == VType::scope && t.scope) {
        current = t.scope;
      } else {
        if (current->parent)
          current = current->parent;
        return false;
      }
    }
    return true;
  }

  static bool replace_range(std::vector<Token> &dst, std::size_t start, std::size_t end,
                            std::vector<Token> *with) {
    if (start >= dst.size() || end > dst.size() || end < start)
      return false;
    dst.erase(dst.begin() + static_cast<long>(start), dst.begin() + static_cast<long>(end));
    if (with)
      dst.insert(dst.begin() + static_cast<long>(start), std::make_move_iterator(with->begin()),
                 std::make_move_iterator(with->end()));
    return true;
  }

  static bool is_ident(const Token &t, std::string_view name) {
    const std::string *s = t.cstring();
    return t.type == Tok::identifier && s && *s == name;
  }

  // match_parameters(): "(" p "," a "," ... ")".
  bool match_parameters(std::size_t at, const std::array<const char *, 6> &names) const {
    auto type_at = [&](std::size_t k) { return k < tokens.size() ? tokens[k].type : Tok::none; };
    if (type_at(at) != Tok::par_open)
      return false;
    std::size_t i = at + 1;
    for (std::size_t j = 0; j < names.size(); ++j) {
      if (i >= tokens.size() || !is_ident(tokens[i], names[j]))
        return false;
      ++i;
      const bool last = j + 1 == names.size();
      if (type_at(i) != (last ? Tok::par_close : Tok::comma))
        return false;
      ++i;
    }
    return true;
  }

  // decode_de(): the p,a,c,k,e,r packer's substitution.
  static void decode_de(Token *params[6], DecodeResult &res) {
    const std::string *p = params[0]->cstring();
    const long a = params[1]->get_ival();
    std::string *k = params[3]->string();
    res.data.clear();
    res.have_data = false;
    if (!p || !k)
      return;
    res.have_data = true;
    std::vector<std::string> words;
    {
      std::size_t from = 0;
      while (true) {
        const std::size_t bar = k->find('|', from);
        words.push_back(k->substr(from, bar == std::string::npos ? std::string::npos : bar - from));
        if (bar == std::string::npos)
          break;
        from = bar + 1;
      }
    }
    const auto *s = reinterpret_cast<const std::uint8_t *>(p->c_str());
    std::size_t i = 0;
    const std::size_t n = p->size();
    do {
      while (i < n && !is_alnum(s[i])) {
        if (s[i] == '\\' && i + 1 < n && (s[i + 1] == '\'' || s[i + 1] == '"'))
          ++i;
        else
          res.data.push_back(static_cast<char>(s[i++]));
      }
      if (i >= n)
        break;
      std::uint32_t val = 0;
      const std::size_t o = i;
      while (i < n && is_alnum(s[i])) {
        const std::uint8_t v = s[i++];
        std::uint32_t x;
        if (v >= 'a')
          x = 10u + v - 'a';
        else if (v >= 'A')
          x = 36u + v - 'A';
        else
          x = static_cast<std::uint32_t>(v - '0');
        val = static_cast<std::uint32_t>(static_cast<long>(val) * a + x);
      }
      if (val >= words.size() || words[val].empty())
        res.data.append(p->substr(o, i - o));
      else
        res.data.append(words[val]);
    } while (i < n);
  }

  // Collects six comma-separated arguments from tokens[i] on (handle_de's loop).
  bool collect_params(std::size_t &i, Token *params[6]) {
    const std::size_t cnt = tokens.size();
    auto type_at = [&](std::size_t k) { return k < cnt ? tokens[k].type : Tok::none; };
    std::size_t j = 0;
    for (; j < 6 && i < cnt; ++j) {
      params[j] = &tokens[i++];
      const Tok stop = j != 5 ? Tok::comma : Tok::par_close;
      while (type_at(i) != stop && i < cnt)
        ++i;
      ++i;
    }
    return j == 6;
  }

  void handle_de(std::size_t start, const std::string *name, DecodeResult &res) {
    const std::size_t cnt = tokens.size();
    std::size_t i = start;
    std::size_t nesting = 1;
    for (; i < cnt; ++i) {
      if (tokens[i].type == Tok::function) {
        if (tokens[i].vtype == VType::scope && tokens[i].scope)
          ++nesting;
        else
          --nesting;
        if (!nesting)
          break;
      }
    }
    if (nesting)
      return;
    Token *params[6] = {};
    if (name) {
      for (; i + 2 < cnt; ++i) {
        if (is_ident(tokens[i], *name) && tokens[i + 1].type == Tok::par_open) {
          i += 2;
          if (collect_params(i, params))
            decode_de(params, res);
        }
      }
    } else {
      while (i < cnt && tokens[i].type != Tok::par_open)
        ++i;
      ++i;
      if (i >= cnt)
        return;
      if (collect_params(i, params))
        decode_de(params, res);
    }
    if (params[0] && params[5]) {
      res.pos_begin = static_cast<std::size_t>(params[0] - tokens.data());
      res.pos_end = static_cast<std::size_t>(params[5] - tokens.data()) + 1;
      auto type_at = [&](std::size_t k) { return k < cnt ? tokens[k].type : Tok::none; };
      if (type_at(res.pos_end) == Tok::bracket_open &&
          type_at(res.pos_end + 1) == Tok::bracket_close &&
          type_at(res.pos_end + 2) == Tok::par_close)
        res.pos_end += 3;
      else
        ++res.pos_end;
    }
  }

  void handle_df(std::size_t start, DecodeResult &res) {
    if (start >= tokens.size() || tokens[start].type != Tok::string_literal)
      return;
    std::string *str = tokens[start].string();
    if (!str || str->empty())
      return;
    const auto clast = static_cast<std::uint8_t>(static_cast<std::uint8_t>(str->back()) - '0');
    str->pop_back();
    std::string s1 = unescape(*str);
    for (char &ch : s1)
      ch = static_cast<char>(static_cast<std::uint8_t>(ch) - clast);
    // cli_unescape stops at a NUL byte that the subtraction produced.
    const std::size_t nul = s1.find('\0');
    if (nul != std::string::npos)
      s1.resize(nul);
    res.data = unescape(s1);
    res.have_data = true;
    res.pos_begin = start - 2;
    res.pos_end = start + 2;
    res.append = true;
  }

  void handle_eval(std::size_t start, DecodeResult &res) {
    std::string *s = tokens[start].string();
    if (s && start + 1 < tokens.size() && tokens[start + 1].type == Tok::par_close) {
      res.data = std::move(*s);
      res.have_data = true;
      tokens[start].has_text = false;
      tokens[start].text.clear();
      res.pos_begin = start - 2;
      res.pos_end = start + 2;
    }
  }

  void run_folders() {
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      if (i + 2 < tokens.size() && is_ident(tokens[i], "unescape") &&
          tokens[i + 1].type == Tok::par_open) {
        const std::size_t start = i + 2;
        if (tokens[start].type == Tok::string_literal) {
          const std::string *s = tokens[start].cstring();
          std::vector<Token> with(1);
          with[0].type = Tok::string_literal;
          with[0].set_text(VType::string, s ? unescape(*s) : std::string());
          replace_range(tokens, start - 2, start + 2, &with);
        }
      }
    }
  }

  void run_decoders() {
    static constexpr std::array<const char *, 6> packer_r = {"p", "a", "c", "k", "e", "r"};
    static constexpr std::array<const char *, 6> packer_d = {"p", "a", "c", "k", "e", "d"};
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      DecodeResult res;
      if (tokens[i].type == Tok::function && i + 13 < tokens.size()) {
        std::string name_buf;
        const std::string *name = nullptr;
        ++i;
        if (tokens[i].type == Tok::identifier) {
          if (const std::string *s = tokens[i].cstring()) {
            name_buf = *s;
            name = &name_buf;
          }
          ++i;
        }
        if (match_parameters(i, packer_r) || match_parameters(i, packer_d))
          handle_de(i, name, res);
      } else if (i + 2 < tokens.size() && is_ident(tokens[i], "dF") &&
                 tokens[i + 1].type == Tok::par_open) {
        handle_df(i + 2, res);
      } else if (i + 2 < tokens.size() && is_ident(tokens[i], "eval") &&
                 tokens[i + 1].type == Tok::par_open) {
        handle_eval(i + 2, res);
      }
      if (res.pos_end > res.pos_begin) {
        if (res.pos_end < tokens.size() && tokens[res.pos_end].type == Tok::semicolon)
          ++res.pos_end;
        std::vector<Token> parent_tokens;
        parent_tokens.swap(tokens);
        if (++rec <= 16) {
          if (res.have_data)
            process_buffer(reinterpret_cast<const std::uint8_t *>(res.data.data()),
                           res.data.size());
          --rec;
        }
        if (!res.append) {
          replace_range(parent_tokens, res.pos_begin, res.pos_end, &tokens);
        } else {
          replace_range(parent_tokens, res.pos_begin, res.pos_end, nullptr);
          parent_tokens.insert(parent_tokens.end(), std::make_move_iterator(tokens.begin()),
                               std::make_move_iterator(tokens.end()));
        }
        tokens.swap(parent_tokens);
      }
      if (i < tokens.size())
        update_scope(tokens[i]);
    }
  }

  // cli_js_parse_done().
  void parse_done() {
    char end = 0;
    if (scanner.state == LexState::dq_string)
      end = '"';
    else if (scanner.state == LexState::sq_string)
      end = '\'';
    if (end) {
      const auto e = static_cast<std::uint8_t>(end);
      process_buffer(&e, 1);
    }
    std::size_t par_balance = 0;
    for (const Token &t : tokens) {
      if (t.type == Tok::par_open)
        ++par_balance;
      else if (t.type == Tok::par_close && par_balance > 0)
        --par_balance;
    }
    while (par_balance-- > 0) {
      Token close;
      close.type = Tok::par_close;
      close.set_text(VType::cstring, ")");
      tokens.push_back(std::move(close));
    }
    run_folders();
    run_decoders();
  }

  static void output_space(char last, char cur, OutBuf &out) {
    if (is_alnum(static_cast<std::uint8_t>(last)) && is_alnum(static_cast<std::uint8_t>(cur)))
      out.outc(' ');
  }

  // output_token(): returns the class of the last character written.
  char output_token(const Token &t, OutBuf &out, char lastchar) const {
    const std::string *s = t.cstring();
    char sbuf[128];
    switch (t.type) {
    case Tok::string_literal:
      output_space(lastchar, '"', out);
      out.outc('"');
      if (s)
        out.outs(*s);
      out.outc('"');
      return '"';
    case Tok::numeric_int:
      output_space(lastchar, '0', out);
      std::snprintf(sbuf, sizeof sbuf, "%ld", t.get_ival());
      out.outs(sbuf);
      return '0';
    case Tok::numeric_float:
      output_space(lastchar, '0', out);
      std::snprintf(sbuf, sizeof sbuf, "%g", t.vtype == VType::dval ? t.dval : -1.0);
      out.outs(sbuf);
      return '0';
    case Tok::identifier:
      output_space(lastchar, 'a', out);
      if (s) {
        const long id = scope_lookup(current, *s);
        if (id == -1) {
          out.outs(*s);
        } else {
          std::snprintf(sbuf, sizeof sbuf, "n%03ld", id);
          out.outs(sbuf);
        }
      }
      return 'a';
    case Tok::function:
      output_space(lastchar, 'a', out);
      out.outs("function");
      return 'a';
    default:
      if (s) {
        output_space(lastchar, s->empty() ? '\0' : (*s)[0], out);
        out.outs(*s);
        return s->empty() ? '\0' : s->back();
      }
      return '\0';
    }
  }

  // cli_js_output().
  void output(std::vector<std::uint8_t> &file) {
    const bool had = !file.empty();
    OutBuf out(file);
    if (had)
      out.outc('\n');
    out.outs("<script>");
    current = global;
    char lastchar = '\0';
    for (const Token &t : tokens)
      if (update_scope(t))
        lastchar = output_token(t, out, lastchar);
    if (!out.ends_with_script_close())
      out.outs("</script>");
  }
};

JsNormalizer::JsNormalizer() : impl_(std::make_unique<Impl>()) {}
JsNormalizer::~JsNormalizer() = default;
JsNormalizer::JsNormalizer(JsNormalizer &&) noexcept = default;
JsNormalizer &JsNormalizer::operator=(JsNormalizer &&) noexcept = default;

void JsNormalizer::process(std::span<const std::uint8_t> chunk) {
  if (!impl_ || impl_->done)
    return;
  impl_->process_buffer(chunk.data(), chunk.size());
}

void JsNormalizer::finish(std::vector<std::uint8_t> &javascript_file) {
  if (!impl_ || impl_->done)
    return;
  impl_->parse_done();
  impl_->done = true;
  impl_->output(javascript_file);
}

std::vector<std::uint8_t> normalize_javascript(std::span<const std::uint8_t> script) {
  JsNormalizer js;
  js.process(script);
  std::vector<std::uint8_t> out;
  js.finish(out);
  return out;
}

} // namespace vg
