"""Why a ratio KPI moved between two periods (issue 18, point 1): each group's contribution to the
change, split into its **rate effect** and its **mix (share) effect**, adding up exactly to the
total change.

For a KPI R = Σ numerator ÷ Σ denominator over groups g (teams, regions, stores…):

    R = Σ_g s_g · r_g        s_g = den_g ÷ Σ den (the group's share), r_g = num_g ÷ den_g (its rate)
    R₁ − R₀ = Σ_g (s₁ r₁ − s₀ r₀)
            = Σ_g [ s̄_g · (r₁ − r₀)  +  (r̄_g − R̄) · (s₁ − s₀) ]
                    rate effect          mix effect

with s̄, r̄ the means of the two periods and R̄ = (R₀ + R₁) ÷ 2.  The identity is exact:
s̄Δr + r̄Δs = s₁r₁ − s₀r₀ term by term, and Σ_g Δs = 0 makes the R̄ term vanish in the sum.  R̄ only
shifts how the mix effect reads per group: a group gaining share adds when its rate is above
average and subtracts when below (the "结构变化" of the sentence on a card).

A group present in one period only (a new team, a closed store) has no rate in the other: its
rate is taken as the same in both, so its whole contribution is mix.  Rates are fractions here
(0.031 = 3.1 pp); the pages and the CLI format them.

Only KPIs whose numerator and denominator are sums over rows add up over groups; the distinct-
customer KPIs (a buyer of two teams is one buyer) cannot be split this way and are refused.
"""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from metrics.errors import MetricError
from metrics.months import add_months, parse_month
from metrics.query import check_dims, compute
from metrics.registry import metric
from metrics.scope import NO_FILTERS, Filters, Scope
from metrics.settings import Settings
from metrics.sources import DIMENSIONS, SOURCES
import texts
from texts import fmt

COLUMNS = ["group", "value_before", "value_after", "n_before", "n_after", "rate_effect", "mix_effect",
           "contribution"]
TOTAL = "TOTAL"


