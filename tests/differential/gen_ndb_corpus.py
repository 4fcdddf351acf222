#!/usr/bin/env python3
"""Generate a differential-test corpus from real ClamAV .ndb signatures.

For every signature of the given .ndb files this writes one file holding an instance of its body
(wildcards and jumps filled from a seeded RNG, between random padding, at the offset the signature
demands, inside a file of the signature's target type), then negatives (an instance with one fixed
byte changed), files holding several instances, and noise (random bytes and text, soups of signature
fragments, case-mangled text instances, tiny files), and edge cases (instances straddling clamscan's
128 KiB read blocks; PE files with a broken header field). The same seed gives the same corpus.

The real databases never use (B), (L), (W), !(..), [x-y] and some other constructs, so a
synthetic.ndb is derived from their literal runs (see synthetic_sigs.py) and instantiated the same
way; its negatives break the construct itself (an alphanumeric byte where a boundary is required,
an excluded alternative where a negated alternation is).

Output, under --out:
  files/{pos,neg,multi,edge,noise}/...   the corpus
  synthetic.ndb                    the synthetic signatures (unless --synthetic 0)
  manifest.tsv                     path, kind, expected signature names (comma separated), origin
  databases.txt                    every .ndb file the corpus was made from (pass them to the scanners)
Signatures whose offset or target type cannot be built are skipped and counted on stdout.

Python 3 standard library only.
"""

import argparse
import os
import random
import sys
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import file_builders as fb  # noqa: E402
from ndb_body import (  # noqa: E402
    NEAR_MISSES,
    Alt,
    Boundary,
    Run,
    boundary_position,
    boundary_satisfied,
    instantiate,
    load_ndb,
)
from offset_rule import parse_offset  # noqa: E402
from synthetic_sigs import REPEATED_BYTES, make_synthetic_lines  # noqa: E402

DEFAULT_DBS = ("clamav/rfxn-lmd/rfxn.ndb", "clamav/official-talos-subset/daily.ndb")

TEXT_TARGETS = (3, 7)
# Target types we can build a file for (ClamAV numbering); 4 mail, 5 graphics, 8 unused, 11 Flash
# are not represented in the databases used here and are skipped with a count if they appear.
BUILDABLE = {0, 1, 2, 3, 6, 7, 9, 10, 12}


class Skip(Exception):
    pass


def literal_bytes(body):
    out = bytearray()
    for el in body.elements:
        if isinstance(el, Run):
            out += bytes(b.value for b in el.bytes if b.mask == 0xFF)
        elif isinstance(el, Alt) and not el.negated:
            out += bytes(b.value for b in el.alternatives[0] if b.mask == 0xFF)
    return bytes(out)


def longest_literal_run(body):
    best = b""
    for el in body.elements:
        if isinstance(el, Run):
            cur = bytearray()
            for b in el.bytes + [None]:
                if b is not None and b.mask == 0xFF:
                    cur.append(b.value)
                else:
                    if len(cur) > len(best):
                        best = bytes(cur)
                    cur = bytearray()
    return best


def printable(data):
    return all(0x20 <= c < 0x7F or c in (9, 10, 13) for c in data)


def choose_container(rng, sig, text_body):
    t = sig.target
    if t == 0:
        if sig.offset_rule.needs_executable:
            return "pe"
        if sig.offset_rule.kind == "abs":
            return "text" if text_body else "bin"
        if text_body:
            return rng.choices(["text", "bin", "html", "pe", "elf"], [5, 2, 1, 1, 1])[0]
        return rng.choices(["bin", "pe", "elf"], [2, 1, 1])[0]
    return {1: "pe", 2: "ole2", 3: "html", 6: "elf", 7: "text", 9: "macho", 10: "pdf", 12: "java"}[t]


