"""Roll-ups: Σ numerator and Σ denominator of every sum-based KPI, pre-summed per month and group.

A roll-up is **the builder's own query** (``metrics.query``) for one source, one month, every KPI
measure of that source, grouped by a grain of dimensions, with no scope and no filter.  Summing
its rows over any months, groups, scope and filters that its grain contains gives exactly the
sums the builder computes from the facts: the scope and the filters are conditions on the
dimension columns, and a sum of sums is the sum.  So no KPI is implemented twice.

The lattice (``GRAINS``), chosen for the pages' questions and measured in ``docs/benchmarks.md``:
- ``org``: month × team × region × store × division × channel — every page's cards, trends and
  tables by team, region or store, under any scope and sidebar filter except an agent;
- ``full``: month × every dimension the source has (agent, category, member level too) — the
  agent tables and the category breakdowns.  ``org`` is summed from ``full``, not from the facts.

Sources rolled up: those whose facts are one row per event *after* the scope is applied.  The
buyers source (distinct customers, "returning" judged within the viewer's scope) is not: its
KPIs stay on the facts.  The inquiry source's first inquiry per customer and month is chosen
before the scope, so its roll-up is exact, and its conversion looks ``window_days`` ahead: the
roll-up's lookback makes a sales load rebuild the months of the inquiries it may convert.

Freshness: a roll-up's fingerprint is a hash of its SQL and settings parameters; a settings
change that alters a definition changes it.  The builder reads a roll-up only when the
fingerprint matches the settings in force, its data version is the warehouse's, and it covers
every month asked — otherwise it answers from the facts.  ``build`` rebuilds (the settings page
shows its progress); the loads keep current roll-ups current (``warehouse/rollups.py``).
"""
from __future__ import annotations

import functools
import hashlib
import json
import re
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Callable

import sqlalchemy as sa

from metrics.registry import METRICS
from metrics.scope import NO_FILTERS, Scope
from metrics.settings import Settings, load_settings
from metrics.sources import DIMENSIONS, SOURCES
from metrics.statements import _source_query, _with_facts   # the builder's own statements
from warehouse import rollups as store
from warehouse.kinds import EVENT_KINDS, SCHEMAS
from warehouse.schema import DATA_TABLES

FORMAT = 1   # bump when the shape of a roll-up table changes
ORG = ("team", "region", "store", "division", "channel")
GRAINS: tuple[tuple[str, tuple[str, ...] | None], ...] = (("full", None), ("org", ORG))
# (a source reading another's rows — the customers, from the buyers' rows — has no rows roll-up of its
# own; its KPIs have per-level ones, ``_distinct``, read before the rows)
ROLLED_UP = tuple(k for k, s in SOURCES.items() if s.rollup != "none" and s.rows_of is None)
DISTINCT_LEVELS = (None, "region", "store", "team")   # a "rows" source's per-level roll-ups (None: all)
PROBE = date(2000, 1, 1)
_MONTH_PARAMS = {"start": "rollup_start", "end": "rollup_end", "bm0": "rollup_month", "be0": "rollup_end",
                 "cm0": "rollup_month", "rows_from": "rollup_start"}
_MONTH_PARAM = re.compile(rf":({'|'.join(_MONTH_PARAMS)})\b")   # a statement's month parameters, renamed


@dataclass(frozen=True)
class Definition(store.Spec):
    """A roll-up as the settings in force define it: the stored spec, and what the builder needs to
    read it."""
    stores: str = "sums"         # "sums" per group, the source's "rows" stage (SOURCES[…].rollup),
                                 # "distinct": a rows source's KPIs per level value (not summable), or
                                 # "cross": the customers whose rows span several values of a level
    columns: dict[str, str] = field(default_factory=dict)   # measure SQL → roll-up column

    def stored(self, first: date | None, last: date | None, version: int) -> store.Rollup:
        """The ``rollups`` row of this roll-up holding ``first``–``last`` as of ``version``."""
        spec = {f.name: getattr(self, f.name) for f in fields(store.Spec)}
        return store.Rollup(**spec, first_month=first, last_month=last, data_version=version)


def measures(source: str) -> dict[str, str]:
    """Every distinct Σ expression of the source's KPIs → its roll-up column (m0, m1…), in KPI order."""
    out: dict[str, str] = {}
    for m in METRICS:
        if m.source == source:
            for part in (m.numerator, m.denominator):
                if part is not None:
                    out.setdefault(part.sql(), f"m{len(out)}")
    return out


