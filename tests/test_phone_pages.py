"""The pages a partner uses on a phone, in Chromium at 390 px and 1280 px: cards rather than
tables, nothing wider than the screen, the two first actions in the first screen, the orienter's
answer in names and numbered steps, a title per subject, examples marked as such, and no
serious or critical axe-core violation."""

from __future__ import annotations

from pathlib import Path

import pytest
from browser import browser_page
from test_site_accessibility import axe_script, violations

ORIENTER = (
    "/maillage/orienter?actor=residence-croizat&need=maitrise-outils-numeriques&public=&commune="
)
PAGES = [
    "/",
    ORIENTER,
    "/maillage/qui_aide?need=aide-demarches-administratives&public=&commune=",
    "/maillage/actors/france-services-miramas",
    "/maillage/carte_des_lieux",
    "/donnees-ouvertes",
    "/maillage/chercher?q=seniors&commune=Miramas",
]
PHONE = {"width": 390, "height": 844}
# elements whose right edge passes the viewport's (Leaflet's own panes are clipped by the map)
OVERFLOWING = """() => [...document.querySelectorAll("body *")]
  .filter(e => !e.closest(".leaflet-container") && e.getClientRects().length)
  .filter(e => { const r = e.getBoundingClientRect();
                 return r.width > 0 && (r.right > innerWidth + 1 || r.left < -1)
                   && getComputedStyle(e).position !== "absolute"; })
  .map(e => e.tagName.toLowerCase() + (e.className ? "." + String(e.className) : "")
            + " " + Math.round(e.getBoundingClientRect().right))"""


# elements that cut their own text: content wider or taller than a box that hides the rest
CLIPPED = """() => [...document.querySelectorAll("main *")]
  .filter(e => !e.closest(".leaflet-container, .visuellement-cache, .lien-evitement"))
  .filter(e => { const s = getComputedStyle(e);
                 const hides = v => v === "hidden" || v === "clip";
                 return (hides(s.overflowX) && e.scrollWidth > e.clientWidth + 1)
                   || (hides(s.overflowY) && e.scrollHeight > e.clientHeight + 1); })
  .map(e => e.tagName.toLowerCase() + (e.className ? "." + String(e.className) : ""))"""


def _shot(page, folder: Path, name: str) -> None:
    page.screenshot(path=str(folder / name), full_page=False)


@pytest.fixture
def phone(site: str):
    with browser_page() as page:
        page.set_viewport_size(PHONE)
        yield page


@pytest.mark.parametrize("width", [390, 1280])
def test_nothing_is_wider_than_the_screen_or_clipped(site: str, width: int):
    with browser_page() as page:
        page.set_viewport_size({"width": width, "height": 900})
        found = {}
        for path in PAGES:
            page.goto(site + path)
            wide = page.evaluate(OVERFLOWING) + page.evaluate(CLIPPED)
            if wide:
                found[path] = wide[:5]
            assert page.locator("main table").count() == 0, path  # cards, never a table
    assert found == {}


def test_search_and_orienter_are_in_the_first_screen_of_a_phone(
    site: str, phone, screenshots: Path
):
    phone.goto(site + "/")
    _shot(phone, screenshots, "telephone-accueil.png")
    search = phone.get_by_role("searchbox").bounding_box()
    orienter = phone.get_by_role("link", name="Orienter une personne").bounding_box()
    assert search["y"] + search["height"] <= PHONE["height"]
    assert orienter["y"] + orienter["height"] <= PHONE["height"]
    # and the open-data files are not offered to residents on it
    assert phone.locator("a[href$='.ttl'], a[href$='.trig']").count() == 0
    assert phone.get_by_role("link", name="Données ouvertes").first.is_visible()