def place_plain(rng, header, trailer, pad, payload, rule, header_optional):
    """header + padding + payload + padding + trailer with payload where rule says; -> (data, start)."""
    if rule.kind == "any":
        pre = pad(rng, rng.randint(0, 300))
        post = pad(rng, rng.randint(0, 300))
        return header + pre + payload + post + trailer, len(header) + len(pre)
    if rule.kind == "abs":
        start = rule.value + rng.randint(0, rule.shift)
        if start < len(header):
            if not header_optional:
                raise Skip(f"absolute offset {rule.text} lies inside the file header")
            header = b""
        pre = pad(rng, start - len(header))
        return header + pre + payload + pad(rng, rng.randint(0, 300)) + trailer, start
    if rule.kind == "EOF":
        room = rule.value - len(payload)  # bytes after the payload when shift is 0
        if room < 0:
            raise Skip(f"payload longer than {rule.text}")
        shift = rng.randint(0, min(rule.shift, room))
        tail = room - shift
        if tail >= len(trailer):
            after = pad(rng, tail - len(trailer)) + trailer
        else:
            after = pad(rng, tail)
        pre = pad(rng, rng.randint(0, 300))
        data = header + pre + payload + after
        return data, len(header) + len(pre)
    raise Skip(f"offset {rule.text} needs an executable container")


def build_elf(rng, payload, rule):
    elf64 = rng.random() < 0.6
    hsize = fb.elf_header_size(elf64)
    if rule.kind == "abs" and rule.value < hsize:
        elf64 = False
        hsize = fb.elf_header_size(False)
    if rule.kind == "EP":
        pre = fb.binary_padding(rng, rng.randint(0, 64) + max(0, -rule.value))
        start = hsize + len(pre)
        shift = rng.randint(0, rule.shift)
        entry = start - rule.value - shift
        if entry < hsize:
            raise Skip(f"{rule.text} puts the entry point inside the ELF header")
        body = pre + payload + fb.binary_padding(rng, rng.randint(0, 64))
        if entry >= hsize + len(body):
            body += fb.binary_padding(rng, entry - hsize - len(body) + 1)
        size = hsize + len(body)
        return fb.elf_header(rng, elf64, size, entry) + body, start
    if rule.needs_executable:
        raise Skip(f"offset {rule.text} on an ELF file is not generated")
    placeholder = bytes(hsize)
    data, start = place_plain(rng, placeholder, b"", fb.binary_padding, payload, rule, False)
    header = fb.elf_header(rng, elf64, len(data), hsize)
    return header + data[hsize:], start


def build_file(rng, sig, payload, container):
    rule = sig.offset_rule
    if container == "pe":
        if rule.kind in ("abs", "EOF"):
            pe = fb.PeImage(rng, rng.random() < 0.5, rng.randint(1, 3)).build()
            if rule.kind == "abs":
                start = rule.value + rng.randint(0, rule.shift)
                if start < len(pe):
                    raise Skip(f"absolute offset {rule.text} lies inside the PE image")
                return pe + fb.binary_padding(rng, start - len(pe)) + payload, start
            data, start = place_plain(rng, pe, b"", fb.binary_padding, payload, rule, False)
            return data, start
        return fb.pe_with_payload(rng, payload, rule)
    if rule.needs_executable:
        raise Skip(f"offset {rule.text} for target type {sig.target}")
    if container == "elf":
        return build_elf(rng, payload, rule)
    if container == "bin":
        return place_plain(rng, b"", b"", fb.binary_padding, payload, rule, True)
    if container == "text":
        return place_plain(rng, b"", b"\n", fb.text_padding, payload, rule, True)
    if container == "html":
        return place_plain(rng, fb.HTML_HEADER, fb.HTML_TRAILER, fb.text_padding, payload, rule, True)
    if container == "pdf":
        return place_plain(rng, fb.PDF_HEADER, fb.PDF_TRAILER, fb.binary_padding, payload, rule, False)
    if container == "ole2":
        return place_plain(rng, fb.ole2_header(rng), b"", fb.binary_padding, payload, rule, False)
    if container == "macho":
        return place_plain(rng, fb.MACHO_HEADER, b"", fb.binary_padding, payload, rule, False)
    if container == "java":
        return place_plain(rng, fb.JAVA_HEADER, b"", fb.binary_padding, payload, rule, False)
    raise Skip(f"no builder for container {container}")


