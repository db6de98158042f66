"""The one search of the site and of ``maillage chercher``: a full-text index of every place an
actor helps at, built at publish time, and the function that turns what a person types into
its query.

One row of ``recherche`` per site of an actor: its names (the actor's, its other names and
acronyms, the site's), what it does there (its services, their needs and publics with every
label of the vocabularies, synonyms included: ``skos:altLabel`` and ``skos:hiddenLabel``, the
typology, programmes and labels), where (commune, postcode, street) and its descriptions. Each
column holds the text already stemmed (French Snowball stemmer, accents and case removed), and
the words typed are stemmed by the same :func:`search_words`, so that "seniors", "Séniors" and
"senior" meet. FTS5 (``unicode61 remove_diacritics 2``, prefix indexes) ranks with bm25, the
names weighted above the rest. ``recherche_mots`` lists the index's words, so that a word that
is in no row (a stop word, a typo) is left out of the query instead of emptying the answer.

Each row also holds its place's zone word (``zone``, a cell of ZONE degrees, weight 0 in bm25):
a search near a commune asks for the words typed *and* the zones around it, so that FTS5 ranks
the few thousand places around the person, never the whole country (``zones_autour``).
"""

from __future__ import annotations

import functools
import json
import math
import os
import re
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path

import snowballstemmer
import sqlite_utils
from rdflib import Literal
from rdflib.namespace import SKOS
from stop_words import get_stop_words

from maillage.graph.collation import unaccented
from maillage.graph.tables import Tables
from maillage.graph.vocab import Vocabulary

INDEX = "recherche"
WORDS = "recherche_mots"
COLUMNS = ("noms", "quoi", "ou", "description")
WEIGHTS = (10.0, 4.0, 2.0, 1.0)  # bm25's weight of each column, in COLUMNS' order
ZONE = 0.25  # degrees: the side of a zone's cell (about 28 km north to south)
NEAR = 0.45  # degrees of latitude (about 50 km): how far "near the person's commune" reaches
MAX_WORDS = 12  # of a query: the rest is ignored
MAX_WORD = 40  # characters of a word of a query
MAX_QUERY = 500  # characters of a query read at all (a 10 kB paste reads as its start)
_WORD = re.compile(r"[a-z0-9]+")


@functools.cache
def _stemmer():
    return snowballstemmer.stemmer("french")


@functools.lru_cache(maxsize=100_000)
def _stem(word: str) -> str:
    """One word stemmed (cached: a network repeats its words across thousands of places)."""
    return _stemmer().stemWord(word)


@functools.cache
def _stop_words() -> frozenset[str]:
    """French stop words ("de", "pour", "les"…), accents removed: never asked of the index."""
    return frozenset(unaccented(w) for w in get_stop_words("french"))


def stems(text: str | None) -> list[str]:
    """The words of ``text``, stemmed: ``"Séniors à Miramas"`` -> ``["senior", "a", "miram"]``."""
    if not text:
        return []
    return [_stem(w) for w in _WORD.findall(unaccented(str(text)))]


def search_words(text: str | None) -> str:
    """What a person typed, as the JSON list of the stemmed words the index is asked for (at
    most MAX_WORDS, each at most MAX_WORD characters): letters and digits only, so that no FTS5
    syntax (``"``, ``*``, ``NEAR(``, ``OR``, ``-``, parentheses) ever reaches the index. The SQL
    function ``mots_recherche`` of every connection the site and the CLI open."""
    words = [
        w for w in _WORD.findall(unaccented(str(text or "")[:MAX_QUERY])) if w not in _stop_words()
    ]
    found = [_stem(w[:MAX_WORD]) for w in words]
    return json.dumps(list(dict.fromkeys(found))[:MAX_WORDS])


def plain_text(text: str | None) -> str:
    """``"Saint-Chamas "`` -> ``"saint chamas"``: how a commune typed is compared (the SQL
    function ``texte_simple``)."""
    return " ".join(_WORD.findall(unaccented(str(text or "")[:MAX_QUERY])))


def zone_word(latitude: float | None, longitude: float | None) -> str:
    """The index's word for the cell of ZONE degrees a position lies in: ``"z533x725"``."""
    if latitude is None or longitude is None:
        return ""
    return _cell(math.floor(float(latitude) / ZONE), math.floor(float(longitude) / ZONE))


