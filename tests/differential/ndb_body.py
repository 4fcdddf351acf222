"""ClamAV .ndb signature lines and their body grammar, parsed so that matching bytes can be made.

Promise: parse_ndb_line() splits `Name:TargetType:Offset:HexSignature[:MinFL[:MaxFL]]`; parse_body()
accepts ClamAV's body grammar (hex bytes, ??, a?, ?a, *, {n}, {-n}, {n-}, {n-m}, (aa|bb), !(aa|bb),
[n-m], (B), (L), (W)) and raises BodyError with the column and reason for anything else; instantiate()
turns a parsed body into bytes that the body matches, with every choice taken from the given
random.Random, so a seed reproduces the same bytes.
"""

import os
import re
from dataclasses import dataclass, field


class BodyError(ValueError):
    pass


@dataclass
class ByteSpec:
    """One byte position: matches b when b & mask == value."""

    value: int
    mask: int  # 0xff exact, 0xf0 "a?", 0x0f "?a", 0x00 "??"


@dataclass
class Run:
    bytes: list  # of ByteSpec


@dataclass
class Alt:
    alternatives: list  # of list of ByteSpec
    negated: bool = False


@dataclass
class Gap:
    min: int
    max: int | None  # None: unbounded (* or {n-})
    bracket: bool = False  # [n-m] rather than {n-m}


@dataclass
class Boundary:
    kind: str  # "B" word boundary, "L" line boundary, "W" non-alphanumeric


@dataclass
class Body:
    elements: list = field(default_factory=list)

    def fixed_positions(self):
        """(element index, byte index) of every byte that has a full mask, for negative mutations."""
        out = []
        for ei, el in enumerate(self.elements):
            if isinstance(el, Run):
                for bi, b in enumerate(el.bytes):
                    if b.mask == 0xFF:
                        out.append((ei, bi))
        return out


@dataclass
class NdbSignature:
    name: str
    target: int
    offset: str
    body_text: str
    body: Body
    min_flevel: str | None
    max_flevel: str | None
    source: str  # "file:line"


HEX = "0123456789abcdefABCDEF"


def _parse_bytes(text, col):
    """A run of hex digit pairs with ?? a? ?a wildcards; returns list of ByteSpec."""
    if len(text) % 2:
        raise BodyError(f"column {col}: odd number of hex digits in '{text}'")
    out = []
    for i in range(0, len(text), 2):
        hi, lo = text[i], text[i + 1]
        if hi == "?" and lo == "?":
            out.append(ByteSpec(0, 0))
        elif hi == "?" and lo in HEX:
            out.append(ByteSpec(int(lo, 16), 0x0F))
        elif lo == "?" and hi in HEX:
            out.append(ByteSpec(int(hi, 16) << 4, 0xF0))
        elif hi in HEX and lo in HEX:
            out.append(ByteSpec(int(hi + lo, 16), 0xFF))
        else:
            raise BodyError(f"column {col + i}: '{hi}{lo}' is not a hex byte")
    return out


_TOKEN = re.compile(
    r"(?P<bytes>[0-9a-fA-F?]+)"
    r"|(?P<star>\*)"
    r"|\{(?P<brace>[^}]*)\}"
    r"|\[(?P<bracket>[^\]]*)\]"
    r"|(?P<neg>!)?\((?P<alt>[^)]*)\)"
)


def _parse_range(text, col, bracket):
    m = re.fullmatch(r"(\d*)(-?)(\d*)", text)
    if not m or (not m.group(1) and not m.group(3)):
        raise BodyError(f"column {col}: bad jump '{text}'")
    lo, dash, hi = m.groups()
    if not dash:
        n = int(lo)
        return Gap(n, n, bracket)
    if not lo:
        return Gap(0, int(hi), bracket)
    if not hi:
        if bracket:
            raise BodyError(f"column {col}: [n-] needs an upper bound")
        return Gap(int(lo), None, bracket)
    a, b = int(lo), int(hi)
    if a > b:
        raise BodyError(f"column {col}: jump {a}-{b} has min > max")
    return Gap(a, b, bracket)


def parse_body(text):
    body = Body()
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise BodyError(f"column {pos + 1}: unexpected '{text[pos]}'")
        if m.group("bytes") is not None:
            body.elements.append(Run(_parse_bytes(m.group("bytes"), pos + 1)))
        elif m.group("star"):
            body.elements.append(Gap(0, None))
        elif m.group("brace") is not None:
            body.elements.append(_parse_range(m.group("brace"), pos + 1, False))
        elif m.group("bracket") is not None:
            body.elements.append(_parse_range(m.group("bracket"), pos + 1, True))
        else:
            inner = m.group("alt")
            negated = bool(m.group("neg"))
            if inner in ("B", "L", "W"):
                if negated:
                    raise BodyError(f"column {pos + 1}: '!({inner})' cannot be negated")
                body.elements.append(Boundary(inner))
            else:
                alts = [_parse_bytes(a, pos + 2) for a in inner.split("|")]
                if any(not a for a in alts):
                    raise BodyError(f"column {pos + 1}: empty alternative in '({inner})'")
                if negated and len({len(a) for a in alts}) != 1:
                    raise BodyError(f"column {pos + 1}: negated alternatives differ in length")
                body.elements.append(Alt(alts, negated))
        pos = m.end()
    if not any(isinstance(e, (Run, Alt)) for e in body.elements):
        raise BodyError("body has no bytes")
    return body


