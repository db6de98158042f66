"""The coordinators' dashboard, « Tableau de bord du réseau »: coverage, gaps, fragile points,
freshness, parcours and actions, each as a picture drawn with matplotlib when the network is
published, its numbers beside it in a table, and its CSV.

The numbers are the canned queries ``tableau_*`` (and ``lacunes``) of metadata.yml: the build
draws what they answer on the database just written, the page shows what they answer on the
served one, so that a picture and its table cannot disagree."""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import yaml

from maillage.publish.connection import prepare
from maillage.publish.plot import COLOURS, MAX_COMMUNES

PAGE = "/tableau-de-bord"
PAGE_ROWS = 5000  # rows of a query the served page reads at most
MAX_BARS = 40  # bars a picture still shows legibly; its table and CSV have every row
DOWNLOADS = "/telechargements"
Rows = list[dict[str, Any]]


@dataclass(frozen=True)
class Section:
    """One part of the page: the canned query it reads and how it is told."""

    id: str
    title: str
    query: str
    params: tuple[tuple[str, str], ...] = ()

    @property
    def csv(self) -> str:
        return f"/maillage/{self.query}.csv?" + urlencode((*self.params, ("_size", "max")))


SECTIONS = (
    Section("couverture", "La couverture : besoin, public et commune", "tableau_couverture"),
    Section(
        "lacunes",
        "Les lacunes, les plus demandées d'abord",
        "lacunes",
        (("public", ""), ("commune", "")),
    ),
    Section("fragiles", "Les points fragiles : si un acteur s'arrête", "tableau_fragiles"),
    Section("fraicheur", "La fraîcheur des fiches, par partenaire", "tableau_fraicheur"),
    Section("parcours", "Les parcours qui se cassent", "tableau_parcours"),
    Section("actions", "Les actions de l'année, par pôle", "tableau_actions"),
)


def percent(value: float | None) -> str:
    """``29.5`` -> ``29,5 %`` (French decimal comma); None -> ``non mesurée``."""
    return "non mesurée" if value is None else f"{value:g}".replace(".", ",") + " %"


def plural(n: int, word: str, words: str | None = None) -> str:
    return f"{n} {word if n == 1 else (words or word + 's')}"


# -- each section's table (head, rows of text) and the text alternative of its pictures ----


def _coverage(rows: Rows) -> dict:
    """One table and one picture per commune: needs down, publics across."""
    parts = []
    communes = list(dict.fromkeys(r["commune"] for r in rows))
    if len(communes) > MAX_COMMUNES:  # the least covered: a page a person still reads
        gaps = Counter(r["commune"] for r in rows if r["acteurs"] == 0)
        communes = sorted(communes, key=lambda c: -gaps[c])[:MAX_COMMUNES]
    for commune in communes:
        mine = [r for r in rows if r["commune"] == commune]
        publics = list(dict.fromkeys(r["public"] for r in mine))
        needs = list(dict.fromkeys(r["besoin"] for r in mine))
        counts = {(r["besoin"], r["public"]): r["acteurs"] for r in mine}
        matrix = [[counts.get((n, p), 0) for p in publics] for n in needs]
        flat = [v for row in matrix for v in row]
        alt = (
            f"Carte de chaleur de la couverture à {commune} : {len(needs)} besoins en lignes, "
            f"{len(publics)} publics en colonnes ; {plural(flat.count(0), 'case')} sans aucun "
            f"acteur (lacune, en rouge), {plural(flat.count(1), 'case')} avec un seul acteur "
            "(fragile, en orange). Les nombres sont dans le tableau qui suit."
        )
        parts.append(
            {
                "key": _key(commune),
                "caption": f"Nombre d'acteurs par besoin et par public à {commune}",
                "alt": alt,
                "head": ["Besoin", *publics],
                "rows": [[n, *row] for n, row in zip(needs, matrix, strict=True)],
                "matrix": matrix,
                "needs": needs,
                "publics": publics,
            }
        )
    return {"parts": parts}