def decompose(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """``before`` / ``after``: one row per group with ``group, numerator, denominator``.  One row per
    group (sorted by contribution, largest move first), then the ``TOTAL`` row; see the module."""
    cols = ["group", "numerator", "denominator"]
    merged = pd.merge(before[cols], after[cols], on="group", how="outer", suffixes=("_0", "_1"))
    merged = merged[(merged["denominator_0"].fillna(0) > 0) | (merged["denominator_1"].fillna(0) > 0)]
    num0, num1 = merged["numerator_0"].fillna(0.0).astype(float), merged["numerator_1"].fillna(0.0).astype(float)
    den0, den1 = merged["denominator_0"].fillna(0.0).astype(float), merged["denominator_1"].fillna(0.0).astype(float)
    total0, total1 = den0.sum(), den1.sum()
    if total0 <= 0 or total1 <= 0:
        raise MetricError("explain.no_base")
    big0, big1 = num0.sum() / total0, num1.sum() / total1
    with np.errstate(divide="ignore", invalid="ignore"):
        r0 = np.where(den0 > 0, num0 / den0, np.nan)
        r1 = np.where(den1 > 0, num1 / den1, np.nan)
    # a group in one period only: the same rate in both (all of its contribution is mix)
    r0, r1 = np.where(np.isnan(r0), r1, r0), np.where(np.isnan(r1), r0, r1)
    s0, s1 = den0 / total0, den1 / total1
    rate = (s0 + s1) / 2 * (r1 - r0)
    mix = ((r0 + r1) / 2 - (big0 + big1) / 2) * (s1 - s0)
    out = pd.DataFrame({
        "group": merged["group"],
        "value_before": np.where(den0 > 0, r0, np.nan), "value_after": np.where(den1 > 0, r1, np.nan),
        "n_before": den0, "n_after": den1, "rate_effect": rate, "mix_effect": mix, "contribution": rate + mix,
    })
    out = out.reindex(out["contribution"].abs().sort_values(ascending=False, kind="stable").index)
    total = pd.DataFrame([{"group": TOTAL, "value_before": big0, "value_after": big1, "n_before": total0,
                           "n_after": total1, "rate_effect": float(rate.sum()), "mix_effect": float(mix.sum()),
                           "contribution": big1 - big0}])
    return pd.concat([out, total], ignore_index=True)[COLUMNS]


OTHERS = "…"   # the groups folded by ``top`` (the pages name it 其他)


def top(frame: pd.DataFrame, n: int = 8) -> pd.DataFrame:
    """The ``n`` groups that moved the KPI most, the rest folded into one ``OTHERS`` row (effects
    summed, so the rows still add up to the total), then the ``TOTAL`` row: a waterfall's steps."""
    groups, total = frame[frame["group"] != TOTAL], frame[frame["group"] == TOTAL]
    if len(groups) <= n + 1:
        return frame.reset_index(drop=True)
    rest = groups.iloc[n:]
    folded = {"group": OTHERS, "value_before": np.nan, "value_after": np.nan,
              **{c: float(rest[c].sum()) for c in ("n_before", "n_after", "rate_effect", "mix_effect", "contribution")}}
    return pd.concat([groups.iloc[:n], pd.DataFrame([folded]), total], ignore_index=True)[COLUMNS]


def check_kpi(kpi: str):
    m = metric(kpi)
    if not m.is_ratio:
        raise MetricError("explain.not_ratio", kpi=kpi)
    if SOURCES[m.source].rollup != "sums":
        raise MetricError("explain.not_additive", kpi=kpi)
    return m


def explain(wh, kpi: str, *, month: str | date, against: str | date | None = None, by: str, scope: Scope,
            filters: Filters = NO_FILTERS, settings: Settings | None = None) -> pd.DataFrame:
    """The change of ``kpi`` from ``against`` (default: the month before) to ``month``, per group of
    ``by``, through ``compute`` (the same figures as every page, under the viewer's ``scope``).  A
    group with no value in the dimension is ``None`` (the pages show （未知）)."""
    check_kpi(kpi)
    (dim,) = check_dims([by])
    m = parse_month(month)
    a = parse_month(against) if against is not None else add_months(m, -1)
    if a == m:
        raise MetricError("explain.same_month")
    return explain_all(wh, [kpi], month=m, against=a, by=(dim,), scope=scope, filters=filters,
                       settings=settings)[kpi]


def split_dims(kpi: str) -> tuple[str, ...]:
    """The dimensions ``kpi`` can be split by (its source's, in the order of DIMENSIONS, month aside)."""
    have = SOURCES[metric(kpi).source].dims
    return tuple(d for d in DIMENSIONS if d in have and d != "month")


def splittable(kpi: str) -> bool:
    try:
        check_kpi(kpi)
        return True
    except MetricError:
        return False


def explain_all(wh, kpis, *, month: str | date, against: str | date | None = None, by: tuple[str, ...],
                scope: Scope, filters: Filters = NO_FILTERS, settings: Settings | None = None) -> dict[str, pd.DataFrame]:
    """``explain`` for many KPIs from one ``compute`` (one query per source, roll-ups when they
    answer): kpi → its frame.  With several ``by`` dimensions a group is their tuple (a store within
    its region).  KPIs that cannot be split, or have no base in a period, are left out."""
    dims = check_dims(by)
    m = parse_month(month)
    a = parse_month(against) if against is not None else add_months(m, -1)
    usable = [k for k in dict.fromkeys(kpis) if splittable(k)]
    if not usable:
        return {}
    df = compute(wh, usable, months=[a, m], dims=("month", *dims), scope=scope, filters=filters, settings=settings)
    df["group"] = df[dims[0]] if len(dims) == 1 else list(zip(*(df[d] for d in dims)))
    period = df["month"].astype(str).str[:7]
    out = {}
    for kpi in usable:
        mine = df["kpi"] == kpi
        try:
            out[kpi] = decompose(df[mine & (period == f"{a:%Y-%m}")], df[mine & (period == f"{m:%Y-%m}")])
        except MetricError:
            if len(usable) == 1:
                raise
    return out


def signed(d: float, unit: str, lang: str) -> str:
    """A change in the KPI's unit: percentage points for rates, else the unit itself with its sign."""
    if str(getattr(unit, "value", unit)) == "percent":
        return fmt.delta(d, unit)
    return ("+" if d >= 0 else "-") + fmt.value(abs(d), unit, lang)


def _name(value, lang: str) -> str:
    return texts.text("value.none", lang) if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


def sentence(kpi: str, by_region: pd.DataFrame, by_store: pd.DataFrame | None = None, lang: str = "zh") -> str | None:
    """"接通率 -3.1pp：华东 -2.2pp（上海店 -1.5pp），结构变化 -0.4pp": the change, the region that moved
    it most, the store of that region that moved it most (``by_store``: groups (region, store)), and
    the regions' total mix effect.  None when nothing changed."""
    m = metric(kpi)
    total = by_region[by_region["group"] == TOTAL].iloc[0]
    groups = by_region[by_region["group"] != TOTAL]
    if groups.empty or abs(total["contribution"]) < 1e-12:
        return None
    first = groups.iloc[0]
    inner = ""
    if by_store is not None:
        stores = by_store[by_store["group"].map(lambda g: isinstance(g, tuple) and g[0] == first["group"])]
        if not stores.empty:
            s = stores.iloc[0]
            inner = texts.text("explain.inner", lang, store=_name(s["group"][1], lang),
                               part=signed(s["contribution"], m.unit, lang))
    return texts.text("explain.sentence", lang, kpi=m.label_in(lang), change=signed(total["contribution"], m.unit, lang),
                      group=_name(first["group"], lang), part=signed(first["contribution"], m.unit, lang), inner=inner,
                      mix=signed(total["mix_effect"], m.unit, lang))
