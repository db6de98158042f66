"""Read the network's source files (``network.yaml`` and ``actors/*.yaml``) into plain records.

No RDF here. Every record keeps the file and line it came from, so that any later step (SHACL
included) can point a coordinator at the exact place to fix. Every problem of a run is collected
and raised together in one :class:`DataErrors`.
"""

from __future__ import annotations

import difflib
import multiprocessing
import os
import re
import stat
import sys
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from rapidfuzz import fuzz, process

from maillage.graph.contact import PhoneError, normalise_email, normalise_phone
from maillage.graph.errors import DataError, DataErrors, os_reason
from maillage.graph.load_cache import LoadCache, file_digest
from maillage.graph.model import (
    ACTION,
    ACTOR,
    BY_NAME,
    CLOSURE,
    DEMAND,
    INDICATOR,
    REFERRAL,
    SERVICE,
    SITE,
    ClassModel,
)
from maillage.graph.ns import referral_id
from maillage.graph.progress import NO_PROGRESS, Progress, tracked

MAX_FILE_BYTES = 5 * 1024 * 1024  # an actor file is a few kB; anything this big is a mistake
NESTED = {"sites": SITE, "services": SERVICE, "referrals": REFERRAL}
NETWORK_KEYS = (
    "id",
    "name",
    "description",
    "base",
    "licence",
    "publisher",
    "contact",
    "site",
    "source",
    "communes",
    "recheck_months",
    "map_tiles",
    "map_attribution",
)


@dataclass
class Record:
    """One actor, site, service or referral as written in a source file."""

    kind: str
    id: str
    values: dict[str, Any]
    file: str
    line: int
    lines: dict[str, int] = field(default_factory=dict)

    def line_of(self, name: str) -> int:
        return self.lines.get(name, self.line)


@dataclass
class Network:
    """The network's metadata (``network.yaml``) and all its records, in a stable order."""

    meta: dict[str, Any]
    records: list[Record]
    data_dir: Path
    errors: list[DataError] = field(default_factory=list)  # problems found while loading
    unreadable: set[str] = field(default_factory=set)  # actors whose file could not be read
    # What a rebuild after a change keeps (reload_actor_files): each actor file's records and
    # problems, the problems of network.yaml, and the other files' records and problems.
    actor_files: dict[Path, tuple[str, list[Record], list[DataError]]] = field(default_factory=dict)
    meta_errors: list[DataError] = field(default_factory=list)
    other_files: tuple[list[Record], list[DataError]] = ([], [])
    # every record of each (kind, id), first the one kept; the keys with more than one; the
    # rank of each file in load order
    owners: dict[tuple[str, str], list[Record]] = field(default_factory=dict, repr=False)
    duplicates: set[tuple[str, str]] = field(default_factory=set, repr=False)
    file_rank: dict[str, int] = field(default_factory=dict, repr=False)

    @property
    def base(self) -> str:
        return str(self.meta["base"]).rstrip("/")

    def of_kind(self, kind: str) -> list[Record]:
        return [r for r in self.records if r.kind == kind]

    def ids(self, kind: str) -> list[str]:
        """The ids of one kind of record, sorted."""
        if self.owners:
            return sorted(key[1] for key in self.owners if key[0] == kind)
        return sorted(r.id for r in self.records if r.kind == kind)


class _Mapping(dict):
    """A YAML mapping that remembers the line of each of its keys."""

    line: int
    lines: dict[str, int]


class _Loader(yaml.SafeLoader):
    """Safe loader that keeps line marks and reads bare numbers and dates as text.

    Postcodes, INSEE codes and SIRETs look like numbers (``01000`` would even be octal in YAML 1.1):
    they stay strings, and numeric fields are parsed from their text, without float rounding.
    Dates stay text too, so that a wrong one is reported with its record and field by SHACL.
    """


_TEXT_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:timestamp")
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in _TEXT_TAGS]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class DuplicateKey(Exception):
    def __init__(self, key: str, line: int):
        self.key, self.line = key, line


def _construct_mapping(loader: _Loader, node: yaml.MappingNode, deep: bool = False) -> _Mapping:
    loader.flatten_mapping(node)
    mapping = _Mapping()
    mapping.line = node.start_mark.line + 1
    mapping.lines = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            raise yaml.constructor.ConstructorError(
                None, None, "une clé doit être un texte, pas une liste", key_node.start_mark
            )
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if key in mapping:
            raise DuplicateKey(str(key), line)
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.lines[str(key)] = line
    return mapping


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)

