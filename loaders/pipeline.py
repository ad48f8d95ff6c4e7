"""The load pipeline: one export file → the warehouse, atomically.

read (encoding detected, header row found) → map headers to canonical columns (every problem at
once) → cast in SQL, collecting a reason per bad row → apply the kind's rules (legs, defaults,
roster look-ups) → upsert by natural key, rejects and the load log in ONE transaction.

Parsing runs in a private in-memory DuckDB, so the warehouse is locked only while writing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
import hashlib
from concurrent.futures import ThreadPoolExecutor
import json
import os
from pathlib import Path
import re
import tempfile
import time
from typing import Callable
import uuid

import pyarrow as pa
import sqlalchemy as sa

from loaders.casts import SUMMARY_WORDS, install_macros
from loaders.errors import LoadError
from loaders.limits import date_window, limit
from loaders.mapping import EMPTY_MAPPING, JOIN, ColumnSource, KindMapping, Mapping
from loaders.readers import RawTable, read_file, sweep_stale_scratch
from loaders.schema import SCHEMAS, Column, ExportSchema, Input, Kind, normalise_header
from loaders.vocab import EMPTY, KEYPRESS_HEADER_WORDS, SKIP, THREE_LEVEL_WORDS, VOCABULARIES, map_word
import texts
from texts import Lines, Message
from warehouse import rollups, staging
from warehouse.clickhouse import arrow_type
from warehouse.db import Warehouse, actor, settle
from warehouse.errors import WarehouseError
from warehouse.schema import KEYS, TABLES, key_match

Progress = Callable[[Message], None]

# the kinds a cell can fail to cast to (the reason names the type: catalog text ``type.<kind>``)
CAST_KINDS = (Kind.timestamp, Kind.date, Kind.month, Kind.duration, Kind.money, Kind.int, Kind.number)


@dataclass
class LoadReport:
    file: str
    kind: str
    status: str = "loaded"            # loaded | duplicate
    load_id: int | None = None
    sha256: str = ""
    encoding: str = ""
    sheet: str | None = None
    rows_read: int = 0
    rows_inserted: int = 0
    rows_replaced: int = 0
    rows_rejected: int = 0
    rows_skipped: int = 0
    rows_merged: int = 0              # transfer legs merged and in-file duplicates
    orphans: int = 0
    ignored_columns: list[str] = field(default_factory=list)
    notes: list[Message] = field(default_factory=list)
    warnings: list[Message] = field(default_factory=list)   # a doubtful load: said loudly (CLI stderr, page)
    context: str = ""                 # digest of the mapping and roster the file was loaded with
    rows_resolved: int = 0            # open rejects of earlier loads that this load resolved
    duration_seconds: float = 0.0

    @property
    def rejected_share(self) -> float:
        counted = self.rows_read - self.rows_skipped
        return self.rows_rejected / counted if counted else 0.0

    def warning_lines(self, lang: str = texts.DEFAULT) -> list[str]:
        return [w.render(lang) for w in self.warnings]

    def summary(self, lang: str = texts.DEFAULT) -> str:
        def say(text_id: str, **params) -> str:
            return texts.text(text_id, lang, **params)

        if self.status == "duplicate":
            return say("load.sum.duplicate", file=self.file, load_id=self.load_id)
        parts = [say("load.sum.read", file=self.file, kind=self.kind, n=self.rows_read),
                 say("load.sum.inserted", n=self.rows_inserted), say("load.sum.replaced", n=self.rows_replaced),
                 say("load.sum.rejected", n=self.rows_rejected), say("load.sum.skipped", n=self.rows_skipped)]
        if self.rows_merged:
            parts.append(say("load.sum.merged", n=self.rows_merged))
        if SCHEMAS[self.kind].orphans:
            parts.append(say("load.sum.orphans", n=self.orphans))
        if self.rows_resolved:
            parts.append(say("load.sum.resolved", n=self.rows_resolved))
        # what the load did besides the counts, on the same line
        notes = "".join(say("load.sum.note", note=n.render(lang)) for n in self.notes)
        return say("sep.parts").join(parts) + say("load.sum.tail", load_id=self.load_id,
                                                 seconds=f"{self.duration_seconds:.1f}") + notes


@dataclass
class HeaderMap:
    columns: dict[str, int]           # canonical column → raw column index (or a composed cell's index)
    headers: list[str]
    ignored: list[str]
    notes: list[Message]
    composed: dict[int, tuple[str, str]] = field(default_factory=dict)   # index → (label, SQL over raw's c<i>)
    constants: dict[str, str] = field(default_factory=dict)   # vocabulary column → its constant value
    formats: dict[str, tuple[str, ...]] = field(default_factory=dict)   # column → strftime codes

    def cell(self, i: int) -> str:
        """SQL over ``raw`` for the (trimmed, emptied) cell at index ``i``."""
        return self.composed[i][1] if i in self.composed else f"nz(c{i})"

    def label(self, i: int) -> str:
        return self.composed[i][0] if i in self.composed else self.headers[i]

    def header(self, name: str) -> str:
        return self.label(self.columns[name])

    @property
    def mapped(self) -> set[str]:
        return {*self.columns, *self.constants}


# ------------------------------------------------------------------ headers
def header_words(col: Column, kmap: KindMapping) -> tuple[str, ...]:
    """The headers that may name ``col``, in the order they win: the mapping's, the name, the aliases.
    A column the mapping's ``[KIND.columns]`` places takes exactly its headers."""
    if col.name in kmap.columns:
        return kmap.columns[col.name].headers
    return (*kmap.aliases.get(col.name, ()), col.name, *col.aliases)


def _composed_cell(src: ColumnSource, idx: list[int], col: Column) -> str:
    """SQL for the cell of a column built from several headers (joined) or with extra empty words."""
    def cell(i: int) -> str:
        if not src.empty:
            return f"nz(c{i})"
        words = ", ".join(_sql_str(w) for w in src.empty)
        return f"CASE WHEN nz(c{i}) IN ({words}) THEN NULL ELSE nz(c{i}) END"
    if len(idx) == 1:
        return cell(idx[0])
    parts = [cell(i) for i in idx]
    # every part present, else no value: a composite key or a date without its time is not guessed
    return (f"CASE WHEN {' OR '.join(f'{p} IS NULL' for p in parts)} THEN NULL "
            f"ELSE concat_ws({_sql_str(JOIN.get(col.kind, '-'))}, {', '.join(parts)}) END")


def _place_sources(headers: list[str], norm: list[str], schema: ExportSchema, kmap: KindMapping, base: int,
                   hm: HeaderMap, claimed: dict[int, str]) -> None:
    """The mapping's ``[KIND.columns]``: exact headers, constants and composed cells."""
    problems = []
    for name, src in kmap.columns.items():
        col = schema.column(name)
        if src.format:
            hm.formats[name] = src.format
        if src.value is not None:
            if col.kind in (Kind.vocab, Kind.bool):
                hm.constants[name] = src.value
            else:
                i = base + len(hm.composed)
                hm.composed[i] = (f"= {src.value}", _sql_str(src.value))
                hm.columns[name] = i
            continue
        idx = []
        for h in src.headers:
            where = [i for i, n in enumerate(norm) if n == normalise_header(h)]
            if not where:
                problems.append(Message("map.header_not_found", kind=schema.kind, column=name, header=h,
                                        found="、".join(x for x in headers if x) or Message("load.missing.none")))
                continue
            idx.append(where[0])
            claimed.setdefault(where[0], name)
        if len(idx) != len(src.headers):
            continue
        if len(idx) == 1 and not src.empty:
            hm.columns[name] = idx[0]
            continue
        i = base + len(hm.composed)
        hm.composed[i] = (" + ".join(headers[j] for j in idx), _composed_cell(src, idx, col))
        hm.columns[name] = i
    if problems:
        raise LoadError("map.problems", problems=Lines(Message("indent", item=p) for p in problems))


