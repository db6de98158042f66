"""Typst, the typesetter of every printed page (the guide, the referral slip, the verification
sheets): a template and its files in, a PDF out; and segno's QR codes as SVG for them.

The only fonts are those of ``publish/fonts`` (Atkinson Hyperlegible, made for low vision by
the Braille Institute, under the SIL Open Font License: ``publish/fonts/OFL.txt``): neither the
machine's fonts nor those bundled with Typst, so the same data give the same PDF everywhere.
"""

from __future__ import annotations

import io
import subprocess
import sys
import tempfile
from pathlib import Path

# Typst compiles on a pool of threads of its own: in a process forked from one that already
# used it (maillage watch publishes from a forked child) the pool's threads are gone and the
# compile waits forever. A fresh interpreter has its own pool.
_COMPILE = (
    "import sys, typst; fonts = typst.Fonts(include_system_fonts=False, "
    "include_embedded_fonts=False, font_paths=[sys.argv[3]]); "
    "sys.stdout.buffer.write(typst.compile(sys.argv[1], root=sys.argv[2], font_paths=fonts, "
    "ignore_system_fonts=True, timestamp=0))"
)
FONTS = Path(__file__).parent / "fonts"
FAMILY = "Atkinson Hyperlegible"  # the one family in FONTS


class TypesetError(Exception):
    """Typst refused the document (a bug of the template: the data come in as text)."""


def typeset(template: Path, files: dict[str, str], output: Path) -> Path:
    """Compile a Typst ``template`` with ``files`` (name -> text: its JSON, SVG pictures) beside
    it into the PDF ``output``. No system font and a fixed timestamp: the same data give the
    same PDF on any machine."""
    with tempfile.TemporaryDirectory(prefix="maillage-typst-") as folder:
        root = Path(folder)
        for name, text in files.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(text, encoding="utf-8")
        main = root / "main.typ"
        main.write_text(template.read_text(encoding="utf-8"), encoding="utf-8")
        done = subprocess.run(
            [sys.executable, "-c", _COMPILE, str(main), str(root), str(FONTS)],
            capture_output=True,
            timeout=900,
            check=False,
        )
    if done.returncode != 0:
        raise TypesetError(done.stderr.decode("utf-8", "replace")[-2000:])
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(done.stdout)
    return output


def qr_svg(url: str) -> str:
    import segno

    buffer = io.BytesIO()
    segno.make(url or "-", error="m").save(buffer, kind="svg", border=2)
    return buffer.getvalue().decode("utf-8")
