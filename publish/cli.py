"""``maillage``: a thin click CLI over the plain Python API of graph/, shapes/ and publish/.

Exit codes: 0 success, 1 bad data or failed operation, 2 usage error.
"""

from __future__ import annotations

import io
import json
import os
import re
import sqlite3
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click

from maillage.graph import hours
from maillage.graph.analytics import analytics_tables
from maillage.graph.contact import phone_display
from maillage.graph.duplicates import decisions, declare_distinct, likely_pairs
from maillage.graph.errors import DataError, DataErrors, os_reason
from maillage.graph.freshness import DEFAULT_RECHECK_MONTHS, months_before
from maillage.graph.levels import derivations, without_levels
from maillage.graph.load import load_network, read_source
from maillage.graph.model import CHANNEL_LABELS, CLASSES
from maillage.graph.network import NO_PATH, ReferralNetwork, UnknownId, by_demand, coverage
from maillage.graph.parcours import Parcours, what_breaks
from maillage.graph.parcours import parcours as parcours_of
from maillage.graph.tables import graph_tables
from maillage.publish import build as build_mod
from maillage.publish import clickfr
from maillage.publish.address import site_warning
from maillage.publish.connection import ask, check_published_ids, orientations, within_hops
from maillage.publish.connection import rows as rows_of
from maillage.publish.csvcells import SafeDictWriter
from maillage.publish.guide import GUIDE_TABLES, GuideTooLarge, Selection, guide_model, render_guide
from maillage.publish.history import changed_dumps, changes, french
from maillage.publish.importer import (
    ImportReport,
    import_data_inclusion,
    import_lieux,
    undo_import,
)
from maillage.publish.plot import coverage_matrix
from maillage.publish.rebuild import LiveNetwork, Published, Publisher, Update
from maillage.publish.rebuild import watch as watch_folder
from maillage.publish.report import TABLES as REPORT_TABLES
from maillage.publish.report import actions_report, csv_text, markdown
from maillage.publish.search import distance_in_words
from maillage.publish.sheets import TABLES as SHEET_TABLES
from maillage.publish.sheets import write_sheets
from maillage.publish.site import SiteError
from maillage.publish.site import serve as serve_site
from maillage.publish.slip import SLIP_TABLES, render_slip, slip_model
from maillage.publish.sparql import DEFAULT_TIMEOUT, PushError, QueryError, load_published, render
from maillage.publish.sparql import push as push_graph
from maillage.publish.sparql import query as run_query
from maillage.publish.standards_out import write_data_inclusion, write_lieux_csv, write_openreferral
from maillage.publish.texttable import terminal_text, text_table

clickfr.install()  # Click's messages in French, before any option is declared

# An absolute IRI (RFC 3987): a scheme, a colon, then no space nor <>"{}|\^` (urn:, http:...)
GRAPH_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]+")

DATA_OPTION = click.option(
    "--data",
    "data_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    callback=lambda _ctx, _param, value: value or build_mod.default_data_dir(),
    help="Dossier des données sources (network.yaml, actors/, vocab/) ; par défaut ./data, ou"
    " à défaut le réseau d'exemple fourni avec maillage.",
)
OUT_OPTION = click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default="dist",
    show_default=True,
    help="Dossier publié (base SQLite, dumps RDF).",
)


def _print_errors(errors: list[DataError], outcome: str = "rien n'a été publié") -> None:
    by_file: dict[str, list[DataError]] = defaultdict(list)
    for error in errors:
        by_file[error.file].append(error)
    for file in sorted(by_file):
        for error in by_file[file]:
            # a value quoted from the data may hold escape sequences for the terminal
            click.echo(terminal_text(str(error), lines=True), err=True)
    files = len(by_file)
    click.echo(f"{len(errors)} erreur(s) dans {files} fichier(s) : {outcome}.", err=True)


# What the API raises when an operation fails (as opposed to bad data): a message, exit 1.
FAILURES = (build_mod.PublishError, SiteError, QueryError, PushError)


STAGE_NAMES = {
    "load": "lecture des fichiers",
    "build": "construction du graphe",
    "validate": "validation SHACL",
    "ecriture": "écriture des fiches",
}
LONG = 1000  # items: below this a stage is too short to be worth a progress display


class StageProgress:
    """Progress of long stages on stderr: a bar on a terminal, plain lines otherwise."""

    def __init__(self, stream: object = None) -> None:
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._bar: object = None
        self._stage: str | None = None
        self._tenth = -1

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage == "attente":
            click.echo("Une autre construction publie dans ce dossier : attente…", file=self.stream)
            return
        label = STAGE_NAMES.get(stage) or STAGE_WORDS.get(stage, stage)
        if self.tty and total > 1:
            if self._stage != stage:
                self.close()
                self._stage = stage
                self._bar = click.progressbar(
                    length=total, label=label, file=self.stream, show_pos=True
                )
                self._bar.__enter__()
            self._bar.update(done - self._bar.pos)
            if done >= total:
                self.close()
        elif not self.tty and total >= LONG:
            tenth = done * 10 // total
            if self._stage != stage:
                self._stage, self._tenth = stage, -1
            if tenth > self._tenth:
                self._tenth = tenth
                click.echo(f"{label} : {done}/{total} ({tenth * 10} %)", file=self.stream)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None
        self._stage = None


@contextmanager
def _reported(prefix: str = "") -> Iterator[None]:
    """Turn the API's exceptions into the CLI's messages and exit codes, in one place."""
    try:
        yield
    except DataErrors as exc:
        _print_errors(exc.errors)
        sys.exit(1)
    except FAILURES as exc:
        click.echo(f"{prefix}Erreur : {exc}", err=True)
        # a folder refused is a usage error: nothing was attempted
        sys.exit(2 if isinstance(exc, build_mod.FolderRefused) else 1)


def os_problem(exc: OSError) -> str:
    """An operating system error in French, with the file it is about."""
    reason = os_reason(exc)
    return f"{exc.filename} : {reason}" if exc.filename else reason


