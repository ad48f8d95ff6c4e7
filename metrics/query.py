"""The one query builder: (KPIs, dimensions, months, filters, scope) → figures.

One grouped SELECT per source that the requested KPIs need, each computing every Σ numerator and
Σ denominator of those KPIs in one pass, with bound parameters and the viewer's scope always
applied.  Division happens at the end, on the sums: a rate at any level of roll-up is
Σ numerator / Σ denominator, and an empty denominator gives an empty value (NaN, shown "—").

``compute`` returns a long DataFrame, one row per group and KPI:
``month, <dims…>, kpi, value, numerator, denominator, pending, basis``.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Iterable, Sequence

import numpy as np
import pandas as pd
import sqlalchemy as sa

from metrics.errors import MetricError
from metrics.months import last_day, month_key, normalise
from metrics import rollups
from metrics.statements import Query, _scope_where, _source_query, _with_facts  # noqa: F401 - the builder's SQL
from metrics.registry import BY_KEY, KEYS, Metric, metric
from metrics.scope import NO_FILTERS, Filters, Scope
from metrics.settings import Settings, load_settings
from metrics.sources import DIMENSIONS, SOURCES
from texts import Message
from warehouse.safety import mask_phone

RESULT_COLUMNS = ("kpi", "value", "numerator", "denominator", "pending", "basis")

def check_dims(dims: Iterable[str]) -> tuple[str, ...]:
    dims = tuple(dims)
    unknown = [d for d in dims if d not in DIMENSIONS]
    if unknown:
        raise MetricError("metric.unknown_dims", dims="、".join(unknown), known=", ".join(DIMENSIONS))
    if len(set(dims)) != len(dims):
        raise MetricError("metric.repeated_dims", dims=", ".join(dims))
    return ("month",) + tuple(d for d in dims if d != "month") if "month" in dims else dims


def resolve_kpis(kpis: Iterable[str] | None, dims: tuple[str, ...]) -> list[Metric]:
    """The KPIs asked for (all that fit the dimensions when None), or a MetricError naming the misfits."""
    if kpis is None:
        return [m for m in BY_KEY.values() if set(dims) <= SOURCES[m.source].dims]
    chosen = [metric(k) for k in dict.fromkeys(kpis)]
    misfits = [Message("metric.misfit", kpi=m.key, dims="、".join(sorted(set(dims) - SOURCES[m.source].dims)))
               for m in chosen if not set(dims) <= SOURCES[m.source].dims]
    if misfits:
        raise MetricError("metric.misfits", misfits=misfits)
    return chosen


def _rollup_query(d: "rollups.Definition", *, months: tuple[date, ...], dims: tuple[str, ...],
                  measures: dict[str, str], filters: Filters, scope: Scope) -> Query:
    """The same grouped sums as ``_source_query``, read from a roll-up: Σ of its per-group sums, with
    the same scope and filter conditions (its grain has every column they name)."""
    params: dict = {"rollup_months": list(months)}
    where, expanding = _scope_where(scope, filters, months, params)
    select = [*dims, "COALESCE(SUM(fact_rows), 0) AS fact_rows",
              *(f"SUM({d.columns[expr]}) AS {alias}" for alias, expr in measures.items())]
    group_by = f"\nGROUP BY {', '.join(dims)}" if dims else ""
    sql = (f"SELECT {', '.join(select)}\nFROM {d.name}\n"
           f"WHERE month IN :rollup_months AND {where}{group_by}")
    return Query(d.source, sql, params, ("rollup_months", *expanding), dims, measures, rollup=d.name)


def _crossing_query(c: "rollups.Crossing", key: str, *, months: tuple[date, ...], dims: tuple[str, ...],
                    measures: dict[str, str], filters: Filters, scope: Scope, settings: Settings) -> Query:
    """A distinct-count source's sums over several values of one level (``rollups.Crossing``): the
    level roll-up's rows of those values, plus the crossing customers' facts over the values together,
    less their facts per value — one statement."""
    crossers = (f"customer_id IN (SELECT customer_id FROM {c.cross.name} WHERE month <= :cross_month"
                f" AND {c.level} IN :cross_values GROUP BY customer_id HAVING COUNT(DISTINCT {c.level}) > 1)")
    parts = [_rollup_query(c.by_level, months=months, dims=dims, measures=measures, filters=filters, scope=scope),
             _source_query(key, months=months, dims=dims, group={d: d for d in dims}, measures=measures,
                           filters=filters, scope=scope, settings=settings, rows_table=c.rows.name,
                           rows_where=crossers),
             _source_query(key, months=months, dims=(*dims, c.level), group={d: d for d in (*dims, c.level)},
                           measures=measures, filters=filters, scope=scope, settings=settings,
                           rows_table=c.rows.name, rows_where=crossers)]
    params: dict = {"cross_month": months[-1], "cross_values": list(c.values)}
    for q in parts:
        for k, v in q.params.items():
            assert params.get(k, v) == v, f"parameter {k} differs between the parts"
            params[k] = v
    columns = ["fact_rows", *measures]
    # every part's sums negated once or twice: the same type in every part of the UNION on every engine
    # (ClickHouse types a count UInt64 and its negation Int64, and has no common type for the two)
    select = lambda q, sign: ("SELECT " + ", ".join([*dims, *(f"{sign}(-{col}) AS {col}" for col in columns)])  # noqa: E731
                              + f" FROM ({q.sql}) part")
    union = " UNION ALL ".join([select(parts[0], "-"), select(parts[1], "-"), select(parts[2], "")])
    sums = ", ".join(f"SUM({col}) AS {col}" for col in columns)
    sql = (f"SELECT {', '.join([*dims, sums])} FROM ({union}) parts"
           + (f" GROUP BY {', '.join(dims)}" if dims else ""))
    expanding = tuple(dict.fromkeys(["cross_values", *(n for q in parts for n in q.expanding)]))
    return Query(key, sql, params, expanding, dims, measures, rollup=f"{c.by_level.name}+{c.cross.name}")


def plan(kpis: Sequence[Metric], *, months: Sequence[date], dims: tuple[str, ...], filters: Filters,
         scope: Scope, settings: Settings, stored: tuple[dict, int] | None = None) -> list[Query]:
    """The queries ``compute`` runs: one per source, every KPI of that source in the one SELECT —
    from a roll-up when ``stored`` (the roll-ups' state and the data version) has one that answers
    exactly, else from the facts."""
    months = normalise(months)
    defs = rollups.definitions(settings) if stored is not None else []
    needed = (set(dims) | {column for column, _ in filters.items()}) - {"month"}
    by_source: dict[str, list[Metric]] = {}
    for m in kpis:
        by_source.setdefault(m.source, []).append(m)
    queries = []
    for key, members in by_source.items():
        exprs: dict[str, str] = {}
        for m in members:
            for part in (m.numerator, m.denominator):
                if part is not None:
                    exprs.setdefault(part.sql(), f"c{len(exprs)}")
        measures = {a: e for e, a in exprs.items()}
        rows_of = SOURCES[key].rows_of   # its own per-level roll-ups, else the rows of the source it reads
        chosen = (rollups.choose(defs, *stored, key, needed, months, dims=dims, scope=scope, filters=filters)
                  if stored is not None else None)
        # several values of one level (two regions): the level's roll-up and the crossing customers,
        # rather than every customer's rows
        if (chosen is None or chosen.stores == "rows") and stored is not None and SOURCES[key].rollup == "rows":
            crossing = rollups.crossing(defs, *stored, key, months, dims, scope, filters)
            if crossing is not None:
                queries.append(_crossing_query(crossing, key, months=months, dims=dims, measures=measures,
                                               filters=filters, scope=scope, settings=settings))
                continue
        if chosen is None and rows_of and stored is not None:
            chosen = rollups.choose([d for d in defs if d.stores == "rows"], *stored, rows_of, needed, months,
                                    dims=dims, scope=scope, filters=filters)
        if chosen is not None and chosen.stores == "rows":
            queries.append(_source_query(key, months=months, dims=dims, group={d: d for d in dims},
                                         measures=measures, filters=filters, scope=scope, settings=settings,
                                         rows_table=chosen.name))
            continue
        if chosen is not None:
            queries.append(_rollup_query(chosen, months=months, dims=dims, measures=measures, filters=filters,
                                         scope=scope))
            continue
        queries.append(_source_query(key, months=months, dims=dims, group={d: d for d in dims},
                                     measures=measures, filters=filters, scope=scope, settings=settings))
    return queries


def aggregate(wh, source: str, *, group: dict[str, str], measures: dict[str, str], months: Sequence[str | date],
              filters: Filters = NO_FILTERS, scope: Scope, settings: Settings | None = None,
              use_rollups: bool = True, first: tuple[str, str, int] | None = None,
              params: dict | None = None, where: str | None = None, expanding: tuple[str, ...] = (),
              outer: str | None = None) -> pd.DataFrame:
    """A grouped query over a source's facts that is not a KPI (staffing intervals, weekly series,
    the sidebar's filter values), through the same scope and filters: ``group`` and ``measures`` are
    SQL over the facts columns.  Read from a roll-up when the groups are dimension columns of one and
    every measure is one of its KPI sums (the filter values: a roll-up's groups with rows).

    ``first = (partition, order, n)`` keeps only the first ``n`` groups of each ``partition`` in
    ``order`` (both SQL over the group columns), numbered in a column ``nth`` — in the warehouse, so
    a draw over a month's 450,000 tickets sends back only what is drawn.  ``params``: bound parameters
    the measures or ``where`` name (``:name``; ``expanding``: those that are lists); ``where``: a
    condition over the facts, after the scope and filters (it can only narrow them).  ``outer``: a SELECT
    over the grouped result, ``{grouped}`` in it (a subquery to alias), with a ``fact_rows`` column — so that a
    summary of many groups (RFM cells over 800,000 customers) comes back as its few rows.  A source whose
    facts are computed from its rows (buyers,
    customers) reads its rows from their roll-up when one is current."""
    months = normalise(months)
    settings = settings or load_settings(wh)
    # the groups that are dimensions: the sources whose facts are per group (buyers, customers) need them
    fact_dims = tuple(d for d in DIMENSIONS if group.get(d) == d)
    with wh.connect() as conn:
        q = None
        if use_rollups and first is None and where is None and outer is None and all(k == v for k, v in group.items()):
            dims = tuple(group)
            needed = (set(dims) | {column for column, _ in filters.items()}) - {"month"}
            d = rollups.choose(rollups.definitions(settings), *rollups.current(conn), source, needed, months,
                               dims=dims, scope=scope, filters=filters)
            if d is not None and d.stores == "sums" and all(e in d.columns for e in measures.values()):
                q = _rollup_query(d, months=months, dims=dims, measures=measures, filters=filters, scope=scope)
        if q is None and use_rollups and SOURCES[source].rollup == "rows":
            needed = {column for column, _ in filters.items()} - {"month"}
            rows = rollups.choose([d for d in rollups.definitions(settings) if d.stores == "rows"],
                                  *rollups.current(conn), SOURCES[source].rows_of or source, needed, months,
                                  scope=scope, filters=filters)
            if rows is not None:
                q = _source_query(source, months=months, dims=fact_dims, group=group, measures=measures,
                                  filters=filters, scope=scope, settings=settings, rows_table=rows.name, where=where)
        if q is None:
            q = _source_query(source, months=months, dims=fact_dims, group=group, measures=measures, filters=filters,
                              scope=scope, settings=settings, where=where)
        if params:
            q = replace(q, params={**q.params, **params}, expanding=(*q.expanding, *expanding))
        if first is not None:
            partition, order, n = first
            q = replace(q, sql=f"SELECT * FROM (SELECT g.*, ROW_NUMBER() OVER (PARTITION BY {partition} ORDER BY {order})"
                               f" AS nth FROM ({q.sql}) g) numbered WHERE nth <= {int(n)}")
        if outer is not None:
            q = replace(q, sql=outer.replace("{grouped}", f"({q.sql})"))
        df = _frame(conn.execute(q.statement(), q.params))
    return df[df["fact_rows"] > 0].reset_index(drop=True)


def _frame(result: sa.CursorResult) -> pd.DataFrame:
    return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


_REACH: dict[tuple, date | None] = {}   # (warehouse, load state) → reach; a load changes the key


def _sales_reach(conn: sa.Connection) -> date | None:
    """The last day the loaded sales data reaches (payments included).

    Sales only change by a load, so the answer is kept per warehouse and load state (the last load
    id and time): the MAX over every order is a full scan (2 s at 10 M rows on PostgreSQL) that
    every computation with a conversion KPI would otherwise repeat."""
    loads = tuple(conn.execute(sa.text("SELECT max(load_id), max(loaded_at) FROM load_log")).one())
    key = (conn.engine.url.render_as_string(hide_password=True), *loads)
    if key in _REACH:
        return _REACH[key]
    value = conn.execute(sa.text("SELECT MAX(COALESCE(paid_at, ordered_at)) FROM sales")).scalar()
    reach = value.date() if value is not None else None
    if loads[0] is not None and ":memory:" not in key[0]:    # rows written without a load are not kept
        if len(_REACH) > 64:
            _REACH.clear()
        _REACH[key] = reach
    return reach


def pending_months(reach: date | None, months: Iterable[date], settings: Settings) -> set[date]:
    """Months whose last conversion window ends after the loaded sales data: 延迟统计, not final."""
    return {m for m in months
            if reach is None or reach < last_day(m) + timedelta(days=settings.window_days)}


def compute(wh, kpis: Iterable[str] | None = None, *, months: Sequence[str | date], dims: Iterable[str] = (),
            filters: Filters = NO_FILTERS, scope: Scope, settings: Settings | None = None,
            use_rollups: bool = True) -> pd.DataFrame:
    """Figures for ``kpis`` (default: every KPI that fits ``dims``) per group of ``dims``.

    ``scope`` has no default on purpose: every caller says whose rows may be counted.
    ``use_rollups=False`` answers from the facts only (the equality tests compare the two).
    """
    dims = check_dims(dims)
    months = normalise(months)
    chosen = resolve_kpis(kpis, dims)
    settings = settings or load_settings(wh)
    frames = []
    with wh.connect() as conn:
        stored = rollups.current(conn) if use_rollups else None
        queries = plan(chosen, months=months, dims=dims, filters=filters, scope=scope, settings=settings,
                       stored=stored)
        reach = _sales_reach(conn) if any(m.source == "inquiries" for m in chosen) else None
        for q in queries:
            wide = _frame(conn.execute(q.statement(), q.params))
            wide = wide[wide["fact_rows"] > 0]
            alias = {e: a for a, e in q.measures.items()}   # Σ expression → column
            members = [m for m in chosen if m.source == q.source]
            n, k = len(wide), len(members)
            nums, dens = np.zeros((k, n)), np.full((k, n), np.nan)
            for i, m in enumerate(members):   # Decimal sums → float; a sum over no qualifying row → 0
                nums[i] = wide[alias[m.numerator.sql()]].astype(float).fillna(0.0).to_numpy()
                if m.denominator is not None:
                    dens[i] = wide[alias[m.denominator.sql()]].astype(float).fillna(0.0).to_numpy()
            is_ratio = np.array([m.denominator is not None for m in members], dtype=bool)[:, None]
            with np.errstate(divide="ignore", invalid="ignore"):
                values = np.where(is_ratio, np.where(dens != 0, nums / np.where(dens != 0, dens, 1.0), np.nan), nums)
            part = wide[list(dims)].iloc[np.tile(np.arange(n), k)].reset_index(drop=True)
            part["kpi"] = np.repeat([m.key for m in members], n)
            part["value"], part["numerator"], part["denominator"] = values.ravel(), nums.ravel(), dens.ravel()
            part["basis"] = np.repeat([settings.describe(m.settings) for m in members], n)
            if q.source == "inquiries":
                late = pending_months(reach, months, settings)
                part["pending"] = (part["month"].isin(late) if "month" in dims else bool(late & {months[-1]}))
            else:
                part["pending"] = False
            frames.append(part)
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=[*dims, *RESULT_COLUMNS])
    if "month" in dims and len(out):
        out["month"] = [month_key(m) for m in pd.to_datetime(out["month"]).dt.date]
    order = {k: i for i, k in enumerate(KEYS)}
    out = out.sort_values([*dims, "kpi"], key=lambda s: s.map(order) if s.name == "kpi" else s,
                          na_position="last", kind="stable").reset_index(drop=True)
    return out[[*dims, *RESULT_COLUMNS]]


DETAIL_LIMIT = 5000


def detail(wh, kpi: str, *, months: Sequence[str | date], filters: Filters = NO_FILTERS, scope: Scope,
           part: str = "denominator", settings: Settings | None = None, limit: int = DETAIL_LIMIT) -> pd.DataFrame:
    """The rows behind a figure: those its ``denominator`` (or ``numerator``) counts, scope and filters
    applied, newest first, at most ``limit``.  Customer phone numbers come back masked."""
    m = metric(kpi)
    measure = (m.denominator if part == "denominator" and m.denominator is not None else m.numerator)
    cond = measure.where if not hasattr(measure, "value") else f"({measure.where}) AND ({measure.value}) IS NOT NULL"
    with_sql, params, expanding = _with_facts(m.source, months=normalise(months), dims=("month",), filters=filters,
                                              scope=scope, settings=settings or load_settings(wh))
    params["detail_limit"] = int(limit)
    order = {"resolved": "resolved_at", "callbacks": "callback_at", "sales": "ordered_at",
             "buyers": "revenue", "complaints": "received_at", "complaint_base": "month", "audits": "audited_at",
             "stock": "month", "receivables": "raised_at", "store_days": "month"}.get(m.source, "created_at") + " DESC"
    statement = sa.text(f"{with_sql}SELECT * FROM facts WHERE {cond} ORDER BY {order} LIMIT :detail_limit")
    statement = statement.bindparams(*(sa.bindparam(n, expanding=True) for n in expanding))
    with wh.connect() as conn:
        df = _frame(conn.execute(statement, params))
    if "customer_phone" in df.columns:
        df["customer_phone"] = df["customer_phone"].map(mask_phone)
    if "month" in df.columns and len(df):
        df["month"] = [month_key(x) for x in pd.to_datetime(df["month"]).dt.date]
    return df
