"""Checking again after one actor file changed, on a generated national network.

    python benchmarks/rebuild.py --actors 30000 [--edits 20] [--work DIR] [--verify]
                                 [--publish DIR]

``benchmarks/generate.py`` writes the network (kept in ``--work`` and reused, copied so that
the edits do not change it), ``publish.rebuild.LiveNetwork`` checks it whole once, then each
edit changes one actor file the way a coordinator would — a name, a need that does not exist,
a referral to an unknown actor, a file deleted, then written back, a new actor — and the
check after it is timed (``LiveNetwork.update``: reading the file, swapping its triples,
validating what they can affect). ``--verify`` ends with a whole check of the edited folder
and compares (the test suite does this on every edit, at small sizes); ``--publish DIR``
times one publication from the checked graph kept in memory, which ``maillage watch`` does
after each valid change.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from benchmarks.generate import generate  # noqa: E402
from maillage.publish.beside import peak_memory_mb  # noqa: E402
from maillage.publish.rebuild import LiveNetwork  # noqa: E402


def _edit(kind: str, path: Path, rng: random.Random, stash: dict[str, str]) -> Path:
    actors = path.parent
    if kind == "restore" and stash:
        name, text = stash.popitem()
        (actors / name).write_text(text, encoding="utf-8")
        return actors / name
    if kind == "delete":
        stash[path.name] = path.read_text(encoding="utf-8")
        path.unlink()
        return path
    if kind == "new":
        new = actors / f"nouvel-acteur-{rng.randrange(10**6):06d}.yaml"
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        for key in ("sites", "services"):
            for item in doc.get(key) or []:
                item["id"] = item["id"].replace(path.stem, new.stem)
        for service in doc.get("services") or []:
            service["sites"] = [s.replace(path.stem, new.stem) for s in service.get("sites", [])]
        new.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), "utf-8")
        return new
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    if kind == "name":
        doc["name"] = f"{doc['name']} (modifié)"
    elif kind == "need" and doc.get("services"):
        doc["services"][0]["needs"] = ["besoin-inconnu"]
    elif kind == "referral":
        doc.setdefault("referrals", []).append({"to": "acteur-inconnu"})
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), "utf-8")
    return path


KINDS = ("name", "need", "referral", "delete", "restore", "new")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actors", type=int, default=30000)
    parser.add_argument("--edits", type=int, default=18)
    parser.add_argument("--work", type=Path, default=Path("/tmp/maillage-bench"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verify", action="store_true", help="compare with a whole check")
    parser.add_argument("--publish", type=Path, help="time one publication into this folder")
    args = parser.parse_args(argv)

    source = args.work / f"national-{args.actors}"
    if not (source / "network.yaml").exists():
        generate(args.actors, source, seed=args.seed)
    data = args.work / f"rebuild-{args.actors}" / "network"
    shutil.rmtree(data.parent, ignore_errors=True)
    shutil.copytree(source, data)

    start = time.perf_counter()
    live = LiveNetwork(data)
    whole = time.perf_counter() - start
    triples = len(live.built.index) if live.built else 0
    print(f"{args.actors} actors, {triples} triples")
    print(f"whole check (load, build, validate): {whole:.2f} s, peak {peak_memory_mb()} MB")

    rng = random.Random(args.seed)
    files = sorted((data / "actors").glob("*.yaml"))
    stash: dict[str, str] = {}
    times = []
    edited: set[Path] = set()
    print(f"{'edit':<10} {'file':<28} {'seconds':>8} {'nodes checked':>14} {'errors':>7}")
    for i in range(args.edits):
        kind = KINDS[i % len(KINDS)]
        path = rng.choice([f for f in files if f.exists()])
        changed = _edit(kind, path, rng, stash)
        update = live.update([changed])
        edited.add(changed)
        times.append(update.seconds)
        print(
            f"{kind:<10} {changed.name:<28} {update.seconds:>8.3f} {update.checked:>14} "
            f"{len(update.errors):>7}"
        )
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    print(
        f"check after one file changed: mean {statistics.mean(times):.3f} s, "
        f"median {statistics.median(times):.3f} s, p95 {p95:.3f} s, max {times[-1]:.3f} s"
    )
    print(f"peak memory so far: {peak_memory_mb()} MB")

    if args.verify:
        from maillage.graph.build import build_graph
        from maillage.graph.load import load_network
        from maillage.graph.vocab import load_vocabulary
        from maillage.publish.build import new_findings
        from maillage.shapes import validate

        network = load_network(data, strict=False)
        built = build_graph(network, load_vocabulary(data / "vocab", network.base))
        errors = network.errors + new_findings(validate(built), network)
        same = errors == live.errors and set(built.index) == set(live.built.index)
        print(f"whole check of the edited folder: {'same' if same else 'DIFFERENT'} result")
        if not same:
            sys.exit(1)

    if args.publish:
        from maillage.publish.build import publish

        if live.errors:  # publish what is valid: undo the edits
            shutil.rmtree(data)
            shutil.copytree(source, data)
            live.update(sorted(edited))
        report = publish(live.built, args.publish)
        stages = ", ".join(f"{k} {v:.1f}" for k, v in report.seconds.items())
        print(f"publication from memory: {sum(report.seconds.values()):.1f} s ({stages})")


if __name__ == "__main__":
    main()