class CommandGroup(click.Group):
    """The commands' group: what no command turned into a message of its own (a file that
    cannot be read or written, a damaged database) is still a French message, exit 1,
    never a Python traceback."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        # today's English names stay aliases of the French ones, so nothing written breaks
        return super().get_command(ctx, ENGLISH_NAMES.get(cmd_name, cmd_name))

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except OSError as exc:
            click.echo(f"Erreur : {os_problem(exc)}", err=True)
            sys.exit(1)
        except sqlite3.DatabaseError as exc:
            click.echo(
                f"Erreur : base de données illisible ou abîmée ({exc}) : relancez « maillage "
                "build »",
                err=True,
            )
            sys.exit(1)
        except UnicodeDecodeError as exc:
            click.echo(f"Erreur : texte qui n'est pas en UTF-8 (octet {exc.start})", err=True)
            sys.exit(1)


# The commands' French names, by the English name each had first (kept as an alias).
ENGLISH_NAMES = {
    "build": "construire",
    "validate": "valider",
    "watch": "surveiller",
    "serve": "servir",
    "refer": "orienter",
    "gaps": "lacunes",
    "diff": "comparer",
    "push": "envoyer",
    "report": "rapport",
    "import": "importer",
    "export": "exporter",
}
# The build's stages in words (publish/build.py STAGES), for its summary.
STAGE_WORDS = {
    "load": "lecture",
    "build": "graphe",
    "validate": "validation",
    "folder": "dossier",
    "rdf": "RDF",
    "dumps": "exports RDF",
    "history": "historique",
    "void": "VoID",
    "tables": "tables",
    "network": "réseau",
    "plot": "carte de couverture",
    "api": "API",
    "publication": "publication",
    "guide": "guide",
    "sqlite": "base SQLite",
    "search": "recherche",
    "index": "index",
    "dashboard": "tableau de bord",
    "exports": "exports",
    "catalog": "catalogue",
    "fsync": "écriture sur disque",
    "publish": "mise en ligne",
    "cleanup": "nettoyage",
}


def counted_words(table: str, n: int) -> str:
    """What a count of ``table`` counts, in French, from the model's label: ``acteurs``."""
    if table == "refersTo":
        return "liens « oriente vers »"
    label = next((c.label for c in CLASSES if c.table == table), table).lower()
    label = label.split(" ou ")[0]  # "fermeture ou horaires exceptionnels": a closure
    if n <= 1:
        return label
    return " ".join(
        w if w.endswith(("s", "x")) else w + ("x" if w.endswith("eu") else "s")
        for w in label.split()
    )


def stage_words(seconds: dict[str, float]) -> str:
    return ", ".join(f"{STAGE_WORDS.get(name, name)} {s:.2f} s" for name, s in seconds.items())


def format_option(*choices: str, default: str | None = None, help: str | None = None):
    """The ``--format`` option of a command: its choices, the first by default."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(list(choices)),
        default=default or choices[0],
        show_default=True,
        help=help,
    )


def output_option(help: str, file: bool | None = True, required: bool = True):
    """The ``-o/--output`` option: a file (``file``), a folder (False) or either (None)."""
    path = click.Path(dir_okay=file is not True, file_okay=file is not False, path_type=Path)
    return click.option("-o", "--output", required=required, default=None, type=path, help=help)


@click.group(cls=CommandGroup)
@click.version_option(package_name="maillage")
def cli() -> None:
    """maillage : le graphe des acteurs de l'inclusion numérique d'un territoire."""


@cli.command()
@DATA_OPTION
@click.option(
    "-v",
    "--verbose",
    is_flag=True,
    help="Dit aussi ce que la validation a déduit : les niveaux du parcours des services qui"
    " n'en donnent pas, tirés de leurs modalités.",
)
def validate(data_dir: Path, verbose: bool) -> None:
    """Valide les données (YAML, référentiels, formes SHACL) sans rien publier."""
    progress = StageProgress()
    report = build_mod.BuildReport(Path("."), progress=progress)
    with _reported():
        try:
            built = build_mod.check(data_dir, report)
        finally:
            progress.close()
    if verbose:
        derived = derivations(built.network, built.vocab)
        for line in derived:
            click.echo(str(line))
        click.echo(
            f"{len(derived)} service(s) sans niveaux du parcours (levels) : niveaux déduits de "
            "leurs modalités."
        )
        for where in without_levels(built.network, built.vocab):
            click.echo(
                f"{where}: levels: ni niveau ni modalité qui en donne un : le service n'est "
                "dans aucun parcours"
            )
    # what deserves a second look (a personal contact, a commune's centre far from its
    # places): warned, not refused (the data stays valid)
    for warning in report.warnings:
        click.echo(warning, err=True)
    counts = ", ".join(f"{n} {counted_words(table, n)}" for table, n in report.counts.items())
    click.echo(f"Données valides : {counts} ; {report.triples} triplets.")


@cli.command()
@DATA_OPTION
@OUT_OPTION
@click.option(
    "--cache/--no-cache",
    default=True,
    show_default=True,
    help="Garder ce que donne chaque fichier d'acteur (dans le dossier publié, fichier"
    " .maillage-cache.pickle, jamais servi) : la construction suivante ne relit que les"
    " fichiers modifiés.",
)
def build(data_dir: Path, out_dir: Path, cache: bool) -> None:
    """Construit et publie le réseau : base SQLite et dumps RDF, tout ou rien."""
    progress = StageProgress()
    with _reported():
        try:
            # not freed here: the console script ends right after (main)
            report = build_mod.build(data_dir, out_dir, progress=progress, cache=cache, free=False)
        finally:
            progress.close()
    click.echo(f"Publié dans {report.out}")
    for table, n in report.counts.items():
        click.echo(f"  {counted_words(table, n):<24} {n:>6}")
    click.echo(f"  {'triplets':<24} {report.triples:>6}")
    stages = stage_words(report.seconds)
    click.echo(f"Durée : {stages} (total {sum(report.seconds.values()):.2f} s)")
    if report.beside:
        beside = ", ".join(
            f"{STAGE_WORDS.get(name, name)} {seconds:.2f} s"
            + (f" ({report.beside_peak_mb[name]:.0f} Mo)" if name in report.beside_peak_mb else "")
            for name, seconds in report.beside.items()
        )
        click.echo(f"En parallèle (autres processus ; index : un fil d’exécution) : {beside}")
    if report.peak_mb:
        click.echo(f"Mémoire maximale : {max(report.peak_mb.values()):.0f} Mo")
    for warning in report.warnings:
        click.echo(warning, err=True)
    if _SCRIPT and report.kept:
        _end_now()


# True when the process is the console script (main), not a caller of ``cli`` (tests, scripts).
_SCRIPT = False


def main() -> None:
    """The console script ``maillage``."""
    global _SCRIPT
    _SCRIPT = True
    cli(prog_name="maillage")


def _end_now() -> None:
    """End the process now, with success, without freeing what it holds: a national network's
    graph, tables and network are millions of objects that Python would free one by one (two to
    three seconds at 30,000 actors), when the system takes the process's memory back at once.
    Everything the build wrote is already in place and fsynced; the processes it started are
    stopped; only the standard streams are left to flush."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


