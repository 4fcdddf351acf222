#include "signatures/logical_expression.hpp"

#include <algorithm>
#include <bit>
#include <limits>

namespace vg {

struct LogicalExpressionParser {
  using Node = LogicalExpression::Node;
  LogicalExpression &e;
  std::string error;
  std::vector<std::uint32_t> caps; // per subsignature, see count_cap()

  bool fail(std::string reason, std::size_t col) {
    if (error.empty())
      error = std::move(reason) + " at column " + std::to_string(col + 1);
    return false;
  }

  std::int32_t add(const Node &n) {
    e.nodes_.push_back(n);
    return static_cast<std::int32_t>(e.nodes_.size() - 1);
  }

  void finish(std::int32_t root) {
    e.nodes_.shrink_to_fit(); // tens of thousands of expressions are kept: no doubling slack
    e.root_ = root;
    e.set_caps(caps);
  }

  static bool is_op(char c) { return c == '&' || c == '|'; }

  // Reads a decimal number at s[i...]; advances i.
  bool number(std::string_view s, std::size_t &i, std::size_t col, std::uint32_t &out) {
    std::size_t start = i;
    std::uint64_t v = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      v = v * 10 + static_cast<std::uint64_t>(s[i] - '0');
      if (v > std::numeric_limits<std::uint32_t>::max())
        return fail("number too large", col + start);
      ++i;
    }
    if (i == start)
      return fail(i < s.size() ? "expected a number, got '" + std::string(1, s[i]) + "'"
                               : "expected a number",
                  col + i);
    out = static_cast<std::uint32_t>(v);
    return true;
  }

  // Reads an optional count "=X", "<X", ">X" with an optional ",Y" that must end `s`.
  bool comparison(std::string_view s, std::size_t i, std::size_t col, Node &n) {
    if (i == s.size())
      return true;
    if (s[i] != '=' && s[i] != '<' && s[i] != '>')
      return fail("unexpected '" + std::string(1, s[i]) + "'", col + i);
    n.comparison = s[i++];
    if (!number(s, i, col, n.value))
      return false;
    if (i + 1 < s.size() && s[i] == ',' && s[i + 1] >= '0' && s[i + 1] <= '9') {
      ++i;
      if (!number(s, i, col, n.distinct))
        return false;
    }
    while (i < s.size() && ((s[i] >= '0' && s[i] <= '9') || s[i] == ','))
      ++i; // ClamAV skips these
    if (i != s.size())
      return fail("unexpected '" + std::string(1, s[i]) + "' after a count", col + i);
    return true;
  }

  // A subsignature read as cli_ac_chklsig() reads it (sscanf): spaces, the id's digits, anything;
  // the count is the number after the LAST '=', '<' or '>' of the operand ("8==9" is "8=9"), and
  // what follows that number is ignored ("0=2,5" is "0=2").
  bool leaf(std::string_view s, std::size_t col, Node &n) {
    std::size_t i = s.find_first_not_of(" \t\n\v\f\r");
    if (i == std::string_view::npos)
      return fail("empty operand", col);
    std::uint32_t id = 0;
    if (!number(s, i, col, id))
      return false;
    if (id >= 64)
      return fail("subsignature id " + std::to_string(id) + " (at most 63)", col);
    n.subsig = static_cast<std::uint8_t>(id);
    auto mod = s.find_last_of("=<>");
    if (mod == std::string_view::npos || mod < i)
      return true;
    n.comparison = s[mod];
    std::size_t j = s.find_first_not_of(" \t\n\v\f\r", mod + 1);
    if (j == std::string_view::npos)
      return fail("expected a number after '" + std::string(1, s[mod]) + "'", col + mod + 1);
    return number(s, j, col, n.value);
  }

  // Marks every subsignature under `node` as needing counts up to `cap`.
  void raise_caps(std::int32_t node, std::uint32_t cap) {
    const Node &n = e.nodes_[static_cast<std::size_t>(node)];
    if (n.kind == Node::Kind::subsig) {
      if (caps.size() <= n.subsig)
        caps.resize(n.subsig + 1, 1);
      caps[n.subsig] = std::max(caps[n.subsig], cap);
      return;
    }
    raise_caps(n.left, cap);
    raise_caps(n.right, cap);
  }

  void note_comparison(std::int32_t node) {
    const Node &n = e.nodes_[static_cast<std::size_t>(node)];
    if (n.comparison)
      raise_caps(node,
                 n.value == std::numeric_limits<std::uint32_t>::max() ? n.value : n.value + 1);
  }

