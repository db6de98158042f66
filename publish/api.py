"""The data·inclusion API v1, read-only, served by the site's Datasette (plugin routes).

The paths, parameters, paging (``page``, ``size``; past the last page ``items`` is empty, as
DORA's client expects) and fields are the national API's (its OpenAPI document, in
``publish/apispecs/``); the documents are the rows the build wrote (:mod:`.api_tables`), so the
API and ``maillage export data-inclusion`` answer the same. Parameters are read and checked
against the official document's own parameter schemas (jsonschema): a bad one is a 422 with a
French message, in FastAPI's error shape that the national API's clients read.

No token: the data are open. A deployment that wants one puts the site behind a proxy that
checks an ``Authorization: Bearer`` header (nginx's ``auth_request``), or adds an
``asgi_wrapper`` plugin that refuses requests under ``/api/`` without it.
"""

from __future__ import annotations

import functools
import json
import math
import re
from typing import Any

from datasette.utils.asgi import Response
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from maillage.publish.openapi import DATA_INCLUSION, SPECS, data_inclusion_document, official

DB = "maillage"
BASE = "/api/v1"
# "les services proches de cette commune": within this distance of its centre
NEARBY_KM = 50
LAST_ROW = 2**62  # a page past any table: SQLite's integers stop at 2**63
DOCS = {
    "frais": "frais",
    "modes-accueil": "modes-accueil",
    "modes-mobilisation": "modes-mobilisation",
    "personnes-mobilisatrices": "personnes-mobilisatrices",
    "publics": "publics",
    "reseaux-porteurs": "reseaux-porteurs",
    "thematiques": "thematiques",
    "types-services": "types-de-services",
}


def json_response(body: Any, status: int = 200, headers: dict | None = None) -> Response:
    """JSON in UTF-8 as French readers read it (« é », not « \\u00e9 »)."""
    return Response(
        json.dumps(body, ensure_ascii=False),
        status=status,
        headers=headers,
        content_type="application/json; charset=utf-8",
    )


class ApiError(Exception):
    """A request the API refuses: its status and FastAPI-shaped ``detail``."""

    def __init__(self, status: int, detail: Any) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail

    def response(self) -> Response:
        return json_response({"detail": self.detail}, status=self.status)


def not_found(what: str, identifier: str) -> ApiError:
    return ApiError(404, f"{what} introuvable : « {identifier[:200]} »")


# --- parameters, read as the official document declares them ---------------------------------

_URI = "urn:maillage:openapi:data-inclusion"
_INTEGER = re.compile(r"[-+]?\d{1,100}")
_NUMBER = re.compile(r"[-+]?(\d{1,18}(\.\d{0,18})?|\.\d{1,18})([eE][-+]?\d{1,3})?")
_TRUE, _FALSE = {"true", "1", "yes", "on", "t", "y"}, {"false", "0", "no", "off", "f", "n"}


@functools.cache
def _registry(uri: str, name: str) -> Registry:
    contents = Resource.from_contents(official(name), default_specification=DRAFT202012)
    return Registry().with_resource(uri, contents)


def _kind(schema: dict[str, Any]) -> str:
    """The JSON type a query parameter's schema wants (``anyOf`` with null unwrapped)."""
    for option in [schema, *schema.get("anyOf", [])]:
        kind = option.get("type")
        if kind and kind != "null":
            return kind
    return "string"


@functools.cache
def _declared(name: str, uri: str, path: str) -> tuple[tuple[str, str, Draft202012Validator], ...]:
    """Each query parameter of ``path`` in the official document: name, kind, validator."""
    pointer = path.replace("~", "~0").replace("/", "~1")
    found = []
    parameters = official(name)["paths"][path]["get"].get("parameters", [])
    for index, parameter in enumerate(parameters):
        at = f"#/paths/{pointer}/get/parameters/{index}"
        if "$ref" in parameter:  # a parameter the document declares once (#/components/...)
            at = parameter["$ref"]
            parameter = _resolve(official(name), at)
        if parameter.get("in") != "query":
            continue
        ref = {"$ref": f"{uri}{at}/schema"}
        validator = Draft202012Validator(ref, registry=_registry(uri, name))
        found.append((parameter["name"], _kind(parameter["schema"]), validator))
    return tuple(found)


