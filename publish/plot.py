"""The coverage matrix a coordinator reads without SQL: needs x communes, PNG and SVG."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from maillage.graph.network import ReferralNetwork

COLOURS = ["#d7191c", "#fdae61", "#a6d96a", "#1a9641"]  # 0, 1, 2, 3+ actors
MAX_COMMUNES = 20  # columns a reader can still read; a larger network shows its least covered


def coverage_matrix(
    network: ReferralNetwork, path: Path, rows: list[dict] | None = None
) -> list[Path]:
    """Write ``path`` as PNG and SVG (same stem); returns the files written."""
    return draw_matrix(matrix_figure(network, rows), path)


def matrix_figure(network: ReferralNetwork, rows: list[dict] | None = None) -> dict[str, Any]:
    """What the matrix shows (title, labels, counts, demand), as plain data: the build has it
    drawn by another process (:func:`draw_matrix`), which needs none of the network."""
    if rows is None:
        from maillage.graph.network import coverage

        rows = coverage(network)
    needs = network.needs
    counts = {(r["need"], r["commune"]): r["actors"] for r in rows if r["public"] is None}
    demand = {(r["need"], r["commune"]): r.get("demand") for r in rows if r["public"] is None}
    communes = sorted(network.communes)
    title = "Nombre d'acteurs par besoin et par commune"
    if len(communes) > MAX_COMMUNES:
        # the communes with the most gaps, then the most fragile needs, in INSEE order
        def weakness(commune: str) -> tuple:
            values = [counts.get((n.removeprefix("needs/"), commune), 0) for n in needs]
            return (-values.count(0), -values.count(1), commune)

        title += f" (les {MAX_COMMUNES} communes les moins couvertes sur {len(communes)})"
        communes = sorted(sorted(communes, key=weakness)[:MAX_COMMUNES])
    return {
        "title": title,
        "needs": [network.labels.get(n, n) for n in needs],
        "communes": [network.communes[c] for c in communes],
        "matrix": [[counts.get((n.removeprefix("needs/"), c), 0) for c in communes] for n in needs],
        "demand": [[demand.get((n.removeprefix("needs/"), c)) for c in communes] for n in needs],
    }


def draw_matrix(figure: dict[str, Any], path: Path | str) -> list[Path]:
    """Draw :func:`matrix_figure`'s data at ``path`` as PNG and SVG (same stem)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import BoundaryNorm, ListedColormap

    path = Path(path)
    matrix, demand, communes = figure["matrix"], figure["demand"], figure["communes"]
    height = 1.2 + 0.42 * len(matrix)
    fig, ax = plt.subplots(figsize=(4.5 + 1.6 * len(communes), height))
    cmap = ListedColormap(COLOURS)
    norm = BoundaryNorm([-0.5, 0.5, 1.5, 2.5, 1000], cmap.N)
    ax.imshow(matrix, cmap=cmap, norm=norm, aspect="auto")
    ax.set_xticks(range(len(communes)), communes)
    ax.set_yticks(range(len(matrix)), figure["needs"], fontsize=8)
    ax.xaxis.tick_top()
    for i, row in enumerate(matrix):
        for j, value in enumerate(row):
            text = "lacune" if value == 0 else str(value)
            share = demand[i][j]
            if share is not None:
                text += f"  ·  demande {share:g} %"
            ax.text(
                j,
                i,
                text,
                ha="center",
                va="center",
                fontsize=8,
                color="white" if value in (0, 3) or value > 3 else "black",
                fontweight="bold" if value <= 1 else "normal",
            )
    fig.suptitle(
        f"{figure['title']} ; demande : part des habitants qui ont "
        "exprimé ce besoin\nrouge : lacune (aucun acteur), orange : fragile (un seul acteur)\n"
        "demande d'après le diagnostic de Miramas (parts illustratives)",
        fontsize=9,
    )
    fig.tight_layout(rect=(0, 0, 1, 0.95))
    written = []
    for suffix in (".png", ".svg"):
        target = path.with_suffix(suffix)
        fig.savefig(target, dpi=110, metadata={"Date": None} if suffix == ".svg" else None)
        written.append(target)
    plt.close(fig)
    return written


def draw_coverage(figure: dict[str, Any], folder: Path | str) -> list[Path]:
    """The published coverage matrix, ``couverture.png`` and ``.svg`` in ``folder``."""
    return draw_matrix(figure, Path(folder) / "couverture.png")