def map_headers(headers: list[str], schema: ExportSchema, kmap: KindMapping = KindMapping(),
                base: int | None = None, require: bool = True) -> HeaderMap:
    """Assign each canonical column the header matching its earliest alias (user aliases first), after
    the mapping's exact ``[KIND.columns]`` (composed cells get indices from ``base`` on)."""
    norm = [normalise_header(h) for h in headers]
    claimed: dict[int, str] = {}
    hm = HeaderMap({}, headers, [], [])
    _place_sources(headers, norm, schema, kmap, len(headers) if base is None else base, hm, claimed)
    for col in schema.columns:
        if col.name in kmap.columns:
            continue
        aliases = [normalise_header(a) for a in header_words(col, kmap)]
        candidates = [(aliases.index(n), i) for i, n in enumerate(norm) if n in aliases and i not in claimed]
        if not candidates:
            continue
        candidates.sort()
        _, idx = candidates[0]
        hm.columns[col.name] = idx
        claimed[idx] = col.name
        for _, other in candidates[1:]:
            hm.notes.append(Message("load.note.two_headers", other=headers[other], chosen=headers[idx], column=col.name))
    hm.ignored = [h for i, h in enumerate(headers) if i not in claimed and h.strip()]
    missing = [c for c in schema.required if c.name not in hm.mapped]
    if missing and require:
        raise _missing_error(missing, headers, schema, kmap, claimed)
    return hm


def _fit(schema: ExportSchema, norm: set[str]) -> tuple[bool, int]:
    """(every required column has a header, how many columns have one) of ``schema`` on a header."""
    found = [any(normalise_header(a) in norm for a in (c.name, *c.aliases)) for c in schema.columns]
    required = all(f for f, c in zip(found, schema.columns) if c.required)
    return required, sum(found)


def _missing_error(missing: list[Column], headers: list[str], schema: ExportSchema, kmap: KindMapping,
                   claimed: dict[int, str]) -> LoadError:
    """Names the kind, each missing column with the aliases tried (and a header it could have had that
    another column took), the headers found, the kind the file fits better if any, and the fix."""
    norm = [normalise_header(h) for h in headers]
    lines = Lines()
    for c in missing:
        lines.append(Message("load.missing.column", column=c.name, tried="、".join(header_words(c, kmap))))
        words = {normalise_header(a) for a in header_words(c, kmap)}
        for i, n in enumerate(norm):
            if n in words and i in claimed:
                lines.append(Message("load.missing.taken", header=headers[i], other=claimed[i], column=c.name,
                                     kind=schema.kind))
    found = "、".join(h for h in headers if h)
    hint = Lines()
    # another kind is named only when the header really fits it better: all its required columns
    # and more of its columns than of this kind's
    own = _fit(schema, set(norm))[1]
    for other in SCHEMAS.values():
        fits, count = _fit(other, set(norm))
        if other.kind != schema.kind and fits and count > own:
            hint.append(Message("load.missing.looks_like", label=Message(f"kind.{other.kind}"), kind=other.kind))
            break
    return LoadError("load.missing", label=Message(f"kind.{schema.kind}"), kind=schema.kind, columns=lines,
                     found=found if found else Message("load.missing.none"), hint=hint)


# ------------------------------------------------------------------ refusals before casting
def refuse_unsafe_scales(raw: RawTable, hm: HeaderMap, kmap: KindMapping, schema: ExportSchema) -> None:
    """Three-level (好评/中评/差评) and key-press satisfaction scales must be declared first (kinds with
    a satisfaction column)."""
    if not any(c.vocab == "satisfaction" for c in schema.columns):
        return
    declared = kmap.values.get("satisfaction", {})
    for i, h in enumerate(hm.headers):
        if any(w in h for w in KEYPRESS_HEADER_WORDS) and not declared:
            words = [r[0] for r in raw.scratch.execute(
                f"SELECT DISTINCT nz(c{i}) FROM raw WHERE nz(c{i}) IS NOT NULL ORDER BY 1 LIMIT 20").fetchall()]
            raise LoadError("load.keypress_scale", header=h, words="、".join(words))
    if "satisfaction" in hm.columns:
        cell = hm.cell(hm.columns["satisfaction"])
        words = [r[0] for r in raw.scratch.execute(
            f"SELECT DISTINCT {cell} AS w FROM raw WHERE w IS NOT NULL ORDER BY 1").fetchall()]
        three = [w for w in words if w in THREE_LEVEL_WORDS]
        if three and not all(w in declared for w in three):
            raise LoadError("load.three_level_scale", header=hm.header("satisfaction"), words="、".join(words[:20]))