def _resolve(document: dict[str, Any], pointer: str) -> Any:
    """The part of ``document`` a local JSON pointer (``#/components/parameters/page``) names."""
    found: Any = document
    for part in pointer.removeprefix("#/").split("/"):
        found = found[part.replace("~1", "/").replace("~0", "~")]
    return found


def _coerce(raw: str, kind: str) -> Any:
    value = raw.strip()
    if kind == "integer":
        if not _INTEGER.fullmatch(value):
            raise ValueError("doit être un nombre entier")
        return int(value)
    if kind == "number":
        if not _NUMBER.fullmatch(value) or not math.isfinite(float(value)):
            raise ValueError("doit être un nombre")
        return float(value)
    if kind == "boolean":
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE:
            return False
        raise ValueError("doit valoir true ou false")
    return raw


MESSAGES = {
    "enum": "valeur inconnue du référentiel (voir /api/v1/doc/…)",
    "minimum": "trop petit",
    "maximum": "trop grand",
    "minLength": "trop court",
    "maxLength": "trop long",
    "pattern": "format invalide",
}


def _reason(error: Any) -> str:
    """The most telling reason of a failure: inside ``anyOf`` (a value or null), the failures
    of its options, an unknown code first."""
    reasons = [error.validator]
    stack = list(error.context or [])
    while stack:
        inner = stack.pop()
        reasons.append(inner.validator)
        stack.extend(inner.context or [])
    return next((r for r in reasons if r in MESSAGES), str(error.validator))


def query_parameters(request: Any, path: str, name: str = DATA_INCLUSION, uri: str = _URI) -> dict:
    """The query's parameters that ``path`` declares, typed and checked; unknown ones are
    ignored, as the national API does. Raises :class:`ApiError` (422) with every problem."""
    values: dict[str, Any] = {}
    problems = []
    for key, kind, validator in _declared(name, uri, path):
        raw = request.args.getlist(key)
        if not raw:
            continue
        try:
            if kind == "array":
                value: Any = [_coerce(v, "string") for v in raw]
            else:
                value = _coerce(raw[-1], kind)
        except ValueError as exc:
            problems.append({"loc": ["query", key], "msg": str(exc), "type": "parsing"})
            continue
        error = next(iter(sorted(validator.iter_errors(value), key=lambda e: e.path)), None)
        if error is not None:
            reason = _reason(error)
            message = MESSAGES.get(reason, "valeur invalide")
            problems.append({"loc": ["query", key], "msg": message, "type": reason})
            continue
        values[key] = value
    if problems:
        raise ApiError(422, problems)
    return values


# --- paging -------------------------------------------------------------------------------------


def page_of(values: dict, default_size: int) -> tuple[int, int]:
    page = values.get("page", 1)
    size = values.get("size", default_size)
    return page, size


