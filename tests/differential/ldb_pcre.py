"""PCRE subsignatures of .ldb logical signatures (`[Offset:]Trigger/Regex/[Flags]`), and text they match.

Promise: parse_pcre_subsig() splits the field into offset, trigger expression, regex and flags and
raises UnsupportedPcre (naming the reason) for what the generator does not instantiate: an offset
other than `*`, flags other than i s m x g, a regex Python's sre_parse cannot read, or constructs
whose text depends on the surroundings (^ and $ without m, \\b, look-behind, conditionals).
PcreSubsig.instantiate() walks the sre_parse tree with the given random.Random and returns bytes
the regex matches, checked with Python's re (same flags) before they are returned; the ::i and ::f
rewrites ClamAV applies to regex subsignatures (an added i flag, ([\\W_]|\\A)..([\\W_]|\\Z)) are made
first.
"""

import re

try:
    import re._parser as sre_parse  # Python >= 3.11
    from re._constants import MAXREPEAT
except ImportError:  # pragma: no cover - older Pythons
    import sre_parse  # type: ignore
    from sre_constants import MAXREPEAT  # type: ignore

from ldb_sig import UnsupportedSubsig, parse_expression


class UnsupportedPcre(UnsupportedSubsig):
    def __init__(self, reason, text):
        super().__init__("pcre", text)
        self.reason = reason


