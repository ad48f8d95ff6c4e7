"""Customer views (the 客户 page, issue 20): RFM scores and segments, the 80/20 concentration, member
tier migration, and the dormant / churned / top customer lists.  Every number comes through the builder
(``aggregate`` over the buyers' and customers' facts, scope and filters applied); what is added here is
the scoring, the ranking and the lists.

- **RFM** over the period: R = days from the customer's last paid order to the period's end, F = paid
  orders, M = revenue (net of refunds); each scored 1–5 on the four edges of its setting
  (``rfm_recency_days``: at most the first edge scores 5 … beyond the fourth 1; ``rfm_frequency`` and
  ``rfm_monetary``: below the first edge 1 … at least the fourth 5).  The segment is the CRM's usual
  eight, from R, F and M each high (score ≥ 3) or low.
- **80/20**: customers by revenue, the share the top 20 % bring.
- **Migration**: a customer's member level in a month is that of their last paid order that month; the
  matrix counts customers who bought in both months by level before → level after.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
import math
from typing import Sequence

import pandas as pd

from metrics.months import add_months, month_end, month_key, month_range, normalise
from metrics.query import aggregate
from metrics.scope import NO_FILTERS, Filters, Scope
from metrics.settings import Settings, bins, load_settings
from warehouse.safety import mask_phone

# (R high, F high, M high) → segment id (its label: catalog text ``rfm.<id>``)
SEGMENTS = {
    (True, True, True): "important_value", (True, False, True): "important_develop",
    (False, True, True): "important_keep", (False, False, True): "important_retain",
    (True, True, False): "general_value", (True, False, False): "general_develop",
    (False, True, False): "general_keep", (False, False, False): "general_retain",
}
HIGH = 3          # a score of 3 or more is "high"
TOP_SHARE = 0.2   # the 80/20 rule's top share of customers


def _period_end(months) -> datetime:
    return month_end(normalise(months)[-1])


def _scores(settings: Settings, end: datetime) -> tuple[str, dict]:
    """``SELECT g.*, r, f, m FROM {grouped} g``: the three scores of each customer row of the grouped
    result (``last_at``, ``orders``, ``revenue``), in the warehouse — the one implementation of the
    bins.  R: days to ``end`` at most edge 1 → 5 … beyond edge 4 → 1 (an edge belongs to the better
    score: ``last_at ≥ end − edge``).  F and M: below edge 1 → 1 … at least edge 4 → 5."""
    params: dict = {}
    recency = []
    for i, edge in enumerate(bins(settings.rfm_recency_days)):
        params[f"rfm_r{i}"] = end - timedelta(days=edge)
        recency.append(f"WHEN g.last_at >= :rfm_r{i} THEN {5 - i}")

    def up(name: str, column: str, text: str) -> str:
        cases = []
        for i, edge in reversed(list(enumerate(bins(text)))):
            params[f"rfm_{name}{i}"] = edge
            cases.append(f"WHEN COALESCE({column}, 0) >= :rfm_{name}{i} THEN {i + 2}")
        return f"CASE {' '.join(cases)} ELSE 1 END"

    sql = (f"SELECT g.*, CASE {' '.join(recency)} ELSE 1 END AS r, {up('f', 'g.orders', settings.rfm_frequency)} AS f,"
           f" {up('m', 'g.revenue', settings.rfm_monetary)} AS m FROM {{grouped}} g")
    return sql, params


_PERIOD = {"orders": "SUM(orders)", "revenue": "SUM(revenue)", "last_at": "MAX(last_at)"}


def rfm(wh, *, months: Sequence[str | date], scope: Scope, filters: Filters = NO_FILTERS,
        settings: Settings | None = None) -> pd.DataFrame:
    """One row per customer who bought in the period: recency_days, orders, revenue, the three scores,
    the RFM code (e.g. 545) and the segment (the customer-level table behind ``rfm_cells``)."""
    settings = settings or load_settings(wh)
    end = _period_end(months)
    scored, params = _scores(settings, end)
    df = aggregate(wh, "purchases", group={"customer_id": "customer_id"}, measures=_PERIOD, months=months,
                   scope=scope, filters=filters, settings=settings, params=params, outer=scored)
    cols = ["customer_id", "recency_days", "orders", "revenue", "r", "f", "m", "code", "segment"]
    if df.empty:
        return pd.DataFrame(columns=cols)
    df["orders"] = df["orders"].astype(int)
    df["revenue"] = df["revenue"].astype(float)
    df["recency_days"] = (pd.Timestamp(end) - pd.to_datetime(df["last_at"])).dt.total_seconds() / 86400
    for c in ("r", "f", "m"):
        df[c] = df[c].astype(int)
    df["code"] = df["r"].astype(str) + df["f"].astype(str) + df["m"].astype(str)
    df["segment"] = [SEGMENTS[(r >= HIGH, f >= HIGH, m >= HIGH)] for r, f, m in zip(df["r"], df["f"], df["m"])]
    return df.sort_values(["revenue", "customer_id"], ascending=[False, True])[cols].reset_index(drop=True)


def rfm_cells(wh, *, months: Sequence[str | date], scope: Scope, filters: Filters = NO_FILTERS,
              settings: Settings | None = None) -> pd.DataFrame:
    """Customers and revenue per (R, F, M) score: the grid and the segments without sending every
    customer back (a region's month is 130,000 buyers at 10 M orders).  Columns r, f, m, customers,
    revenue, segment."""
    settings = settings or load_settings(wh)
    scored, params = _scores(settings, _period_end(months))
    df = aggregate(wh, "purchases", group={"customer_id": "customer_id"}, measures=_PERIOD, months=months,
                   scope=scope, filters=filters, settings=settings, params=params,
                   outer=(f"SELECT r, f, m, COUNT(*) AS customers, SUM(revenue) AS revenue, COUNT(*) AS fact_rows"
                          f" FROM ({scored}) scored GROUP BY r, f, m"))
    cols = ["r", "f", "m", "customers", "revenue", "segment"]
    if df.empty:
        return pd.DataFrame(columns=cols)
    for c in ("r", "f", "m", "customers"):
        df[c] = df[c].astype(int)
    df["revenue"] = df["revenue"].astype(float)
    df["segment"] = [SEGMENTS[(r >= HIGH, f >= HIGH, m >= HIGH)] for r, f, m in zip(df["r"], df["f"], df["m"])]
    return df[cols].sort_values(["r", "f", "m"], ascending=False).reset_index(drop=True)


def segment_grid(cells: pd.DataFrame) -> pd.DataFrame:
    """Customers per R score (rows 5 … 1) × F score (columns 1 … 5)."""
    return (cells.pivot_table(index="r", columns="f", values="customers", aggfunc="sum", fill_value=0)
            .reindex(index=[5, 4, 3, 2, 1], columns=[1, 2, 3, 4, 5], fill_value=0).astype(int))


def segments(cells: pd.DataFrame) -> pd.DataFrame:
    """Per segment: customers, revenue and its share, in the order of ``SEGMENTS``."""
    total = float(cells["revenue"].sum()) if len(cells) else 0.0
    out = []
    for seg in SEGMENTS.values():
        part = cells[cells["segment"] == seg]
        out.append({"segment": seg, "customers": int(part["customers"].sum()), "revenue": float(part["revenue"].sum()),
                    "share": float(part["revenue"].sum()) / total if total else math.nan})
    return pd.DataFrame(out)


PARETO_POINTS = 100   # the curve's points: customers in percentiles (every customer when fewer)


@dataclass(frozen=True)
class Pareto:
    curve: pd.DataFrame    # customer_share, revenue_share (cumulative, largest first)
    top_share: float       # revenue share of the top ⌈20 % × n⌉ customers
    customers: int


def pareto(wh, *, months: Sequence[str | date], scope: Scope, filters: Filters = NO_FILTERS,
           settings: Settings | None = None) -> Pareto:
    """Customers of the period by revenue (largest first, then by id), in ``PARETO_POINTS`` percentile
    groups: the cumulative shares of customers and revenue; and the share the top ``TOP_SHARE`` bring
    (⌈20 % × n⌉ customers, counted exactly, not from the percentiles)."""
    settings = settings or load_settings(wh)
    ranked = ("SELECT COALESCE(g.revenue, 0) AS revenue,"
              " ROW_NUMBER() OVER (ORDER BY COALESCE(g.revenue, 0) DESC, g.customer_id) AS nth,"
              " COUNT(*) OVER () AS n FROM {grouped} g")
    df = aggregate(wh, "purchases", group={"customer_id": "customer_id"}, measures=_PERIOD, months=months,
                   scope=scope, filters=filters, settings=settings, params={"pareto_points": PARETO_POINTS,
                                                                             "pareto_top": TOP_SHARE},
                   outer=("SELECT CEIL(CAST(:pareto_points AS DOUBLE PRECISION) * nth / n) AS bucket,"
                          " COUNT(*) AS customers, SUM(revenue) AS revenue,"
                          " SUM(CASE WHEN nth <= CEIL(CAST(:pareto_top AS DOUBLE PRECISION) * n) THEN revenue ELSE 0 END)"
                          f" AS top_revenue, COUNT(*) AS fact_rows FROM ({ranked}) ranked GROUP BY 1"))
    empty = Pareto(pd.DataFrame(columns=["customer_share", "revenue_share"]), math.nan, 0)
    if df.empty:
        return empty
    df = df.sort_values("bucket").reset_index(drop=True)
    n, total = int(df["customers"].sum()), float(df["revenue"].astype(float).sum())
    if total <= 0:
        return Pareto(empty.curve, math.nan, n)
    curve = pd.DataFrame({"customer_share": df["customers"].astype(int).cumsum() / n,
                          "revenue_share": df["revenue"].astype(float).cumsum() / total})
    return Pareto(curve, float(df["top_revenue"].astype(float).sum()) / total, n)


def tiers(wh, *, months: Sequence[str | date], scope: Scope, filters: Filters = NO_FILTERS,
          settings: Settings | None = None) -> pd.DataFrame:
    """Buyers per month and member level (the tier growth chart): the KPI ``buyers`` by month × member
    level, counted over the period's purchases alone — the KPI's facts also judge each buyer "returning"
    against their history, which this chart does not show (0.3 s of a region's page at 10 M orders).
    A test keeps the two equal.  Columns month ("2026-10"), member_level, n."""
    df = aggregate(wh, "purchases", group={"month": "month", "member_level": "member_level"},
                   measures={"n": "COUNT(DISTINCT customer_id)"}, months=months, scope=scope, filters=filters,
                   settings=settings or load_settings(wh))
    if df.empty:
        return pd.DataFrame(columns=["month", "member_level", "n"])
    df["month"] = [month_key(m) for m in pd.to_datetime(df["month"]).dt.date]
    df["n"] = df["n"].astype(int)
    return df[["month", "member_level", "n"]].sort_values(["month", "member_level"], na_position="last",
                                                          ignore_index=True)


def migration(wh, *, month: str | date, scope: Scope, filters: Filters = NO_FILTERS,
              settings: Settings | None = None) -> pd.DataFrame:
    """Customers who bought in the month before and in ``month``: level before (rows) × level after
    (columns).  A customer's level in a month is that of their last paid order that month (of two
    orders at the same second, the greater level); an order without a level counts under "—".
    Counted in the warehouse: only the matrix comes back."""
    settings = settings or load_settings(wh)
    now = normalise([month])[-1]
    levels = ("SELECT customer_id, month, level FROM (SELECT g.customer_id, g.month, COALESCE(g.member_level, '—') AS level,"
              " ROW_NUMBER() OVER (PARTITION BY g.customer_id, g.month ORDER BY g.last_at DESC,"
              " g.member_level DESC NULLS LAST) AS k FROM {grouped} g) x WHERE k = 1")
    pairs = ("SELECT MAX(CASE WHEN month < :migration_month THEN level END) AS before,"
             " MAX(CASE WHEN month = :migration_month THEN level END) AS after"
             f" FROM ({levels}) last_level GROUP BY customer_id HAVING COUNT(*) = 2")
    df = aggregate(wh, "purchases", group={"customer_id": "customer_id", "month": "month",
                                           "member_level": "member_level"},
                   measures={"last_at": "MAX(last_at)"}, months=[add_months(now, -1), now], scope=scope,
                   filters=filters, settings=settings, params={"migration_month": now},
                   outer=f"SELECT before, after, COUNT(*) AS customers, COUNT(*) AS fact_rows FROM ({pairs}) p"
                         " GROUP BY before, after")
    if df.empty:
        return pd.DataFrame()
    return df.pivot_table(index="before", columns="after", values="customers", aggfunc="sum", fill_value=0).astype(int)


@dataclass(frozen=True)
class Lists:
    dormant: pd.DataFrame
    churned: pd.DataFrame
    top: pd.DataFrame
    sizes: dict[str, int]   # the whole lists' sizes: "dormant", "churned", "top" (those listed are cut)


LIST_COLUMNS = ["customer_id", "customer_phone", "last_purchase", "days_since", "revenue_12m", "orders_12m"]


LIST_LIMIT = 1000   # rows per list: the most valuable first (a chain's region has ~800,000 customers)
LIST_MONTHS = 12    # the lists look back this many months (and past ``churn_days`` when it is longer)


def list_months(now: date, settings: Settings) -> list[date]:
    """The months the lists read: the ``LIST_MONTHS`` to ``now``'s end, or back to the month of
    ``churn_days`` + 31 days before it when that is earlier — so the dormant list is complete and the
    churned list holds those lost within about a year; a customer quiet for longer is counted in
    ``churned_customers`` but is no longer anyone's rescue call."""
    end = month_end(now)
    back = (end - timedelta(days=int(settings.churn_days) + 31)).date()
    first = min(add_months(now, -(LIST_MONTHS - 1)), date(back.year, back.month, 1))
    return month_range(first, now)


def lists(wh, *, month: str | date, scope: Scope, filters: Filters = NO_FILTERS, settings: Settings | None = None,
          top_n: int = LIST_LIMIT, phones: bool = False) -> Lists:
    """The month's dormant and churned customers (as at its end) and its top customers, each list the
    ``top_n`` with the most revenue over the 12 months to the month's end, with their last purchase
    (``phones``: and a phone from their contacts, masked — ``list_phones``).  Cut in the warehouse over
    the purchases of ``list_months``: only the listed rows and each list's size come back.  Dormant and churned as the
    KPIs judge them (last paid order, within the scope and filters, before ``month_end − dormant_days``
    / ``− churn_days``)."""
    settings = settings or load_settings(wh)
    now = normalise([month])[-1]
    end = month_end(now)
    params = {"list_year": add_months(now, -(LIST_MONTHS - 1)), "list_n": int(top_n),
              "list_dormant": end - timedelta(days=int(settings.dormant_days)),
              "list_churned": end - timedelta(days=int(settings.churn_days))}
    state = ("CASE WHEN g.last_at < :list_churned THEN 'churned' WHEN g.last_at < :list_dormant THEN 'dormant'"
             " ELSE 'active' END")
    # each state's top n by a top-n scan, not a sort of every customer (a region: 780,000 at 10 M orders)
    tops = " UNION ALL ".join(
        f"(SELECT * FROM listed WHERE state = '{k}' ORDER BY revenue DESC NULLS LAST, customer_id LIMIT :list_n)"
        for k in ("dormant", "churned", "active"))
    cut = (f"WITH listed AS MATERIALIZED (SELECT g.*, {state} AS state FROM {{grouped}} g),"
           " sizes AS (SELECT state, COUNT(*) AS in_state, SUM(CASE WHEN revenue > 0 THEN 1 ELSE 0 END) AS paying"
           " FROM listed GROUP BY state)"
           " SELECT t.*, s.in_state, (SELECT SUM(paying) FROM sizes) AS paying"
           f" FROM ({tops}) t JOIN sizes s ON s.state = t.state")
    found = aggregate(wh, "purchases", group={"customer_id": "customer_id"},
                      measures={"last_at": "MAX(last_at)",
                                "revenue": "SUM(CASE WHEN month >= :list_year THEN revenue END)",
                                "orders": "SUM(CASE WHEN month >= :list_year THEN orders END)"},
                      months=list_months(now, settings), scope=scope, filters=filters, settings=settings,
                      params=params, outer=cut)
    sizes = {k: int(found.loc[found["state"] == k, "in_state"].iloc[0]) if (found["state"] == k).any() else 0
             for k in ("dormant", "churned")}
    sizes["top"] = int(found["paying"].iloc[0]) if len(found) else 0
    frame = found.copy()
    frame["last_purchase"] = pd.to_datetime(frame["last_at"])
    frame["days_since"] = ((pd.Timestamp(end) - frame["last_purchase"]).dt.total_seconds() // 86400).astype("Int64")
    frame["revenue_12m"] = frame["revenue"].astype(float).fillna(0.0)
    frame["orders_12m"] = frame["orders"].fillna(0).astype(int)
    frame = frame.sort_values(["revenue_12m", "customer_id"], ascending=[False, True])
    columns = [c for c in LIST_COLUMNS if c != "customer_phone"]

    def pick(mask) -> pd.DataFrame:
        got = frame[mask][columns].head(top_n).reset_index(drop=True)
        return list_phones(wh, got, month=now, scope=scope, settings=settings) if phones else got

    return Lists(pick(frame["state"] == "dormant"), pick(frame["state"] == "churned"), pick(frame["revenue_12m"] > 0),
                 sizes)


def list_phones(wh, frame: pd.DataFrame, *, month: str | date, scope: Scope,
                settings: Settings | None = None) -> pd.DataFrame:
    """A list with each customer's phone from their contacts over the 12 months to ``month``'s end,
    masked, in ``LIST_COLUMNS`` order.  Looked up for the listed customers only, and only when asked
    (the download): it is a scan of the year's contacts (0.4 s at 10 M), which the page does not need
    to show the list."""
    now = normalise([month])[-1]
    ids = sorted(set(frame["customer_id"].dropna()))
    phones = (aggregate(wh, "tickets", group={"customer_id": "customer_id"},
                        measures={"customer_phone": "MAX(customer_phone)"},
                        months=month_range(add_months(now, -(LIST_MONTHS - 1)), now), scope=scope, settings=settings,
                        where="customer_id IN :list_ids", params={"list_ids": ids}, expanding=("list_ids",))
              if ids else pd.DataFrame(columns=["customer_id", "customer_phone"]))
    out = frame.drop(columns=["customer_phone"], errors="ignore").merge(
        phones[["customer_id", "customer_phone"]], on="customer_id", how="left")
    out["customer_phone"] = out["customer_phone"].map(lambda p: mask_phone(p) if isinstance(p, str) else p)
    return out[[c for c in LIST_COLUMNS if c in out.columns]]


def campaign_response(wh, *, starts: date, ends: date, scope: Scope, filters: Filters = NO_FILTERS,
                      settings: Settings | None = None) -> dict:
    """Dormant and churned customers at a campaign's start (as at the end of the month before it) and how
    many of them bought during the campaign window — the reactivation and rescue a campaign achieved."""
    settings = settings or load_settings(wh)
    before = add_months(date(starts.year, starts.month, 1), -1)
    state = aggregate(wh, "customers", group={"customer_id": "customer_id"},
                      measures={"dormant": "MAX(CASE WHEN dormant THEN 1 ELSE 0 END)",
                                "churned": "MAX(CASE WHEN churned THEN 1 ELSE 0 END)"},
                      months=[before], scope=scope, filters=filters, settings=settings)
    months = month_range(starts, ends)
    bought = aggregate(wh, "sales", group={"customer_id": "customer_id"},
                       measures={"in_window": "SUM(CASE WHEN paid AND ordered_at >= :cr_from AND ordered_at < :cr_to"
                                              " THEN 1 ELSE 0 END)"},
                       months=months, scope=scope, filters=filters, settings=settings,
                       params={"cr_from": starts, "cr_to": ends + timedelta(days=1)})
    buyers = set(bought.loc[bought["in_window"].astype(float) > 0, "customer_id"].dropna())
    out = {}
    for kind in ("dormant", "churned"):
        ids = set(state.loc[state[kind] == 1, "customer_id"]) if len(state) else set()
        out[kind] = len(ids)
        out[f"{kind}_bought"] = len(ids & buyers)
        out[f"{kind}_rate"] = len(ids & buyers) / len(ids) if ids else math.nan
    return out
