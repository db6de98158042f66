"""The Open Referral HSDS 3.0 API, read-only, served by the site's Datasette under ``/hsds``.

Paths and parameters are the official document's (``publish/apispecs/hsds/openapi.json``):
paged lists (``page``, ``per_page``; :data:`PER_PAGE` by default, at most :data:`MAX_PER_PAGE`,
past the last page ``contents`` is empty), ``format=ndjson`` streamed in chunks (never held
whole), the objects by id. Ids are version 5 UUIDs of the records' IRIs: the same between
builds. The documents are the rows the build wrote (:mod:`.api_tables`), as for the export.
"""

from __future__ import annotations

import json
from typing import Any

from datasette.utils.asgi import AsgiStream, Response

from maillage.publish.api import (
    DB,
    LAST_ROW,
    ApiError,
    json_response,
    not_found,
    public_address,
    query_parameters,
)
from maillage.publish.openapi import HSDS, hsds_document

PREFIX = "/hsds"
PER_PAGE = 50
MAX_PER_PAGE = 1000
CHUNK = 500  # rows read at a time for ndjson
PROFILE_PATH = "/hsds/profil"
_URI = "urn:maillage:openapi:hsds"

# The filters each list understands, as SQL over its table (named parameters only; an empty
# value keeps every row). The text search looks in names and descriptions, case-insensitively.
FILTERS = {
    "search": "(:search = '' OR instr(lower(name || ' ' || coalesce(description, '')),"
    " lower(:search)) > 0)",
    "taxonomy_term_id": "(:taxonomy_term_id = '' OR EXISTS (SELECT 1 FROM"
    " json_each(taxonomy_term_ids) WHERE value = :taxonomy_term_id))",
    "taxonomy_id": "(:taxonomy_id = '' OR EXISTS (SELECT 1 FROM json_each(taxonomy_ids)"
    " WHERE value = :taxonomy_id))",
    "organization_id": "(:organization_id = '' OR organization_id = :organization_id)",
    "modified_after": "(:modified_after = '' OR last_modified >= :modified_after)",
    "term_taxonomy_id": "(:taxonomy_id = '' OR taxonomy_id = :taxonomy_id)",
    "top_only": "(:top_only = '' OR parent_id IS NULL)",
    "parent_id": "(:parent_id = '' OR parent_id = :parent_id)",
    # within ``proximity`` metres of the postcode's centre (see CENTRE), or in
    # the postcode when no proximity is given
    "postcode": """(:postcode = '' OR (CASE WHEN :proximity = '' THEN postcode = :postcode
      ELSE latitude IS NOT NULL AND 6371000.0 * acos(min(1.0, max(-1.0,
        sin(radians(latitude)) * sin(radians(centre.lat))
        + cos(radians(latitude)) * cos(radians(centre.lat))
          * cos(radians(longitude - centre.lon))))) <= CAST(:proximity AS REAL) END))""",
}
LISTS = {
    "services": (
        "hsds_services",
        ("search", "taxonomy_term_id", "taxonomy_id", "organization_id", "modified_after"),
    ),
    "organizations": ("hsds_organizations", ("search",)),
    "service_at_locations": (
        "hsds_service_at_locations",
        (
            "search",
            "taxonomy_term_id",
            "taxonomy_id",
            "organization_id",
            "modified_after",
            "postcode",
        ),
    ),
    "taxonomies": ("hsds_taxonomies", ("search",)),
    "taxonomy_terms": (
        "hsds_taxonomy_terms",
        ("search", "term_taxonomy_id", "top_only", "parent_id"),
    ),
}
# The postcode's centre: its commune's, as the search has it (``communes``: network.yaml's
# centre or its places' mean position), else the mean position of the postcode's locations.
CENTRE = """(SELECT
    coalesce(commune.latitude, located.lat) AS lat, coalesce(commune.longitude, located.lon) AS lon
  FROM (SELECT avg(latitude) AS lat, avg(longitude) AS lon FROM hsds_service_at_locations
        WHERE postcode = :postcode) AS located
  LEFT JOIN (SELECT latitude, longitude FROM communes WHERE insee = (
        SELECT insee FROM communes_cles WHERE cle = :postcode ORDER BY rang, insee LIMIT 1)
      ) AS commune) AS centre"""


