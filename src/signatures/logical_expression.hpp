// logical_expression.hpp — the logical expression of a ClamAV .ldb signature (third field), e.g.
// "0&1&(2|3)", "(0|1|2)>2,2", "0=0&1".
// Promise: parse_logical_expression() builds the tree libclamav's cli_ac_chklsig() walks, with its
// exact grouping: at the top level (and inside any left operand) the text splits at the FIRST
// operator ("0|1&2" is 0|(1&2), "0&1|2" is 0&(1|2)); inside parentheses it splits at the LAST
// operator ("(0&1|2)" is (0&1)|2). & and | have no precedence of their own. Counts: "N=X", "N>X",
// "N<X" on a subsignature compare its match count; "(E)=X", "(E)>X", "(E)<X" compare the summed
// counts of E's subsignatures when E holds (0 when it does not), and "(E)=X,Y" etc. also need at
// least Y different subsignatures of E to have matched. A single subsignature is read as ClamAV's
// sscanf reads it: the id, and the number after its last '=', '<' or '>' ("8==9" is "8=9", the
// ",Y" of "0=2,5" and other trailing text are ignored); after a block's count, further digits and
// commas are skipped. Stricter than ClamAV on purpose (reported as errors): other text after a
// block's count, "(N)" followed by a count, empty operands, and an expression longer than
// kMaxTextLength characters, with more than 2047 operators or nested more than kMaxDepth
// parentheses deep (ClamAV reads .ldb lines of up to
// 32768 bytes and does not count operators; the bound keeps the recursive parser and evaluator
// shallow and the node indexes 16 bits; the full official set's longest expression has 187
// characters and 63 operators). evaluate() gives cli_ac_chklsig's verdict for a set of
// per-subsignature match counts; it never throws.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace vg {

class LogicalExpression {
public:
  // 16 bytes (~290,000 nodes on the full database set).
  struct Node {
    enum class Kind : std::uint8_t { subsig, all, any } kind = Kind::subsig; // all: &, any: |
    char comparison = 0;                // 0 (none), '=', '<' or '>'
    std::uint8_t subsig = 0;            // kind == subsig: 0-63
    std::uint32_t value = 0;            // X of the comparison
    std::uint32_t distinct = 0;         // Y of "(E)=X,Y" (0: no requirement)
    std::int16_t left = -1, right = -1; // child node indexes (all / any), below this node's
    friend bool operator==(const Node &, const Node &) = default;
  };
  // The most nodes an expression may have (2047 operators); node indexes fit Node::left/right,
  // and the parser's and evaluator's recursion stays shallow.
  static constexpr std::size_t kMaxNodes = 4095;
  // The longest expression text accepted (ClamAV's .ldb line buffer is 32768 bytes: stricter on
  // purpose, see the promise above).
  static constexpr std::size_t kMaxTextLength = 8192;
  // The deepest parenthesis nesting accepted (the official set's deepest is 3).
  static constexpr std::size_t kMaxDepth = 256;

  // The highest subsignature id named (ClamAV requires exactly that many plus one subsignatures).
  std::uint32_t max_subsig() const { return max_subsig_; }
  // True when the expression holds for `counts` (counts[i]: matches of subsignature i).
  bool evaluate(std::span<const std::uint32_t> counts) const;
  // False only when the expression cannot hold whatever the subsignatures in `free` (bit i:
  // subsignature i) count, the others counting as in `counts`. Used to skip searching for
  // subsignatures that cannot change the verdict; never false when some counts could make it hold.
  bool may_hold(std::span<const std::uint32_t> counts, std::uint64_t free) const;
  // The count above which a subsignature's exact count no longer changes any comparison it takes
  // part in: counting may stop at cap(i) matches without changing evaluate()'s verdict.
  std::uint32_t count_cap(std::uint32_t subsig) const;
  const std::vector<Node> &nodes() const { return nodes_; }
  friend bool operator==(const LogicalExpression &, const LogicalExpression &) = default;

private:
  friend struct LogicalExpressionParser;
  friend struct SignatureSnapshotAccess; // signature_snapshot.cpp writes and reads the tree
  struct Result {
    bool holds = false;
    std::uint64_t count = 0;
    std::uint64_t ids = 0;
  };
  Result eval(std::int32_t node, std::span<const std::uint32_t> counts) const;
  enum class Tri : std::uint8_t { no, yes, maybe };
  Tri eval3(std::int32_t node, std::span<const std::uint32_t> counts, std::uint64_t free) const;
  std::uint64_t subsigs_under(std::int32_t node) const;
  std::vector<Node> nodes_;
  std::int32_t root_ = -1;
  // count_cap() per subsignature, without the trailing caps of 1: empty (no allocation) for the
  // ~98% of expressions that compare no count. Set through set_caps().
  void set_caps(const std::vector<std::uint32_t> &caps);
  std::vector<std::uint32_t> caps_;
  std::uint32_t max_subsig_ = 0;
};

struct LogicalExpressionResult {
  LogicalExpression expression;
  std::string error; // empty on success
  bool ok() const { return error.empty(); }
};

LogicalExpressionResult parse_logical_expression(std::string_view text);

} // namespace vg
