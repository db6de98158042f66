"""publish.sqlite.insert_rows: the same table as sqlite-utils' insert_all, bound in C."""

from __future__ import annotations

import sqlite_utils

from maillage.publish.sqlite import insert_rows

COLUMNS = {"id": str, "name": str, "select": str, "km": float, "n": int}
ROWS = [
    {"id": "a", "name": "Médiathèque « L'Alpha »", "select": "x", "km": 1.5, "n": 3},
    {"id": "b", "name": "'); DROP TABLE t; --", "km": None, "n": 0},  # no "select": NULL
    {"n": 7, "id": "c", "name": "ordre des clés différent", "select": "y", "km": 2.0},
    {"id": "d"},
]


def _table(db: sqlite_utils.Database, name: str) -> list[tuple]:
    return [tuple(row.values()) for row in db[name].rows_where(order_by="id")]


def test_insert_rows_writes_what_insert_all_writes() -> None:
    db = sqlite_utils.Database(memory=True)
    for name in ("by_insert_all", "by_insert_rows"):
        db[name].create(COLUMNS, pk="id")
    db["by_insert_all"].insert_all(ROWS)
    assert insert_rows(db["by_insert_rows"], ROWS) == len(ROWS)
    assert _table(db, "by_insert_rows") == _table(db, "by_insert_all")
    assert _table(db, "by_insert_rows")[1] == ("b", "'); DROP TABLE t; --", None, None, 0)
    assert db.table_names() == ["by_insert_all", "by_insert_rows"]


def test_insert_rows_appends_and_takes_no_row() -> None:
    db = sqlite_utils.Database(memory=True)
    db["t"].create(COLUMNS, pk="id")
    assert insert_rows(db["t"], []) == 0
    insert_rows(db["t"], ROWS[:1])
    insert_rows(db["t"], ROWS[1:])
    assert [row[0] for row in _table(db, "t")] == ["a", "b", "c", "d"]


def test_insert_rows_with_every_column_or_a_single_one() -> None:
    """Complete rows (as graph.tables writes them) are read by column name, in any key order,
    and a missing column after complete rows still rolls back to NULLs: nothing is lost."""
    full = [{c: row.get(c) for c in reversed(list(COLUMNS))} for row in ROWS]
    db = sqlite_utils.Database(memory=True)
    for name in ("full", "late_gap", "by_insert_all", "single"):
        db[name].create(COLUMNS if name != "single" else {"id": str}, pk="id")
    db["by_insert_all"].insert_all(ROWS)
    insert_rows(db["full"], full)
    insert_rows(db["late_gap"], full[:3] + [{"id": "d"}])
    assert _table(db, "full") == _table(db, "late_gap") == _table(db, "by_insert_all")
    insert_rows(db["single"], [{"id": "abc"}, {"id": "de"}])
    assert _table(db, "single") == [("abc",), ("de",)]
