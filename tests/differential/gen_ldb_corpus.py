#!/usr/bin/env python3
"""Generate a differential-test corpus from real ClamAV .ldb logical signatures.

For each chosen logical signature this picks per-subsignature match counts that make its logical
expression true (ldb_sig.satisfy), instantiates every subsignature that many times (its own offset,
::i ::w ::f ::a modifiers; wildcards and jumps filled from a seeded RNG) and writes them into one
file of the signature's target type that honours the TDB (Target, FileSize, NumberOfSections; PE
files from file_builders.PeImage with the entry point and sections the offsets need). Negatives:
the same signature with the counts one step off so the expression just fails (one subsignature
short, a count off by one), and TDB violations (the instances in a file of another type, FileSize
one byte outside the range, NumberOfSections off by one). Plus files holding instances of several
signatures and noise (random bytes and text, PE files, soups of subsignature fragments). The same
seed gives the same corpus.

Left out and counted on stdout: signatures with PCRE subsignatures (not generated), with
Container:, IconGroup1/2: or HandlerType: in the TDB (they only match inside a container, with an
icon database, or on a handler type), VI offsets, target types without a builder, FileSize minima
above --max-file-size, and expressions that need more than --max-count matches of a subsignature.

Output, under --out:
  files/{pos,neg,multi,noise}/...   the corpus
  manifest.tsv                      path, kind, expected signature names, origin
  databases.txt                     the .ldb files (pass them to the scanners)

Python 3 standard library only.
"""

import argparse
import glob
import os
import random
import sys
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import file_builders as fb  # noqa: E402
from gen_ndb_corpus import Corpus, Skip, literal_bytes, printable  # noqa: E402
from ldb_pcre import PcreSubsig, UnsupportedPcre  # noqa: E402
from ldb_sig import (  # noqa: E402
    UnsupportedSubsig,
    evaluate,
    instantiate_subsig,
    load_ldb,
    near_misses,
    satisfy,
)

DEFAULT_DBS = ("clamav/official-talos-subset/main.ldb", "clamav/ditekshen/*.ldb")
TEXT_TARGETS = (3, 7)
CONTAINER_FOR_TARGET = {1: "pe", 2: "ole2", 3: "html", 6: "elf", 7: "text", 9: "macho", 10: "pdf", 12: "java"}
LEFT_OUT_TDB = ("Container", "IconGroup1", "IconGroup2", "HandlerType")


class Instance:
    """One occurrence of a subsignature: its bytes, the offset rule, and how many leading bytes come
    before the point the rule anchors (a ::f boundary byte)."""

    def __init__(self, sub, data, lead):
        self.sub = sub
        self.rule = sub.offset_rule
        self.data = data
        self.lead = lead


def text_like(sig):
    if sig.target in TEXT_TARGETS:
        return True
    if sig.target != 0:
        return False
    return all(printable(literal_bytes(v)) for s in sig.subsigs if not is_pcre(s) for v in s.variants)


def is_pcre(sub):
    return isinstance(sub, PcreSubsig)


def make_instances(rng, sig, counts, text):
    out = []
    for sid, n in sorted(counts.items()):
        sub = sig.subsigs[sid]
        if sub.offset_rule.kind != "any" and sub.offset_rule.kind != "SE" and n > 1:
            raise Skip("anchored subsignature needed more than once")
        for _ in range(n):
            data, lead = (sub.instantiate(rng), 0) if is_pcre(sub) else instantiate_subsig(sub, rng, text)
            out.append(Instance(sub, data, lead))
    rng.shuffle(out)
    return out


class Placed:
    """Byte ranges already holding an instance (file coordinates), to refuse overlaps."""

    def __init__(self):
        self.ranges = []

    def free(self, start, data):
        for a, b in self.ranges:
            if start < b and a < start + len(data):
                return False
        return True

    def add(self, start, n):
        self.ranges.append((start, start + n))


def _put_anchored_absolute(rng, data, placed, inst, header_len):
    """Place an absolute-offset instance into data (a bytearray); Skip if it cannot be."""
    start = inst.rule.value + rng.randint(0, inst.rule.shift) - inst.lead
    if start < 0:
        raise Skip(f"absolute offset {inst.rule.text} leaves no room for a leading boundary byte")
    end = start + len(inst.data)
    if start < header_len or not placed.free(start, inst.data):
        if bytes(data[start:end]) == inst.data:  # the header already holds it (e.g. 0:4d5a)
            return
        raise Skip("absolute offset inside a header the generator writes, or inside another instance")
    if end > len(data):
        data += fb.binary_padding(rng, end - len(data))
    data[start:end] = inst.data
    placed.add(start, len(inst.data))


