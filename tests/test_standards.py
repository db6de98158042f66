"""National standards: exports valid against the standards' own schemas, imports of the lieux
CSV (the standard's example, our own export, producers' mistakes)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from conftest import DATA
from frictionless import Schema, system, validate
from rdflib import Graph
from rdflib.namespace import DCAT

from maillage.graph.tables import graph_tables
from maillage.publish.build import check
from maillage.publish.cli import cli
from maillage.publish.standards_out import data_inclusion, lieux_rows, write_lieux_csv

STANDARDS = Path(__file__).parent / "standards"
INPUTS = Path(__file__).parent / "standards_inputs"
LIEUX_SCHEMA = STANDARDS / "lieux-mediation-numerique" / "schema.json"
EXAMPLE = STANDARDS / "lieux-mediation-numerique" / "exemple-valide.csv"


@pytest.fixture(scope="module")
def built():
    return check(DATA)


def _frictionless(path: Path):
    with system.use_context(trusted=True):
        return validate(str(path), schema=Schema.from_descriptor(str(LIEUX_SCHEMA)))


def test_the_lieux_export_is_valid_against_the_standard(built, tmp_path: Path):
    path = write_lieux_csv(built, graph_tables(built), tmp_path / "lieux.csv")
    report = _frictionless(path)
    assert report.valid, report.flatten(["rowNumber", "fieldName", "message"])
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert len(rows) == 34  # one row per site
    # the check can fail: a postcode of four digits is refused
    rows[0]["code_postal"] = "1314"
    broken = tmp_path / "broken.csv"
    with broken.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    assert not _frictionless(broken).valid


def test_the_build_publishes_the_lieux_csv_in_the_catalogue(default_dist: Path):
    assert (default_dist / "lieux-mediation-numerique.csv").exists()
    catalog = Graph().parse(default_dist / "catalog.ttl")
    names = {str(d).rsplit("/", 1)[-1] for d in catalog.subjects(DCAT.downloadURL, None)}
    assert "lieux-mediation-numerique.csv" in names


@pytest.mark.parametrize("kind", ["structure", "service"])
def test_the_data_inclusion_export_is_valid_against_v1(built, kind: str):
    schema = json.loads((STANDARDS / "data-inclusion-v1" / f"{kind}.json").read_text())
    structures, services = data_inclusion(built, graph_tables(built))
    items = structures if kind == "structure" else services
    assert len(items) == (31 if kind == "structure" else 62)
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    for item in items:
        errors = list(validator.iter_errors(item))
        assert not errors, (item["id"], [e.message for e in errors])
    assert list(validator.iter_errors({**items[0], "nom": "x"}))  # the check can fail


def test_the_data_inclusion_export_command(tmp_path: Path):
    result = CliRunner().invoke(
        cli, ["export", "data-inclusion", "-o", str(tmp_path / "di"), "--data", str(DATA)]
    )
    assert result.exit_code == 0, result.output
    services = json.loads((tmp_path / "di" / "services.json").read_text(encoding="utf-8"))
    fablab = next(s for s in services if s["id"] == "micro-folie-fablab")
    assert fablab["thematiques"] == ["remobilisation--activites-sportives-et-culturelles"]
    assert fablab["publics"] == ["jeunes", "tous-publics"]


def _import(csv_path: Path, into: Path, *args: str):
    return CliRunner().invoke(
        cli, ["import", "lieux-mediation", str(csv_path), "--into", str(into), *args]
    )


def test_the_standards_example_imports_builds_and_validates(tmp_path: Path):
    result = _import(EXAMPLE, tmp_path / "data")
    assert result.exit_code == 0, result.output
    assert "1 acteurs, 1 lieux, 3 services" in result.output
    built = check(tmp_path / "data")
    actor = built.network.of_kind("actor")[0]
    assert actor.values["siret"] == "43493312300029"
    assert "Hubik" in actor.values["source"] and "structure-1" in actor.values["source"]
    site = built.network.of_kind("site")[0]
    assert site.values["opening_hours"] == "Mo-Fr 09:00-12:00,14:00-18:30; Sa 08:30-12:00"
    assert "&id0" not in next((tmp_path / "data" / "actors").glob("*.yaml")).read_text()


@pytest.fixture(scope="module")
def example_again(tmp_path_factory) -> tuple[dict[str, str], dict[str, str]]:
    """The standard's full example (every column filled), imported, built and exported."""
    folder = tmp_path_factory.mktemp("exemple")
    assert _import(EXAMPLE, folder / "data").exit_code == 0
    again = check(folder / "data")
    with EXAMPLE.open(encoding="utf-8") as handle:
        (original,) = list(csv.DictReader(handle))
    (exported,) = lieux_rows(again, graph_tables(again))
    return original, exported


