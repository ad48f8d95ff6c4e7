"""Out of the ordinary (issue 18, point 2): control limits per group from its own previous months,
and the points that break them.

For each group (the whole scope, a team, a region, a store) and month t, the **baseline** is the
group's previous ``BASELINE_MONTHS`` months (t−12 … t−1) that have data; with fewer than
``MIN_BASELINE_MONTHS`` of them there are no limits (a new store is not judged against nothing).

- **Rates** (a ratio in %, e.g. 接通率) — a p-chart with this month's n:
  centre p̄ = Σ numerator ÷ Σ denominator over the baseline (ratio of sums, as every KPI),
  limits p̄ ± 3·√(p̄(1−p̄)/n), n = this month's denominator, clipped to [0, 1].
- **Counts** (e.g. 来电量) — a c-chart (Poisson): centre c̄ = the baseline months' mean,
  limits c̄ ± 3·√c̄, the lower one at least 0.  Its "n" is c̄ (the expected count).
- Other KPIs (seconds, yuan, points) have no limits here: their spread is not a known law of n.

A point is **flagged** when it lies outside its limits (``above`` / ``below``), or when it and the 7
months before it (8 consecutive months with data) all lie on the same side of this month's centre
(``run_above`` / ``run_below``, the Western Electric run rule).  Nothing is flagged when n is
below the ``control_min_n`` setting: a small sample is shown, never alarmed on.
"""
from __future__ import annotations

from datetime import date
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from metrics.months import add_months, normalise
from metrics.query import check_dims, compute
from metrics.registry import Unit, metric
from metrics.scope import NO_FILTERS, Filters, Scope
from metrics.settings import Settings, load_settings
from metrics.sources import SOURCES

BASELINE_MONTHS = 12
MIN_BASELINE_MONTHS = 6
SIGMAS = 3
RUN = 8
FLAGS = ("above", "below", "run_above", "run_below")   # words: catalog texts control.<flag>
LEVELS = ((), ("team",), ("region",), ("region", "store"))   # the groups the overview judges (a store with its region)
COLUMNS = ["month", "value", "numerator", "denominator", "chart", "centre", "lcl", "ucl", "n", "baseline", "flag"]


def chart_of(kpi: str) -> str | None:
    """"p" for a rate, "c" for a count, None for a KPI without control limits."""
    m = metric(kpi)
    if m.is_ratio and m.unit is Unit.PERCENT:
        return "p"
    if not m.is_ratio and m.unit is Unit.COUNT:
        return "c"
    return None


def _month_no(m: date) -> int:
    return m.year * 12 + m.month - 1


def _judge_arrays(num: np.ndarray, den: np.ndarray, val: np.ndarray, present: np.ndarray, chart: str,
                  min_n: float, judged: list[int]) -> dict[str, np.ndarray]:
    """Groups × months arrays (months consecutive) → for the ``judged`` month positions, groups ×
    judged arrays of centre, lcl, ucl, n, baseline and flag; vectorised over groups (a chain's 600
    stores × 11 KPIs are judged in milliseconds, not a Python loop per point)."""
    has = present & ~np.isnan(val)
    if chart == "p":
        has &= np.nan_to_num(den) > 0
    num0, den0, val0 = (np.where(has, np.nan_to_num(a), 0.0) for a in (num, den, val))
    g = val.shape[0]
    shape = (g, len(judged))
    out = {k: np.full(shape, np.nan) for k in ("centre", "lcl", "ucl", "n", "baseline")}
    out["flag"] = np.full(shape, None, dtype=object)
    for j, t in enumerate(judged):
        window = slice(max(0, t - BASELINE_MONTHS), t)
        base = has[:, window].sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            if chart == "p":
                centre = num0[:, window].sum(axis=1) / den0[:, window].sum(axis=1)
                n = den0[:, t]
                sigma = np.sqrt(centre * (1 - centre) / n)
                lcl, ucl = np.maximum(0.0, centre - SIGMAS * sigma), np.minimum(1.0, centre + SIGMAS * sigma)
            else:
                centre = val0[:, window].sum(axis=1) / base
                n = centre
                lcl, ucl = np.maximum(0.0, centre - SIGMAS * np.sqrt(centre)), centre + SIGMAS * np.sqrt(centre)
        ok = has[:, t] & (base >= MIN_BASELINE_MONTHS)
        for k, a in (("centre", centre), ("lcl", lcl), ("ucl", ucl), ("n", n)):
            out[k][:, j] = np.where(ok, a, np.nan)
        out["baseline"][:, j] = base
        v = val0[:, t]
        judge = ok & (np.nan_to_num(n) >= min_n)
        flag = out["flag"][:, j]
        if t + 1 >= RUN:          # the run rule: this month and the RUN − 1 before, all on one side
            run = slice(t + 1 - RUN, t + 1)
            full = has[:, run].all(axis=1)
            if chart == "p":
                full &= (den0[:, run] >= min_n).all(axis=1)
            flag[judge & full & (val0[:, run] < centre[:, None]).all(axis=1)] = "run_below"
            flag[judge & full & (val0[:, run] > centre[:, None]).all(axis=1)] = "run_above"
        flag[judge & (v < lcl)] = "below"
        flag[judge & (v > ucl)] = "above"
    return out


