"""A load made atomic on ClickHouse (issue 21), which has no transaction spanning statements.

On DuckDB and PostgreSQL a load is one transaction.  On ClickHouse every statement stands alone,
so a load is staged, committed by one step and then applied, in that order:

1. **Claim** — ``CREATE TABLE _journal_<id>`` (no ``IF NOT EXISTS``): a second loader computing the
   same load id fails here and is refused by name (``warehouse.load_busy``); nothing is visible yet.
2. **Stage** — every table the load changes gets a private copy ``_stage_<id>_<table>`` made with
   ``CREATE TABLE … AS <table>`` (the same engine, partitions and sort key):

   - a data table: only the partitions (months) the load touches — those of its new rows and those
     of the rows they replace — holding the old rows whose natural key the file does not bring,
     plus the new rows.  No key is ever twice in the result: the replaced rows are left out, not
     deduplicated later (``ReplacingMergeTree(load_id)`` stays as a second guard);
   - ``rejects`` and ``load_log`` (small, one partition ``all``): the whole table with the load's
     changes (rejects it resolves, its own rejects, its log row).

   The journal lists each (table, partition) and the span of time the load touches.
3. **Commit** — ``RENAME TABLE _journal_<id> TO _commit_<id>``: one atomic step.  Before it, a crash
   leaves only private tables, which ``recover`` drops: the warehouse is as before.
4. **Apply** — for every journal row, ``ALTER TABLE t REPLACE PARTITION ID p FROM _stage_<id>_t``
   (``DROP PARTITION`` when the staged partition is empty: the file moved all its rows elsewhere),
   ``load_log`` first, so that the roll-ups are out of date (and not read) before any fact changes;
   then the roll-ups are refreshed for the journal's span; then the staged tables and the commit
   marker are dropped.  Every step can be repeated with the same result, so ``recover`` finishes a
   committed load whose process died: the warehouse is as after.

``recover`` runs when a chDB folder is opened (one process owns it) and before every load, under the
process's load lock.  On a server (``clickhousedb://``), where another host may be loading, it
finishes committed loads and rolls back only claims older than ``STALE_CLAIM_HOURS``: a live
loader's claim is left alone, and a loader that reaches the same id is refused.

Between the partition replacements of one apply, a reader may see some months of the file before
others (each replacement is atomic); the figures of a month are never half of a load.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
import re
from typing import Iterable

import pyarrow as pa
import sqlalchemy as sa

from warehouse import rollups
from warehouse.clickhouse import arrow_type
from warehouse.errors import WarehouseError
from warehouse.schema import TABLES

STALE_CLAIM_HOURS = 24
JOURNAL, COMMIT, STAGE = "_journal_", "_commit_", "_stage_"
# the tables a load's apply replaces first: the load log (roll-ups out of date), then the rejects
APPLY_FIRST = ("load_log", "rejects")
_JOURNAL_COLUMNS = "tbl String, part String, kind String, span_lo String, span_hi String"
_MARKER = re.compile(rf"^({JOURNAL}|{COMMIT})(\d+)$")
_STAGED = re.compile(rf"^{STAGE}(\d+)_")


def stage_name(load_id: int, table: str) -> str:
    return f"{STAGE}{load_id}_{table}"


def _tables(conn: sa.Connection) -> dict[str, str]:
    """This database's tables with their comments (a claim's is the time it was made: chDB does not
    keep ``metadata_modification_time``)."""
    return {r[0]: r[1] for r in conn.execute(sa.text(
        "SELECT name, comment FROM system.tables WHERE database = currentDatabase()"))}


def _age_seconds(claimed: str) -> float:
    try:
        return (datetime.now(timezone.utc) - datetime.fromisoformat(claimed)).total_seconds()
    except ValueError:   # not a claim of ours: old enough
        return float("inf")


def _partitions(conn: sa.Connection, table: str) -> set[str]:
    return {r[0] for r in conn.exec_driver_sql(f"SELECT DISTINCT _partition_id FROM {table}")}


def _columns(table: str) -> str:
    return ", ".join(f"`{c.name}`" for c in TABLES[table].columns)


def insert_arrow(conn: sa.Connection, name: str, table: str, batches: Iterable[pa.RecordBatch]) -> int:
    """Record batches (columns of ``TABLES[table]``, in its order) written in bulk into ``name``."""
    schema = pa.schema([(c.name, arrow_type(c.type)) for c in TABLES[table].columns])
    client = conn.connection.driver_connection.client
    n = 0
    for batch in batches:
        if batch.num_rows:
            typed = pa.Table.from_arrays([batch.column(i).cast(f.type) for i, f in enumerate(schema)], schema=schema)
            client.insert_arrow(name, typed)
            n += batch.num_rows
    return n


@dataclass
class StagedLoad:
    """One load's private tables and journal, until ``commit``."""
    conn: sa.Connection
    load_id: int
    entries: list[tuple[str, str]] = field(default_factory=list)
    staged: list[str] = field(default_factory=list)

    @classmethod
    def begin(cls, conn: sa.Connection, load_id: int) -> "StagedLoad":
        try:
            conn.exec_driver_sql(f"CREATE TABLE {JOURNAL}{load_id} ({_JOURNAL_COLUMNS}) ENGINE = MergeTree "
                                 f"ORDER BY tuple() COMMENT '{datetime.now(timezone.utc).isoformat()}'")
        except sa.exc.DBAPIError:
            if f"{JOURNAL}{load_id}" in _tables(conn) or f"{COMMIT}{load_id}" in _tables(conn):
                raise WarehouseError("warehouse.load_busy", load_id=load_id) from None
            raise
        return cls(conn, load_id)

    def stage(self, table: str, suffix: str | None = None) -> str:
        """An empty private copy of ``table`` (same engine, partitions, sort key)."""
        name = stage_name(self.load_id, suffix or table)
        self.conn.exec_driver_sql(f"CREATE TABLE {name} AS {table}")
        self.staged.append(name)
        return name

    def replace_by_key(self, table: str, new: str, key: tuple[str, ...]) -> int:
        """Stage ``table``'s touched partitions with ``new``'s rows replacing those of the same key;
        returns how many rows of ``table`` they replace."""
        k = f"({', '.join(key)})"
        among = f"{k} IN (SELECT {', '.join(key)} FROM {new})"
        null_keys = " SETTINGS transform_null_in = 1"   # a NULL key part matches a NULL (IS NOT DISTINCT FROM)
        replaced = int(self.conn.exec_driver_sql(f"SELECT count() FROM {table} WHERE {among}{null_keys}").scalar())
        parts = _partitions(self.conn, new) | {r[0] for r in self.conn.exec_driver_sql(
            f"SELECT DISTINCT _partition_id FROM {table} WHERE {among}{null_keys}")}
        stage = self.stage(table)
        if parts:
            listed = ", ".join(f"'{p}'" for p in sorted(parts))
            cols = _columns(table)
            self.conn.exec_driver_sql(
                f"INSERT INTO {stage} ({cols}) SELECT {cols} FROM {table} "
                f"WHERE _partition_id IN ({listed}) AND NOT {among}{null_keys}")
            self.conn.exec_driver_sql(f"INSERT INTO {stage} ({cols}) SELECT {cols} FROM {new}")
        self.entries += [(table, p) for p in sorted(parts)]
        return replaced

    def rewrite(self, table: str, select: str, params: dict | None = None) -> str:
        """Stage the whole of a small table as ``select`` returns it (its columns, in order); more rows
        may be inserted into the returned name before ``commit``."""
        stage = self.stage(table)
        self.conn.execute(sa.text(f"INSERT INTO {stage} ({_columns(table)}) {select}"), params or {})
        self.entries.append((table, "all"))
        return stage

    def commit(self, kind: str, span: tuple[datetime | None, datetime | None]) -> None:
        """The one step after which the load is in the warehouse, whatever happens to this process."""
        lo, hi = (v.isoformat() if v is not None else "" for v in span)
        rows = [{"t": t, "p": p, "k": kind, "lo": lo, "hi": hi} for t, p in self.entries]
        if rows:
            self.conn.execute(sa.text(f"INSERT INTO {JOURNAL}{self.load_id} VALUES (:t, :p, :k, :lo, :hi)"), rows)
        self.conn.exec_driver_sql(f"RENAME TABLE {JOURNAL}{self.load_id} TO {COMMIT}{self.load_id}")

    def abandon(self) -> None:
        """The load failed before its commit: its private tables go (a killed process leaves them to
        ``recover``)."""
        _drop(self.conn, [*self.staged, f"{JOURNAL}{self.load_id}"])


