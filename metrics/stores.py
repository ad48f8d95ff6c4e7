"""Store operations: a store's scorecard against its targets and its peers, the league table of a
region, audit ranks and promotion uplift.  Every figure comes from the builder (``compute`` /
``aggregate``), so the viewer's scope applies as everywhere; what is computed here is only what a
ranking or a comparison of windows adds.

Choices (named in the README):
- the store sources have no team, channel or agent: the store pages filter by region and store only;
- ranks are computed over every store of the comparison (all peers of a type and size class, all
  stores of a region and category) and then only the viewer's own stores are shown, like the
  appraisal's division ranking: a store manager sees their rank and the peers' median, never another
  store's figures;
- promotion uplift compares the campaign window with a baseline window of the same length that ends
  a whole number of weeks earlier (``7 × ⌈days ÷ 7⌉`` days), so both hold the same weekdays, and the
  two do not overlap; with no sales in the baseline the uplift is empty, not infinite.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Sequence

import pandas as pd
import sqlalchemy as sa

from metrics.months import month_key, month_range, normalise
from metrics.query import aggregate, compute
from metrics.registry import BY_KEY, Direction
from metrics.scope import NO_FILTERS, Filters, Scope
from metrics.settings import Settings
from metrics.subjects import SUBJECTS
from metrics.targets import Target, attach, load_targets, status

# the store scorecard (the stores subject's page KPIs, in the order shown); the league table's columns;
# the peers' comparison
SCORECARD_KPIS = SUBJECTS["stores"].page
LEAGUE_KPIS = ("revenue", "revenue_per_sqm", "complaints_per_10k_revenue", "audit_qsc_score", "inventory_turnover",
               "stockout_rate", "collection_rate")
PEER_KPIS = ("revenue_per_open_day", "revenue_per_sqm", "complaints_per_10k_revenue", "audit_category_score",
             "audit_qsc_score", "inventory_turnover", "stockout_rate")
AUDIT_KPIS = ("audit_category_score", "audit_iga_score", "audit_qsc_score")
MASTER_COLUMNS = ("region", "store", "store_code", "store_type", "size_class", "area_sqm", "manager", "opened_on",
                  "closed_on")


def store_filters(filters: Filters) -> Filters:
    """The sidebar's choices the store sources can answer: region and store (they have no team,
    channel or agent, and a filter on those would empty them)."""
    return Filters(region=filters.region, store=filters.store)


def master(wh, *, scope: Scope, filters: Filters = NO_FILTERS, month: str | date = "2000-01") -> pd.DataFrame:
    """The store master rows the viewer may see (through the builder: scope and filters applied)."""
    df = aggregate(wh, "store_master", group={c: c for c in MASTER_COLUMNS}, measures={}, months=[month],
                   filters=store_filters(filters), scope=scope)
    return df[list(MASTER_COLUMNS)].sort_values(["region", "store"], na_position="last").reset_index(drop=True)


def attainment(value: float, target: float, kpi: str) -> float:
    """Actual against target as a share: ↑ value ÷ target, ↓ target ÷ value (both: 1 = on target)."""
    if any(isinstance(x, float) and math.isnan(x) for x in (value, target)) or value is None or target is None:
        return math.nan
    if BY_KEY[kpi].direction is Direction.DOWN:
        return math.nan if value == 0 else target / value
    return math.nan if target == 0 else value / target


def _with_targets(df: pd.DataFrame, wh, as_of) -> pd.DataFrame:
    out = attach(df, load_targets(wh), as_of=as_of)
    out["attainment"] = [attainment(v, t, k) for v, t, k in zip(out["value"], out["target"], out["kpi"])]
    return out


def scorecard(wh, store: str, *, months: Sequence[str | date], scope: Scope,
              settings: Settings | None = None) -> pd.DataFrame:
    """One store's figures per month (``SCORECARD_KPIS``) with its target, status (RAG) and attainment."""
    df = compute(wh, SCORECARD_KPIS, months=months, dims=("month", "store"), filters=Filters.of(store=[store]),
                 scope=scope, settings=settings)
    return _with_targets(df, wh, as_of=normalise(months)[-1])


