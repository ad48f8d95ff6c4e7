"""The user's mapping file: where each column of an export kind comes from.

TOML (or JSON with the same shape); the data contract's "Mapping file" section is the reference::

    [callbacks.aliases]                 # extra headers that may name a column (built-in aliases stay)
    satisfaction = ["满意度按键"]

    [callbacks.values.satisfaction]     # words of a vocabulary column (three-level scales must be declared)
    "好评" = "A"

    [tickets.columns]                   # exactly where a column comes from (built-in aliases off)
    ticket_id    = { from = ["vru+line", "call_id", "date"] }    # several headers' cells joined with "-"
    created_at   = { from = ["date", "vru_entry"], format = "%y%m%d %H:%M:%S" }   # joined with one space
    channel      = { value = "phone" }                          # a constant for every row
    agent_name   = { from = "server", empty = ["NO_SERVER"] }   # words that mean "no value"
    call_result  = "outcome"                                    # exactly this header

    [sales.options]
    amount = "net"                      # declared per kind in ``warehouse/kinds.py``

Every problem in the file is reported at once, naming the section, column and value to fix.  A
mapping is also kept in the warehouse as a named profile (``loaders.profiles``); ``to_data`` gives
the file's shape back, so a profile exports to the same TOML.
"""
from __future__ import annotations

from dataclasses import dataclass, field
import hashlib
import json
from pathlib import Path
import tomllib

import tomli_w

from loaders.errors import LoadError
from loaders.schema import SCHEMAS, Column, ExportSchema, Kind
from loaders.vocab import EMPTY, VOCABULARIES, map_word
import texts
from texts import Lines, Message


SECTIONS = ("aliases", "values", "columns", "options")
SOURCE_KEYS = ("from", "value", "format", "empty")
JOIN = {Kind.timestamp: " ", Kind.date: " "}   # how the cells of several headers are joined; others "-"


@dataclass(frozen=True)
class ColumnSource:
    """Where one column comes from: the cells of ``headers`` (joined), or the constant ``value``."""
    headers: tuple[str, ...] = ()
    value: str | None = None
    format: tuple[str, ...] = ()      # strftime codes, tried in order (timestamps and dates)
    empty: tuple[str, ...] = ()       # extra words meaning "no value"

    def to_data(self) -> str | dict:
        if self.value is None and len(self.headers) == 1 and not self.format and not self.empty:
            return self.headers[0]
        out: dict = {"value": self.value} if self.value is not None else {
            "from": self.headers[0] if len(self.headers) == 1 else list(self.headers)}
        if self.format:
            out["format"] = self.format[0] if len(self.format) == 1 else list(self.format)
        if self.empty:
            out["empty"] = list(self.empty)
        return out


@dataclass(frozen=True)
class KindMapping:
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)   # column → extra headers
    values: dict[str, dict[str, str]] = field(default_factory=dict)     # column → word → value
    columns: dict[str, ColumnSource] = field(default_factory=dict)      # column → exactly where it comes from
    options: dict[str, str] = field(default_factory=dict)               # option → value

    def option(self, schema, name: str) -> str:
        return self.options.get(name, schema.option(name).default)

    def source_headers(self) -> set[str]:
        return {h for src in self.columns.values() for h in src.headers}

    def to_data(self) -> dict:
        """The kind's section of a mapping file (empty parts left out)."""
        out: dict = {}
        if self.aliases:
            out["aliases"] = {c: list(a) for c, a in self.aliases.items()}
        if self.values:
            out["values"] = {c: {w: ("" if v == EMPTY else v) for w, v in t.items()} for c, t in self.values.items()}
        if self.columns:
            out["columns"] = {c: src.to_data() for c, src in self.columns.items()}
        if self.options:
            out["options"] = dict(self.options)
        return out

    def digest(self) -> str:
        """Identifies what the mapping does to a file (the "already loaded" check includes it)."""
        if not self.to_data():
            return ""
        return hashlib.sha256(json.dumps(self.to_data(), sort_keys=True, ensure_ascii=False).encode()).hexdigest()