def _eof_tail(rng, inst):
    """Bytes that put inst where EOF-n[,shift] wants it when they end the file."""
    s = rng.randint(0, inst.rule.shift)
    tail = inst.rule.value - s + inst.lead - len(inst.data)
    if tail < 0:
        raise Skip(f"instance longer than {inst.rule.text}")
    return inst.data + fb.binary_padding(rng, tail)


def build_pe(rng, sig, instances, nsections=None):
    """A PE image holding the instances where their offsets want them; (bytes, eof_region_start)."""
    need_sec = max([i.rule.section for i in instances if i.rule.kind in ("S", "SE")] + [-1]) + 1
    rng_sec = sig.range("NumberOfSections")
    if nsections is None:
        if rng_sec:
            lo, hi = rng_sec
            nsections = rng.randint(max(lo, 1), max(min(hi, 12), lo, 1))
        else:
            nsections = rng.randint(1, 4)
    if nsections < need_sec or nsections < 1:
        raise Skip("the offsets need more sections than NumberOfSections allows")
    pe = fb.PeImage(rng, rng.random() < 0.5, nsections)
    back = max([-i.rule.value + i.lead for i in instances if i.rule.kind == "EP"] + [0])
    pe.ep_offset = back + rng.randint(0, 32)
    sec_placed = [dict() for _ in range(nsections)]  # rel offset -> bytes

    def put(si, rel, data):
        sec = pe.sections[si]
        for r, d in sec_placed[si].items():
            if rel < r + len(d) and r < rel + len(data):
                if r == rel and d == data:
                    return
                raise Skip("two anchored instances overlap")
        if rel + len(data) > len(sec):
            sec += fb.binary_padding(rng, rel + len(data) - len(sec))
        sec[rel : rel + len(data)] = data
        sec_placed[si][rel] = data

    if len(pe.sections[0]) <= pe.ep_offset:
        pe.sections[0] += fb.binary_padding(rng, pe.ep_offset - len(pe.sections[0]) + 1)
    for inst in instances:
        r = inst.rule
        if r.kind == "EP":
            put(0, pe.ep_offset + r.value + rng.randint(0, r.shift) - inst.lead, inst.data)
        elif r.kind == "S":
            si = r.section if r.section >= 0 else nsections - 1
            rel = r.value + rng.randint(0, r.shift) - inst.lead
            if rel < 0:
                raise Skip(f"{r.text} leaves no room for a leading boundary byte")
            put(si, rel, inst.data)
    overlay = bytearray()
    for inst in instances:
        r = inst.rule
        if r.kind == "SE" or (r.kind == "any" and rng.random() < 0.8):
            si = r.section if r.kind == "SE" else rng.randrange(nsections)
            pe.sections[si] += fb.binary_padding(rng, rng.randint(0, 48)) + inst.data
        elif r.kind == "any":
            overlay += fb.binary_padding(rng, rng.randint(0, 48)) + inst.data
    pe.overlay = bytes(overlay)
    data = bytearray(pe.build())
    placed = Placed()
    raw = pe.section_raw_offsets()
    for si, m in enumerate(sec_placed):
        for rel, d in m.items():
            placed.add(raw[si] + rel, len(d))
    for inst in instances:
        if inst.rule.kind == "abs":
            _put_anchored_absolute(rng, data, placed, inst, pe.header_size())
    return data


def build_plain(rng, container, instances, text):
    """A file of a non-PE container type holding the instances (floating or at absolute offsets)."""
    header, trailer = {
        "bin": (b"", b""),
        "text": (b"", b"\n"),
        "html": (fb.HTML_HEADER, fb.HTML_TRAILER),
        "pdf": (fb.PDF_HEADER, fb.PDF_TRAILER),
        "ole2": (fb.ole2_header(rng), b""),
        "macho": (fb.MACHO_HEADER, b""),
        "java": (fb.JAVA_HEADER, b""),
        "elf": (None, b""),
    }[container]
    elf64 = rng.random() < 0.6
    if header is None:
        header = bytes(fb.elf_header_size(elf64))
    pad = fb.text_padding if text else fb.binary_padding
    data = bytearray(header)
    placed = Placed()
    anchored = sorted((i for i in instances if i.rule.kind == "abs"), key=lambda i: i.rule.value)
    for inst in anchored:
        _put_anchored_absolute(rng, data, placed, inst, 0 if container in ("bin", "text") else len(header))
    for inst in instances:
        if inst.rule.kind == "any":
            data += pad(rng, rng.randint(1, 64)) + inst.data
        elif inst.rule.kind not in ("abs", "EOF"):
            raise Skip(f"offset {inst.rule.text} in a {container} file")
    data += pad(rng, rng.randint(0, 64)) + trailer
    if container == "elf":
        data[: len(header)] = fb.elf_header(rng, elf64, len(data), len(header))
    return data


