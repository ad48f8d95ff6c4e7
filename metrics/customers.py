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
from datetime import date, timedelta
import math
from typing import Sequence

import numpy as np
import pandas as pd

from metrics.months import add_months, month_end, month_range, normalise
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


def score_recency(days: pd.Series, edges: Sequence[float]) -> pd.Series:
    """At most edge 1 → 5, at most edge 2 → 4, …, beyond edge 4 → 1."""
    return pd.Series(5 - np.searchsorted(np.asarray(edges, dtype=float), days.to_numpy(dtype=float), side="left"),
                     index=days.index).clip(1, 5).astype(int)


def score_up(values: pd.Series, edges: Sequence[float]) -> pd.Series:
    """Below edge 1 → 1, below edge 2 → 2, …, at least edge 4 → 5."""
    return pd.Series(1 + np.searchsorted(np.asarray(edges, dtype=float), values.to_numpy(dtype=float), side="right"),
                     index=values.index).clip(1, 5).astype(int)


def _period_end(months) -> pd.Timestamp:
    return pd.Timestamp(month_end(normalise(months)[-1]))


def rfm(wh, *, months: Sequence[str | date], scope: Scope, filters: Filters = NO_FILTERS,
        settings: Settings | None = None) -> pd.DataFrame:
    """One row per customer who bought in the period: recency_days, orders, revenue, the three scores,
    the RFM code (e.g. 545) and the segment."""
    settings = settings or load_settings(wh)
    df = aggregate(wh, "buyers", group={"customer_id": "customer_id"},
                   measures={"orders": "SUM(paid_orders)", "revenue": "SUM(revenue)", "last_at": "MAX(last_at)"},
                   months=months, scope=scope, filters=filters, settings=settings)
    cols = ["customer_id", "recency_days", "orders", "revenue", "r", "f", "m", "code", "segment"]
    if df.empty:
        return pd.DataFrame(columns=cols)
    end = _period_end(months)
    df["orders"] = df["orders"].astype(int)
    df["revenue"] = df["revenue"].astype(float)
    df["recency_days"] = (end - pd.to_datetime(df["last_at"])).dt.total_seconds() / 86400
    df["r"] = score_recency(df["recency_days"], bins(settings.rfm_recency_days))
    df["f"] = score_up(df["orders"], bins(settings.rfm_frequency))
    df["m"] = score_up(df["revenue"], bins(settings.rfm_monetary))
    df["code"] = df["r"].astype(str) + df["f"].astype(str) + df["m"].astype(str)
    df["segment"] = [SEGMENTS[(r >= HIGH, f >= HIGH, m >= HIGH)] for r, f, m in zip(df["r"], df["f"], df["m"])]
    return df.sort_values(["revenue", "customer_id"], ascending=[False, True])[cols].reset_index(drop=True)


def segment_grid(table: pd.DataFrame) -> pd.DataFrame:
    """Customers per R score (rows 5 … 1) × F score (columns 1 … 5)."""
    grid = pd.crosstab(table["r"], table["f"]).reindex(index=[5, 4, 3, 2, 1], columns=[1, 2, 3, 4, 5], fill_value=0)
    return grid


def segments(table: pd.DataFrame) -> pd.DataFrame:
    """Per segment: customers, revenue and its share, in the order of ``SEGMENTS``."""
    total = float(table["revenue"].sum()) if len(table) else 0.0
    out = []
    for seg in SEGMENTS.values():
        part = table[table["segment"] == seg]
        out.append({"segment": seg, "customers": len(part), "revenue": float(part["revenue"].sum()),
                    "share": float(part["revenue"].sum()) / total if total else math.nan})
    return pd.DataFrame(out)


def pareto(table: pd.DataFrame) -> tuple[pd.DataFrame, float]:
    """Customers by revenue (largest first) with the cumulative share of customers and revenue; and
    the revenue share of the top ``TOP_SHARE`` of customers (⌈20 % × n⌉ of them)."""
    d = table.sort_values("revenue", ascending=False).reset_index(drop=True)
    total = float(d["revenue"].sum())
    if d.empty or total <= 0:
        return pd.DataFrame(columns=["rank", "customer_share", "revenue_share"]), math.nan
    d["rank"] = np.arange(1, len(d) + 1)
    d["customer_share"] = d["rank"] / len(d)
    d["revenue_share"] = d["revenue"].cumsum() / total
    top = math.ceil(TOP_SHARE * len(d))
    return d[["rank", "customer_share", "revenue_share"]], float(d["revenue"].iloc[:top].sum() / total)