with EXAMPLE.open(encoding="utf-8") as _handle:
    EXAMPLE_COLUMNS = next(csv.reader(_handle))


@pytest.mark.parametrize("column", EXAMPLE_COLUMNS)
def test_every_column_of_the_standards_example_survives_the_round_trip(example_again, column):
    """import -> YAML -> RDF -> SHACL -> SQLite -> export, value for value; a list keeps its
    values (RDF keeps no order: the export sorts them, the main one first)."""
    original, exported = example_again
    assert original[column], column  # the example fills every column
    if "|" in original[column]:
        assert sorted(exported[column].split("|")) == sorted(original[column].split("|"))
        main = original[column].split("|")[0]
        if column in ("typologie", "courriels", "site_web"):
            assert exported[column].split("|")[0] == main
    else:
        assert exported[column] == original[column]


def test_export_then_import_gives_back_the_places_and_services(built, tmp_path: Path):
    exported = write_lieux_csv(built, graph_tables(built), tmp_path / "export.csv")
    assert _import(exported, tmp_path / "data").exit_code == 0
    again = check(tmp_path / "data")
    before = {r["id"]: r for r in lieux_rows(built, graph_tables(built))}
    after = {r["id"]: r for r in lieux_rows(again, graph_tables(again))}
    assert set(before) == set(after)
    for site_id, row in before.items():
        for column in (
            "nom",
            "adresse",
            "code_postal",
            "code_insee",
            "commune",
            "latitude",
            "longitude",
            "horaires",
            "services",
            "typologie",
        ):
            assert after[site_id][column] == row[column], (site_id, column)


def test_producers_mistakes_are_each_located_and_nothing_is_written(tmp_path: Path):
    result = _import(INPUTS / "erreurs-de-producteurs.csv", tmp_path / "data")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "erreurs-de-producteurs.csv:1: horaire: colonne inconnue du standard v1.0.2 "
        "(vouliez-vous dire : horaires ?)",
        "erreurs-de-producteurs.csv:3: actor lieu-au-telephone-sans-33: telephone: numéro de "
        "téléphone impossible : 10 chiffres en France (04 90 58 00 00), ou un numéro court "
        "national (3949) (valeur : « 04 90 00 00 »)",
        "erreurs-de-producteurs.csv:4: site lieu-ancien-libelle: services: valeur inconnue du "
        "standard : « Aide aux demarches administratives » (vouliez-vous dire : « Aide aux "
        "démarches administratives » ?)",
        "erreurs-de-producteurs.csv:5: site lieu-separateur: publics_specifiquement_adresses: "
        "valeurs séparées par « ; » : le standard les sépare par « | »",
        "erreurs-de-producteurs.csv:6: site lieu-code-postal: code_postal: code postal "
        "invalide : 5 chiffres, par exemple 13140 (valeur : « 1314 »)",
        "5 erreur(s) dans 1 fichier(s) : rien n'a été publié.",
    ]
    assert not (tmp_path / "data").exists()


def test_a_file_with_no_usable_row_fails(tmp_path: Path):
    result = _import(EXAMPLE, tmp_path / "data", "--commune", "13063")
    assert result.exit_code == 1
    assert "aucune ligne utilisable" in result.stderr


