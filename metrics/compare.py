"""Month-on-month and year-on-year, with a data-sufficiency flag.

Deltas: rates in percentage points (a fraction difference: 0.012 = +1.2 pp); counts, amounts and
durations as a percentage change.  A delta is only given when both months have complete data —
every calendar day of the month has rows loaded for the tables the KPI is counted from; otherwise
the flag says ``incomplete`` (or ``missing`` when the other month has no figure) and the delta is
empty rather than misleading.
"""
from __future__ import annotations

from datetime import date
from typing import Iterable, Sequence

import numpy as np
import pandas as pd
import sqlalchemy as sa

from metrics import rollups
from metrics.months import add_months, days_in_month, month_end, month_key, normalise
from metrics.query import check_dims, compute
from metrics.registry import BY_KEY
from metrics.scope import NO_FILTERS, Filters, Scope
from metrics.settings import Settings
from metrics.sources import SOURCES
from warehouse.kinds import SCHEMAS

# the table.column whose loaded days decide whether a source's month is complete: each source's kinds'
# event columns (warehouse/kinds.py)
COVERAGE = {key: tuple(f"{k}.{SCHEMAS[k].event}" for k in source.kinds) for key, source in SOURCES.items()}


def days_loaded(wh, months: Iterable[date]) -> dict[tuple[str, date], int]:
    """{(table.column, month): distinct calendar days with rows} — over the whole warehouse: whether a
    day was loaded is a fact about the export, not about any one team."""
    months = sorted(set(months))
    out: dict[tuple[str, date], int] = {}
    if not months:
        return out
    with wh.connect() as conn:
        days = rollups.day_tables(conn)   # one row per loaded day already, when current
        for ref in sorted({r for refs in COVERAGE.values() for r in refs}):
            table, column = ref.split(".")
            if days and column == SCHEMAS[table].event:
                sql = f"SELECT month AS m, COUNT(*) FROM {days[table]} WHERE month >= :ma AND month <= :mb GROUP BY 1"
            else:
                sql = (f"SELECT CAST(date_trunc('month', {column}) AS DATE) AS m, COUNT(DISTINCT CAST({column} AS DATE))"
                       f" FROM {table} WHERE {column} >= :a AND {column} < :b GROUP BY 1")
            rows = conn.execute(sa.text(sql), {"a": month_end(add_months(months[0], -1)), "b": month_end(months[-1]),
                                               "ma": months[0], "mb": months[-1]}).fetchall()
            for m, n in rows:
                out[(ref, m if isinstance(m, date) else m.date())] = int(n)
    return out


def complete_months(wh, months: Iterable[date]) -> dict[tuple[str, date], bool]:
    """{(source, month): every day of the month loaded for that source}."""
    months = list(months)
    loaded = days_loaded(wh, months)
    return {(s, m): all(loaded.get((ref, m), 0) >= days_in_month(m) for ref in refs)
            for s, refs in COVERAGE.items() for m in months}


def delta(kpi: str, value: float, other: float) -> float:
    if BY_KEY[kpi].unit.is_rate:
        return value - other
    return (value - other) / abs(other) if other else np.nan


def with_comparisons(wh, kpis: Iterable[str] | None = None, *, months: Sequence[str | date],
                     dims: Iterable[str] = ("month",), filters: Filters = NO_FILTERS, scope: Scope,
                     settings: Settings | None = None) -> pd.DataFrame:
    """``compute`` by month plus ``mom_value, mom_delta, mom_flag, yoy_value, yoy_delta, yoy_flag, complete``.

    Flags: ``ok``; ``incomplete`` (this or the other month is not fully loaded); ``missing`` (no figure
    for the other month)."""
    dims = check_dims(("month", *[d for d in dims if d != "month"]))
    months = normalise(months)
    wanted = comparison_months(months)
    df = compute(wh, kpis, months=wanted, dims=dims, filters=filters, scope=scope, settings=settings)
    return attach_comparisons(df, months, complete_months(wh, wanted))


def comparison_months(months: Sequence[date]) -> list[date]:
    """The months, their previous months and the same months a year earlier."""
    return sorted(set(months) | {add_months(m, -1) for m in months} | {add_months(m, -12) for m in months})


def attach_comparisons(df: pd.DataFrame, months: Sequence[date],
                       complete: dict[tuple[str, date], bool]) -> pd.DataFrame:
    """``df`` (figures by month, covering ``comparison_months(months)``) cut to ``months``, with the MoM
    and YoY columns ``with_comparisons`` describes.  Pure: a page that already holds 13 months of
    figures derives its comparisons from them instead of asking the warehouse again."""
    df = df.copy()
    keys = [c for c in df.columns if c not in ("month", "value", "numerator", "denominator", "pending", "basis",
                                                "complete")]
    df["complete"] = [complete.get((BY_KEY[k].source, date.fromisoformat(m + "-01")), False)
                      for m, k in zip(df["month"], df["kpi"])]
    lookup = df.set_index(["month", *keys])
    out = df[df["month"].isin([month_key(m) for m in normalise(months)])].copy()
    for prefix, shift in (("mom", -1), ("yoy", -12)):
        other_month = [month_key(add_months(date.fromisoformat(m + "-01"), shift)) for m in out["month"]]
        idx = pd.MultiIndex.from_arrays([other_month, *[out[k] for k in keys]], names=["month", *keys])
        other = lookup.reindex(idx)
        values, flags, deltas = other["value"].to_numpy(), [], []
        for value, o_value, here_ok, there_ok, kpi in zip(out["value"], values, out["complete"], other["complete"],
                                                        out["kpi"]):
            if pd.isna(o_value) or pd.isna(value):
                flags.append("missing"), deltas.append(np.nan)
            elif not (here_ok and there_ok is True):
                flags.append("incomplete"), deltas.append(np.nan)
            else:
                flags.append("ok"), deltas.append(delta(kpi, value, o_value))
        out[f"{prefix}_value"], out[f"{prefix}_delta"], out[f"{prefix}_flag"] = values, deltas, flags
    return out.reset_index(drop=True)