@dataclass(frozen=True)
class Mapping:
    kinds: dict[str, KindMapping] = field(default_factory=dict)

    def for_kind(self, kind: str) -> KindMapping:
        return self.kinds.get(kind, KindMapping())

    def to_data(self) -> dict:
        return {k: m.to_data() for k, m in self.kinds.items() if m.to_data()}

    def to_toml(self) -> str:
        return tomli_w.dumps(self.to_data())


EMPTY_MAPPING = Mapping()


def _words(value) -> tuple[str, ...] | None:
    """A string or a list of strings, as a tuple; None when it is neither."""
    if isinstance(value, str) and value.strip():
        return (value,)
    if isinstance(value, list) and value and all(isinstance(v, str) and v.strip() for v in value):
        return tuple(value)
    return None


def _constant(schema: ExportSchema, col: Column, value) -> tuple[str | None, Message | None]:
    """A constant's value as it loads: for a vocabulary column the value itself (``phone``) or a word
    that maps to one (``电话``)."""
    if isinstance(value, bool):
        value = "true" if value else "false"
    if not isinstance(value, (str, int, float)):
        return None, Message("map.bad_constant", kind=schema.kind, column=col.name, value=str(value), allowed="")
    value = str(value)
    if col.kind not in (Kind.vocab, Kind.bool):
        return value, None
    vocab = VOCABULARIES["bool" if col.kind is Kind.bool else col.vocab]
    allowed = [v for v in vocab.words if not v.startswith("__")]
    if col.kind is Kind.bool:
        allowed = ["true", "false"]
    mapped = value if value in allowed else map_word(vocab, value)
    if mapped not in allowed:
        return None, Message("map.bad_constant", kind=schema.kind, column=col.name, value=value,
                             allowed=", ".join(allowed))
    return mapped, None


def _parse_columns(schema: ExportSchema, section: dict, problems: list[Message]) -> dict[str, ColumnSource]:
    names = {c.name: c for c in schema.columns}
    out: dict[str, ColumnSource] = {}
    for name, spec in section.items():
        col = names.get(name)
        where = dict(kind=schema.kind, column=name)
        if col is None:
            problems.append(Message("map.unknown_column", section="columns", **where,
                                    columns=", ".join(names)))
            continue
        if isinstance(spec, str):
            spec = {"from": spec}
        if not isinstance(spec, dict):
            problems.append(Message("map.bad_source", **where))
            continue
        unknown = sorted(set(spec) - set(SOURCE_KEYS))
        if unknown:
            problems.append(Message("map.bad_source_key", **where, found=", ".join(unknown),
                                    allowed=", ".join(SOURCE_KEYS)))
        if ("from" in spec) == ("value" in spec):
            problems.append(Message("map.from_or_value", **where))
            continue
        headers = value = None
        if "from" in spec:
            headers = _words(spec["from"])
            if headers is None:
                problems.append(Message("map.bad_from", **where))
                continue
        else:
            value, problem = _constant(schema, col, spec["value"])
            if problem is not None:
                problems.append(problem)
                continue
        formats = ()
        if "format" in spec:
            formats = _words(spec["format"])
            if col.kind not in (Kind.timestamp, Kind.date):
                problems.append(Message("map.format_kind", **where, type=Message(f"type.{col.kind.value}")))
                continue
            if formats is None or not all("%" in f for f in formats):
                problems.append(Message("map.bad_format_codes", **where, format=str(spec["format"])))
                continue
        empty = ()
        if "empty" in spec:
            empty = _words(spec["empty"]) if not isinstance(spec["empty"], list) or spec["empty"] else ()
            if empty is None or value is not None:
                problems.append(Message("map.bad_empty", **where))
                continue
        out[name] = ColumnSource(headers or (), value, tuple(formats), tuple(empty))
    return out


