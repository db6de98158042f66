"""Phones as partners write them, and the public address printed matter links to."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from conftest import make_network
from rdflib import Literal, URIRef
from rdflib.namespace import SDO

from maillage.graph.contact import (
    PhoneError,
    is_mobile,
    looks_personal_email,
    normalise_phone,
    phone_display,
    phone_uri,
)
from maillage.publish.address import public_site, site_warning
from maillage.publish.build import check
from maillage.publish.cli import cli


@pytest.mark.parametrize(
    "written", ["04 90 58 00 00", "04.90.58.00.00", "0490580000", "+33 4 90 58 00 00"]
)
def test_the_french_ways_of_writing_a_number_are_one_number(written):
    stored = normalise_phone(written)
    assert stored == "+33490580000"
    assert phone_display(stored) == "04\u00a090\u00a058\u00a000\u00a000"
    assert phone_uri(stored) == "tel:+33490580000"


@pytest.mark.parametrize("short", ["3949", "3230", "3939"])
def test_national_short_numbers_stay_short(short):
    assert normalise_phone(short) == short
    assert phone_uri(short) == f"tel:{short}"


@pytest.mark.parametrize("impossible", ["01 23", "abc", "04 90 58 00 00 00 00"])
def test_an_impossible_number_is_refused_in_french(impossible):
    with pytest.raises(PhoneError, match="numéro de téléphone"):
        normalise_phone(impossible)


def test_a_mobile_is_told_from_a_fixed_line():
    assert is_mobile(normalise_phone("06 12 34 56 78"))
    assert not is_mobile(normalise_phone("04 65 71 12 34"))  # ARCEP's range for fiction


@pytest.mark.parametrize(
    "site", [None, "", "http://127.0.0.1:8001", "https://localhost/", "https://192.168.1.2"]
)
def test_printed_matter_needs_a_public_https_address(site):
    assert public_site(site) is None
    assert "ÉPREUVE" in site_warning(site)


def test_a_public_address_is_kept_without_its_final_slash():
    assert public_site("https://reseau.miramas.fr/") == "https://reseau.miramas.fr"
    assert site_warning("https://reseau.miramas.fr") is None


def _with_contact(tmp_path, **fields: str):
    """The tiny network with ``fields`` written into the accueil actor's file."""
    data = make_network(tmp_path)
    path = data / "actors" / "accueil.yaml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    extra = [f'{key}: "{value}"\n' for key, value in fields.items()]
    path.write_text("".join(lines[:3] + extra + lines[3:]), encoding="utf-8")
    return data


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("04 90 58 00 00", "+33490580000"),
        ("04.90.58.00.00", "+33490580000"),
        ("0490580000", "+33490580000"),
        ("+33 4 90 58 00 00", "+33490580000"),
        ("3949", "3949"),
        ("3230", "3230"),
        ("3939", "3939"),
    ],
)
def test_the_loader_takes_a_phone_as_partners_write_it(tmp_path, written, stored):
    data = _with_contact(tmp_path, telephone=written, email=" mailto:Accueil@Mairie-Miramas.FR")
    result = CliRunner().invoke(cli, ["validate", "--data", str(data)])
    assert result.exit_code == 0, result.output
    built = check(data)
    actor = URIRef(f"{built.network.base}/actor/accueil")
    assert list(built.graph.objects(actor, SDO.telephone)) == [Literal(stored)]
    assert list(built.graph.objects(actor, SDO.email)) == [Literal("Accueil@mairie-miramas.fr")]


@pytest.mark.parametrize("written", ["04 90 58 00", "09 99", "téléphone", "+33 4 90 58 00 00 00"])
def test_an_impossible_phone_is_a_located_french_error(tmp_path, written):
    data = _with_contact(tmp_path, telephone=written)
    result = CliRunner().invoke(cli, ["validate", "--data", str(data)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    first = result.stderr.splitlines()[0]
    assert first.startswith("data/actors/accueil.yaml:4: actor accueil: telephone: numéro de")
    assert first.endswith(f"(valeur : « {written} »)")


def test_a_contact_that_looks_personal_is_warned_and_still_valid(tmp_path):
    data = _with_contact(tmp_path, telephone="06 12 34 56 78", email="Marie.Dupont@miramas.fr")
    result = CliRunner().invoke(cli, ["validate", "--data", str(data)])
    assert result.exit_code == 0, result.output
    assert "Données valides" in result.stdout
    assert result.stderr.splitlines() == [
        "data/actors/accueil.yaml:4: actor accueil: telephone: attention, numéro de mobile"
        " (06\u00a012\u00a034\u00a056\u00a078) : tout ce qui est publié est public ; s'il s'agit"
        " du téléphone d'une personne, donnez plutôt celui de l'accueil",
        "data/actors/accueil.yaml:5: actor accueil: email: attention, « Marie.Dupont@miramas.fr »"
        " ressemble à l'adresse d'une personne (prénom.nom) : tout ce qui est publié est public ;"
        " donnez plutôt l'adresse de l'accueil ou du service",
    ]


@pytest.mark.parametrize(
    ("address", "personal"),
    [
        ("marie.dupont@miramas.fr", True),
        ("j.martin@orange.fr", True),
        ("jean-pierre.durand@ville.fr", True),
        ("accueil.numerique@miramas.fr", False),  # a desk
        ("accueil@miramas.fr", False),
        ("numerique.accueil@miramas.fr", False),  # a word of the actor's name
    ],
)
def test_a_personal_address_is_told_from_a_desks(address, personal):
    assert looks_personal_email(address, "Accueil numérique") is personal


def test_a_desks_contacts_are_not_warned(tmp_path):
    data = _with_contact(tmp_path, telephone="04 65 71 00 01", email="accueil@miramas.fr")
    result = CliRunner().invoke(cli, ["validate", "--data", str(data)])
    assert result.exit_code == 0 and result.stderr == ""