  // An expression outside parentheses: split at its first top-level operator.
  std::int32_t expr(std::string_view s, std::size_t col) {
    if (s.empty()) {
      fail("empty operand", col);
      return -1;
    }
    int depth = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
      char c = s[i];
      if (c == '(') {
        ++depth;
      } else if (c == ')') {
        if (depth == 0) {
          fail("')' without '('", col + i);
          return -1;
        }
        --depth;
      } else if (depth == 0 && is_op(c)) {
        std::int32_t l = term(s.substr(0, i), col);
        if (l < 0)
          return -1;
        std::int32_t r = expr(s.substr(i + 1), col + i + 1);
        if (r < 0)
          return -1;
        Node n;
        n.kind = c == '&' ? Node::Kind::all : Node::Kind::any;
        n.left = static_cast<std::int16_t>(l); // below kMaxNodes: checked before parsing
        n.right = static_cast<std::int16_t>(r);
        return add(n);
      }
    }
    if (depth != 0) {
      fail("'(' without ')'", col + s.size());
      return -1;
    }
    return term(s, col);
  }

  // A subsignature with an optional count, or a parenthesised expression with an optional count.
  std::int32_t term(std::string_view s, std::size_t col) {
    if (s.empty()) {
      fail("empty operand", col);
      return -1;
    }
    Node n;
    if (s[0] != '(') {
      if (!leaf(s, col, n))
        return -1;
      e.max_subsig_ = std::max<std::uint32_t>(e.max_subsig_, n.subsig);
      std::int32_t id = add(n);
      if (caps.size() <= n.subsig)
        caps.resize(n.subsig + 1, 1);
      note_comparison(id);
      return id;
    }
    int depth = 0;
    std::size_t close = std::string_view::npos, last_op = std::string_view::npos;
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '(') {
        ++depth;
      } else if (s[i] == ')') {
        if (--depth == 0) {
          close = i;
          break;
        }
      } else if (depth == 1 && is_op(s[i])) {
        last_op = i;
      }
    }
    if (close == std::string_view::npos) {
      fail("'(' without ')'", col);
      return -1;
    }
    if (!comparison(s, close + 1, col, n))
      return -1;
    if (last_op == std::string_view::npos) {
      if (n.comparison) {
        fail("a count after a parenthesised single operand (ClamAV cannot load it)",
             col + close + 1);
        return -1;
      }
      return expr(s.substr(1, close - 1), col + 1);
    }
    // Inside parentheses ClamAV splits at the last operator.
    std::int32_t l = expr(s.substr(1, last_op - 1), col + 1);
    if (l < 0)
      return -1;
    std::int32_t r = expr(s.substr(last_op + 1, close - last_op - 1), col + last_op + 1);
    if (r < 0)
      return -1;
    n.kind = s[last_op] == '&' ? Node::Kind::all : Node::Kind::any;
    n.left = static_cast<std::int16_t>(l);
    n.right = static_cast<std::int16_t>(r);
    std::int32_t id = add(n);
    note_comparison(id);
    return id;
  }
};

LogicalExpressionResult parse_logical_expression(std::string_view text) {
  LogicalExpressionResult r;
  LogicalExpressionParser p{r.expression, {}, {}};
  if (text.empty()) {
    r.error = "empty logical expression";
    return r;
  }
  // Bounded before parsing: the parser recurses once per operator and parenthesis.
  if (text.size() > LogicalExpression::kMaxTextLength) {
    r.error = "logical expression of " + std::to_string(text.size()) + " characters (at most " +
              std::to_string(LogicalExpression::kMaxTextLength) + ")";
    return r;
  }
  auto operators = static_cast<std::size_t>(std::count_if(
      text.begin(), text.end(), [](char c) { return LogicalExpressionParser::is_op(c); }));
  if (2 * operators + 1 > LogicalExpression::kMaxNodes) {
    r.error = "logical expression with " + std::to_string(operators) + " operators (at most " +
              std::to_string((LogicalExpression::kMaxNodes - 1) / 2) + ")";
    return r;
  }
  // Each parenthesis level is two frames of the recursive parser: bounded apart from the length
  // (4095 levels overflowed an 8 MiB stack in an ASan build).
  int depth = 0, deepest = 0;
  for (char c : text) {
    depth += c == '(' ? 1 : c == ')' ? -1 : 0;
    deepest = std::max(deepest, depth);
  }
  if (static_cast<std::size_t>(deepest) > LogicalExpression::kMaxDepth) {
    r.error = "logical expression nested " + std::to_string(deepest) +
              " parentheses deep (at most " + std::to_string(LogicalExpression::kMaxDepth) + ")";
    return r;
  }
  std::int32_t root = p.expr(text, 0);
  if (root < 0) {
    r.error = p.error.empty() ? "bad logical expression" : p.error;
    r.expression = LogicalExpression();
    return r;
  }
  p.finish(root);
  return r;
}