if yaml.__with_libyaml__:

    class _FastLoader(yaml.cyaml.CParser, yaml.constructor.SafeConstructor, yaml.resolver.Resolver):
        """The same loader over libyaml's parser, about 10x faster on a national network.

        Only the parser is C: resolvers and constructors are ``_Loader``'s. Its error messages
        differ from the Python parser's, so a file it refuses is read again by ``_Loader``,
        whose messages are the documented ones.
        """

        def __init__(self, stream: str) -> None:
            yaml.cyaml.CParser.__init__(self, stream)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)

    _FastLoader.yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers
    _FastLoader.yaml_constructors = dict(_Loader.yaml_constructors)
else:  # pragma: no cover - PyYAML wheels ship libyaml
    _FastLoader = _Loader  # type: ignore[misc,assignment]


MAX_EXPANDED_NODES = 200_000  # values once aliases are expanded; a big actor file has 2,000


def _expanded_size(root: yaml.Node) -> int:
    """How many values the document holds once its aliases are expanded (an alias is the
    node it names, shared): counted without expanding, so that a billion laughs costs
    nothing."""
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if id(node) in sizes:
            continue
        if isinstance(node, yaml.ScalarNode):
            sizes[id(node)] = 1
            continue
        children = (
            [n for pair in node.value for n in pair]
            if isinstance(node, yaml.MappingNode)
            else list(node.value)
        )
        if done:
            sizes[id(node)] = 1 + sum(sizes[id(child)] for child in children)
            if sizes[id(node)] > MAX_EXPANDED_NODES:
                return sizes[id(node)]
        else:
            stack.append((node, True))
            stack.extend((child, False) for child in children if id(child) not in sizes)
    return sizes[id(root)]


def _load(text: str, loader_class: type) -> Any:
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if "&" in text and _expanded_size(node) > MAX_EXPANDED_NODES:  # anchors: aliases
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"trop de valeurs une fois les alias (*) développés (plus de {MAX_EXPANDED_NODES})",
                node.start_mark,
            )
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _parse(text: str) -> Any:
    try:
        return _load(text, _FastLoader)
    except (yaml.YAMLError, DuplicateKey, ValueError):
        return _load(text, _Loader)


def read_source(
    path: Path,
    display: str,
    errors: list[DataError],
    root: Path | None = None,
    limit: int = MAX_FILE_BYTES,
) -> bytes | None:
    """The bytes of one source file, or None with a located error. Only a regular file is read
    (a FIFO would block for ever, ``/dev/zero`` never ends), within ``limit`` bytes, and, with
    ``root``, only if it is inside that folder once links are followed (a link out of the data
    folder would publish whatever it points at)."""

    def refuse(message: str) -> None:
        errors.append(DataError(file=display, message=message))

    if root is not None:
        target = Path(os.path.realpath(path))
        if not target.is_relative_to(Path(os.path.realpath(root))):
            refuse("lien vers un fichier hors du dossier de données : refusé")
            return None
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        refuse(f"fichier illisible : {os_reason(exc)}")
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = "dossier" if stat.S_ISDIR(info.st_mode) else "tube ou périphérique"
            refuse(f"ce n'est pas un fichier ordinaire ({kind}) : refusé")
            return None
        if info.st_size > limit:
            refuse(f"fichier trop gros ({info.st_size // 1024} Kio, maximum {limit // 1024} Kio)")
            return None
        with os.fdopen(os.dup(fd), "rb") as handle:
            raw = handle.read(limit + 1)
    except OSError as exc:
        refuse(f"fichier illisible : {os_reason(exc)}")
        return None
    finally:
        os.close(fd)
    if len(raw) > limit:  # it grew meanwhile
        refuse(f"fichier trop gros (plus de {limit // 1024} Kio)")
        return None
    return raw