# ------------------------------------------------------------------ casting
def _sql_str(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


_TYPED = {  # {r} is the cell already through nz()
    Kind.text: "{r}", Kind.id: "id_text({r})", Kind.timestamp: "parse_ts({r})",
    Kind.date: "CAST(parse_ts({r}) AS DATE)", Kind.month: "parse_month({r})",
    Kind.duration: "parse_duration({r})", Kind.money: "parse_money({r})",
    Kind.int: "parse_int({r})", Kind.number: "parse_number({r})",
}
_NULL_TYPES = {
    Kind.text: "VARCHAR", Kind.id: "VARCHAR", Kind.vocab: "VARCHAR", Kind.bool: "BOOLEAN",
    Kind.timestamp: "TIMESTAMP", Kind.date: "DATE", Kind.month: "DATE", Kind.duration: "DOUBLE",
    Kind.money: "DECIMAL(18, 2)", Kind.int: "BIGINT", Kind.number: "DOUBLE",
}


def _vocab_tables(raw: RawTable, hm: HeaderMap, schema: ExportSchema, kmap: KindMapping) -> dict[int, str]:
    """Each vocabulary column's distinct words (a few dozen), read in one scan of the file and mapped in
    Python, as tables vm_<idx>(raw, value, status); {column index: table name}."""
    cols = [(hm.columns[c.name], c) for c in schema.columns
            if c.kind in (Kind.vocab, Kind.bool) and c.name in hm.columns and c.name not in hm.constants]
    if not cols:
        return {}
    lists = ", ".join(f"list(DISTINCT w{i}) FILTER (WHERE w{i} IS NOT NULL)" for i, _ in cols)
    cells = ", ".join(f"{hm.cell(i)} AS w{i}" for i, _ in cols)
    found = raw.scratch.execute(f"SELECT {lists} FROM (SELECT {cells} FROM raw)").fetchone()
    out = {}
    for (i, col), words in zip(cols, found):
        vocab = VOCABULARIES["bool" if col.kind is Kind.bool else col.vocab]
        extra = kmap.values.get(col.name, {})
        rows = []
        for w in sorted(words or []):
            value = map_word(vocab, w, extra)
            status = "unknown" if value is None else "skip" if value == SKIP else "empty" if value == EMPTY else "ok"
            rows.append((w, value if status == "ok" else None, status))
        name = f"vm_{i}"
        raw.scratch.execute(f"CREATE OR REPLACE TEMP TABLE {name} (raw VARCHAR, value VARCHAR, status VARCHAR)")
        if rows:
            raw.scratch.executemany(f"INSERT INTO {name} VALUES (?, ?, ?)", rows)
        out[i] = name
    return out


def _upper_bound(col: Column) -> float | None:
    """The largest plausible value of a numeric column: its own bound, else the kind's limit."""
    kind_limit = {Kind.duration: limit("max_duration_seconds"), Kind.int: limit("max_count"),
                  Kind.money: limit("max_amount")}.get(col.kind)
    bounds = [b for b in (col.max_value, kind_limit) if b is not None]
    return min(bounds) if bounds else None


def _plausibility(col: Column, h: str, r: str) -> list[str]:
    """Reasons a value that did cast is still not plausible: outside the date window, negative, above
    its bound, not finite."""
    out = []
    if col.kind in (Kind.timestamp, Kind.date, Kind.month):
        lo, hi = date_window()
        out.append(f"CASE WHEN r.{col.name} < DATE '{lo}' OR r.{col.name} >= DATE '{hi}' + INTERVAL 1 DAY "
                   f"THEN {_reason('reject.date_window', header=h, value=r, lo=lo, hi=hi)} END")
    if col.kind in (Kind.duration, Kind.number):
        out.append(f"CASE WHEN NOT isfinite(r.{col.name}) THEN {_reason('reject.not_finite', header=h, value=r)} END")
    if col.kind in (Kind.duration, Kind.money, Kind.int, Kind.number):
        out.append(f"CASE WHEN r.{col.name} < 0 THEN {_reason('reject.negative', header=h, value=r)} END")
    bound = _upper_bound(col)
    if bound is not None:
        out.append(f"CASE WHEN r.{col.name} > {bound} THEN "
                   f"{_reason('reject.above', header=h, value=r, bound=f'{bound:g}')} END")
    return out


def typed_sql(raw: RawTable, hm: HeaderMap, schema: ExportSchema, kmap: KindMapping) -> str:
    """The SELECT of the typed rows (nothing materialised): line_no, every canonical column, is_summary,
    is_deleted, has_ctrl (a text cell held control or bidi characters, removed), tw (bit k: the k-th
    time column of ``_time_columns`` had a cell that did not parse) and reason."""
    read = [*raw.columns, *raw.extra, *hm.composed]
    # text cells lose control and bidi characters: one regular expression per row over its text cells
    # (a per-cell test cost the 1 M-row load 40 %), and the stripping only on the rows that have any
    text_cells = sorted({hm.columns[c.name] for c in schema.columns
                         if c.name in hm.columns and c.kind in (Kind.text, Kind.id)})
    has_ctrl = f"coalesce(has_ctrl(concat({', '.join(f'n{i}' for i in text_cells)})), false)" if text_cells else "false"
    cells = ", ".join([f"{hm.cell(i)} AS n{i}" for i in read] + [f"c{i}" for i in _verbatim(raw)])
    stripped = ", ".join(f"CASE WHEN has_ctrl THEN strip_ctrl(n{i}) ELSE n{i} END AS n{i}" for i in text_cells)
    rows = (f"(SELECT * REPLACE ({stripped}) FROM (SELECT *, {has_ctrl} AS has_ctrl FROM "
            f"(SELECT line_no, {cells} FROM raw)))" if text_cells else
            f"(SELECT *, false AS has_ctrl FROM (SELECT line_no, {cells} FROM raw))")
    vms = _vocab_tables(raw, hm, schema, kmap)
    select, joins, reasons, deleted = [], [], [], []
    longest = int(limit("max_cell_chars"))
    for i in raw.columns:   # strlen (bytes, no scan) ≥ length (characters): the scan only for long cells
        reasons.append(f"CASE WHEN strlen(r.n{i}) > {longest} AND length(r.n{i}) > {longest} THEN "
                       f"{_reason('reject.long_cell', header=_sql_str(_header_name(raw.headers[i], i)), most=longest)} END")
    if raw.bad_lines:
        raw.scratch.execute("CREATE OR REPLACE TEMP TABLE bad_lines (line_no BIGINT)")
        raw.scratch.executemany("INSERT INTO bad_lines VALUES (?)", [(n,) for n in raw.bad_lines])
        reasons.append(f"CASE WHEN r.line_no IN (SELECT line_no FROM bad_lines) THEN "
                       f"{_reason('reject.undecodable', encoding=raw.encoding)} END")
    for col in schema.columns:
        if col.name in hm.constants:   # a vocabulary constant of the mapping, already a value
            value = hm.constants[col.name]
            select.append(f"{value if col.kind is Kind.bool else _sql_str(value)} AS {col.name}")
            continue
        if col.name not in hm.columns:
            select.append(f"CAST(NULL AS {_NULL_TYPES[col.kind]}) AS {col.name}")
            continue
        i = hm.columns[col.name]
        h = _sql_str(hm.label(i))
        r = f"r.n{i}"
        if col.kind in (Kind.vocab, Kind.bool):
            vm = vms[i]
            joins.append(f"LEFT JOIN {vm} ON {vm}.raw = {r}")
            value = f"{vm}.value" + ("::BOOLEAN" if col.kind is Kind.bool else "")
            select.append(f"{value} AS {col.name}, {vm}.status AS vs_{col.name}")
            reasons.append(f"CASE WHEN r.vs_{col.name} = 'unknown' THEN {_reason('reject.unknown_word', header=h, value=r)} END")
            deleted.append(f"{vm}.status = 'skip'")
        else:
            typed = _TYPED[col.kind].format(r=r)
            if col.name in hm.formats:   # the mapping's strftime codes, tried in order
                codes = "[" + ", ".join(_sql_str(f) for f in hm.formats[col.name]) + "]"
                typed = f"try_strptime({r}, {codes})" + ("::DATE" if col.kind is Kind.date else "")
            select.append(f"{typed} AS {col.name}")
            if col.kind in CAST_KINDS:
                reasons.append(f"CASE WHEN {r} IS NOT NULL AND r.{col.name} IS NULL "
                               f"THEN {_reason('reject.not_a', header=h, value=r, type=texts.text(f'type.{col.kind.value}'))} END")
            reasons.extend(_plausibility(col, h, r))
        if col.required:
            reasons.append(f"CASE WHEN {r} IS NULL THEN {_reason('reject.required', header=h)} END")
    extra = " OR ".join(f"r.n{k} IS NOT NULL" for k in raw.extra)
    reasons.append(f"CASE WHEN {extra} THEN {_reason('reject.extra_cells')} END")
    first_cell = "coalesce(" + ", ".join(f"r.n{i}" for i in raw.columns) + ")" if raw.columns else "NULL"
    summary = "(" + ", ".join(_sql_str(w) for w in SUMMARY_WORDS) + ")"
    failed = [f"CASE WHEN r.n{hm.columns[c.name]} IS NOT NULL AND r.{c.name} IS NULL THEN {1 << k} ELSE 0 END"
              for k, c in enumerate(_time_columns(hm, schema))]
    # two projections in one statement: the casts (and the vocabulary joins, once), then the reasons
    # over the cast values — nothing materialised between them
    return f"""
        SELECT r.line_no, {', '.join('r.' + c.name for c in schema.columns)}, r.is_summary, r.is_deleted, r.has_ctrl,
               {' + '.join(failed) if failed else '0'} AS tw, {', '.join(f'r.c{i}' for i in _verbatim(raw))},
               nullif(concat_ws('；', {', '.join(reasons)}), '') AS reason
        FROM (SELECT r.*, {', '.join(select)},
                     coalesce({first_cell} IN {summary}, false) AS is_summary,
                     coalesce({' OR '.join(deleted) if deleted else 'false'}, false) AS is_deleted
              FROM {rows} r {' '.join(joins)}) r"""


def _time_columns(hm: HeaderMap, schema: ExportSchema) -> list[Column]:
    return [c for c in schema.columns if c.kind in (Kind.timestamp, Kind.date) and c.name in hm.columns
            and c.name not in hm.constants]


def build_typed(raw: RawTable, hm: HeaderMap, schema: ExportSchema, kmap: KindMapping, wh: Warehouse) -> list[Message]:
    """Create scratch table ``typed`` (``typed_sql`` with the kind's rules applied) in one statement.
    Returns warnings on times that did not parse."""
    rows = apply_rules(raw, schema, hm, wh, kmap, typed_sql(raw, hm, schema, kmap))
    # a rejected row keeps its cells verbatim (json, keyed by header) and the file's cells go: the
    # rejects need no second read of the file's table
    verbatim = ", ".join(f"c{i}" for i in _verbatim(raw))
    raw.scratch.execute(f"""CREATE OR REPLACE TABLE typed AS
        SELECT * EXCLUDE ({verbatim}),
               CASE WHEN reason IS NOT NULL AND NOT is_summary AND NOT is_deleted THEN {_raw_row_sql(raw)} END AS raw_row
        FROM ({rows})""")
    return _time_warnings(raw, hm, schema)


def _verbatim(raw: RawTable) -> list[int]:
    """The file's columns a reject keeps verbatim: those the load read, and the cells past the header."""
    return [*raw.columns, *raw.extra]


def _raw_row_sql(raw: RawTable) -> str:
    """SQL over the file's cells c<i>: the row verbatim as a json object keyed by header (an empty or
    repeated header named 列n or header_2; cells past the header as _extra_n when not empty)."""
    seen: dict[str, int] = {}
    pairs = []
    for i, h in enumerate(raw.headers):
        name = _header_name(h, i)
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:
            name = f"{name}_{seen[name]}"
        if i in raw.columns:    # the columns the load read (a 5,000-column export keeps its known ones)
            pairs.append(f"{_sql_str(name)}, c{i}")
    for k, i in enumerate(raw.extra):
        pairs.append(f"'_extra_{k + 1}', c{i}")
    return f"regexp_replace(CAST(json_object({', '.join(pairs)}) AS VARCHAR), ',\"_extra_\\d+\":null', '', 'g')"


def _time_warnings(raw: RawTable, hm: HeaderMap, schema: ExportSchema) -> list[Message]:
    """Times that did not parse, per column, with an example (the first such line's cell) and how to
    say the file's form: from ``typed``'s bit mask, the cells read back from ``raw`` for those lines."""
    times = _time_columns(hm, schema)
    if not times:
        return []
    sql = ", ".join(f"count(*) FILTER (WHERE t.tw & {1 << k} <> 0), "
                    f"arg_min({hm.cell(hm.columns[c.name])}, t.line_no) FILTER (WHERE t.tw & {1 << k} <> 0)"
                    for k, c in enumerate(times))
    row = raw.scratch.execute(f"SELECT {sql} FROM typed t JOIN raw USING (line_no) WHERE t.tw <> 0").fetchone()
    out = []
    for k, c in enumerate(times):
        n, example = row[2 * k], row[2 * k + 1]
        if not n:
            continue
        header = hm.header(c.name)
        if c.name in hm.formats:
            out.append(Message("load.warn.time_format", n=n, header=header, example=example,
                               format=" | ".join(hm.formats[c.name])))
        else:
            out.append(Message("load.warn.bad_times", n=n, header=header, example=example, kind=schema.kind,
                               column=c.name))
    return out


# ------------------------------------------------------------------ per-kind rules
def _roster_frame(wh: Warehouse):
    with wh.connect() as conn:
        return conn.execute(sa.text(
            "SELECT agent_id, agent_name, nickname FROM roster")).fetchall()


def declared_sql(sql: str, schema: ExportSchema, hm: HeaderMap, kmap: KindMapping) -> str:
    """A declared default, check or tally with ``{has.COLUMN}`` (the file has the column) and
    ``{opt.NAME}`` (the mapping's option, as a SQL string) filled in."""
    def fill(m: re.Match) -> str:
        if m.group(1) == "has":
            return "true" if m.group(2) in hm.mapped else "false"
        return _sql_str(kmap.option(schema, m.group(2)))
    return re.sub(r"\{(has|opt)\.(\w+)\}", fill, sql)


def apply_rules(raw: RawTable, schema: ExportSchema, hm: HeaderMap, wh: Warehouse,
                kmap: KindMapping, source: str) -> str:
    """The SELECT of ``source``'s rows with the kind's declared defaults and row checks
    (``warehouse/kinds.py``) applied."""
    con = raw.scratch
    if schema.roster_lookup:
        roster = _roster_frame(wh)
        con.execute("CREATE OR REPLACE TEMP TABLE roster_ids (agent_id VARCHAR, agent_name VARCHAR, nickname VARCHAR)")
        if roster:
            con.executemany("INSERT INTO roster_ids VALUES (?, ?, ?)", [tuple(r) for r in roster])
        # names an online tool uses for agents → the roster's agent (unambiguous matches only)
        con.execute("""
            CREATE OR REPLACE TEMP TABLE nick AS
            SELECT name, any_value(agent_id) AS agent_id FROM (
                SELECT nickname AS name, agent_id FROM roster_ids WHERE nickname IS NOT NULL
                UNION SELECT agent_name, agent_id FROM roster_ids WHERE agent_name IS NOT NULL)
            GROUP BY name HAVING count(DISTINCT agent_id) = 1""")
    rows = source   # the rows with the kind's defaults; the checks are made on them
    if schema.defaults:
        defaults = ", ".join(f"{declared_sql(sql, schema, hm, kmap)} AS {col}" for col, sql in schema.defaults.items())
        rows = f"SELECT t.* REPLACE ({defaults}) FROM ({source}) t {' '.join(schema.joins)}"
    checks = [f"CASE WHEN {declared_sql(c.when, schema, hm, kmap)} THEN {_reason(c.reason, value=c.value) if c.value else _reason(c.reason)} END"
              for c in schema.checks]
    if not checks:
        return rows
    return f"SELECT * REPLACE (nullif(concat_ws('；', reason, {', '.join(checks)}), '') AS reason) FROM ({rows})"


def _reason(text_id: str, **params) -> str:
    """The catalog's reason ``text_id`` as a SQL string expression, in Chinese: rejects are the load's
    record, stored once.  ``header`` and ``value`` are SQL (a quoted header, a cell); the rest plain."""
    sql = {k: params.pop(k) for k in ("header", "value") if k in params}
    marked = texts.text(text_id, "zh", **params, **{k: f"\x00{k}\x00" for k in sql})
    parts = re.split("\x00(header|value)\x00", marked)
    out = [sql[part] if i % 2 else _sql_str(part) for i, part in enumerate(parts) if i % 2 or part]
    return " || ".join(out) if out else "''"


def _header_name(header: str, i: int) -> str:
    """A header as rejects name it: the file's, else 列n for an empty one."""
    return header or texts.text("load.column_n", "zh", n=i + 1)


def build_final(raw: RawTable, schema: ExportSchema, hm: HeaderMap) -> None:
    """Scratch view ``final`` (read once, by the warehouse's INSERT): valid rows, one per natural key
    (the file's last line wins); transfer legs sharing a parent call id collapse into one call."""
    con = raw.scratch
    key = ", ".join(schema.key)
    good = "NOT is_summary AND NOT is_deleted AND reason IS NULL"
    # a key repeated within the file is rare: find those keys with one hash aggregate, and only when
    # there are any pay for the window that keeps each one's last line
    repeated = con.execute(f"SELECT count(*) FROM (SELECT 1 FROM typed WHERE {good} GROUP BY {key} "
                           f"HAVING count(*) > 1)").fetchall()[0][0]
    if repeated:
        con.execute(f"""
            CREATE OR REPLACE TABLE valid AS SELECT * FROM typed WHERE {good}
            QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY line_no DESC) = 1""")
    else:
        con.execute(f"CREATE OR REPLACE VIEW valid AS SELECT * FROM typed WHERE {good}")
    cols = [c.name for c in TABLES[schema.kind].columns if c.name != "load_id"]
    legs = 0
    if schema.legs_of and schema.legs_of in hm.columns:
        con.execute(f"""CREATE OR REPLACE TABLE leg_keys AS
            SELECT DISTINCT {schema.legs_of} AS call_key FROM valid WHERE {schema.legs_of} IS NOT NULL""")
        legs = con.execute("SELECT count(*) FROM leg_keys").fetchall()[0][0]
    if legs:
        first = lambda c: f"arg_min({c}, ord) AS {c}"  # noqa: E731 - first non-empty value of the first leg
        ans = lambda c: (f"coalesce(arg_min({c}, ord) FILTER (WHERE call_result = 'answered'), "  # noqa: E731
                         f"arg_min({c}, ord)) AS {c}")
        agg = {
            "ticket_id": "call_key AS ticket_id", "parent_call_id": "NULL::VARCHAR AS parent_call_id",
            "created_at": "min(created_at) AS created_at",
            "call_result": "CASE WHEN bool_or(call_result = 'answered') THEN 'answered' "
                           "ELSE arg_min(call_result, ord) END AS call_result",
            "agent_id": ans("agent_id"), "agent_name": ans("agent_name"), "answered_at": ans("answered_at"),
            "ended_at": "max(ended_at) AS ended_at", "hangup_side": "arg_max(hangup_side, ord) AS hangup_side",
            "hold_seconds": "sum(hold_seconds) AS hold_seconds", "hold_count": "sum(hold_count) AS hold_count",
            "talk_seconds": "sum(talk_seconds) AS talk_seconds",
            "status": "arg_max(status, ord) AS status", "resolved_at": "max(resolved_at) AS resolved_at",
            "is_complaint": "bool_or(is_complaint) AS is_complaint",
            "legs": "count(*) AS legs", "line_no": "min(line_no) AS line_no",
        }
        select = [agg.get(c) or first(c) for c in cols]
        single = [("1 AS legs" if c == "legs" else c) for c in cols]
        # calls with one leg pass straight through; only the legs of transferred calls are grouped
        con.execute(f"""
            CREATE OR REPLACE VIEW final AS
            SELECT {', '.join(single)} FROM valid
            WHERE parent_call_id IS NULL AND ticket_id NOT IN (SELECT call_key FROM leg_keys)
            UNION ALL
            SELECT {', '.join(select)} FROM (
                SELECT *, coalesce(parent_call_id, ticket_id) AS call_key,
                       row_number() OVER (PARTITION BY coalesce(parent_call_id, ticket_id)
                                          ORDER BY created_at, line_no) AS ord
                FROM valid
                WHERE coalesce(parent_call_id, ticket_id) IN (SELECT call_key FROM leg_keys))
            GROUP BY call_key""")
    else:
        select = [("1 AS legs" if c == "legs" else c) for c in cols]
        con.execute(f"CREATE OR REPLACE VIEW final AS SELECT {', '.join(select)} FROM valid")


def key_text(schema: ExportSchema, alias: str = "") -> str:
    """SQL for a row's natural key as one text (the same on DuckDB and PostgreSQL): how a reject is
    matched to the row that later loads under its key."""
    prefix = f"{alias}." if alias else ""
    return "concat_ws(chr(31), " + ", ".join(f"CAST({prefix}{k} AS VARCHAR)" for k in schema.key) + ")"


def build_rejects(raw: RawTable, schema: ExportSchema) -> None:
    """Scratch table ``reject_rows``: line, reason, the row's key and its cells verbatim, keyed by header."""
    raw.scratch.execute(f"""
        CREATE OR REPLACE TABLE reject_rows AS
        SELECT t.line_no, t.reason, nullif({key_text(schema, 't')}, '') AS row_key, t.raw_row
        FROM typed t
        WHERE NOT t.is_summary AND NOT t.is_deleted AND t.reason IS NOT NULL
        ORDER BY t.line_no""")


# ------------------------------------------------------------------ writing
def _upsert_sql(kind: str, source: str, cols: list[str], load_id: int) -> tuple[str, str, str]:
    """(count of rows replacing an existing key, delete of those keys, insert) from ``source``."""
    match = key_match(kind)
    return (f"SELECT count(*) FROM {source} s WHERE EXISTS (SELECT 1 FROM {kind} t WHERE {match})",
            f"DELETE FROM {kind} t USING {source} s WHERE {match}",
            f"INSERT INTO {kind} ({', '.join(cols)}, load_id) SELECT {', '.join(cols)}, {load_id} FROM {source}")


def scratch_alias() -> str:
    """The name the scratch file is attached under: unique, since sessions of one app process share
    the DuckDB instance and two uploads may write at once."""
    return f"csdash_scratch_{os.getpid()}_{uuid.uuid4().hex[:12]}"


def _upsert_duckdb(conn: sa.Connection, kind: str, cols: list[str], load_id: int, alias: str) -> tuple[int, int, tuple]:
    """Straight from the scratch file, attached read-only: DuckDB copies the rows in parallel, with no
    Python between the two databases.  Also the time span the load touches (for the roll-ups)."""
    count_sql, delete_sql, insert_sql = _upsert_sql(kind, f"{alias}.final", cols, load_id)
    replaced = int(conn.exec_driver_sql(count_sql).scalar())
    settle(conn)
    loaded = int(conn.exec_driver_sql(f"SELECT count(*) FROM {alias}.final").scalar())
    settle(conn)
    span = rollups.touched_span(conn, kind, f"{alias}.final")
    conn.exec_driver_sql(delete_sql)
    conn.exec_driver_sql(insert_sql)
    return loaded, replaced, span


def _copy_postgres(conn: sa.Connection, scratch, select_sql: str, target: str, cols: list[str]) -> None:
    """COPY … FROM STDIN, fed from a CSV the scratch database writes: the bulk path of PostgreSQL."""
    drv = conn.connection.driver_connection
    fd, path = tempfile.mkstemp(suffix=".csv", prefix="csdash-copy-")
    os.close(fd)
    try:
        scratch.execute(f"COPY ({select_sql}) TO '{path}' (FORMAT csv, HEADER false)")
        with drv.cursor() as cur, open(path, "rb") as fh:
            with cur.copy(f"COPY {target} ({', '.join(cols)}) FROM STDIN (FORMAT csv)") as copy:
                while chunk := fh.read(1 << 20):
                    copy.write(chunk)
    finally:
        os.unlink(path)


def _upsert_postgres(conn: sa.Connection, scratch, kind: str, cols: list[str], load_id: int) -> tuple[int, int, tuple]:
    stage = f"stage_{kind}"
    conn.exec_driver_sql(f"CREATE TEMP TABLE {stage} ON COMMIT DROP AS SELECT {', '.join(cols)} FROM {kind} LIMIT 0")
    _copy_postgres(conn, scratch, f"SELECT {', '.join(cols)} FROM final", stage, cols)
    count_sql, delete_sql, insert_sql = _upsert_sql(kind, stage, cols, load_id)
    replaced = int(conn.exec_driver_sql(count_sql).scalar())
    loaded = int(conn.exec_driver_sql(f"SELECT count(*) FROM {stage}").scalar())
    span = rollups.touched_span(conn, kind, stage)
    conn.exec_driver_sql(delete_sql)
    conn.exec_driver_sql(insert_sql)
    return loaded, replaced, span


def _insert_rejects(conn: sa.Connection, wh: Warehouse, scratch, report: LoadReport, alias: str) -> None:
    cols = ["load_id", "file_name", "kind", "line_no", "reason", "raw_row", "row_key"]
    select = (f"SELECT {report.load_id} AS load_id, {_sql_str(report.file)} AS file_name, "
              f"{_sql_str(report.kind)} AS kind, line_no, reason, raw_row, row_key FROM reject_rows ORDER BY line_no")
    if not wh.is_duckdb:
        _copy_postgres(conn, scratch, select, "rejects", cols)
        return
    conn.exec_driver_sql(f"INSERT INTO rejects ({', '.join(cols)}) {select.replace('FROM reject_rows', f'FROM {alias}.reject_rows')}")


OPEN_REJECTS = "kind = :k AND resolved_load_id IS NULL AND load_id < :l"   # of the load's kind, before it
SAME_FILE = "load_id IN (SELECT load_id FROM load_log WHERE kind = :k AND sha256 = :s)"   # rejects of an earlier load of this file


def _open_keys_brought(conn: sa.Connection, scratch, report: LoadReport, params: dict) -> list[str]:
    """The keys of the open rejects (``OPEN_REJECTS``) that this load's final rows bring: matched in the
    scratch database, where the final rows are (a warehouse that cannot read the scratch file)."""
    keys = [r[0] for r in conn.execute(sa.text(
        f"SELECT DISTINCT row_key FROM rejects WHERE {OPEN_REJECTS} AND row_key IS NOT NULL"), params)]
    if not keys:
        return []
    scratch.register("open_keys", pa.table({"k": pa.array(keys, pa.string())}))
    try:
        return [r[0] for r in scratch.execute(
            f"SELECT DISTINCT o.k FROM open_keys o JOIN final f ON o.k = {key_text(SCHEMAS[report.kind], 'f')}"
        ).fetchall()]
    finally:
        scratch.unregister("open_keys")


def _resolve_rejects(conn: sa.Connection, wh: Warehouse, scratch, report: LoadReport, alias: str) -> int:
    """Open rejects this load settles: every reject of an earlier load of the same file (this load
    reapplied it and records its own), and any reject whose key this load brought in.  Matched with a
    join, never a list per row: a warehouse may hold many open rejects and a load millions of keys."""
    params = {"l": report.load_id, "k": report.kind, "s": report.sha256}
    open_rows = OPEN_REJECTS
    done = conn.execute(sa.text(
        f"UPDATE rejects SET resolved_load_id = :l WHERE {open_rows} AND {SAME_FILE}"), params).rowcount or 0
    key = key_text(SCHEMAS[report.kind])
    if wh.is_duckdb:   # the scratch file is attached: one semi-join inside the warehouse
        return done + (conn.execute(sa.text(
            f"UPDATE rejects SET resolved_load_id = :l WHERE {open_rows} AND row_key IN "
            f"(SELECT {key} FROM {alias}.final)"), params).rowcount or 0)
    found = _open_keys_brought(conn, scratch, report, params)
    if not found:
        return done
    update = sa.text(f"UPDATE rejects SET resolved_load_id = :l WHERE {open_rows} AND row_key IN :keys"
                     ).bindparams(sa.bindparam("keys", expanding=True))
    for i in range(0, len(found), 5_000):
        done += conn.execute(update, {**params, "keys": found[i:i + 5_000]}).rowcount or 0
    return done


def _test_hook(moment: str = "BEFORE_COMMIT") -> None:
    """Lets the atomicity tests SIGKILL a loader at a known point: inside the transaction, just before
    its commit (``CSDASH_TEST_PAUSE_BEFORE_COMMIT``), or on ClickHouse just after the commit step,
    before the load is applied (``CSDASH_TEST_PAUSE_AFTER_COMMIT``)."""
    marker = os.environ.get(f"CSDASH_TEST_PAUSE_{moment}")
    if marker:
        Path(marker).write_text(str(os.getpid()))
        time.sleep(float(os.environ.get("CSDASH_TEST_PAUSE_SECONDS", "120")))


def write_load(wh: Warehouse, raw: RawTable, report: LoadReport, user: str) -> None:
    """Upsert, rejects and the load log in one transaction: all of the file or none of it."""
    kind = report.kind
    cols = [c.name for c in TABLES[kind].columns if c.name != "load_id"]
    if wh.is_clickhouse:
        with wh.writing(), wh.connect() as conn:
            _write_clickhouse(conn, wh, raw, report, user)
        return
    alias = scratch_alias()
    if wh.is_duckdb:
        scratch_file = raw.path
        raw.release()
    with wh.writing(), wh.connect() as conn:
        try:
            with conn.begin():
                if wh.is_duckdb:
                    conn.exec_driver_sql(f"ATTACH '{scratch_file}' AS {alias} (READ_ONLY)")
                _write(conn, wh, raw, report, cols, user, alias)
        finally:
            if wh.is_duckdb:   # the attachment outlives the transaction; the DuckDB instance is shared
                conn.exec_driver_sql(f"DETACH DATABASE IF EXISTS {alias}")
                conn.commit()


def _write(conn: sa.Connection, wh: Warehouse, raw: RawTable, report: LoadReport, cols: list[str], user: str,
           alias: str) -> None:
    kind = report.kind
    if not wh.is_duckdb:
        conn.exec_driver_sql("LOCK TABLE load_log IN EXCLUSIVE MODE")  # one load at a time
    report.load_id = int(conn.execute(sa.text("SELECT coalesce(max(load_id), 0) + 1 FROM load_log")).scalar())
    if wh.is_duckdb:
        loaded, report.rows_replaced, span = _upsert_duckdb(conn, kind, cols, report.load_id, alias)
    else:
        loaded, report.rows_replaced, span = _upsert_postgres(conn, raw.scratch, kind, cols, report.load_id)
    report.rows_inserted = loaded - report.rows_replaced
    orphans = SCHEMAS[kind].orphans
    if orphans:
        report.orphans = int(conn.execute(sa.text(
            f"SELECT count(*) FROM {kind} c WHERE c.load_id = :l AND {orphans}"), {"l": report.load_id}).scalar())
    report.rows_resolved = _resolve_rejects(conn, wh, raw.scratch, report, alias)
    if report.rows_rejected:
        _insert_rejects(conn, wh, raw.scratch, report, alias)
    rollups.refresh(conn, kind, span, report.load_id)   # the roll-ups move with the facts, atomically
    report.duration_seconds = time.monotonic() - report.duration_seconds
    _log(conn, report, user)
    _test_hook()


def _write_clickhouse(conn: sa.Connection, wh: Warehouse, raw: RawTable, report: LoadReport, user: str) -> None:
    """The same load on ClickHouse, which has no transaction: staged in private tables, committed by one
    rename, then applied (``warehouse/staging.py``).  The counts, rejects and log row are the same as
    ``_write``'s."""
    kind, scratch = report.kind, raw.scratch
    scratch.complete()   # a count read with fetchone() left its result open
    staging.recover(conn, roll_back_all=wh.owns_all_loads)   # a load that died before this one
    report.load_id = int(conn.execute(sa.text("SELECT coalesce(max(load_id), 0) + 1 FROM load_log")).scalar())
    try:
        load = staging.StagedLoad.begin(conn, report.load_id)
    except WarehouseError as exc:
        raise LoadError(exc.code, **exc.params) from None
    try:
        table = TABLES[kind]
        select = ", ".join(f"CAST({report.load_id} AS BIGINT) AS load_id" if c.name == "load_id" else c.name
                           for c in table.columns)
        new = load.stage(kind, "new")
        loaded = staging.insert_arrow(conn, new, kind, scratch.sql(f"SELECT {select} FROM final")
                                      .to_arrow_reader(100_000))
        span = rollups.touched_span(conn, kind, new)
        report.rows_replaced = load.replace_by_key(kind, new, KEYS[kind])
        report.rows_inserted = loaded - report.rows_replaced
        orphans = SCHEMAS[kind].orphans
        if orphans:
            report.orphans = int(conn.execute(sa.text(f"SELECT count(*) FROM {new} c WHERE {orphans}")).scalar())
        report.rows_resolved = _stage_rejects(conn, load, scratch, report)
        report.duration_seconds = time.monotonic() - report.duration_seconds
        log = load.rewrite("load_log", "SELECT * FROM load_log")
        _log(conn, report, user, sa.Table(log, sa.MetaData(), *(sa.Column(c.name, c.type) for c in TABLES["load_log"].columns)))
        _test_hook()
        load.commit(kind, span)
    except BaseException:
        load.abandon()
        raise
    _test_hook("AFTER_COMMIT")
    staging.apply(conn, report.load_id)


def _stage_rejects(conn: sa.Connection, load: "staging.StagedLoad", scratch, report: LoadReport) -> int:
    """Stage ``rejects`` with the rejects this load resolves (the same rule as ``_resolve_rejects``: an
    earlier load of the same file, or a key this load brings, matched in the scratch database) and its
    own rejects; returns how many it resolves.  Not staged when neither happens."""
    params = {"l": report.load_id, "k": report.kind, "s": report.sha256}
    open_rows = OPEN_REJECTS
    found = _open_keys_brought(conn, scratch, report, params)
    keys_table = load.stage("rejects", "keys")   # the keys found, as a table the rule can read
    staging.insert_arrow(conn, keys_table, "rejects", [pa.RecordBatch.from_pylist(
        [{"row_key": k} for k in found], schema=pa.schema([(c.name, arrow_type(c.type))
                                                          for c in TABLES["rejects"].columns]))])
    rule = f"{open_rows} AND ({SAME_FILE} OR row_key IN (SELECT row_key FROM {keys_table}))"
    resolved = int(conn.execute(sa.text(f"SELECT count() FROM rejects WHERE {rule}"), params).scalar())
    if not resolved and not report.rows_rejected:
        return 0
    cols = [f"if({rule}, CAST(:l AS Nullable(Int64)), resolved_load_id)" if c.name == "resolved_load_id" else c.name
            for c in TABLES["rejects"].columns]
    stage = load.rewrite("rejects", f"SELECT {', '.join(cols)} FROM rejects", params)
    if report.rows_rejected:
        mine = {"load_id": f"CAST({report.load_id} AS BIGINT)", "file_name": _sql_str(report.file),
                "kind": _sql_str(report.kind), "resolved_load_id": "CAST(NULL AS BIGINT)"}
        select = ", ".join(f"{mine.get(c.name, c.name)} AS {c.name}" for c in TABLES["rejects"].columns)
        staging.insert_arrow(conn, stage, "rejects", scratch.sql(
            f"SELECT {select} FROM reject_rows ORDER BY line_no").to_arrow_reader(100_000))
    return resolved


def _log(conn: sa.Connection, report: LoadReport, user: str, table: sa.Table = TABLES["load_log"]) -> None:
    conn.execute(table.insert().values(
        load_id=report.load_id, file_name=report.file, sha256=report.sha256, kind=report.kind,
        status=report.status, sheet=report.sheet, encoding=report.encoding, rows_read=report.rows_read,
        rows_inserted=report.rows_inserted, rows_replaced=report.rows_replaced,
        rows_rejected=report.rows_rejected, rows_skipped=report.rows_skipped, orphans=report.orphans,
        ignored_columns=json.dumps(report.ignored_columns, ensure_ascii=False),
        notes=json.dumps([str(n) for n in report.notes], ensure_ascii=False), duration_seconds=round(report.duration_seconds, 3),
        context=report.context, warnings=json.dumps([str(w) for w in report.warnings], ensure_ascii=False),
        loaded_by=user, loaded_at=datetime.now().replace(microsecond=0)))


# ------------------------------------------------------------------ the one entry point
def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 22):
            h.update(chunk)
    return h.hexdigest()


