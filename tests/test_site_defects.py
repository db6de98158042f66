"""Defects an attack round found on the served site (issue 38): each reproduced as the attacker
did it, against the real server or the real site."""

from __future__ import annotations

import copy
import csv
import dataclasses
import errno
import html
import json
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from maillage.publish import build as build_mod
from maillage.publish.cli import cli
from maillage.publish.plugin import shared_metadata
from maillage.publish.site import make_datasette
from maillage.publish.texttable import terminal_text

EVIL = "evil.example"


def test_a_visitors_host_header_never_reaches_the_next_visitors_pages(site: str):
    pages = ["/maillage/actors.json?_size=2", "/maillage/actors?_size=2"]
    # every server process gets the forged host first, then a partner asks the same pages
    for _ in range(6):
        for page in pages:
            forged = httpx.get(site + page, headers={"Host": EVIL})
            assert EVIL not in forged.text
    for page in pages:
        answer = httpx.get(site + page)
        assert answer.status_code == 200
        assert EVIL not in answer.text
    next_url = httpx.get(site + pages[0]).json()["next_url"]
    assert next_url.startswith(site + "/maillage/actors.json?")


@pytest.fixture
def public(default_dist: Path, tmp_path: Path):
    """The default publication as if its network.yaml said ``site: https://reseau.example.fr``."""
    out = tmp_path / "dist"
    shutil.copytree(default_dist, out)
    with sqlite3.connect(out / "maillage.db") as db:
        db.execute("update publication set site = 'https://reseau.example.fr/'")
    return make_datasette(out)


async def test_absolute_links_use_the_public_address(public):
    headers = {"Host": EVIL}
    answer = await public.client.get("/maillage/actors.json?_size=2", headers=headers)
    assert answer.json()["next_url"].startswith("https://reseau.example.fr/maillage/actors.json?")
    page = await public.client.get("/maillage/actors?_size=2", headers=headers)
    assert 'href="https://reseau.example.fr/maillage/actors.json?_size=2"' in page.text
    assert EVIL not in page.text


@pytest.fixture
def ds(default_dist: Path):
    return make_datasette(default_dist)


def _plain_french(answer: httpx.Response) -> str:
    """The visible text of an error page (or a JSON error's message), checked to be French and
    plain: no Datasette documentation link, no SQL, no SQLite or Python message."""
    assert "docs.datasette.io" not in answer.text
    if answer.headers["content-type"].startswith("application/json"):
        text = answer.json()["error"] + " " + str(answer.json().get("title"))
    else:
        text = re.sub(r"<(script|style)\b.*?</\1>", " ", answer.text, flags=re.S | re.I)
        text = html.unescape(re.sub(r"<[^>]+>", " ", text))
    for technical in (
        "select ",
        "SQL query",
        "Invalid SQL",
        "fts5",
        "syntax error",
        "Traceback",
        "no such column",
        "Error",
        "pattern",
    ):
        assert technical not in text, (technical, text[-800:])
    return text


@pytest.mark.parametrize("through", ['{"table":"x"}', "[]", "1", "null", "notjson", '{"a":1}'])
async def test_a_malformed_through_filter_is_a_french_400(ds, through: str):
    answer = await ds.client.get("/maillage/actors", params={"_through": through})
    assert answer.status_code == 400
    assert "_through" in _plain_french(answer)


async def test_a_parameter_repeated_ten_thousand_times_is_a_french_400(ds):
    for times in (10_000, 1_000, 201):
        answer = await ds.client.get("/maillage/actors?" + "&".join(["a=1"] * times))
        assert answer.status_code == 400
        assert f"Trop de paramètres dans l'adresse ({times}" in _plain_french(answer)


async def test_an_address_too_long_is_a_french_400(ds):
    answer = await ds.client.get("/maillage/actors", params={"name": "a" * 62_000})
    assert answer.status_code == 400
    assert "trop longue" in _plain_french(answer)


async def test_a_well_formed_through_filter_still_filters(ds):
    through = '{"table": "services", "column": "id", "value": "nope"}'
    answer = await ds.client.get("/maillage/actors.json", params={"_through": through})
    assert answer.status_code == 200
    assert answer.json()["rows"] == []


@pytest.mark.parametrize("search", ['"', " ", '""', 'mjc "', '"mjc" "', "NEAR(", "a OR"])
async def test_any_search_a_partner_types_is_answered(ds, search: str):
    answer = await ds.client.get("/maillage/services", params={"_search": search})
    assert answer.status_code == 200
    _plain_french(answer)