FLAG_BITS = {"i": re.IGNORECASE, "s": re.DOTALL, "m": re.MULTILINE, "x": re.VERBOSE}
PRINTABLE = [c for c in range(0x20, 0x7F)]
WORD = [c for c in b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"]
CATEGORY_BYTES = {
    "CATEGORY_DIGIT": list(b"0123456789"),
    "CATEGORY_NOT_DIGIT": list(b"abcxyz ._-"),
    "CATEGORY_WORD": WORD,
    "CATEGORY_NOT_WORD": list(b" .,;-=+()"),
    "CATEGORY_SPACE": list(b" \t"),
    "CATEGORY_NOT_SPACE": list(b"abcXYZ019_."),
}


class PcreSubsig:
    def __init__(self, index, text, trigger, regex, flags, modifiers):
        self.index = index
        self.text = text
        self.trigger_text = trigger
        self.trigger = parse_expression(trigger)
        if "f" in modifiers:
            regex = r"([\W_]|\A)" + regex + r"([\W_]|\Z)"
        if "i" in modifiers and "i" not in flags:
            flags += "i"
        self.regex = regex
        self.flags = flags
        bits = 0
        for f in flags:
            bits |= FLAG_BITS.get(f, 0)
        self.bits = bits
        try:
            self.tree = sre_parse.parse(regex, bits)
            self.compiled = re.compile(regex.encode("latin-1"), bits)
        except (re.error, UnicodeEncodeError, OverflowError, RecursionError) as e:
            raise UnsupportedPcre(f"regex Python cannot read ({e})", text) from None
        self._check(self.tree)

    def _check(self, tree):
        for op, av in tree:
            name = str(op)
            if name == "AT" and str(av) in ("AT_BEGINNING", "AT_END") and not self.bits & re.MULTILINE:
                raise UnsupportedPcre("anchored regex (^ or $ without m)", self.text)
            if name in ("AT",) and str(av) in ("AT_BOUNDARY", "AT_NON_BOUNDARY", "AT_BEGINNING_STRING", "AT_END_STRING"):
                if str(av) in ("AT_BOUNDARY", "AT_NON_BOUNDARY"):
                    raise UnsupportedPcre("word boundary in regex", self.text)
            if name in ("GROUPREF_EXISTS", "ASSERT"):
                raise UnsupportedPcre(f"{name.lower()} in regex", self.text)
            if name == "ASSERT" and av[0] < 0:
                raise UnsupportedPcre("look-behind in regex", self.text)
            if name == "SUBPATTERN":
                self._check(av[3])
            elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
                self._check(av[2])
            elif name == "BRANCH":
                for alt in av[1]:
                    self._check(alt)
            elif name == "ATOMIC_GROUP":
                self._check(av)

    @property
    def offset_rule(self):
        from offset_rule import parse_offset

        return parse_offset("*")

    def instantiate(self, rng, tries=8):
        """Bytes the regex matches (checked with re.search); UnsupportedPcre if none was found."""
        for _ in range(tries):
            groups = {}
            out = bytearray()
            try:
                self._gen(self.tree, rng, out, groups)
            except _TooLong:
                continue
            data = bytes(out)
            if self.compiled.search(data):
                return data
        raise UnsupportedPcre("no generated text matched the regex", self.text)

    def _byte(self, rng, c):
        if self.bits & re.IGNORECASE and (0x41 <= c <= 0x5A or 0x61 <= c <= 0x7A) and rng.random() < 0.5:
            return c ^ 0x20
        return c

    def _gen(self, tree, rng, out, groups):
        if len(out) > 20000:
            raise _TooLong()
        for op, av in tree:
            name = str(op)
            if name == "LITERAL":
                out.append(self._byte(rng, av))
            elif name == "NOT_LITERAL":
                out.append(rng.choice([c for c in PRINTABLE if c != av and c | 0x20 != av | 0x20]))
            elif name == "ANY":
                out.append(rng.choice(WORD))
            elif name == "IN":
                out.append(self._in(rng, av))
            elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
                lo, hi, sub = av
                top = lo + 3 if hi == MAXREPEAT else min(hi, lo + 3)
                for _ in range(rng.randint(lo, top)):
                    self._gen(sub, rng, out, groups)
            elif name == "SUBPATTERN":
                start = len(out)
                self._gen(av[3], rng, out, groups)
                if av[0] is not None:
                    groups[av[0]] = bytes(out[start:])
            elif name == "ATOMIC_GROUP":
                self._gen(av, rng, out, groups)
            elif name == "BRANCH":
                self._gen(rng.choice(av[1]), rng, out, groups)
            elif name == "GROUPREF":
                out += groups.get(av, b"")
            elif name == "AT":
                if str(av) in ("AT_BEGINNING", "AT_END") and (not out or out[-1] != 0x0A):
                    out.append(0x0A)
            elif name == "ASSERT_NOT":
                pass  # a negative look-ahead: the text that follows is random; re.search checks it
            else:
                raise UnsupportedPcre(f"regex construct {name}", self.text)

    def _in(self, rng, items):
        negate = any(str(op) == "NEGATE" for op, _ in items)
        allowed = set()
        for op, av in items:
            name = str(op)
            if name == "LITERAL":
                allowed.add(av)
                if self.bits & re.IGNORECASE and chr(av).isalpha():
                    allowed.add(av ^ 0x20)
            elif name == "RANGE":
                allowed.update(range(av[0], av[1] + 1))
            elif name == "CATEGORY":
                allowed.update(CATEGORY_BYTES.get(str(av), []))
        if negate:
            pool = [c for c in PRINTABLE if c not in allowed]
            return rng.choice(pool or [0x01])
        pool = [c for c in allowed if 0x20 <= c < 0x7F] or sorted(allowed)
        return rng.choice(pool)


class _TooLong(Exception):
    pass


def parse_pcre_subsig(index, text):
    """A PcreSubsig for `[Offset:]Trigger/Regex/[Flags][::mods]`; UnsupportedPcre if not generated."""
    modifiers = ""
    body = text
    m = re.search(r"::([a-z]+)$", body)
    if m and body.rfind("/") < m.start():
        modifiers, body = m.group(1), body[: m.start()]
    first, last = body.find("/"), body.rfind("/")
    if first == last:
        raise UnsupportedPcre("mismatched '/' delimiters", text)
    head, regex, flags = body[:first], body[first + 1 : last], body[last + 1 :]
    offset = "*"
    if ":" in head:
        offset, head = head.split(":", 1)
    if offset != "*":
        raise UnsupportedPcre(f"offset {offset}", text)
    if set(flags) - set("ismxg"):
        raise UnsupportedPcre(f"flags '{flags}'", text)
    if "w" in modifiers or "a" in modifiers:
        raise UnsupportedPcre(f"modifiers '{modifiers}'", text)
    if not head:
        raise UnsupportedPcre("no trigger", text)
    return PcreSubsig(index, text, head, regex, flags, modifiers)
