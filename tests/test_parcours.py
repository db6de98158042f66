"""The parcours of a need in a commune, from a self-service post to autonomy: the command, the
published table and an SQL query of the published tables say the same; every climb is a
referral; a missing level or step is reported broken, in the gaps and on the site."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from conftest import DATA, ROOT, make_network

from benchmarks.generate import generate
from maillage.publish.build import build
from maillage.publish.cli import cli
from maillage.publish.site import make_datasette

# An actor is at level k for need N in commune C when one of its services at a site in C lists N
# or a broader need of N, and offers level k; a climb is a referral accepting N from an actor
# at level k to one at level k + 1. Written from the published tables alone.
INDEPENDENT = """
WITH RECURSIVE
  up(need, ancestor) AS (
    SELECT id, id FROM concepts WHERE scheme = 'needs'
    UNION
    SELECT up.need, concepts.broader FROM up JOIN concepts ON concepts.id = up.ancestor
    WHERE concepts.broader IS NOT NULL
  ),
  at_level(need, commune, rank, actor) AS (
    SELECT DISTINCT up.need, sites.insee, CAST(level.notation AS INTEGER), services.provider
    FROM services
    JOIN service_needs ON service_needs.service_id = services.id
    JOIN up ON up.ancestor = service_needs.concept_id
    JOIN service_sites ON service_sites.service_id = services.id
    JOIN sites ON sites.id = service_sites.site_id
    JOIN service_levels ON service_levels.service_id = services.id
    JOIN concepts AS level ON level.id = service_levels.concept_id
  )
SELECT 'actor', need, commune, rank, actor FROM at_level
UNION ALL
SELECT 'climb', low.need, low.commune, low.rank, referrals.id
FROM at_level AS low
JOIN referrals ON referrals.from_actor = low.actor
JOIN at_level AS high ON high.actor = referrals.to_actor AND high.need = low.need
  AND high.commune = low.commune AND high.rank = low.rank + 1
WHERE NOT EXISTS (SELECT 1 FROM referral_needs WHERE referral_needs.referral_id = referrals.id)
  OR EXISTS (
    SELECT 1 FROM referral_needs JOIN up ON up.ancestor = referral_needs.concept_id
    WHERE referral_needs.referral_id = referrals.id AND up.need = low.need)