def _grain(source: str, grain: tuple[str, ...] | None) -> tuple[str, ...]:
    dims = tuple(d for d in DIMENSIONS if d != "month" and d in SOURCES[source].dims)
    return dims if grain is None else tuple(d for d in dims if d in grain)


def definitions(settings: Settings) -> list[Definition]:
    """Every roll-up under ``settings``, parents before the grains summed from them."""
    return list(_definitions(settings))


@functools.lru_cache(maxsize=16)
def _definitions(settings: Settings) -> tuple[Definition, ...]:
    """``definitions``, made once per settings (every figure asks for them: 13 ms each time, 8 % of a
    manager's first open of the overview)."""
    out = []
    for source in ROLLED_UP:
        stores = SOURCES[source].rollup
        cols = measures(source)
        parent: Definition | None = None
        for label, grain in (GRAINS if stores == "sums" else GRAINS[:1]):
            dims = _grain(source, grain)
            if parent is not None and dims == parent.grain:   # (store operations: org is their full grain)
                continue
            name = f"rollup_{source}_{label}"
            if parent is None and stores == "rows":   # the rows stage itself, one month of history
                with_sql, params, expanding = _with_facts(source, months=(PROBE,), dims=("month", *dims),
                                                          filters=NO_FILTERS, scope=Scope.all(), settings=settings)
                sql = with_sql.split("\nscoped AS (")[0].rstrip(",") + "\nSELECT * FROM src_rows"
            elif parent is None:
                q = _source_query(source, months=(PROBE,), dims=("month", *dims), group={d: d for d in ("month", *dims)},
                                  measures={c: e for e, c in cols.items()}, filters=NO_FILTERS, scope=Scope.all(),
                                  settings=settings)
                sql, params, expanding = q.sql, q.params, q.expanding
            if parent is None:
                sql = _MONTH_PARAM.sub(lambda mt: ":" + _MONTH_PARAMS[mt.group(1)], sql)
                params = {k: v for k, v in params.items() if k not in _MONTH_PARAMS}
                bad = [k for k, v in params.items() if isinstance(v, (date, list, tuple))]
                assert not bad and not expanding, f"a roll-up takes settings only, not {bad or expanding}"
                reads = tuple(t for t in DATA_TABLES if re.search(rf"\b(FROM|JOIN)\s+{t}\b", sql))
                lookback = settings.window_days + 1 if "sales" in reads and "tickets" in reads else 0
                parent_name = None
            else:
                group = ", ".join(("month", *dims))
                sums = ", ".join(f"SUM({c}) AS {c}" for c in ("fact_rows", *cols.values()))
                sql = f"SELECT {group}, {sums} FROM {parent.name} WHERE month = :rollup_month GROUP BY {group}"
                params, reads, lookback, parent_name = {}, parent.reads, parent.lookback_days, parent.name
            every_month = SOURCES[source].every_month
            body = json.dumps([FORMAT, sql, params, dims, parent_name, parent.fingerprint if parent else None,
                               lookback, *(["every_month"] if every_month else [])], default=str, sort_keys=True)
            d = Definition(name=name, source=source, grain=dims, parent=parent_name, sql=sql, params=params,
                           reads=reads, lookback_days=lookback, fingerprint=hashlib.sha256(body.encode()).hexdigest()[:16],
                           every_month=every_month, stores=stores, columns=cols)
            out.append(d)
            parent = parent or d
        if stores == "rows":
            out += _distinct(source, parent, cols, settings)
            # the sources reading these rows (customers over their history) have per-level KPIs too
            for other, s in SOURCES.items():
                if s.rows_of == source and measures(other):
                    out += _distinct(other, parent, measures(other), settings)
            out += _crossers(source, parent)
    return tuple(out + day_definitions())