def _levels(wh, month: date, scope: Scope, filters: Filters, settings: Settings) -> pd.Series:
    df = aggregate(wh, "buyers", group={"customer_id": "customer_id", "member_level": "member_level"},
                   measures={"last_at": "MAX(last_at)"}, months=[month], scope=scope, filters=filters,
                   settings=settings)
    if df.empty:
        return pd.Series(dtype=object)
    df = df.sort_values(["customer_id", "last_at"]).groupby("customer_id").tail(1)
    return df.set_index("customer_id")["member_level"]


def migration(wh, *, month: str | date, scope: Scope, filters: Filters = NO_FILTERS,
              settings: Settings | None = None) -> pd.DataFrame:
    """Customers who bought in the month before and in ``month``: level before (rows) × level after
    (columns); an order without a level counts under ``None``."""
    settings = settings or load_settings(wh)
    now = normalise([month])[-1]
    before = _levels(wh, add_months(now, -1), scope, filters, settings)
    after = _levels(wh, now, scope, filters, settings)
    both = before.index.intersection(after.index)
    if not len(both):
        return pd.DataFrame()
    pairs = pd.DataFrame({"before": before[both].fillna("—").to_numpy(), "after": after[both].fillna("—").to_numpy()})
    return pd.crosstab(pairs["before"], pairs["after"])


@dataclass(frozen=True)
class Lists:
    dormant: pd.DataFrame
    churned: pd.DataFrame
    top: pd.DataFrame


LIST_COLUMNS = ["customer_id", "customer_phone", "last_purchase", "days_since", "revenue_12m", "orders_12m"]


LIST_LIMIT = 1000   # rows per list: the most valuable first (a chain's region has ~800,000 customers)


def lists(wh, *, month: str | date, scope: Scope, filters: Filters = NO_FILTERS, settings: Settings | None = None,
          top_n: int = LIST_LIMIT) -> Lists:
    """The month's dormant and churned customers (as at its end) and its top customers, each list the
    ``top_n`` with the most revenue over the 12 months to the month's end, with their last purchase and
    a phone from their latest contact, masked.  Cut in the warehouse: only the listed rows come back
    (the counts of the whole lists are the KPIs ``dormant_customers`` / ``churned_customers``)."""
    settings = settings or load_settings(wh)
    now = normalise([month])[-1]
    year = [add_months(now, -k) for k in range(11, -1, -1)]
    # the top n of each state (dormant, churned, neither): the overall top n are among them
    state = aggregate(wh, "customers", group={"customer_id": "customer_id"},
                      measures={"dormant": "MAX(CASE WHEN dormant THEN 1 ELSE 0 END)",
                                "churned": "MAX(CASE WHEN churned THEN 1 ELSE 0 END)",
                                "last_at": "MAX(last_by_end)", "revenue": "SUM(revenue_12m)",
                                "orders": "SUM(orders_12m)"},
                      months=[now], scope=scope, filters=filters, settings=settings,
                      first=("dormant, churned", "revenue DESC NULLS LAST, customer_id", int(top_n)))
    ids = sorted(set(state["customer_id"].dropna()))
    phones = (aggregate(wh, "tickets", group={"customer_id": "customer_id"},
                        measures={"customer_phone": "MAX(customer_phone)"}, months=year, scope=scope,
                        settings=settings, where="customer_id IN :list_ids", params={"list_ids": ids},
                        expanding=("list_ids",))
              if ids else pd.DataFrame(columns=["customer_id", "customer_phone"]))
    end = pd.Timestamp(month_end(now))
    frame = state.merge(phones[["customer_id", "customer_phone"]], on="customer_id", how="left")
    frame["last_purchase"] = pd.to_datetime(frame["last_at"])
    frame["days_since"] = ((end - frame["last_purchase"]).dt.total_seconds() // 86400).astype("Int64")
    frame["revenue_12m"] = frame["revenue"].astype(float).fillna(0.0)
    frame["orders_12m"] = frame["orders"].fillna(0).astype(int)
    frame["customer_phone"] = frame["customer_phone"].map(lambda p: mask_phone(p) if isinstance(p, str) else p)
    frame = frame.sort_values(["revenue_12m", "customer_id"], ascending=[False, True])

    def pick(mask) -> pd.DataFrame:
        return frame[mask][LIST_COLUMNS].head(top_n).reset_index(drop=True)

    return Lists(pick(frame["dormant"] == 1), pick(frame["churned"] == 1), pick(frame["revenue_12m"] > 0))


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