def _key(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")


def _gaps(rows: Rows) -> dict:
    asked = [r for r in rows if r["demande_pct"] is not None]
    alt = "Aucune lacune demandée par les habitants."
    if asked:
        top = asked[0]
        alt = (
            f"Diagramme en barres : {plural(len(asked), 'ligne')} "
            "dont la demande des habitants est mesurée, de la plus demandée à la moins demandée ; "
            f"en tête, « {top['besoin']} » à {top['commune']} ({top['etat']}, "
            f"{percent(top['demande_pct'])} des habitants)."
        )
    return {
        "parts": [
            {
                "key": "lacunes",
                "caption": "Lacunes, couverture fragile et parcours interrompus",
                "alt": alt,
                "bars": [
                    (f"{r['besoin']} — {r['commune']} ({r['etat']})", r["demande_pct"], r["etat"])
                    for r in asked
                ],
                "head": [
                    "Situation",
                    "Besoin",
                    "Commune",
                    "Acteurs",
                    "Demande",
                    "Qui, ou ce qui manque",
                ],
                "rows": [
                    [
                        r["etat"],
                        r["besoin"],
                        r["commune"],
                        r["acteurs"],
                        percent(r["demande_pct"]),
                        r["qui"] or "personne",
                    ]
                    for r in rows
                ],
            }
        ]
    }


def _fragile(rows: Rows) -> dict:
    return {
        "phrases": [r["phrase"] for r in rows],
        "parts": [
            {
                "key": "fragiles",
                "caption": "Les acteurs dont le départ laisserait un besoin sans personne",
                "head": ["Acteur", "Commune", "Ce qui arriverait"],
                "rows": [
                    [r["acteur"], r["commune"] or "tout le réseau", r["phrase"]] for r in rows
                ],
            }
        ],
    }


def _freshness(rows: Rows) -> dict:
    months = rows[0]["delai_mois"] if rows else 12
    fresh, old, never = (
        sum(r[k] or 0 for r in rows) for k in ("verifiees", "a_verifier", "jamais")
    )
    alt = (
        f"Barres empilées, une par partenaire ({len(rows)}) : sur {fresh + old + never} fiches, "
        f"{fresh} vérifiées dans les {months} derniers mois (en vert), {old} à vérifier "
        f"(en orange), {never} jamais vérifiées (en rouge) ; les partenaires qui ont le plus à "
        "vérifier en haut."
    )
    return {
        "parts": [
            {
                "key": "fraicheur",
                "caption": "Fiches de chaque partenaire : vérifiées, à vérifier, jamais vérifiées",
                "alt": alt,
                "months": months,
                "head": [
                    "Partenaire",
                    f"Vérifiées dans les {months} derniers mois",
                    "À vérifier",
                    "Jamais vérifiées",
                ],
                "rows": [
                    [r["acteur"], r["verifiees"] or 0, r["a_verifier"] or 0, r["jamais"] or 0]
                    for r in rows
                ],
            }
        ]
    }


def _parcours(rows: Rows) -> dict:
    broken = [r for r in rows if r["interrompu"]]
    needs = list(dict.fromkeys(r["besoin"] for r in sorted(rows, key=lambda r: r["besoin"])))
    communes = sorted({r["commune"] for r in rows})
    if len(communes) > MAX_COMMUNES:  # the communes whose parcours break the most
        breaks = Counter(r["commune"] for r in broken)
        communes = sorted(sorted(communes, key=lambda c: -breaks[c])[:MAX_COMMUNES])
    state = {(r["besoin"], r["commune"]): r["interrompu"] for r in rows}
    alt = (
        f"Grille des parcours, besoins en lignes et communes en colonnes : "
        f"{len(broken)} parcours interrompus (en rouge) sur {len(rows)}, "
        f"{len(rows) - len(broken)} complets (en vert)."
    )
    return {
        "parts": [
            {
                "key": "parcours",
                "caption": "Chaque parcours, interrompu ou complet, avec ce qui manque",
                "alt": alt,
                "needs": needs,
                "communes": communes,
                "matrix": [[state.get((n, c)) for c in communes] for n in needs],
                "head": ["Besoin", "Commune", "État", "Ce qui manque", "Demande"],
                "rows": [
                    [
                        r["besoin"],
                        r["commune"],
                        "interrompu" if r["interrompu"] else "complet",
                        r["ce_qui_manque"],
                        percent(r["demande_pct"]),
                    ]
                    for r in rows
                ],
            }
        ]
    }


def _actions(rows: Rows) -> dict:
    years = sorted({r["annee"] for r in rows})
    poles = list(dict.fromkeys(r["pole"] for r in rows))
    counts = {(r["annee"], r["pole"]): r["actions"] for r in rows}
    last = years[-1] if years else None
    in_last = ", ".join(f"{counts.get((last, p), 0)} en « {p} »" for p in poles)
    alt = (
        f"Barres groupées : les actions recensées chaque année de {years[0]} à {last}, "
        f"par pôle ; en {last} : {in_last}."
        if years
        else "Aucune action recensée."
    )
    return {
        "parts": [
            {
                "key": "actions",
                "caption": "Actions, séances et participants par année et par pôle",
                "alt": alt,
                "years": years,
                "poles": poles,
                "counts": [[counts.get((y, p), 0) for y in years] for p in poles],
                "head": ["Année", "Pôle", "Actions", "Séances", "Participants"],
                "rows": [
                    [r["annee"], r["pole"], r["actions"], r["seances"], r["participants"]]
                    for r in rows
                ],
            }
        ]
    }


SHAPES: dict[str, Callable[[Rows], dict]] = {
    "couverture": _coverage,
    "lacunes": _gaps,
    "fragiles": _fragile,
    "fraicheur": _freshness,
    "parcours": _parcours,
    "actions": _actions,
}


def picture_name(section: str, part: dict) -> str:
    """The published file of a picture: ``tableau-couverture-miramas.svg``."""
    key = part["key"]
    return f"tableau-{section}.svg" if key == section else f"tableau-{section}-{key}.svg"


def sections(answers: dict[str, Rows]) -> list[dict]:
    """The page's sections from the canned queries' answers (``answers[query]``): title,
    CSV link, and for each picture its file, text alternative and table."""
    shown = []
    for section in SECTIONS:
        shaped = SHAPES[section.id](answers[section.query])
        for part in shaped["parts"]:
            if "alt" in part:
                part["picture"] = f"{DOWNLOADS}/{picture_name(section.id, part)}"
        shown.append({"id": section.id, "title": section.title, "csv": section.csv, **shaped})
    return shown


# -- publish time: the answers on the written database, the pictures -------------------------


def canned_queries(metadata: Path) -> dict[str, dict]:
    data = yaml.safe_load(Path(metadata).read_text(encoding="utf-8"))
    return data["databases"]["maillage"]["queries"]


def answers_from(database: Path, queries: dict[str, dict]) -> dict[str, Rows]:
    """Each section's canned query asked of ``database``, as the site asks it."""
    conn = sqlite3.connect(f"file:{Path(database).resolve()}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        prepare(conn, guarded=False)
        return {
            s.query: [dict(r) for r in conn.execute(queries[s.query]["sql"], dict(s.params))]
            for s in SECTIONS
        }
    finally:
        conn.close()


def draw_dashboard(database: Path, metadata: Path, folder: Path) -> list[Path]:
    """Draw the dashboard's pictures into ``folder`` (SVG); returns the files written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    with matplotlib.rc_context({"svg.hashsalt": "maillage", "font.size": 9}):
        for section in sections(answers_from(database, canned_queries(metadata))):
            for part in section["parts"]:
                if "alt" not in part:
                    continue
                fig = DRAW[section["id"]](plt, part)
                target = Path(folder) / picture_name(section["id"], part)
                fig.savefig(target, format="svg", metadata={"Date": None}, bbox_inches="tight")
                plt.close(fig)
                written.append(target)
    return written


def _heat(plt, part: dict) -> Any:
    from matplotlib.colors import BoundaryNorm, ListedColormap

    matrix = part["matrix"]
    fig, ax = plt.subplots(figsize=(3 + 0.55 * len(part["publics"]), 1 + 0.35 * len(matrix)))
    norm = BoundaryNorm([-0.5, 0.5, 1.5, 2.5, 10_000], len(COLOURS))
    ax.imshow(matrix, cmap=ListedColormap(COLOURS), norm=norm, aspect="auto")
    ax.set_xticks(range(len(part["publics"])), part["publics"], rotation=60, ha="right")
    ax.set_yticks(range(len(part["needs"])), part["needs"], fontsize=8)
    for i, row in enumerate(matrix):
        for j, value in enumerate(row):
            dark = value == 0 or value >= 3
            ax.text(j, i, value, ha="center", va="center", color="white" if dark else "black")
    ax.set_title(part["caption"] + "\nrouge : aucun acteur, orange : un seul")
    return fig


def _bars(plt, part: dict) -> Any:
    bars = part["bars"][:MAX_BARS]  # the most asked
    fig, ax = plt.subplots(figsize=(9, 1 + 0.35 * max(len(bars), 1)))
    colours = {"lacune": COLOURS[0], "fragile": COLOURS[1]}
    ax.barh(
        [label for label, _, _ in bars],
        [value for _, value, _ in bars],
        color=[colours.get(state, "#7b3294") for _, _, state in bars],
    )
    ax.invert_yaxis()
    ax.set_xlabel("Part des habitants qui ont exprimé ce besoin (%)")
    ax.set_title("Lacunes (rouge), fragiles (orange), parcours interrompus (violet)")
    return fig


def _freshness_bars(plt, part: dict) -> Any:
    rows = part["rows"][:MAX_BARS]  # the partners with the most to check
    fig, ax = plt.subplots(figsize=(9, 1 + 0.3 * len(rows)))
    names = [r[0] for r in rows]
    left = [0] * len(rows)
    labels = (f"vérifiées ({part['months']} mois)", "à vérifier", "jamais vérifiées")
    for column, (label, colour) in enumerate(
        zip(labels, COLOURS[3:0:-2] + COLOURS[:1], strict=True)
    ):
        values = [r[column + 1] for r in rows]
        ax.barh(names, values, left=left, color=colour, label=label)
        left = [a + b for a, b in zip(left, values, strict=True)]
    ax.invert_yaxis()
    ax.set_xlabel("Nombre de fiches (acteur, lieux, services)")
    ax.legend(loc="lower right")
    return fig


def _parcours_grid(plt, part: dict) -> Any:
    from matplotlib.colors import ListedColormap

    values = [[-1 if v is None else v for v in row] for row in part["matrix"]]
    fig, ax = plt.subplots(figsize=(3 + 1.6 * len(part["communes"]), 1 + 0.35 * len(values)))
    ax.imshow(values, cmap=ListedColormap(["#ffffff", COLOURS[3], COLOURS[0]]), vmin=-1, vmax=1)
    ax.set_xticks(range(len(part["communes"])), part["communes"])
    ax.set_yticks(range(len(part["needs"])), part["needs"], fontsize=8)
    ax.xaxis.tick_top()
    words = {-1: "", 0: "complet", 1: "interrompu"}
    for i, row in enumerate(values):
        for j, value in enumerate(row):
            ax.text(j, i, words[value], ha="center", va="center", color="white")
    return fig


def _actions_bars(plt, part: dict) -> Any:
    years, poles = part["years"], part["poles"]
    fig, ax = plt.subplots(figsize=(8, 3.5))
    width = 0.8 / max(len(poles), 1)
    for k, (pole, counts) in enumerate(zip(poles, part["counts"], strict=True)):
        ax.bar([i + k * width for i in range(len(years))], counts, width, label=pole)
    ax.set_xticks([i + 0.4 - width / 2 for i in range(len(years))], [str(y) for y in years])
    ax.set_ylabel("Actions recensées")
    if poles:  # a network without actions has an empty picture, said so in its alternative
        ax.legend()
    return fig


DRAW: dict[str, Callable[[Any, dict], Any]] = {
    "couverture": _heat,
    "lacunes": _bars,
    "fraicheur": _freshness_bars,
    "parcours": _parcours_grid,
    "actions": _actions_bars,
}


# -- serve time: the page ----------------------------------------------------------------------


async def page(request: Any, datasette: Any) -> Any:
    """The page /tableau-de-bord, from the served database's answers."""
    from datasette.database import QueryInterrupted
    from datasette.utils.asgi import Response

    queries = datasette.metadata()["databases"]["maillage"]["queries"]
    db = datasette.get_database("maillage")
    answers, cut = {}, []
    limit = min(PAGE_ROWS, datasette.setting("max_returned_rows") or PAGE_ROWS)
    for section in SECTIONS:
        # bounded: a national network's page shows its first rows, the CSV has them all
        sql = queries[section.query]["sql"]
        try:
            result = await db.execute(sql, dict(section.params), truncate=True)
            rows = result.rows[:limit]
            cut += [section.id] if result.truncated or len(result.rows) > limit else []
        except (QueryInterrupted, sqlite3.OperationalError):
            rows, cut = [], [*cut, section.id]
        answers[section.query] = [dict(r) for r in rows]
    shown = sections(answers)
    for section in shown:
        section["cut"] = section["id"] in cut
    html = await datasette.render_template(
        "tableau-de-bord.html",
        {"sections": shown, "page_rows": limit},
        request=request,
        view_name="page",
    )
    return Response.html(html, headers={"cache-control": "public, max-age=60"})