def day_definitions() -> list[Definition]:
    """Per kind with an event time, its rows per calendar day: which months hold data and which
    days of them are loaded (the month picker, the default month and completeness), read on a page's
    first open instead of a DISTINCT over every fact (1.4 s + 0.8 s at 10 M rows).  Not a KPI's
    roll-up: ``choose`` never picks one (its source is ``days:<kind>``)."""
    out = []
    for kind in EVENT_KINDS:
        column = SCHEMAS[kind].event
        sql = (f"SELECT CAST(date_trunc('month', {column}) AS DATE) AS month, CAST({column} AS DATE) AS day,"
               f" COUNT(*) AS fact_rows FROM {kind}"
               f" WHERE {column} >= :rollup_start AND {column} < :rollup_end GROUP BY 1, 2")
        body = json.dumps([FORMAT, sql], sort_keys=True)
        out.append(Definition(name=f"rollup_days_{kind}", source=f"days:{kind}", grain=("day",), parent=None,
                              sql=sql, params={}, reads=(kind,), lookback_days=0,
                              fingerprint=hashlib.sha256(body.encode()).hexdigest()[:16], stores="days"))
    return out


def day_tables(conn: sa.Connection) -> dict[str, str] | None:
    """kind → its days roll-up, when every one is current (built by this program, as of the data
    version); None: count from the facts."""
    state, version = current(conn)
    out = {}
    for d in day_definitions():
        s = state.get(d.name)
        if s is None or s.fingerprint != d.fingerprint or s.data_version != version:
            return None
        out[d.reads[0]] = d.name
    return out


def _distinct(source: str, rows: Definition, cols: dict[str, str], settings: Settings) -> list[Definition]:
    """The KPIs of a "rows" source (distinct buyers) per month for the whole company and per region,
    store and team: the builder's query over the rows roll-up, one group per level value.  Such a
    figure cannot be summed over several values (a customer of two stores is one buyer), so the
    builder reads these only when each group of its answer is one value (``choose``)."""
    out = []
    for level in DISTINCT_LEVELS:
        dims = (level,) if level else ()
        q = _source_query(source, months=(PROBE,), dims=("month", *dims), group={d: d for d in ("month", *dims)},
                          measures={c: e for e, c in cols.items()}, filters=NO_FILTERS, scope=Scope.all(),
                          settings=settings, rows_table=rows.name)
        sql = _MONTH_PARAM.sub(lambda mt: ":" + _MONTH_PARAMS[mt.group(1)], q.sql)
        params = {k: v for k, v in q.params.items() if k not in _MONTH_PARAMS}
        body = json.dumps([FORMAT, sql, params, dims, rows.name, rows.fingerprint], default=str, sort_keys=True)
        out.append(Definition(name=f"rollup_{source}_by_{level or 'all'}", source=source, grain=dims, parent=rows.name,
                              sql=sql, params=params, reads=rows.reads, lookback_days=rows.lookback_days,
                              fingerprint=hashlib.sha256(body.encode()).hexdigest()[:16], stores="distinct",
                              columns=cols))
    return out


def _crossers(source: str, rows: Definition) -> list[Definition]:
    """Per level (region, store, team): the customers whose rows span more than one value of the level,
    with those values, each (customer, value) stored once — in the month the customer became a crosser
    (all their values up to then), or later in the month a new value first appears.  The crossers as
    of a month are those with two values among the rows of that month and before.  They make a total
    over several values exact from the per-level roll-ups (``Crossing``)."""
    out = []
    for level in DISTINCT_LEVELS:
        if level is None:
            continue
        sql = (f"WITH pairs AS (SELECT customer_id, {level}, MIN(month) AS first_month FROM {rows.name}"
               f" WHERE month <= :rollup_month AND {level} IS NOT NULL GROUP BY customer_id, {level}),"
               " crossing AS (SELECT customer_id FROM pairs GROUP BY customer_id HAVING COUNT(*) > 1),"
               " crossed_before AS (SELECT customer_id FROM pairs WHERE first_month < :rollup_month"
               " GROUP BY customer_id HAVING COUNT(*) > 1)"
               f" SELECT CAST(:rollup_month AS DATE) AS month, p.customer_id, p.{level}, 1 AS fact_rows FROM pairs p"
               " WHERE p.customer_id IN (SELECT customer_id FROM crossing) AND (p.first_month = :rollup_month"
               " OR p.customer_id NOT IN (SELECT customer_id FROM crossed_before))")
        body = json.dumps([FORMAT, sql, rows.name, rows.fingerprint], sort_keys=True)
        out.append(Definition(name=f"rollup_{source}_cross_{level}", source=f"cross:{source}", grain=(level,),
                              parent=rows.name, sql=sql, params={}, reads=rows.reads, lookback_days=rows.lookback_days,
                              fingerprint=hashlib.sha256(body.encode()).hexdigest()[:16], stores="cross"))
    return out


