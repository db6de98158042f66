"""Located data errors: collected by every step, printed only by the CLI."""

from __future__ import annotations

import dataclasses
import errno
from dataclasses import dataclass

OS_REASONS = {
    errno.ENOENT: "fichier ou dossier introuvable",
    errno.ENOTDIR: "un élément du chemin n'est pas un dossier",
    errno.EISDIR: "c'est un dossier, pas un fichier",
    errno.EACCES: "permission refusée",
    errno.EPERM: "opération non permise",
    errno.ENOSPC: "disque plein",
    errno.EROFS: "système de fichiers en lecture seule",
    errno.ELOOP: "trop de liens symboliques",
    errno.EFBIG: "fichier trop gros pour le système",
}


def os_reason(exc: OSError) -> str:
    """What the system refused, in French (its own words for the rarer cases)."""
    return OS_REASONS.get(exc.errno or 0, exc.strerror or str(exc))


@dataclass(frozen=True, order=True, kw_only=True)
class DataError:
    """One problem in the source data, located as precisely as we know: built by name,
    ``DataError(file=..., line=..., record=..., field=..., message=...)``, what is not known
    left out.

    ``message`` is in French: it is read by the coordinators who keep the data.
    """

    file: str
    line: int | None = None
    record: str | None = None
    field: str | None = None
    message: str
    hint: str | None = None
    # the offending value, when known
    value: str | None = dataclasses.field(default=None, compare=False)

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        parts = [where]
        if self.record:
            parts.append(self.record)
        if self.field:
            parts.append(self.field)
        text = ": ".join(parts) + f": {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return text


class DataErrors(Exception):
    """Raised by a step that found problems; carries all of them, not only the first."""

    def __init__(self, errors: list[DataError]):
        self.errors = sorted(set(errors), key=_sort_key)
        super().__init__(f"{len(self.errors)} erreur(s) dans les données")

    def __reduce__(self) -> tuple:
        # raised in another process (the validation beside the build) and sent back pickled
        return (type(self), (self.errors,))


def _sort_key(e: DataError) -> tuple:
    return (e.file, e.line or 0, e.record or "", e.field or "", e.message)
