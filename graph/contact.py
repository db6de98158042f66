"""Phone numbers as French partners write them: checked and stored in E.164, shown the French way.

``04 90 58 00 00``, ``04.90.58.00.00``, ``0490580000`` and ``+33 4 90 58 00 00`` are one number,
stored ``+33490580000`` and shown ``04 90 58 00 00``. The national short numbers partners publish
(3949 France Travail, 3230 CAF, 3939 Allô Service Public) stay short: ``3949``, ``tel:3949``.
The checks and formats are the ``phonenumbers`` library's (Google's libphonenumber metadata);
e-mail addresses are read by ``email-validator`` (syntax only: nothing is sent).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

from maillage.graph.collation import unaccented
from maillage.graph.errors import DataError

if TYPE_CHECKING:
    from maillage.graph.load import Record

REGION = "FR"


class PhoneError(ValueError):
    """A phone number that cannot be read or cannot exist (its French message)."""


def _parsed(text: str) -> phonenumbers.PhoneNumber:
    try:
        return phonenumbers.parse(text.strip(), REGION)
    except NumberParseException:
        raise PhoneError(
            "numéro de téléphone illisible : par exemple 04 90 58 00 00 ou +33 4 90 58 00 00"
        ) from None


def normalise_phone(text: str) -> str:
    """The number in E.164 (``+33490580000``), or a short number's digits (``3949``).

    >>> normalise_phone("04.90.58.00.00"), normalise_phone("3949")
    ('+33490580000', '3949')
    """
    number = _parsed(text)
    if phonenumbers.is_valid_number(number):
        return phonenumbers.format_number(number, PhoneNumberFormat.E164)
    if phonenumbers.is_valid_short_number(number):
        return str(number.national_number)
    raise PhoneError(
        "numéro de téléphone impossible : 10 chiffres en France (04 90 58 00 00), ou un numéro"
        " court national (3949)"
    )


def is_short(stored: str) -> bool:
    """A national short number (``3949``), as :func:`normalise_phone` stores it."""
    return not stored.startswith("+")


def phone_display(stored: str | None) -> str:
    """``+33490580000`` -> ``04 90 58 00 00`` (a foreign number in its international form);
    a value that is not a number is shown as it is."""
    if not stored:
        return ""
    if is_short(stored):
        return stored
    try:
        number = phonenumbers.parse(stored, REGION)
    except NumberParseException:
        return stored
    french = phonenumbers.region_code_for_number(number) == REGION
    how = PhoneNumberFormat.NATIONAL if french else PhoneNumberFormat.INTERNATIONAL
    # no-break spaces: a number never breaks across lines
    return phonenumbers.format_number(number, how).replace(" ", "\u00a0")


def phone_uri(stored: str | None) -> str:
    """The ``tel:`` link of a stored number (RFC 3966): ``tel:+33490580000``, ``tel:3949``."""
    if not stored:
        return ""
    digits = "".join(c for c in stored if c.isdigit() or c == "+")
    return f"tel:{digits}" if digits else ""


def is_mobile(stored: str) -> bool:
    """A mobile number: on an actor's record, most likely a person's own phone."""
    if is_short(stored):
        return False
    try:
        number = phonenumbers.parse(stored, REGION)
    except NumberParseException:
        return False
    return phonenumbers.number_type(number) in (
        PhoneNumberType.MOBILE,
        PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )


def normalise_email(text: str) -> str:
    """An address as people write it (``mailto:``, spaces, capitals in the domain), as stored:
    its domain in lower case. A value that is not an address is returned stripped, for the
    shapes to refuse with its line (their message is the one partners read for every field).

    >>> normalise_email(" mailto:Accueil@Mairie-Miramas.FR ")
    'Accueil@mairie-miramas.fr'
    """
    written = text.strip()
    if written.lower().startswith("mailto:"):
        written = written[len("mailto:") :].strip()
    try:
        return validate_email(written, check_deliverability=False).normalized
    except EmailNotValidError:
        return written


# A word of an address that names a service, not a person (the actor's own name's words are
# added to these): "accueil.mediatheque@" is a desk, "marie.dupont@" is a person.
SERVICE_WORDS = frozenset(
    "accueil contact contacts info infos information direction secretariat service services"
    " mairie ville france point numerique conseiller conseillers mediation mediateur"
    " mediatrice equipe rdv inscription inscriptions atelier ateliers public social".split()
)
# prénom.nom, prénom-composé.nom, p.nom: two words of letters joined by a dot
_PERSONAL = re.compile(r"^[a-z]+(?:-[a-z]+)?\.[a-z]+(?:-[a-z]+)?$")


def looks_personal_email(address: str, name: str = "") -> bool:
    """A ``prénom.nom@`` address: two words joined by a dot, neither a service's word nor a
    word of the actor's ``name``.

    >>> looks_personal_email("marie.dupont@miramas.fr"), looks_personal_email("accueil.mjc@x.fr")
    (True, False)
    """
    local = unaccented(address.split("@", 1)[0])
    if not _PERSONAL.match(local):
        return False
    known = SERVICE_WORDS | set(re.findall(r"[a-z]+", unaccented(name)))
    words = set(re.split(r"[.-]", local))
    return not words & known


def personal_contacts(actors: Iterable[Record]) -> list[DataError]:
    """Warnings, located, for the contacts of actors that look like a person's own: everything
    published is open data, so a desk's number and address belong there, not an agent's."""
    warnings = []
    for actor in actors:
        values, record = actor.values, f"actor {actor.id}"
        name = str(values.get("name", ""))
        phone = values.get("telephone")
        if isinstance(phone, str) and is_mobile(phone):
            warnings.append(
                DataError(
                    file=actor.file,
                    line=actor.line_of("telephone"),
                    record=record,
                    field="telephone",
                    message=f"attention, numéro de mobile ({phone_display(phone)}) : tout ce qui"
                    " est publié est public ; s'il s'agit du téléphone d'une personne, donnez"
                    " plutôt celui de l'accueil",
                    value=phone,
                )
            )
        for key in ("email", "other_emails"):
            written = values.get(key)
            for address in written if isinstance(written, list) else [written]:
                if isinstance(address, str) and looks_personal_email(address, name):
                    warnings.append(
                        DataError(
                            file=actor.file,
                            line=actor.line_of(key),
                            record=record,
                            field=key,
                            message=f"attention, « {address} » ressemble à l'adresse d'une personne"
                            " (prénom.nom) : tout ce qui est publié est public ; donnez plutôt"
                            " l'adresse de l'accueil ou du service",
                            value=address,
                        )
                    )
    return warnings