def read_yaml(path: Path, display: str, errors: list[DataError], root: Path | None = None) -> Any:
    """Parse one YAML file; on failure append a located error and return None. Every YAML
    file of a data folder is read this way: bounded in size, depth and alias expansion."""
    raw = read_source(path, display, errors, root)
    if raw is None:
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        errors.append(
            DataError(
                file=display,
                line=line,
                message="le fichier n'est pas en UTF-8 (octet "
                f"0x{raw[exc.start]:02x}) : réenregistrez-le en UTF-8",
            )
        )
        return None
    if not text.strip():
        errors.append(DataError(file=display, message="fichier vide"))
        return None
    try:
        return _parse(text)
    except RecursionError:
        errors.append(
            DataError(file=display, message="YAML trop imbriqué (des milliers de niveaux)")
        )
    except DuplicateKey as exc:
        errors.append(
            DataError(
                file=display, line=exc.line, field=exc.key, message="clé en double dans le fichier"
            )
        )
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        column = f" (colonne {mark.column + 1})" if mark else ""
        problem = exc.problem or exc.context or "syntaxe invalide"
        errors.append(
            DataError(file=display, line=line, message=f"YAML mal formé : {problem}{column}")
        )
    except yaml.YAMLError as exc:
        errors.append(DataError(file=display, message=f"YAML mal formé : {exc}"))
    except ValueError as exc:
        # PyYAML's constructors raise plain ValueErrors, e.g. for a date such as 2024-13-45
        errors.append(
            DataError(
                file=display, message=f"valeur illisible : {exc} (une date s'écrit AAAA-MM-JJ)"
            )
        )
    return None


# Above this many choices, difflib (pure Python, about 30 µs a comparison) only ranks the
# closest ones by rapidfuzz's Indel ratio, which is never below difflib's.
_SHORTLIST_FROM, _SHORTLIST = 200, 50


def did_you_mean(word: str, choices: list[str] | tuple[str, ...]) -> str | None:
    word, choices = str(word), list(choices)
    if len(choices) > _SHORTLIST_FROM:
        choices = [
            c
            for c, _, _ in process.extract(
                word, choices, scorer=fuzz.ratio, limit=_SHORTLIST, score_cutoff=60
            )
        ]
    close = difflib.get_close_matches(word, choices, n=3, cutoff=0.6)
    return ("vouliez-vous dire : " + ", ".join(close) + " ?") if close else None


def _check_keys(
    mapping: _Mapping,
    allowed: tuple[str, ...],
    display: str,
    record: str | None,
    errors: list[DataError],
) -> None:
    for key in mapping:
        if key not in allowed:
            errors.append(
                DataError(
                    file=display,
                    line=mapping.lines.get(str(key), mapping.line),
                    record=record,
                    field=str(key),
                    message="clé inconnue",
                    hint=did_you_mean(key, allowed),
                )
            )


def _scalar_or_list(
    cls: ClassModel, mapping: _Mapping, display: str, record: str, errors: list[DataError]
) -> dict[str, Any]:
    """Keep the values of known fields, checking their YAML shape (scalar or list)."""
    values: dict[str, Any] = {}
    for f in cls.fields:
        key = f.yaml_key
        if f.derived or key not in mapping:
            continue
        value = mapping[key]
        line = mapping.lines.get(key, mapping.line)
        if value is None:
            continue
        wrong = None
        if f.many:
            items = value if isinstance(value, list) else [value]
            if any(isinstance(v, (dict, list)) for v in items):
                wrong = "chaque élément de la liste doit être une simple valeur"
            else:
                values[f.name] = [_text(v) for v in items]
        elif isinstance(value, (dict, list)):
            kind = "une liste" if isinstance(value, list) else "un dictionnaire"
            wrong = f"une seule valeur est attendue, pas {kind}"
        else:
            values[f.name] = value if isinstance(value, (bool, date)) else _text(value)
        if wrong is not None:
            error = DataError(file=display, line=line, record=record, field=key, message=wrong)
            errors.append(error)
    return values


# What the coordinator writes for the network's own use, on any record, and never publishes:
# accepted here and kept out of the record's values, so no RDF, table, page or export has it.
PRIVATE_KEYS = ("notes",)


def _missing_id(display: str, rec: Record, what: str, actor: str | None = None) -> DataError:
    record = None if actor is None else f"actor {actor}"
    message = f"identifiant manquant pour {what}"
    return DataError(file=display, line=rec.line, record=record, field="id", message=message)