@cli.command()
@DATA_OPTION
@OUT_OPTION
@click.option(
    "--publish/--no-publish",
    "publish",
    default=True,
    show_default=True,
    help="Republier après chaque modification, quand les données sont valides.",
)
def watch(data_dir: Path, out_dir: Path, publish: bool) -> None:
    """Surveille les données : revérifie chaque fichier enregistré, puis republie.

    Après la vérification complète du départ, seul ce qu'un fichier d'acteur modifié peut
    changer est revérifié (une seconde environ sur 30 000 acteurs). Ctrl-C pour arrêter.
    """
    progress = StageProgress()
    start = time.perf_counter()
    try:
        live = LiveNetwork(data_dir, progress)
    finally:
        progress.close()
    first = Update([], time.perf_counter() - start, live.errors, whole=True)

    def published(outcome: Published) -> None:
        if outcome.error is not None:
            click.echo(f"Erreur : {outcome.error}", err=True)
        else:
            click.echo(f"Publié dans {outcome.out} en {outcome.seconds:.1f} s")

    publisher = Publisher(out_dir, published)

    def on_update(update: Update) -> None:
        files = ", ".join(update.files) or str(data_dir)
        how = "en entier" if update.whole else f"{update.checked} nœud(s) revérifié(s)"
        click.echo(f"{files} : vérifié en {update.seconds:.2f} s ({how})")
        if not update.valid:
            _print_errors(update.errors, "la publication précédente reste en place")
            return
        click.echo("Données valides." + (" Publication…" if publish else ""))
        if publish:
            publisher.request(live)

    on_update(first)
    click.echo(f"Surveillance de {data_dir} (Ctrl-C pour arrêter)…")
    try:
        watch_folder(live, on_update, tick=publisher.poll)
    except KeyboardInterrupt:
        click.echo("Arrêt de la surveillance.")
    finally:
        publisher.close()


@cli.command()
@DATA_OPTION
@OUT_OPTION
@click.option("--port", default=8001, show_default=True, type=click.IntRange(1, 65535))
@click.option("--host", default="127.0.0.1", show_default=True, help="Adresse d'écoute.")
def serve(data_dir: Path, out_dir: Path, port: int, host: str) -> None:
    """Sert le réseau publié avec Datasette, en lecture seule (le construit si besoin)."""
    with _reported():
        if build_mod.is_stale(data_dir, out_dir):
            click.echo("Données modifiées depuis la dernière publication : construction…")
            build_mod.build(data_dir, out_dir)
        click.echo(f"Datasette sur http://{host}:{port}/")
        serve_site(out_dir.resolve(), host=host, port=port)


def _published(data_dir: Path, out_dir: Path) -> Path:
    """The published folder, rebuilt first when the data changed since."""
    with _reported():
        return build_mod.published(data_dir, out_dir)


def _network(data_dir: Path, out_dir: Path) -> ReferralNetwork:
    with _reported():
        return ReferralNetwork.from_tables(build_mod.published_tables(data_dir, out_dir))