def _sql(table: str, filters: tuple[str, ...], column: str) -> tuple[str, str]:
    """The count and the page queries of ``table`` with its filters: the page's ids found
    first, in order, then their documents read (a whole table's documents never are)."""
    where = " AND ".join(FILTERS[f] for f in filters) or "1"
    source = f"{table}, {CENTRE}" if "postcode" in filters else table
    # table and column names come from the constants above; every value is bound
    count = f"SELECT count(*) FROM {source} WHERE {where}"  # noqa: S608
    ids = f"SELECT id FROM {source} WHERE {where} ORDER BY id LIMIT :limit OFFSET :offset"  # noqa: S608
    page = (
        f"SELECT t.{column} AS document FROM ({ids}) AS p"  # noqa: S608
        f" JOIN {table} AS t ON t.id = p.id ORDER BY p.id"
    )
    return count, page


def _params(values: dict) -> dict[str, str]:
    def text(key: str) -> str:
        value = values.get(key)
        if value is None or value is False:
            return ""
        return str(value)

    # the official document types proximity as a string: one that is not a distance in
    # metres is no proximity (the postcode alone filters), never a refusal
    proximity = text("proximity").strip()
    try:
        metres = float(proximity)
        proximity = repr(metres) if 0 <= metres < 1e9 else ""
    except ValueError:
        proximity = ""
    return {
        key: text(key)
        for key in (
            "search",
            "taxonomy_term_id",
            "taxonomy_id",
            "organization_id",
            "modified_after",
            "parent_id",
            "postcode",
        )
    } | {"proximity": proximity, "top_only": "1" if values.get("top_only") is True else ""}