def _roster_state(conn: sa.Connection) -> str:
    return "{}:{}".format(*conn.execute(sa.text("SELECT count(*), max(load_id) FROM roster")).one())


def load_context(wh: Warehouse, schema: ExportSchema, kmap: KindMapping) -> str:
    """What the file is loaded with besides its bytes: the mapping of its kind and, for kinds resolved
    against the roster, the roster's state.  Reloading a file is a no-op only when this is unchanged."""
    parts = [kmap.digest()]
    if schema.roster_lookup:
        with wh.connect() as conn:
            parts.append(_roster_state(conn))
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


@dataclass
class Prepared:
    """A file parsed, checked and ready to write: its scratch tables and what the load will report."""
    raw: RawTable
    hm: HeaderMap
    report: LoadReport


def prepare(wh: Warehouse, schema: ExportSchema, path: Path, kmap: KindMapping, report: LoadReport,
            sheet: str | None, step: Progress) -> Prepared:
    """Read, map, cast and check a file into its scratch database (nothing written): the typed rows
    with their reasons, the rejects, the final rows, the notes and the warnings."""
    step(Message("load.step.read"))
    extra_aliases = {a for aliases in kmap.aliases.values() for a in aliases} | kmap.source_headers()
    raw = read_file(path, schema.kind, sheet, extra_aliases,
                    columns=lambda headers: wanted_columns(headers, schema, kmap))
    try:
        report.encoding, report.sheet = raw.encoding, raw.sheet
        install_macros(raw.scratch)
        step(Message("load.step.headers"))
        hm = map_headers(raw.headers, schema, kmap, base=raw.width + len(raw.extra))
        report.ignored_columns, report.notes = hm.ignored, [*raw.notes, *hm.notes]
        refuse_unsafe_scales(raw, hm, kmap, schema)
        step(Message("load.step.cast"))
        report.warnings.extend(build_typed(raw, hm, schema, kmap, wh))
        counts = raw.scratch.execute("""
            SELECT count(*), count(*) FILTER (WHERE is_summary OR is_deleted),
                   count(*) FILTER (WHERE NOT is_summary AND NOT is_deleted AND reason IS NOT NULL),
                   count(*) FILTER (WHERE is_summary), count(*) FILTER (WHERE is_deleted AND NOT is_summary),
                   count(*) FILTER (WHERE has_ctrl)
            FROM typed""").fetchall()[0]
        report.rows_read, report.rows_skipped, report.rows_rejected = counts[0], counts[1], counts[2]
        if counts[3]:
            report.notes.append(Message("load.note.summary_rows", n=counts[3]))
        if counts[4]:
            report.notes.append(Message("load.note.deleted_rows", n=counts[4]))
        if counts[5]:
            report.notes.append(Message("load.note.control_chars", n=counts[5]))
        if report.rows_read == 0:
            raise LoadError("load.header_only")
        build_rejects(raw, schema)
        build_final(raw, schema, hm)
        valid = raw.scratch.execute("SELECT count(*) FROM valid").fetchall()[0][0]
        final = raw.scratch.execute("SELECT count(*) FROM final").fetchall()[0][0]
        good = report.rows_read - report.rows_skipped - report.rows_rejected
        report.rows_merged = good - final
        if good - valid:
            report.notes.append(Message("load.note.repeated_keys", n=good - valid))
        if valid - final:
            report.notes.append(Message("load.note.legs", legs=valid, calls=final))
        _tally(raw, schema, hm, kmap, report)
        report.warnings.extend(loud(raw, schema, hm, kmap, report, good=good, valid=valid, final=final))
        return Prepared(raw, hm, report)
    except BaseException:
        raw.close()
        raise