def test_the_orienter_answers_in_numbered_cards_with_names_never_ids(
    site: str, phone, screenshots: Path
):
    phone.goto(site + ORIENTER)
    _shot(phone, screenshots, "telephone-orientation.png")
    cards = phone.locator("ol.etapes > li")
    names = cards.locator("h3 a").all_inner_texts()
    assert names[:3] == [
        "Résidence seniors Croizat",
        "Unis-Cité Miramas",
        "Résidence seniors Hestia",
    ]
    assert len(names) == len(set(names))  # one card per destination
    text = phone.inner_text("ol.etapes")
    assert "→" not in text and "residence-" not in text and "Chemin" not in text
    assert "Allez-y directement" in text
    assert (
        "Passez d'abord par Unis-Cité Miramas, qui vous oriente vers Résidence seniors Hestia."
        in text
    )
    assert "Aucun partenaire n'oriente encore vers ce lieu" in text
    for i in range(cards.count()):
        card = cards.nth(i)
        assert card.bounding_box()["height"] < 400, names[i]
        assert card.locator("a[href^='tel:']").count() == 1, names[i]
        if i > 0:  # a place to go to, with the way there
            assert card.get_by_role("link", name="Itinéraire").count() == 1, names[i]


def test_each_page_title_names_its_subject(site: str, phone):
    titles = {}
    for path in (
        "/maillage/actors/france-services-miramas",
        ORIENTER,
        "/maillage/qui_aide?need=aide-demarches-administratives",
        "/donnees-ouvertes",
    ):
        phone.goto(site + path)
        titles[path] = phone.title()
    assert titles["/maillage/actors/france-services-miramas"] == (
        "Maison France services de Miramas — Qui fait quoi et où"
    )
    assert titles[ORIENTER] == "Orienter une personne — Qui fait quoi et où"
    assert titles["/maillage/qui_aide?need=aide-demarches-administratives"] == (
        "Qui aide pour : Aide aux démarches administratives — Qui fait quoi et où"
    )
    assert titles["/donnees-ouvertes"] == "Données ouvertes — Qui fait quoi et où"


def test_illustrative_records_say_exemple_wherever_they_show(site: str, phone, screenshots: Path):
    for path in (ORIENTER, "/maillage/qui_aide?need=aide-demarches-administratives"):
        phone.goto(site + path)
        if "qui_aide" in path:
            phone.locator("ul.resultats").scroll_into_view_if_needed()
            _shot(phone, screenshots, "telephone-qui-aide.png")
        cards = phone.locator(".carte")
        # every site of the default network is illustrative: every card says so
        assert cards.count() >= 3
        assert cards.locator(".badge.exemple").count() == cards.count(), path
    phone.goto(site + "/maillage/actors/france-services-miramas")
    _shot(phone, screenshots, "telephone-acteur.png")
    assert phone.locator(".lieux .badge.exemple").count() >= 1
    assert "jamais vérifiées" in phone.inner_text("main")
    assert "vérifiées le" not in phone.inner_text("main")  # its source's date is no check
    phone.goto(site + "/maillage/carte_des_lieux")
    assert (
        phone.locator("ul.lieux-carte .badge.exemple").count()
        == phone.locator("ul.lieux-carte > li").count()
    )


def test_the_map_has_a_legend_of_its_colours(site: str, phone, screenshots: Path):
    phone.goto(site + "/maillage/carte_des_lieux")
    phone.wait_for_selector(".leaflet-marker-icon", timeout=15000)
    _shot(phone, screenshots, "telephone-carte.png")
    legend = phone.get_by_role("list", name="Légende de la carte")
    assert legend.locator("li").all_inner_texts() == [
        "Numérique nécessité",
        "Numérique accomplissement",
        "Numérique loisir et médiation numérique",
    ]
    colours = legend.locator(".repere-legende").evaluate_all(
        "spans => spans.map(s => getComputedStyle(s).backgroundColor)"
    )
    assert len(set(colours)) == 3
    first = phone.locator("ul.lieux-carte > li").first
    assert first.bounding_box()["height"] < 400
    assert (
        first.get_by_role("link", name="Itinéraire")
        .get_attribute("href")
        .startswith("https://www.openstreetmap.org/directions?to=")
    )


@pytest.mark.parametrize("width", [390, 1280])
def test_the_changed_pages_pass_axe(site: str, width: int):
    script = axe_script()
    problems = []
    with browser_page() as page:
        page.set_viewport_size({"width": width, "height": 900})
        for path in PAGES:
            page.goto(site + path)
            problems += [f"{path} : {v}" for v in violations(page, script)]
    assert problems == []