@cli.command()
@click.option(
    "--depuis",
    "--from",
    "source",
    required=True,
    help="Identifiant de l'acteur où est la personne.",
)
@click.option(
    "--besoin", "--need", "need", required=True, help="Code du besoin (référentiel needs)."
)
@click.option("--public", default=None, help="Code du public (référentiel publics).")
@click.option("--commune", default=None, help="Code INSEE de la commune.")
@click.option(
    "--support",
    default=None,
    help="Prise en charge spécifique exigée (référentiel supports), par exemple surdite.",
)
@click.option(
    "--lieu",
    default=None,
    help="Où habite la personne (commune, code postal ou code INSEE) : les distances se "
    "mesurent de là plutôt que depuis l'acteur.",
)
@click.option(
    "--etapes-max",
    "--max-hops",
    "max_hops",
    default=4,
    show_default=True,
    type=click.IntRange(0, 4),
    help="Nombre d'orientations au plus (le site en suit 4).",
)
@format_option(
    "table",
    "json",
    "pdf",
    help="pdf : la fiche d'orientation à remettre (une page A4), dans le fichier -o.",
)
@output_option("Fichier de la fiche d'orientation (--format pdf).", required=False)
@click.option(
    "--reponse",
    "--answer",
    "choice",
    default=1,
    show_default=True,
    type=click.IntRange(1, 100),
    help="Quelle réponse mettre sur la fiche (1 : la première).",
)
@click.option(
    "--demi-page",
    "half",
    is_flag=True,
    help="Avec --format pdf : la fiche sur une demi-feuille A4 (A5), pour un guichet.",
)
@DATA_OPTION
@OUT_OPTION
def refer(
    source: str,
    need: str,
    public: str | None,
    commune: str | None,
    support: str | None,
    lieu: str | None,
    max_hops: int,
    fmt: str,
    output: Path | None,
    choice: int,
    half: bool,
    data_dir: Path,
    out_dir: Path,
) -> None:
    """Vers qui orienter une personne qui a un besoin, depuis un acteur, et par qui passer."""
    # the site's own `orienter` query, on the published database (one answer, one door)
    dist = _published(data_dir, out_dir)
    try:
        check_published_ids(
            dist, actor=source, need=need, public=public, commune=commune, support=support
        )
    except UnknownId as exc:
        click.echo(f"Erreur : {exc}", err=True)
        sys.exit(2)
    found = ask(
        dist,
        "orienter",
        {
            "actor": source,
            "need": need,
            "public": public,
            "commune": commune,
            "support": support,
            "lieu": lieu,
        },
    )
    answers = within_hops(orientations(dist, found), max_hops)
    if fmt == "json":
        click.echo(json.dumps([a.as_dict() for a in answers], ensure_ascii=False, indent=2))
        return
    if fmt == "pdf":
        if output is None or not 1 <= choice <= len(answers):
            click.echo(
                "Erreur : la fiche d'orientation demande -o FICHIER.pdf et une réponse "
                f"existante (--answer 1 à {len(answers)})",
                err=True,
            )
            sys.exit(2)
        tables = build_mod.published_tables(data_dir, out_dir, names=SLIP_TABLES)
        answer = answers[choice - 1]
        render_slip(slip_model(answer, need, source, tables, date.today(), half=half), output)
        click.echo(f"Fiche d'orientation écrite dans {output} : {answer.advice}")
        return
    if not answers:
        click.echo("Aucun acteur ne propose de service pour ce besoin.")
        return
    if all(a.hops is None for a in answers):
        click.echo(f"Aucun chemin d'orientation depuis {source} : contacter directement.")
    rows = [
        [
            a.hops if a.hops is not None else "-",
            a.actor_name,
            a.service_name,
            " → ".join(a.path_names) if a.path else NO_PATH,
            a.site.address if a.site else "",
            hours.in_words(a.site.opening_hours) if a.site else "",
            f"{a.distance_km:.1f}" if a.distance_km is not None else "",
        ]
        for a in answers
    ]
    click.echo(
        text_table(["étapes", "acteur", "service", "chemin", "adresse", "horaires", "km"], rows)
    )


@cli.command()
@click.argument("texte", default="")
@click.option("--commune", default=None, help="Où est la personne : nom, code postal ou INSEE.")
@click.option("--besoin", default=None, help="Code du besoin (référentiel needs), facultatif.")
@click.option("--public", default=None, help="Code du public (référentiel publics), facultatif.")
@format_option("table", "json")
@DATA_OPTION
@OUT_OPTION
def chercher(
    texte: str,
    commune: str | None,
    besoin: str | None,
    public: str | None,
    fmt: str,
    data_dir: Path,
    out_dir: Path,
) -> None:
    """Chercher un lieu ou un service, comme la recherche du site (mêmes réponses, même ordre)."""
    dist = _published(data_dir, out_dir)
    try:
        check_published_ids(dist, need=besoin, public=public)
    except UnknownId as exc:
        click.echo(f"Erreur : {exc}", err=True)
        sys.exit(2)
    found = ask(
        dist, "chercher", {"q": texte, "commune": commune, "besoin": besoin, "public": public}
    )
    if fmt == "json":
        click.echo(json.dumps(found, ensure_ascii=False, indent=2))
        return
    if commune and found and not found[0]["depuis"]:
        click.echo(
            f"Commune « {commune} » inconnue du réseau : réponses non classées par distance."
        )
    if not found:
        click.echo(
            "Aucune réponse : essayez un mot plus général, un sigle (CCAS, MJC), une commune "
            "voisine, ou maillage refer depuis la structure de la personne."
        )
        return
    rows = [
        [
            r["nom"],
            r["commune"],
            "" if r["distance_km"] is None else distance_in_words(r["distance_km"]),
            r["ouverture"] or "",
            phone_display(r["telephone"]) if r["telephone"] else "",
            r["quoi"] or "",
        ]
        for r in found
    ]
    click.echo(
        text_table(["acteur", "commune", "distance", "en ce moment", "téléphone", "quoi"], rows)
    )


@cli.command()
@click.option(
    "--besoin", "--need", "need", required=True, help="Code du besoin (référentiel needs)."
)
@click.option("--commune", required=True, help="Code INSEE de la commune.")
@click.option("--public", default=None, help="Code du public (référentiel publics).")
@format_option("table", "json")
@DATA_OPTION
@OUT_OPTION
def parcours(
    need: str, commune: str, public: str | None, fmt: str, data_dir: Path, out_dir: Path
) -> None:
    """Le parcours d'un besoin dans une commune : de l'accès libre à l'autonomie, qui est à
    chaque niveau et quelles orientations font monter d'un niveau."""
    network = _network(data_dir, out_dir)
    try:
        found = parcours_of(
            network, f"needs/{need}", commune, f"publics/{public}" if public else None
        )
    except UnknownId as exc:
        click.echo(f"Erreur : {exc}", err=True)
        sys.exit(2)
    if fmt == "json":
        click.echo(json.dumps(found.as_dict(), ensure_ascii=False, indent=2))
        return
    click.echo("\n".join(_parcours_lines(network, found)))


def _parcours_lines(network: ReferralNetwork, found: Parcours) -> list[str]:
    name = network.name
    who = f" ({network.labels.get(found.public, found.public)})" if found.public else ""
    title = f"Parcours « {network.labels.get(found.need)} » à {network.communes[found.commune]}"
    state = f"{what_breaks(found)}." if found.broken else "complet."
    lines = [f"{title}{who} : {state}", ""]
    for step in found.steps:
        lines.append(f"{step.rank}. {step.label}")
        lines += [f"   - {name(a)}" for a in step.actors] or ["   (personne)"]
    lines.append("")
    if found.climbs:
        lines.append("Orientations qui font monter d'un niveau :")
        lines.append(
            text_table(
                ["niveaux", "de", "vers", "canal"],
                [
                    [
                        f"{c.from_rank} → {c.to_rank}",
                        name(c.from_actor),
                        name(c.to_actor),
                        CHANNEL_LABELS.get(
                            network.graph.edges[c.from_actor, c.to_actor].get("channel") or "", ""
                        ),
                    ]
                    for c in found.climbs
                ],
            )
        )
    else:
        lines.append("Aucune orientation ne fait monter d'un niveau.")
    if found.stays:
        lines += ["", "Sur place, chez le même acteur :"]
        lines += [f"  {low} → {high} : {name(actor)}" for actor, low, high in found.stays]
    return lines


