"""DCAT-AP 3 catalogue and VoID statistics describing every published file of ``dist/``."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, SKOS, VOID, XSD

from maillage.graph.build import BuiltGraph
from maillage.graph.ns import bind_prefixes, iri
from maillage.publish.rdf import DUMPS, sha256_of
from maillage.publish.void import void_description

SPDX = Namespace("http://spdx.org/rdf/terms#")
DCATAP = Namespace("http://data.europa.eu/r5r/")
GEO = Namespace("http://www.opengis.net/ont/geosparql#")
STABLE = URIRef("http://publications.europa.eu/resource/authority/planned-availability/STABLE")
LOCAL_AUTHORITY = URIRef("http://purl.org/adms/publishertype/LocalAuthority")
ATTRIBUTION = URIRef("http://purl.org/adms/licencetype/Attribution")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
IANA = "http://www.iana.org/assignments/media-types/"
EU_FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"
EU_THEMES = URIRef("http://publications.europa.eu/resource/authority/data-theme")
EU_THEME = URIRef("http://publications.europa.eu/resource/authority/data-theme/SOCI")
STANDARD = URIRef("https://github.com/LaMednum/standard-mediation-num")
EU_FRENCH = URIRef("http://publications.europa.eu/resource/authority/language/FRA")
ETALAB_2 = URIRef("https://www.etalab.gouv.fr/licence-ouverte-open-licence/")

# file name -> (French title, media type, EU file type) for the files that are not RDF dumps
FILES = {
    "maillage.db": ("Base SQLite (celle que sert Datasette)", "application/vnd.sqlite3", None),
    "couverture.png": ("Matrice de couverture des besoins (image PNG)", "image/png", "PNG"),
    "couverture.svg": ("Matrice de couverture des besoins (image SVG)", "image/svg+xml", "SVG"),
    "indicateurs.csv": (
        "Indicateurs annuels des acteurs (personnes accueillies, ateliers, actions recensées)",
        "text/csv",
        "CSV",
    ),
    "guide.pdf": (
        "Guide à imprimer « Qui ? fait Quoi ? et Où ? » (livret A5)",
        "application/pdf",
        "PDF",
    ),
    "guide-gros-caracteres.pdf": (
        "Guide à imprimer « Qui ? fait Quoi ? et Où ? », édition en gros caractères (livret A5)",
        "application/pdf",
        "PDF",
    ),
    "lieux-mediation-numerique.csv": (
        "Lieux au standard national des lieux de médiation numérique (CSV v1.0.2)",
        "text/csv",
        "CSV",
    ),
}
TITLES = {
    "maillage.ttl": "Graphe complet en Turtle",
    "maillage.nt": "Graphe complet en N-Triples (trié, stable d'une publication à l'autre)",
    "maillage.jsonld": "Graphe complet en JSON-LD",
    "maillage.trig": "Graphe en TriG, un graphe nommé par fichier source",
    "context.jsonld": "Contexte JSON-LD (clés lisibles) du graphe",
    "vocabulaires.ttl": "Référentiels SKOS (besoins, publics, typologies, compétences…)",
    "formes.ttl": "Formes SHACL pour valider les données téléchargées",
}
KEYWORDS = (
    "inclusion numérique",
    "médiation numérique",
    "accompagnement numérique",
    "France services",
    "orientation",
    "annuaire",
    "qui fait quoi où",
)
CATALOG_FILES = ("catalog.ttl", "catalog.jsonld")


def file_types() -> dict[str, tuple[str, str, str | None]]:
    types = {name: (TITLES[name], media, eu) for name, (_, media, eu) in DUMPS.items()}
    types.update(FILES)
    return types


def dataset_iri(built: BuiltGraph) -> URIRef:
    return URIRef(f"{built.network.base}/jeu-de-donnees")


def dataset_void(built: BuiltGraph) -> Graph:
    """The VoID statistics of the dataset the catalogue describes (the whole graph)."""
    return void_description(built.index, dataset_iri(built))


def catalog_graph(
    built: BuiltGraph,
    folder: Path,
    site_url: str,
    checksums: dict[str, str] | None = None,
    void: Graph | None = None,
) -> Graph:
    """The catalogue of the files already written in ``folder``. ``checksums``: the SHA-256
    of files already known (computed by the process that wrote them, or meanwhile); the
    others are read. ``void``: :func:`dataset_void`, when the caller has already counted it."""
    meta = built.network.meta
    base = built.network.base
    g = bind_prefixes(Graph())
    for prefix, ns in (
        ("dcat", DCAT),
        ("foaf", FOAF),
        ("spdx", SPDX),
        ("vcard", VCARD),
        ("void", VOID),
    ):
        g.bind(prefix, ns)
    catalog, dataset = URIRef(f"{base}/catalogue"), dataset_iri(built)
    publisher, contact = URIRef(f"{base}/editeur"), URIRef(f"{base}/contact")
    name = str(meta["name"])
    description = str(meta.get("description") or name)
    now = Literal(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), datatype=XSD.dateTime)

    g.add((catalog, RDF.type, DCAT.Catalog))
    g.add((catalog, DCTERMS.title, Literal(f"Catalogue — {name}", lang="fr")))
    g.add(
        (
            catalog,
            DCTERMS.description,
            Literal("Les données ouvertes publiées par maillage pour ce réseau.", lang="fr"),
        )
    )
    g.add((catalog, DCTERMS.publisher, publisher))
    g.add((catalog, DCAT.dataset, dataset))
    g.add((catalog, DCTERMS.license, ETALAB_2))
    g.add((catalog, DCTERMS.modified, now))
    g.add((catalog, FOAF.homepage, URIRef(site_url)))
    g.add((URIRef(site_url), RDF.type, FOAF.Document))
    g.add((catalog, DCAT.themeTaxonomy, EU_THEMES))
    g.add((EU_THEMES, RDF.type, SKOS.ConceptScheme))
    g.add((EU_THEMES, DCTERMS.title, Literal("Thèmes des données (Union européenne)", lang="fr")))
    g.add((EU_THEME, SKOS.inScheme, EU_THEMES))
    g.add((catalog, DCTERMS.language, EU_FRENCH))
    g.add((EU_FRENCH, RDF.type, DCTERMS.LinguisticSystem))
    g.add((STANDARD, RDF.type, DCTERMS.Standard))
    g.add(
        (
            STANDARD,
            DCTERMS.title,
            Literal("Standard des lieux de médiation numérique v1.0.2", lang="fr"),
        )
    )

    g.add((publisher, RDF.type, FOAF.Agent))
    g.add((publisher, DCTERMS.type, LOCAL_AUTHORITY))
    g.add((LOCAL_AUTHORITY, RDF.type, SKOS.Concept))
    g.add((LOCAL_AUTHORITY, SKOS.prefLabel, Literal("Collectivité locale", lang="fr")))
    g.add((publisher, FOAF.name, Literal(str(meta.get("publisher") or name), lang="fr")))
    g.add((contact, RDF.type, VCARD.Kind))
    g.add((contact, RDF.type, VCARD.Organization))
    g.add((contact, VCARD.fn, Literal(str(meta.get("publisher") or name), lang="fr")))
    if meta.get("contact"):
        g.add((contact, VCARD.hasEmail, URIRef(f"mailto:{meta['contact']}")))
    g.add((ETALAB_2, RDF.type, DCTERMS.LicenseDocument))
    g.add(
        (ETALAB_2, DCTERMS.title, Literal("Licence Ouverte / Open Licence version 2.0", lang="fr"))
    )
    g.add((ETALAB_2, DCTERMS.identifier, Literal("etalab-2.0")))
    g.add((ETALAB_2, DCTERMS.type, ATTRIBUTION))
    g.add((ATTRIBUTION, RDF.type, SKOS.Concept))
    g.add((ATTRIBUTION, SKOS.prefLabel, Literal("Attribution", lang="fr")))
    g.add((STABLE, RDF.type, SKOS.Concept))
    g.add((STABLE, SKOS.prefLabel, Literal("Stable", lang="fr")))
    g.add((EU_THEME, RDF.type, SKOS.Concept))
    g.add((EU_THEME, SKOS.prefLabel, Literal("Population et société", lang="fr")))

    g.add((dataset, RDF.type, DCAT.Dataset))
    g.add((dataset, DCTERMS.identifier, Literal(str(meta["id"]))))
    g.add((dataset, DCTERMS.title, Literal(name, lang="fr")))
    g.add((dataset, DCTERMS.description, Literal(description, lang="fr")))
    g.add((dataset, DCTERMS.publisher, publisher))
    g.add((dataset, DCAT.contactPoint, contact))
    g.add((dataset, DCTERMS.modified, now))
    g.add((dataset, DCTERMS.language, EU_FRENCH))
    g.add((dataset, DCAT.theme, EU_THEME))
    g.add((dataset, DCAT.landingPage, URIRef(site_url)))
    g.add((dataset, DCTERMS.conformsTo, STANDARD))
    for keyword in KEYWORDS:
        g.add((dataset, DCAT.keyword, Literal(keyword, lang="fr")))
    positions = _site_positions(built)
    for commune in meta.get("communes", []):
        place = iri(base, "commune", str(commune["insee"]))
        g.add((dataset, DCTERMS.spatial, place))
        g.add((catalog, DCTERMS.spatial, place))
        g.add((place, RDF.type, DCTERMS.Location))
        g.add((place, SKOS.prefLabel, Literal(str(commune["name"]), lang="fr")))
        points = positions.get(str(commune["insee"]))
        if points:
            lats, lons = [p[0] for p in points], [p[1] for p in points]
            centre = f"POINT({sum(lons) / len(lons):.5f} {sum(lats) / len(lats):.5f})"
            box = (
                f"POLYGON(({min(lons)} {min(lats)}, {max(lons)} {min(lats)}, "
                f"{max(lons)} {max(lats)}, {min(lons)} {max(lats)}, {min(lons)} {min(lats)}))"
            )
            g.add((place, DCAT.centroid, Literal(centre, datatype=GEO.wktLiteral)))
            g.add((place, DCAT.bbox, Literal(box, datatype=GEO.wktLiteral)))

    # The files' SHA-256 (gigabytes on a national network) are computed by a thread while this
    # one counts the VoID statistics: hashlib and file reads let go of the GIL.
    published = {n: t for n, t in sorted(file_types().items()) if (folder / n).exists()}
    known = checksums or {}
    unknown = [n for n in published if n not in known]
    with ThreadPoolExecutor(1) as pool:
        digests = pool.map(sha256_of, [folder / file_name for file_name in unknown])
        if void is None:
            void = dataset_void(built)
        checksums = {**known, **dict(zip(unknown, digests, strict=True))}
    for file_name, (title, media, eu_type) in published.items():
        path = folder / file_name
        dist = URIRef(f"{base}/distribution/{file_name}")
        url = URIRef(f"{site_url.rstrip('/')}/telechargements/{file_name}")
        g.add((dataset, DCAT.distribution, dist))
        g.add((dist, RDF.type, DCAT.Distribution))
        g.add((dist, DCTERMS.title, Literal(title, lang="fr")))
        g.add((dist, DCTERMS.description, Literal(f"{title} : {file_name}, {name}.", lang="fr")))
        g.add((dist, DCATAP.availability, STABLE))
        g.add((dist, DCAT.accessURL, url))
        g.add((dist, DCAT.downloadURL, url))
        g.add((dist, DCTERMS.license, ETALAB_2))
        media_type = URIRef(IANA + media)
        g.add((dist, DCAT.mediaType, media_type))
        g.add((media_type, RDF.type, DCTERMS.MediaType))
        if eu_type:
            file_type = URIRef(EU_FILE_TYPE + eu_type)
            g.add((dist, DCTERMS["format"], file_type))
            g.add((file_type, RDF.type, DCTERMS.MediaTypeOrExtent))
        # DCAT-AP 3 types byteSize as xsd:decimal
        g.add((dist, DCAT.byteSize, Literal(str(path.stat().st_size), datatype=XSD.decimal)))
        checksum = URIRef(f"{dist}#sha256")
        g.add((dist, SPDX.checksum, checksum))
        g.add((checksum, RDF.type, SPDX.Checksum))
        g.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
        g.add((checksum, SPDX.checksumValue, Literal(checksums[file_name], datatype=XSD.hexBinary)))
        g.add((dist, DCTERMS.modified, now))

    _data_services(g, catalog, dataset, base, site_url, publisher, contact)
    g += void
    g.add((dataset, VOID.dataDump, URIRef(f"{site_url.rstrip('/')}/telechargements/maillage.nt")))
    return g


# The live APIs (publish/api.py, publish/hsds.py): where they answer, the document that
# describes them, and the standard each follows.
DATA_SERVICES = (
    (
        "api-data-inclusion",
        "API data·inclusion v1 du réseau",
        "/api/v1",
        "/api/openapi.json",
        "https://schema.data.gouv.fr/gip-inclusion/data-inclusion-schema/",
    ),
    (
        "api-hsds",
        "API Open Referral HSDS 3.0 du réseau",
        "/hsds",
        "/hsds/openapi.json",
        "https://docs.openreferral.org/en/latest/hsds/overview.html",
    ),
)


def _data_services(
    g: Graph,
    catalog: URIRef,
    dataset: URIRef,
    base: str,
    site_url: str,
    publisher: URIRef,
    contact: URIRef,
) -> None:
    """The APIs as ``dcat:DataService`` (DCAT-AP 3), so that harvesters find them."""
    root = site_url.rstrip("/")
    for key, title, endpoint, description, standard in DATA_SERVICES:
        service = URIRef(f"{base}/service-de-donnees/{key}")
        g.add((catalog, DCAT.service, service))
        g.add((service, RDF.type, DCAT.DataService))
        g.add((service, DCTERMS.title, Literal(title, lang="fr")))
        g.add((service, DCAT.endpointURL, URIRef(root + endpoint)))
        g.add((service, DCAT.endpointDescription, URIRef(root + description)))
        g.add((service, DCAT.servesDataset, dataset))
        g.add((service, DCTERMS.conformsTo, URIRef(standard)))
        g.add((URIRef(standard), RDF.type, DCTERMS.Standard))
        g.add((service, DCTERMS.license, ETALAB_2))
        g.add((service, DCTERMS.publisher, publisher))
        g.add((service, DCAT.contactPoint, contact))
        g.add((service, DCAT.keyword, Literal("API", lang="fr")))


def _site_positions(built: BuiltGraph) -> dict[str, list[tuple[float, float]]]:
    positions: dict[str, list[tuple[float, float]]] = {}
    for record in built.network.of_kind("site"):
        values = record.values
        try:
            point = (float(values["latitude"]), float(values["longitude"]))
        except (KeyError, TypeError, ValueError):
            continue
        positions.setdefault(str(values.get("insee")), []).append(point)
    return positions


def write_catalog(g: Graph, folder: Path) -> list[Path]:
    """The catalogue (:func:`catalog_graph`) as Turtle and JSON-LD in ``folder``."""
    g.serialize(destination=folder / "catalog.ttl", format="turtle", encoding="utf-8")
    g.serialize(destination=folder / "catalog.jsonld", format="json-ld", encoding="utf-8", indent=1)
    return [folder / name for name in CATALOG_FILES]
