"""ClamAV .ldb logical signatures, parsed so that files satisfying (or just failing) them can be made.

Promise: parse_ldb_line() splits `Name;TargetDescriptionBlock;LogicalExpression;Subsig0;Subsig1;...`
into a LogicalSignature (TDB as a dict, the expression as a tree, every subsignature with its offset
rule, modifiers and parsed body) and raises LdbError naming the reason for anything it cannot
represent (PCRE subsignatures are parsed by ldb_pcre; byte-compare and macro subsignatures are recognised
and reported as such, so a caller can count them). parse_expression() splits an expression exactly as libclamav's cli_ac_chklsig() does
(the first top-level operator splits, `(..)>X,Y` counts apply to the parenthesised block),
evaluate() computes what ClamAV computes for given per-subsignature match counts, satisfy() proposes
counts that make the expression true, and near_misses() the count vectors one step away that make it
false. Body bytes are produced with ndb_body.instantiate() after the modifier rewrites ClamAV applies
(::f wraps the body in (W)..(W), ::w puts a 00 after every byte, ::a keeps the plain form too,
::i lets letters take either case).
"""

import os
import re
from dataclasses import dataclass, field

from ndb_body import BodyError, instantiate, parse_body
from offset_rule import parse_offset


class LdbError(ValueError):
    pass


class UnsupportedSubsig(LdbError):
    """A subsignature kind the generator does not instantiate (kind: 'pcre', 'bytecompare', ...)."""

    def __init__(self, kind, text):
        super().__init__(f"{kind} subsignature '{text[:60]}'")
        self.kind = kind


# ---------------------------------------------------------------- logical expression


@dataclass
class Leaf:
    id: int
    mod: str | None = None  # '=', '<', '>' or None
    value: int = 0


@dataclass
class Op:
    op: str  # '&' or '|'
    left: object
    right: object


@dataclass
class Block:
    """`(inner)` followed by a count modifier: the sum of the counts of the matched subsignatures
    in inner compared with value1, and (when value2 > 0) at least value2 distinct ones matched."""

    inner: Op
    mod: str
    value1: int
    value2: int


def _number(text, pos):
    m = re.match(r"\s*(\d+)", text[pos:])
    if not m:
        raise LdbError(f"expression '{text}': number expected at column {pos + 1}")
    return int(m.group(1))


def parse_expression(expr):
    """The expression as a tree, split the way cli_ac_chklsig() splits it."""
    n = len(expr)
    if n == 0:
        raise LdbError("empty logical expression")
    depth = 0
    op = op1 = None
    opoff = op1off = 0
    mod = None
    modoff = 0
    blkmod = None
    blkend = 0
    v1 = v2 = 0
    i = 0
    while i < n:
        c = expr[i]
        if c == "(":
            depth += 1
        elif c in ")<>=":
            if c == ")":
                if depth == 0:
                    raise LdbError(f"expression '{expr}': ')' without '('")
                depth -= 1
            mod, modoff = c, i
        elif c in "&|":
            if depth == 0:
                op, opoff = c, i
            elif depth == 1:
                op1, op1off = c, i
        if op:
            break
        if op1 and depth == 0:
            blkend = i
            nxt = expr[i + 1] if i + 1 < n else ""
            if nxt in ("<", ">", "="):
                blkmod = nxt
                m = re.match(r"(\d+)(?:,(\d+))?", expr[i + 2 :])
                if not m:
                    raise LdbError(f"expression '{expr}': number expected after '{nxt}'")
                v1 = int(m.group(1))
                v2 = int(m.group(2)) if m.group(2) else 0
                i += 2
                while i + 1 < n and (expr[i + 1].isdigit() or expr[i + 1] == ","):
                    i += 1
            if i + 1 == n:
                break
            blkmod = None
        i += 1
    if depth:
        raise LdbError(f"expression '{expr}': '(' without ')'")
    if not op and not op1:
        if expr[0] == "(":
            return parse_expression(expr[1:-1])
        leaf = Leaf(_number(expr, 0))
        if mod in ("<", ">", "="):
            leaf.mod, leaf.value = mod, _number(expr, modoff + 1)
        return leaf
    lstart, rend = 0, n
    if not op:
        op, opoff = op1, op1off
        lstart, rend = 1, blkend
    if opoff == 0 or opoff + 1 == n:
        raise LdbError(f"expression '{expr}': operator without operand")
    node = Op(op, parse_expression(expr[lstart:opoff]), parse_expression(expr[opoff + 1 : rend]))
    if blkmod:
        return Block(node, blkmod, v1, v2)
    return node


def _compare(mod, val, ref):
    return (mod == "=" and val == ref) or (mod == "<" and val < ref) or (mod == ">" and val > ref)