def choose_container(rng, sig, instances, text):
    if sig.target != 0:
        return CONTAINER_FOR_TARGET[sig.target]
    if any(i.rule.needs_executable for i in instances):
        return "pe"
    if text:
        return rng.choices(["text", "bin", "html", "pe"], [5, 2, 1, 1])[0]
    return rng.choices(["bin", "pe", "elf"], [2, 1, 1])[0]


def build_file(rng, sig, instances, container, text, nsections=None, size=None):
    """The file bytes, with FileSize honoured (or the given size forced) and EOF-n instances last."""
    floating = [i for i in instances if i.rule.kind != "EOF"]
    eof = [i for i in instances if i.rule.kind == "EOF"]
    if len(eof) > 1:
        raise Skip("more than one EOF-anchored instance")
    if container == "pe":
        data = build_pe(rng, sig, floating, nsections)
    else:
        if any(i.rule.needs_executable for i in instances):
            raise Skip(f"executable offset in a {container} file")
        data = build_plain(rng, container, floating, text)
    tail = _eof_tail(rng, eof[0]) if eof else b""
    fs = sig.range("FileSize")
    want = size
    if want is None and fs and len(data) + len(tail) < fs[0]:
        want = rng.randint(fs[0], min(fs[1], fs[0] + 4096))
    if want is not None:
        if len(data) + len(tail) > want:
            raise Skip("instances do not fit the FileSize range")
        pad = fb.text_padding if text and container != "pe" else fb.binary_padding
        data += pad(rng, want - len(data) - len(tail))
    data += tail
    if fs and size is None and not fs[0] <= len(data) <= fs[1]:
        raise Skip("instances do not fit the FileSize range")
    return bytes(data)


def once_where_anchored(sig, counts):
    """counts with every anchored subsignature (which can match only once) asked for at most once,
    if the expression still holds; None if it does not."""
    def once(sub):
        return is_pcre(sub) or sub.offset_rule.kind not in ("any", "SE")

    out = {k: (1 if once(sig.subsigs[k]) else v) for k, v in counts.items()}
    # A regex subsignature is only run when its trigger expression holds.
    for k in list(out):
        sub = sig.subsigs[k]
        if is_pcre(sub) and not evaluate(sub.trigger, out)[0]:
            for t, v in (satisfy(sub.trigger, random.Random(k)) or {}).items():
                out[t] = max(out.get(t, 0), v)
    return out if evaluate(sig.expression, out)[0] else None


def describe(counts):
    return " ".join(f"{k}x{v}" for k, v in sorted(counts.items()))


