"""``maillage``: a thin click CLI over the plain Python API of graph/, shapes/ and publish/.

Exit codes: 0 success, 1 bad data or failed operation, 2 usage error.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

import click

from graph.errors import DataError, DataErrors
from publish import build as build_mod
from publish.site import SiteError
from publish.site import serve as serve_site

DATA_OPTION = click.option(
    "--data",
    "data_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default="data",
    show_default=True,
    help="Dossier des données sources (network.yaml, actors/, vocab/).",
)
OUT_OPTION = click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default="dist",
    show_default=True,
    help="Dossier publié (base SQLite, dumps RDF).",
)


def _print_errors(errors: list[DataError]) -> None:
    by_file: dict[str, list[DataError]] = defaultdict(list)
    for error in errors:
        by_file[error.file].append(error)
    for file in sorted(by_file):
        for error in by_file[file]:
            click.echo(str(error), err=True)
    files = len(by_file)
    click.echo(f"{len(errors)} erreur(s) dans {files} fichier(s) : rien n'a été publié.", err=True)


@click.group()
@click.version_option(package_name="maillage")
def cli() -> None:
    """maillage : le graphe des acteurs de l'inclusion numérique d'un territoire."""


@cli.command()
@DATA_OPTION
def validate(data_dir: Path) -> None:
    """Valide les données (YAML, référentiels, formes SHACL) sans rien publier."""
    try:
        report = build_mod.BuildReport(Path("."))
        build_mod.check(data_dir, report)
    except DataErrors as exc:
        _print_errors(exc.errors)
        sys.exit(1)
    counts = ", ".join(f"{n} {table}" for table, n in report.counts.items())
    click.echo(f"Données valides : {counts} ; {report.triples} triplets.")


@cli.command()
@DATA_OPTION
@OUT_OPTION
def build(data_dir: Path, out_dir: Path) -> None:
    """Construit et publie le réseau : base SQLite et dumps RDF, tout ou rien."""
    try:
        report = build_mod.build(data_dir, out_dir)
    except DataErrors as exc:
        _print_errors(exc.errors)
        sys.exit(1)
    except (build_mod.PublishError, SiteError) as exc:
        click.echo(f"Erreur : {exc}", err=True)
        sys.exit(1)
    click.echo(f"Publié dans {report.out}")
    for table, n in report.counts.items():
        click.echo(f"  {table:<10} {n:>6}")
    click.echo(f"  {'triplets':<10} {report.triples:>6}")
    stages = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in report.seconds.items())
    click.echo(f"Durée : {stages} (total {sum(report.seconds.values()):.2f} s)")


@cli.command()
@DATA_OPTION
@OUT_OPTION
@click.option("--port", default=8001, show_default=True, type=click.IntRange(1, 65535))
@click.option("--host", default="127.0.0.1", show_default=True, help="Adresse d'écoute.")
def serve(data_dir: Path, out_dir: Path, port: int, host: str) -> None:
    """Sert le réseau publié avec Datasette, en lecture seule (le construit si besoin)."""
    try:
        if build_mod.is_stale(data_dir, out_dir):
            click.echo("Données modifiées depuis la dernière publication : construction…")
            build_mod.build(data_dir, out_dir)
        click.echo(f"Datasette sur http://{host}:{port}/")
        serve_site(out_dir.resolve(), host=host, port=port)
    except DataErrors as exc:
        _print_errors(exc.errors)
        sys.exit(1)
    except (build_mod.PublishError, SiteError) as exc:
        click.echo(f"Erreur : {exc}", err=True)
        sys.exit(1)