def judge(series: pd.DataFrame, chart: str, min_n: float) -> pd.DataFrame:
    """One group's months (``month, value, numerator, denominator``, any order, gaps allowed) with each
    month's centre, limits, n, baseline size and flag (None when none); see the module."""
    s = series.sort_values("month").reset_index(drop=True)
    first = _month_no(s["month"].iloc[0])
    pos = np.array([_month_no(m) - first for m in s["month"]])
    span = int(pos.max()) + 1
    arrays = []
    for col in ("numerator", "denominator", "value"):
        a = np.full((1, span), np.nan)
        a[0, pos] = s[col].astype(float).to_numpy()
        arrays.append(a)
    present = np.zeros((1, span), dtype=bool)
    present[0, pos] = True
    out = _judge_arrays(*arrays, present, chart, min_n, list(pos))
    return s.assign(chart=chart, **{k: v[0] for k, v in out.items()})


def _span(months: Sequence[date]) -> tuple[date, int]:
    """The first month read (a baseline before the earliest judged month) and how many months."""
    first = add_months(min(months), -BASELINE_MONTHS)
    return first, _month_no(max(months)) - _month_no(first) + 1


def _judged(df: pd.DataFrame, dims: tuple[str, ...], months: Sequence[date], min_n: float,
            flagged_only: bool = False) -> pd.DataFrame:
    """``compute``'s rows (month, *dims, kpi, value, numerator, denominator) judged per KPI and group
    (``flagged_only``: only the flagged rows are built — the overview's list)."""
    first, span = _span(months)
    df = df.copy()
    df["month"] = pd.to_datetime(df["month"]).dt.date
    df["_pos"] = [_month_no(m) - _month_no(first) for m in df["month"]]
    judged = sorted(_month_no(m) - _month_no(first) for m in months)
    parts = []
    for kpi, part in df.groupby("kpi", sort=False):
        part = part.reset_index(drop=True)
        groups = part.groupby(list(dims), dropna=False, sort=True).ngroup().to_numpy() if dims else np.zeros(
            len(part), dtype=int)
        g = int(groups.max()) + 1
        arrays = []
        for col in ("numerator", "denominator", "value"):
            a = np.full((g, span), np.nan)
            a[groups, part["_pos"].to_numpy()] = part[col].astype(float).to_numpy()
            arrays.append(a)
        present = np.zeros((g, span), dtype=bool)
        present[groups, part["_pos"].to_numpy()] = True
        out = _judge_arrays(*arrays, present, chart_of(kpi), min_n, judged)
        # one row per group and judged month that has a row in the figures
        keep = part["_pos"].isin(judged).to_numpy().copy()
        at = np.searchsorted(judged, part["_pos"].to_numpy()[keep])
        gi = groups[keep]
        if flagged_only:
            hit = np.array([f is not None for f in out["flag"][gi, at]], dtype=bool)
            keep[keep] = hit
            at, gi = at[hit], gi[hit]
        if keep.any():
            parts.append(part[keep].assign(chart=chart_of(kpi), **{k: v[gi, at] for k, v in out.items()}))
    if not parts:
        return pd.DataFrame(columns=["kpi", *dims, *COLUMNS])
    out = pd.concat(parts, ignore_index=True)
    return out[["kpi", *dims, *COLUMNS]].sort_values(["kpi", *dims, "month"], na_position="first",
                                                      ignore_index=True)


