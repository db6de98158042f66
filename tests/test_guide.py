"""The printed guide, read back from its PDF: its text (pypdf), its QR codes (pages rendered by
pdfium, decoded by zxing-cpp), a commune's guide, the same PDF from the same data, the guide
too large to print refused, hostile names printed as written."""

from __future__ import annotations

import io
import os
import re
import sqlite3
from pathlib import Path

import pypdf
import pytest
from click.testing import CliRunner
from conftest import DATA, ROOT, make_network

from maillage.publish import guide as guide_mod
from maillage.publish.build import build, published_tables
from maillage.publish.cli import cli
from maillage.publish.guide import GUIDE_TABLES, GuideTooLarge, Selection, guide_model

NETWORKS = Path(__file__).parent / "networks"
RAW_HOURS = re.compile(r"\b(Mo|Tu|We|Th|Fr|Sa|Su)(-(Mo|Tu|We|Th|Fr|Sa|Su))? \d\d:\d\d")


def _guide(dist: Path, tmp_path: Path, *args: str) -> Path:
    output = tmp_path / "guide.pdf"
    result = CliRunner().invoke(
        cli, ["guide", "--data", str(DATA), "--out", str(dist), "-o", str(output), *args]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"Guide écrit dans {output} : ")
    return output


def _text(pdf: Path) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(pdf).pages)


def _qr_codes(pdf: Path) -> list[str]:
    pdfium = pytest.importorskip("pypdfium2", reason="pypdfium2 renders the guide's pages")
    zxingcpp = pytest.importorskip("zxingcpp", reason="zxing-cpp decodes the QR codes")
    found: list[str] = []
    document = pdfium.PdfDocument(str(pdf))
    try:
        for page in document:
            image = page.render(scale=3).to_pil()
            found.extend(code.text for code in zxingcpp.read_barcodes(image))
    finally:
        document.close()
    return found


def _picture(pdf: Path, page: int, name: str) -> None:
    """A page as PNG: into docs/screenshots with MAILLAGE_SCREENSHOTS (make screenshots), for
    docs/reference.md; otherwise nowhere."""
    folder = os.environ.get("MAILLAGE_SCREENSHOTS")
    if not folder:
        return
    pdfium = pytest.importorskip("pypdfium2", reason="pypdfium2 renders the guide's pages")
    document = pdfium.PdfDocument(str(pdf))
    try:
        document[page].render(scale=1.4).to_pil().save(ROOT / folder / name)
    finally:
        document.close()


def _body(page: pypdf.PageObject) -> str:
    """A page's text without its running head (above the body) and footer (below it)."""
    top, bottom = float(page.mediabox.top), float(page.mediabox.bottom)
    parts: list[str] = []

    def visit(text: str, cm: list, tm: list, font: object, size: object) -> None:
        y = tm[5] * cm[3] + cm[5]
        if bottom + 2 * 28.35 < y < top - 2.2 * 28.35:  # the margins, in points
            parts.append(text)

    page.extract_text(visitor_text=visit)
    return "".join(parts)


