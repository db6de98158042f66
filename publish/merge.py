"""A re-import's three-way merge of one actor: what the source gave last time (``last``), what
the folder holds now (``current``, as the coordinator may have edited it) and what the source
gives now (``new``).

A field the source changed wins, unless the coordinator changed it by hand since the last
import: then the coordinator's value is kept and the pair is reported as a conflict. What only
the coordinator writes is never touched. Sites and services are merged item by item (by their
``id``), so a change to one place's hours is one change, not the whole list's.

``current`` is a ruamel.yaml round-trip mapping and is changed in place, so that the file's
comments, key order and layout survive where nothing changed.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from maillage.graph.contact import normalise_phone

# Fields the national files never carry: the network's own knowledge (referrals between
# partners, the three levels, the coordinator's notes).
COORDINATOR_ONLY = frozenset({"referrals", "levels", "parcours", "notes"})
# A check the coordinator made since the import is kept without a word: it is newer than the
# source's own date (a conflict on every check would hide the real ones).
COORDINATOR_CHECK = frozenset({"verified", "verified_by"})

_MISSING = object()


@dataclass(frozen=True)
class Conflict:
    """A field changed by hand and by the source: the coordinator's value was kept."""

    field: str  # "sites[aix-1].opening_hours"
    kept: Any
    offered: Any


@dataclass
class Merged:
    updated: list[str] = field(default_factory=list)  # the fields the source's values replaced
    conflicts: list[Conflict] = field(default_factory=list)
    own: bool = False  # the coordinator's record, never imported: kept whole, differences listed

    @property
    def changed(self) -> bool:
        return bool(self.updated)


def merge_actor(last: dict | None, current: Any, new: dict) -> Merged:
    """Merge ``new`` into ``current`` in place; ``last`` is None when the folder has no record of
    an earlier import of this actor: the coordinator wrote it, nothing in it is replaced, and
    the fields where the source differs are listed (as conflicts)."""
    if last is None:
        merged = Merged(own=True)
        _merge_mapping(_MISSING, copy.deepcopy(current), new, "", merged)
        merged.updated.clear()
        return merged
    merged = Merged()
    _merge_mapping(last, current, new, "", merged)
    return merged


def plain(value: Any) -> Any:
    """A ruamel.yaml value as plain Python (mappings, lists, scalars) for comparisons."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return value
    return str(value)


def _same(a: Any, b: Any, key: str = "") -> bool:
    """Equal as the network means it: lists of codes in any order, a phone however written."""
    a, b = plain(a), plain(b)
    if isinstance(a, list) and isinstance(b, list) and not any(isinstance(v, dict) for v in a + b):
        return sorted(map(str, a)) == sorted(map(str, b))
    if key in PHONES and isinstance(a, str) and isinstance(b, str):
        return _phone(a) == _phone(b)
    return a == b


PHONES = frozenset({"telephone"})


def _phone(text: str) -> str:
    try:
        return normalise_phone(text)
    except ValueError:
        return text


def _merge_mapping(last: Any, current: Any, new: dict, prefix: str, merged: Merged) -> None:
    last_map = last if isinstance(last, dict) else {}
    known = last is not _MISSING
    for key in list(dict.fromkeys([*current.keys(), *new.keys(), *last_map.keys()])):
        name = f"{prefix}{key}"
        if key in COORDINATOR_ONLY:
            continue
        old = last_map.get(key, _MISSING) if known else _MISSING
        mine = current.get(key, _MISSING)
        theirs = new.get(key, _MISSING)
        if _is_list_of_records(mine, theirs):
            _merge_records(old, mine, theirs, name, merged)
        elif isinstance(mine, dict) and isinstance(theirs, dict):
            _merge_mapping(
                old if isinstance(old, dict) else _MISSING, mine, theirs, f"{name}.", merged
            )
        else:
            _merge_value(current, key, old, mine, theirs, name, merged, known)


def _merge_value(
    current: Any, key: str, old: Any, mine: Any, theirs: Any, name: str, merged: Merged, known: bool
) -> None:
    if _same(mine, theirs, key):
        return
    if known and _same(old, theirs, key):
        return  # the source did not change it: the coordinator's edit stands
    if (known and _same(old, mine, key)) or mine is _MISSING:
        # untouched since the last import (or never written): the source's newer value wins
        if theirs is _MISSING:
            del current[key]
        else:
            current[key] = theirs
        merged.updated.append(name)
        return
    if key.rsplit(".", 1)[-1] in COORDINATOR_CHECK:
        return
    merged.conflicts.append(
        Conflict(
            name, None if mine is _MISSING else plain(mine), None if theirs is _MISSING else theirs
        )
    )


def _is_list_of_records(*values: Any) -> bool:
    lists = [v for v in values if isinstance(v, list)]
    return (
        bool(lists)
        and all(isinstance(item, dict) and "id" in item for value in lists for item in value)
        and any(value for value in lists)
        and all(v is _MISSING or isinstance(v, list) for v in values)
    )


def _merge_records(old: Any, mine: Any, theirs: Any, name: str, merged: Merged) -> None:
    """Sites or services, item by item: changed ones merged, new ones added at the end, those the
    source dropped removed unless the coordinator changed them."""
    old_items = {str(i["id"]): i for i in old} if isinstance(old, list) else {}
    new_items = {str(i["id"]): i for i in theirs} if isinstance(theirs, list) else {}
    if mine is _MISSING:
        return  # a list the coordinator removed whole: a decision, kept
    mine_items = {str(i["id"]): i for i in mine}
    for item_id, item in new_items.items():
        label = f"{name}[{item_id}]"
        if item_id in mine_items:
            _merge_mapping(
                old_items.get(item_id, _MISSING), mine_items[item_id], item, f"{label}.", merged
            )
        elif item_id not in old_items:
            mine.append(item)
            merged.updated.append(label)
        # dropped by the coordinator after an earlier import: not put back
    for item_id in [i for i in mine_items if i in old_items and i not in new_items]:
        if _same(mine_items[item_id], old_items[item_id]):
            mine.remove(mine_items[item_id])
            merged.updated.append(f"{name}[{item_id}]")
        else:
            merged.conflicts.append(
                Conflict(f"{name}[{item_id}]", plain(mine_items[item_id]), None)
            )
