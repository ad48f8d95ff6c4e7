"""Roll-up tables: pre-summed figures that the metric layer declares and every load keeps current.

The warehouse knows nothing of KPIs.  The metric layer (``metrics/rollups.py``) writes one row per
roll-up into the ``rollups`` table:
- the table's name and grain;
- the SQL that computes **one month** of it, with the bound parameters ``:rollup_start``,
  ``:rollup_end`` and ``:rollup_month`` plus its own (settings), stored as JSON;
- the data tables that SQL reads;
- how many days before a changed row its figures may look (``lookback_days``: a payment converts
  the inquiries of the days before it);
- its fingerprint, the months it covers and the data version (``max(load_id)``) it reflects.

A load calls ``touched_span`` before it replaces rows and ``refresh`` after, in its own transaction.
``refresh`` rebuilds, in every roll-up that reads the loaded table, every month from the earliest
one the file touches (its rows, the rows they replace, the rows linked to them, less the
roll-up's lookback) to the latest month covered, and marks the roll-up current with the load's
id.  A table with no event time (the roster) rebuilds every covered month.  So the roll-ups move
with the facts in the one transaction, and a roll-up that missed a load (its data version is
behind ``load_log``) is never read: the metric layer answers from the facts until it is rebuilt.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Callable, Iterable

import sqlalchemy as sa

from warehouse import clickhouse
from warehouse.kinds import SCHEMAS
from warehouse.schema import TABLES, key_match

# Rows of one table whose figures depend on rows of another, by a shared column: a callback is
# counted in its ticket's team, a resolved ticket's callback coverage in the ticket's month.
LINKS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "tickets": (("callbacks", "ticket_id", "ticket_id"),),
    "callbacks": (("tickets", "ticket_id", "ticket_id"),),
}

STATE = TABLES["rollups"]


@dataclass(frozen=True)
class Spec:
    """What a roll-up is, whatever it holds: its table, the source and grain it sums, the roll-up it
    is summed from, its SQL with month parameters, the settings parameters, the tables it reads, how
    far back a load reaches into it, and the fingerprint of all that (``metrics.rollups`` makes them)."""
    name: str
    source: str
    grain: tuple[str, ...]
    parent: str | None
    sql: str
    params: dict
    reads: tuple[str, ...]
    lookback_days: int
    fingerprint: str
    # rows in months without any event (the backlog: tickets still open at each month's end), so
    # every month from first to last is built; else only the months whose tables hold a time
    every_month: bool = False


@dataclass(frozen=True)
class Rollup(Spec):
    """One row of ``rollups``: a spec and the months it holds, as of a data version."""
    first_month: date | None = None
    last_month: date | None = None
    data_version: int = 0


def time_columns(kind: str) -> list[str]:
    """The timestamp and date columns of a data table: what places its rows in months."""
    return [c.name for c in TABLES[kind].columns if isinstance(c.type, (sa.DateTime, sa.Date))]


def month_start(d: date | datetime) -> date:
    return date(d.year, d.month, 1)


def next_month(m: date) -> date:
    return date(m.year + (m.month == 12), m.month % 12 + 1, 1)


def months_between(first: date, last: date) -> list[date]:
    out, m = [], month_start(first)
    while m <= last:
        out.append(m)
        m = next_month(m)
    return out


def read_state(conn: sa.Connection) -> list[Rollup]:
    rows = conn.execute(sa.select(STATE)).mappings().all()
    return [Rollup(name=r["name"], source=r["source"], grain=tuple(json.loads(r["grain"])), parent=r["parent"],
                   sql=r["sql"], params=json.loads(r["params"]), reads=tuple(json.loads(r["reads"])),
                   lookback_days=int(r["lookback_days"] or 0), fingerprint=r["fingerprint"],
                   every_month=bool(r["every_month"]), first_month=_as_date(r["first_month"]),
                   last_month=_as_date(r["last_month"]), data_version=int(r["data_version"] or 0)) for r in rows]


def _as_date(v) -> date | None:
    if v is None:
        return None
    return v.date() if isinstance(v, datetime) else v


def data_version(conn: sa.Connection) -> int:
    return int(conn.execute(sa.text("SELECT coalesce(max(load_id), 0) FROM load_log")).scalar())


def month_params(m: date) -> dict:
    start = datetime(m.year, m.month, 1)
    return {"rollup_start": start, "rollup_end": datetime.combine(next_month(m), datetime.min.time()),
            "rollup_month": m}


def _statement(sql: str, params: dict) -> sa.TextClause:
    expanding = [k for k, v in params.items() if isinstance(v, (list, tuple))]
    return sa.text(sql).bindparams(*(sa.bindparam(k, expanding=True) for k in expanding))


def column_types(conn: sa.Connection, sql: str, params: dict) -> list[tuple[str, str]]:
    """(name, SQL type) of the columns ``sql`` returns, as the engine types them (a sum of counts, of
    money, of seconds): the roll-up table stores exactly what the facts query would return."""
    params = {**params, **month_params(date(2000, 1, 1))}
    if conn.dialect.name == "duckdb":
        probe = f"__probe_{abs(hash(sql)) % 10**8}"
        conn.execute(_statement(f"CREATE TEMP TABLE {probe} AS SELECT * FROM ({sql}) q WHERE FALSE", params), params)
        out = [(r[0], r[1]) for r in conn.execute(sa.text(f"DESCRIBE {probe}"))]
        conn.execute(sa.text(f"DROP TABLE {probe}"))
        return [(n, "BIGINT" if t == "HUGEINT" else t) for n, t in out]
    if conn.dialect.name == clickhouse.DIALECT:
        return [(r[0], r[1]) for r in conn.execute(_statement(f"DESCRIBE (SELECT * FROM ({sql}) q WHERE FALSE)", params),
                                                 params)]
    result = conn.execute(_statement(f"SELECT * FROM ({sql}) q WHERE FALSE", params), params)
    described = [(d[0], d[1]) for d in result.cursor.description]
    result.close()
    return [(n, conn.execute(sa.text("SELECT format_type(:oid, NULL)"), {"oid": oid}).scalar())
            for n, oid in described]


def create_table(conn: sa.Connection, name: str, types: list[tuple[str, str]]) -> None:
    conn.execute(sa.text(f"DROP TABLE IF EXISTS {name}"))
    if conn.dialect.name == clickhouse.DIALECT:
        conn.execute(sa.text(clickhouse.rollup_ddl(name, types, WRITE_ORDER)))
        return
    cols = ", ".join(f'"{n}" {t}' for n, t in types)
    conn.execute(sa.text(f"CREATE TABLE {name} ({cols})"))
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text(f"CREATE INDEX ix_{name}_month ON {name} (month)"))


class MonthsWithData:
    """Which months of a span hold data for a roll-up, asked once per table in a build or a load.

    A roll-up of events has no rows in a month without events, so only the months whose tables hold
    a time in them are built, and those the roll-up holds rows for now (a re-export can empty a
    month): one stray date decades back costs a month's build, not one for every month since (456
    months × 20 roll-ups took 55 s on a warehouse of 40 rows).  ``every_month`` roll-ups get every
    month of the span."""

    def __init__(self, conn: sa.Connection):
        self.conn, self.known = conn, {}

    def _of(self, sql: str, params: dict) -> set[date]:
        return {_as_date(m) for (m,) in self.conn.execute(sa.text(sql), params) if m is not None}

    def table(self, table: str, lo: date, hi: date) -> set[date]:
        key = (table, lo, hi)
        if key not in self.known:
            params = {"lo": datetime.combine(lo, datetime.min.time()),
                      "hi": datetime.combine(next_month(hi), datetime.min.time())}
            self.known[key] = set().union(*(self._of(
                f"SELECT DISTINCT CAST(date_trunc('month', {c}) AS DATE) FROM {table} WHERE {c} >= :lo AND {c} < :hi",
                params) for c in time_columns(table)))
        return self.known[key]

    def months(self, r: Spec, lo: date, hi: date, existing: bool = True) -> list[date]:
        span = months_between(lo, hi)
        if r.every_month or not span:
            return span
        held = set().union(*(self.table(t, lo, hi) for t in r.reads if t in SCHEMAS and SCHEMAS[t].event))
        if existing:
            held |= self._of(f"SELECT DISTINCT month FROM {r.name} WHERE month >= :a AND month <= :b", {"a": lo, "b": hi})
        return [m for m in span if m in held]


# a roll-up's rows are written in the order of the scope's columns, so that the row groups of a DuckDB
# roll-up each hold few regions and stores and a region or store filter skips the others (zone maps):
# at 10 M orders a region's buyers were a scan of all 9 M per-customer rows
WRITE_ORDER = ("region", "store", "team")


def build_month(conn: sa.Connection, r: Rollup, m: date) -> None:
    params = {**r.params, **month_params(m)}
    if conn.dialect.name == clickhouse.DIALECT:
        clickhouse.clear_month(conn, r.name, m)
    else:
        conn.execute(sa.text(f"DELETE FROM {r.name} WHERE month = :m"), {"m": m})
    order = [c for c in WRITE_ORDER if c in r.grain]
    sql = f"SELECT * FROM ({r.sql}) built ORDER BY {', '.join(order)}" if order else r.sql
    conn.execute(_statement(f"INSERT INTO {r.name} {sql}", params), params)


def save_state(conn: sa.Connection, *states: Rollup) -> None:
    """The rows of ``rollups`` for these roll-ups, replaced in one delete and one insert (a delete is a
    mutation on ClickHouse, a quarter of a second each: one per roll-up made a small load take 10 s)."""
    if not states:
        return
    built_at = datetime.now().replace(microsecond=0)
    conn.execute(STATE.delete().where(STATE.c.name.in_([r.name for r in states])))
    conn.execute(STATE.insert(), [dict(
        name=r.name, source=r.source, grain=json.dumps(list(r.grain)), parent=r.parent, sql=r.sql,
        params=json.dumps(r.params, default=str), reads=json.dumps(list(r.reads)), lookback_days=r.lookback_days,
        fingerprint=r.fingerprint, every_month=r.every_month, first_month=r.first_month, last_month=r.last_month,
        data_version=r.data_version, built_at=built_at) for r in states])


def drop(conn: sa.Connection, names: Iterable[str]) -> None:
    for name in names:
        conn.execute(sa.text(f"DROP TABLE IF EXISTS {name}"))
        conn.execute(STATE.delete().where(STATE.c.name == name))


# ------------------------------------------------------------------ inside a load's transaction
def touched_span(conn: sa.Connection, kind: str, source: str) -> tuple[datetime | None, datetime | None]:
    """Earliest and latest time among the rows a load brings (``source``, a table or attached table),
    the rows they replace, and the rows linked to either.  Run before the load deletes anything."""
    cols = time_columns(kind)
    if not cols or not conn.execute(sa.text("SELECT count(*) FROM rollups")).scalar():
        return None, None
    # the rows replaced, as a join (the file's keys are unique): engines hash it, where a correlated
    # EXISTS ran for minutes on ClickHouse
    replaced = f"{kind} t JOIN {source} s ON {key_match(kind)}"
    parts = [f"SELECT {c} AS ts FROM {source}" for c in cols]
    parts += [f"SELECT t.{c} AS ts FROM {replaced}" for c in cols]
    for other, mine, theirs in LINKS.get(kind, ()):
        keys = f"(SELECT {mine} FROM {source} UNION SELECT t.{mine} FROM {replaced})"
        parts += [f"SELECT o.{c} AS ts FROM {other} o WHERE o.{theirs} IN {keys}" for c in time_columns(other)]
    union = " UNION ALL ".join(f"SELECT CAST(ts AS TIMESTAMP) AS ts FROM ({p}) x{i}" for i, p in enumerate(parts))
    row = conn.execute(sa.text(f"SELECT MIN(ts), MAX(ts) FROM ({union}) u")).one()
    return row[0], row[1]


def refresh(conn: sa.Connection, kind: str, span: tuple[datetime | None, datetime | None], load_id: int,
            progress: Callable[[float], None] | None = None) -> list[str]:
    """Bring every roll-up that was current before this load up to it: the months the load touched
    rebuilt, its data version set to ``load_id``.  A roll-up already behind is left behind (it is
    not read).  Returns the names rebuilt."""
    before = int(conn.execute(sa.text("SELECT coalesce(max(load_id), 0) FROM load_log WHERE load_id < :l"),
                              {"l": load_id}).scalar())
    current = [r for r in read_state(conn) if r.data_version == before]
    # parents first: a coarse roll-up sums its parent's rows
    current.sort(key=lambda r: r.parent is not None)
    event = SCHEMAS[kind].event if kind in SCHEMAS else None
    rebuilt: list[str] = []
    months_of: dict[str, tuple[list[date], date | None]] = {}   # name → (months rebuilt, last month of the span)
    with_data = MonthsWithData(conn)
    saved: list[Rollup] = []
    for r in current:
        months: list[date] = []
        reach: date | None = None
        if r.parent is not None and r.parent not in months_of:
            continue                         # its parent is behind: so is it
        if r.parent is not None:
            months, reach = months_of[r.parent]
        elif kind in r.reads and event is None:
            months = with_data.months(r, r.first_month, r.last_month) if r.first_month else []
        elif kind in r.reads and span[0] is not None:
            lo, reach = month_start(span[0] - timedelta(days=r.lookback_days)), month_start(span[1])
            if r.last_month is not None:     # keep the covered months contiguous
                reach = max(reach, r.last_month)
                lo = min(lo, next_month(r.last_month))
            months = with_data.months(r, lo, reach)
        months_of[r.name] = (months, reach)
        for m in months:
            build_month(conn, r, m)
        # the span is covered whether its months were built or found without data
        covered = [m for m in (r.first_month, r.last_month, *months) if m is not None]
        if covered and reach is not None:
            covered.append(reach)
        first, last = (min(covered), max(covered)) if covered else (None, None)
        saved.append(Rollup(**{**r.__dict__, "first_month": first, "last_month": last, "data_version": load_id}))
        if months:
            rebuilt.append(r.name)
    save_state(conn, *saved)   # current once every month is rebuilt
    return rebuilt