LogicalExpression::Result LogicalExpression::eval(std::int32_t node,
                                                  std::span<const std::uint32_t> counts) const {
  const Node &n = nodes_[static_cast<std::size_t>(node)];
  auto compare = [&](std::uint64_t v) {
    switch (n.comparison) {
    case '=':
      return v == n.value;
    case '<':
      return v < n.value;
    case '>':
      return v > n.value;
    default:
      return v > 0;
    }
  };
  Result r;
  if (n.kind == Node::Kind::subsig) {
    std::uint64_t v = n.subsig < counts.size() ? counts[n.subsig] : 0;
    if (compare(v)) {
      r.holds = true;
      r.count = v;
      r.ids = std::uint64_t{1} << n.subsig;
    }
    return r;
  }
  Result l = eval(n.left, counts), rr = eval(n.right, counts);
  bool holds = n.kind == Node::Kind::all ? (l.holds && rr.holds) : (l.holds || rr.holds);
  std::uint64_t count = holds ? l.count + rr.count : 0;
  std::uint64_t ids = holds ? (l.ids | rr.ids) : 0;
  if (!n.comparison) {
    r.holds = holds;
    r.count = count;
    r.ids = ids;
    return r;
  }
  if (!compare(count))
    return r;
  if (n.distinct && static_cast<std::uint32_t>(std::popcount(ids)) < n.distinct)
    return r;
  r.holds = true;
  r.count = count; // as ClamAV: a counted block passes its count on, not its ids
  return r;
}

bool LogicalExpression::evaluate(std::span<const std::uint32_t> counts) const {
  return root_ >= 0 && eval(root_, counts).holds;
}

std::uint64_t LogicalExpression::subsigs_under(std::int32_t node) const {
  const Node &n = nodes_[static_cast<std::size_t>(node)];
  if (n.kind == Node::Kind::subsig)
    return n.subsig < 64 ? std::uint64_t{1} << n.subsig : 0;
  return subsigs_under(n.left) | subsigs_under(n.right);
}

// Kleene's three-valued logic: a subtree without free subsignatures has its exact verdict; a
// comparison over a subtree with free ones is unknown; & is no when either side is no, | is yes
// when either side is yes.
LogicalExpression::Tri LogicalExpression::eval3(std::int32_t node,
                                                std::span<const std::uint32_t> counts,
                                                std::uint64_t free) const {
  if ((subsigs_under(node) & free) == 0)
    return eval(node, counts).holds ? Tri::yes : Tri::no;
  const Node &n = nodes_[static_cast<std::size_t>(node)];
  if (n.kind == Node::Kind::subsig || n.comparison) {
    // "(E)>X,Y" needs Y different subsignatures of E: at most those free or already counted.
    if (n.distinct) {
      std::uint64_t possible = subsigs_under(node) & free;
      for (std::uint64_t under = subsigs_under(node) & ~free; under; under &= under - 1) {
        auto i = static_cast<std::size_t>(std::countr_zero(under));
        if (i < counts.size() && counts[i] > 0)
          possible |= std::uint64_t{1} << i;
      }
      if (static_cast<std::uint32_t>(std::popcount(possible)) < n.distinct)
        return Tri::no;
    }
    return Tri::maybe;
  }
  Tri l = eval3(n.left, counts, free), r = eval3(n.right, counts, free);
  if (n.kind == Node::Kind::all) {
    if (l == Tri::no || r == Tri::no)
      return Tri::no;
    return l == Tri::yes && r == Tri::yes ? Tri::yes : Tri::maybe;
  }
  if (l == Tri::yes || r == Tri::yes)
    return Tri::yes;
  return l == Tri::no && r == Tri::no ? Tri::no : Tri::maybe;
}

bool LogicalExpression::may_hold(std::span<const std::uint32_t> counts, std::uint64_t free) const {
  return root_ >= 0 && eval3(root_, counts, free) != Tri::no;
}

void LogicalExpression::set_caps(const std::vector<std::uint32_t> &caps) {
  std::size_t n = caps.size();
  while (n && caps[n - 1] == 1)
    --n;
  caps_.assign(caps.begin(), caps.begin() + static_cast<std::ptrdiff_t>(n)); // exact size
}

std::uint32_t LogicalExpression::count_cap(std::uint32_t subsig) const {
  return subsig < caps_.size() ? caps_[subsig] : 1;
}

} // namespace vg
