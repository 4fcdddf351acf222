#!/usr/bin/env python3
"""Run clamscan and voxguard on a generated corpus and compare their detections.

Usage: compare_scanners.py --corpus DIR [--voxguard BIN] [--clamscan BIN]
Both scanners get the corpus's databases (databases.txt) with --allmatch --no-summary; each output is
parsed into a set of (file, signature name) and the sets are compared. Also prints how many of the
generated positives clamscan detects per target type, which checks the generator itself.
Exit status: 0 identical (or clamscan only), 1 different, 2 a scanner failed.

Python 3 standard library only.
"""

import argparse
import os
import subprocess
import sys
from collections import Counter, defaultdict


def parse_output(text, root):
    """{relative path: set(names)} of FOUND lines, plus {relative path: reason} of ERROR lines."""
    found, errors = defaultdict(set), {}
    for line in text.splitlines():
        if line.endswith(" FOUND"):
            path, _, name = line[: -len(" FOUND")].rpartition(": ")
            found[os.path.relpath(path, root)].add(name)
        elif line.endswith(" ERROR"):
            path, _, reason = line[: -len(" ERROR")].rpartition(": ")
            errors[os.path.relpath(path, root)] = reason
    return found, errors


def run_scanner(argv, cwd):
    p = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, errors="replace")
    if p.returncode not in (0, 1):
        print(f"{argv[0]} exited {p.returncode}: {p.stderr.strip()[:2000]}", file=sys.stderr)
    return p


def scan(binary, corpus, extra):
    dbs = [line.strip() for line in open(os.path.join(corpus, "databases.txt")) if line.strip()]
    argv = [binary] + extra + ["--allmatch", "--no-summary"]
    for d in dbs:
        argv += ["-d", d]
    argv.append("files")
    p = run_scanner(argv, corpus)
    found, errors = parse_output(p.stdout, ".")
    return p.returncode, found, errors


def load_manifest(corpus):
    rows = {}
    with open(os.path.join(corpus, "manifest.tsv")) as f:
        next(f)
        for line in f:
            path, kind, expected, origin = line.rstrip("\n").split("\t")
            rows[path] = (kind, [e for e in expected.split(",") if e], origin)
    return rows


def strip_unofficial(name):
    return name[: -len(".UNOFFICIAL")] if name.endswith(".UNOFFICIAL") else name


def generator_report(manifest, found):
    per_kind = Counter()
    hit = Counter()
    missed = []
    for path, (kind, expected, origin) in manifest.items():
        names = {strip_unofficial(n) for n in found.get(path, ())}
        if kind in ("pos", "multi"):
            per_kind[kind] += 1
            if all(e in names for e in expected):
                hit[kind] += 1
            else:
                missed.append((path, expected, origin))
        else:
            per_kind[kind] += 1
            if names:
                hit[kind] += 1
    for kind in sorted(per_kind):
        word = "detected as expected" if kind in ("pos", "multi") else "with some detection"
        print(f"clamscan: {kind}: {hit[kind]}/{per_kind[kind]} {word}")
    return missed


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--corpus", required=True)
    p.add_argument("--clamscan", default="clamscan")
    p.add_argument("--voxguard")
    p.add_argument("--show-missed", type=int, default=20, help="list this many undetected positives")
    args = p.parse_args(argv)

    manifest = load_manifest(args.corpus)
    rc, cfound, cerr = scan(args.clamscan, args.corpus, ["-r"])
    if rc not in (0, 1):
        return 2
    missed = generator_report(manifest, cfound)
    for path, expected, origin in missed[: args.show_missed]:
        print(f"  clamscan did not detect {path} ({','.join(expected)}; {origin})")
    if not args.voxguard:
        return 0

    rc, vfound, verr = scan(args.voxguard, args.corpus, ["scan"])
    if rc not in (0, 1):
        return 2
    cset = {(f, n) for f, ns in cfound.items() for n in ns}
    vset = {(f, n) for f, ns in vfound.items() for n in ns}
    only_c = sorted(cset - vset)
    only_v = sorted(vset - cset)
    for f, n in only_c:
        print(f"only clamscan: {f}: {n}   [{manifest.get(f, ('?', [], '?'))[2]}]")
    for f, n in only_v:
        print(f"only voxguard: {f}: {n}   [{manifest.get(f, ('?', [], '?'))[2]}]")
    for f in sorted(set(cerr) | set(verr)):
        if cerr.get(f) != verr.get(f):
            print(f"errors differ: {f}: clamscan {cerr.get(f)!r} voxguard {verr.get(f)!r}")
    print(f"detections: clamscan {len(cset)}, voxguard {len(vset)}, common {len(cset & vset)}, "
          f"only clamscan {len(only_c)}, only voxguard {len(only_v)}")
    return 1 if only_c or only_v else 0


if __name__ == "__main__":
    sys.exit(main())