def select(args, rng, skipped):
    sigs = []
    for db in args.ldb:
        parsed, bad = load_ldb(db)
        for source, err in bad:
            if isinstance(err, UnsupportedPcre):
                skipped[f"pcre subsignature: {err.reason.split(' (')[0]}"] += 1
            else:
                skipped[f"{err.kind} subsignature" if isinstance(err, UnsupportedSubsig) else "unparsable line"] += 1
            if not isinstance(err, UnsupportedSubsig):
                print(f"skip (unparsable): {source}: {err}", file=sys.stderr)
        for s in parsed:
            left = [k for k in LEFT_OUT_TDB if k in s.tdb]
            if left:
                skipped[f"TDB {left[0]}:"] += 1
                continue
            if s.target != 0 and s.target not in CONTAINER_FOR_TARGET:
                skipped[f"target type {s.target}"] += 1
                continue
            fs = s.range("FileSize")
            if fs and fs[0] > args.max_file_size:
                skipped[f"FileSize minimum above {args.max_file_size}"] += 1
                continue
            sigs.append(s)
    big = [s for s in sigs if s.range("FileSize") and s.range("FileSize")[0] > 65536]
    if len(big) > args.max_big:
        # Files above 64 KiB dominate the scanners' time: a seeded sample of those signatures.
        drop = {id(s) for s in big} - {id(s) for s in rng.sample(big, args.max_big)}
        skipped[f"FileSize minimum above 64 KiB, not sampled (--max-big {args.max_big})"] += len(drop)
        sigs = [s for s in sigs if id(s) not in drop]
    if args.max_sigs and len(sigs) > args.max_sigs:
        # Keep every signature that is not a plain PE one (they are the rarer shapes), then a
        # seeded sample of the rest.
        keep = [s for s in sigs if s.target != 1 or len(s.tdb) > 2 or not s.source.startswith("main.ldb")
                or any(is_pcre(sub) for sub in s.subsigs)]
        if len(keep) > args.max_sigs:
            keep = rng.sample(keep, args.max_sigs)
        keep_ids = {id(s) for s in keep}
        rest = [s for s in sigs if id(s) not in keep_ids]
        room = max(0, args.max_sigs - len(keep))
        chosen_ids = keep_ids | {id(s) for s in rng.sample(rest, min(room, len(rest)))}
        skipped["not sampled (--max-sigs)"] += len(sigs) - len(chosen_ids)
        sigs = [s for s in sigs if id(s) in chosen_ids]
    return sigs


def generate(args):
    rng = random.Random(args.seed)
    skipped = Counter()
    sigs = select(args, rng, skipped)
    corpus = Corpus(args.out)
    made = []  # (sig, instances, counts) of written positives
    for sig in sigs:
        counts = satisfy(sig.expression, rng, cap=args.max_count)
        if counts is None:
            skipped[f"expression needs more than {args.max_count} matches"] += 1
            continue
        counts = once_where_anchored(sig, counts)
        if counts is None:
            skipped["expression needs an anchored subsignature more than once"] += 1
            continue
        text = text_like(sig)
        try:
            try:
                instances = make_instances(rng, sig, counts, text)
            except UnsupportedPcre as e:
                raise Skip(f"pcre subsignature: {e.reason}") from None
            container = choose_container(rng, sig, instances, text)
            data = build_file(rng, sig, instances, container, text)
        except Skip as e:
            skipped[str(e)] += 1
            continue
        corpus.write("pos", data, [sig.name], f"{sig.source} {container} counts {describe(counts)}")
        made.append((sig, instances, counts, container, text))

        if rng.random() < args.negatives:
            misses = near_misses(sig.expression, counts)
            if misses:
                bad, how = rng.choice(misses)
                try:
                    inst = make_instances(rng, sig, bad, text)
                    data = build_file(rng, sig, inst, container, text)
                    corpus.write("neg", data, [], f"{sig.source} {container} just fails: {how}")
                except Skip:
                    pass
        constrained = "FileSize" in sig.tdb or "NumberOfSections" in sig.tdb
        if rng.random() < (args.tdb_negatives if constrained else args.wrong_target):
            write_tdb_negative(rng, corpus, sig, instances, container, text)

    write_multi(rng, corpus, made, args.multi)
    write_noise(rng, corpus, made, args.noise)
    corpus.finish(args.ldb)
    total = sum(corpus.counts.values())
    print(f"signatures: {len(sigs)} chosen from {', '.join(args.ldb)}")
    for reason, n in sorted(skipped.items(), key=lambda kv: -kv[1]):
        print(f"skipped {n}: {reason}")
    print("files: " + ", ".join(f"{k} {v}" for k, v in sorted(corpus.counts.items())) + f", total {total}")
    return 0


def write_tdb_negative(rng, corpus, sig, instances, container, text):
    """The positive's instances with one TDB condition broken."""
    options = []
    if sig.target == 1 and not any(i.rule.needs_executable for i in instances):
        options.append("wrong target")
    fs = sig.range("FileSize")
    if fs:
        options.append("FileSize")
    ns = sig.range("NumberOfSections")
    if ns and container == "pe":
        options.append("NumberOfSections")
    if not options:
        return
    how = rng.choice(options)
    try:
        if how == "wrong target":
            other = rng.choice(["bin", "elf"])
            data = build_file(rng, sig, instances, other, text)
            note = f"instances in {other} (Target:1)"
        elif how == "FileSize":
            below = fs[0] > 0 and rng.random() < 0.5
            size = fs[0] - 1 if below else fs[1] + 1
            if size > 4 * 1024 * 1024:
                return
            data = build_file(rng, sig, instances, container, text, size=size)
            note = f"FileSize {size} outside {fs[0]}-{fs[1]}"
        else:
            n = ns[0] - 1 if ns[0] > 1 and rng.random() < 0.5 else ns[1] + 1
            if n > 96:
                return
            data = build_file(rng, sig, instances, container, text, nsections=n)
            note = f"NumberOfSections {n} outside {ns[0]}-{ns[1]}"
    except Skip:
        return
    corpus.write("neg", data, [], f"{sig.source} {container} TDB broken: {note}")