def _text(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def _record(
    cls: ClassModel,
    mapping: Any,
    display: str,
    owner: str | None,
    extra_keys: tuple[str, ...],
    errors: list[DataError],
    fallback_line: int,
) -> tuple[Record | None, _Mapping | None]:
    label = cls.label.lower()
    if not isinstance(mapping, _Mapping):
        errors.append(
            DataError(
                file=display,
                line=fallback_line,
                record=owner,
                message=f"un {label} doit être un dictionnaire de clés et de valeurs",
            )
        )
        return None, None
    allowed = cls.keys + extra_keys + PRIVATE_KEYS
    rid = mapping.get("id")
    record_name = f"{cls.name} {rid}" if rid is not None else owner
    _check_keys(mapping, allowed, display, record_name, errors)
    values = _scalar_or_list(cls, mapping, display, record_name or cls.name, errors)
    lines = {f.name: mapping.lines[f.yaml_key] for f in cls.fields if f.yaml_key in mapping.lines}
    return Record(
        cls.name, _text(rid) if rid is not None else "", values, display, mapping.line, lines
    ), mapping


def load_actor_file(
    path: Path, display: str, errors: list[DataError], root: Path | None = None
) -> list[Record]:
    """One actor with its sites, services and referrals."""
    doc = read_yaml(path, display, errors, root)
    if doc is None:
        return []
    actor_id = path.stem
    actor, mapping = _record(ACTOR, doc, display, f"actor {actor_id}", tuple(NESTED), errors, 1)
    if actor is None or mapping is None:
        return []
    if actor.id and actor.id != actor_id:
        errors.append(
            DataError(
                file=display,
                line=actor.line_of("id"),
                record=f"actor {actor_id}",
                field="id",
                message=f"l'identifiant « {actor.id} » doit être le nom du fichier "
                f"(« {actor_id} »)",
            )
        )
    actor.id = actor_id
    actor.values["id"] = actor_id
    _contacts(actor, display, errors)
    records = [actor]
    site_ids: list[str] = []
    for key, cls in NESTED.items():
        items = mapping.get(key)
        if items is None:
            continue
        line = mapping.lines.get(key, mapping.line)
        if not isinstance(items, list):
            errors.append(
                DataError(
                    file=display,
                    line=line,
                    record=f"actor {actor_id}",
                    field=key,
                    message="une liste est attendue (des éléments commençant par « - »)",
                )
            )
            continue
        for item in items:
            extra = ("closures",) if cls is SITE else ()
            rec, item_mapping = _record(
                cls, item, display, f"actor {actor_id}", extra, errors, line
            )
            if rec is None:
                continue
            if cls is SITE:
                rec.values["actor"] = actor_id
                site_ids.append(rec.id)
                closures = _closures(rec, item_mapping, display, errors)
                rec.values["closures"] = [c.id for c in closures]
                records.extend(closures)
            elif cls is SERVICE:
                rec.values["provider"] = actor_id
            elif cls is REFERRAL:
                rec.values["from_actor"] = actor_id
                rec.id = referral_id(actor_id, str(rec.values.get("to_actor", "")))
                rec.values["id"] = rec.id
            if not rec.id:
                errors.append(_missing_id(display, rec, f"ce {cls.label.lower()}", actor_id))
                continue
            rec.values.setdefault("id", rec.id)
            records.append(rec)
    actor.values["sites"] = site_ids
    for rec in records:
        if rec.kind == "service" and "sites" not in rec.values:
            # A service without a list of sites is offered at every site of its actor.
            rec.values["sites"] = list(site_ids)
    return records


def _contacts(actor: Record, display: str, errors: list[DataError]) -> None:
    """Phones and e-mail addresses as people write them, stored as one form (E.164, a short
    number's digits; an address's domain in lower case): an impossible number is refused here,
    with its line, and left out so that the shapes do not refuse it a second time."""
    for key in ("email", "other_emails"):
        value = actor.values.get(key)
        if isinstance(value, list):
            actor.values[key] = [normalise_email(v) for v in value]
        elif value is not None:
            actor.values[key] = normalise_email(str(value))
    written = actor.values.get("telephone")
    if written is None:
        return
    try:
        actor.values["telephone"] = normalise_phone(str(written))
    except PhoneError as exc:
        del actor.values["telephone"]
        errors.append(
            DataError(
                file=display,
                line=actor.line_of("telephone"),
                record=f"actor {actor.id}",
                field="telephone",
                message=f"{exc} (valeur : « {written} »)",
                value=str(written),
            )
        )


def _closures(
    site: Record, mapping: _Mapping | None, display: str, errors: list[DataError]
) -> list[Record]:
    """A site's dated closures and exceptional hours (``closures:`` under the site), each a
    record named after its site and first day."""
    items = mapping.get("closures") if mapping is not None else None
    if items is None or not site.id:
        return []
    owner = f"site {site.id}"
    line = mapping.lines.get("closures", mapping.line)
    if not isinstance(items, list):
        message = "une liste est attendue (des éléments commençant par « - »)"
        errors.append(
            DataError(file=display, line=line, record=owner, field="closures", message=message)
        )
        return []
    found: list[Record] = []
    for item in items:
        rec, _ = _record(CLOSURE, item, display, owner, (), errors, line)
        if rec is None:
            continue
        start = str(rec.values.get("start", ""))
        rec.id = f"{site.id}-{start}" if start else ""
        if not start:
            message = "date de début obligatoire (from: AAAA-MM-JJ)"
            errors.append(
                DataError(file=display, line=rec.line, record=owner, field="from", message=message)
            )
            continue
        if any(r.id == rec.id for r in found):
            message = f"deux périodes commencent le {start} : réunissez-les en une seule"
            errors.append(
                DataError(
                    file=display,
                    line=rec.line_of("start"),
                    record=owner,
                    field="from",
                    message=message,
                )
            )
            continue
        rec.values.update(id=rec.id, site=site.id)
        found.append(rec)
    return found


def load_list_file(
    path: Path, display: str, cls: ClassModel, errors: list[DataError], root: Path | None = None
) -> list[Record]:
    """A file holding a list of records of one class (actions, indicators)."""
    doc = read_yaml(path, display, errors, root)
    if doc is None:
        return []
    if not isinstance(doc, list):
        errors.append(
            DataError(
                file=display,
                line=1,
                message="une liste est attendue (des éléments commençant par « - »)",
            )
        )
        return []
    records = []
    for item in doc:
        rec, _ = _record(cls, item, display, None, (), errors, 1)
        if rec is None:
            continue
        if cls is INDICATOR:
            values = rec.values
            rec.id = f"{values.get('actor')}-{values.get('year')}-{values.get('measure')}"
            rec.values["id"] = rec.id
        if not rec.id:
            errors.append(_missing_id(display, rec, f"cette {cls.label.lower()}"))
            continue
        rec.values.setdefault("id", rec.id)
        records.append(rec)
    return records


SURVEY_KEYS = ("name", "year", "respondents", "source", "illustrative")


def load_diagnostic(
    path: Path, display: str, errors: list[DataError], root: Path | None = None
) -> list[Record]:
    """Residents' needs: a ``survey`` (its year, respondents and source apply to every entry)
    and its ``entries`` (need, share of residents in %, optional commune)."""
    doc = read_yaml(path, display, errors, root)
    if doc is None:
        return []
    if (
        not isinstance(doc, _Mapping)
        or not isinstance(doc.get("survey"), _Mapping)
        or not isinstance(doc.get("entries"), list)
    ):
        errors.append(
            DataError(
                file=display,
                line=1,
                message="attendu : une clé survey (l'enquête) et une liste entries",
            )
        )
        return []
    survey = doc["survey"]
    _check_keys(survey, SURVEY_KEYS, display, "survey", errors)
    defaults = {
        "year": survey.get("year"),
        "respondents": survey.get("respondents"),
        "source": f"{survey.get('name', '')} ({survey.get('source', '')})".strip(" ()"),
        "illustrative": survey.get("illustrative"),
    }
    records = []
    for item in doc["entries"]:
        rec, _ = _record(DEMAND, item, display, None, (), errors, doc.lines.get("entries", 1))
        if rec is None:
            continue
        for key, value in defaults.items():
            if value is not None and key not in rec.values:
                rec.values[key] = value if isinstance(value, bool) else _text(value)
        rec.id = f"{rec.values.get('need')}-{rec.values.get('commune') or 'reseau'}"
        rec.values["id"] = rec.id
        records.append(rec)
    return records


def load_network(
    data_dir: Path | str,
    strict: bool = True,
    progress: Progress = NO_PROGRESS,
    cache: Path | LoadCache | None = None,
) -> Network:
    """Load ``network.yaml`` and every ``actors/*.yaml`` of a data folder.

    Raises :class:`DataErrors` with every problem found, in every file. With ``strict=False``
    the records that did load are returned with the problems (``Network.errors``), so that the
    rest of the data can still be validated; it raises only when ``network.yaml`` is unusable.
    With ``cache`` (a file, see :mod:`graph.load_cache`), the actor files unchanged since the
    last load with that cache are not parsed again; given as an open :class:`LoadCache`, it is
    the caller's to save (where it chooses).
    """
    data_dir = Path(data_dir)
    errors: list[DataError] = []
    if not data_dir.is_dir():
        raise DataErrors([DataError(file=str(data_dir), message="dossier de données absent")])
    meta = load_meta(data_dir, errors)
    actor_dir = data_dir / "actors"
    files = sorted(actor_dir.glob("*.yaml")) + sorted(actor_dir.glob("*.yml"))
    network = Network(meta, [], data_dir, meta_errors=errors)
    store = LoadCache.open(cache) if isinstance(cache, Path) else cache
    read = _cached_actor_files(files, data_dir, progress, store)
    for path, found in zip(files, read, strict=True):
        network.actor_files[path] = found
    if isinstance(cache, Path):
        store.save()
    others: list[Record] = []
    other_errors: list[DataError] = _ignored_files(data_dir)
    actions = data_dir / "actions"
    for path in sorted(actions.glob("*.yaml")) + sorted(actions.glob("*.yml")):
        display = display_path(path, data_dir)
        others.extend(load_list_file(path, display, ACTION, other_errors, data_dir))
    if os.path.lexists(data_dir / "indicators.yaml"):
        path = data_dir / "indicators.yaml"
        display = display_path(path, data_dir)
        others.extend(load_list_file(path, display, INDICATOR, other_errors, data_dir))
    if os.path.lexists(data_dir / "diagnostic.yaml"):
        path = data_dir / "diagnostic.yaml"
        display = display_path(path, data_dir)
        others.extend(load_diagnostic(path, display, other_errors, data_dir))
    network.other_files = (others, other_errors)
    _assemble(network)
    network_file = display_path(data_dir / "network.yaml", data_dir)
    if network.errors and (strict or any(e.file == network_file for e in network.errors)):
        # without a sound network.yaml (its base IRI above all) nothing else can be checked
        raise DataErrors(network.errors)
    return network


def _ignored_files(data_dir: Path) -> list[DataError]:
    """Files that look like data but would be skipped: an extension in capitals."""
    found = []
    for folder in (data_dir / "actors", data_dir / "actions"):
        for path in sorted(folder.glob("*")) if folder.is_dir() else []:
            suffix = path.suffix
            if suffix.lower() in (".yaml", ".yml") and suffix not in (".yaml", ".yml"):
                found.append(
                    DataError(
                        file=display_path(path, data_dir),
                        message=f"extension « {suffix} » : le fichier serait ignoré ; "
                        f"renommez-le en {path.stem}.yaml",
                    )
                )
    return found


def reload_actor_files(
    network: Network, paths: Iterable[Path]
) -> tuple[list[Record], list[Record]]:
    """Read these actor files again (changed, new or deleted), the others as they were.

    Returns the records that left the network and those that entered it; ``network`` is then
    what :func:`load_network` gives for the folder as it now is (``tests/test_rebuild.py``).
    Only the ids of these files are looked at again for duplicates: on a national network a
    change costs milliseconds, not a pass over every record.
    """
    actor_dir = network.data_dir / "actors"
    old: list[Record] = []
    new: list[Record] = []
    added_files = False
    for path in paths:
        path = actor_dir / Path(path).name
        previous = network.actor_files.get(path)
        if previous is not None:
            old.extend(previous[1])
        if path.suffix in (".yaml", ".yml") and path.is_file():
            read = network.actor_files[path] = _read_actor_file(path, network.data_dir)
            new.extend(read[1])
            added_files = added_files or previous is None
        elif previous is not None:
            del network.actor_files[path]
    if added_files:  # a file deleted leaves the others' ranks in order
        _order_files(network)
    owners = network.owners
    keys = {(r.kind, r.id) for r in old + new}
    kept_before = {key: owners[key][0] for key in keys if key in owners}
    gone = {id(r) for r in old}
    for key in keys:
        owners[key] = [r for r in owners.get(key, ()) if id(r) not in gone]
    for rec in new:
        owners[(rec.kind, rec.id)].append(rec)
    _settle(network, keys)
    removed = [
        rec for key, rec in kept_before.items() if key not in owners or owners[key][0] is not rec
    ]
    added = [
        owners[key][0]
        for key in keys
        if key in owners and kept_before.get(key) is not owners[key][0]
    ]
    _collect(network)
    return removed, added


def _assemble(network: Network) -> None:
    """The network's records and problems from its files': an id used twice keeps the record
    that comes first (by file, then line) and the others are reported."""
    _order_files(network)
    owners: dict[tuple[str, str], list[Record]] = {}
    for _, loaded, _ in network.actor_files.values():
        for rec in loaded:
            owners.setdefault((rec.kind, rec.id), []).append(rec)
    for rec in network.other_files[0]:
        owners.setdefault((rec.kind, rec.id), []).append(rec)
    network.owners = owners
    network.duplicates = set()
    _settle(network, list(owners))
    _collect(network)


def _settle(network: Network, keys: Iterable[tuple[str, str]]) -> None:
    """Put the records of each id in load order (the first is kept) and note the ids used
    more than once."""
    owners, position = network.owners, _load_position(network)
    for key in keys:
        found = owners[key]
        if not found:
            del owners[key]
            network.duplicates.discard(key)
        elif len(found) > 1:
            found.sort(key=position)
            network.duplicates.add(key)
        else:
            network.duplicates.discard(key)


def _load_position(network: Network) -> Callable[[Record], tuple[int, int]]:
    rank = network.file_rank
    return lambda r: (rank[r.file], r.line)


def _order_files(network: Network) -> None:
    """Actor files in load order (``*.yaml`` then ``*.yml``, by name), then the other files."""
    order = sorted(network.actor_files, key=lambda p: (p.suffix == ".yml", p.name))
    network.actor_files = {path: network.actor_files[path] for path in order}
    prefix = display_path(network.data_dir / "actors", network.data_dir)
    rank = {f"{prefix}/{path.name}": i for i, path in enumerate(order)}
    for rec in network.other_files[0]:
        rank.setdefault(rec.file, len(rank))
    network.file_rank = rank


def _collect(network: Network) -> None:
    """``records``, ``errors`` and ``unreadable`` from the files' parts, in load order."""
    errors = list(network.meta_errors)
    if not network.actor_files:
        actor_dir = display_path(network.data_dir / "actors", network.data_dir)
        errors.append(DataError(file=actor_dir, message="aucun fichier d'acteur (*.yaml)"))
    records: list[Record] = []
    unreadable = set()
    for stem, loaded, found in network.actor_files.values():
        if found:
            errors.extend(found)
        if loaded:
            records.extend(loaded)
        else:
            unreadable.add(stem)
    records.extend(network.other_files[0])
    errors.extend(network.other_files[1])
    seconds = [r for key in network.duplicates for r in network.owners[key][1:]]
    for rec in sorted(seconds, key=_load_position(network)):
        first = network.owners[(rec.kind, rec.id)][0]
        errors.append(
            DataError(
                file=rec.file,
                line=rec.line,
                record=f"{rec.kind} {rec.id}",
                field="id",
                message=f"identifiant déjà utilisé ({first.file}:{first.line})",
            )
        )
    if seconds:
        dropped = {id(r) for r in seconds}
        records = [r for r in records if id(r) not in dropped]
    network.records, network.errors, network.unreadable = records, errors, unreadable


PARALLEL_FROM = 2000  # actor files: below, a second process costs more than it saves
_CHUNK = 250


def _cached_actor_files(
    files: list[Path], data_dir: Path, progress: Progress, cache: LoadCache | None
) -> list[tuple[str, list[Record], list[DataError]]]:
    """What each actor file gives, in file order: from the cache when the file's bytes are
    those cached, read (in parallel when many) otherwise."""
    if cache is None:
        return list(_actor_files(files, data_dir, progress))
    found: list[tuple[str, list[Record], list[DataError]] | None] = []
    keys: list[tuple[str, bytes] | None] = []
    for path in files:
        display = display_path(path, data_dir)
        raw = read_source(path, display, [], data_dir)
        if raw is None:  # reading it again reports why
            found.append(None)
            keys.append(None)
            continue
        digest = file_digest(raw)
        found.append(cache.get(display, digest))
        keys.append((display, digest))
    missing = [i for i, entry in enumerate(found) if entry is None]
    read = _actor_files([files[i] for i in missing], data_dir, progress)
    for i, entry in zip(missing, read, strict=True):
        found[i] = entry
        key = keys[i]
        if key is not None:
            cache.put(*key, entry)
    return found  # type: ignore[return-value]


def _actor_files(
    files: list[Path], data_dir: Path, progress: Progress
) -> Iterator[tuple[str, list[Record], list[DataError]]]:
    """Each actor file's records and errors, in file order; big networks are read by one
    process per core (YAML parsing is most of the loading time)."""
    workers = min(os.cpu_count() or 1, 8)
    if len(files) < PARALLEL_FROM or workers < 2:
        for path in tracked(files, "load", progress):
            yield _read_actor_file(path, data_dir)
        return
    chunks = [files[i : i + _CHUNK] for i in range(0, len(files), _CHUNK)]
    context = multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        done = 0
        for chunk in pool.map(_read_chunk, chunks, [data_dir] * len(chunks)):
            yield from chunk
            done += len(chunk)
            progress("load", done, len(files))


def _read_chunk(paths: list[Path], data_dir: Path) -> list[tuple[str, list[Record], list]]:
    return [_read_actor_file(path, data_dir) for path in paths]


def _read_actor_file(path: Path, data_dir: Path) -> tuple[str, list[Record], list[DataError]]:
    errors: list[DataError] = []
    records = load_actor_file(path, display_path(path, data_dir), errors, data_dir)
    return path.stem, records, errors


def display_path(path: Path, data_dir: Path) -> str:
    """How errors name a source file: relative to the data folder's parent."""
    try:
        return str(path.relative_to(data_dir.parent))
    except ValueError:
        return str(path)


_WEB = re.compile(r"https?://[A-Za-z0-9.-]+(:\d+)?(/[^\s<>\"'`{}|\\^]*)?")
_MAIL = re.compile(r"[^@\s<>\"'`]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


def _web_or_mail(key: str, value: object) -> bool:
    """A site is an http(s) address (never ``javascript:``); a contact may also be an
    e-mail address."""
    if isinstance(value, dict) and key == "contact":
        return all(_web_or_mail(key, v) for v in value.values() if isinstance(v, str))
    text = str(value)
    return bool(_WEB.fullmatch(text) or (key == "contact" and _MAIL.fullmatch(text)))


def load_meta(data_dir: Path, errors: list[DataError]) -> dict[str, Any]:
    path = data_dir / "network.yaml"
    display = display_path(path, data_dir)
    if not path.exists():
        errors.append(DataError(file=display, message="fichier network.yaml absent"))
        return {}
    doc = read_yaml(path, display, errors, data_dir)
    if doc is None:
        return {}
    if not isinstance(doc, _Mapping):
        errors.append(
            DataError(file=display, line=1, record="network", message="un dictionnaire est attendu")
        )
        return {}
    _check_keys(doc, NETWORK_KEYS, display, "network", errors)

    def wrong(key: str, message: str, line: int | None = None) -> None:
        errors.append(
            DataError(
                file=display,
                line=line or doc.lines.get(key, doc.line),
                record="network",
                field=key,
                message=message,
            )
        )

    for key in ("id", "name", "base", "communes"):
        if key not in doc:
            wrong(key, "champ obligatoire absent", doc.line)
    base = str(doc.get("base", ""))
    if "base" in doc and not re.fullmatch(r"https?://[A-Za-z0-9.-]+(:\d+)?(/[\w.~-]+)*/?", base):
        wrong("base", "l'IRI de base doit être une adresse http(s) simple")
    if "id" in doc and not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", str(doc["id"])):
        wrong("id", "identifiant : minuscules, chiffres et tirets (par exemple reseau-miramas)")
    if "site" in doc and not _web_or_mail("site", doc["site"]):
        wrong("site", "adresse du site : http(s)://…")
    if "contact" in doc and not _web_or_mail("contact", doc["contact"]):
        wrong("contact", "contact : une adresse électronique ou une adresse http(s)://…")
    tiles = str(doc.get("map_tiles", ""))
    if "map_tiles" in doc and not (
        re.fullmatch(r"https://[^\s\"'<>]+", tiles)
        and all(p in tiles for p in ("{z}", "{x}", "{y}"))
    ):
        wrong(
            "map_tiles",
            "fond de carte : une adresse https://… avec {z}, {x} et {y} "
            "(par exemple https://{s}.tile.openstreetmap.fr/osmfr/{z}/{x}/{y}.png)",
        )
    months = str(doc.get("recheck_months", "12"))
    if not (months.isdigit() and 1 <= int(months) <= 120):
        wrong(
            "recheck_months",
            "délai avant une nouvelle vérification : un nombre de mois entre 1 et 120",
        )
    communes = doc.get("communes") or []
    if not isinstance(communes, list) or not all(
        isinstance(c, dict)
        and re.fullmatch(r"\d[\dAB]\d{3}", str(c.get("insee", "")))
        and c.get("name")
        for c in communes
    ):
        wrong("communes", "liste attendue d'éléments { insee: code INSEE, name: nom }")
    return dict(doc)


__all__ = ["Network", "Record", "load_network", "did_you_mean", "BY_NAME"]