def _tally(raw: RawTable, schema: ExportSchema, hm: HeaderMap, kmap: KindMapping, report: LoadReport) -> None:
    """The kind's declared tallies over the final rows, as notes of the report."""
    if not schema.tallies:
        return
    sql = ", ".join(f"count(*) FILTER (WHERE {declared_sql(t.when, schema, hm, kmap)})" for t in schema.tallies)
    for tally, n in zip(schema.tallies, raw.scratch.execute(f"SELECT {sql} FROM final").fetchone()):
        if n:
            report.notes.append(Message(tally.note, n=n))


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}" if whole else "0"


def loud(raw: RawTable, schema: ExportSchema, hm: HeaderMap, kmap: KindMapping, report: LoadReport, *,
         good: int, valid: int, final: int) -> list[Message]:
    """The warnings of a doubtful load (data contract, "Loud loads"): many rejects, keys repeated within
    the file, a kind's expectation failed, a KPI input column empty or constant."""
    out: list[Message] = []
    counted = report.rows_read - report.rows_skipped
    if counted and report.rows_rejected / counted >= float(limit("warn_rejected_share")):
        reason, n = raw.scratch.execute(
            "SELECT reason, count(*) FROM reject_rows GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1").fetchone()
        out.append(Message("load.warn.rejected", n=report.rows_rejected, pct=_pct(report.rows_rejected, counted),
                           reason=reason, times=n))
    if good and (good - valid) / good > float(limit("warn_same_file_keys_share")):
        key = "、".join(hm.header(k) if k in hm.columns else k for k in schema.key)
        out.append(Message("load.warn.same_file_keys", n=good - valid, pct=_pct(good - valid, good), key=key,
                           kind=schema.kind, column=schema.key[0]))
    if not final:
        return out
    for exp in schema.expects:
        given, then = declared_sql(exp.given, schema, hm, kmap), declared_sql(exp.then, schema, hm, kmap)
        has, meets = raw.scratch.execute(
            f"SELECT count(*) FILTER (WHERE {given}), count(*) FILTER (WHERE {then}) FROM final").fetchone()
        if has and not meets:
            out.append(Message(exp.warning, n=has))
    inputs = [(name, rule) for name, rule in schema.inputs.items()   # those the mapping did not set
              if not (name in hm.constants or (name in kmap.columns and kmap.columns[name].value is not None))]
    if not inputs:
        return out
    found = raw.scratch.execute("SELECT " + ", ".join(   # one scan of the final rows for every input
        f"count({name}), count(DISTINCT {name}), CAST(any_value({name}) AS VARCHAR)" for name, _ in inputs)
        + " FROM final").fetchone()
    for k, (name, rule) in enumerate(inputs):
        n, distinct, value = found[3 * k: 3 * k + 3]
        header = hm.header(name) if name in hm.columns else Message("load.warn.no_header")
        col = schema.column(name)
        if n == 0:
            out.append(Message("load.warn.input_empty", column=name, header=header, rows=final, kind=schema.kind))
        elif distinct == 1 and rule is not Input.empty and final >= int(limit("constant_min_rows")):
            catchall = col.kind is Kind.vocab and value == VOCABULARIES[col.vocab].default
            if rule is Input.any or catchall:
                out.append(Message("load.warn.input_constant", column=name, header=header, value=value, rows=final,
                                   kind=schema.kind))
    return out