def _cell(row: int, column: int) -> str:
    return f"z{row + 360}x{column + 720}"  # offset: a word of the index has no minus sign


def zones_near(latitude: float | None, longitude: float | None) -> str | None:
    """The FTS5 query of the zones within NEAR of a position (a box of ±NEAR degrees of latitude,
    as many kilometres east and west): ``"zone : (z533x724 OR z533x725 …)"``; None without a
    position. The SQL function ``zones_autour``, so the site and the CLI reach as far."""
    if latitude is None or longitude is None:
        return None
    lat, lon = max(-89.0, min(89.0, float(latitude))), float(longitude)
    east = min(180.0, NEAR / max(0.02, math.cos(math.radians(lat))))
    rows = range(math.floor((lat - NEAR) / ZONE), math.floor((lat + NEAR) / ZONE) + 1)
    columns = range(math.floor((lon - east) / ZONE), math.floor((lon + east) / ZONE) + 1)
    words = [_cell(row, column) for row in rows for column in columns]
    return "zone : (" + " OR ".join(words) + ")"


def _labels(vocab: Vocabulary) -> dict[str, list[str]]:
    """Every label of each concept (preferred, alternative, hidden), by its id in SQLite."""
    found: dict[str, list[str]] = defaultdict(list)
    for concept, (scheme, notation) in vocab.by_iri.items():
        for predicate in (SKOS.prefLabel, SKOS.altLabel, SKOS.hiddenLabel):
            for label in vocab.graph.objects(concept, predicate):
                if isinstance(label, Literal):
                    found[f"{scheme}/{notation}"].append(str(label))
    return found


def _joined(parts: Iterable[str | None]) -> str:
    return " ".join(" ".join(stems(p)) for p in parts if p)


def index_rows(
    tables: Tables, vocab: Vocabulary, centres: dict[str, tuple[float, float]] | None = None
) -> Iterator[dict]:
    """One row per site of an actor, each column stemmed (see the module's doc); a place without
    a position is in the zone of its commune's centre (``centres``, by INSEE code)."""
    centres = centres or {}
    labels = _labels(vocab)
    by_service: dict[str, list[str]] = defaultdict(list)
    for table in ("service_needs", "service_publics", "service_support", "service_modalities"):
        for row in tables.get(table, []):
            by_service[row["service_id"]] += labels.get(row["concept_id"], [])
    by_site: dict[str, list[str]] = defaultdict(list)
    for table in ("site_programmes", "site_labels", "site_access"):
        for row in tables.get(table, []):
            by_site[row["site_id"]] += labels.get(row["concept_id"], [])
    services = {s["id"]: s for s in tables["services"]}
    at_site: dict[str, list[dict]] = defaultdict(list)
    for row in tables.get("service_sites", []):
        at_site[row["site_id"]].append(services[row["service_id"]])
    actors = {a["id"]: a for a in tables["actors"]}
    for site in tables["sites"]:
        actor = actors.get(site["actor"])
        if actor is None:
            continue
        offered = at_site.get(site["id"], [])
        names = [actor["name"], site["name"], *json.loads(actor.get("alternate_names") or "[]")]
        what = [s["name"] for s in offered] + [
            label for s in offered for label in by_service.get(s["id"], [])
        ]
        what += labels.get(actor.get("typology") or "", []) + by_site.get(site["id"], [])
        where = [site.get("commune"), site.get("postcode"), site.get("street")]
        described = [actor.get("description"), actor.get("summary")]
        described += [s.get("description") for s in offered]
        position = (site.get("latitude"), site.get("longitude"))
        if None in position:
            position = centres.get(str(site.get("insee")), (None, None))
        yield {
            "actor": actor["id"],
            "site": site["id"],
            "noms": _joined(names),
            "quoi": _joined(what),
            "ou": _joined(where),
            "description": _joined(described),
            "zone": zone_word(*position),
        }


# Etalab's official list of French communes (names, INSEE codes, postcodes; no positions),
# installed from the npm registry by `make install` (publish/communes/package.json)
OFFICIAL = Path(__file__).parent.joinpath(
    "communes", "node_modules", "@etalab", "decoupage-administratif", "data", "communes.json"
)
OFFICIAL_KINDS = frozenset({"commune-actuelle", "arrondissement-municipal"})


