"""A non-editable install works outside the checkout: the wheel carries the default network,
metadata.yml, the shapes and the templates, and builds, validates and serves from anywhere."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import time
import venv
from pathlib import Path

import httpx
import pytest
from browser import free_port
from conftest import ROOT


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with maillage's wheel installed (not editable); its
    dependencies are those of the project's environment, put on its path by a .pth file
    (so that the test needs no download)."""
    work = tmp_path_factory.mktemp("install")
    wheels = work / "wheels"
    source = work / "source"  # a wheel's build writes build/ and *.egg-info beside its sources
    shutil.copytree(
        ROOT, source, ignore=shutil.ignore_patterns(".git", ".venv", "dist", "build", "*.egg-info")
    )
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-v",
         "-w", str(wheels), str(source)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if built.returncode != 0:
        pytest.fail("the wheel could not be built: " + built.stderr[-2000:])
    # every folder of data and templates is listed (setuptools warns of each one that is not)
    assert "would be ignored" not in built.stdout + built.stderr
    assert "Successfully built maillage" in built.stdout
    env_dir = work / "env"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    # the project's dependencies, but not its editable finder (a plain path line of a .pth
    # file does not run the .pth files of the folder it adds)
    (Path(site) / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    wheel = next(wheels.glob("maillage-*.whl"))
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", str(wheel)],
        check=True,
    )
    return env_dir


def _run(env_dir: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run(
        [str(env_dir / "bin" / "maillage"), *args],
        capture_output=True, text=True, cwd=cwd, env=env, check=False, timeout=300,
    )  # fmt: skip


def test_the_installed_package_is_not_the_checkout(installed: Path, tmp_path: Path):
    where = subprocess.run(
        [str(installed / "bin" / "python"), "-c",
         "import maillage.publish.build as b; print(b.DEFAULT_METADATA)"],
        capture_output=True, text=True, cwd=tmp_path, check=True,
    ).stdout  # fmt: skip
    assert str(installed) in where and str(ROOT) not in where


def test_an_installed_maillage_builds_validates_and_serves_the_default_network(
    installed: Path, tmp_path: Path
):
    validated = _run(installed, "validate", cwd=tmp_path)
    assert validated.returncode == 0, validated.stderr
    assert "Données valides" in validated.stdout

    built = _run(installed, "build", "--out", "publication", cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    assert (tmp_path / "publication" / "maillage.db").is_file()

    port = free_port()
    server = subprocess.Popen(
        [str(installed / "bin" / "maillage"), "serve", "--out", "publication",
         "--port", str(port)],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                home = httpx.get(url + "/", timeout=2)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            server.terminate()
            pytest.fail("the site did not start: " + server.communicate()[1].decode()[-2000:])
        assert home.status_code == 200 and "Qui ? fait Quoi ?" in home.text
        assert httpx.get(url + "/telechargements/catalog.ttl").status_code == 200
        assert httpx.get(url + "/maillage/actors.json").json()["rows"]
    finally:
        server.terminate()
        server.wait(10)
