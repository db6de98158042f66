"""The site's Datasette plugin (registered by the ``datasette`` entry point of pyproject.toml).

- every connection to the published database is guarded (:mod:`maillage.publish.guard`);
- ``/telechargements/NAME`` serves the files of the publication, those its ``build.json``
  lists and nothing else (not the load cache, not a file put there since);
- the CSV exports of tables and queries are made safe for spreadsheets;
- ``_where`` (an SQL fragment in a table page's address) is refused: arbitrary SQL has one
  door, the database's query page, where the guard applies; a bad ``_sort`` is the visitor's
  mistake (400), not the server's (500).
"""

from __future__ import annotations

import codecs
import contextvars
import functools
import json
import re
import sqlite3
import traceback
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from datasette import hookimpl
from datasette.utils.asgi import Response, asgi_send_file
from markupsafe import Markup

from maillage.graph import hours
from maillage.graph.contact import phone_display, phone_uri
from maillage.graph.freshness import (
    DEFAULT_RECHECK_MONTHS,
    checked_in_words,
    french_date,
    months_before,
)
from maillage.graph.model import CHANNEL_LABELS
from maillage.publish import api, dashboard, hsds
from maillage.publish.address import PROOF, public_site
from maillage.publish.connection import prepare
from maillage.publish.csvcells import CSVStream
from maillage.publish.guide import actor_page
from maillage.publish.pagecache import PageCache, database_stamp
from maillage.publish.search import distance_in_words
from maillage.publish.site import TEMPLATES

DOWNLOADS = "telechargements"
CONTENT_TYPES = {
    ".ttl": "text/turtle; charset=utf-8",
    ".nt": "application/n-triples; charset=utf-8",
    ".trig": "application/trig; charset=utf-8",
    ".jsonld": "application/ld+json; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".csv": "text/csv; charset=utf-8",
    ".db": "application/vnd.sqlite3",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".pdf": "application/pdf",
    ".html": "text/html; charset=utf-8",
}


def published_folder(datasette: Any) -> Path | None:
    """The folder of the immutable database the site serves."""
    for database in datasette.databases.values():
        if database.path and not database.is_mutable:
            return Path(database.path).parent
    return None


def published_files(folder: Path) -> frozenset[str]:
    """The files ``build.json`` lists, read again only when it changed (a download is served
    on every request; the folder changes only when a build swaps a new one in)."""
    try:
        stamp = (folder / "build.json").stat().st_mtime_ns
    except OSError:
        return frozenset()
    return _listed_files(folder, stamp)