def test_a_semicolon_separated_file_is_named_as_such(tmp_path: Path):
    text = EXAMPLE.read_text(encoding="utf-8").splitlines()
    bad = tmp_path / "points-virgules.csv"
    bad.write_text(text[0].replace(",", ";") + "\n", encoding="utf-8")
    result = _import(bad, tmp_path / "data")
    assert result.exit_code == 1
    assert "séparées par « ; »" in result.stderr


def test_importing_the_same_file_twice_changes_nothing(tmp_path: Path):
    assert _import(EXAMPLE, tmp_path / "data").exit_code == 0
    before = {p: p.read_bytes() for p in (tmp_path / "data").rglob("*") if p.is_file()}
    result = _import(EXAMPLE, tmp_path / "data")
    assert result.exit_code == 0, result.output
    assert "0 fichiers écrits, 1 acteurs inchangés" in result.output
    assert {p: p.read_bytes() for p in (tmp_path / "data").rglob("*") if p.is_file()} == before


def test_an_actor_the_coordinator_annotated_survives_the_same_file_again(tmp_path: Path):
    assert _import(EXAMPLE, tmp_path / "data").exit_code == 0
    actor = next((tmp_path / "data" / "actors").glob("*.yaml"))
    actor.write_text(actor.read_text(encoding="utf-8") + "# note du coordinateur\n", "utf-8")
    before = actor.read_bytes()
    result = _import(EXAMPLE, tmp_path / "data")
    assert result.exit_code == 0, result.output
    assert "mis à jour : 0 ; inchangés : 1 ; conflits : 0" in result.output
    assert actor.read_bytes() == before


HSDS = STANDARDS / "openreferral-hsds-3.0"
HSDS_SCHEMAS = {
    "organizations": "organization",
    "services": "service",
    "locations": "location",
    "service_at_locations": "service_at_location",
    "taxonomy_terms": "taxonomy_term",
}