def load_file(wh: Warehouse, kind: str, path: str | Path, *, mapping: Mapping = EMPTY_MAPPING,
              strict: bool = False, sheet: str | None = None, user: str | None = None,
              file_name: str | None = None, progress: Progress | None = None, force: bool = False) -> LoadReport:
    """Load one export into the warehouse, all or nothing.  Raises ``LoadError`` for a file it
    refuses (nothing loaded); bad rows go to ``rejects`` unless ``strict``.  A file already loaded
    with the same mapping and roster is not loaded again unless ``force``."""
    step = progress or (lambda _s: None)
    path = Path(path)
    name = file_name or path.name
    if kind not in SCHEMAS:
        raise LoadError("load.unknown_kind", file=name, kind=kind, kinds=", ".join(SCHEMAS))
    schema = SCHEMAS[kind]
    kmap = mapping.for_kind(kind)
    report = LoadReport(file=name, kind=kind, duration_seconds=time.monotonic())
    user = user or actor()
    sweep_stale_scratch()
    # the file is hashed in a thread while DuckDB parses it (both release the interpreter): the
    # same file loaded again is then recognised before anything is written, its parse discarded
    hashing = ThreadPoolExecutor(1, thread_name_prefix="csdash-sha256")
    digest = hashing.submit(file_sha256, path) if path.exists() else None
    prepared = None
    try:
        step(Message("load.step.hash"))
        report.context = load_context(wh, schema, kmap)
        try:
            prepared = prepare(wh, schema, path, kmap, report, sheet, step)
        finally:
            report.sha256 = digest.result() if digest is not None else ""
            hashing.shutdown()
        with wh.connect() as conn:
            prior = conn.execute(sa.text(
                "SELECT min(load_id) FROM load_log WHERE sha256 = :s AND kind = :k AND status = 'loaded' "
                "AND context = :c"), {"s": report.sha256, "k": kind, "c": report.context}).scalar()
        if prior is not None and sheet is None and not force:
            prepared.raw.close()
            report.status, report.load_id = "duplicate", int(prior)
            return report
    except LoadError as exc:
        if prepared is not None:
            prepared.raw.close()
        raise exc.with_file(name) from None
    except Exception as exc:   # every file gets an answer: an unforeseen failure is a refusal, never a crash
        if prepared is not None:
            prepared.raw.close()
        raise _unexpected(exc, name) from exc
    raw = prepared.raw
    try:
        if strict and report.rows_rejected:
            sample = raw.scratch.execute("SELECT line_no, reason FROM reject_rows LIMIT 10").fetchall()
            detail = Lines(Message("load.strict.line", line=ln, reason=why) for ln, why in sample)
            raise LoadError("load.strict", n=report.rows_rejected, lines=detail)
        step(Message("load.step.write"))
        write_load(wh, raw, report, user)
        return report
    except LoadError as exc:
        raise exc.with_file(name) from None
    except Exception as exc:
        raise _unexpected(exc, name) from exc
    finally:
        raw.close()