def mutate_fixed_byte(rng, sig, payload, spans):
    """payload with one byte that the body requires exactly changed; None if the body has none."""
    candidates = []
    for ei, start, _end in spans:
        el = sig.body.elements[ei]
        if isinstance(el, Run):
            candidates += [start + bi for bi, b in enumerate(el.bytes) if b.mask == 0xFF]
    if not candidates:
        return None
    at = rng.choice(candidates)
    out = bytearray(payload)
    old = out[at]
    if 0x61 <= old <= 0x7A or 0x41 <= old <= 0x5A:
        choices = [c for c in range(0x61, 0x7B) if c != (old | 0x20)]
        out[at] = rng.choice(choices)
    else:
        out[at] = (old + rng.randint(1, 255)) & 0xFF
    return bytes(out)


def mutate_construct(rng, sig, payload, spans):
    """payload with a boundary marker's byte(s) replaced by a near miss (a separator-like byte outside
    ClamAV's class for the marker, or a letter), or a negated alternation's bytes set to an excluded
    alternative; None if the body has neither construct."""
    candidates = []
    for ei, start, end in spans:
        el = sig.body.elements[ei]
        if isinstance(el, Boundary):
            where = boundary_position(sig.body, ei)
            misses = [m for m in NEAR_MISSES if not boundary_satisfied(el.kind, where, m)]
            candidates.append((start, end, rng.choice(misses)))
        elif isinstance(el, Alt) and el.negated:
            alt = rng.choice(el.alternatives)
            if all(b.mask == 0xFF for b in alt):
                candidates.append((start, end, bytes(b.value for b in alt)))
    if not candidates:
        return None
    start, end, repl = rng.choice(candidates)
    return payload[:start] + repl + payload[end:]


def mangle_case(rng, data):
    """Text with random letters upper-cased and some spaces doubled: what normalisation undoes."""
    out = bytearray()
    for c in data:
        if 0x61 <= c <= 0x7A and rng.random() < 0.3:
            c -= 0x20
        out.append(c)
        if c == 0x20 and rng.random() < 0.3:
            out.append(0x20)
    return bytes(out)