def _restriction(scope: Scope, filters) -> dict[str, frozenset | None]:
    """Per level column: the values the scope and the filters together allow (None: any)."""
    chosen = dict(filters.items())
    out = {}
    for column, allowed in (("region", scope.regions), ("store", scope.stores), ("team", scope.teams)):
        pick = chosen.get(column)
        out[column] = (None if allowed is None and pick is None else frozenset(allowed if pick is None else
                       pick if allowed is None else set(allowed) & set(pick)))
    return out


@dataclass(frozen=True)
class Crossing:
    """A total over several values of one level, exact from roll-ups: Σ of the level's per-value figures,
    less the crossing customers' per-value facts, plus their facts over the values together (a
    customer of one value has the same facts either way).  ``rows``: the rows roll-up the crossing
    customers' facts are read from."""
    level: str
    values: tuple[str, ...]
    by_level: Definition
    cross: Definition
    rows: Definition


def crossing(defs: list[Definition], state: dict[str, store.Rollup], version: int, source: str,
             months: tuple[date, ...], dims: tuple[str, ...], scope: Scope, filters) -> Crossing | None:
    """When ``choose`` finds no roll-up for a distinct-count source because several values of one level
    are asked together (two regions), and nothing else is restricted or grouped: the roll-ups that
    answer it exactly by ``Crossing``; None otherwise."""
    if not isinstance(scope, Scope) or set(dims) - {"month"} or ("month" not in dims and len(months) != 1):
        return None
    limits = _restriction(scope, filters)
    if {c for c, _ in filters.items()} - set(limits):
        return None
    restricted = [(c, v) for c, v in limits.items() if v is not None]
    if len(restricted) != 1 or len(restricted[0][1]) < 2:
        return None
    level, values = restricted[0]
    rows_of = SOURCES[source].rows_of or source
    wanted = {"by_level": f"rollup_{source}_by_{level}", "cross": f"rollup_{rows_of}_cross_{level}",
              "rows": f"rollup_{rows_of}_full"}
    found = {}
    for role, name in wanted.items():
        d = next((d for d in defs if d.name == name), None)
        s = state.get(name)
        if (d is None or s is None or s.fingerprint != d.fingerprint or s.data_version != version
                or s.last_month is None or months[-1] > s.last_month):
            return None
        found[role] = d
    return Crossing(level, tuple(sorted(values)), **found)


def _one_group_each(d: Definition, dims: tuple[str, ...], months: tuple[date, ...], scope: Scope, filters) -> bool:
    """A distinct-count roll-up answers exactly when every group of the answer is one of its rows: by
    month or for one month (a customer of two months is one buyer of the two), nothing restricted
    but its level, and its level either grouped by or pinned to one value."""
    if "month" not in dims and len(months) != 1:
        return False
    level = d.grain[0] if d.grain else None
    limits = {"region": scope.regions, "store": scope.stores, "team": scope.teams}
    if any(v is not None for column, v in limits.items() if column != level):
        return False
    if level is None:
        return not dict(filters.items())
    if level in dims:
        return True
    values = _restriction(scope, filters)[level]
    return values is not None and len(values) == 1


def choose(defs: list[Definition], state: dict[str, store.Rollup], version: int, source: str,
           needed: set[str], months: tuple[date, ...], dims: tuple[str, ...] = (), scope: Scope = Scope.all(),
           filters=NO_FILTERS) -> Definition | None:
    """The smallest current roll-up of ``source`` whose grain has every column ``needed`` and that
    covers ``months``; None when only the facts can answer exactly.  The columns the viewer's scope
    limits are needed too: a source without one (a store's audits have no team) answers a viewer
    limited on it from its facts, where that column is empty, so such a viewer sees none of it."""
    if isinstance(scope, Scope):   # (no scope: the builder refuses the request itself, naming it)
        needed = needed | {column for column, allowed in (("region", scope.regions), ("store", scope.stores),
                                                          ("team", scope.teams)) if allowed is not None}
    fitting = []
    for d in defs:
        s = state.get(d.name)
        # a roll-up covers every month up to its last: it starts at the earliest time in the tables it
        # reads (less its lookback), and before that month the facts have no rows either
        if (d.source == source and needed <= set(d.grain) and s is not None and s.fingerprint == d.fingerprint
                and s.data_version == version and s.last_month is not None and months[-1] <= s.last_month
                and (d.stores != "distinct" or _one_group_each(d, dims, months, scope, filters))):
            fitting.append(d)
    return min(fitting, key=lambda d: len(d.grain)) if fitting else None