def evaluate(node, counts):
    """(true?, count, ids) as cli_ac_chklsig() computes them; counts maps subsig id -> match count."""
    if isinstance(node, Leaf):
        val = counts.get(node.id, 0)
        if node.mod:
            if not _compare(node.mod, val, node.value):
                return False, 0, 0
            return True, val, 1 << node.id
        return (True, val, 1 << node.id) if val else (False, 0, 0)
    if isinstance(node, Op):
        lval, lcnt, lids = evaluate(node.left, counts)
        rval, rcnt, rids = evaluate(node.right, counts)
        ret = (lval and rval) if node.op == "&" else (lval or rval)
        return (True, lcnt + rcnt, lids | rids) if ret else (False, 0, 0)
    inner_ok, tcnt, tids = evaluate(node.inner, counts)
    if not inner_ok:
        tcnt, tids = 0, 0
    if not _compare(node.mod, tcnt, node.value1):
        return False, 0, 0
    if node.value2 and bin(tids).count("1") < node.value2:
        return False, 0, 0
    return True, tcnt, 0  # ClamAV adds no ids for a counted block


def leaves(node):
    if isinstance(node, Leaf):
        return [node]
    if isinstance(node, Op):
        return leaves(node.left) + leaves(node.right)
    return leaves(node.inner)


def _merge(a, b):
    out = dict(a)
    for k, v in b.items():
        out[k] = max(out.get(k, 0), v)
    return out


def _propose(node, rng, cap):
    if isinstance(node, Leaf):
        if node.mod == "=":
            return {node.id: node.value}
        if node.mod == ">":
            return {node.id: node.value + 1 + (rng.random() < 0.2)}
        if node.mod == "<":
            return {node.id: rng.randint(1, node.value - 1) if node.value > 1 else 0}
        return {node.id: 2 if rng.random() < 0.1 else 1}
    if isinstance(node, Op):
        if node.op == "&":
            return _merge(_propose(node.left, rng, cap), _propose(node.right, rng, cap))
        side = node.left if rng.random() < 0.5 else node.right
        out = _propose(side, rng, cap)
        if rng.random() < 0.25:  # sometimes both sides
            out = _merge(out, _propose(node.right if side is node.left else node.left, rng, cap))
        return out
    # Block: make the inner part true, then move the total to what the modifier wants by changing
    # plain (unmodified) leaves.
    base = _propose(node.inner, rng, cap)
    plain = [lf.id for lf in leaves(node.inner) if lf.mod is None]
    if node.value2:
        extra = [i for i in plain if base.get(i, 0) == 0]
        rng.shuffle(extra)
        have = sum(1 for lf in leaves(node.inner) if base.get(lf.id, 0))
        for i in extra[: max(0, node.value2 - have)]:
            base[i] = 1
    total = sum(base.get(lf.id, 0) for lf in leaves(node.inner))
    if node.mod == "=":
        want = node.value1
    elif node.mod == ">":
        want = node.value1 + 1 + (rng.random() < 0.2)
    else:
        want = rng.randint(min(total, node.value1 - 1), node.value1 - 1) if node.value1 > 0 else 0
    active = [i for i in plain if base.get(i, 0)] or plain
    if want == 0:
        for i in plain:
            base[i] = 0
    while total < want and active:
        i = rng.choice(active)
        base[i] = base.get(i, 0) + 1
        total += 1
    while total > want and any(base.get(i, 0) > 1 for i in active):
        i = rng.choice([i for i in active if base.get(i, 0) > 1])
        base[i] -= 1
        total -= 1
    return base


def satisfy(node, rng, cap=64, tries=40):
    """Per-subsignature counts (a dict) for which evaluate() is true, no count above cap; None if
    none was found."""
    for _ in range(tries):
        counts = _propose(node, rng, cap)
        if max(counts.values(), default=0) <= cap and evaluate(node, counts)[0]:
            return {k: v for k, v in counts.items() if v}
    return None


def near_misses(node, counts):
    """Count vectors that differ from counts by one match of one subsignature (one short, or one
    too many) and make the expression false, each as (counts, description)."""
    out = []
    for lf in sorted({lf.id for lf in leaves(node)}):
        c = counts.get(lf, 0)
        for d in (-1, +1):
            if c + d < 0:
                continue
            trial = dict(counts)
            trial[lf] = c + d
            if not evaluate(node, trial)[0]:
                what = "one short" if d < 0 else "one too many"
                out.append(({k: v for k, v in trial.items() if v}, f"subsig {lf} {what} ({c}->{c + d})"))
    return out


# ---------------------------------------------------------------- subsignatures


@dataclass
class Subsig:
    index: int
    text: str
    offset_rule: object  # offset_rule.OffsetRule
    modifiers: str  # subset of "iwfa"
    variants: list  # parsed bodies: the wide form and/or the plain form


@dataclass
class LogicalSignature:
    name: str
    tdb: dict
    expression_text: str
    expression: object
    subsigs: list = field(default_factory=list)
    source: str = ""

    @property
    def target(self):
        return int(self.tdb.get("Target", "0"))

    def range(self, key):
        """(min, max) of a TDB field `Key:min-max` or `Key:n`; None if absent."""
        text = self.tdb.get(key)
        if text is None:
            return None
        m = re.fullmatch(r"(\d+)(?:-(\d+))?", text)
        if not m:
            raise LdbError(f"TDB field {key}:{text} is not a number or range")
        lo = int(m.group(1))
        return lo, int(m.group(2)) if m.group(2) else lo