def write_multi(rng, corpus, made, count):
    """PE files (and text files) holding the floating instances of several signatures."""
    pe_pool = [m for m in made if m[0].target == 1 and all(i.rule.kind == "any" for i in m[1]) and not m[0].tdb.get("FileSize")
               and not m[0].tdb.get("NumberOfSections")]
    for _ in range(count if pe_pool else 0):
        picks = rng.sample(pe_pool, min(len(pe_pool), rng.randint(2, 4)))
        insts = [i for m in picks for i in m[1]]
        rng.shuffle(insts)
        try:
            data = build_file(rng, picks[0][0], insts, "pe", False, nsections=rng.randint(1, 4))
        except Skip:
            continue
        corpus.write("multi", data, [m[0].name for m in picks], "several signatures")


def write_noise(rng, corpus, made, count):
    frags = []
    for m in made:
        for inst in m[1]:
            if len(inst.data) >= 4:
                frags.append(inst.data)
    for i in range(count):
        r = i % 4
        if r == 0:
            data = fb.binary_padding(rng, rng.randint(6, 8192))
        elif r == 1:
            data = fb.text_padding(rng, rng.randint(6, 8192))
        elif r == 2:
            pe = fb.PeImage(rng, rng.random() < 0.5, rng.randint(1, 4))
            data = pe.build()
        else:
            parts = bytearray()
            for _ in range(rng.randint(2, 10)):
                f = rng.choice(frags) if frags else b"noise"
                a = rng.randrange(len(f))
                parts += f[a : rng.randint(a + 1, len(f))] + fb.binary_padding(rng, rng.randint(0, 8))
            pe = fb.PeImage(rng, rng.random() < 0.5, 2)
            pe.sections[1] += parts
            data = pe.build()
        corpus.write("noise", data, [], f"noise/{r}")


def main(argv=None):
    here = os.path.dirname(os.path.abspath(__file__))
    default_data = os.path.normpath(os.path.join(here, "..", "..", "..", "shared", "data"))
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", required=True, help="output directory (created)")
    p.add_argument("--seed", type=int, default=20261127)
    p.add_argument("--data", default=default_data, help="shared data directory (default %(default)s)")
    p.add_argument("--ldb", action="append", help="an .ldb file (repeatable; default main.ldb + ditekshen/*.ldb)")
    p.add_argument("--max-sigs", type=int, default=5800,
                   help="at most this many signatures (every non-PE or TDB-constrained one, then a seeded sample; 0: all)")
    p.add_argument("--max-count", type=int, default=300, help="most matches of one subsignature an expression may need")
    p.add_argument("--max-file-size", type=int, default=300 * 1024, help="largest FileSize minimum generated")
    p.add_argument("--max-big", type=int, default=40, help="signatures kept whose FileSize minimum is above 64 KiB")
    p.add_argument("--negatives", type=float, default=0.3, help="fraction of positives given a just-failing twin")
    p.add_argument("--tdb-negatives", type=float, default=0.5, help="fraction of TDB-constrained positives given a TDB-breaking twin")
    p.add_argument("--wrong-target", type=float, default=0.05,
                   help="fraction of other Target:1 positives given a twin of another file type")
    p.add_argument("--multi", type=int, default=150, help="files holding instances of several signatures")
    p.add_argument("--noise", type=int, default=300, help="noise files")
    args = p.parse_args(argv)
    if not args.ldb:
        args.ldb = []
        for d in DEFAULT_DBS:
            args.ldb += sorted(glob.glob(os.path.join(args.data, d)))
    for db in args.ldb:
        if not os.path.isfile(db):
            print(f"error: database {db} not found", file=sys.stderr)
            return 2
    if not args.ldb:
        print(f"error: no .ldb database under {args.data}", file=sys.stderr)
        return 2
    os.makedirs(args.out, exist_ok=True)
    return generate(args)


if __name__ == "__main__":
    sys.exit(main())
