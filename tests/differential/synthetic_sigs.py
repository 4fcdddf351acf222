"""Synthetic .ndb signatures for the parts of the body grammar that rfxn.ndb and daily.ndb never use.

Promise: make_synthetic_lines() derives signatures from literal byte strings of real signatures,
each exercising one construct ((B), (L), (W), !(aa|bb), multi-byte and unequal-length (aa|bb),
[x-y] beside a single byte, a?/?a nibbles, {-n}, {n-}, a jump between runs of one repeated
byte), with at least four static bytes on each side
of the construct, which clamscan 1.4.6 loads. Names are VG.Synthetic.<construct>.<n>; the target
type is 0 and the offset `*`. The same rng state gives the same lines.
"""

FEATURES = (
    "word_boundary_start",
    "word_boundary_end",
    "word_boundary_mid",
    "line_boundary_start",
    "line_boundary_end",
    "non_alnum_mid",
    "negated_alt",
    "negated_alt_multibyte",
    "alt_multibyte",
    "alt_unequal",
    "bracket_left",
    "bracket_right",
    "nibble_high",
    "nibble_low",
    "jump_upto",
    "jump_atleast",
    "repeated_byte_jump",
)

# Fill bytes of executables and text: signatures made only of them, with a jump, see long runs.
REPEATED_BYTES = (0x00, 0xFF, 0x20, 0x90, 0x41)


def _hex(data):
    return data.hex()


def _other_byte(rng, avoid, printable):
    while True:
        c = rng.randrange(0x61, 0x7B) if printable else rng.randrange(256)
        if c not in avoid:
            return c


def make_line(rng, feature, base, printable):
    """One body (hex text) exercising feature, built around base (bytes, at least 12 long)."""
    p = rng.randint(4, len(base) - 4)
    left, right = base[:p], base[p:]
    if feature == "word_boundary_start":
        return "(B)" + _hex(base)
    if feature == "word_boundary_end":
        return _hex(base) + "(B)"
    if feature == "word_boundary_mid":
        return _hex(left) + "(B)" + _hex(right)
    if feature == "line_boundary_start":
        return "(L)" + _hex(base)
    if feature == "line_boundary_end":
        return _hex(base) + "(L)"
    if feature == "non_alnum_mid":
        return _hex(left) + "(W)" + _hex(right)
    if feature == "negated_alt":
        a = _other_byte(rng, {right[0]}, printable)
        b = _other_byte(rng, {right[0], a}, printable)
        return _hex(left) + f"!({a:02x}|{b:02x})" + _hex(right)
    if feature == "negated_alt_multibyte":
        a = bytes(_other_byte(rng, set(), printable) for _ in range(2))
        b = bytes(_other_byte(rng, set(), printable) for _ in range(2))
        return _hex(left) + f"!({_hex(a)}|{_hex(b)})" + _hex(right)
    if feature == "alt_multibyte":
        other = bytes(_other_byte(rng, set(), printable) for _ in range(2))
        alts = [_hex(right[:2]), _hex(other)]
        rng.shuffle(alts)
        return _hex(left) + "(" + "|".join(alts) + ")" + _hex(right[2:])
    if feature == "alt_unequal":
        other = bytes(_other_byte(rng, set(), printable) for _ in range(rng.randint(1, 4)))
        alts = [_hex(right[:3]), _hex(other)]
        rng.shuffle(alts)
        return _hex(left) + "(" + "|".join(alts) + ")" + _hex(right[3:])
    if feature == "bracket_left":
        lo = rng.randint(0, 4)
        return f"{base[0]:02x}[{lo}-{lo + rng.randint(0, 6)}]" + _hex(base[rng.randint(1, 3) :])
    if feature == "bracket_right":
        lo = rng.randint(0, 4)
        return _hex(base[: -rng.randint(1, 3)]) + f"[{lo}-{lo + rng.randint(0, 6)}]{base[-1]:02x}"
    if feature == "nibble_high":
        return _hex(left) + f"{right[0] >> 4:x}?" + _hex(right[1:])
    if feature == "nibble_low":
        return _hex(left) + f"?{right[0] & 15:x}" + _hex(right[1:])
    if feature == "jump_upto":
        return _hex(left) + "{-" + str(rng.randint(1, 12)) + "}" + _hex(right)
    if feature == "repeated_byte_jump":
        b = f"{rng.choice(REPEATED_BYTES):02x}"
        return b * rng.randint(6, 12) + "{-" + str(rng.randint(1, 12)) + "}" + b * rng.randint(6, 14)
    if feature == "jump_atleast":
        return _hex(left) + "{" + str(rng.randint(0, 8)) + "-}" + _hex(right)
    raise ValueError(feature)


def make_synthetic_lines(rng, literals, per_feature):
    """['VG.Synthetic.<feature>.<n>:0:*:<body>', ...] from literal byte strings (>= 16 bytes each)."""
    pool = [lit for lit in literals if len(lit) >= 16]
    lines = []
    if not pool:
        return lines
    for feature in FEATURES:
        for n in range(per_feature):
            lit = rng.choice(pool)
            width = rng.randint(12, min(24, len(lit)))
            start = rng.randint(0, len(lit) - width)
            base = lit[start : start + width]
            printable = all(0x20 <= c < 0x7F for c in base)
            lines.append(f"VG.Synthetic.{feature}.{n}:0:*:{make_line(rng, feature, base, printable)}")
    return lines