@cli.command()
@format_option("table", "json", "csv")
@click.option(
    "--plot",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Écrit la matrice de couverture en PNG et en SVG (même nom).",
)
@DATA_OPTION
@OUT_OPTION
def gaps(fmt: str, plot: Path | None, data_dir: Path, out_dir: Path) -> None:
    """Ce que le réseau ne couvre pas : lacunes, couverture fragile, points faibles."""
    network = _network(data_dir, out_dir)
    rows = coverage(network)
    tables, weak = analytics_tables(network, rows)
    if plot is not None:
        plot.parent.mkdir(parents=True, exist_ok=True)
        written = coverage_matrix(network, plot, rows)
        click.echo("Matrice écrite : " + ", ".join(str(p) for p in written), err=True)
    public_rows = [{k: v for k, v in r.items() if k != "providers"} for r in rows]
    if fmt == "json":
        click.echo(json.dumps({"coverage": public_rows, **weak}, ensure_ascii=False, indent=2))
    elif fmt == "csv":
        out = io.StringIO()
        writer = SafeDictWriter(out, fieldnames=["need", "public", "commune", "actors", "demand"])
        writer.writeheader()
        writer.writerows(public_rows)
        click.echo(out.getvalue(), nl=False)
    else:
        label = network.labels.get
        weak_rows = sorted(
            (r for r in rows if r["public"] is None and r["actors"] <= 1), key=by_demand
        )
        click.echo(
            "Lacunes (0 acteur) et couverture fragile (1 acteur), tous publics, "
            "les plus demandées d'abord :"
        )
        click.echo(
            text_table(
                ["acteurs", "demande", "besoin", "commune", "qui"],
                [
                    [
                        r["actors"],
                        f"{r['demand']:g} %" if r["demand"] is not None else "",
                        label(f"needs/{r['need']}"),
                        network.communes[r["commune"]],
                        ", ".join(r["providers"]),
                    ]
                    for r in weak_rows
                ],
            )
        )
        click.echo("")
        click.echo(
            "Parcours interrompus (un niveau manque, ou aucune orientation ne mène au suivant), "
            "les plus demandés d'abord :"
        )
        click.echo(
            text_table(
                ["demande", "besoin", "commune", "ce qui manque"],
                [
                    [
                        f"{r['demand']:g} %" if r["demand"] is not None else "",
                        label(f"needs/{r['need']}"),
                        network.communes[r["commune"]],
                        r["what"],
                    ]
                    for r in weak["broken_parcours"]
                ],
            )
        )
        click.echo("")
        click.echo(
            text_table(
                ["type", "explication"],
                [
                    [g["kind"], g["detail"]]
                    for g in tables["gaps"]
                    if g["kind"] not in ("lacune", "parcours interrompu")
                ],
            )
        )


@cli.command()
@click.argument("query_or_file")
@format_option("table", "csv", "json", "turtle")
@click.option(
    "--timeout",
    default=DEFAULT_TIMEOUT,
    show_default=True,
    type=click.FloatRange(0.1, 3600),
    help="Durée maximale de la requête, en secondes.",
)
@click.option(
    "--service/--no-service",
    default=False,
    show_default=True,
    help="Autoriser SERVICE (la requête interroge d'autres serveurs SPARQL).",
)
@DATA_OPTION
@OUT_OPTION
def sparql(
    query_or_file: str, fmt: str, timeout: float, service: bool, data_dir: Path, out_dir: Path
) -> None:
    """Interroge le graphe publié en SPARQL (SELECT, ASK, CONSTRUCT) ; requête ou fichier .rq."""
    path = Path(query_or_file)
    text = query_or_file
    if path.suffix in (".rq", ".sparql") or (len(query_or_file) < 4096 and path.exists()):
        problems: list[DataError] = []
        raw = read_source(path, query_or_file, problems, limit=1024 * 1024)
        if raw is None:
            _print_errors(problems, "aucune requête lancée")
            sys.exit(2)
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            click.echo(f"{query_or_file}:{line}: la requête n'est pas en UTF-8", err=True)
            sys.exit(2)
    with _reported():
        if build_mod.is_stale(data_dir, out_dir):
            build_mod.build(data_dir, out_dir)
        graph = load_published(out_dir / "maillage.nt")
        click.echo(render(run_query(graph, text, timeout=timeout, service=service), fmt))