def _drop(conn: sa.Connection, names: Iterable[str]) -> None:
    for name in names:
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")


def _staged_of(tables: Iterable[str], load_id: int) -> list[str]:
    return [t for t in tables if (m := _STAGED.match(t)) and int(m.group(1)) == load_id]


def _when(text: str) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def apply(conn: sa.Connection, load_id: int) -> None:
    """Make a committed load visible (repeatable: ``recover`` calls it again after a crash)."""
    entries = conn.exec_driver_sql(f"SELECT tbl, part, kind, span_lo, span_hi FROM {COMMIT}{load_id}").all()
    present = set(_tables(conn))
    order = {t: i for i, t in enumerate(APPLY_FIRST)}
    for table, part, *_ in sorted(entries, key=lambda e: (order.get(e[0], len(order)), e[0], e[1])):
        stage = stage_name(load_id, table)
        if stage not in present:      # applied, and its staged tables already being dropped
            continue
        if part in _partitions(conn, stage):
            conn.exec_driver_sql(f"ALTER TABLE {table} REPLACE PARTITION ID '{part}' FROM {stage}")
        else:                         # every row of that month moved elsewhere
            conn.exec_driver_sql(f"ALTER TABLE {table} DROP PARTITION ID '{part}'")
    if entries:
        kind, lo, hi = entries[0][2], _when(entries[0][3]), _when(entries[0][4])
        rollups.refresh(conn, kind, (lo, hi), load_id)
    _drop(conn, _staged_of(present, load_id))
    _drop(conn, [f"{COMMIT}{load_id}"])


def recover(conn: sa.Connection, roll_back_all: bool) -> list[tuple[str, int]]:
    """Finish every committed load (ascending) and drop the private tables of loads that never
    committed — all of them when ``roll_back_all`` (this process owns the warehouse), else only claims
    older than ``STALE_CLAIM_HOURS``.  Returns what was done: [("applied" | "rolled_back", load id)]."""
    tables = _tables(conn)
    markers = {(m.group(1), int(m.group(2))): name for name in tables if (m := _MARKER.match(name))}
    done: list[tuple[str, int]] = []
    for load_id in sorted(i for kind, i in markers if kind == COMMIT):
        apply(conn, load_id)
        done.append(("applied", load_id))
    committed = {i for kind, i in markers if kind == COMMIT}
    claimed = {i for kind, i in markers if kind == JOURNAL}
    orphans = {int(m.group(1)) for t in tables if (m := _STAGED.match(t))} - committed - claimed
    for load_id in sorted(claimed | orphans):
        claim = tables.get(f"{JOURNAL}{load_id}")
        if not roll_back_all and claim is not None and _age_seconds(claim) < STALE_CLAIM_HOURS * 3600:
            continue
        _drop(conn, [*_staged_of(tables, load_id), f"{JOURNAL}{load_id}"])
        done.append(("rolled_back", load_id))
    return done
