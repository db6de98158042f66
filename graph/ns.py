"""Namespaces of the maillage graph, and the only place where IRIs are minted."""

from __future__ import annotations

import re
from urllib.parse import quote

from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import (
    DCAT,
    DCTERMS,
    ORG,
    OWL,
    RDF,
    RDFS,
    SDO,
    SH,
    SKOS,
    XSD,
    DefinedNamespace,
)

CPSV = Namespace("http://purl.org/vocab/cpsv#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")


class MAI(DefinedNamespace):
    """maillage's own terms, minted only where no public vocabulary fits."""

    _NS = Namespace("https://maillage.example.org/ns#")
    _fail = True

    Referral: URIRef  # a referral agreement from one actor to another
    refersTo: URIRef  # derived plain edge actor -> actor, for SPARQL users
    typology: URIRef  # typology of structure (concept)
    pole: URIRef  # one of the network's three poles (concept)
    canHelpWith: URIRef  # competency an actor can help with (concept)
    need: URIRef  # need a service answers (concept)
    develops: URIRef  # competency a service develops (concept)
    modality: URIRef  # how a service is delivered (concept)
    level: URIRef  # a level of the path to autonomy a service offers (concept, niveaux.ttl)
    fee: URIRef  # fee of a service (concept)
    inseeCode: URIRef  # INSEE code of the commune of an address
    neighbourhood: URIRef  # neighbourhood of a site
    illustrative: URIRef  # true when the record's facts are illustrative, not public
    source: URIRef  # where the record's facts come from (free text)
    sourceDate: URIRef  # the date of the record's source (an article, a guide): no check
    Action: URIRef  # a workshop, event or programme run by actors of the network
    sessions: URIRef  # number of sessions an action counts
    participants: URIRef  # number of people who took part
    Indicator: URIRef  # a yearly figure about an actor
    measuredFor: URIRef  # the actor an indicator is about
    year: URIRef  # the year an indicator counts
    measure: URIRef  # what an indicator counts
    Demand: URIRef  # the share of residents who expressed a need, from a survey
    share: URIRef  # a percentage of residents
    respondents: URIRef  # number of people a survey reached
    forNeed: URIRef  # needs a referral accepts (none = any need)
    channel: URIRef  # channel of a referral
    # The columns of the national standard that no public vocabulary fits (schema.org's
    # potentialAction would need a node per link, accessibilityFeature names features, not a page)
    otherTypology: URIRef  # typologies of an actor beside its main one (concept)
    otherEmail: URIRef  # e-mail addresses of an actor beside its main one
    otherUrl: URIRef  # web sites of an actor beside its main one
    otherFee: URIRef  # fees of a service beside its main one (concept)
    itinerance: URIRef  # fixed or itinerant place: a bus, a caravan (concept)
    parentStructure: URIRef  # the network or structure a place belongs to, by name
    programme: URIRef  # national programme a place belongs to: France Services... (concept)
    qualification: URIRef  # training or label a place obtained, from the standard's list (concept)
    accessMode: URIRef  # how to get to a place's services: come, call, book online (concept)
    accessibilityPage: URIRef  # the place's page on acceslibre.beta.gouv.fr
    appointmentPage: URIRef  # where to book an appointment with the place's helpers
    support: URIRef  # specific support a service gives: deafness, illiteracy, languages (concept)
    specialHoursOf: URIRef  # the site a dated closure or exceptional opening applies to
    specialHours: URIRef  # OSM opening hours over a closure's period (none: closed)

    # `mai:from` and `mai:to` (the referring and the referred actor) are Python keywords.
    _extras = ["from", "to"]


# Prefixes that appear in the dumps: a policy, not rdflib's defaults.
PREFIXES: dict[str, Namespace | str] = {
    "mai": MAI._NS,
    "schema": SDO,
    "org": ORG,
    "skos": SKOS,
    "dct": DCTERMS,
    "dcat": DCAT,
    "cpsv": CPSV,
    "sh": SH,
    "xsd": XSD,
    "rdf": RDF,
    "rdfs": RDFS,
    "owl": OWL,
    "vcard": VCARD,
}

KINDS = (
    "network",
    "actor",
    "site",
    "service",
    "referral",
    "closure",
    "concept",
    "commune",
    "action",
    "indicator",
    "demand",
)


def iri(base: str, kind: str, id_: str) -> URIRef:
    """Mint the IRI of a resource: ``{base}/{kind}/{id}``.

    >>> iri("https://ex.org/net", "actor", "mjc")
    rdflib.term.URIRef('https://ex.org/net/actor/mjc')
    """
    if kind not in KINDS:
        raise ValueError(f"unknown kind of resource: {kind}")
    # ids are checked by SHACL; quoting keeps the IRI valid whatever was written meanwhile
    # (an id of unreserved characters only, as almost all are, is its own quoting: a regular
    # expression tells it in C, where quote() costs microseconds, half a million times)
    quoted = id_ if _UNRESERVED(id_) else quote(id_, safe="-._~")
    return URIRef(f"{base.rstrip('/')}/{kind}/{quoted}")


_UNRESERVED = re.compile(r"[A-Za-z0-9._~-]*\Z").match


def address_iri(site: URIRef) -> URIRef:
    """The postal address of a site is its own node, a fragment of the site's IRI."""
    return URIRef(f"{site}#address")


def referral_id(from_actor: str, to_actor: str) -> str:
    return f"{from_actor}--{to_actor}"


def bind_prefixes(graph: Graph) -> Graph:
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace, override=True, replace=True)
    return graph