@cli.command()
@click.option("--endpoint", required=True, help="URL du Graph Store (ex. http://hôte/store).")
@click.option(
    "--graph",
    "graph_iri",
    default=None,
    help="IRI du graphe nommé à remplacer (défaut : {base}/graphe).",
)
@click.option(
    "--query-endpoint",
    default=None,
    help="URL de requête SPARQL pour la vérification (défaut : déduite).",
)
@click.option(
    "--user",
    envvar="MAILLAGE_SPARQL_USER",
    default=None,
    help="Utilisateur (ou variable MAILLAGE_SPARQL_USER).",
)
@click.option(
    "--password",
    envvar="MAILLAGE_SPARQL_PASSWORD",
    default=None,
    help="Mot de passe (ou variable MAILLAGE_SPARQL_PASSWORD).",
)
@click.option(
    "--chunk",
    default=20000,
    show_default=True,
    type=click.IntRange(1, 10**7),
    help="Triplets par envoi.",
)
@DATA_OPTION
@OUT_OPTION
def push(
    endpoint: str,
    graph_iri: str | None,
    query_endpoint: str | None,
    user: str | None,
    password: str | None,
    chunk: int,
    data_dir: Path,
    out_dir: Path,
) -> None:
    """Remplace un graphe nommé d'un serveur SPARQL (Graph Store Protocol) par le graphe."""
    # the newline ends the progress bar's line before the message
    with _reported(prefix="\n"):
        if build_mod.is_stale(data_dir, out_dir):
            build_mod.build(data_dir, out_dir)
        nt = out_dir / "maillage.nt"
        if graph_iri is None:
            graph_iri = json.loads((out_dir / "build.json").read_text(encoding="utf-8"))["graph"]
        if not GRAPH_IRI.fullmatch(graph_iri):
            click.echo(f"Erreur : IRI de graphe invalide : {graph_iri}", err=True)
            sys.exit(2)
        total = sum(1 for line in nt.open(encoding="utf-8") if line.strip())
        with click.progressbar(length=total, label="Envoi", file=sys.stderr) as bar:
            report = push_graph(
                nt,
                endpoint,
                graph_iri,
                query_url=query_endpoint,
                auth=(user, password or "") if user else None,
                chunk_lines=chunk,
                progress=bar.update,
            )
    state = "créé" if report.created else "remplacé"
    click.echo(
        f"Graphe <{report.graph}> {state} : {report.triples} triplets en {report.chunks} "
        f"envoi(s), {report.server_count} vérifiés sur le serveur."
    )


@cli.command()
@click.argument("old", type=click.Path(exists=True, path_type=Path))
@click.argument("new", type=click.Path(exists=True, path_type=Path))
def diff(old: Path, new: Path) -> None:
    """Ce qui a changé entre deux publications (dossiers dist/ ou fichiers N-Triples)."""
    try:
        found = changes(*changed_dumps(old, new))
    except (OSError, ValueError) as exc:
        click.echo(f"Erreur : lecture impossible : {exc}", err=True)
        sys.exit(1)
    click.echo(french(found))


@cli.command()
@click.option(
    "--mois",
    "months",
    type=click.IntRange(1, 120),
    default=None,
    help="Délai avant une nouvelle vérification (défaut : recheck_months de network.yaml, 12).",
)
@click.option(
    "--date",
    "today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Date du jour à prendre (AAAA-MM-JJ ; défaut : aujourd'hui).",
)
@format_option("table", "json")
@DATA_OPTION
@OUT_OPTION
def verifier(
    months: int | None, today: datetime | None, fmt: str, data_dir: Path, out_dir: Path
) -> None:
    """Les fiches à vérifier : jamais vérifiées ou vérifiées depuis trop longtemps."""
    # the coordinators' page's own query, on the published database (one answer, one door)
    dist = _published(data_dir, out_dir)
    if months is None:
        (publication,) = rows_of(dist, "SELECT recheck_months FROM publication")
        months = int(publication["recheck_months"] or DEFAULT_RECHECK_MONTHS)
    day = today.date() if today else date.today()
    rows = ask(dist, "fiches_a_verifier", {"mois": str(months), "jour": day.isoformat()})
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    click.echo(
        f"{len(rows)} fiche(s) jamais vérifiée(s) ou vérifiée(s) avant le "
        f"{months_before(day, months).isoformat()} ({months} mois) :"
    )
    click.echo(
        text_table(
            ["type", "fiche", "acteur", "vérifiée le", "courriel", "téléphone"],
            [
                [
                    r["type"],
                    r["id"],
                    r["acteur"],
                    r["verifie_le"] or "jamais",
                    r["courriel"] or "",
                    phone_display(r["telephone"]) if r["telephone"] else "",
                ]
                for r in rows
            ],
        )
    )


@cli.command()
@click.option(
    "--acteur",
    "--actor",
    "actor_ids",
    multiple=True,
    help="Identifiant d'un acteur (répétable ; défaut : tous les acteurs).",
)
@output_option("Dossier où écrire les fiches (une par acteur, {acteur}.pdf ou .html).", file=False)
@format_option(
    "pdf", "html", help="pdf (A4, à imprimer et envoyer) ou html (à imprimer depuis le navigateur)."
)
@DATA_OPTION
@OUT_OPTION
def fiches(
    actor_ids: tuple[str, ...], output: Path, fmt: str, data_dir: Path, out_dir: Path
) -> None:
    """Fiches de vérification à imprimer : une par partenaire, avant chaque édition du guide."""
    with _reported():
        tables = build_mod.published_tables(data_dir, out_dir, names=SHEET_TABLES)
    try:
        written = write_sheets(tables, output, list(actor_ids) or None, fmt=fmt)
    except KeyError as exc:
        click.echo(f"Erreur : acteur inconnu : {exc.args[0]}", err=True)
        sys.exit(2)
    click.echo(f"{len(written)} fiche(s) écrite(s) dans {output}")


@cli.command()
@click.option(
    "--commune",
    "communes",
    multiple=True,
    help="Code INSEE d'une commune (répétable ; défaut : toutes les communes du réseau).",
)
@click.option(
    "--pole",
    type=click.Choice(["necessite", "accomplissement", "loisir-mediation"]),
    help="Un seul pôle (défaut : les trois).",
)
@click.option(
    "--gros-caracteres",
    "large",
    is_flag=True,
    help="L'édition en gros caractères (texte en 14 points, un acteur par page).",
)
@output_option("Fichier PDF à écrire (livret A5).")
@DATA_OPTION
@OUT_OPTION
def guide(
    communes: tuple[str, ...],
    pole: str | None,
    large: bool,
    output: Path,
    data_dir: Path,
    out_dir: Path,
) -> None:
    """Le guide à imprimer « Qui ? fait Quoi ? et Où ? » (PDF, A5)."""
    with _reported():
        tables = build_mod.published_tables(data_dir, out_dir, names=GUIDE_TABLES)
    known = {s["insee"] for s in tables["sites"]}
    unknown = [c for c in communes if c not in known]
    if unknown:
        click.echo(f"Erreur : aucun lieu du réseau dans la commune {', '.join(unknown)}", err=True)
        sys.exit(2)
    try:
        model = guide_model(tables, Selection(communes, pole), large=large)
    except GuideTooLarge as exc:
        click.echo(f"Erreur : {exc}", err=True)
        sys.exit(2)
    render_guide(model, output)
    click.echo(
        f"Guide écrit dans {output} : {len(model['index'])} acteurs, {model['entries']} entrées."
    )
    warning = site_warning(tables["publication"][0].get("site"))
    if warning:
        click.echo(warning, err=True)