PREVIEW_ROWS = 20


@dataclass
class Preview:
    rows: "object"                    # DataFrame: line_no, reason, every column
    report: LoadReport                # its notes and warnings, over these rows
    headers: list[str]
    words: dict[str, list[tuple[str, str | None]]]   # vocabulary column → (word, value now)


def preview(wh: Warehouse, kind: str, path: str | Path, mapping: Mapping = EMPTY_MAPPING,
            sheet: str | None = None, rows: int = PREVIEW_ROWS, file_name: str | None = None) -> Preview:
    """The first ``rows`` rows of a file as the load would make them, nothing written.  The import
    wizard shows it beside the mapping it edits."""
    path = Path(path)
    name = file_name or path.name
    schema = SCHEMAS[kind]
    report = LoadReport(file=name, kind=kind)
    head = _head_copy(path, rows)
    try:
        prepared = prepare(wh, schema, head or path, mapping.for_kind(kind), report, sheet, lambda _s: None)
    except LoadError as exc:
        raise exc.with_file(name) from None
    except Exception as exc:
        raise _unexpected(exc, name) from exc
    finally:
        if head is not None:
            head.unlink(missing_ok=True)
    try:
        scratch, hm = prepared.raw.scratch, prepared.hm
        cols = ", ".join(c.name for c in schema.columns)
        frame = scratch.execute(
            f"SELECT line_no, reason, {cols} FROM typed WHERE NOT is_summary ORDER BY line_no LIMIT {int(rows)}").df()
        # each vocabulary column's words in these rows and what they mean now (None: unknown)
        words = {c.name: scratch.execute(f"SELECT raw, value FROM vm_{hm.columns[c.name]} ORDER BY raw").fetchall()
                 for c in schema.columns if c.kind in (Kind.vocab, Kind.bool) and c.name in hm.columns}
        return Preview(frame, report, hm.headers, words)
    finally:
        prepared.raw.close()