def parse_ndb_line(line, source):
    parts = line.rstrip("\r\n").split(":")
    if len(parts) < 4 or len(parts) > 6:
        raise BodyError(f"{source}: expected 4 to 6 fields, got {len(parts)}")
    name, target, offset, body_text = parts[:4]
    if not target.isdigit():
        raise BodyError(f"{source}: target type '{target}' is not a number")
    return NdbSignature(
        name=name,
        target=int(target),
        offset=offset,
        body_text=body_text,
        body=parse_body(body_text),
        min_flevel=parts[4] if len(parts) > 4 else None,
        max_flevel=parts[5] if len(parts) > 5 else None,
        source=source,
    )


def load_ndb(path):
    """Every signature of an .ndb file, plus (source, reason) for the lines that do not parse; a
    source is "<file name>:<line>"."""
    sigs, bad = [], []
    name = os.path.basename(path)
    with open(path, encoding="latin-1") as f:
        for n, line in enumerate(f, 1):
            if not line.strip() or line.startswith("#"):
                continue
            source = f"{name}:{n}"
            try:
                sigs.append(parse_ndb_line(line, source))
            except BodyError as e:
                bad.append((source, str(e)))
    return sigs, bad


# ClamAV 1.4's byte classes for (B) (libclamav/matcher-ac.c, table `boundary`): bit 1 = may stand
# before a word (left boundary), value >= 2 = may stand after one (right boundary); every other byte
# is class 0.
CLAMAV_BOUNDARY_CLASS = {0x0A: 2, 0x0D: 2, 0x20: 3, 0x22: 2, 0x27: 2, 0x2D: 3, 0x2E: 1, 0x2F: 3,
                         0x3C: 1, 0x3D: 2, 0x3E: 2, 0x40: 1, 0x5F: 3}


def boundary_satisfied(kind, where, data):
    """Whether the byte(s) data placed where a (kind) marker stands satisfy it, as ClamAV checks:
    at the start or end of a body the marker is a zero-width look-around on the byte before/after
    the match, in the middle it consumes one byte ((L): "\n" or "\r\n")."""
    if kind == "L":
        return data == b"\n" or (where != "start" and data == b"\r\n")
    if len(data) != 1:
        return False
    c = data[0]
    if kind == "W":
        return not (0x30 <= c <= 0x39 or 0x41 <= c <= 0x5A or 0x61 <= c <= 0x7A)
    cls = CLAMAV_BOUNDARY_CLASS.get(c, 0)
    if where == "start":
        return cls in (1, 3)
    if where == "end":
        return cls >= 2
    return cls != 0


def _satisfying(kind, where):
    if kind == "L":
        return [b"\n"] if where == "start" else [b"\n", b"\r\n"]
    return [bytes([c]) for c in range(256) if boundary_satisfied(kind, where, bytes([c]))]


# Bytes an instance puts where a marker stands: every byte that satisfies it.
BOUNDARY_BYTES = {(k, w): _satisfying(k, w) for k in "BLW" for w in ("start", "mid", "end")}

# Near misses for negatives: bytes that look like separators (or are letters) but fail the marker.
NEAR_MISSES = [b"\t", b"\x0b", b"\x0c", b",", b";", b"(", b")", b"!", b"\r", b"a", b"Z", b"7", b"\x00"]


def boundary_position(body, ei):
    return "start" if ei == 0 else "end" if ei == len(body.elements) - 1 else "mid"


TEXT_FILL = b"abcdefghijklmnopqrstuvwxyz0123456789_"


class Filler:
    """Bytes for wildcards and jumps: random binary, or lowercase ASCII text for text targets."""

    def __init__(self, rng, text):
        self.rng = rng
        self.text = text

    def byte(self, spec):
        if spec.mask == 0xFF:
            return spec.value
        if self.text:
            candidates = [c for c in TEXT_FILL if c & spec.mask == spec.value]
            if candidates:
                return self.rng.choice(candidates)
            candidates = [c for c in range(0x20, 0x7F) if c & spec.mask == spec.value]
            if candidates:
                return self.rng.choice(candidates)
        return (self.rng.randrange(256) & ~spec.mask & 0xFF) | spec.value

    def gap(self, n):
        if self.text:
            return bytes(self.rng.choice(TEXT_FILL) for _ in range(n))
        return self.rng.randbytes(n)


def gap_length(rng, gap, unbounded_extra=48):
    if gap.max is None:
        return gap.min + rng.randint(0, unbounded_extra)
    return rng.randint(gap.min, gap.max)


def instantiate(body, rng, text=False, lengths=None):
    """Bytes matched by body. lengths, when given, receives (element index, start, end) per element."""
    fill = Filler(rng, text)
    out = bytearray()
    for ei, el in enumerate(body.elements):
        start = len(out)
        if isinstance(el, Run):
            out += bytes(fill.byte(b) for b in el.bytes)
        elif isinstance(el, Alt):
            if el.negated:
                width = len(el.alternatives[0])
                for _ in range(1000):
                    cand = bytes(fill.byte(ByteSpec(0, 0)) for _ in range(width))
                    if not any(_run_matches(a, cand) for a in el.alternatives):
                        break
                else:
                    raise BodyError("no byte string avoids every negated alternative")
                out += cand
            else:
                out += bytes(fill.byte(b) for b in rng.choice(el.alternatives))
        elif isinstance(el, Gap):
            out += fill.gap(gap_length(rng, el))
        elif isinstance(el, Boundary):
            out += rng.choice(BOUNDARY_BYTES[(el.kind, boundary_position(body, ei))])
        if lengths is not None:
            lengths.append((ei, start, len(out)))
    return bytes(out)


def _run_matches(specs, data):
    return len(specs) == len(data) and all(d & s.mask == s.value for s, d in zip(specs, data))
