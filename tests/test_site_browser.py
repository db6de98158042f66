"""The site partners use, in a real browser (Debian's Chromium driven by Playwright).

Screenshots of the home page, a search, a referral answer and the map are taken; with
MAILLAGE_SCREENSHOTS=docs/screenshots (``make screenshots``) they replace the images of docs/,
otherwise they go to a temporary folder: a test run changes no tracked file.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from browser import browser_page


@pytest.fixture
def page(site: str):
    with browser_page() as page:
        page.set_viewport_size({"width": 1200, "height": 900})
        yield page


def _shot(page, folder: Path, name: str) -> None:
    page.screenshot(path=str(folder / name), full_page=False)
    assert (folder / name).stat().st_size > 0


def test_the_home_page_is_french_and_leads_everywhere(site: str, page, screenshots: Path):
    page.goto(site + "/")
    assert page.locator("h1").inner_text().startswith("Qui ? fait Quoi ? et Où ?")
    text = page.inner_text("body")
    assert "Données mises à jour le" in text
    for pole in (
        "Numérique nécessité",
        "Numérique accomplissement",
        "Numérique loisir et médiation numérique",
    ):
        assert pole in text
    for href in (
        "/maillage/orienter",
        "/maillage/carte_des_lieux",
        "/maillage/lacunes",
        "/donnees-ouvertes",
        "/maillage/qui_fait_quoi_ou",
    ):
        assert page.locator(f"a[href^='{href}']").count() >= 1, href
    # the open-data files have a page of their own, off the residents' home page
    assert "Turtle" not in text and page.locator("a[href$='.ttl']").count() == 0
    _shot(page, screenshots, "accueil.png")


def test_seniors_help_with_online_procedures_in_miramas_in_three_clicks(
    site: str, page, screenshots: Path
):
    page.goto(site + "/")
    page.get_by_role("link", name="Aide aux démarches administratives", exact=True).click()
    page.get_by_role("link", name="Séniors", exact=True).click()
    page.get_by_role("link", name="Miramas", exact=True).click()
    cards = page.locator("ul.resultats li")
    assert cards.count() >= 3
    text = page.inner_text("ul.resultats")
    assert "Maison France services de Miramas" in text
    assert "Voisins solidaires" in text
    assert "Martigues" not in text
    assert "public=seniors" in page.url and "commune=13063" in page.url
    _shot(page, screenshots, "recherche.png")


def test_the_referral_form_returns_a_path(site: str, page, screenshots: Path):
    page.goto(site + "/maillage/orienter")
    page.select_option("#actor", label="Résidence seniors Croizat")
    page.select_option("#need", label="Maîtrise des outils numériques du quotidien")
    page.get_by_role("button", name="Trouver vers qui orienter").click()
    answers = page.locator("ol.reponses li")
    assert answers.count() >= 2
    text = page.inner_text("ol.reponses")
    assert (
        "Passez d'abord par Unis-Cité Miramas, qui vous oriente vers Résidence seniors Hestia."
        in text
    )
    assert "→" not in text and "residence-hestia" not in text  # names, never an id path
    _shot(page, screenshots, "orientation.png")


def test_the_map_shows_markers(site: str, page, screenshots: Path):
    page.goto(site + "/maillage/carte_des_lieux?_size=100")
    page.wait_for_selector(".leaflet-marker-icon, .marker-cluster", timeout=15000)
    assert page.locator(".leaflet-marker-icon, .marker-cluster").count() >= 1


def test_the_map_follows_the_pole_filter(site: str, page):
    page.goto(site + "/maillage/carte_des_lieux?pole=Num%C3%A9rique+n%C3%A9cessit%C3%A9")
    page.wait_for_selector(".leaflet-marker-icon, .marker-cluster", timeout=15000)
    rows = page.locator("ul.lieux-carte li")
    assert rows.count() >= 5
    poles = set(page.locator("ul.lieux-carte .pourquoi").all_inner_texts())
    assert poles == {"Numérique nécessité"}


def test_the_map_page_puts_the_map_first_and_explains_the_missing_tiles(
    site: str, page, screenshots: Path
):
    """Offline (as here) the tiles cannot load: the places are still drawn, and a note says
    why there is no background. A pop-up gives the place, its hours in words, whether it is
    open now and a link to the actor's page."""
    page.goto(site + "/maillage/carte_des_lieux")
    page.wait_for_selector(".leaflet-marker-icon", timeout=15000)
    order = page.evaluate(
        """() => [...document.querySelectorAll("main #carte, main form, main ul.lieux-carte")]
                 .map(e => e.tagName)"""
    )
    assert order[0] == "DIV"  # the map before the filters and the list
    page.wait_for_selector("#carte-note:not([hidden])", timeout=15000)
    assert "Fond de carte indisponible" in page.inner_text("#carte-note")
    markers = page.locator(".leaflet-marker-icon")
    assert markers.count() == page.locator("ul.lieux-carte li").count()
    # markers overlap at this zoom: the keyboard opens one (and shows it can)
    page.get_by_role("button", name="Maison France services : afficher les détails").focus()
    page.keyboard.press("Enter")
    popup = page.locator(".leaflet-popup-content")
    text = popup.inner_text()
    assert "Maison France services de Miramas" in text
    assert "lundi" in text and " h" in text  # hours in words
    assert "Ouvert" in text or "Fermé" in text
    fiche = popup.get_by_role("link", name="Voir la fiche de l'acteur")
    assert fiche.get_attribute("href") == "/maillage/actors/france-services-miramas"
    # the pop-up's number is callable from a phone
    assert popup.locator("a[href^='tel:+33']").count() == 1
    # how to get there, from the phone's map app or OpenStreetMap
    assert popup.locator("a[href^='geo:']").count() == 1
    assert popup.locator("a[href^='https://www.openstreetmap.org/directions?to=']").count() == 1
    assert "Exemple" in text  # its address is invented
    # the page with a pop-up open (the tiles are out of reach of the test machine), once the
    # map has panned to it and faded it in
    page.wait_for_timeout(800)
    _shot(page, screenshots, "carte.png")