def league(wh, *, months: Sequence[str | date], scope: Scope, filters: Filters = NO_FILTERS,
           settings: Settings | None = None) -> pd.DataFrame:
    """The stores the viewer may see, one row each: ``LEAGUE_KPIS`` over the months, the revenue target
    and its attainment and status, type and size class; ranked by revenue attainment, then revenue."""
    months = normalise(months)
    figures = compute(wh, LEAGUE_KPIS, months=months, dims=("store",), filters=store_filters(filters),
                      scope=scope, settings=settings)
    figures = figures[figures["store"].notna()]   # contacts and complaints of no store are not a store's
    if figures.empty:
        return pd.DataFrame(columns=["rank", "store", "region", "store_type", "size_class", *LEAGUE_KPIS,
                                     "revenue_target", "attainment", "status"])
    monthly = compute(wh, ["revenue"], months=months, dims=("month", "store"), filters=store_filters(filters),
                      scope=scope, settings=settings)
    targeted = _with_targets(monthly, wh, as_of=months[-1])
    per_store = targeted.groupby("store", dropna=False).agg(revenue_target=("target", lambda s: s.sum(min_count=1)))
    wide = figures.pivot_table(index="store", columns="kpi", values="value", aggfunc="first", dropna=False)
    wide = wide.reindex(columns=list(LEAGUE_KPIS)).join(per_store)
    info = master(wh, scope=scope, filters=filters).set_index("store")[["region", "store_type", "size_class"]]
    wide = wide.join(info, how="left").reset_index()
    wide["attainment"] = [attainment(v, t, "revenue") for v, t in zip(wide["revenue"], wide["revenue_target"])]
    # the targets' own colours: the revenue target of the period (Σ of its months) with its default band
    wide["status"] = [status(v, None if pd.isna(t) else Target("revenue", float(t), "store", s))
                      for v, t, s in zip(wide["revenue"], wide["revenue_target"], wide["store"])]
    wide = wide.sort_values(["attainment", "revenue"], ascending=False, na_position="last").reset_index(drop=True)
    wide.insert(0, "rank", range(1, len(wide) + 1))
    return wide[["rank", "store", "region", "store_type", "size_class", *LEAGUE_KPIS, "revenue_target", "attainment",
                 "status"]]


def _rank(values: pd.Series, kpi: str) -> pd.Series:
    """1 = best by the KPI's direction; ties share the better rank; empty figures are not ranked."""
    return values.rank(ascending=BY_KEY[kpi].direction is Direction.DOWN, method="min")


def peers(wh, store: str, *, months: Sequence[str | date], scope: Scope,
          settings: Settings | None = None) -> pd.DataFrame:
    """Where ``store`` stands among the stores of its type and size class: per KPI its value, rank, the
    number of peers with a figure, their median and best.  Empty when the viewer may not see the store
    or the master does not know it."""
    mine = master(wh, scope=scope, filters=Filters.of(store=[store]))
    if mine.empty:
        return pd.DataFrame(columns=["kpi", "value", "rank", "of", "median", "best"])
    row = mine.iloc[0]
    every = master(wh, scope=Scope.all())
    same = every[(every["store_type"].fillna("") == (row["store_type"] if isinstance(row["store_type"], str) else ""))
                 & (every["size_class"].fillna("") == (row["size_class"] if isinstance(row["size_class"], str) else ""))]
    figures = compute(wh, PEER_KPIS, months=months, dims=("store",), filters=Filters.of(store=list(same["store"])),
                      scope=Scope.all(), settings=settings)   # ranks over every peer; only this store is shown
    out = []
    for kpi in PEER_KPIS:
        part = figures[(figures["kpi"] == kpi) & figures["value"].notna()].set_index("store")["value"]
        if store not in part.index:
            continue
        ranks = _rank(part, kpi)
        best = part.max() if BY_KEY[kpi].direction is not Direction.DOWN else part.min()
        out.append({"kpi": kpi, "value": part[store], "rank": int(ranks[store]), "of": len(part),
                    "median": float(part.median()), "best": float(best)})
    return pd.DataFrame(out, columns=["kpi", "value", "rank", "of", "median", "best"])