def _parse_options(schema: ExportSchema, section: dict, problems: list[Message]) -> dict[str, str]:
    out: dict[str, str] = {}
    declared = {o.name: o for o in schema.options}
    for name, value in section.items():
        opt = declared.get(name)
        if opt is None:
            problems.append(Message("map.unknown_option", kind=schema.kind, option=name,
                                    options=", ".join(declared) or "—"))
        elif str(value) not in opt.values:
            problems.append(Message("map.bad_option", kind=schema.kind, option=name, value=str(value),
                                    allowed=", ".join(opt.values)))
        else:
            out[name] = str(value)
    return out


def parse_mapping(data: dict, source: str | None = None) -> Mapping:
    """Every problem of the mapping at once, each naming its section."""
    problems: list[Message] = []
    kinds: dict[str, KindMapping] = {}
    for kind, section in data.items():
        if kind not in SCHEMAS:
            problems.append(Message("load.unknown_kind", kind=kind, kinds=", ".join(SCHEMAS)))
            continue
        schema = SCHEMAS[kind]
        names = {c.name for c in schema.columns}
        aliases: dict[str, tuple[str, ...]] = {}
        values: dict[str, dict[str, str]] = {}
        if not isinstance(section, dict):
            problems.append(Message("map.bad_section", kind=kind, found=str(section)[:40], allowed=", ".join(SECTIONS)))
            continue
        for col, words in (section.get("aliases") or {}).items():
            if col not in names:
                problems.append(Message("map.unknown_column", section="aliases", kind=kind, column=col,
                                        columns=", ".join(sorted(names))))
                continue
            aliases[col] = tuple(str(w) for w in ([words] if isinstance(words, str) else words))
        for col, table in (section.get("values") or {}).items():
            column = next((c for c in schema.columns if c.name == col), None)
            if column is None or column.kind is not Kind.vocab:
                vocab_cols = [c.name for c in schema.columns if c.kind is Kind.vocab]
                problems.append(Message("map.no_vocab", kind=kind, column=col, columns=", ".join(vocab_cols)))
                continue
            allowed = [v for v in VOCABULARIES[column.vocab].words if not v.startswith("__")]
            mapped: dict[str, str] = {}
            for word, value in table.items():
                value = str(value)
                if value in ("", "none", "empty"):
                    value = EMPTY
                elif value not in allowed:
                    problems.append(Message("map.bad_value", kind=kind, column=col, word=word, value=value,
                                            allowed=", ".join(allowed)))
                    continue
                mapped[str(word)] = value
            values[col] = mapped
        columns = _parse_columns(schema, section.get("columns") or {}, problems)
        options = _parse_options(schema, section.get("options") or {}, problems)
        unknown = set(section) - set(SECTIONS)
        if unknown:
            problems.append(Message("map.bad_section", kind=kind, found=", ".join(sorted(unknown)),
                                    allowed=", ".join(SECTIONS)))
        kinds[kind] = KindMapping(aliases, values, columns, options)
    if problems:
        raise LoadError("map.problems", file=source or texts.text("map.file"),
                        problems=Lines(Message("indent", item=p) for p in problems))
    return Mapping(kinds)


def parse_mapping_text(text: str, source: str, toml: bool = True) -> Mapping:
    """A mapping from the text of a TOML (or JSON) file; every problem at once."""
    try:
        data = tomllib.loads(text) if toml else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise LoadError("map.bad_format", file=source, detail=str(exc)) from None
    if not isinstance(data, dict):
        raise LoadError("map.bad_format", file=source, detail=type(data).__name__)
    return parse_mapping(data, source)


def load_mapping(path: str | Path | None) -> Mapping:
    if not path:
        return EMPTY_MAPPING
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise LoadError("map.no_file", file=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise LoadError("map.bad_format", file=str(path), detail=str(exc)) from None
    return parse_mapping_text(text, str(path), toml=path.suffix.lower() != ".json")