def paged(items: list, total: int, page: int, size: int) -> dict[str, Any]:
    return {"items": items, "total": total, "page": page, "size": size, "pages": -(-total // size)}


def _list(values: dict, key: str) -> str:
    return json.dumps(values.get(key) or [], ensure_ascii=False)


def _departement(values: dict) -> str:
    """The département a query names by code or by slug (the official enums are parallel)."""
    code = values.get("code_departement") or ""
    slug = values.get("slug_departement")
    if slug and not code:
        schemas = official(DATA_INCLUSION)["components"]["schemas"]
        code = schemas["DepartementCodeEnum"]["enum"][
            schemas["DepartementSlugEnum"]["enum"].index(slug)
        ]
    return code


# Each answer is one query: the page's documents and the total, with one row even past the last
# page (its document NULL), so that the total never needs a second query.
# Each answer is one query: the page's documents and the total, with one row even past the last
# page (its document NULL), so that the total never needs a second query. The rows found are
# ids only; the documents are read for the page alone.
STRUCTURES = """
WITH found AS (
  SELECT id FROM api_structures
  WHERE (:sources = '[]' OR source IN (SELECT value FROM json_each(:sources)))
    AND (:code_commune = '' OR code_insee = :code_commune)
    AND (:departement = '' OR substr(code_insee, 1, length(:departement)) = :departement)
    AND (:reseaux = '[]' OR EXISTS (
      SELECT 1 FROM json_each(reseaux_porteurs) AS r
      WHERE r.value IN (SELECT value FROM json_each(:reseaux))))
)
SELECT total.n AS total, s.document
FROM (SELECT count(*) AS n FROM found) AS total
LEFT JOIN (SELECT id FROM found ORDER BY id LIMIT :size OFFSET :offset) AS page
LEFT JOIN api_structures AS s ON s.id = page.id
ORDER BY page.id
"""

SERVICE_FILTERS = """
  (:sources = '[]' OR s.source IN (SELECT value FROM json_each(:sources)))
  AND (:thematiques = '[]' OR EXISTS (
    SELECT 1 FROM json_each(s.thematiques) AS t, json_each(:thematiques) AS w
    WHERE t.value = w.value OR t.value LIKE w.value || '--%'))
  AND (:frais = '[]' OR s.frais IN (SELECT value FROM json_each(:frais)))
  AND (:publics = '[]' OR EXISTS (
    SELECT 1 FROM json_each(s.publics) AS p
    WHERE p.value IN (SELECT value FROM json_each(:publics))))
  AND (:modes_accueil = '[]' OR EXISTS (
    SELECT 1 FROM json_each(s.modes_accueil) AS m
    WHERE m.value IN (SELECT value FROM json_each(:modes_accueil))))
  AND (:types = '[]' OR s.type IN (SELECT value FROM json_each(:types)))
  AND (:departement = '' OR substr(s.code_insee, 1, length(:departement)) = :departement)
"""

SERVICES = """
WITH found AS (
  SELECT s.id FROM api_services AS s
  WHERE (:code_commune = '' OR s.code_insee = :code_commune) AND {filters}
)
SELECT total.n AS total, s.document
FROM (SELECT count(*) AS n FROM found) AS total
LEFT JOIN (SELECT id FROM found ORDER BY id LIMIT :size OFFSET :offset) AS page
LEFT JOIN api_services AS s ON s.id = page.id
ORDER BY page.id
""".replace("{filters}", SERVICE_FILTERS)

# The person's point: lat and lon, or the centre of the commune (the search's ``communes``
# table: network.yaml's centre, else its places' mean position);
# the answer: the services within NEARBY_KM of it, those in the commune and those given at a
# distance, nearest first (the national API's order). The candidates near the point are those
# of a box around it (the latitude index), measured exactly afterwards.
SEARCH_SERVICES = """
WITH origin AS (
  SELECT
    CASE WHEN :lat <> '' THEN CAST(:lat AS REAL)
      ELSE coalesce((SELECT latitude FROM communes WHERE insee = :code_commune),
        (SELECT avg(latitude) FROM api_services WHERE code_insee = :code_commune)) END AS lat,
    CASE WHEN :lon <> '' THEN CAST(:lon AS REAL)
      ELSE coalesce((SELECT longitude FROM communes WHERE insee = :code_commune),
        (SELECT avg(longitude) FROM api_services WHERE code_insee = :code_commune)) END AS lon
),
candidates AS (
  SELECT s.rowid AS rid FROM api_services AS s, origin
  WHERE s.latitude BETWEEN origin.lat - :box AND origin.lat + :box
    AND abs(s.longitude - origin.lon) <= :box / max(0.01, cos(radians(origin.lat)))
  UNION SELECT rowid FROM api_services WHERE :code_commune <> '' AND code_insee = :code_commune
  UNION SELECT rowid FROM api_services WHERE a_distance = 1 AND (:code_commune <> '' OR :lat <> '')
  UNION SELECT rowid FROM api_services WHERE :code_commune = '' AND :lat = ''
),
measured AS (
  SELECT s.id, s.code_insee, s.a_distance,
    CASE WHEN origin.lat IS NULL OR s.latitude IS NULL THEN NULL
    ELSE 6371.0 * acos(min(1.0, max(-1.0,
      sin(radians(origin.lat)) * sin(radians(s.latitude))
      + cos(radians(origin.lat)) * cos(radians(s.latitude)) * cos(radians(s.longitude - origin.lon))
    ))) END AS km
  FROM candidates JOIN api_services AS s ON s.rowid = candidates.rid, origin
  WHERE {filters}
    AND (:q = '' OR instr(lower(s.document), lower(:q)) > 0)
),
found AS (
  SELECT id, km FROM measured
  WHERE (:code_commune = '' AND :lat = '')
    OR km <= :nearby
    OR (:code_commune <> '' AND code_insee = :code_commune)
    OR a_distance = 1
)
SELECT total.n AS total, s.document, st.document AS structure, page.km
FROM (SELECT count(*) AS n FROM found) AS total
LEFT JOIN (
  SELECT id, km FROM found ORDER BY km IS NULL, km, id LIMIT :size OFFSET :offset
) AS page
LEFT JOIN api_services AS s ON s.id = page.id
LEFT JOIN api_structures AS st ON st.id = s.structure_id
ORDER BY page.km IS NULL, page.km, page.id
""".replace("{filters}", SERVICE_FILTERS)


# A service with its structure, as the national API nests it (joined here, not copied at build).
SERVICE_WITH_STRUCTURE = """
SELECT s.document, st.document AS structure
FROM api_services AS s LEFT JOIN api_structures AS st ON st.id = s.structure_id
WHERE s.id = :id
"""


def _service_params(values: dict) -> dict[str, Any]:
    return {
        "sources": _list(values, "sources"),
        "thematiques": _list(values, "thematiques"),
        "frais": _list(values, "frais"),
        "publics": _list(values, "publics"),
        "modes_accueil": _list(values, "modes_accueil"),
        "types": _list(values, "types"),
        "departement": _departement(values),
        "code_commune": values.get("code_commune") or "",
    }


async def _page(datasette: Any, sql: str, params: dict, page: int, size: int) -> tuple[list, int]:
    db = datasette.get_database(DB)
    offset = min((page - 1) * size, LAST_ROW)
    result = await db.execute(sql, {**params, "size": size, "offset": offset})
    rows = list(result.rows)
    total = rows[0]["total"] if rows else 0
    return [row for row in rows if row["document"] is not None], total


async def _one(datasette: Any, sql: str, identifier: str) -> Any:
    result = await datasette.get_database(DB).execute(sql, {"id": identifier})
    return result.first()


def _answer(handler):
    """An endpoint: its :class:`ApiError` answered in JSON, only GET and HEAD accepted."""

    @functools.wraps(handler)
    async def endpoint(request: Any, datasette: Any) -> Response:
        if request.method not in ("GET", "HEAD"):
            return json_response(
                {"detail": "Méthode non autorisée : cette API est en lecture seule."},
                status=405,
                headers={"allow": "GET, HEAD"},
            )
        try:
            return json_response(await handler(request, datasette))
        except ApiError as exc:
            return exc.response()

    return endpoint


@_answer
async def structures(request: Any, datasette: Any) -> dict:
    values = query_parameters(request, f"{BASE}/structures")
    page, size = page_of(values, 5000)
    params = {
        "sources": _list(values, "sources"),
        "reseaux": _list(values, "reseaux_porteurs"),
        "code_commune": values.get("code_commune") or "",
        "departement": _departement(values),
    }
    rows, total = await _page(datasette, STRUCTURES, params, page, size)
    return paged([json.loads(r["document"]) for r in rows], total, page, size)


@_answer
async def structure(request: Any, datasette: Any) -> dict:
    identifier = request.url_vars["id"]
    row = await _one(datasette, "SELECT document FROM api_structures WHERE id = :id", identifier)
    if row is None:
        raise not_found("Structure", identifier)
    found = await datasette.get_database(DB).execute(
        "SELECT document FROM api_services WHERE structure_id = :id ORDER BY id", {"id": identifier}
    )
    return {**json.loads(row["document"]), "services": [json.loads(r[0]) for r in found.rows]}


@_answer
async def services(request: Any, datasette: Any) -> dict:
    values = query_parameters(request, f"{BASE}/services")
    page, size = page_of(values, 5000)
    rows, total = await _page(datasette, SERVICES, _service_params(values), page, size)
    return paged([json.loads(r["document"]) for r in rows], total, page, size)


@_answer
async def service(request: Any, datasette: Any) -> dict:
    identifier = request.url_vars["id"]
    row = await _one(datasette, SERVICE_WITH_STRUCTURE, identifier)
    if row is None:
        raise not_found("Service", identifier)
    return {**json.loads(row["document"]), "structure": json.loads(row["structure"])}


def _point(values: dict) -> tuple[str, str]:
    """The person's position, when both coordinates are given and on the Earth; otherwise no
    position (the official document accepts either alone: a client is not refused for it)."""
    lat, lon = values.get("lat"), values.get("lon")
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return "", ""
    return repr(lat), repr(lon)


async def _search(datasette: Any, values: dict, q: str) -> dict:
    page, size = page_of(values, 5000)
    lat, lon = _point(values)
    params = {**_service_params(values), "lat": lat, "lon": lon, "q": q, "nearby": NEARBY_KM}
    params["box"] = NEARBY_KM / 111.0  # degrees of latitude that hold NEARBY_KM
    rows, total = await _page(datasette, SEARCH_SERVICES, params, page, size)
    items = [
        {
            "distance": None if r["km"] is None else round(r["km"]),
            "service": {**json.loads(r["document"]), "structure": json.loads(r["structure"])},
        }
        for r in rows
    ]
    return paged(items, total, page, size)


@_answer
async def search_services(request: Any, datasette: Any) -> dict:
    return await _search(datasette, query_parameters(request, f"{BASE}/search/services"), "")


@_answer
async def search(request: Any, datasette: Any) -> dict:
    values = query_parameters(request, f"{BASE}/search")
    found = await _search(datasette, values, (values.get("q") or "").strip()[:200])
    for item in found["items"]:
        item["score_recherche"] = None
    return found


@_answer
async def sources(request: Any, datasette: Any) -> list:
    result = await datasette.get_database(DB).execute(
        "SELECT slug, nom, description FROM api_sources ORDER BY slug"
    )
    return [dict(row) for row in result.rows]


@functools.cache
def _doc_values(name: str) -> tuple[dict, ...]:
    values = json.loads((SPECS / "data-inclusion-v1" / f"{name}.json").read_text("utf-8"))
    return tuple(
        {"value": v["value"], "label": v["label"], "description": v.get("description")}
        for v in values
    )


@_answer
async def doc(request: Any, datasette: Any) -> list:
    name = request.url_vars["name"]
    if name not in DOCS:
        raise ApiError(404, f"Référentiel inconnu : « {name[:100]} »")
    return list(_doc_values(DOCS[name]))


async def openapi(request: Any, datasette: Any) -> Response:
    server = await public_address(datasette, request)
    contact = await _contact(datasette)
    return json_response(data_inclusion_document(server, contact))


async def _publication(datasette: Any) -> dict:
    try:
        result = await datasette.get_database(DB).execute("SELECT site, contact FROM publication")
    except Exception:  # noqa: BLE001 - a database without the row still serves its API
        return {}
    row = result.first()
    return dict(row) if row else {}


async def public_address(datasette: Any, request: Any) -> str:
    """The site's configured public address (never the request's ``Host``: a page cache
    would repeat an attacker's), or a relative root when there is none."""
    from maillage.publish.address import public_site

    return public_site((await _publication(datasette)).get("site")) or ""


async def _contact(datasette: Any) -> str | None:
    return (await _publication(datasette)).get("contact") or None


def routes() -> list:
    return [
        (r"^/api/openapi\.json$", openapi),
        (rf"^{BASE}/structures$", structures),
        (rf"^{BASE}/structures/(?P<id>[^/]+)$", structure),
        (rf"^{BASE}/services$", services),
        (rf"^{BASE}/services/(?P<id>[^/]+)$", service),
        (rf"^{BASE}/search/services$", search_services),
        (rf"^{BASE}/search$", search),
        (rf"^{BASE}/sources$", sources),
        (rf"^{BASE}/doc/(?P<name>[a-z-]+)$", doc),
    ]
