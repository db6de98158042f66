"""Every page a partner or a resident reaches from the home page, plus the table and query pages
they use, in Chromium at a desktop and a phone width: French declared, none of Datasette's
English, hours in words rather than OpenStreetMap syntax, and no serious or critical violation
found by axe-core (the accessibility engine of most audit tools, from the npm registry:
tests/axe/package.json, installed by ``make test``)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from browser import browser_page
from conftest import ROOT

AXE = ROOT / "tests" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
PAGES = [
    "/",
    "/maillage/actors/france-services-miramas",
    "/maillage/orienter?actor=centre-social-schweitzer&need=demarches-vehicule&public=&commune=",
    "/maillage/orienter?actor=residence-croizat&need=maitrise-outils-numeriques&public=&commune="
    "&_fiche=3",  # the referral slip
    "/maillage/qui_aide?need=aide-demarches-administratives",
    "/maillage/chercher?q=seniors&commune=Miramas",  # the search's cards
    "/maillage/chercher?q=xyzzy&commune=",  # an empty answer, with what to try
    "/maillage/carte_des_lieux",
    "/maillage/services?_search=numerique",
    "/maillage/lacunes",
    "/maillage/parcours_besoin?need=aide-demarches-administratives&commune=13063",
    "/maillage/parcours_besoin?need=utilisation-securisee&commune=13056",
    "/maillage/points_fragiles",
    "/maillage/changes",
    "/maillage/actors",
    "/maillage/qui_fait_quoi_ou",
]
WIDTHS = (1280, 390)
# Datasette's English interface, as its own templates and scripts write it
ENGLISH = re.compile(
    r"\b(rows?|Apply|View and edit SQL|This data as|Query took|Queries took|Custom SQL query|"
    r"Edit SQL|Run SQL|Format SQL|Powered by|Next page|Advanced export|Suggested facets|"
    r"home|Search|remove filter|column|descending)\b"
)
# OpenStreetMap opening hours as written in the data (Mo-Fr 08:30-12:00, Sa 09:00-12:00)
RAW_HOURS = re.compile(r"\b(Mo|Tu|We|Th|Fr|Sa|Su|PH)(-(Mo|Tu|We|Th|Fr|Sa|Su))?[ ,]+\d\d:\d\d")


def axe_script() -> str:
    if not AXE.is_file():
        pytest.skip(
            "axe-core is not installed (npm ci --prefix tests/axe; make test runs it when npm "
            "is available): accessibility test skipped"
        )
    return AXE.read_text(encoding="utf-8")


def linked_pages(page, site: str) -> list[str]:
    """The site's own HTML pages the home page links to (not the downloads)."""
    page.goto(site + "/")
    found = []
    for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)"):
        parts = urlsplit(href)
        if f"{parts.scheme}://{parts.netloc}" != site or parts.path.startswith("/telechargements/"):
            continue
        if re.search(r"\.(json|csv|db|ttl|nt|jsonld|trig|png|svg|pdf)$", parts.path):
            continue
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if path not in found:
            found.append(path)
    return found


def violations(page, script: str) -> list[str]:
    page.add_script_tag(content=script)
    found = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
             .filter(v => v.impact === "serious" || v.impact === "critical")
             .map(v => v.id + " (" + v.impact + "): " + v.nodes.slice(0, 3)
                 .map(n => n.target.join(" ")).join(" | "))"""
    )
    return list(found)


def test_every_page_from_home_is_french_readable_and_passes_axe(site: str):
    script = axe_script()
    problems: list[str] = []
    with browser_page() as page:
        pages = PAGES + [p for p in linked_pages(page, site) if p not in PAGES]
        assert len(pages) >= len(PAGES) + 5  # the home page leads to the site's pages
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            for path in pages:
                response = page.goto(site + path)
                where = f"{path} à {width} px"
                if response is None or response.status != 200:
                    problems.append(f"{where} : statut {response and response.status}")
                    continue
                if page.get_attribute("html", "lang") != "fr":
                    problems.append(f'{where} : <html> sans lang="fr"')
                text = page.inner_text("body")
                for match in ENGLISH.finditer(text):
                    problems.append(f"{where} : anglais « {match.group(0)} »")
                for match in RAW_HOURS.finditer(text):
                    problems.append(f"{where} : horaires OSM bruts « {match.group(0)} »")
                problems.extend(f"{where} : {v}" for v in violations(page, script))
    assert problems == []


def test_axe_finds_what_it_should(site: str):
    """The check can fail: a page stripped of its language and given an unlabelled field is
    reported by the same call."""
    script = axe_script()
    with browser_page() as page:
        page.goto(site + "/")
        page.evaluate(
            """() => {
              document.documentElement.removeAttribute("lang");
              const input = document.createElement("input");
              input.type = "text";
              document.querySelector("main").append(input);
            }"""
        )
        found = " ".join(violations(page, script))
    assert "html-has-lang" in found and "label" in found


def test_the_orienter_form_works_with_the_keyboard_alone(site: str):
    """Tab to each field, choose with the arrow keys, Tab to the button and press Enter: an
    answer, and the focused field is visibly outlined."""
    with browser_page() as page:
        page.goto(site + "/maillage/orienter")
        page.keyboard.press("Tab")  # the skip link first
        assert page.evaluate("document.activeElement.getAttribute('href')") == "#contenu"
        for _ in range(40):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.id") == "actor":
                break
        else:
            pytest.fail("the actor field is never reached with Tab")
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline not in ("", "none")
        page.keyboard.press("ArrowDown")
        page.keyboard.press("ArrowDown")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.id") == "need"
        page.keyboard.press("ArrowDown")
        for _ in range(5):  # past the optional fields, to the button
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.tagName") == "BUTTON":
                break
        assert page.evaluate("document.activeElement.textContent").strip()
        assert page.evaluate("document.getElementById('actor').value")
        assert page.evaluate("document.getElementById('need').value")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert "actor=" in page.url and "need=" in page.url
        assert page.locator("ol.reponses li, .sans-chemin").count() >= 1