def _db(dist: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(dist / "maillage.db") as conn:
        return conn.execute(sql).fetchall()


@pytest.fixture(scope="module")
def whole(default_dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _guide(default_dist, tmp_path_factory.mktemp("guide"))


def test_every_actor_and_need_with_an_offer_is_in_the_guide(default_dist: Path, whole: Path):
    text = _text(whole).replace("\n", " ")
    offered = _db(
        default_dist,
        """SELECT DISTINCT actors.name, need.label FROM services
           JOIN actors ON actors.id = services.provider
           JOIN service_needs ON service_needs.service_id = services.id
           JOIN concepts AS need ON need.id = service_needs.concept_id
           JOIN service_sites ON service_sites.service_id = services.id""",
    )
    assert len({a for a, _ in offered}) == 31
    squeeze = re.sub(r"\s+", "", text)  # a long name may break across lines
    for actor, need in offered:
        assert re.sub(r"\s+", "", actor) in squeeze, actor
        assert re.sub(r"\s+", "", need) in squeeze, need
    assert "Index des acteurs" in text and "Les lieux à Miramas" in text
    _picture(whole, 3, "guide.png")


def test_a_page_per_need_tells_the_parcours_to_autonomy(default_dist: Path, whole: Path):
    # the pages' bodies, without their running heads and footers
    pages = [_body(page) for page in pypdf.PdfReader(whole).pages]
    text = re.sub(r"\s+", " ", "\n".join(pages)).replace("’", "'")  # Typst curls quotes
    section = text[text.index("Les parcours vers l'autonomie") : text.index("Index des acteurs")]
    helped = _db(
        default_dist,
        "SELECT DISTINCT need.label FROM parcours JOIN concepts AS need ON need.id = parcours.need"
        " WHERE parcours.actors != '[]'",
    )
    needs = sorted({need for (need,) in helped}, key=section.find)
    assert all(section.find(need) > 0 for need in needs)  # a section per need someone helps with
    starts = [section.find(need) for need in needs] + [len(section)]
    by_need = {need: section[starts[i] : starts[i + 1]] for i, need in enumerate(needs)}
    # the parcours follow one another, without a page each (they took 16 of 44 pages)
    parcours_pages = [p for p in pages if any(n in p for n in needs) and "1. Accès libre" in p]
    assert len(parcours_pages) < len(needs)
    procedures = by_need["Aide aux démarches administratives"]
    assert "1. Accès libre" in procedures and "3. Autonomie" in procedures
    assert "Imédias — Maison de l'innovation et du partage (p." in procedures
    assert "Maison France services de Miramas oriente vers Imédias" in procedures
    broken = by_need["Utilisation sécurisée du numérique"]
    assert "Ce parcours s'interrompt" in broken and "Pas encore d'acteur" in broken


def test_hours_are_in_words_and_closures_said(whole: Path):
    text = _text(whole)
    assert not RAW_HOURS.search(text), RAW_HOURS.search(text)
    assert "Du lundi au vendredi, de 8 h 30 à 12 h et de 13 h 30 à 17 h" in text.replace("\n", " ")
    assert "Édition du" in text and "fiches de ce guide (acteurs, lieux, services)" in text


def test_each_entry_says_when_it_was_checked_and_where_to_report_an_error(
    default_dist: Path, whole: Path
):
    text = re.sub(r"\s+", " ", _text(whole))
    contact = _db(default_dist, "SELECT contact FROM publication")[0][0]
    assert (
        f"Signaler une erreur : une adresse, un horaire, un service a changé ? Écrivez à {contact}"
        in text
    )  # noqa: E501
    said = text.count("Informations vérifiées le ") + text.count("Informations jamais vérifiées")
    model = _model(default_dist)
    entries = [
        e for p in model["poles"] for n in p["needs"] for c in n["communes"] for e in c["actors"]
    ]  # noqa: E501
    assert said == len(entries) > 30
    # the poles in the articles' order: nécessité, accomplissement, loisir
    poles = ["Numérique nécessité", "Numérique accomplissement", "Numérique loisir"]
    assert [p["label"][: len(w)] for p, w in zip(model["poles"], poles, strict=True)] == poles
    assert sorted(poles, key=text.index) == poles


def _model(dist: Path) -> dict:
    return guide_model(published_tables(DATA, dist, names=GUIDE_TABLES))


def test_one_qr_code_per_entry_opens_its_actors_page(default_dist: Path, tmp_path: Path):
    tables = published_tables(DATA, default_dist, names=GUIDE_TABLES)
    site = "https://reseau.miramas.example"  # a public address: no proof, QR codes
    tables["publication"] = [{**tables["publication"][0], "site": site}]
    codes = _qr_codes(guide_mod.render_guide(guide_model(tables), tmp_path / "guide.pdf"))
    actors = {row[0] for row in _db(default_dist, "SELECT DISTINCT provider FROM services")}
    pages = {f"{site}/maillage/actors/{a}" for a in actors}
    assert site in codes  # the cover's
    assert set(codes) - {site} == pages


def test_a_communes_guide_holds_only_that_commune(default_dist: Path, tmp_path: Path):
    martigues = _text(_guide(default_dist, tmp_path, "--commune", "13056"))
    assert "Martigues" in martigues and "13140 Miramas" not in martigues
    assert "Les lieux à Martigues" in martigues and "Les lieux à Miramas" not in martigues
    only_miramas = _db(
        default_dist,
        """SELECT name FROM actors WHERE id NOT IN (SELECT actor FROM sites WHERE insee = '13056')
           AND id IN (SELECT actor FROM sites WHERE insee = '13063')""",
    )
    squeeze = re.sub(r"\s+", "", martigues)
    assert only_miramas and all(re.sub(r"\s+", "", n) not in squeeze for (n,) in only_miramas)


def test_the_same_data_give_the_same_guide(default_dist: Path, whole: Path, tmp_path: Path):
    again = _guide(default_dist, tmp_path)
    assert again.read_bytes() == whole.read_bytes()
    assert len(pypdf.PdfReader(again).pages) == len(pypdf.PdfReader(whole).pages) > 10


def test_a_guide_too_large_to_print_is_refused(default_dist: Path, monkeypatch):
    tables = published_tables(DATA, default_dist, names=GUIDE_TABLES)
    monkeypatch.setattr(guide_mod, "MAX_ENTRIES", 20)
    with pytest.raises(GuideTooLarge, match="--commune"):
        guide_model(tables)
    result = CliRunner().invoke(
        cli, ["guide", "--data", str(DATA), "--out", str(default_dist), "-o", "/dev/null"]
    )
    assert result.exit_code == 2 and "maillage guide --commune" in result.stderr
    # a commune's guide within the limit is still made
    monkeypatch.setattr(guide_mod, "MAX_ENTRIES", 60)
    assert guide_model(tables, Selection(communes=("13056",)))["entries"] <= 60


def test_hostile_names_are_printed_as_written(tmp_path: Path):
    out = tmp_path / "dist"
    build(make_network(tmp_path, NETWORKS / "hostile"), out)
    tables = published_tables(tmp_path / "data", out, names=GUIDE_TABLES)
    model = guide_model(tables)
    pdf = guide_mod.render_guide(model, tmp_path / "guide.pdf")
    text = re.sub(r"\s+", "", _text(pdf))
    assert "<imgsrc=xonerror=alert(1)>" in text
    assert pypdf.PdfReader(io.BytesIO(pdf.read_bytes())).pages


async def test_the_build_publishes_the_guide_and_the_home_page_links_it(default_dist: Path):
    from rdflib import Graph, URIRef
    from rdflib.namespace import DCAT

    from maillage.publish.site import make_datasette

    assert (default_dist / "guide.pdf").read_bytes()[:5] == b"%PDF-"
    catalog = Graph().parse(default_dist / "catalog.ttl")
    urls = {str(o) for o in catalog.objects(None, DCAT.downloadURL)}
    assert any(u.endswith("/telechargements/guide.pdf") for u in urls)
    assert any(u.endswith("/telechargements/guide-gros-caracteres.pdf") for u in urls)
    assert (
        None,
        DCAT.mediaType,
        URIRef("http://www.iana.org/assignments/media-types/application/pdf"),
    ) in catalog
    ds = make_datasette(default_dist)
    home = await ds.client.get("/")
    assert 'href="/telechargements/guide.pdf"' in home.text
    assert "Télécharger le guide à imprimer" in home.text
    served = await ds.client.get("/telechargements/guide.pdf")
    assert served.status_code == 200 and served.headers["content-type"] == "application/pdf"
    assert 'href="/telechargements/guide-gros-caracteres.pdf"' in home.text
    large = await ds.client.get("/telechargements/guide-gros-caracteres.pdf")
    assert large.status_code == 200 and large.content[:5] == b"%PDF-"


def test_the_cli_slip_is_one_page_that_names_the_place(default_dist: Path, tmp_path: Path):
    slip = tmp_path / "fiche.pdf"
    result = CliRunner().invoke(
        cli,
        [
            "refer", "--data", str(DATA), "--out", str(default_dist),
            "--from", "residence-croizat", "--need", "maitrise-outils-numeriques",
            "--format", "pdf", "-o", str(slip), "--answer", "3",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    pages = pypdf.PdfReader(slip).pages
    assert len(pages) == 1
    text = pages[0].extract_text()
    for words in (
        "Fiche d’orientation",
        "Remise par Résidence seniors Croizat",
        "Maîtrise des outils numériques du quotidien",
        "Résidence seniors Hestia",
        "Boulevard du 8 Mai 1945, 13140 Miramas",
        "Du lundi au vendredi, de 9 h à 17 h",
        "via Unis-Cité Miramas",
        "Passez d'abord par Unis-Cité Miramas, qui vous oriente vers Résidence seniors Hestia.",
        "Téléphone",
        "Prénom :",
        "EXEMPLE — ce lieu, son adresse, ses horaires et son téléphone sont inventés",
    ):
        assert words in " ".join(text.split()), words  # lines joined, no-break spaces too
    assert re.search(r"04\s65\s71\s00\s\d\d", text)  # the destination's phone, the French way
    # the default site: is loopback: no code that opens nothing, the proof notice instead
    assert _qr_codes(slip) == []
    assert "ÉPREUVE — adresse du site à définir" in " ".join(text.split())
    _picture(slip, 0, "fiche-orientation.png")

    half = tmp_path / "guichet.pdf"
    result = CliRunner().invoke(
        cli,
        [
            "refer", "--data", str(DATA), "--out", str(default_dist),
            "--from", "residence-croizat", "--need", "maitrise-outils-numeriques",
            "--format", "pdf", "-o", str(half), "--answer", "3", "--demi-page",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    pages = pypdf.PdfReader(half).pages
    assert len(pages) == 1
    width, height = float(pages[0].mediabox.width), float(pages[0].mediabox.height)
    assert (round(width), round(height)) == (420, 595)  # A5: half an A4 sheet, in points
    assert "Résidence seniors Hestia" in pages[0].extract_text()


def test_the_cli_slip_needs_a_file_and_an_existing_answer(default_dist: Path, tmp_path: Path):
    base = ["refer", "--data", str(DATA), "--out", str(default_dist)]
    base += ["--from", "residence-croizat", "--need", "maitrise-outils-numeriques"]
    for extra in (["--format", "pdf"], ["--format", "pdf", "-o", "x.pdf", "--answer", "99"]):
        result = CliRunner().invoke(cli, base + extra)
        assert result.exit_code == 2 and "Erreur : la fiche d'orientation" in result.stderr


async def test_the_sites_slip_is_a_print_view_of_an_answer(default_dist: Path):
    from maillage.publish.site import make_datasette

    ds = make_datasette(default_dist)
    answer = "/maillage/orienter?actor=residence-croizat&need=maitrise-outils-numeriques"
    answer += "&public=&commune="
    page = (await ds.client.get(answer)).text
    assert (
        "Imprimer la fiche d&#39;orientation" in page or "Imprimer la fiche d'orientation" in page
    )
    slip = (await ds.client.get(answer + "&_fiche=3")).text
    assert "Fiche d'orientation" in slip.replace("&#39;", "'")
    assert "Résidence seniors Hestia" in slip and "via Unis-Cité Miramas" in slip
    assert "@media print" in slip and "<input" not in slip  # nothing is typed on the site
    wrong = (await ds.client.get(answer + "&_fiche=999")).text
    assert "Trouver vers qui orienter" in wrong  # no such answer: the answers again