@functools.cache
def official_communes(path: Path = OFFICIAL) -> tuple[dict, ...]:
    """Every French commune of the official list (and Paris, Lyon and Marseille's
    arrondissements), or none when the list is not installed."""
    if not path.is_file():
        return ()
    return tuple(
        {
            "insee": c["code"],
            "nom": c["nom"],
            "codes_postaux": c.get("codesPostaux") or [],
            "population": c.get("population") or 0,
        }
        for c in json.loads(path.read_text(encoding="utf-8"))
        if c.get("type") in OFFICIAL_KINDS
    )


def commune_rows(meta: dict, tables: Tables, official: Iterable[dict] = ()) -> list[dict]:
    """The communes a person may name: the network's (``reseau`` 1), with their postcodes and
    the centre a search near the commune measures from (``centre`` in network.yaml, else the
    mean position of its places), then every other commune of the ``official`` list, without a
    position (``reseau`` 0)."""
    named = {str(c["insee"]): c for c in meta.get("communes") or [] if isinstance(c, dict)}
    listed = {c["insee"]: c for c in official}
    places: dict[str, list[dict]] = defaultdict(list)
    for site in tables["sites"]:
        if site.get("insee"):
            places[str(site["insee"])].append(site)
    rows = []
    for insee in sorted(set(named) | set(places)):
        sites = places.get(insee, [])
        name = str(named.get(insee, {}).get("name") or next((s["commune"] for s in sites), ""))
        centre = named.get(insee, {}).get("centre")
        located = [s for s in sites if s.get("latitude") is not None]
        if centre:
            lat, lon = float(centre["latitude"]), float(centre["longitude"])
        elif located:
            lat = sum(float(s["latitude"]) for s in located) / len(located)
            lon = sum(float(s["longitude"]) for s in located) / len(located)
        else:
            lat = lon = None
        postcodes = {str(s["postcode"]) for s in sites if s.get("postcode")}
        postcodes |= set(listed.get(insee, {}).get("codes_postaux", []))
        rows.append(
            {
                "insee": insee,
                "nom": name,
                "nom_simple": plain_text(name),
                "codes_postaux": json.dumps(sorted(postcodes)),
                "latitude": lat,
                "longitude": lon,
                "reseau": 1,
                "population": listed.get(insee, {}).get("population"),
            }
        )
    network = {row["insee"] for row in rows}
    rows += [
        {
            "insee": c["insee"],
            "nom": c["nom"],
            "nom_simple": plain_text(c["nom"]),
            "codes_postaux": json.dumps(sorted(c["codes_postaux"])),
            "latitude": None,
            "longitude": None,
            "reseau": 0,
            "population": c["population"],
        }
        for c in listed.values()
        if c["insee"] not in network
    ]
    return rows


COMMUNE_COLUMNS = {
    "insee": str,
    "nom": str,
    "nom_simple": str,
    "codes_postaux": str,  # JSON list
    "latitude": float,
    "longitude": float,
    "reseau": int,  # 1: a commune of the network
    "population": int,
}
KEY_COLUMNS = {"cle": str, "insee": str, "rang": int}
# the prepared file's version: a new one when its tables change
PREPARED = "maillage-communes-1.sqlite"


def _write_communes(db: sqlite_utils.Database, communes: list[dict]) -> None:
    """The ``communes`` table and ``communes_cles``: each way a person names a commune (name,
    postcode, INSEE code), simplified as ``texte_simple`` simplifies what is typed, one lookup
    for the search and the orienter, where a name or a postcode several communes share means
    the network's first (rang 0), then the most populous."""
    db["communes"].create(COMMUNE_COLUMNS, pk="insee", if_not_exists=True)
    db["communes"].insert_all(communes, batch_size=5000)
    keys = {
        (plain_text(key), c["insee"]): 0 if c["reseau"] else 10**9 - (c["population"] or 0)
        for c in communes
        for key in (c["insee"], c["nom"], *json.loads(c["codes_postaux"]))
        if plain_text(key)
    }
    db["communes_cles"].create(KEY_COLUMNS, pk=("cle", "insee"), if_not_exists=True)
    db["communes_cles"].insert_all(
        ({"cle": key, "insee": insee, "rang": rang} for (key, insee), rang in keys.items()),
        batch_size=5000,
    )


