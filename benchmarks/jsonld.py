"""maillage's JSON-LD compaction against pyld's on the same N-Triples (issue 26).

    python benchmarks/jsonld.py PUBLISHED_FOLDER [--subjects N]

Both compact against the published context (``context.jsonld``): maillage's per-node writer
(``publish.rdf.write_jsonld``) reads Oxigraph's parse of ``maillage.nt``; pyld (when installed:
``pip install pyld``) converts the same N-Triples from RDF (``jsonld.from_rdf``) then compacts
them (``jsonld.compact``), the library way. ``--subjects`` keeps the first N subjects of the
dump, for pyld's sake on a large network. Prints seconds and microseconds per triple.
"""

from __future__ import annotations

import argparse
import io
import json
import time
from pathlib import Path

import pyoxigraph as ox

from maillage.publish.rdf import write_jsonld


def first_subjects(nt: Path, subjects: int | None) -> str:
    """The dump's lines of its first ``subjects`` subjects (sorted: each subject's lines are
    together)."""
    lines, seen, last = [], 0, None
    for line in nt.read_text(encoding="utf-8").splitlines(keepends=True):
        subject = line.split(" ", 1)[0]
        if subject != last:
            seen, last = seen + 1, subject
            if subjects is not None and seen > subjects:
                break
        lines.append(line)
    return "".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--subjects", type=int)
    args = parser.parse_args()
    text = first_subjects(args.folder / "maillage.nt", args.subjects)
    context = json.loads((args.folder / "context.jsonld").read_text(encoding="utf-8"))["@context"]
    triples = text.count("\n")
    start = time.perf_counter()
    out = io.StringIO()
    for _ in write_jsonld(ox.parse(text, format=ox.RdfFormat.N_TRIPLES), out, context):
        pass
    ours = time.perf_counter() - start
    print(f"{triples} triples")
    print(f"maillage: {ours:.2f} s, {ours / triples * 1e6:.1f} µs a triple")
    try:
        from pyld import jsonld
    except ImportError:
        print("pyld: not installed (pip install pyld), not measured")
        return
    start = time.perf_counter()
    expanded = jsonld.from_rdf(text, {"format": "application/n-quads"})
    jsonld.compact(expanded, {"@context": context})
    theirs = time.perf_counter() - start
    print(f"pyld: {theirs:.2f} s, {theirs / triples * 1e6:.1f} µs a triple ({theirs / ours:.0f}x)")


if __name__ == "__main__":
    main()