def test_a_table_page_speaks_french(site: str, page, screenshots: Path):
    page.goto(site + "/maillage/services?_search=numerique&_facet=fee")
    heading = page.inner_text("h2.effectif")
    assert heading.endswith("lignes : recherche « numerique »"), heading
    assert page.get_by_role("button", name="Appliquer").count() == 1
    assert page.get_by_label("Rechercher :").input_value() == "numerique"
    assert "Télécharger ces lignes" in page.inner_text("main")
    _shot(page, screenshots, "tableau.png")


def test_the_map_filters_by_need_public_and_commune(site: str, page):
    page.goto(site + "/maillage/carte_des_lieux")
    every = page.locator("ul.lieux-carte li").count()
    page.select_option("#choix-besoins", value="Aide aux démarches administratives")
    page.select_option("#choix-commune", value="Miramas")
    page.get_by_role("button", name="Filtrer la carte").click()
    page.wait_for_selector(".leaflet-marker-icon", timeout=15000)
    rows = page.locator("ul.lieux-carte li")
    assert 0 < rows.count() < every
    for address in page.locator("ul.lieux-carte .adresse").all_inner_texts():
        assert address.endswith(" Miramas"), address
    # the list's cards do not repeat the needs: the same page as JSON says them
    listed = httpx.get(
        page.url.replace("carte_des_lieux?", "carte_des_lieux.json?") + "&_shape=array"
    ).json()
    assert len(listed) == rows.count()
    for place in listed:
        assert "Aide aux démarches administratives" in place["besoins"]
    # the choices left at "Tous" filter nothing
    assert "pole=" not in page.url and "publics__arraycontains=" not in page.url
    assert page.locator(".leaflet-marker-icon").count() == rows.count()


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/maillage/orienter?actor=residence-croizat&need=maitrise-outils-numeriques"
        "&public=&commune=",
        "/maillage/qui_aide?need=aide-demarches-administratives&public=seniors&commune=13063",
        "/maillage/actors/france-services-miramas",
    ],
)
def test_pages_fit_a_phone(site: str, path: str):
    with browser_page() as page:
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(site + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 391, (path, width)


def test_a_javascript_link_never_runs(site: str, page):
    """A map pop-up's link comes from a query's popup column: whatever its scheme, a click
    on a javascript: link runs nothing, on any page."""
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    for path in ("/", "/maillage/carte_des_lieux", "/maillage/actors"):
        page.goto(site + path)
        page.evaluate(
            """() => {
              const a = document.createElement("a");
              a.href = "javascript:alert('pris')";
              a.id = "piege";
              a.textContent = "piège";
              document.body.prepend(a);
            }"""
        )
        page.click("#piege")
        page.wait_for_timeout(200)
    assert dialogs == []


def test_the_referral_slip_prints_on_one_page(site: str, page, tmp_path: Path):
    """The print view of an answer, printed by Chromium (print CSS, A4): one page that names
    the place and leaves the first name to be written by hand."""
    page.goto(
        site + "/maillage/orienter?actor=residence-croizat&need=maitrise-outils-numeriques"
        "&public=&commune="
    )
    page.get_by_role("link", name="Imprimer la fiche d'orientation").nth(2).click()
    pdf = tmp_path / "fiche.pdf"
    page.pdf(path=str(pdf), format="A4")
    import pypdf

    pages = pypdf.PdfReader(pdf).pages
    assert len(pages) == 1
    text = pages[0].extract_text()
    assert "Résidence seniors Hestia" in text and "Prénom" in text
    assert "Aller au contenu" not in text and "Site publié avec" not in text