"""


def _independent(db: Path) -> tuple[dict, dict]:
    actors: dict[tuple, set] = {}
    climbs: dict[tuple, set] = {}
    with sqlite3.connect(db) as conn:
        for kind, need, commune, rank, value in conn.execute(INDEPENDENT):
            target = actors if kind == "actor" else climbs
            target.setdefault((need.removeprefix("needs/"), commune, rank), set()).add(value)
    return actors, climbs


def _table(db: Path) -> list[dict]:
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute("SELECT * FROM parcours")]


def _cli_parcours(data: Path, dist: Path, need: str, commune: str, *args: str) -> dict:
    result = CliRunner().invoke(
        cli,
        ["parcours", "--need", need, "--commune", commune, "--format", "json", *args]
        + ["--data", str(data), "--out", str(dist)],
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _agree(data: Path, dist: Path, every_cli: bool) -> int:
    """The three answers agree on every need x commune; returns how many climbs there were."""
    db = dist / "maillage.db"
    actors, climbs = _independent(db)
    rows = _table(db)
    pairs = sorted({(r["need"].removeprefix("needs/"), r["commune"]) for r in rows})
    with sqlite3.connect(db) as conn:
        needs = {n for (n,) in conn.execute("SELECT notation FROM concepts WHERE scheme='needs'")}
        communes = {c for (c,) in conn.execute("SELECT DISTINCT insee FROM sites")}
    assert set(pairs) == {(n, c) for n in needs for c in communes}
    for row in rows:
        key = (row["need"].removeprefix("needs/"), row["commune"], row["rank"])
        assert set(json.loads(row["actors"])) == actors.get(key, set()), key
        assert {c["referral"] for c in json.loads(row["climbs"])} == climbs.get(key, set()), key
    # the command, on every pair (or every fifth one of a large network: each call reads the
    # published tables again)
    for need, commune in pairs if every_cli else pairs[::5]:
        answer = _cli_parcours(data, dist, need, commune)
        assert [lv["rank"] for lv in answer["levels"]] == [1, 2, 3]
        for level in answer["levels"]:
            key = (need, commune, level["rank"])
            assert set(level["actors"]) == actors.get(key, set()), key
            assert level["actors"] == sorted(level["actors"])
        by_rank: dict[int, set] = {}
        for climb in answer["climbs"]:
            assert climb["to_rank"] == climb["from_rank"] + 1
            by_rank.setdefault(climb["from_rank"], set()).add(climb["referral"])
        assert by_rank == {k[2]: v for k, v in climbs.items() if k[:2] == (need, commune) and v}, (
            need,
            commune,
        )
        assert answer["missing"] == [r for r in (1, 2, 3) if not actors.get((need, commune, r))]
        broken = {
            r["broken"] for r in rows if r["need"] == f"needs/{need}" and r["commune"] == commune
        }
        assert broken == {int(answer["broken"])}
    return sum(len(v) for v in climbs.values())


def test_cli_table_and_sql_agree_on_the_default_network(default_dist: Path):
    assert _agree(DATA, default_dist, every_cli=True) > 0


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("parcours")
    generate(150, folder / "data", seed=5)
    build(folder / "data", folder / "dist")
    return folder / "data", folder / "dist"


def test_cli_table_and_sql_agree_on_a_generated_network(generated):
    data, dist = generated
    assert _agree(data, dist, every_cli=False) > 50


@pytest.mark.parametrize("network", ["default", "generated"])
def test_each_climb_is_a_real_referral_that_accepts_the_need(network, default_dist, generated):
    dist = default_dist if network == "default" else generated[1]
    db = dist / "maillage.db"
    with sqlite3.connect(db) as conn:
        referrals = {
            rid: (a, b)
            for rid, a, b in conn.execute("SELECT id, from_actor, to_actor FROM referrals")
        }
        accepted: dict[str, set] = {}
        for rid, need in conn.execute("SELECT referral_id, concept_id FROM referral_needs"):
            accepted.setdefault(rid, set()).add(need)
        broader = dict(conn.execute("SELECT id, broader FROM concepts WHERE broader IS NOT NULL"))
    rows = {(r["need"], r["commune"], r["rank"]): r for r in _table(db)}
    seen = 0
    for (need, commune, rank), row in rows.items():
        for climb in json.loads(row["climbs"]):
            seen += 1
            assert referrals[climb["referral"]] == (climb["from"], climb["to"])
            assert climb["from"] in json.loads(row["actors"])
            assert climb["to"] in json.loads(rows[(need, commune, rank + 1)]["actors"])
            wanted, n = {need}, need
            while n in broader:
                n = broader[n]
                wanted.add(n)
            needs = accepted.get(climb["referral"], set())
            assert not needs or needs & wanted, climb
    assert seen > 0


def test_the_miramas_procedures_parcours_climbs_to_autonomy(default_dist: Path):
    answer = _cli_parcours(DATA, default_dist, "aide-demarches-administratives", "13063")
    assert answer["broken"] is False and answer["missing"] == []
    levels = {lv["rank"]: lv for lv in answer["levels"]}
    assert [lv["label"] for lv in answer["levels"]] == [
        "Accès libre",
        "Accompagnement",
        "Autonomie",
    ]
    assert "france-services-miramas" in levels[2]["actors"]
    assert levels[3]["actors"] == ["imedias-mip"]
    assert {
        "from": "france-services-miramas",
        "to": "imedias-mip",
        "from_rank": 2,
        "to_rank": 3,
        "referral": "france-services-miramas--imedias-mip",
    } in answer["climbs"]


def test_a_public_narrows_who_is_at_each_level(default_dist: Path):
    everyone = _cli_parcours(DATA, default_dist, "maitrise-outils-numeriques", "13063")
    seniors = _cli_parcours(
        DATA, default_dist, "maitrise-outils-numeriques", "13063", "--public", "seniors"
    )
    assert seniors["public"] == "seniors"
    for all_, few in zip(everyone["levels"], seniors["levels"], strict=True):
        assert set(few["actors"]) <= set(all_["actors"])


def _tiny_with(tmp_path: Path, levels: dict[str, list[int]], refer: bool = True) -> Path:
    """The tiny network, with the atelier's and the accueil's services given levels for the
    need maitrise-outils-numeriques."""
    data = make_network(tmp_path)
    for name, service, level in (
        ("accueil", "accueil-demarches", levels.get("accueil")),
        ("atelier", "atelier-initiation", levels.get("atelier")),
    ):
        path = data / "actors" / f"{name}.yaml"
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        for s in doc["services"]:
            if s["id"] == service:
                s["needs"] = sorted(set(s["needs"]) | {"maitrise-outils-numeriques"})
                s["modalities"] = []
                if level is not None:
                    s["levels"] = level
        if not refer:
            doc.pop("referrals", None)
        path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return data


def _parcours_in(data: Path, tmp_path: Path) -> tuple[dict, dict]:
    dist = tmp_path / "dist"
    answer = _cli_parcours(data, dist, "maitrise-outils-numeriques", "13063")
    gaps = CliRunner().invoke(
        cli, ["gaps", "--format", "json", "--data", str(data), "--out", str(dist)]
    )
    assert gaps.exit_code == 0, gaps.output
    return answer, json.loads(gaps.output)


def test_a_need_with_a_missing_level_is_reported_broken(tmp_path: Path):
    data = _tiny_with(tmp_path, {"accueil": [1, 2], "atelier": [2]})
    answer, gaps = _parcours_in(data, tmp_path)
    assert answer["missing"] == [3] and answer["broken"] is True
    broken = [r for r in gaps["broken_parcours"] if r["need"] == "maitrise-outils-numeriques"]
    assert broken == [
        {
            "need": "maitrise-outils-numeriques",
            "commune": "13063",
            "missing": [3],
            "breaks": [],
            "demand": None,
            "what": "niveau manquant : 3 (Autonomie)",
        }
    ]


def test_a_step_no_referral_climbs_is_reported_broken(tmp_path: Path):
    data = _tiny_with(tmp_path, {"accueil": [1, 2], "atelier": [3]}, refer=False)
    answer, gaps = _parcours_in(data, tmp_path)
    assert answer["missing"] == [] and answer["climbs"] == []
    assert answer["breaks"] == [{"from_rank": 2, "to_rank": 3}] and answer["broken"] is True
    # the accueil takes the person from level 1 to level 2 itself
    assert answer["in_place"] == [{"actor": "accueil", "from_rank": 1, "to_rank": 2}]
    assert any(r["need"] == "maitrise-outils-numeriques" for r in gaps["broken_parcours"])


def test_the_referral_that_climbs_mends_the_parcours(tmp_path: Path):
    # the tiny accueil refers to the atelier for maitrise-outils-numeriques
    data = _tiny_with(tmp_path, {"accueil": [1, 2], "atelier": [3]})
    answer, gaps = _parcours_in(data, tmp_path)
    assert answer["broken"] is False
    assert answer["climbs"] == [
        {
            "from": "accueil",
            "to": "atelier",
            "from_rank": 2,
            "to_rank": 3,
            "referral": "accueil--atelier",
        }
    ]
    assert not any(r["need"] == "maitrise-outils-numeriques" for r in gaps["broken_parcours"])


def test_levels_come_from_the_modalities_and_validate_verbose_lists_them(tiny: Path):
    result = CliRunner().invoke(cli, ["validate", "--verbose", "--data", str(tiny)])
    assert result.exit_code == 0, result.output
    # the atelier's service gives no levels: its collective workshop is level 3
    assert (
        "data/actors/atelier.yaml:16: service atelier-initiation: levels: niveau 3 déduit des "
        "modalités (atelier-collectif)"
    ) in result.output
    # the accueil's service has neither levels nor modalities
    assert (
        "data/actors/accueil.yaml:15: service accueil-demarches: levels: ni niveau ni modalité"
    ) in result.output
    quiet = CliRunner().invoke(cli, ["validate", "--data", str(tiny)])
    assert "déduit" not in quiet.output


def test_stated_levels_are_kept_and_labels_are_accepted(tmp_path: Path):
    data = _tiny_with(tmp_path, {"atelier": ["Accompagnement"]})
    answer = _cli_parcours(data, tmp_path / "dist", "maitrise-outils-numeriques", "13063")
    assert answer["levels"][1]["actors"] == ["atelier"]
    assert answer["levels"][2]["actors"] == []


def test_an_unknown_need_or_commune_is_a_french_usage_error(default_dist: Path):
    for args, message in (
        (["--need", "demarche", "--commune", "13063"], "besoin inconnu : « demarche »"),
        (["--need", "acces-aux-droits", "--commune", "13000"], "commune (code INSEE) inconnu"),
    ):
        result = CliRunner().invoke(
            cli, ["parcours", *args, "--data", str(DATA), "--out", str(default_dist)]
        )
        assert result.exit_code == 2 and message in result.output, result.output


def test_the_levels_are_in_the_graph_with_their_match_to_the_modalities(default_dist: Path):
    from rdflib import Graph, URIRef
    from rdflib.namespace import SKOS

    graph = Graph().parse(default_dist / "maillage.nt", format="nt")
    base = "https://maillage.example.org/reseau/ouest-etang-de-berre"
    level = URIRef("https://maillage.example.org/ns#level")
    service = URIRef(f"{base}/service/imedias-formations-utilisateurs")
    assert set(graph.objects(service, level)) == {URIRef(f"{base}/concept/niveaux/3")}
    # derived from its modality (en-autonomie): level 1
    posts = URIRef(f"{base}/service/imedias-acces-libre")
    assert set(graph.objects(posts, level)) == {URIRef(f"{base}/concept/niveaux/1")}
    assert (
        URIRef(f"{base}/concept/niveaux/1"),
        SKOS.closeMatch,
        URIRef(f"{base}/concept/modalities/en-autonomie"),
    ) in graph


@pytest.fixture(scope="module")
def ds(default_dist: Path):
    return make_datasette(default_dist)


async def test_the_parcours_page_draws_the_three_steps(ds):
    page = await ds.client.get(
        "/maillage/parcours_besoin?need=aide-demarches-administratives&commune=13063"
    )
    assert page.status_code == 200
    html = page.text
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert svg.count("<rect") == 3 and 'role="img"' in svg
    for label in ("1. Accès libre", "2. Accompagnement", "3. Autonomie"):
        assert label in svg
    assert "Parcours complet" in html
    assert 'href="/maillage/actors/imedias-mip"' in html
    assert "oriente vers" in html


async def test_a_broken_parcours_page_says_what_is_missing(ds):
    page = await ds.client.get("/maillage/parcours_besoin?need=utilisation-securisee&commune=13056")
    assert "Parcours interrompu : niveaux manquants : 1 (Accès libre), 2 (Accompagnement)" in (
        page.text
    )
    assert "Personne à ce niveau" in page.text and "interrompu</text>" in page.text


async def test_the_lacunes_page_ranks_broken_parcours_by_demand(ds):
    response = await ds.client.get("/maillage/lacunes.json?public=&commune=&_shape=array")
    rows = response.json()
    assert rows[0]["etat"] == "lacune"
    broken = [r for r in rows if r["etat"] == "parcours interrompu"]
    assert broken and broken[0]["besoin"] == "Maîtrise des outils numériques du quotidien"
    demands = [r["demande_pct"] or 0 for r in rows[1:]]
    assert demands == sorted(demands, reverse=True)


def test_the_readme_shows_a_parcours_as_the_command_prints_it(default_dist: Path):
    result = CliRunner().invoke(
        cli,
        ["parcours", "--need", "aide-demarches-administratives", "--commune", "13063"]
        + ["--data", str(DATA), "--out", str(default_dist)],
    )
    readme = (ROOT / "docs" / "reference.md").read_text(encoding="utf-8")
    command = "$ maillage parcours --need aide-demarches-administratives --commune 13063"
    assert f"{command}\n{result.output}```" in readme


async def test_the_readme_picture_is_the_page_s_drawing(ds):
    page = await ds.client.get(
        "/maillage/parcours_besoin?need=aide-demarches-administratives&commune=13063"
    )
    html = page.text
    served = html[html.index("<svg") : html.index("</svg>") + len("</svg>")]
    picture = (ROOT / "docs" / "parcours-miramas.svg").read_text(encoding="utf-8")
    assert " ".join(served.split()) == " ".join(picture.split())
