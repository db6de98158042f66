"""What the public may run on the site's SQLite connections, and how much of the machine it may use.

The published database is open data: anyone may read every table with SQL. Reading is all a
connection of the site can do, and within bounds:

- **An authorizer** (``sqlite3.Connection.set_authorizer``) allows SELECT and recursive common
  table expressions, reading the published tables and views (with their full-text shadow
  tables), ``sqlite_master``, ``json_each``/``json_tree`` and the read-only pragmas Datasette
  uses for its pages, but for the file column of ``pragma_database_list`` (the server's path to
  the database), which reads as NULL. Everything else is denied: writes of any kind (temporary
  tables included), ATTACH, pragmas that set a value, the virtual tables no page needs
  (``dbstat``, ``sqlite_stmt``, ``fts3tokenize``, ``fts4aux``, ``fts5vocab``, ``rtree``...), and
  the functions in :data:`DENIED_FUNCTIONS`: ``fts3_tokenizer`` (it registers a tokenizer at an
  address given in a blob: a crash, or code execution), ``fts5`` (it hands out a pointer),
  ``load_extension``, ``randomblob`` and ``zeroblob`` (memory on demand), ``sqlite_log``,
  ``optimize`` (an FTS3 write), ``rtreenode``/``rtreedepth``/``rtreecheck`` (they parse blobs
  given by the caller) and ``sqlite_compileoption_*``.
- **Limits** (``Connection.setlimit``): a string or blob is at most 1 MB, so that no single
  operation (``x || x``) outlasts the time limit, which SQLite checks only between
  operations (every 1,000 of them); LIKE and GLOB patterns at most 500 bytes, a statement at
  most 100 kB. SQLite's ``instr``, ``replace`` and two-argument ``trim`` take time in the
  product of their arguments' lengths (a second for one call on 1 MB): they are replaced by
  Python's linear ones (:data:`LINEAR_FUNCTIONS`; the orienter query uses them), and
  ``printf``/``format``, whose ``%.*c`` loops over any precision asked, are denied.
- **A budget per statement**: the rows a statement hands to Python are at most 20 MB of text
  and blobs (1,000 rows of the widest published table are about 1 MB), counted by the row
  factory; past it the statement fails. With SQLite's own heap capped
  (``PRAGMA hard_heap_limit``), a request holds about 100 MB at most.
"""

from __future__ import annotations

import sqlite3
import weakref
from collections.abc import Callable

DENIED_FUNCTIONS = frozenset(
    {
        "fts3_tokenizer",
        "fts5",
        "load_extension",
        "randomblob",
        "zeroblob",
        "sqlite_log",
        "optimize",
        "rtreenode",
        "rtreedepth",
        "rtreecheck",
        "sqlite_compileoption_get",
        "sqlite_compileoption_used",
        "printf",
        "format",
    }
)
# The pragmas Datasette's pages read (columns, keys, indexes, schema version); never a setting.
READ_PRAGMAS = frozenset(
    {
        "table_info",
        "table_xinfo",
        "index_list",
        "index_info",
        "index_xinfo",
        "foreign_key_list",
        "database_list",
        "schema_version",
        "data_version",
    }
)
SETTING_FREE_PRAGMAS = frozenset({"schema_version", "data_version", "database_list"})
# Columns read as NULL: the absolute path of the database file on the server (Datasette's
# own PRAGMA database_list statement, which no visitor can send, is untouched)
HIDDEN_COLUMNS = frozenset({("pragma_database_list", "file")})
EPONYMOUS_DENIED = frozenset({"dbstat", "fts3tokenize", "fts4aux", "fts5vocab"})
SCHEMA_TABLES = frozenset({"sqlite_master", "sqlite_schema", "sqlite_temp_master"})
TABLE_FUNCTIONS = frozenset({"json_each", "json_tree"})

MAX_LENGTH = 1_000_000
MAX_LIKE_PATTERN = 500
MAX_SQL_LENGTH = 100_000
MAX_STATEMENT_BYTES = 20_000_000
HEAP_LIMIT_BYTES = 256 * 1024 * 1024


def published_objects(conn: sqlite3.Connection) -> frozenset[str]:
    """The tables and views of the database (full-text shadow tables included)."""
    rows = conn.execute("select name from sqlite_master where type in ('table', 'view')")
    return frozenset(row[0] for row in rows)


