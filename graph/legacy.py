"""The values of the lieux de médiation numérique standard v0.1 and their v1 equivalents: the
one table the import reads, so that a file the standard itself used to publish is never refused.

Each entry says where the value goes in v1 (a column and its value) and whose the mapping is:
``standard`` when v1 kept the value under another column, ``maillage`` when the choice is ours
(there is no official crosswalk). A value with no v1 equivalent is kept as a free label
(``autres_formations_labels``), and the correction is listed in the import's report.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

Whose = Literal["standard", "maillage"]


class Equivalent(NamedTuple):
    column: str  # the v1 column the value goes to
    value: str  # its v1 label
    whose: Whose


PROGRAMMES = "dispositif_programmes_nationaux"
LABELS = "formations_labels"
FREE_LABELS = "autres_formations_labels"

# v0.1 ``labels_nationaux`` (Schema_V0.1.json): its 11 values
NATIONAL_LABELS: dict[str, Equivalent] = {
    "France Services": Equivalent(PROGRAMMES, "France Services", "standard"),
    "Aidants Connect": Equivalent(PROGRAMMES, "Aidants Connect", "standard"),
    # the Conseillers numériques France Services (CNFS), the programme's name until 2023
    "CNFS": Equivalent(PROGRAMMES, "Conseillers numériques", "maillage"),
    "Grandes écoles du numérique": Equivalent(PROGRAMMES, "Grande école du numérique", "maillage"),
    # the CAF's digital points, renamed "Point d'accès numérique CAF"
    "Point numérique CAF": Equivalent(PROGRAMMES, "Point d'accès numérique CAF", "maillage"),
    "Point relais CAF": Equivalent(PROGRAMMES, "Point d'accès numérique CAF", "maillage"),
    # v1 lists Fabriques de Territoire among the labels, not the programmes
    "Fabriques de Territoire": Equivalent(LABELS, "Fabriques de Territoire", "standard"),
    # no v1 equivalent: kept as free labels
    "APTIC": Equivalent(FREE_LABELS, "APTIC (Pass numérique)", "maillage"),
    "Relais pôle emploi": Equivalent(
        FREE_LABELS, "Relais France Travail (ex-Pôle emploi)", "maillage"
    ),
    "French Tech": Equivalent(FREE_LABELS, "French Tech", "maillage"),
    "Campus connecté": Equivalent(FREE_LABELS, "Campus connecté", "maillage"),
}

PSYCHIC = (
    "Handicaps psychiques : troubles psychiatriques donnant lieu à des atteintes comportementales"
)
# v0.1 ``publics_accueillis`` values that v1 moved to ``prise_en_charge_specifique``
SUPPORTS: dict[str, Equivalent] = {
    "Déficience visuelle": Equivalent(
        "prise_en_charge_specifique", "Déficience visuelle", "standard"
    ),
    "Surdité": Equivalent("prise_en_charge_specifique", "Surdité", "standard"),
    "Handicaps moteurs": Equivalent("prise_en_charge_specifique", "Handicaps moteurs", "standard"),
    "Handicaps mentaux": Equivalent("prise_en_charge_specifique", "Handicaps mentaux", "standard"),
    "Handicaps mentaux : déficiences limitant les activités d'une personne": Equivalent(
        "prise_en_charge_specifique", "Handicaps mentaux", "standard"
    ),
    # v1 has no psychic disability of its own: the closest support, our choice
    PSYCHIC: Equivalent("prise_en_charge_specifique", "Handicaps mentaux", "maillage"),
    "Illettrisme": Equivalent("prise_en_charge_specifique", "Illettrisme", "standard"),
    "Personnes en situation d'illettrisme": Equivalent(
        "prise_en_charge_specifique", "Illettrisme", "maillage"
    ),
    "Langues étrangères (anglais)": Equivalent(
        "prise_en_charge_specifique", "Langues étrangères (anglais)", "standard"
    ),
    "Langues étrangères (autres)": Equivalent(
        "prise_en_charge_specifique", "Langues étrangères (autres)", "standard"
    ),
    "Public langues étrangères": Equivalent(
        "prise_en_charge_specifique", "Langues étrangères (autres)", "maillage"
    ),
}

# v0.1 ``publics_accueillis`` values with a v1 public
PUBLICS: dict[str, Equivalent] = {
    "Seniors (+ 65 ans)": Equivalent("publics_specifiquement_adresses", "Seniors", "standard"),
    "Familles/enfants": Equivalent(
        "publics_specifiquement_adresses", "Familles et/ou enfants", "standard"
    ),
    "Jeunes (16-26 ans)": Equivalent("publics_specifiquement_adresses", "Jeunes", "standard"),
    "Uniquement femmes": Equivalent("publics_specifiquement_adresses", "Femmes", "standard"),
}


def entries() -> list[tuple[str, str, Equivalent]]:
    """Every entry of the table: (v0.1 column, v0.1 value, its v1 equivalent)."""
    found = [("labels_nationaux", k, v) for k, v in NATIONAL_LABELS.items()]
    found += [("publics_accueillis", k, v) for k, v in {**SUPPORTS, **PUBLICS}.items()]
    return found