def _figures(wh, kpis: list[str], months: Sequence[date], dims: tuple[str, ...], **kw) -> pd.DataFrame:
    first, span = _span(months)
    return compute(wh, kpis, months=[add_months(first, k) for k in range(span)], dims=("month", *dims), **kw)


def control(wh, kpis: Iterable[str], *, months: Sequence[str | date], dims: Iterable[str] = (), scope: Scope,
            filters: Filters = NO_FILTERS, settings: Settings | None = None) -> pd.DataFrame:
    """The KPIs with limits (rates and counts) per group of ``dims`` for ``months``, each row with its
    centre, limits, n and flag; the baseline months before are read through ``compute`` too (the
    same figures, scope and filters as every page).  Columns: kpi, *dims, COLUMNS."""
    dims = tuple(d for d in check_dims(dims) if d != "month")
    months = normalise(months)
    chosen = [k for k in dict.fromkeys(kpis) if chart_of(k)]
    settings = settings or load_settings(wh)
    if not chosen or not months:
        return pd.DataFrame(columns=["kpi", *dims, *COLUMNS])
    df = _figures(wh, chosen, months, dims, scope=scope, filters=filters, settings=settings)
    return _judged(df, dims, months, settings.control_min_n)


def _summed(df: pd.DataFrame, dims: tuple[str, ...]) -> pd.DataFrame:
    """A finer ``compute`` result summed up to ``dims`` (KPIs summed over rows only): Σ numerator,
    Σ denominator, the value divided again — what ``compute`` would return at that grain."""
    keys = ["kpi", "month", *dims]
    out = df.groupby(keys, dropna=False, sort=False)[["numerator", "denominator"]].sum(min_count=1).reset_index()
    ratio = out["kpi"].map(lambda k: metric(k).is_ratio)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["value"] = np.where(ratio, np.where(out["denominator"] != 0, out["numerator"] / out["denominator"],
                                                np.nan), out["numerator"])
    return out


def flags(wh, kpis: Iterable[str], *, month: str | date, scope: Scope, filters: Filters = NO_FILTERS,
          settings: Settings | None = None, levels: Sequence[tuple[str, ...]] = LEVELS) -> pd.DataFrame:
    """This month's flagged points, for the whole scope and per team, region and store: one row per
    flag with ``level`` (the dimension, "" for the whole scope) and ``group`` (its value).

    Only KPIs summed over rows are judged here (the overview's list, on every filter change): a
    distinct-customer share per team or store under a filter is recounted from every sale (1.4 s at
    10 M rows), so it is judged on its own page's control chart instead."""
    kpis = [k for k in dict.fromkeys(kpis) if chart_of(k) and SOURCES[metric(k).source].rollup == "sums"]
    settings = settings or load_settings(wh)
    months = normalise([month])
    kw = dict(scope=scope, filters=filters, settings=settings)
    frames = {}
    if kpis:
        # two queries: stores with their region (summed up to the regions and the whole scope, exact
        # for KPIs summed over rows) and teams (a team spans regions)
        stores = _figures(wh, kpis, months, ("region", "store"), **kw) if ("region", "store") in levels else None
        for dims in levels:
            if dims == ("team",):
                frames[dims] = _figures(wh, kpis, months, dims, **kw)
            elif stores is not None:
                frames[dims] = stores if dims == ("region", "store") else _summed(stores, dims)
            else:
                frames[dims] = _figures(wh, kpis, months, dims, **kw)
    out = []
    for dims, df in frames.items():
        c = _judged(df, dims, months, settings.control_min_n, flagged_only=True) if len(df) else df
        if c.empty:
            continue
        c = c.assign(level=dims[-1] if dims else "", group=c[dims[-1]] if dims else None,
                     region=c["region"] if "region" in dims else None)
        out.append(c.drop(columns=[d for d in dims if d != "region"]))
    cols = ["level", "group", "region", "kpi", *COLUMNS]
    return pd.concat(out, ignore_index=True)[cols] if out else pd.DataFrame(columns=cols)