def widen(hexbody):
    """The body ::w asks ClamAV to look for: every byte followed by 00; jumps and alternation
    punctuation kept as they are; [n-m] becomes {n-m}."""
    out = []
    i, n = 0, len(hexbody)
    while i < n:
        c = hexbody[i]
        if c in "*|)":
            out.append(c)
            i += 1
        elif c in "[{":
            j = hexbody.index("]" if c == "[" else "}", i)
            out.append("{" + hexbody[i + 1 : j] + "}")
            i = j + 1
        elif c == "!":
            out.append(c)
            i += 1
        elif c == "(":
            if hexbody[i + 1 : i + 3] in ("B)", "L)", "W)"):
                out.append(hexbody[i : i + 3])
                i += 3
            else:
                out.append(c)
                i += 1
        else:
            out.append(hexbody[i : i + 2] + "00")
            i += 2
    return "".join(out)


def parse_subsig(index, text):
    if text.startswith("$"):
        raise UnsupportedSubsig("macro", text)
    if "/" in text:
        from ldb_pcre import parse_pcre_subsig  # ldb_pcre builds on this module

        return parse_pcre_subsig(index, text)
    if "(" in text and text.count("#") >= 2:
        raise UnsupportedSubsig("bytecompare", text)
    if text.startswith("fuzzy_img#"):
        raise UnsupportedSubsig("fuzzy image hash", text)
    body_part, mods = (text.rsplit("::", 1) + [""])[:2] if "::" in text else (text, "")
    if set(mods) - set("iwfa"):
        raise LdbError(f"subsig {index}: unknown modifiers '{mods}'")
    offset = "*"
    if ":" in body_part:
        offset, body_part = body_part.split(":", 1)
    if offset == "VI":
        raise UnsupportedSubsig("version-information offset", text)
    try:
        rule = parse_offset(offset)
    except ValueError as e:
        raise LdbError(f"subsig {index}: {e}") from None
    hexbody = body_part
    if "f" in mods:
        hexbody = "(W)" + hexbody.replace("[", "{").replace("]", "}") + "(W)"
    forms = []
    if "w" in mods:
        forms.append(widen(hexbody))
        if "a" in mods:
            forms.append(hexbody)
    else:
        forms.append(hexbody)
    try:
        variants = [parse_body(f) for f in forms]
    except (BodyError, ValueError) as e:
        raise LdbError(f"subsig {index}: {e}") from None
    return Subsig(index, text, rule, mods, variants)


def split_tdb(text):
    tdb = {}
    for item in text.split(","):
        if ":" not in item:
            raise LdbError(f"TDB item '{item}' has no ':'")
        k, v = item.split(":", 1)
        tdb[k] = v
    return tdb


def parse_ldb_line(line, source):
    parts = line.rstrip("\r\n").split(";")
    if len(parts) < 4:
        raise LdbError(f"{source}: expected at least 4 ';' fields, got {len(parts)}")
    name, tdb_text, expr = parts[:3]
    tdb = split_tdb(tdb_text)
    if "Target" not in tdb:
        raise LdbError(f"{source}: TDB has no Target")
    sig = LogicalSignature(name, tdb, expr, parse_expression(expr), source=source)
    for i, text in enumerate(parts[3:]):
        sig.subsigs.append(parse_subsig(i, text))
    for lf in leaves(sig.expression):
        if lf.id >= len(sig.subsigs):
            raise LdbError(f"{source}: expression names subsig {lf.id}, only {len(sig.subsigs)} given")
    return sig


def load_ldb(path):
    """Every logical signature of an .ldb file, plus (source, exception) for each line that could not
    be represented."""
    sigs, bad = [], []
    base = os.path.basename(path)
    with open(path, encoding="latin-1") as f:
        numbered = [(n, line) for n, line in enumerate(f, 1) if line.strip() and not line.startswith("#")]
    for n, line in numbered:
        try:
            sigs.append(parse_ldb_line(line, f"{base}:{n}"))
        except LdbError as e:
            bad.append((f"{base}:{n}", e))
    return sigs, bad


def flip_case(rng, data):
    """data with each ASCII letter in a random case (what ::i accepts)."""
    out = bytearray(data)
    for i, c in enumerate(out):
        if (0x41 <= c <= 0x5A or 0x61 <= c <= 0x7A) and rng.random() < 0.5:
            out[i] = c ^ 0x20
    return bytes(out)


def instantiate_subsig(sub, rng, text=False):
    """(bytes, lead) of one occurrence of sub: lead is the number of bytes before where the match is
    anchored (a leading (W) boundary byte of ::f)."""
    body = rng.choice(sub.variants)
    spans = []
    data = instantiate(body, rng, text=text, lengths=spans)
    if "i" in sub.modifiers:
        data = flip_case(rng, data)
    lead = 0
    if spans and type(body.elements[0]).__name__ == "Boundary":
        lead = spans[0][2] - spans[0][1]
    return data, lead