def _page(values: dict) -> tuple[int, int]:
    page = min(max(1, values.get("page") or 1), LAST_ROW // MAX_PER_PAGE)
    per_page = values.get("per_page") or PER_PAGE
    return page, min(max(1, per_page), MAX_PER_PAGE)


def _paged(contents: list, total: int, page: int, per_page: int) -> dict[str, Any]:
    pages = -(-total // per_page)
    return {
        "total_items": total,
        "total_pages": pages,
        "page_number": page,
        "size": len(contents),
        "first_page": page == 1,
        "last_page": page >= pages,
        "empty": not contents,
        "contents": contents,
    }


def _full(values: dict, name: str) -> bool:
    return bool(values.get("full") or (name == "organizations" and values.get("full_service")))


async def _list(request: Any, datasette: Any, name: str) -> Response | AsgiStream:
    table, filters = LISTS[name]
    values = query_parameters(request, f"/{name}", HSDS, _URI)
    column = (
        "full"
        if _full(values, name) and name != "taxonomies" and "terms" not in name
        else ("document")
    )
    count, sql = _sql(table, filters, column)
    params = _params(values)
    db = datasette.get_database(DB)
    if values.get("format") == "ndjson":
        return AsgiStream(
            _ndjson(db, sql, params), content_type="application/x-ndjson; charset=utf-8"
        )
    page, per_page = _page(values)
    found = await db.execute(sql, {**params, "limit": per_page, "offset": (page - 1) * per_page})
    total = (await db.execute(count, params)).first()[0]
    return json_response(
        _paged([json.loads(r["document"]) for r in found.rows], total, page, per_page)
    )


def _ndjson(db: Any, sql: str, params: dict):
    async def stream(writer: Any) -> None:
        offset = 0
        while True:
            found = await db.execute(sql, {**params, "limit": CHUNK, "offset": offset})
            rows = list(found.rows)
            if not rows:
                return
            await writer.write("".join(r["document"] + "\n" for r in rows))
            offset += CHUNK

    return stream


OBJECTS = {
    "services": ("hsds_services", "full", "Service"),
    "organizations": ("hsds_organizations", "full", "Organisation"),
    "service_at_locations": ("hsds_service_at_locations", "full", "Service en un lieu"),
    "taxonomies": ("hsds_taxonomies", "document", "Taxonomie"),
    "taxonomy_terms": ("hsds_taxonomy_terms", "document", "Terme de taxonomie"),
}


async def _object(request: Any, datasette: Any, name: str) -> Response:
    table, column, what = OBJECTS[name]
    identifier = request.url_vars["id"]
    if name == "organizations":
        values = query_parameters(request, "/organizations/{id}", HSDS, _URI)
        column = "full" if values.get("full_service") is not False else "document"
    found = await datasette.get_database(DB).execute(
        f"SELECT {column} FROM {table} WHERE id = :id",  # noqa: S608 - names from OBJECTS
        {"id": identifier},
    )
    row = found.first()
    if row is None:
        raise not_found(what, identifier)
    document = json.loads(row[0])
    if name == "service_at_locations":
        # the official document answers this path with a service (compiled/service.json):
        # the service, seen at that location
        service = document.pop("service")
        document = {**service, **document, "id": document["id"]}
    return json_response(document)


def _endpoint(handler, name: str):
    async def endpoint(request: Any, datasette: Any) -> Any:
        if request.method not in ("GET", "HEAD"):
            return json_response(
                {"detail": "Méthode non autorisée : cette API est en lecture seule."},
                status=405,
                headers={"allow": "GET, HEAD"},
            )
        try:
            return await handler(request, datasette, name)
        except ApiError as exc:
            return exc.response()

    return endpoint


async def root(request: Any, datasette: Any) -> Response:
    site = await _site(datasette)
    return json_response(
        {
            "version": "3.0",
            "profile": site + PROFILE_PATH,
            "openapi_url": site + "/hsds/openapi.json",
        }
    )


async def _site(datasette: Any) -> str:
    """An absolute address for the links the API gives: the public site, else the one the
    network's file names (the root document's URIs must be absolute)."""
    public = await public_address(datasette, None)
    if public:
        return public
    found = await datasette.get_database(DB).execute("SELECT site FROM publication")
    row = found.first()
    return (row[0] if row and row[0] else "http://127.0.0.1:8001").rstrip("/")


async def openapi(request: Any, datasette: Any) -> Response:
    site = await _site(datasette)
    return json_response(hsds_document(site + PREFIX, site + PROFILE_PATH))


PROFILE = {
    "nom": "Profil HSDS 3.0 pour les réseaux d'inclusion numérique en France (maillage)",
    "version": "1",
    "taxonomies": {
        "maillage:needs": "Les besoins du réseau (référentiel needs) : chaque besoin est aligné"
        " sur un service du standard des lieux de médiation numérique (skos:exactMatch) et sur"
        " les thématiques de data·inclusion (skos:closeMatch).",
        "maillage:publics": "Les publics, codes du référentiel publics de data·inclusion.",
    },
    "correspondances": {
        "service.attributes": "un attribut par besoin et par public du service (taxonomy_term_id)",
        "niveaux du parcours": "les niveaux (1 accès libre, 2 accompagnement, 3 autonomie) ne"
        " sont pas publiés en HSDS : voir le graphe RDF (mai:level) ou la table service_levels",
        "location.addresses.state_province": "le département (deux premiers chiffres du code"
        " INSEE)",
        "identifiants": "UUID version 5 des IRI des fiches : stables d'une publication à l'autre",
    },
}


async def profile(request: Any, datasette: Any) -> Response:
    return json_response(PROFILE)


def routes() -> list:
    found: list = [
        (r"^/hsds/?$", root),
        (r"^/hsds/openapi\.json$", openapi),
        (rf"^{PROFILE_PATH}$", profile),
    ]
    for name in LISTS:
        found.append((rf"^{PREFIX}/{name}$", _endpoint(_list, name)))
        found.append((rf"^{PREFIX}/{name}/(?P<id>[^/]+)$", _endpoint(_object, name)))
    return found