def _head_copy(path: Path, rows: int) -> Path | None:
    """The start of a text export (header search rows and ``rows`` more lines) in a temporary file,
    so a preview of a 2 GB file reads kilobytes; None for a workbook (read whole)."""
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
        return None
    keep = rows + 12
    out = bytearray()
    with open(path, "rb") as fh:
        for _ in range(keep):
            line = fh.readline(1 << 20)
            if not line:
                break
            out += line
    fd, name = tempfile.mkstemp(suffix=path.suffix or ".csv", prefix="csdash-preview-")
    with os.fdopen(fd, "wb") as fh:
        fh.write(out)
    return Path(name)


def _unexpected(exc: Exception, name: str) -> LoadError:
    first = (str(exc).strip().splitlines() or [""])[0][:300]
    return LoadError("load.unexpected", file=name, error=type(exc).__name__, detail=first)


def wanted_columns(headers: list[str], schema: ExportSchema, kmap: KindMapping) -> list[int]:
    """The header's columns a load of ``schema`` reads: every header one of its columns may claim
    (user aliases included), and for callbacks any key-press satisfaction header (refused unless declared)."""
    names = {normalise_header(a) for c in schema.columns for a in header_words(c, kmap)}
    names |= {normalise_header(h) for h in kmap.source_headers()}
    scales = any(c.vocab == "satisfaction" for c in schema.columns)
    out = []
    for i, h in enumerate(headers):
        if normalise_header(h) in names or (scales and any(w in h for w in KEYPRESS_HEADER_WORDS)):
            out.append(i)
    return out
