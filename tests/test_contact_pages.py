"""Phones shown the French way and called in one tap wherever a partner acts: the actor page,
the map's pop-ups and the referral slip (its SMS, print button and QR code)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import unquote

from maillage.publish.plugin import page_qr
from maillage.publish.site import make_datasette

NBSP = "\u00a0"
FRANCE_SERVICES = "04" + NBSP + "65" + NBSP + "71" + NBSP + "00" + NBSP + "14"


async def test_the_actor_page_links_its_phone(default_dist: Path):
    page = await make_datasette(default_dist).client.get("/maillage/actors/france-services-miramas")
    assert page.status_code == 200
    assert f'<a href="tel:+33465710014">{FRANCE_SERVICES}</a>' in page.text
    assert "+33465710014<" not in page.text  # never shown in E.164


async def test_the_map_pop_ups_carry_the_phone(default_dist: Path):
    page = await make_datasette(default_dist).client.get("/maillage/carte_des_lieux")
    assert page.status_code == 200
    found = re.search(r'<script type="application/json" id="lieux">(.*?)</script>', page.text, re.S)
    places = json.loads(found.group(1))
    mine = [p for p in places if p["actor_id"] == "france-services-miramas"]
    assert mine and all(p["tel"] == "tel:+33465710014" for p in mine)
    assert all(p["telephone"] == FRANCE_SERVICES for p in mine)
    assert all(p["tel"].startswith("tel:") for p in places)  # every default actor has one


async def test_the_slip_gives_the_destinations_phone_sms_print_and_proof(default_dist: Path):
    ds = make_datasette(default_dist)
    params = {
        "actor": "residence-hestia",
        "need": "aide-demarches-administratives",
        "public": "",
        "commune": "",
        "_fiche": "1",
    }
    page = await ds.client.get("/maillage/orienter", params=params)
    assert page.status_code == 200
    text = page.text
    assert "Ctrl+P" not in text
    assert 'onclick="window.print()">Imprimer ou enregistrer en PDF</button>' in text
    assert re.search(r'<dt>Téléphone</dt><dd><a href="tel:\+3346571\d{4}">04', text)
    assert "Allez-y directement." in text or "Passez d'abord par " in text
    sms = re.search(r'href="sms:\?&amp;body=([^"]*)"', text)
    body = unquote(sms.group(1))
    assert "Horaires : " in body and "Tél. 04" in body
    # the default site: is loopback: the printed code would open nothing
    assert "ÉPREUVE — adresse du site à définir" in text and 'class="segno"' not in text


def test_with_a_public_site_the_slip_carries_the_code_of_the_page():
    code = page_qr("france-services-miramas", "https://reseau.miramas.fr/")
    assert (
        "<title>https://reseau.miramas.fr/maillage/actors/france-services-miramas</title>" in code
    )
    assert "ÉPREUVE" not in code
    assert "ÉPREUVE" in page_qr("france-services-miramas", "http://127.0.0.1:8001")