def current(conn: sa.Connection) -> tuple[dict[str, store.Rollup], int]:
    """The stored roll-ups and the warehouse's data version, read in one go by the builder."""
    return {r.name: r for r in store.read_state(conn)}, store.data_version(conn)


def status(wh, settings: Settings | None = None) -> list[dict]:
    """Per declared roll-up: stored or not, current or stale (and why), months covered, rows."""
    settings = settings or load_settings(wh)
    out = []
    with wh.connect() as conn:
        state, version = current(conn)
        for d in definitions(settings):
            s = state.get(d.name)
            why = ("missing" if s is None else "settings" if s.fingerprint != d.fingerprint
                   else "data" if s.data_version != version else "")
            rows = int(conn.execute(sa.text(f"SELECT count(*) FROM {d.name}")).scalar()) if s is not None else 0
            out.append({"rollup": d.name, "source": d.source, "grain": "×".join(("month", *d.grain)),
                        "state": "stale" if why else "current", "why": why,
                        "first_month": s.first_month if s else None, "last_month": s.last_month if s else None,
                        "rows": rows})
    return out


def is_current(wh, settings: Settings | None = None) -> bool:
    return all(r["state"] == "current" for r in status(wh, settings))


def _data_months(conn: sa.Connection, reads: tuple[str, ...]) -> tuple[date | None, date | None]:
    """First and last month of any time in the tables a roll-up reads (tables with an event time)."""
    parts = [f"SELECT MIN(CAST({c} AS TIMESTAMP)) AS lo, MAX(CAST({c} AS TIMESTAMP)) AS hi FROM {t}"
             for t in reads if t in SCHEMAS and SCHEMAS[t].event for c in store.time_columns(t)]
    if not parts:
        return None, None
    lo, hi = conn.execute(sa.text(f"SELECT MIN(lo), MAX(hi) FROM ({' UNION ALL '.join(parts)}) u")).one()
    return (store.month_start(lo), store.month_start(hi)) if lo is not None else (None, None)


def build(wh, settings: Settings | None = None, *, progress: Callable[[float, str], None] | None = None,
          only_stale: bool = False) -> list[str]:
    """(Re)build the roll-ups for ``settings`` (default: those in force) in one transaction, every
    month of the data; ``progress(fraction, name)`` after each month.  Loads wait meanwhile."""
    settings = settings or load_settings(wh)
    defs = definitions(settings)
    built = []
    with wh.writing(), wh.begin() as conn:
        if wh.dialect == "postgresql":   # no load, and no other build, commits halfway through (reads go on)
            conn.exec_driver_sql("LOCK TABLE load_log IN SHARE ROW EXCLUSIVE MODE")
        state, version = current(conn)
        if only_stale:
            stale = {d.name for d in defs if (s := state.get(d.name)) is None or s.fingerprint != d.fingerprint
                     or s.data_version != version}
            # a coarse roll-up is summed from its parent: rebuild it when the parent is
            stale |= {d.name for d in defs if d.parent in stale}
            defs = [d for d in defs if d.name in stale]
        store.drop(conn, [name for name in state if name.startswith("rollup_") and
                          name not in {d.name for d in definitions(settings)}])
        plan = []
        with_data = store.MonthsWithData(conn)
        for d in defs:
            first, last = _data_months(conn, d.reads)
            plan.append((d, first, last, with_data.months(d, first, last, existing=False) if first else []))
        total, done = max(1, sum(len(p[-1]) for p in plan)), 0
        rows = []
        for d, first, last, months in plan:
            row = d.stored(first, last, version)
            store.create_table(conn, d.name, store.column_types(conn, d.sql, d.params))
            for m in months:
                store.build_month(conn, row, m)
                done += 1
                if progress:
                    progress(done / total, d.name)
            rows.append(row)
            built.append(d.name)
        store.save_state(conn, *rows)   # one statement: on ClickHouse a delete costs a quarter second
    return built