async def test_a_search_keeps_finding_words_and_phrases(ds):
    for search in ("numérique", '"accès aux droits"', 'numérique "'):
        answer = await ds.client.get("/maillage/services.json", params={"_search": search})
        assert answer.json()["rows"], search


@pytest.mark.parametrize(
    ("address", "words"),
    [
        ("/maillage/actors?_facet=nope", "colonne"),
        ("/maillage/actors?name__like=" + "%_" * 6000, "motif"),
        ('/maillage/actors?_search=a"&_searchmode=raw', "recherche"),
        ('/maillage/actors?_through={"table":"services","column":"nope","value":"x"}', "colonne"),
        ("/nope", "n'existe pas"),
        ("/maillage/nope", "n'existe pas"),
        ("/maillage/actors/nope", "n'existe pas"),
    ],
)
async def test_error_pages_a_partner_reaches_are_french_and_plain(ds, address: str, words: str):
    for page in (address, address.replace("?", ".json?", 1) if "?" in address else address):
        answer = await ds.client.get(page)
        assert 400 <= answer.status_code < 500
        assert words in _plain_french(answer).lower()


async def test_a_query_past_the_time_limit_says_so_in_french(ds):
    endless = "with recursive c(x) as (select 1 union all select x+1 from c) select count(*) from c"
    answer = await ds.client.get("/maillage", params={"sql": endless})
    assert answer.status_code == 400
    text = _plain_french(answer)
    assert "trop de temps" in text
    assert "recursive" not in text


