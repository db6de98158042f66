"""Actor files already read, kept between builds: each file's records and problems, by content.

Parsing a national network's 30,000 YAML actor files is most of the load stage, and the next
build finds nearly all of them unchanged. This cache keeps what reading each file gave, in one
pickle, and gives it back for a file of the same name and the same bytes (a blake2b digest),
read by the same code: the cache is ignored whole when the source of the modules that turn YAML
into records, PyYAML's or rapidfuzz's version changes. A missing, unreadable or foreign cache
file is an empty cache; it is rewritten, atomically, only when something in it changed.

The pickle is read back as trusted code would be: keep the cache where the published folder is,
writable by whoever builds.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from pathlib import Path
from typing import Any

import rapidfuzz
import yaml

# the modules whose code decides what a file's records and problems are
_CODE = ("load.py", "model.py", "errors.py", "ns.py", "contact.py")
_FORMAT = 1

Entry = tuple[str, list[Any], list[Any]]  # (file stem, records, problems), as load gives them


def code_version() -> str:
    """A digest of what reading a file depends on besides its bytes."""
    digest = hashlib.blake2b(digest_size=16)
    for name in _CODE:
        digest.update((Path(__file__).parent / name).read_bytes())
    for version in (yaml.__version__, rapidfuzz.__version__, sys.version, str(_FORMAT)):
        digest.update(version.encode())
    return digest.hexdigest()


def file_digest(content: bytes) -> bytes:
    return hashlib.blake2b(content, digest_size=16).digest()


class LoadCache:
    """``get``/``put`` entries by display path and content digest; ``save`` keeps the entries
    used or added since it was opened (a file gone from the folder leaves the cache)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.version = code_version()
        self._old: dict[str, tuple[bytes, Entry]] = {}
        self._new: dict[str, tuple[bytes, Entry]] = {}
        self.misses = 0

    @classmethod
    def open(cls, path: Path) -> LoadCache:
        cache = cls(path)
        try:
            with path.open("rb") as handle:
                version, entries = pickle.load(handle)  # noqa: S301 - our own file, see above
        except Exception:  # noqa: BLE001 - no cache, a truncated or foreign one: start afresh
            return cache
        if version == cache.version and isinstance(entries, dict):
            cache._old = entries
        return cache

    def get(self, display: str, digest: bytes) -> Entry | None:
        found = self._old.get(display)
        if found is None or found[0] != digest:
            self.misses += 1
            return None
        self._new[display] = found
        return found[1]

    def put(self, display: str, digest: bytes, entry: Entry) -> None:
        self._new[display] = (digest, entry)

    @property
    def changed(self) -> bool:
        return self.misses > 0 or len(self._new) != len(self._old)

    def save(self, path: Path | None = None) -> None:
        """Write the entries of this load (atomic rename), to ``path`` or where they were read
        from, if they differ from those read or go elsewhere; an unchanged cache that goes
        elsewhere is linked there."""
        if path is not None and path != self.path:
            if not self.changed:
                try:
                    os.link(self.path, path)
                    return
                except OSError:
                    pass
            self.path, self.misses = path, self.misses + 1
        if not self.changed:
            return
        tmp = None
        try:  # a cache that cannot be written (full disk, no permission) costs time only
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f"{self.path.name}.", dir=self.path.parent)
            with os.fdopen(fd, "wb") as handle:
                pickle.dump((self.version, self._new), handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self.path)
        except OSError:
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)
