"""The offset field of an .ndb signature, parsed into where a generated instance has to start.

Promise: parse_offset() understands `*`, `n`, `n,maxshift`, `EOF-n[,maxshift]`, `EP+n`/`EP-n[,maxshift]`,
`Sx+n[,maxshift]`, `SL+n[,maxshift]` and `SEx`; any other form raises ValueError with the text.
"""

import re
from dataclasses import dataclass


@dataclass
class OffsetRule:
    kind: str  # "any", "abs", "EOF", "EP", "S" (section start + n; section -1 is SL), "SE"
    value: int = 0  # n (EP: signed)
    shift: int = 0  # maxshift
    section: int = 0
    text: str = ""

    @property
    def needs_executable(self):
        return self.kind in ("EP", "S", "SE")


def _shift(s):
    return int(s) if s else 0


def parse_offset(text):
    if text == "*":
        return OffsetRule("any", text=text)
    m = re.fullmatch(r"(\d+)(?:,(\d+))?", text)
    if m:
        return OffsetRule("abs", int(m.group(1)), _shift(m.group(2)), text=text)
    m = re.fullmatch(r"EOF-(\d+)(?:,(\d+))?", text)
    if m:
        return OffsetRule("EOF", int(m.group(1)), _shift(m.group(2)), text=text)
    m = re.fullmatch(r"EP([+-])(\d+)(?:,(\d+))?", text)
    if m:
        v = int(m.group(2))
        return OffsetRule("EP", v if m.group(1) == "+" else -v, _shift(m.group(3)), text=text)
    m = re.fullmatch(r"S(\d+|L)\+(\d+)(?:,(\d+))?", text)
    if m:
        sec = -1 if m.group(1) == "L" else int(m.group(1))
        return OffsetRule("S", int(m.group(2)), _shift(m.group(3)), section=sec, text=text)
    m = re.fullmatch(r"SE(\d+)", text)
    if m:
        return OffsetRule("SE", 0, 0, section=int(m.group(1)), text=text)
    raise ValueError(f"unsupported offset '{text}'")