def _hsds_validator(name: str) -> jsonschema.Draft202012Validator:
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    resources = [
        (
            path.name,
            Resource.from_contents(
                json.loads(path.read_text(encoding="utf-8")), default_specification=DRAFT202012
            ),
        )
        for path in HSDS.glob("*.json")
    ]
    schema = json.loads((HSDS / f"{name}.json").read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(
        schema,
        registry=Registry().with_resources(resources),
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
    )


def test_the_openreferral_export_is_valid_hsds_3(tmp_path: Path):
    result = CliRunner().invoke(
        cli, ["export", "openreferral", "-o", str(tmp_path / "hsds"), "--data", str(DATA)]
    )
    assert result.exit_code == 0, result.output
    counts = {}
    for file_name, schema in HSDS_SCHEMAS.items():
        items = json.loads((tmp_path / "hsds" / f"{file_name}.json").read_text("utf-8"))
        validator = _hsds_validator(schema)
        for item in items:
            errors = list(validator.iter_errors(item))
            assert not errors, (file_name, item["id"], [e.message for e in errors])
        counts[file_name] = len(items)
        # the check can fail: HSDS ids are UUIDs
        assert list(validator.iter_errors({**items[0], "id": "pas-un-uuid"})), file_name
    assert counts["organizations"] == 31 and counts["services"] == 62
    assert counts["locations"] == 34
    services = json.loads((tmp_path / "hsds" / "services.json").read_text("utf-8"))
    terms = {
        t["id"] for t in json.loads((tmp_path / "hsds" / "taxonomy_terms.json").read_text("utf-8"))
    }
    assert all(a["taxonomy_term_id"] in terms for s in services for a in s["attributes"])


def test_the_legacy_v0_layout_is_recognised_mapped_and_every_fix_reported(tmp_path: Path):
    result = _import(INPUTS / "lieux-v0.1.csv", tmp_path / "data")
    assert result.exit_code == 0, result.output
    for fix in (
        "fichier au format v0.1 du standard : valeurs séparées par « ; »",
        "v0.1 : colonne « courriel » lue comme « courriels »",
        "v0.1 : colonne « conditions_acces » lue comme « frais_a_charge »",
        "ancienne valeur « Prendre en main un ordinateur » lue comme « Maîtrise des outils "
        "numériques du quotidien »",
        "ancien public « Seniors (+ 65 ans) » lu comme « Seniors »",
        "ancien public « Adultes » ignoré (pas de public v1 équivalent)",
        "ancienne valeur « Seul : j'ai accès à du matériel et une connexion » lue comme "
        "« En autonomie »",
    ):
        assert f"  - {fix}" in result.output, fix
    built = check(tmp_path / "data")
    services = {r.id: r.values for r in built.network.of_kind("service")}
    assert services["structure-1-numerique-entreprises"]["needs"] == ["numerique-entreprises"]
    assert services["structure-1-maitrise-outils-numeriques"]["fee"] == "payant"
    assert services["structure-2-acces-aux-droits"]["publics"] == ["seniors"]
    actors = {r.id: r.values for r in built.network.of_kind("actor")}
    assert actors["anonymal"]["email"] == "contact@laquincaillerie.tl"
    assert actors["anonymal"]["url"] == "https://www.laquincaillerie.tl/"


def test_a_legacy_file_with_condensed_services_old_codes_and_lost_zeros_imports(tmp_path: Path):
    """Old services condensed into one v1 need gave one place two services with one id; the
    typology PE (Pôle emploi, France Travail since 2024) was unknown; a spreadsheet had
    turned 01000 into 1000. Each is repaired and reported."""
    result = _import(INPUTS / "lieux-v0.1-condenses.csv", tmp_path / "data")
    assert result.exit_code == 0, result.output
    for fix in (
        "v0.1 : services condensés dans un même besoin, fusionnés par lieu (2 fois)",
        "typologie « PE » lue comme « FT »",
        "code_postal à 4 chiffres (zéro initial perdu par un tableur) complété",
        "code_insee à 4 chiffres (zéro initial perdu par un tableur) complété",
    ):
        assert f"  - {fix}" in result.output, fix
    built = check(tmp_path / "data")
    services = [r.values for r in built.network.of_kind("service")]
    assert [s["needs"] for s in services] == [["maitrise-outils-numeriques"]]
    site = built.network.of_kind("site")[0].values
    assert (site["postcode"], site["insee"]) == ("01000", "01053")
    assert built.network.of_kind("actor")[0].values["typology"] == "FT"


def test_partiel_imports_the_valid_rows_and_lists_the_refused_ones(tmp_path: Path):
    """The producers' mistakes file with a sound header, and the standard's valid example
    row: --partiel imports the valid rows and lists every refused one at its line; by
    default nothing is written."""
    with (INPUTS / "erreurs-de-producteurs.csv").open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    with EXAMPLE.open(encoding="utf-8") as handle:
        valid = list(csv.reader(handle))[1]
    rows[0] = ["horaires" if c == "horaire" else c for c in rows[0]]
    mixed = tmp_path / "melange.csv"
    with mixed.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([*rows, valid])

    whole = _import(mixed, tmp_path / "tout")
    assert whole.exit_code == 1 and not (tmp_path / "tout" / "actors").exists()

    result = _import(mixed, tmp_path / "partiel", "--partiel")
    assert result.exit_code == 0, result.output
    assert "2 acteurs, 2 lieux" in result.output  # line 2 had only the header's mistake
    assert (
        "Lignes lues : 6 ; lieux importés : 2 ; services fusionnés : 0 ; lignes refusées : 4"
        in (result.output)
    )
    for line in (3, 4, 5, 6):
        assert f"  - melange.csv:{line}: " in result.output, line
    assert "code postal invalide" in result.output
    check(tmp_path / "partiel")  # what was written is a valid network


def test_a_legacy_file_keeps_what_v1_moved_to_other_columns(tmp_path: Path):
    """v0.1's publics accueillis held the specific support, its labels nationaux the national
    programmes; its accessibility page and appointment link are v1's fiche_acces_libre and
    prise_rdv."""
    result = _import(INPUTS / "lieux-v0.1.csv", tmp_path / "data")
    assert result.exit_code == 0, result.output
    for fix in (
        "ancien public « Déficience visuelle » lu comme prise en charge spécifique "
        "« Déficience visuelle »",
        "v0.1 : colonne « labels_nationaux » lue comme « dispositif_programmes_nationaux »",
        "ancien label national « APTIC » gardé comme label libre « APTIC (Pass numérique) »",
    ):
        assert f"  - {fix}" in result.output, fix
    built = check(tmp_path / "data")
    site = {r.id: r.values for r in built.network.of_kind("site")}["structure-1"]
    assert site["programmes"] == ["france-services"]
    assert site["complement"] == "Le patio du bois de l'Aulne"
    assert site["street"] == "12 BIS RUE DE LECLERCQ"
    assert site["appointment"] == "https://www.rdv-solidarites.fr/"
    assert site["other_labels"] == ["SudLabs", "APTIC (Pass numérique)"]
    services = {r.id: r.values for r in built.network.of_kind("service")}
    assert services["structure-1-maitrise-outils-numeriques"]["support"] == ["deficience-visuelle"]


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("prise_en_charge_specifique", "Surdite", "vouliez-vous dire : « Surdité »"),
        ("modalites_acces", "Telephoner", "vouliez-vous dire : « Téléphoner »"),
        ("itinerance", "Itinerant", "vouliez-vous dire : « Itinérant »"),
        ("fiche_acces_libre", "acceslibre.beta.gouv.fr/x", "fiche acceslibre"),
    ],
)
def test_a_wrong_value_of_a_closed_list_is_located_in_the_csv(tmp_path, column, value, message):
    with EXAMPLE.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    rows[0][column] = value
    path = tmp_path / "lieux.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    result = _import(path, tmp_path / "data")
    assert result.exit_code == 1
    assert f"lieux.csv:2: site structure-1: {column}: " in result.output, result.output
    assert message in result.output, result.output
    assert not (tmp_path / "data" / "actors").exists()