class Corpus:
    def __init__(self, out):
        self.out = out
        self.rows = []
        self.counts = Counter()

    def write(self, kind, data, expected, origin):
        n = self.counts[kind]
        self.counts[kind] += 1
        rel = os.path.join("files", kind, f"{n // 500:02d}", f"{kind}{n:05d}")
        path = os.path.join(self.out, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        self.rows.append((rel, kind, ",".join(expected), origin))

    def finish(self, dbs):
        with open(os.path.join(self.out, "manifest.tsv"), "w") as f:
            f.write("path\tkind\texpected\torigin\n")
            for r in self.rows:
                f.write("\t".join(r) + "\n")
        with open(os.path.join(self.out, "databases.txt"), "w") as f:
            for d in dbs:
                f.write(os.path.abspath(d) + "\n")


def write_synthetic(args, rng):
    """synthetic.ndb in the output directory, derived from literal runs of the given databases."""
    literals = []
    for db in args.ndb:
        for s in load_ndb(db)[0]:
            literals.append(longest_literal_run(s.body))
    lines = make_synthetic_lines(rng, literals, args.synthetic)
    path = os.path.join(args.out, "synthetic.ndb")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def generate(args):
    rng = random.Random(args.seed)
    sigs, skipped = [], Counter()
    if args.synthetic > 0:
        args.ndb.append(write_synthetic(args, rng))
    for db in args.ndb:
        parsed, bad = load_ndb(db)
        for source, reason in bad:
            print(f"skip (unparsable): {source}: {reason}", file=sys.stderr)
            skipped["unparsable line"] += 1
        for s in parsed:
            try:
                s.offset_rule = parse_offset(s.offset)
            except ValueError as e:
                skipped[str(e)] += 1
                continue
            if s.target not in BUILDABLE:
                skipped[f"target type {s.target}"] += 1
                continue
            sigs.append(s)

    corpus = Corpus(args.out)
    made = []  # (sig, payload, container) of positives, for negatives and multi files
    for sig in sigs:
        lit = literal_bytes(sig.body)
        text_body = sig.target in TEXT_TARGETS or (sig.target == 0 and printable(lit))
        for _ in range(args.instances):
            spans = []
            payload = instantiate(sig.body, rng, text=text_body, lengths=spans)
            container = choose_container(rng, sig, text_body)
            try:
                data, start = build_file(rng, sig, payload, container)
            except Skip as e:
                skipped[str(e)] += 1
                continue
            assert data[start : start + len(payload)] == payload
            corpus.write("pos", data, [sig.name], f"{sig.source} {container} @{start}")
            if container == "html" and len(payload) > 1 and rng.random() < args.cut_html:
                cut = start + len(payload) - rng.randint(0, min(12, len(payload) - 1))
                corpus.write("edge", data[:cut], [], f"{sig.source} html ending inside the instance @{start}")
            made.append((sig, payload, spans, container))
            if rng.random() < args.negatives:
                bad = mutate_fixed_byte(rng, sig, payload, spans)
                if bad is not None:
                    try:
                        data, start = build_file(rng, sig, bad, container)
                        corpus.write("neg", data, [], f"{sig.source} {container} flipped @{start}")
                    except Skip:
                        pass
            bad = mutate_construct(rng, sig, payload, spans)
            if bad is not None:
                try:
                    data, start = build_file(rng, sig, bad, container)
                    corpus.write("neg", data, [], f"{sig.source} {container} construct broken @{start}")
                except Skip:
                    pass
            if text_body and sig.offset_rule.kind == "any" and rng.random() < args.mangled:
                data, start = build_file(rng, sig, mangle_case(rng, payload), "text")
                corpus.write("noise", data, [], f"{sig.source} case-mangled text @{start}")

    # Files holding several instances: floating-offset signatures of target 0 in one binary or text
    # file, and PE files holding several target-1 instances.
    floating0 = [m for m in made if m[0].target == 0 and m[0].offset_rule.kind == "any"]
    floating1 = [m for m in made if m[0].target == 1 and m[0].offset_rule.kind == "any"]
    for i in range(args.multi):
        pool = floating1 if (i % 4 == 3 and floating1) else floating0
        if not pool:
            break
        picks = rng.sample(pool, min(len(pool), rng.randint(2, 6)))
        parts = bytearray()
        for m in picks:
            parts += fb.binary_padding(rng, rng.randint(0, 64)) if pool is floating1 else fb.text_padding(rng, rng.randint(1, 64))
            parts += m[1]
        names = [m[0].name for m in picks]
        if pool is floating1:
            pe = fb.PeImage(rng, rng.random() < 0.5, 2)
            pe.sections[1][8:8] = bytes(parts)
            data = pe.build()
        else:
            data = bytes(parts) + b"\n"
        corpus.write("multi", data, names, "several instances")

    # Edge cases: instances straddling the 128 KiB blocks clamscan reads files in, and instances in
    # PE files with one header field broken (a match that needs no header must survive; EP/section
    # offsets cannot be computed). The expectation is whatever clamscan reports.
    straddle_pool = [m for m in made if m[0].target == 0 and m[0].offset_rule.kind == "any" and len(m[1]) > 1]
    for _ in range(args.edge if straddle_pool else 0):
        sig, payload = rng.choice(straddle_pool)[:2]
        start = 131072 * rng.randint(1, 2) - rng.randint(1, len(payload) - 1)
        data = fb.binary_padding(rng, start) + payload + fb.binary_padding(rng, rng.randint(0, 4096))
        corpus.write("edge", data, [sig.name], f"{sig.source} straddles a 128 KiB block @{start}")
    pe_floating = [m for m in made if m[0].target == 1 and m[0].offset_rule.kind == "any"]
    pe_anchored = [m for m in made if m[0].target == 1 and m[0].offset_rule.kind != "any"]
    for i in range(args.edge if pe_floating else 0):
        # Alternate floating and anchored (EP, Sx, SE, EOF-n) signatures.
        pool = pe_anchored if (i // len(fb.PE_CORRUPTIONS)) % 2 and pe_anchored else pe_floating
        sig, payload = rng.choice(pool)[:2]
        how = fb.PE_CORRUPTIONS[i % len(fb.PE_CORRUPTIONS)]
        try:
            data, start = build_file(rng, sig, payload, "pe")
        except Skip:
            continue
        corpus.write("edge", fb.corrupt_pe(rng, data, how), [], f"{sig.source} pe with {how} @{start}")

    # Runs of one repeated byte (what the synthetic repeated_byte_jump signatures look for).
    for _ in range(args.edge // 2):
        fill = bytes([rng.choice(REPEATED_BYTES)])
        data = fb.binary_padding(rng, rng.randint(0, 300)) + fill * rng.randint(16, 96)
        data += fb.binary_padding(rng, rng.randint(0, 300))
        corpus.write("edge", data, [], f"run of {fill.hex()}")

    # Noise: random bytes and text, fragment soups, tiny files.
    fragments = [literal_bytes(m[0].body) for m in made]
    fragments = [f for f in fragments if len(f) >= 4]
    for i in range(args.noise):
        r = i % 5
        if r == 0:
            data = fb.binary_padding(rng, rng.randint(6, 8192))
        elif r == 1:
            data = fb.text_padding(rng, rng.randint(6, 8192))
        elif r in (2, 3) and fragments:
            parts = bytearray()
            for _ in range(rng.randint(2, 12)):
                frag = rng.choice(fragments)
                a = rng.randrange(len(frag))
                b = rng.randint(a + 1, len(frag))
                parts += frag[a:b]
                if rng.random() < 0.5:
                    parts += fb.text_padding(rng, rng.randint(0, 8)) if r == 2 else fb.binary_padding(rng, rng.randint(0, 8))
            data = bytes(parts)
        else:
            src = rng.choice(made) if made else None
            n = rng.randint(0, 7)
            data = src[1][:n] if src else fb.binary_padding(rng, n)
        corpus.write("noise", data, [], f"noise/{r}")

    corpus.finish(args.ndb)
    total = sum(corpus.counts.values())
    print(f"signatures: {len(sigs)} usable from {', '.join(args.ndb)}")
    for reason, n in sorted(skipped.items(), key=lambda kv: -kv[1]):
        print(f"skipped {n}: {reason}")
    print("files: " + ", ".join(f"{k} {v}" for k, v in sorted(corpus.counts.items())) + f", total {total}")
    return 0


def main(argv=None):
    here = os.path.dirname(os.path.abspath(__file__))
    default_data = os.path.normpath(os.path.join(here, "..", "..", "..", "shared", "data"))
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", required=True, help="output directory (created)")
    p.add_argument("--seed", type=int, default=20261127)
    p.add_argument("--data", default=default_data, help="shared data directory (default %(default)s)")
    p.add_argument("--ndb", action="append", help="an .ndb file (repeatable; default rfxn.ndb + daily.ndb)")
    p.add_argument("--instances", type=int, default=1, help="positive files per signature")
    p.add_argument("--negatives", type=float, default=0.3, help="fraction of positives given a negative twin")
    p.add_argument("--mangled", type=float, default=0.1, help="fraction of text signatures given a case-mangled twin")
    p.add_argument("--multi", type=int, default=150, help="files holding several instances")
    p.add_argument("--noise", type=int, default=300, help="noise files")
    p.add_argument("--edge", type=int, default=60,
                   help="block-straddling files and broken-PE files (this many of each; half as many runs of one byte)")
    p.add_argument("--cut-html", type=float, default=0.5,
                   help="fraction of HTML positives also written cut off inside the instance")
    p.add_argument("--synthetic", type=int, default=12,
                   help="synthetic signatures per grammar construct the real databases lack (0: none)")
    args = p.parse_args(argv)
    if not args.ndb:
        args.ndb = [os.path.join(args.data, d) for d in DEFAULT_DBS]
    for db in args.ndb:
        if not os.path.isfile(db):
            print(f"error: database {db} not found", file=sys.stderr)
            return 2
    os.makedirs(args.out, exist_ok=True)
    return generate(args)


if __name__ == "__main__":
    sys.exit(main())