def _full_disk(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device", "/tmp/.dist-new-x/maillage.ttl")


def _sqlite_disk_full(*args, **kwargs):
    raise _sqlite_full()


@pytest.mark.parametrize("failure", [_full_disk, _sqlite_disk_full])
def test_a_full_disk_on_build_is_said_in_french_naming_the_folder(
    tmp_path: Path, tiny: Path, monkeypatch: pytest.MonkeyPatch, failure
):
    stages = tuple(
        dataclasses.replace(stage, run=failure) if stage.name == "exports" else stage
        for stage in build_mod.STAGES
    )
    monkeypatch.setattr(build_mod, "STAGES", stages)
    out = tmp_path / "dist"
    with pytest.raises(build_mod.PublishError) as error:
        build_mod.build(tiny, out)
    assert str(error.value) == (
        f"publication impossible dans {out} : disque plein ; le dossier publié précédent est intact"
    )


def _sqlite_full() -> sqlite3.Error:
    """SQLite's own "database or disk is full", made as SQLite makes it."""
    conn = sqlite3.connect(":memory:")
    conn.execute("create table t(x)")
    conn.execute("pragma max_page_count = 2")
    try:
        conn.execute("insert into t select zeroblob(100000)")
    except sqlite3.Error as exc:
        return exc
    raise AssertionError("SQLite did not fill up")


@pytest.mark.parametrize(
    "address",
    [
        "/maillage.json?sql=select * from pragma_database_list",
        "/maillage.json?sql=select file from pragma_database_list()",
        "/maillage.json?sql=select group_concat(file, '|') from pragma_database_list('main')",
        "/maillage.json?sql=select * from (select * from pragma_database_list) as d",
        "/maillage?sql=select * from pragma_database_list",
        "/maillage.json",
        "/.json",
        "/-/databases.json",
        "/-/databases",
    ],
)
async def test_the_site_never_shows_where_the_database_is_on_the_server(
    ds, default_dist: Path, address: str
):
    answer = await ds.client.get(address)
    assert str(default_dist.resolve()) not in answer.text
    assert str(default_dist) not in answer.text


async def test_the_database_list_still_names_the_database(ds):
    answer = await ds.client.get(
        "/maillage.json", params={"sql": "select name from pragma_database_list", "_shape": "array"}
    )
    assert answer.json() == [{"name": "main"}]


@pytest.mark.parametrize(
    ("sql", "words"),
    [("delete from actors", "SELECT ou WITH"), ("select * from pragma_compile_options", "PRAGMA")],
)
async def test_the_sql_page_says_in_french_what_it_refuses(ds, sql: str, words: str):
    answer = await ds.client.get("/maillage.json", params={"sql": sql})
    assert answer.status_code == 400
    assert words in answer.json()["error"]


HOSTILE_NAME = (
    "Atelier \x1b]0;PWNED\x07 \x1b[31mrouge\x1b[0m \x1bPtmux;\x1b\x1b]2;x\x07\x1b\\ "
    "\x9b31m \x9d8;;http://x\x9c \x1b_apc\x1b\\ \x1b(0 \x00\x08\x7f fin"
)


def test_text_for_a_terminal_has_no_control_or_escape_sequence():
    text = terminal_text(HOSTILE_NAME)
    assert not any(unicodedata.category(c) == "Cc" for c in text), repr(text)
    assert "PWNED" not in text and "tmux" not in text and "http" not in text
    assert text.split() == ["Atelier", "rouge", "fin"]
    assert terminal_text("deux\nlignes\tet tab", lines=True) == "deux\nlignes et tab"


def test_an_actor_name_with_escapes_never_reaches_the_terminal_raw(tmp_path: Path, tiny: Path):
    actor = tiny / "actors" / "atelier.yaml"
    actor.write_text(
        actor.read_text(encoding="utf-8").replace(
            "name: Atelier informatique", "name: " + json.dumps(HOSTILE_NAME)
        ),
        encoding="utf-8",
    )
    out = tmp_path / "dist"
    build_mod.build(tiny, out)
    arguments = ["refer", "--from", "accueil", "--need", "maitrise-outils-numeriques"]
    # color=True: the output is kept as a terminal would get it (click strips colours otherwise)
    result = CliRunner().invoke(
        cli, [*arguments, "--data", str(tiny), "--out", str(out)], color=True
    )
    assert result.exit_code == 0, result.output
    assert "Atelier" in result.output and "fin" in result.output
    assert not any(unicodedata.category(c) == "Cc" and c != "\n" for c in result.output)


def test_a_data_error_quoting_escapes_never_reaches_the_terminal_raw(tiny: Path):
    actor = tiny / "actors" / "atelier.yaml"
    text = actor.read_text(encoding="utf-8")
    actor.write_text(text.replace("typology: ASSO", 'typology: "\\e]0;PWNED\\a"'), encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", "--data", str(tiny)], color=True)
    assert result.exit_code == 1
    assert "atelier.yaml:2: actor atelier: typology" in result.stderr
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr


def test_files_a_user_adds_to_a_publication_survive_the_next_build(tmp_path: Path, tiny: Path):
    out = tmp_path / "dist"
    build_mod.build(tiny, out)
    (out / "notes.docx").write_bytes(b"mes notes")
    (out / ".git").mkdir()
    (out / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    build_mod.build(tiny, out)
    assert (out / "notes.docx").read_bytes() == b"mes notes"
    assert (out / ".git" / "HEAD").read_text() == "ref: refs/heads/main\n"
    # kept, never published: build.json does not list it, so the site does not serve it
    listed = json.loads((out / "build.json").read_text(encoding="utf-8"))["files"]
    assert "notes.docx" not in listed and ".git" not in listed
    build_mod.build(tiny, out)
    assert (out / "notes.docx").read_bytes() == b"mes notes"


def test_a_user_file_named_like_a_published_one_stops_the_build(tmp_path: Path, tiny: Path):
    out = tmp_path / "dist"
    build_mod.build(tiny, out)
    listed = json.loads((out / "build.json").read_text(encoding="utf-8"))
    listed["files"].remove("guide.pdf")  # as if an older maillage had not published it
    (out / "build.json").write_text(json.dumps(listed), encoding="utf-8")
    (out / "guide.pdf").write_bytes(b"mon guide")
    with pytest.raises(build_mod.PublishError, match="guide.pdf"):
        build_mod.build(tiny, out)
    assert (out / "guide.pdf").read_bytes() == b"mon guide"


def test_a_copy_of_build_json_does_not_make_a_folder_a_publication(tmp_path: Path, tiny: Path):
    out = tmp_path / "dist"
    build_mod.build(tiny, out)
    documents = tmp_path / "documents"
    documents.mkdir()
    (documents / "rapport.odt").write_bytes(b"x")
    shutil.copy(out / "build.json", documents)
    listed = json.loads((out / "build.json").read_text(encoding="utf-8"))["files"]
    missing = [name for name in listed if not (documents / name).exists()]
    with pytest.raises(build_mod.FolderRefused, match=f"il y manque {len(missing)} des fichiers"):
        build_mod.build(tiny, documents)
    assert sorted(p.name for p in documents.iterdir()) == ["build.json", "rapport.odt"]


HELPERS = """
import sys, time
from pathlib import Path
from maillage.graph import load
from maillage.graph.progress import NO_PROGRESS
from maillage.publish.beside import Beside, Forked

def _read_chunk(paths, data_dir):  # a worker of the loading, busy for a minute
    time.sleep(60)

jobs = [Beside(time.sleep, (60,)), Forked(time.sleep, (60,))]
load.PARALLEL_FROM, load._read_chunk = 1, _read_chunk
list(load._actor_files([Path("a.yaml"), Path("b.yaml")], Path("."), NO_PROGRESS))
"""


def _helpers(pid: int) -> list[int]:
    """The processes ``pid`` started that are still running (not zombies)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[1] == str(pid) and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has ended; only its exit status is left


def test_the_builds_helper_processes_die_with_it():
    build = subprocess.Popen([sys.executable, "-c", HELPERS])
    try:
        for _ in range(100):  # its jobs beside and at least one worker of the loading
            helpers = _helpers(build.pid)
            if len(helpers) >= 3:
                break
            time.sleep(0.1)
        time.sleep(1)  # every helper has started its job
        helpers = _helpers(build.pid)
        assert len(helpers) >= 3
    finally:
        build.send_signal(signal.SIGKILL)
        build.wait()
    for _ in range(50):  # at most 5 s for the kernel to deliver their signal
        if not any(_alive(pid) for pid in helpers):
            break
        time.sleep(0.1)
    assert [pid for pid in helpers if _alive(pid)] == []


STANDARD_EXAMPLE = Path(__file__).parent / "standards/lieux-mediation-numerique/exemple-valide.csv"


def _import_with(tmp_path: Path, column: str, value: str):
    """The standard's own example with one cell changed, imported."""
    with STANDARD_EXAMPLE.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    rows[0][column] = value
    changed = tmp_path / "lieux.csv"
    with changed.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    into = ["--into", str(tmp_path / "data")]
    return CliRunner().invoke(cli, ["import", "lieux-mediation", str(changed), *into])


def test_a_value_past_the_csv_limit_is_named_by_its_column(tmp_path: Path):
    result = _import_with(tmp_path, "presentation_detail", "x" * 200_000)
    assert result.exit_code == 1
    assert "lieux.csv:2: presentation_detail: valeur trop longue (plus de 128 Kio)" in result.stderr
    assert not (tmp_path / "data").exists()


def test_a_street_too_long_is_said_to_be_too_long(tmp_path: Path):
    result = _import_with(tmp_path, "adresse", "12 rue " + "très " * 70)
    assert result.exit_code == 1
    assert "adresse: rue trop longue : 300 caractères au plus" in result.stderr
    assert "rue obligatoire" not in result.stderr
    missing = _import_with(tmp_path, "adresse", "")
    assert "rue obligatoire" in missing.stderr


def _site(dist: Path, metadata: dict):
    from datasette.app import Datasette

    from maillage.publish.site import SETTINGS, TEMPLATES

    return Datasette(
        immutables=[str(dist / "maillage.db")],
        metadata=metadata,
        settings=SETTINGS,
        template_dir=str(TEMPLATES),
    )


async def test_sharing_the_metadata_changes_nothing_datasette_decides(default_dist: Path):
    on_disk = json.loads((default_dist / "metadata.json").read_text(encoding="utf-8"))
    on_disk["databases"]["maillage"]["tables"]["actors"]["allow"] = False  # nobody may read it
    plain = _site(default_dist, copy.deepcopy(on_disk))
    shared = _site(default_dist, shared_metadata(on_disk))
    for page, status in (
        ("/maillage/sites/ccas-miramas", 200),
        ("/maillage/services?_search=numerique", 200),
        ("/maillage/orienter?actor=ccas-miramas&need=aide-demarches-administratives", 200),
        ("/maillage/sites.json?_facet=commune", 200),
        ("/maillage/actors", 403),  # the table's own rule still applies
        ("/maillage/actors/france-services-miramas", 403),
    ):
        answers = [await site.client.get(page) for site in (plain, shared)]
        assert [a.status_code for a in answers] == [status, status], page
    assert plain.metadata() == shared.metadata()  # what Datasette wrote into it, the same
