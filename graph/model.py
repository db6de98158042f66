"""One declarative table per class: the single source for the RDF builder, the SQLite columns,
Datasette's column descriptions, the JSON-LD context and CSV headers.

A test keeps it in step with the SHACL shapes in ``shapes/``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from rdflib import URIRef
from rdflib.namespace import DCTERMS, ORG, RDF, SDO, SKOS, XSD

from maillage.graph.ns import CPSV, MAI, VCARD

Kind = Literal[
    "id", "text", "langtext", "decimal", "integer", "boolean", "date", "uri", "concept", "ref"
]


DATATYPES: dict[str, URIRef] = {
    "decimal": XSD.decimal,
    "integer": XSD.integer,
    "boolean": XSD.boolean,
    "date": XSD.date,
    "uri": XSD.anyURI,
}


@dataclass(frozen=True)
class Field:
    """One field of a record: its YAML key, its RDF predicate and its SQLite column."""

    name: str
    predicate: URIRef
    kind: Kind
    label: str  # French, shown to users (Datasette column descriptions, CSV headers)
    required: bool = False
    many: bool = False
    scheme: str | None = None  # concept scheme of a "concept" field
    target: str | None = None  # class of a "ref" field: "actor" or "site"
    via: URIRef | None = None  # the value hangs off an intermediate node (the postal address)
    choices: tuple[str, ...] = ()  # closed list of literal values
    key: str | None = None  # YAML key when it differs from the name
    derived: bool = False  # set from the nesting of the YAML files, not written by hand

    @property
    def yaml_key(self) -> str:
        return self.key or self.name

    @property
    def linked(self) -> bool:
        """A concept or a reference: a list of them is a link table in SQLite."""
        return self.kind in ("concept", "ref")

    @property
    def datatype(self) -> URIRef | None:
        # Text stays a plain literal, which is xsd:string in RDF 1.1.
        return DATATYPES.get(self.kind)


@dataclass(frozen=True)
class ClassModel:
    name: str  # record kind, also the IRI segment: actor, site, service, referral
    table: str  # SQLite table
    types: tuple[URIRef, ...]
    label: str  # French
    fields: tuple[Field, ...]

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def keys(self) -> tuple[str, ...]:
        """YAML keys a record of this class may carry."""
        return tuple(f.yaml_key for f in self.fields if not f.derived)

    @property
    def columns(self) -> tuple[Field, ...]:
        """Fields stored as columns of the class's table: single values, and lists of plain
        values as JSON arrays (lists of concepts and references are link tables)."""
        return tuple(f for f in self.fields if not f.many or not f.linked)


ID = Field("id", DCTERMS.identifier, "id", "Identifiant", required=True)
DERIVED_ID = Field("id", DCTERMS.identifier, "id", "Identifiant", required=True, derived=True)
YEAR = Field("year", MAI.year, "integer", "Année", required=True)
NAME = Field("name", SDO.name, "text", "Nom", required=True)
DESCRIPTION = Field("description", SDO.description, "langtext", "Description")
ILLUSTRATIVE = Field("illustrative", MAI.illustrative, "boolean", "Donnée illustrative")
SOURCE = Field("source", DCTERMS.source, "text", "Source")
# The date its source gives (an article, a printed guide): not a check of the facts, which
# ``verified`` alone records
SOURCE_DATE = Field("source_date", MAI.sourceDate, "date", "Date de la source")
# When the record's information was last checked, and by whom (schema.org's review of a page's
# accuracy: lastReviewed, reviewedBy); ``date_maj`` in the national standards
VERIFIED = Field("verified", SDO.lastReviewed, "date", "Vérifié le")
VERIFIED_BY = Field("verified_by", SDO.reviewedBy, "text", "Vérifié par")

CHANNELS = ("telephone", "courriel", "en-personne", "plateforme")
# How a referral is made, as a partner or a resident reads it
CHANNEL_LABELS = {
    "telephone": "par téléphone",
    "courriel": "par courriel",
    "en-personne": "en personne",
    "plateforme": "par une plateforme en ligne",
}

ACTOR = ClassModel(
    "actor",
    "actors",
    (ORG.Organization, SDO.Organization),
    "Acteur",
    (
        ID,
        NAME,
        DESCRIPTION,
        # presentation_resume of the standard (280 characters), beside the long one
        Field("summary", SDO.disambiguatingDescription, "langtext", "Présentation courte"),
        Field("typology", MAI.typology, "concept", "Typologie", required=True, scheme="typologies"),
        Field("pole", MAI.pole, "concept", "Pôle", required=True, scheme="poles"),
        Field("url", SDO.url, "uri", "Site web"),
        Field("email", SDO.email, "text", "Courriel"),
        Field("telephone", SDO.telephone, "text", "Téléphone"),
        Field("siret", ORG.identifier, "text", "SIRET"),
        ILLUSTRATIVE,
        SOURCE,
        SOURCE_DATE,
        VERIFIED,
        VERIFIED_BY,
        Field(
            "other_typologies",
            MAI.otherTypology,
            "concept",
            "Autres typologies",
            many=True,
            scheme="typologies",
        ),
        Field("other_emails", MAI.otherEmail, "text", "Autres courriels", many=True),
        Field("other_urls", MAI.otherUrl, "uri", "Autres sites web", many=True),
        # the names people use: acronyms (CCAS, MJC, EPN) and former names, found by the search
        Field("alternate_names", SDO.alternateName, "text", "Autres noms et sigles", many=True),
        Field(
            "competencies",
            MAI.canHelpWith,
            "concept",
            "Compétences",
            many=True,
            scheme="competencies",
        ),
        Field("sites", ORG.hasSite, "ref", "Lieux", many=True, target="site", derived=True),
    ),
)

SITE = ClassModel(
    "site",
    "sites",
    (ORG.Site, SDO.Place),
    "Lieu",
    (
        ID,
        Field("actor", ORG.siteOf, "ref", "Acteur", required=True, target="actor", derived=True),
        NAME,
        Field("street", SDO.streetAddress, "text", "Adresse", required=True, via=SDO.address),
        Field("postcode", SDO.postalCode, "text", "Code postal", required=True, via=SDO.address),
        Field("commune", SDO.addressLocality, "text", "Commune", required=True, via=SDO.address),
        Field("insee", MAI.inseeCode, "text", "Code INSEE", required=True, via=SDO.address),
        # complement_adresse of the standard: a building, a floor, a courtyard (vCard's
        # extended address)
        Field(
            "complement", VCARD["extended-address"], "text", "Complément d'adresse", via=SDO.address
        ),
        Field("latitude", SDO.latitude, "decimal", "Latitude"),
        Field("longitude", SDO.longitude, "decimal", "Longitude"),
        Field("opening_hours", SDO.openingHours, "text", "Horaires"),
        Field("neighbourhood", MAI.neighbourhood, "text", "Quartier"),
        Field("parent", MAI.parentStructure, "text", "Structure parente"),
        Field("accessibility", MAI.accessibilityPage, "uri", "Fiche acceslibre"),
        Field("appointment", MAI.appointmentPage, "uri", "Prise de rendez-vous"),
        ILLUSTRATIVE,
        VERIFIED,
        VERIFIED_BY,
        Field(
            "itinerance", MAI.itinerance, "concept", "Itinérance", many=True, scheme="itinerance"
        ),
        Field("access", MAI.accessMode, "concept", "Modalités d'accès", many=True, scheme="acces"),
        Field(
            "programmes",
            MAI.programme,
            "concept",
            "Dispositifs et programmes nationaux",
            many=True,
            scheme="programmes",
        ),
        Field(
            "labels",
            MAI.qualification,
            "concept",
            "Formations et labels",
            many=True,
            scheme="labels",
        ),
        # autres_formations_labels: free text, schema.org's award
        Field("other_labels", SDO.award, "text", "Autres formations et labels", many=True),
        Field(
            "closures",
            SDO.specialOpeningHoursSpecification,
            "ref",
            "Fermetures et horaires exceptionnels",
            many=True,
            target="closure",
            derived=True,
        ),
    ),
)

# A dated closure of a site ("fermé du 24 décembre au 2 janvier"), or exceptional hours over a
# period when ``hours`` is given: schema.org's special opening hours, valid from a day through
# another. Written under its site in YAML (closures: [{from, to, reason, hours}]).
CLOSURE = ClassModel(
    "closure",
    "closures",
    (SDO.OpeningHoursSpecification,),
    "Fermeture ou horaires exceptionnels",
    (
        DERIVED_ID,
        Field(
            "site", MAI.specialHoursOf, "ref", "Lieu", required=True, target="site", derived=True
        ),
        Field("start", SDO.validFrom, "date", "Du", required=True, key="from"),
        Field("end", SDO.validThrough, "date", "Au", required=True, key="to"),
        Field("reason", SDO.description, "text", "Motif"),
        # OSM opening hours for those days (one rule, e.g. "Mo-Fr 09:00-12:00"); none: closed
        Field("hours", MAI.specialHours, "text", "Horaires pendant la période"),
    ),
)

SERVICE = ClassModel(
    "service",
    "services",
    (CPSV.PublicService, SDO.Service),
    "Service",
    (
        ID,
        NAME,
        DESCRIPTION,
        Field(
            "provider",
            SDO.provider,
            "ref",
            "Porté par",
            required=True,
            target="actor",
            derived=True,
        ),
        Field("fee", MAI.fee, "concept", "Frais", scheme="fees"),
        Field("modified", DCTERMS.modified, "date", "Mis à jour le"),
        ILLUSTRATIVE,
        VERIFIED,
        VERIFIED_BY,
        Field(
            "sites", SDO.availableAtOrFrom, "ref", "Lieux", many=True, target="site", required=True
        ),
        Field("needs", MAI.need, "concept", "Besoins", many=True, required=True, scheme="needs"),
        Field("publics", SDO.audience, "concept", "Publics", many=True, scheme="publics"),
        Field(
            "competencies",
            MAI.develops,
            "concept",
            "Compétences développées",
            many=True,
            scheme="competencies",
        ),
        Field("modalities", MAI.modality, "concept", "Modalités", many=True, scheme="modalities"),
        # the levels of the path to autonomy the service offers (1 free access, 2 accompaniment,
        # 3 autonomy); when the YAML gives none, derived from the modalities (graph/levels.py)
        Field("levels", MAI.level, "concept", "Niveaux du parcours", many=True, scheme="niveaux"),
        Field(
            "support",
            MAI.support,
            "concept",
            "Prise en charge spécifique",
            many=True,
            scheme="supports",
        ),
        Field("other_fees", MAI.otherFee, "concept", "Autres frais", many=True, scheme="fees"),
    ),
)

REFERRAL = ClassModel(
    "referral",
    "referrals",
    (MAI.Referral,),
    "Orientation",
    (
        DERIVED_ID,
        Field("from_actor", MAI["from"], "ref", "De", required=True, target="actor", derived=True),
        Field("to_actor", MAI["to"], "ref", "Vers", required=True, target="actor", key="to"),
        Field("channel", MAI.channel, "text", "Canal", choices=CHANNELS),
        DESCRIPTION,
        Field("needs", MAI.forNeed, "concept", "Besoins acceptés", many=True, scheme="needs"),
    ),
)

ACTION = ClassModel(
    "action",
    "actions",
    (MAI.Action, SDO.Event),
    "Action",
    (
        ID,
        NAME,
        DESCRIPTION,
        Field("start", SDO.startDate, "date", "Début", required=True),
        Field("end", SDO.endDate, "date", "Fin"),
        Field("pole", MAI.pole, "concept", "Pôle", required=True, scheme="poles"),
        Field("site", SDO.location, "ref", "Lieu", target="site"),
        Field("sessions", MAI.sessions, "integer", "Nombre de séances"),
        Field("participants", MAI.participants, "integer", "Participants"),
        ILLUSTRATIVE,
        SOURCE,
        Field(
            "organisers",
            SDO.organizer,
            "ref",
            "Organisé par",
            many=True,
            required=True,
            target="actor",
        ),
        Field("needs", MAI.need, "concept", "Besoins", many=True, scheme="needs"),
        Field("publics", SDO.audience, "concept", "Publics", many=True, scheme="publics"),
    ),
)

MEASURES = ("personnes-accueillies", "ateliers", "actions-recensees")

INDICATOR = ClassModel(
    "indicator",
    "indicators",
    (MAI.Indicator,),
    "Indicateur",
    (
        DERIVED_ID,
        Field("actor", MAI.measuredFor, "ref", "Acteur", required=True, target="actor"),
        YEAR,
        Field("measure", MAI.measure, "text", "Mesure", required=True, choices=MEASURES),
        Field("value", RDF.value, "integer", "Valeur", required=True),
        SOURCE,
        ILLUSTRATIVE,
    ),
)

DEMAND = ClassModel(
    "demand",
    "demand",
    (MAI.Demand,),
    "Besoin exprimé",
    (
        DERIVED_ID,
        Field("need", MAI.need, "concept", "Besoin", required=True, scheme="needs"),
        Field("commune", MAI.inseeCode, "text", "Code INSEE"),
        Field("share", MAI.share, "decimal", "Part des habitants (%)", required=True),
        Field("respondents", MAI.respondents, "integer", "Personnes interrogées"),
        YEAR,
        SOURCE,
        ILLUSTRATIVE,
    ),
)

CLASSES: tuple[ClassModel, ...] = (
    ACTOR,
    SITE,
    CLOSURE,
    SERVICE,
    REFERRAL,
    ACTION,
    INDICATOR,
    DEMAND,
)
BY_NAME = {c.name: c for c in CLASSES}

# Concept schemes a network's vocabulary must provide (file data/vocab/{scheme}.ttl).
SCHEMES = (
    "needs",
    "publics",
    "modalities",
    "fees",
    "poles",
    "typologies",
    "competencies",
    "supports",
    "programmes",
    "labels",
    "acces",
    "itinerance",
    "niveaux",
)

CONCEPT_TABLE_LABELS = {
    "id": "Identifiant",
    "iri": "IRI",
    "scheme": "Référentiel",
    "notation": "Code",
    "label": "Libellé",
    "broader": "Concept parent",
}

__all__ = [
    "ACTOR",
    "BY_NAME",
    "CHANNELS",
    "CHANNEL_LABELS",
    "CLASSES",
    "REFERRAL",
    "RDF",
    "SCHEMES",
    "SERVICE",
    "SITE",
    "SKOS",
    "ClassModel",
    "Field",
]