def audit_ranks(wh, *, months: Sequence[str | date], scope: Scope, filters: Filters = NO_FILTERS,
                settings: Settings | None = None) -> pd.DataFrame:
    """Audit scores per store and category with the store's rank within its region and category (over
    every store there), then only the rows the viewer may see."""
    figures = compute(wh, AUDIT_KPIS, months=months, dims=("region", "category", "store"),
                      filters=Filters(region=filters.region), scope=Scope.all(), settings=settings)
    figures = figures[figures["value"].notna()].copy()
    if figures.empty:
        return pd.DataFrame(columns=["region", "category", "store", "kpi", "value", "audits", "rank", "of"])
    keys = [figures["region"].fillna(""), figures["category"].fillna(""), figures["kpi"]]
    figures["rank"] = figures.groupby(keys)["value"].rank(ascending=False, method="min").astype(int)
    figures["of"] = figures.groupby(keys)["value"].transform("count").astype(int)
    figures["audits"] = figures["denominator"].astype(int)
    figures["team"] = None
    visible = figures[scope.mask(figures)]
    if filters.store is not None:
        visible = visible[visible["store"].isin(filters.store)]
    return visible[["region", "category", "store", "kpi", "value", "audits", "rank", "of"]].reset_index(drop=True)


# ------------------------------------------------------------------ promotions
@dataclass(frozen=True)
class Windows:
    starts: date
    ends: date
    base_starts: date
    base_ends: date

    @property
    def days(self) -> int:
        return (self.ends - self.starts).days + 1

    @property
    def shift_days(self) -> int:
        return (self.starts - self.base_starts).days


def windows(starts: date, ends: date) -> Windows:
    """The campaign window and its baseline: the same length, ``7 × ⌈days ÷ 7⌉`` days earlier."""
    days = (ends - starts).days + 1
    shift = timedelta(days=7 * math.ceil(days / 7))
    return Windows(starts, ends, starts - shift, ends - shift)


def campaigns(wh, *, scope: Scope) -> pd.DataFrame:
    """The loaded campaigns the viewer may see: chain-wide ones (no region or store) and those of
    their regions or stores."""
    with wh.connect() as conn:
        df = pd.DataFrame(conn.execute(sa.text(
            "SELECT campaign, starts_on, ends_on, region, store, note FROM campaigns ORDER BY starts_on DESC, campaign"
        )).mappings().all(), columns=["campaign", "starts_on", "ends_on", "region", "store", "note"])
    if df.empty or scope.is_all:
        return df
    chain_wide = df["region"].isna() & df["store"].isna()
    # conservative: a limit the campaign's columns cannot show it is inside hides it
    ok = pd.Series(scope.teams is None, index=df.index)
    if scope.regions is not None:
        ok &= df["region"].isin(scope.regions)
    if scope.stores is not None:
        ok &= df["store"].isin(scope.stores)
    return df[chain_wide | ok].reset_index(drop=True)


def uplift(wh, *, starts: date, ends: date, scope: Scope, filters: Filters = NO_FILTERS,
           settings: Settings | None = None) -> dict:
    """Sales (revenue and paid orders) in the campaign window and in its baseline, and the uplift
    (window − baseline) ÷ baseline; the daily series of both for the chart."""
    w = windows(starts, ends)
    months = month_range(w.base_starts, w.ends)
    daily = aggregate(wh, "sales", group={"day": "CAST(ordered_at AS DATE)"},
                      measures={"revenue": "SUM(CASE WHEN paid THEN net_amount END)",
                                "orders": "SUM(CASE WHEN paid THEN 1 ELSE 0 END)"},
                      months=months, filters=store_filters(filters), scope=scope, settings=settings)
    daily["day"] = pd.to_datetime(daily["day"]).dt.date
    for c in ("revenue", "orders"):
        daily[c] = daily[c].astype(float).fillna(0.0)

    def total(a: date, b: date, column: str) -> float:
        return float(daily.loc[(daily["day"] >= a) & (daily["day"] <= b), column].sum())

    out = {"windows": w, "months": [month_key(x) for x in months]}
    for column in ("revenue", "orders"):
        now, base = total(w.starts, w.ends, column), total(w.base_starts, w.base_ends, column)
        out[column] = now
        out[f"base_{column}"] = base
        out[f"{column}_uplift"] = (now - base) / base if base else math.nan
    series = []
    for offset in range(w.days):
        day, base_day = w.starts + timedelta(days=offset), w.base_starts + timedelta(days=offset)
        series.append({"offset": offset + 1, "day": day, "base_day": base_day,
                       "revenue": total(day, day, "revenue"), "base_revenue": total(base_day, base_day, "revenue")})
    out["daily"] = pd.DataFrame(series)
    return out
