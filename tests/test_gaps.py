"""Coverage gaps: the CLI in its three formats and its picture, and what the site publishes."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from conftest import DATA, ROOT

from maillage.publish.cli import cli
from maillage.publish.site import make_datasette


def _gaps(default_dist: Path, *args: str):
    return CliRunner().invoke(cli, ["gaps", *args, "--data", str(DATA), "--out", str(default_dist)])


def test_gaps_json_follows_the_public_interface(default_dist: Path):
    result = _gaps(default_dist, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    row = data["coverage"][0]
    assert set(row) == {"need", "public", "commune", "actors", "demand"}
    all_publics = [r for r in data["coverage"] if r["public"] is None]
    # 15 needs x 2 communes, all publics together
    assert len(all_publics) == 30
    # no actor of the default network offers low-cost equipment in Martigues
    assert {
        "need": "materiel-prix-solidaire",
        "public": None,
        "commune": "13056",
        "actors": 0,
        "demand": None,
    } in data["gaps"]
    assert set(data) >= {
        "gaps",
        "fragile",
        "critical_actors",
        "articulation_points",
        "no_incoming",
        "no_outgoing",
        "dead_end_referrals",
    }


def test_gaps_csv(default_dist: Path):
    result = _gaps(default_dist, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert rows[0].keys() == {"need", "public", "commune", "actors", "demand"}
    assert len(rows) == 15 * 15 * 2  # needs x (all publics + 14 publics) x communes


def test_gaps_table_names_the_gap_in_french(default_dist: Path):
    result = _gaps(default_dist)
    assert "Acquisition de matériel informatique à prix solidaire  Martigues" in result.output
    assert "point d'articulation" in result.output


def test_gaps_plot_writes_png_and_svg(default_dist: Path, tmp_path: Path):
    result = _gaps(default_dist, "--plot", str(tmp_path / "couverture.png"))
    assert result.exit_code == 0
    assert (tmp_path / "couverture.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = (tmp_path / "couverture.svg").read_text(encoding="utf-8")
    assert "<svg" in svg and "lacune" in svg


def test_the_build_publishes_the_coverage_picture(default_dist: Path):
    assert (default_dist / "couverture.png").exists() and (default_dist / "couverture.svg").exists()


@pytest.fixture
def ds(default_dist: Path):
    return make_datasette(default_dist)


def _canned_queries() -> dict:
    metadata = yaml.safe_load((ROOT / "metadata.yml").read_text(encoding="utf-8"))
    return metadata["databases"]["maillage"]["queries"]


async def test_every_canned_query_answers(ds):
    queries = _canned_queries()
    assert {"orienter", "lacunes", "points_fragiles"} <= set(queries)
    params = {
        "actor": "france-services-miramas",
        "need": "acces-aux-droits",
        "public": "",
        "commune": "",
        "mois": "12",  # fiches_a_verifier
        "jour": "",  # fiches_a_verifier: today
        "support": "",  # orienter: no specific support asked
        "ouvert": "",  # qui_aide: at any time
        "q": "démarches",  # chercher
        "besoin": "",
        "lieu": "",  # orienter: distances from the partner's place
    }
    for name, query in queries.items():
        args = {p: params[p] for p in query.get("params", [])}
        response = await ds.client.get(f"/maillage/{name}.json", params={**args, "_shape": "array"})
        assert response.status_code == 200, (name, response.text)
        assert response.json(), name


async def test_lacunes_lists_the_gap_first(ds):
    response = await ds.client.get("/maillage/lacunes.json?public=&commune=&_shape=array")
    first = response.json()[0]
    assert first["etat"] == "lacune" and first["commune"] == "Martigues"
    assert first["besoin"] == "Acquisition de matériel informatique à prix solidaire"


async def test_points_fragiles_names_articulation_points(ds):
    response = await ds.client.get("/maillage/points_fragiles.json?_shape=array")
    kinds = {(r["type"], r["acteur"]) for r in response.json()}
    assert ("point d'articulation", "Club des entreprises Open") in kinds


async def test_actor_metrics_and_coverage_tables(ds):
    metrics = await ds.client.get("/maillage/actor_metrics.json?_shape=array&_size=100")
    by_actor = {r["actor"]: r for r in metrics.json()}
    assert by_actor["france-services-miramas"]["in_degree"] >= 10
    coverage = await ds.client.get(
        "/maillage/coverage.json?status=lacune&public__isnull=1&_shape=array"
    )
    assert [(r["need"], r["commune"]) for r in coverage.json()] == [
        ("needs/materiel-prix-solidaire", "13056")
    ]


async def test_home_page_links_the_picture_and_it_is_served(ds):
    home = await ds.client.get("/")
    assert "/telechargements/couverture.png" in home.text
    picture = await ds.client.get("/telechargements/couverture.png")
    assert picture.status_code == 200 and picture.content[:4] == b"\x89PNG"


async def test_the_sites_table_has_a_map(ds):
    page = await ds.client.get("/maillage/sites")
    assert 'id="carte"' in page.text and "datasette-leaflet" in page.text


def test_gaps_rank_by_residents_demand(default_dist: Path):
    data = json.loads(_gaps(default_dist, "--format", "json").output)
    fragile = data["fragile"]
    # all fragile needs have one actor: the one most residents expressed comes first
    assert fragile[0]["need"] == "materiel-prix-solidaire" and fragile[0]["demand"] == 18
    assert all(r["demand"] is None for r in fragile[1:])
    covered = {
        (r["need"], r["commune"]): r["demand"] for r in data["coverage"] if r["public"] is None
    }
    assert covered[("aide-demarches-administratives", "13063")] == 41
    assert covered[("aide-demarches-administratives", "13056")] is None


async def test_lacunes_shows_demand_and_ranks_by_it(ds):
    response = await ds.client.get("/maillage/lacunes.json?public=&commune=&_shape=array")
    rows = response.json()
    fragile = [r for r in rows if r["etat"] == "fragile"]
    assert fragile[0]["besoin"] == "Acquisition de matériel informatique à prix solidaire"
    assert fragile[0]["demande_pct"] == 18