@cli.group()
def report() -> None:
    """Rapports pour les coordinateurs."""


@report.command(name="actions")
@click.option(
    "--annee",
    "--year",
    "year",
    required=True,
    type=click.IntRange(1990, 2100),
    help="Année du rapport.",
)
@format_option("md", "csv")
@DATA_OPTION
@OUT_OPTION
def report_actions(year: int, fmt: str, data_dir: Path, out_dir: Path) -> None:
    """Inventaire annuel des actions par pôle et par acteur, avec les totaux."""
    with _reported():
        tables = build_mod.published_tables(data_dir, out_dir, names=REPORT_TABLES)
    result = actions_report(tables, year)
    if fmt == "csv":
        click.echo(csv_text(result), nl=False)
    else:
        name = json.loads((out_dir / "build.json").read_text(encoding="utf-8"))["name"]
        click.echo(markdown(result, name), nl=False)


@report.command(name="annuel")
@click.option("--annee", "--year", "year", required=True, type=click.IntRange(1990, 2100))
@output_option("Le rapport à écrire (PDF).")
@DATA_OPTION
@OUT_OPTION
def report_annual(year: int, output: Path, data_dir: Path, out_dir: Path) -> None:
    """Le rapport annuel du réseau à imprimer (PDF) : membres, publications de l'année,
    couverture et lacunes, actions par pôle, fraîcheur des fiches."""
    from maillage.publish.annual import ReportError, annual_report

    with _reported():
        if build_mod.is_stale(data_dir, out_dir):
            build_mod.build(data_dir, out_dir)
        try:
            written = annual_report(out_dir, year, output)
        except ReportError as exc:
            click.echo(f"Erreur : {exc}", err=True)
            sys.exit(1)
    click.echo(f"Rapport annuel {year} écrit : {written}")


@cli.group(name="import", invoke_without_command=True)
@click.option(
    "--annuler",
    "undo",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Remet le dossier de données tel qu'il était avant le dernier import.",
)
@click.pass_context
def import_(ctx: click.Context, undo: Path | None) -> None:
    """Importe des données publiées dans un standard national."""
    if undo is not None:
        with _reported():
            undo_import(undo)
        click.echo(f"Import annulé : {undo} est revenu à son état d'avant le dernier import.")
    elif ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())


def _import_options(command: Callable) -> Callable:
    """--into, --commune and --partiel, the same for every import."""
    for option in reversed(
        (
            click.option(
                "--into",
                required=True,
                type=click.Path(file_okay=False, path_type=Path),
                help="Dossier de données où écrire les acteurs importés.",
            ),
            click.option(
                "--commune",
                "communes",
                multiple=True,
                help="Ne garder que les lieux de ces communes (code INSEE, répétable).",
            ),
            click.option(
                "--partiel",
                "partial",
                is_flag=True,
                help="Importer les lieux valides et lister ceux refusés (défaut : tout ou rien).",
            ),
            click.option(
                "--essai",
                "trial",
                is_flag=True,
                help="Tout vérifier et dire ce qui serait importé, sans rien changer.",
            ),
            click.option(
                "--retirer-absents",
                "remove_absent",
                is_flag=True,
                help="Retirer les acteurs d'un import précédent que le fichier n'a plus "
                "(défaut : les lister seulement).",
            ),
        )
    ):
        command = option(command)
    return command


@import_.command(name="lieux-mediation")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_import_options
def import_lieux_mediation(
    csv_file: Path,
    into: Path,
    communes: tuple[str, ...],
    partial: bool,
    trial: bool,
    remove_absent: bool,
) -> None:
    """CSV du standard des lieux de médiation numérique (v1.0.2 ou v0.1) -> fichiers YAML."""
    options = {"partial": partial, "trial": trial, "remove_absent": remove_absent}
    report = _importing(import_lieux, csv_file, into, list(communes) or None, **options)
    _import_report(report, into, "Lignes", trial)