@functools.lru_cache(maxsize=8)
def _listed_files(folder: Path, stamp: int) -> frozenset[str]:
    try:
        info = json.loads((folder / "build.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return frozenset()
    files = info.get("files") if isinstance(info, dict) else None
    return frozenset(str(f) for f in files) if isinstance(files, list) else frozenset()


def public_address(folder: Path | None, stamp: tuple[int, int]) -> str | None:
    """The publication's public ``https://`` address (``site:`` of network.yaml), or None."""
    return _public_address(str(folder / "maillage.db"), stamp) if folder else None


@functools.lru_cache(maxsize=8)
def _public_address(db: str, stamp: tuple[int, int]) -> str | None:
    try:
        with sqlite3.connect(f"file:{quote(db)}?mode=ro&immutable=1", uri=True) as conn:
            row = conn.execute("select site from publication").fetchone()
    except sqlite3.Error:
        return None
    return public_site(row[0]) if row else None


def own_host(scope: dict, public: str | None) -> dict:
    """``scope`` with the host the site answers for in place of the visitor's ``Host`` header:
    the public address, or the address the server listens on; a forged header must never
    reach an absolute link (``next_url``, ``rel=alternate``) nor the page cache."""
    if public is not None:
        parts = urlsplit(public)
        host, scheme = parts.netloc, parts.scheme
    else:
        server = scope.get("server")
        host = f"{server[0]}:{server[1]}" if server and server[1] else "localhost"
        scheme = scope.get("scheme") or "http"
    headers = [(k, v) for k, v in scope.get("headers", []) if k.lower() != b"host"]
    return dict(scope, scheme=scheme, headers=[(b"host", host.encode("latin-1")), *headers])


# A phrase in quotes, or a word: what a search box's text is made of
SEARCH_PARTS = re.compile(r'"([^"]*)"|([^\s"]+)')


def search_terms(text: str) -> str:
    """A visitor's search as an FTS5 query of quoted words and phrases, so that no character
    they type is FTS5 syntax: ``mjc "accès aux droits`` -> ``"mjc" "accès aux droits"``; a
    search of nothing but quotes or spaces finds nothing (Datasette's ``escape_fts`` made it
    an empty query, an FTS5 syntax error)."""
    parts = [phrase or word for phrase, word in SEARCH_PARTS.findall(text)]
    return " ".join(f'"{part}"' for part in parts if part.strip()) or '""'


@hookimpl(trylast=True)
def prepare_connection(conn: Any, database: str, datasette: Any) -> None:
    # Datasette's escape_fts (its table pages' search) replaced by search_terms: last, so
    # that Datasette's own hook does not register its version again after this one
    conn.create_function("escape_fts", 1, search_terms, deterministic=True)
    db = datasette.databases.get(database)
    prepare(conn, guarded=db is not None and bool(db.path) and not db.is_mutable)


def mailto(address: str, subject: str, body: str) -> str:
    """A ``mailto:`` link (RFC 6068): subject and body percent-encoded in UTF-8, spaces as
    %20 and line ends as %0D%0A; nothing is sent or stored by the site."""
    body = body.replace("\r\n", "\n").replace("\n", "\r\n")
    fields = f"subject={quote(subject, safe='')}&body={quote(body, safe='')}"
    return f"mailto:{quote(address, safe='@')}?{fields}"


def in_list(cell: str | None) -> str:
    """A list a table holds as a JSON array, as a reader reads it: ``a, b``."""
    if not cell:
        return ""
    try:
        values = json.loads(cell)
    except ValueError:
        return cell
    return ", ".join(str(v) for v in values) if isinstance(values, list) else cell


def from_json(cell: str | None) -> Any:
    """A JSON cell of a query (a list of actors, of referrals) as data; nothing when it is not
    JSON."""
    try:
        return json.loads(cell) if cell else []
    except ValueError:
        return []


# Datasette's filter operators, as its table pages offer them (their names are English in
# Datasette's Python: datasette/filters.py), in French.
OPERATORS = {
    "exact": "égal à",
    "not": "différent de",
    "contains": "contient",
    "endswith": "se termine par",
    "startswith": "commence par",
    "gt": "supérieur à",
    "gte": "supérieur ou égal à",
    "lt": "inférieur à",
    "lte": "inférieur ou égal à",
    "like": "ressemble à (like)",
    "notlike": "ne ressemble pas à (not like)",
    "glob": "correspond au motif (glob)",
    "in": "parmi (liste)",
    "notin": "hors de (liste)",
    "arraycontains": "la liste contient",
    "arraynotcontains": "la liste ne contient pas",
    "date": "à la date",
    "isnull": "est vide (null)",
    "notnull": "n'est pas vide (null)",
    "isblank": "est vide",
    "notblank": "n'est pas vide",
}
OPEN_NOW = "_ouvert"  # ?_ouvert=oui keeps the places open when the page is served
# Columns holding OSM opening hours: the pages say them in words (the exports keep the syntax);
# the hours in force (closures folded in) give the status when the row has them
HOURS_COLUMNS = frozenset({"opening_hours", "horaires"})
IN_FORCE_OF = {"sites": "hours_in_force", "carte_des_lieux": "horaires_en_vigueur"}
IN_FORCE_COLUMNS = frozenset(IN_FORCE_OF.values())


def without_controls(text: Any) -> str:
    """What a visitor typed, shown again without its control characters (NUL, escapes)."""
    return "".join(c for c in str(text or "") if c.isprintable() or c == " ")


def number(value: int | None) -> str:
    """``1234`` -> ``1 234`` (French thousands, with a narrow no-break space)."""
    return "" if value is None else f"{value:,}".replace(",", "\u202f")


def filters_in_words(filters: Any, columns: dict[str, str] | None = None, search: str = "") -> str:
    """What a table page's filters keep, in French: ``Nom contient « mjc » et Pôle égal à …``
    (Datasette's own description, ``human_description_en``, is English)."""
    columns = columns or {}
    parts = [f"recherche « {search} »"] if search else []
    for column, lookup, value in filters.selections():
        label = columns.get(column, column)
        operator = OPERATORS.get(lookup, lookup)
        parts.append(f"{label} {operator}" + (f" « {value} »" if value and value != "1" else ""))
    return " et ".join(parts)


@hookimpl
def filters_from_request(request: Any, database: str, table: str, datasette: Any) -> Any:
    """``?_ouvert=oui`` on a table with opening hours keeps the rows open now."""
    from datasette.filters import FilterArguments

    if request.args.get(OPEN_NOW) != "oui":
        return None
    column = IN_FORCE_OF.get(table)
    if column is None:
        return None
    return FilterArguments(
        [f'ouvert_maintenant("{column}") = 1'], human_descriptions=["ouverts maintenant"]
    )


def markers(rows: list[Any], now: datetime | None = None) -> Markup:
    """The map's places as JSON for a ``<script type="application/json">``: name, actor,
    pole, address, hours in words and open-now status, computed when the page is served."""
    places = []
    for row in rows:
        row = dict(row)
        if row.get("latitude") is None or row.get("longitude") is None:
            continue
        # the rows of carte_des_lieux (French names) or of the sites table
        street = ", ".join(
            str(p) for p in (row.get("street"), row.get("postcode"), row.get("commune")) if p
        )
        opening = row.get("horaires", row.get("opening_hours"))
        in_force = next((row[k] for k in IN_FORCE_COLUMNS if k in row), opening)
        places.append(
            {
                "lat": row["latitude"],
                "lon": row["longitude"],
                "lieu": row.get("lieu") or row.get("name") or "",
                "acteur": row.get("acteur") or "",
                "actor_id": row.get("actor_id") or row.get("actor") or "",
                "pole": row.get("pole") or "",
                "adresse": row.get("adresse") or street,
                "horaires": hours.in_words(opening),
                "ouverture": hours.status(in_force, now),
                # shown the French way, called in one tap (tel: has only digits and "+")
                "telephone": phone_display(row.get("telephone")),
                "tel": phone_uri(row.get("telephone")),
                "exemple": bool(row.get("exemple", row.get("illustrative"))),
                "courriel": row.get("courriel") or "",
                "mailto": f"mailto:{quote(row['courriel'], safe='@')}"
                if row.get("courriel")
                else "",
            }
        )
    text = json.dumps(places, ensure_ascii=False)
    # inside <script>, "</" would end the element: "<" (only ever inside a JSON string) is
    # written as its escape, so no name can close it
    return Markup(text.replace("<", "\\u003c"))


# The canned queries whose page is a template of ours, which reads ``rows``: Datasette still
# renders every cell of their answer for a table those pages never show (each opening hours
# parsed and each phone read again: half the orienter's and the search's time, uncached).
OWN_QUERY_PAGES = frozenset(
    page.stem.removeprefix("query-maillage-") for page in TEMPLATES.glob("query-maillage-*.html")
)


OWN_QUERY_PATHS = frozenset(f"/maillage/{name}" for name in OWN_QUERY_PAGES)
# whether the request being served is one of those pages (set by the plugin's asgi wrapper:
# Datasette 0.65's render_cell is not given the request)
OWN_PAGE: contextvars.ContextVar[bool] = contextvars.ContextVar("own_page", default=False)


@hookimpl
def render_cell(row: Any, value: Any, column: str, table: str | None) -> Markup | None:
    if table is None and OWN_PAGE.get():
        return None
    if column == "channel" and isinstance(value, str):  # a referral's channel, in words
        return Markup.escape(CHANNEL_LABELS.get(value, value))
    if column == "telephone" and isinstance(value, str) and value:  # stored E.164
        return Markup.escape(phone_display(value))
    if column in IN_FORCE_COLUMNS and isinstance(value, str):
        return Markup.escape(hours.status(value))
    if column not in HOURS_COLUMNS or not isinstance(value, str) or not value:
        return None
    keys = row.keys() if hasattr(row, "keys") else ()
    in_force = next((row[k] for k in IN_FORCE_COLUMNS if k in keys), value)
    words, status = hours.in_words(value), hours.status(in_force)
    return Markup("{}<br><em>{}</em>").format(words, status) if status else Markup.escape(words)


@hookimpl
def extra_template_vars(datasette: Any) -> dict[str, Any]:
    return {"sql_lot": functools.partial(sql_lot, datasette)}


async def sql_lot(
    datasette: Any, queries: dict[str, tuple[str, list]], database: str = "maillage"
) -> dict[str, list]:
    """The rows of each of a page's ``queries`` (name -> (sql, parameters)), asked in one trip to
    the database's thread, within the site's time and row limits. Each ``sql()`` of a template
    is a trip, and under load every trip waits its turn: with ten, the actor page was the
    slowest page of the site at 50 clients."""
    from datasette.utils import sqlite_timelimit

    limit = datasette.setting("sql_time_limit_ms")
    most = datasette.setting("max_returned_rows")

    def run(conn: sqlite3.Connection) -> dict[str, list]:
        with sqlite_timelimit(conn, limit):
            return {
                name: conn.execute(sql, params).fetchmany(most)
                for name, (sql, params) in queries.items()
            }

    return await datasette.get_database(database).execute_fn(run)


@hookimpl
def prepare_jinja2_environment(env: Any) -> None:
    env.filters["km"] = distance_in_words
    env.filters["sans_controles"] = without_controls
    env.filters["horaires"] = hours.in_words
    env.filters["ouverture"] = hours.status
    env.filters["periode"] = hours.closure_in_words
    env.filters["date_du_jour"] = lambda _: french_date(datetime.now(hours.PARIS).date())
    env.filters["verifiee"] = checked_in_words
    env.filters["a_verifier"] = check_is_old
    env.filters["date_en_clair"] = date_in_words
    env.filters["canal"] = lambda notation: CHANNEL_LABELS.get(notation, notation)
    env.filters["mailto"] = mailto
    env.filters["liste"] = in_list
    env.filters["depuis_json"] = from_json
    env.filters["operateur"] = lambda lookup: OPERATORS.get(lookup, lookup)
    env.filters["nombre"] = number
    env.filters["libelle"] = lambda column, labels: (labels or {}).get(column) or column
    env.filters["filtres_en_clair"] = filters_in_words
    env.filters["marqueurs"] = markers
    # phones stored E.164, shown the French way, linked as tel: (graph/contact.py)
    env.filters["telephone"] = phone_display
    env.filters["tel"] = phone_uri
    env.filters["qr_fiche"] = page_qr


@functools.lru_cache(maxsize=1024)
def date_in_words(day: object) -> str:
    """An ISO date as a reader says it (``1er septembre 2023``); anything else as it is."""
    try:
        return french_date(date.fromisoformat(str(day)))
    except ValueError:
        return str(day or "")


def check_is_old(verified: object, today: date | None = None) -> bool:
    """Whether a check date is older than the default recheck delay (12 months): the pages
    flag it "à vérifier" rather than let an old check pass for a recent one."""
    try:
        day = date.fromisoformat(str(verified)) if verified else None
    except ValueError:
        return False
    today = today or datetime.now(hours.PARIS).date()
    return day is not None and day < months_before(today, DEFAULT_RECHECK_MONTHS)


def page_qr(actor_id: str, site: str | None) -> Markup:
    """The QR code of an actor's public page as inline SVG (the slip's), or, while the network
    has no public https address, the proof notice: a printed code must open something."""
    import segno

    public = public_site(site)
    if public is None:
        return Markup('<p class="epreuve"><strong>') + PROOF + Markup("</strong></p>")
    url = actor_page(public, actor_id)
    return Markup(segno.make(url, error="m").svg_inline(scale=4, border=2, title=url))


async def download(request: Any, send: Any, datasette: Any) -> Response | None:
    name = request.url_vars["name"]
    folder = published_folder(datasette)
    if folder is None or name not in published_files(folder) or not (folder / name).is_file():
        return Response.text("Fichier introuvable.", status=404)
    suffix = Path(name).suffix
    await asgi_send_file(
        send,
        folder / name,
        content_type=CONTENT_TYPES.get(suffix, "application/octet-stream"),
        chunk_size=1 << 20,
        headers={"cache-control": "public, max-age=300"},
    )
    return None


async def home(request: Any, datasette: Any) -> Response:
    """The home page, from index.html and its own queries only. Datasette's index view first
    lists every table of every database with its columns, count and permissions (60 tables:
    100 ms a page, most of the home page's time under load); the page shows none of it."""
    context = {"metadata": datasette.metadata()}
    page = await datasette.render_template(
        "index.html", context, request=request, view_name="index"
    )
    return Response.html(page, headers={"cache-control": "public, max-age=60"})


async def databases(request: Any, datasette: Any) -> Response:
    """Datasette's list of the databases served, without their path on the server; its HTML
    form (English, for developers) is not served."""
    from datasette.utils.asgi import NotFound

    if not request.path.endswith(".json"):
        raise NotFound("no HTML list of databases")
    listed = datasette._connected_databases()  # what Datasette's own page lists
    return Response.json([{k: v for k, v in d.items() if k != "path"} for d in listed])


async def actor_card(request: Any, datasette: Any) -> Response:
    """An actor's page (``row-maillage-actors.html``, whose queries are one trip) without
    Datasette's row view around it: before a template that reads none of it, the view makes
    about a dozen trips to the database's threads (foreign keys, the tables that point at the
    row, the row itself), each waiting its turn under load: the slowest page of the site when
    the page cache misses. Other addresses of a row (``.json``, an encoded key) stay Datasette's."""
    from datasette.utils.asgi import NotFound

    if request.method not in ("GET", "HEAD"):  # the site is read-only, as Datasette's views
        return Response.text("Méthode non permise : ce site se lit seulement.", status=405)
    await datasette.ensure_permissions(  # the checks of Datasette's row view
        request.actor,
        [("view-table", ("maillage", "actors")), ("view-database", "maillage"), "view-instance"],
    )
    actor = request.url_vars["actor"]
    found = await datasette.get_database("maillage").execute(
        "select 1 from actors where id = ?", [actor]
    )
    if not found.rows:
        raise NotFound("no such actor")
    row = datasette.urls.row("maillage", "actors", actor)
    json_url = datasette.absolute_url(request, datasette.urls.path(row, format="json"))
    context = {
        "database": "maillage",
        "table": "actors",
        "primary_key_values": [actor],
        "metadata": datasette.table_metadata("maillage", "actors"),  # the crumbs' title
        "alternate_url_json": json_url,
    }
    page = await datasette.render_template(
        "row-maillage-actors.html", context, request=request, view_name="row"
    )
    headers = {
        "Link": f'{json_url}; rel="alternate"; type="application/json+datasette"',
        "Cache-Control": f"max-age={datasette.setting('default_cache_ttl')}",
        "Referrer-Policy": "no-referrer",  # as on Datasette's pages
    }
    return Response.html(page, headers=headers)


async def open_data(request: Any, datasette: Any) -> Response:
    """The "Données ouvertes" page: the downloads and the tables, off the residents' pages."""
    context = {"metadata": datasette.metadata()}
    page = await datasette.render_template(
        "donnees_ouvertes.html", context, request=request, view_name="donnees_ouvertes"
    )
    return Response.html(page, headers={"cache-control": "public, max-age=60"})


@hookimpl
def register_routes() -> list:
    return [
        (r"^/$", home),
        (r"^/-/databases(\.json)?$", databases),
        (r"^/donnees-ouvertes$", open_data),
        (rf"^{dashboard.PAGE}$", dashboard.page),  # the coordinators' dashboard
        (rf"^/{DOWNLOADS}/(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)$", download),
        (r"^/maillage/actors/(?P<actor>[a-z0-9][a-z0-9-]*)$", actor_card),
        *api.routes(),
        *hsds.routes(),
    ]


# Table pages with a form of their own, whose "Tous" choices send empty values: an empty
# value would be a filter (column = ''), so the page is asked again without them, as
# Datasette does for its own filter form.
FORM_PAGES = frozenset({"/maillage/carte_des_lieux"})


def _has_empty_filter(query: str) -> bool:
    return any(not v and not k.startswith("_") for k, v in parse_qsl(query, keep_blank_values=True))


def _without_empty_filters(path: str, query: str):
    kept = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if v or k.startswith("_")]
    return Response.redirect(path + ("?" + urlencode(kept) if kept else ""))


# Bounds of an address (Datasette turns every parameter into a filter: 10,000 of them made an
# SQL statement past SQLite's limit, a 500)
MAX_PARAMETERS = 200
MAX_ADDRESS = 60 * 1024  # bytes of path and query string (the longest hostile test: 48 KB)
THROUGH_KEYS = frozenset({"table", "column", "value"})


def _valid_through(text: str) -> bool:
    """``_through`` as Datasette reads it: a JSON object of a table, a column and a value."""
    try:
        through = json.loads(text)
    except ValueError:
        return False
    return (
        isinstance(through, dict)
        and set(through) == THROUGH_KEYS
        and isinstance(through["table"], str)
        and isinstance(through["column"], str)
        and isinstance(through["value"], str | int | float)
        and not isinstance(through["value"], bool)
    )


def bad_address(path: str, query: str) -> str | None:
    """Why the site refuses an address (in French), or None: too long, too many parameters,
    SQL in ``_where``, a malformed ``_through``."""
    if len(path.encode("utf-8")) + len(query) > MAX_ADDRESS:
        return f"Adresse trop longue (plus de {MAX_ADDRESS // 1024} Kio) : raccourcissez-la."
    pairs = parse_qsl(query, keep_blank_values=True)
    if len(pairs) > MAX_PARAMETERS:
        return f"Trop de paramètres dans l'adresse ({len(pairs)}, au plus {MAX_PARAMETERS})."
    if any(key == "_where" for key, _ in pairs):
        return "Le paramètre _where n'est pas accepté : utilisez les filtres."
    if any(key == "_through" and not _valid_through(value) for key, value in pairs):
        return (
            "Le paramètre _through doit être un objet JSON de la forme "
            '{"table": "…", "column": "…", "value": "…"}.'
        )
    return None


def _refuse(message: str):
    async def app(scope: dict, receive: Any, send: Any) -> None:
        await Response.text(message, status=400).asgi_send(send)

    return app


# Links to javascript:, data: or vbscript: never run, whoever wrote them (a description's
# link, a pop-up's). Listening in the capture phase, before Leaflet stops the click in its
# pop-ups.
INERT_SCRIPT_LINKS = """
document.addEventListener("click", function (event) {
  var link = event.target.closest ? event.target.closest("a[href]") : null;
  if (link && /^\\s*(javascript|data|vbscript):/i.test(link.getAttribute("href"))) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}, true);
"""


@hookimpl
def extra_body_script() -> str:
    return INERT_SCRIPT_LINKS


def _safe_csv(send: Any) -> Any:
    """``send`` for a CSV answer of Datasette's: its cells made safe for spreadsheets
    (:mod:`maillage.publish.csvcells`) as its chunks go by."""
    stream, decoder = CSVStream(), codecs.getincrementaldecoder("utf-8")("replace")

    async def send_safe(message: dict) -> None:
        if message["type"] == "http.response.start":
            headers = [(k, v) for k, v in message.get("headers", []) if k != b"content-length"]
            message = dict(message, headers=headers)
        elif message["type"] == "http.response.body":
            last = not message.get("more_body", False)
            text = stream.feed(decoder.decode(message.get("body", b""), final=last), last)
            message = dict(message, body=text.encode("utf-8"))
        await send(message)

    return send_safe


@hookimpl
def asgi_wrapper(datasette: Any) -> Any:
    cache = PageCache()

    def wrap(app: Any) -> Any:
        async def guarded(scope: dict, receive: Any, send: Any) -> None:
            if scope.get("type") == "http":
                query = scope.get("query_string", b"").decode("latin-1")
                path = scope.get("path", "")
                refusal = bad_address(path, query)
                if refusal is not None:
                    await _refuse(refusal)(scope, receive, send)
                    return
                if path in FORM_PAGES and _has_empty_filter(query):
                    await _without_empty_filters(path, query).asgi_send(send)
                    return
                if path.endswith(".csv") and not path.startswith(f"/{DOWNLOADS}/"):
                    send = _safe_csv(send)
                OWN_PAGE.set(path in OWN_QUERY_PATHS)
                folder = published_folder(datasette)
                stamp = database_stamp(str(folder / "maillage.db") if folder else None)
                scope = own_host(scope, public_address(folder, stamp))
                if PageCache.cacheable(scope) and not path.startswith(f"/{DOWNLOADS}/"):
                    await cache.serve((stamp, path, query), app, scope, receive, send)
                    return
            await app(scope, receive, send)

        return guarded

    return wrap


# Datasette's messages of a visitor's mistake (English, some naming SQL or its settings' docs),
# by how they start, in French; one it has and this list lacks gets UNCLEAR
CLIENT_ERRORS = {
    "Cannot sort table by": "Tri impossible : cette colonne n'existe pas ou ne se trie pas.",
    "Cannot use _sort and _sort_desc": "Choisissez _sort ou _sort_desc, pas les deux.",
    "Invalid _through": "Le paramètre _through ne désigne pas une table liée à celle-ci.",
    "Cannot search by that column": "Recherche impossible dans cette colonne.",
    "_size must be <=": "Le paramètre _size est trop grand (au plus 1 000 lignes par page).",
    "_size must be a positive integer": "Le paramètre _size doit être un nombre positif.",
    "_facet= is not allowed": "Les facettes ne sont pas proposées ici.",
    "_next not allowed for CSV streaming": "Le paramètre _next ne va pas avec l'export complet.",
    "CSV streaming is disabled": "L'export complet n'est pas proposé.",
    "Cannot download": "Cette base ne se télécharge pas ici : voir les téléchargements.",
    # Datasette's checks of the SQL page's query (validate_sql_select)
    "Statement must be a SELECT": "La requête doit être une lecture : SELECT ou WITH.",
    "Statement contained a disallowed PRAGMA": (
        "La requête ne peut pas contenir PRAGMA ; les fonctions de lecture comme "
        "pragma_table_info('actors') sont permises."
    ),
    # SQLite's, when a table page's filters, facets or search make a query it refuses
    "no such column": "Cette colonne n'existe pas : vérifiez le filtre, le tri ou la facette.",
    "fts5:": "La recherche n'est pas comprise : tapez des mots, sans guillemets ni signes.",
    "unterminated string": "La recherche n'est pas comprise : un guillemet n'est pas fermé.",
    "LIKE or GLOB pattern too complex": "Motif trop long ou trop complexe : moins de % et de _.",
}
UNCLEAR = "Demande incomprise : vérifiez les paramètres de l'adresse."
TIME_LIMIT = (
    "La demande a pris trop de temps (plus de {seconds} s) et a été arrêtée : précisez-la "
    "(un filtre de plus, moins de lignes)."
)
FORBIDDEN = "Cette page n'est pas publique."
TITLES = {400: "Demande invalide", 403: "Accès refusé", 404: "Page introuvable"}


def _in_french(message: str) -> str:
    return next((fr for start, fr in CLIENT_ERRORS.items() if message.startswith(start)), UNCLEAR)


def _status_and_message(exception: Exception, time_limit_ms: int) -> tuple[int, str, str | None]:
    """The status, French message and title of an error page: never Datasette's or SQLite's
    English, never SQL, never a link to Datasette's documentation."""
    from datasette.utils.asgi import Base400
    from datasette.views.base import DatasetteError

    if isinstance(exception, Base400):
        status = exception.status
        message = str(exception.args[0]) if exception.args else ""
        if status == 404:
            return status, "Cette page n'existe pas.", None
        return status, FORBIDDEN if status == 403 else _in_french(message), None
    if isinstance(exception, sqlite3.ProgrammingError) and "binding parameter" in str(exception):
        # a row's address with fewer key values than the table's primary key (Datasette 0.65
        # runs the query anyway): no such page
        return 404, "Cette page n'existe pas.", None
    if isinstance(exception, DatasetteError):
        if exception.title == "SQL Interrupted":
            seconds = f"{time_limit_ms / 1000:g}".replace(".", ",")
            return 400, TIME_LIMIT.format(seconds=seconds), "Demande trop longue"
        message = str(exception.message)
        if exception.status < 500 or any(message.startswith(s) for s in CLIENT_ERRORS):
            return 400, _in_french(message), None  # a visitor's mistake, not a server error
    return 500, "Erreur interne du serveur.", None


class Shared(dict):
    """A part of the site's metadata (a table's or a canned query's) that nothing modifies:
    Datasette deep-copies the whole metadata for every table permission check (a third of an
    actor page's time, three checks a page), and this part is then shared, not copied."""

    def __deepcopy__(self, memo: dict) -> Shared:
        return self


def shared_metadata(metadata: dict) -> dict:
    """``metadata`` with each table's and canned query's part :class:`Shared` (the site's
    metadata has one source, so Datasette's merges of sources never write into them)."""
    databases = {}
    for name, database in (metadata.get("databases") or {}).items():
        database = dict(database)
        for part in ("tables", "queries"):
            if isinstance(database.get(part), dict):
                database[part] = {k: Shared(v) for k, v in database[part].items()}
        databases[name] = database
    return {**metadata, "databases": databases}


@hookimpl
def startup() -> None:
    """This plugin's handler replaces Datasette's (see :func:`handle_exception`): every
    handler's answer is awaited, so Datasette's would still run, and fail, after ours."""
    from datasette.plugins import pm

    if pm.get_plugin(DEFAULT_HANDLER) is not None:
        pm.unregister(name=DEFAULT_HANDLER)


DEFAULT_HANDLER = "datasette.handle_exception"


@hookimpl(tryfirst=True)
def handle_exception(datasette: Any, request: Any, exception: Exception) -> Any:
    """Every error page, in French. Datasette's own handler prints the exception with rich
    when rich is installed, and fails there outside an ``except`` block (every 404 became a
    500); it also shows Python's message of an internal error to the visitor."""

    async def render() -> Response:
        limit = datasette.setting("sql_time_limit_ms")
        status, message, title = _status_and_message(exception, limit)
        if status >= 500:
            traceback.print_exception(exception)
        title = title or TITLES.get(status, "Erreur")
        info = {"ok": False, "error": message, "status": status, "title": title}
        if request.path.endswith(".json"):
            return Response.json(info, status=status)
        template = datasette.jinja_env.select_template([f"{status}.html", "error.html"])
        context = dict(info)
        context.update(urls=datasette.urls, app_css_hash=datasette.app_css_hash())
        context["menu_links"] = lambda: []
        return Response.html(await template.render_async(context), status=status)

    return render