def authorizer(readable: frozenset[str]) -> Callable[..., int]:
    """An SQLite authorizer that allows reading ``readable`` and nothing else (module doc)."""
    allowed_reads = readable | SCHEMA_TABLES | TABLE_FUNCTIONS
    allowed_reads |= {f"pragma_{name}" for name in READ_PRAGMAS}

    def decide(action: int, arg1: str | None, arg2: str | None, db: str | None, _: object) -> int:
        if action in (sqlite3.SQLITE_SELECT, sqlite3.SQLITE_RECURSIVE):
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_READ:
            name = (arg1 or "").lower()
            if (name, (arg2 or "").lower()) in HIDDEN_COLUMNS:
                return sqlite3.SQLITE_IGNORE  # read as NULL
            if db is None or arg1 in allowed_reads:  # db None: a common table expression
                return sqlite3.SQLITE_OK
            # Any other name is a subquery's (SQLite names it as it is read), unless it is one
            # of the virtual tables that need no CREATE (eponymous): those are denied.
            eponymous = name.startswith(("sqlite_", "pragma_")) or name in EPONYMOUS_DENIED
            return sqlite3.SQLITE_DENY if eponymous or db != "main" else sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_FUNCTION:
            denied = (arg2 or "").lower() in DENIED_FUNCTIONS
            return sqlite3.SQLITE_DENY if denied else sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_PRAGMA:
            name = (arg1 or "").lower()
            ok = name in READ_PRAGMAS and (arg2 is None or name not in SETTING_FREE_PRAGMAS)
            return sqlite3.SQLITE_OK if ok else sqlite3.SQLITE_DENY
        if action == sqlite3.SQLITE_UPDATE and arg1 == "sqlite_master" and db == "main":
            # SQLite reads its own schema this way when a statement first uses a table
            # function; the connection is read-only (immutable, query_only) all the same
            return sqlite3.SQLITE_OK
        return sqlite3.SQLITE_DENY

    return decide


class ResultTooLarge(sqlite3.OperationalError):
    pass


def budgeted_rows(limit: int = MAX_STATEMENT_BYTES) -> Callable[[sqlite3.Cursor, tuple], object]:
    """A row factory making ``sqlite3.Row``s that fails a statement past ``limit`` bytes."""
    spent: weakref.WeakKeyDictionary[sqlite3.Cursor, int] = weakref.WeakKeyDictionary()

    def factory(cursor: sqlite3.Cursor, row: tuple) -> sqlite3.Row:
        size = sum(len(v) for v in row if isinstance(v, str | bytes))
        if size:
            total = spent.get(cursor, 0) + size
            if total > limit:
                raise ResultTooLarge(
                    f"résultat trop volumineux (plus de {limit // 1_000_000} Mo) : "
                    "réduisez la requête ou téléchargez la base"
                )
            spent[cursor] = total
        return sqlite3.Row(cursor, row)

    return factory


def _instr(text: object, part: object) -> int | None:
    if text is None or part is None:
        return None
    if isinstance(text, bytes) and isinstance(part, bytes):
        return text.find(part) + 1
    return str(text).find(str(part)) + 1  # CPython's search is linear in the text's length


def _replace(text: object, old: object, new: object) -> str | None:
    if text is None or old is None or new is None:
        return None
    text, old, new = str(text), str(old), str(new)
    if not old:
        return text
    if len(text) + text.count(old) * max(len(new) - len(old), 0) > MAX_LENGTH:
        raise ValueError("string or blob too big")
    return text.replace(old, new)


MAX_TRIM_CHARACTERS = 100


def _trimmer(strip: str) -> Callable[[object, object], str | None]:
    def trim(text: object, characters: object) -> str | None:
        if text is None or characters is None:
            return None
        characters = "".join(sorted(set(str(characters))))
        if len(characters) > MAX_TRIM_CHARACTERS:  # each character is looked for in them
            raise ValueError(f"au plus {MAX_TRIM_CHARACTERS} caractères différents à retirer")
        return getattr(str(text), strip)(characters)

    return trim


# SQLite's own versions take time in the product of their arguments' lengths (module doc)
LINEAR_FUNCTIONS: dict[str, tuple[int, Callable[..., object]]] = {
    "instr": (2, _instr),
    "replace": (3, _replace),
    "trim": (2, _trimmer("strip")),
    "ltrim": (2, _trimmer("lstrip")),
    "rtrim": (2, _trimmer("rstrip")),
}


def guard(conn: sqlite3.Connection) -> None:
    """Make ``conn`` read only what is published, within the limits of the module doc."""
    conn.execute(f"PRAGMA hard_heap_limit = {HEAP_LIMIT_BYTES}")
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_LENGTH)
    conn.setlimit(sqlite3.SQLITE_LIMIT_LIKE_PATTERN_LENGTH, MAX_LIKE_PATTERN)
    conn.setlimit(sqlite3.SQLITE_LIMIT_SQL_LENGTH, MAX_SQL_LENGTH)
    for name, (arity, function) in LINEAR_FUNCTIONS.items():
        conn.create_function(name, arity, function, deterministic=True)
    conn.set_authorizer(authorizer(published_objects(conn)))
    conn.row_factory = budgeted_rows()