def _import_di(folder: Path, into: Path, *args: str):
    return CliRunner().invoke(
        cli,
        [
            "import",
            "data-inclusion",
            str(folder / "structures.json"),
            str(folder / "services.json"),
            "--into",
            str(into),
            *args,
        ],
    )


def _export_di(data: Path, out: Path) -> tuple[list[dict], list[dict]]:
    result = CliRunner().invoke(
        cli, ["export", "data-inclusion", "-o", str(out), "--data", str(data)]
    )
    assert result.exit_code == 0, result.output
    return tuple(  # type: ignore[return-value]
        json.loads((out / f"{name}.json").read_text(encoding="utf-8"))
        for name in ("structures", "services")
    )


@pytest.mark.parametrize("network", ["default", "exemple"])
def test_data_inclusion_import_then_export_gives_back_the_same_files(tmp_path, network):
    """The default network, and the standard's full example (every detail filled): exported
    to data·inclusion, imported as a new data folder, exported again, the same JSON."""
    data = DATA
    if network == "exemple":
        assert _import(EXAMPLE, tmp_path / "exemple").exit_code == 0
        data = tmp_path / "exemple"
    first = _export_di(data, tmp_path / "di1")
    result = _import_di(tmp_path / "di1", tmp_path / "data")
    assert result.exit_code == 0, result.output
    assert "Structures lues : " in result.output
    assert _export_di(tmp_path / "data", tmp_path / "di2") == first
    if network == "exemple":
        (structure,), services = first
        assert structure["accessibilite_lieu"].startswith("https://acceslibre.beta.gouv.fr/")
        assert structure["complement_adresse"] == "Le patio du bois de l'Aulne"
        assert structure["reseaux_porteurs"] == [
            "aidants-connect",
            "conseillers-numeriques",
            "croix-rouge",
        ]
        service = services[0]
        assert service["lien_mobilisation"] == "https://www.rdv-solidarites.fr/"
        assert service["modes_mobilisation"] == ["se-presenter", "telephoner"]
        assert service["frais"] == "gratuit"
        assert service["frais_precisions"] == "Gratuit sous condition, Payant"
        assert "Surdité" in service["publics_precisions"]