@functools.cache
def prepared_communes(path: Path = OFFICIAL) -> Path | None:
    """The official list as the tables of :func:`_write_communes` (no commune of a network),
    written once beside the list and copied by each build, or None when the list is not
    installed. Reading and writing it took 5 s of every build, a tiny network's included."""
    if not path.is_file():
        return None
    prepared = path.with_name(PREPARED)
    try:
        if prepared.stat().st_mtime_ns >= path.stat().st_mtime_ns:
            return prepared
    except OSError:
        pass
    rows = commune_rows({}, {"sites": []}, official_communes(path))
    try:
        return _prepare(rows, prepared.parent, prepared)
    except OSError:  # the installed list is read-only: this process's own copy
        folder = Path(tempfile.mkdtemp(prefix="maillage-communes-"))
        return _prepare(rows, folder, folder / PREPARED)


def _prepare(rows: list[dict], folder: Path, prepared: Path) -> Path:
    # written under a name of its own, then renamed: two builds at once never read half a file
    handle, partial = tempfile.mkstemp(dir=folder, prefix=".communes-", suffix=".part")
    os.close(handle)
    try:
        db = sqlite_utils.Database(partial)
        with db.conn:
            _write_communes(db, rows)
        db.close()
        os.replace(partial, prepared)
    finally:
        Path(partial).unlink(missing_ok=True)
    return prepared


def write_search_index(
    database: Path, tables: Tables, vocab: Vocabulary, meta: dict
) -> dict[str, int]:
    """The ``recherche`` index, its word list and the ``communes`` tables into the database the
    build is writing (the build's ``search`` stage)."""
    db = sqlite_utils.Database(database)
    try:
        prepared = prepared_communes()
        official = _official_of_network(prepared, meta, tables) if prepared else []
        communes = commune_rows(meta, tables, official)  # the network's only: rows of its own
        _write_communes(db, communes)
        if prepared:  # every other commune, copied from the prepared file by SQLite
            db.attach("officiel", prepared)
            for table, columns in (("communes", COMMUNE_COLUMNS), ("communes_cles", KEY_COLUMNS)):
                names = ", ".join(columns)
                others = "insee NOT IN (SELECT insee FROM main.communes WHERE reseau = 1)"
                copy = f"INSERT INTO main.{table} ({names}) SELECT {names} FROM officiel.{table}"  # noqa: S608
                db.execute(f"{copy} WHERE {others}")
            db.conn.commit()
            db.execute("DETACH DATABASE officiel")
        db["communes"].create_index(["nom_simple"])
        db["communes"].create_index(["reseau", "nom_simple"])  # the forms' lists, of 35,000
        columns = ", ".join(COLUMNS)
        db.execute(
            f"CREATE VIRTUAL TABLE {INDEX} USING fts5(actor UNINDEXED, site UNINDEXED, {columns},"
            " zone, tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3')"
        )
        centres = {
            c["insee"]: (c["latitude"], c["longitude"])
            for c in communes
            if c["latitude"] is not None
        }
        db[INDEX].insert_all(index_rows(tables, vocab, centres), batch_size=1000)
        count = db[INDEX].count
        db.execute("INSERT INTO recherche(recherche) VALUES ('optimize')")  # one b-tree
        db.execute(f"CREATE VIRTUAL TABLE {WORDS} USING fts5vocab({INDEX}, 'row')")
        db.conn.commit()
    finally:
        db.close()
    return {INDEX: count, "communes": len(communes)}


def _official_of_network(prepared: Path, meta: dict, tables: Tables) -> list[dict]:
    """The official rows (postcodes, population) of the communes the network names or has
    places in."""
    insee = {str(c["insee"]) for c in meta.get("communes") or [] if isinstance(c, dict)}
    insee |= {str(s["insee"]) for s in tables["sites"] if s.get("insee")}
    if not insee:
        return []
    found = sqlite_utils.Database(prepared)
    try:
        where = f"insee IN ({', '.join('?' * len(insee))})"
        return [
            {**row, "codes_postaux": json.loads(row["codes_postaux"])}
            for row in found["communes"].rows_where(where, sorted(insee))
        ]
    finally:
        found.close()


def distance_in_words(km: float | None) -> str:
    """``1.24`` -> ``"1,2 km"``, ``0.35`` -> ``"350 m"``: a distance as French is written."""
    if km is None:
        return ""
    if km < 1:
        return f"{max(10, round(km * 1000, -1)):.0f}\u00a0m"
    return f"{km:.1f}".replace(".", ",") + "\u00a0km"