@import_.command(name="data-inclusion")
@click.argument("structures", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("services", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_import_options
def import_data_inclusion_command(
    structures: Path,
    services: Path,
    into: Path,
    communes: tuple[str, ...],
    partial: bool,
    trial: bool,
    remove_absent: bool,
) -> None:
    """structures.json et services.json de data·inclusion (schéma v1) -> fichiers YAML."""
    options = {"partial": partial, "trial": trial, "remove_absent": remove_absent}
    report = _importing(
        import_data_inclusion, structures, services, into, list(communes) or None, **options
    )
    _import_report(report, into, "Structures", trial)


def _importing(function: Callable[..., ImportReport], *args: Any, **options: Any) -> ImportReport:
    """One import, its long steps drawn on stderr, its errors as the CLI's messages."""
    progress = StageProgress()
    try:
        with _reported():
            return function(*args, **options, progress=progress)
    finally:
        progress.close()


def _import_report(report: ImportReport, into: Path, unit: str, trial: bool = False) -> None:
    if trial:
        click.echo(f"Essai : rien n'a été changé dans {into}. L'import donnerait :")
    click.echo(
        f"Importé dans {into} : {report.actors} acteurs, {report.sites} lieux, "
        f"{report.services} services ({len(report.files)} fichiers écrits"
        + (f", {report.unchanged} acteurs inchangés" if report.unchanged else "")
        + ")."
    )
    lines = sorted({(e.file, e.line) for e in report.refused if e.line})
    merged = sum(n for fix, n in report.fixes.items() if "fusionnés" in fix)
    click.echo(
        f"{unit} lues : {report.rows} ; lieux importés : {report.sites} ; services fusionnés : "
        f"{merged} ; {unit.lower()} refusées : {len(lines)} ; "
        f"corrections : {sum(report.fixes.values())}."
    )
    if report.refused:
        click.echo(f"{unit} refusées :")
        for error in report.refused:
            click.echo(f"  - {error}")
    if report.fixes:
        click.echo("Corrections appliquées :")
        for fix, count in sorted(report.fixes.items()):
            click.echo(f"  - {fix}" + (f" ({count} fois)" if count > 1 else ""))
    _merge_report(report)


def _merge_report(report: ImportReport) -> None:
    """What a re-import did to the actors the folder already had."""
    conflicts = set(report.conflicts) - set(report.own)
    click.echo(
        f"Ajoutés : {len(report.added)} ; mis à jour : {len(report.updated)} ; "
        f"inchangés : {report.unchanged} ; conflits : {len(conflicts)} ; "
        f"absents : {len(report.absent)}"
        + (f" (retirés : {len(report.removed)})" if report.removed else "")
        + "."
    )
    for actor, fields in sorted(report.updated.items()):
        click.echo(f"  - mis à jour {actor} : " + ", ".join(fields))
    for actor in report.own:
        found = report.conflicts.get(actor, [])
        names = ", ".join(c.field for c in found[:6]) + (", …" if len(found) > 6 else "")
        click.echo(
            f"  - {actor} : fiche écrite dans le dossier, jamais importée : gardée telle quelle"
            + (f" ; la source diffère sur {len(found)} champs ({names})" if found else "")
        )
    for actor, found in sorted(report.conflicts.items()):
        if actor in report.own:
            continue
        for conflict in found:
            click.echo(
                f"  - conflit {actor} : {conflict.field} modifié à la main, gardé "
                f"« {_short(conflict.kept)} » (la source donne « {_short(conflict.offered)} »)"
            )
    for actor in report.absent:
        verb = "retiré" if actor in report.removed else "absent du fichier, gardé"
        click.echo(
            f"  - {verb} : {actor}"
            + ("" if report.removed else " (--retirer-absents pour le retirer)")
        )


def _short(value: object, limit: int = 80) -> str:
    text = (
        "(rien)"
        if value is None
        else value
        if isinstance(value, str)
        else json.dumps(value, ensure_ascii=False)
    )
    return text if len(text) <= limit else text[: limit - 1] + "…"


@cli.command()
@click.argument("data_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--distincts",
    "distinct",
    nargs=2,
    default=None,
    metavar="ACTEUR ACTEUR",
    help="Noter dans le dossier que ces deux acteurs sont deux lieux différents.",
)
@format_option("table", "json")
def doublons(data_dir: Path, distinct: tuple[str, str] | None, fmt: str) -> None:
    """Les acteurs qui décrivent sans doute un même lieu (deux sources, deux producteurs)."""
    with _reported():
        network = load_network(data_dir)
        if distinct:
            known = {a.id for a in network.of_kind("actor")}
            unknown = [a for a in distinct if a not in known]
            if unknown:
                click.echo(
                    f"Erreur : acteur inconnu dans {data_dir} : {', '.join(unknown)}", err=True
                )
                sys.exit(2)
            path = declare_distinct(data_dir, *distinct)
            click.echo(f"Noté dans {path} : {distinct[0]} et {distinct[1]} sont distincts.")
        pairs = likely_pairs(network, decisions(data_dir))
    if fmt == "json":
        click.echo(
            json.dumps(
                [
                    {
                        "acteurs": list(p.actors),
                        "lieux": list(p.sites),
                        "score": p.score,
                        "raisons": p.evidence(),
                    }
                    for p in pairs
                ],
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    if not pairs:
        click.echo("Aucun doublon probable.")
        return
    click.echo(f"{len(pairs)} doublon(s) probable(s) :")
    rows = [[p.score, *p.actors, " / ".join(p.names), p.evidence()] for p in pairs]
    click.echo(text_table(["score", "acteur", "acteur", "noms", "raisons"], rows))
    click.echo(
        "Pour noter que deux acteurs sont distincts : maillage doublons DOSSIER --distincts A B"
    )


# The national standards' formats: (writer, whether it writes one file or a folder, what it is)
EXPORTS: dict[str, tuple[Callable[..., Any], bool, str]] = {
    "lieux-mediation": (
        write_lieux_csv,
        True,
        "un lieu par ligne, au standard des lieux de médiation numérique (CSV v1.0.2)",
    ),
    "data-inclusion": (
        write_data_inclusion,
        False,
        "structures.json et services.json au schéma data·inclusion v1 (dossier)",
    ),
    "openreferral": (
        write_openreferral,
        False,
        "Open Referral HSDS 3.0 : organisations, services, lieux, taxonomie (JSON, dossier)",
    ),
}


@cli.command(
    help="Exporte le réseau dans le format d'un standard national :\n\n"
    + "\n\n".join(f"{name} : {text}" for name, (_, _, text) in EXPORTS.items())
)
@click.argument("standard", type=click.Choice(list(EXPORTS)))
@output_option("Fichier (lieux-mediation) ou dossier (data-inclusion, openreferral).", file=None)
@DATA_OPTION
def export(standard: str, output: Path, data_dir: Path) -> None:
    writer, one_file, _ = EXPORTS[standard]
    if output.exists() and output.is_dir() == one_file:
        kind = "un fichier" if one_file else "un dossier"
        click.echo(f"Erreur : {output} : {standard} s'écrit dans {kind}", err=True)
        sys.exit(2)
    built = _checked(data_dir)
    if one_file:
        output.parent.mkdir(parents=True, exist_ok=True)
    written = writer(built, graph_tables(built), output)
    paths = written if isinstance(written, list) else [written]
    click.echo("Écrit : " + ", ".join(str(p) for p in paths))


def _checked(data_dir: Path):
    with _reported():
        return build_mod.check(data_dir)


for _english, _french in ENGLISH_NAMES.items():  # each command under its French name
    _command = cli.commands.pop(_english)
    _command.name = _french
    cli.commands[_french] = _command


if __name__ == "__main__":
    main()
