"""The published site: Datasette over ``maillage.db``, immutable, bounded, French metadata.

``metadata.yml`` (hand-written: titles, descriptions, facets, canned queries) is merged with the
model's French column labels into ``dist/metadata.json`` at build time, so that the columns are
described in one place only (``graph/model.py``).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import yaml

from maillage.graph.model import CLASSES, CONCEPT_TABLE_LABELS
from maillage.graph.tables import HOURS_IN_FORCE, SERVICE_FACET_LABELS, link_fields, link_table

TEMPLATES = Path(__file__).parent / "templates"

# Read-only and bounded: a public site must not be made to work for minutes.
SETTINGS: dict[str, Any] = {
    "sql_time_limit_ms": 1500,
    "max_returned_rows": 1000,
    "default_page_size": 50,
    "suggest_facets": False,
    "allow_download": True,  # the published database is open data (Etalab 2.0)
    "default_facet_size": 15,
}


# The map's background (network.yaml's map_tiles and map_attribution replace it): OpenStreetMap
# France's tiles, the French labels a resident reads.
MAP_TILES = "https://{s}.tile.openstreetmap.fr/osmfr/{z}/{x}/{y}.png"
MAP_ATTRIBUTION = "© les contributeurs d'OpenStreetMap, fond OpenStreetMap France"


class SiteError(Exception):
    """The site cannot be served (missing or corrupt database, bad metadata)."""


def merged_metadata(metadata_path: Path) -> dict[str, Any]:
    """metadata.yml plus the model's column descriptions for every table."""
    try:
        metadata = yaml.safe_load(metadata_path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise SiteError(f"{metadata_path} : métadonnées illisibles ({exc})") from exc
    tables = (
        metadata.setdefault("databases", {}).setdefault("maillage", {}).setdefault("tables", {})
    )
    for cls in CLASSES:
        columns = {"id": "Identifiant", "iri": "IRI (identifiant web permanent)"}
        columns.update({f.name: f.label for f in cls.columns})
        table = tables.setdefault(cls.table, {})
        table.setdefault("columns", {}).update({k: v for k, v in columns.items() if k})
        for f in link_fields(cls):
            name, own, other_col, _ = link_table(cls, f)
            link = tables.setdefault(name, {})
            link.setdefault("description", f"{cls.label} → {f.label.lower()}")
            link.setdefault("columns", {}).update({own: cls.label, other_col: f.label})
    tables.setdefault("concepts", {}).setdefault("columns", {}).update(CONCEPT_TABLE_LABELS)
    tables.setdefault("services", {}).setdefault("columns", {}).update(SERVICE_FACET_LABELS)
    tables["sites"].setdefault("columns", {})[HOURS_IN_FORCE] = (
        "En ce moment (fermetures comprises)"
    )
    return metadata


def write_metadata(metadata_path: Path, folder: Path) -> Path:
    path = folder / "metadata.json"
    path.write_text(
        json.dumps(merged_metadata(metadata_path), ensure_ascii=False, indent=2) + "\n",
        encoding="utf-8",
    )
    return path


def check_database(db: Path) -> None:
    """Refuse to serve a missing or corrupt database, with a clear message."""
    import sqlite3

    if not db.exists():
        raise SiteError(f"base de données absente : {db} (lancez « maillage build »)")
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            ok = conn.execute("PRAGMA quick_check").fetchone()[0]
            conn.execute("SELECT count(*) FROM actors").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise SiteError(f"base de données corrompue : {db} ({exc})") from exc
    if ok != "ok":
        raise SiteError(f"base de données corrompue : {db} ({ok})")


def site_argv(out: Path, host: str = "127.0.0.1", port: int = 8001) -> list[str]:
    """The command line that serves a published folder: ``maillage serve`` runs it, and so do
    the tests and benchmarks that serve a site (one way to start it)."""
    return [
        sys.executable,
        "-m",
        "maillage.publish.site",
        str(out),
        "--host",
        host,
        "--port",
        str(port),
    ]


def serve(out: Path, host: str = "127.0.0.1", port: int = 8001) -> None:
    """Replace this process with the server of ``out`` (:func:`site_argv`)."""
    check_database(out / "maillage.db")
    argv = site_argv(out, host, port)
    os.execv(argv[0], argv)


def make_datasette(out: Path):  # -> datasette.app.Datasette
    """The site of a published folder: Datasette over its immutable database, bounded
    (:data:`SETTINGS`), with the project's templates and plugin (:mod:`.plugin`)."""
    from datasette.app import Datasette

    check_database(out / "maillage.db")
    metadata = json.loads((out / "metadata.json").read_text(encoding="utf-8"))
    from maillage.publish.plugin import shared_metadata  # the plugin's speed-up of Datasette

    return Datasette(
        immutables=[str(out / "maillage.db")],
        metadata=shared_metadata(metadata),
        settings=SETTINGS,
        template_dir=str(TEMPLATES),
    )


OUT_VARIABLE = "MAILLAGE_OUT"
# Server processes behind the one port: one per core (the database is immutable, so they share
# nothing but the file; Python serves pages on one core a process)
WORKERS = max(1, min(os.cpu_count() or 1, 4))


def app_from_environment():  # -> ASGI application
    """The ASGI application uvicorn makes in each of its processes."""
    return make_datasette(Path(os.environ[OUT_VARIABLE])).app()


def main(argv: list[str] | None = None) -> None:
    """Serve a published folder with uvicorn (the command line of :func:`site_argv`)."""
    import argparse

    import uvicorn

    parser = argparse.ArgumentParser(prog="maillage-site")
    parser.add_argument("out", type=Path)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--workers", type=int, default=WORKERS)
    args = parser.parse_args(argv)
    out = args.out.resolve()
    try:
        check_database(out / "maillage.db")
    except SiteError as exc:
        sys.exit(f"Erreur : {exc}")
    os.environ[OUT_VARIABLE] = str(out)
    uvicorn.run(
        "maillage.publish.site:app_from_environment",
        factory=True,
        host=args.host,
        port=args.port,
        log_level="warning",
        proxy_headers=False,
        server_header=False,
        workers=args.workers,
    )


if __name__ == "__main__":
    main()
