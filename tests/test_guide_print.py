"""The printed guide checked as print, not only made: its fonts, its sizes, nothing off the page
or over other text (a 200-character street and a 50-digit URL included), its QR codes, its
index in French order, the proof while the site has no public address, the large print."""

from __future__ import annotations

import ctypes
import math
import re
import shutil
import statistics
from pathlib import Path

import pypdf
import pytest
from click.testing import CliRunner
from conftest import DATA
from test_guide import _picture, _qr_codes

from maillage.graph.collation import french_sorted, sort_text
from maillage.publish.address import PROOF
from maillage.publish.build import build, published_tables
from maillage.publish.cli import cli
from maillage.publish.guide import GUIDE_TABLES, _map_svg, guide_model

pdfium = pytest.importorskip("pypdfium2", reason="pypdfium2 reads the guide's glyphs")
raw = pytest.importorskip("pypdfium2.raw", reason="pypdfium2 reads the guide's glyphs")

SITE = "https://guide.reseau-miramas.fr"
STREET = "Rue " + "Longuedenomination" * 11  # 202 characters, no space
URL = "https://rdv.exemple.fr/" + "1234567890" * 5


@pytest.fixture(scope="module")
def public(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A copy of the default data with a public site, a 200-character street and a
    50-digit appointment URL, built."""
    folder = tmp_path_factory.mktemp("public")
    data = folder / "data"
    shutil.copytree(DATA, data)
    network = data / "network.yaml"
    network.write_text(
        re.sub(r"(?m)^site: .*$", f"site: {SITE}", network.read_text(encoding="utf-8")),
        encoding="utf-8",
    )
    actor = data / "actors" / "univers-lan.yaml"
    actor.write_text(
        actor.read_text(encoding="utf-8").replace(
            "    street: Rue de la République\n",
            f"    street: {STREET}\n    appointment: {URL}\n",
        ),
        encoding="utf-8",
    )
    out = folder / "dist"
    build(data, out)
    return data, out


def _guide(data: Path, out: Path, output: Path, *args: str) -> Path:
    result = CliRunner().invoke(
        cli, ["guide", "--data", str(data), "--out", str(out), "-o", str(output), *args]
    )
    assert result.exit_code == 0, result.output
    return output


@pytest.fixture(scope="module")
def printed(public: tuple[Path, Path]) -> Path:
    data, out = public
    return _guide(data, out, out.parent / "guide.pdf")


@pytest.fixture(scope="module")
def large(public: tuple[Path, Path]) -> Path:
    data, out = public
    return _guide(data, out, out.parent / "gros.pdf", "--gros-caracteres")


def _pages(pdf: Path) -> list[str]:
    """Each page's text (pypdf marks glyphs placed apart with zero-width spaces: dropped)."""
    return [p.extract_text().replace("\u200b", "") for p in pypdf.PdfReader(pdf).pages]


def _glyphs(pdf: Path) -> list[list[tuple[str, float, str]]]:
    """Per page, each printed character, its size (pt) and its font's name."""
    pages = []
    document = pdfium.PdfDocument(str(pdf))
    buffer = ctypes.create_string_buffer(256)
    try:
        for page in document:
            text = page.get_textpage()
            glyphs = []
            for i in range(text.count_chars()):
                char = chr(raw.FPDFText_GetUnicode(text.raw, i))
                if char.isspace() or char == "\u200b":
                    continue
                raw.FPDFText_GetFontInfo(text.raw, i, buffer, 256, None)
                glyphs.append((char, raw.FPDFText_GetFontSize(text.raw, i), buffer.value.decode()))
            pages.append(glyphs)
    finally:
        document.close()
    return pages


def _boxes(pdf: Path) -> list[tuple[float, float, list[tuple[float, ...]]]]:
    """Per page, its width, height and the boxes of its runs of text."""
    found = []
    document = pdfium.PdfDocument(str(pdf))
    try:
        for page in document:
            text = page.get_textpage()
            width, height = page.get_size()
            found.append((width, height, [text.get_rect(i) for i in range(text.count_rects())]))
    finally:
        document.close()
    return found


def test_only_atkinson_hyperlegible_embedded_and_read_at_arms_length(printed: Path):
    reader = pypdf.PdfReader(printed)
    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = (
                font.get("/FontDescriptor")
                or font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            ).get_object()
            fonts[str(font["/BaseFont"])] = any(
                k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")
            )
    assert fonts and all(re.fullmatch(r"/[A-Z]{6}\+AtkinsonHyperlegible-\w+", f) for f in fonts)
    assert all(fonts.values()), fonts  # embedded, so printed the same everywhere
    glyphs = [g for page in _glyphs(printed) for g in page]
    sizes = [size for _, size, _ in glyphs]
    assert statistics.median(sizes) >= 11
    assert min(sizes) >= 9
    regular = [g for g in glyphs if g[2].endswith("AtkinsonHyperlegible-Regular")]
    assert len(regular) > len(glyphs) / 2  # the body is set in the chosen family


def test_no_text_off_the_page_or_over_other_text(printed: Path, large: Path):
    for pdf in (printed, large):
        squeezed = re.sub(r"[\s\u200b]+", "", "".join(_pages(pdf)))
        # printed whole, across lines
        assert STREET.replace(" ", "") in squeezed and URL in squeezed
        for number, (width, height, boxes) in enumerate(_boxes(pdf), start=1):
            for box in boxes:
                left, bottom, right, top = box
                assert left >= 0 and bottom >= 0 and right <= width and top <= height, (
                    pdf.name,
                    number,
                    box,
                )
            for i, a in enumerate(boxes):
                for b in boxes[i + 1 :]:
                    across = min(a[2], b[2]) - max(a[0], b[0])
                    up = min(a[3], b[3]) - max(a[1], b[1])
                    # glyphs side by side touch (an italic leans over): more than that is overlap
                    assert not (across > 1.5 and up > 0.5 * min(a[3] - a[1], b[3] - b[1])), (
                        pdf.name,
                        number,
                        a,
                        b,
                    )


def test_every_qr_code_opens_the_public_site(public: tuple[Path, Path], printed: Path):
    codes = _qr_codes(printed)
    assert SITE in codes  # the cover's
    assert codes and all(c == SITE or c.startswith(f"{SITE}/maillage/actors/") for c in codes)
    text = "".join(_pages(printed))
    assert PROOF not in text


def test_the_index_is_in_french_order(printed: Path):
    pages = _pages(printed)
    start = next(i for i, p in enumerate(pages) if re.search(r"(?m)^Index des acteurs$", p))
    names = []
    for page in pages[start:]:
        if "Les lieux à" in page:
            break
        names += [m.group(1).strip() for m in re.finditer(r"(?m)^(.+?)\s*\.{3,}", page)]
    assert len(names) > 25
    assert names == french_sorted(names)
    assert names.index("Maison France services de Miramas") < names.index("MJC / MPT de Miramas")
    ecoles = names.index("Écoles publiques de Miramas (Éducation nationale)")
    assert names[ecoles - 1][0] in "CDE" and names[ecoles + 1][0] in "EF"


def test_the_database_orders_the_french_way(public: tuple[Path, Path]):
    import sqlite3

    with sqlite3.connect(public[1] / "maillage.db") as db:
        by_key = [n for (n,) in db.execute("SELECT name FROM actors ORDER BY name_sort")]
        labels = [n for (n,) in db.execute("SELECT label FROM concepts ORDER BY name_sort")]
    assert by_key == french_sorted(by_key) and labels == french_sorted(labels)
    assert by_key.index("Maison France services de Miramas") < by_key.index("MJC / MPT de Miramas")
    assert sort_text("école") < sort_text("Écoles") < sort_text("Ecouter") < sort_text("F")


def test_without_a_public_site_every_page_is_a_proof_and_the_build_says_so(
    default_dist: Path, tmp_path: Path
):
    result = CliRunner().invoke(
        cli,
        ["guide", "--data", str(DATA), "--out", str(default_dist), "-o", str(tmp_path / "g.pdf")],
    )
    assert result.exit_code == 0
    assert "Attention : l'adresse publique du site" in result.stderr
    pages = _pages(tmp_path / "g.pdf")
    assert all(PROOF in p for p in pages)
    assert _qr_codes(tmp_path / "g.pdf") == []  # no code that would open nothing
    out = tmp_path / "dist"
    built = CliRunner().invoke(cli, ["build", "--data", str(DATA), "--out", str(out)])
    assert built.exit_code == 0 and "« ÉPREUVE — adresse du site à définir »" in built.stderr


def test_the_cover_says_when_and_how_much_was_checked_and_entries_are_marked(
    public: tuple[Path, Path], printed: Path
):
    text = re.sub(r"\s+", " ", "".join(_pages(printed)))
    assert "Édition du " in text and "entre le" not in text
    assert re.search(r"Aucune des \d+ fiches de ce guide .* n'a été vérifiée depuis 12 mois", text)
    model = guide_model(published_tables(*public, names=GUIDE_TABLES))
    entries = [
        e for p in model["poles"] for n in p["needs"] for c in n["communes"] for e in c["actors"]
    ]
    assert all(e["stale"] for e in entries)  # the data's dates are from 2019-2023
    assert text.count("à vérifier : appelez avant de venir") == len(entries)
    # every place of the default network is invented for the example: each says so, and the
    # cover explains the mark once
    places = [p for e in entries for p in e["places"]]
    assert places and all(p["exemple"] for p in places)
    assert text.count("EXEMPLE") == len(places) + 1
    assert "Les lieux ainsi marqués sont des exemples" in text


def test_each_place_is_printed_once_with_its_services_under_it(
    public: tuple[Path, Path], printed: Path
):
    model = guide_model(published_tables(*public, names=GUIDE_TABLES))
    for pole in model["poles"]:
        for need in pole["needs"]:
            for commune in need["communes"]:
                for entry in commune["actors"]:
                    places = [p["name"] for p in entry["places"]]
                    assert len(places) == len(set(places)) and all(
                        p["services"] for p in entry["places"]
                    )
    text = "".join(_pages(printed))
    address = "Place de l'Hôtel de Ville, 13140 Miramas"  # France services: 6 services there
    printed_places = [
        place
        for pole in model["poles"]
        for need in pole["needs"]
        for commune in need["communes"]
        for entry in commune["actors"]
        for place in entry["places"]
        if place["address"] == address
    ]
    services = sum(len(p["services"]) for p in printed_places)
    assert services > len(printed_places) > 0  # a place with several services...
    assert text.count(address) == len(printed_places)  # ...is printed once


def _pictures(pdf: Path, prefix: str) -> None:
    """The reference's pages of a guide (with MAILLAGE_SCREENSHOTS): its cover, a need, a
    parcours, a map and the index."""
    pages = _pages(pdf)

    def first(pattern: str) -> int:
        return next(i for i, p in enumerate(pages) if re.search(pattern, p.split("\n")[0]))

    for name, number in (
        ("couverture", 0),
        ("besoin", first(r"^Numérique nécessité — ") + 1),
        ("parcours", first(r"^Les parcours vers l.autonomie — ")),
        ("carte", first(r"^Les lieux à ")),
        ("index", first(r"^Index des acteurs")),
    ):
        _picture(pdf, number, f"{prefix}-{name}.png")


def test_every_page_names_its_chapter_and_says_page_x_of_y(printed: Path, large: Path):
    _pictures(printed, "guide")
    _pictures(large, "guide-gros")
    pages = _pages(printed)
    total = len(pages)
    for number, page in enumerate(pages, start=1):
        assert f"page {number} / {total}" in page and "Édition du " in page
    heads = [p.split("\n")[0] for p in pages[2:]]
    assert sum(h.startswith("Numérique nécessité — ") for h in heads) > 3


def test_the_large_print_is_14_points_and_one_actor_a_page(public: tuple[Path, Path], large: Path):
    sizes = [size for page in _glyphs(large) for _, size, _ in page]
    assert statistics.median(sizes) >= 14
    model = guide_model(published_tables(*public, names=GUIDE_TABLES))
    names = {
        e["name"]
        for p in model["poles"]
        for n in p["needs"]
        for c in n["communes"]
        for e in c["actors"]
    }
    for page in _pages(large):
        lines = {line.strip() for line in page.split("\n")}
        assert len(names & lines) <= 1


def test_map_numbers_never_overlap_and_close_places_share_one():
    places = [
        {"name": f"Lieu {i}", "latitude": 43.58 + (i % 3) * 0.00005, "longitude": 5.0 + i * 0.002}
        for i in range(12)
    ] + [{"name": "Sans position", "latitude": None, "longitude": None}]
    svg, groups = _map_svg(places)
    discs = [
        (float(x), float(y)) for x, y in re.findall(r'<circle cx="([\d.]+)" cy="([\d.]+)"', svg)
    ]
    assert len(discs) == len(groups) - 1  # the place without a position is listed, not drawn
    assert all(math.dist(a, b) >= 18 for i, a in enumerate(discs) for b in discs[i + 1 :])
    assert sum(len(g) for g in groups) == len(places)
    assert " km</text>" in svg or " m</text>" in svg  # a scale bar
    assert ">N</text>" in svg  # north


def test_a_generated_300_actor_networks_commune_guide_passes_the_same_checks(
    tmp_path_factory: pytest.TempPathFactory,
):
    import sqlite3
    import subprocess
    import sys

    from conftest import ROOT

    folder = tmp_path_factory.mktemp("n300")
    data, out = folder / "data", folder / "dist"
    generate = [sys.executable, str(ROOT / "benchmarks" / "generate.py"), "--actors", "300"]
    subprocess.run([*generate, "--out", str(data)], check=True, capture_output=True)
    build(data, out)
    with sqlite3.connect(out / "maillage.db") as db:
        (insee,) = db.execute(
            "SELECT insee FROM sites GROUP BY insee ORDER BY count(*) DESC, insee LIMIT 1"
        ).fetchone()
    for edition, body in (((), 11), (("--gros-caracteres",), 14)):
        pdf = _guide(data, out, folder / f"{insee}{len(edition)}.pdf", "--commune", insee, *edition)
        glyphs = [g for page in _glyphs(pdf) for g in page]
        assert statistics.median(s for _, s, _ in glyphs) >= body
        assert min(s for _, s, _ in glyphs) >= 9
        assert all("AtkinsonHyperlegible" in f for _, _, f in glyphs)
        for width, height, boxes in _boxes(pdf):
            assert all(b[0] >= 0 and b[1] >= 0 and b[2] <= width and b[3] <= height for b in boxes)


def test_the_guide_says_what_changed_since_the_last_edition(tmp_path: Path):
    data, out = tmp_path / "data", tmp_path / "dist"
    shutil.copytree(DATA, data)
    build(data, out)
    first = "\n".join(_pages(out / "guide.pdf"))
    assert "Première édition : rien à comparer encore." in first
    actor = data / "actors" / "univers-lan.yaml"
    actor.write_text(
        actor.read_text(encoding="utf-8").replace("name: Univers LAN\n", "name: Univers LAN 13\n"),
        encoding="utf-8",
    )
    build(data, out)
    for pdf in (out / "guide.pdf", out / "guide-gros-caracteres.pdf"):
        text = re.sub(r"\s+", " ", "\n".join(_pages(pdf)))
        page = text[text.index("Depuis la publication précédente (version 1, le ") :]
        assert page.index("Acteur modifié (1) : - Univers LAN 13 : Nom") < 200