def test_data_inclusion_import_keeps_only_the_networks_needs_and_locates_errors(tmp_path):
    first = _export_di(DATA, tmp_path / "di")
    structures, services = first
    other = {
        **services[0],
        "id": "aide-alimentaire",
        "thematiques": ["alimentation--aide-alimentaire"],
    }
    broken = {**services[1], "id": "orphelin", "structure_id": "inconnue"}
    (tmp_path / "di" / "services.json").write_text(
        json.dumps([*services, other, broken], ensure_ascii=False, indent=1), encoding="utf-8"
    )
    result = _import_di(tmp_path / "di", tmp_path / "data")
    assert result.exit_code == 1
    assert "services.json:" in result.output and "service orphelin: structure_id: " in result.output
    assert "structure inconnue" in result.output
    assert not (tmp_path / "data" / "actors").exists()

    (tmp_path / "di" / "services.json").write_text(
        json.dumps([*services, other], ensure_ascii=False), encoding="utf-8"
    )
    result = _import_di(tmp_path / "di", tmp_path / "data", "--commune", "13063")
    assert result.exit_code == 0, result.output
    assert "services sans besoin numérique du réseau (thématiques) laissés de côté" in result.output
    built = check(tmp_path / "data")
    assert {r.values["insee"] for r in built.network.of_kind("site")} == {"13063"}

    (tmp_path / "di" / "structures.json").write_text('[{"source": "x", "id": "a",', "utf-8")
    result = _import_di(tmp_path / "di", tmp_path / "autre")
    assert result.exit_code == 1
    assert "structures.json:1: JSON mal formé" in result.output, result.output


def test_the_exports_of_the_full_example_carry_its_details_and_stay_valid(tmp_path: Path):
    assert _import(EXAMPLE, tmp_path / "data").exit_code == 0
    out = tmp_path / "hsds"
    result = CliRunner().invoke(
        cli, ["export", "openreferral", "-o", str(out), "--data", str(tmp_path / "data")]
    )
    assert result.exit_code == 0, result.output
    for file_name, schema in HSDS_SCHEMAS.items():
        validator = _hsds_validator(schema)
        for item in json.loads((out / f"{file_name}.json").read_text("utf-8")):
            assert not list(validator.iter_errors(item)), (file_name, item)
    (location,) = json.loads((out / "locations.json").read_text("utf-8"))
    assert location["accessibility"][0]["url"].startswith("https://acceslibre.beta.gouv.fr/")
    assert location["addresses"][0]["address_2"] == "Le patio du bois de l'Aulne"
    service = json.loads((out / "services.json").read_text("utf-8"))[0]
    assert {"fr", "en"} <= {language.get("code") for language in service["languages"]}
    assert "rendez-vous : https://www.rdv-solidarites.fr/" in service["application_process"]
    again = check(tmp_path / "data")
    lieux = write_lieux_csv(again, graph_tables(again), tmp_path / "lieux.csv")
    report = _frictionless(lieux)
    assert report.valid, report.flatten(["rowNumber", "fieldName", "message"])
    structures, services = _export_di(tmp_path / "data", tmp_path / "di")
    for kind, items in (("structure", structures), ("service", services)):
        schema = json.loads((STANDARDS / "data-inclusion-v1" / f"{kind}.json").read_text())
        validator = jsonschema.Draft202012Validator(
            schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
        )
        for item in items:
            assert not list(validator.iter_errors(item)), (kind, item["id"])
