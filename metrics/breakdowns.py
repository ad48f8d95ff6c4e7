"""Breakdowns the pages chart that are not KPIs by a dimension: hour × weekday, grade mix,
resolution-time buckets, and the values a viewer may filter by.  All through ``aggregate``, so the
viewer's scope and filters apply exactly as for the KPIs."""
from __future__ import annotations

from datetime import date
from typing import Sequence

import pandas as pd

import texts
from metrics.months import month_key
from metrics.query import aggregate
from metrics.registry import BY_KEY, Count
from metrics.scope import NO_FILTERS, Filters, Scope
from metrics.settings import Settings


def _nums(df: pd.DataFrame, cols: Sequence[str]) -> pd.DataFrame:
    for c in cols:
        df[c] = df[c].astype(float)
    return df


def hour_weekday(wh, *, months: Sequence[str | date], filters: Filters = NO_FILTERS, scope: Scope,
                 settings: Settings | None = None) -> pd.DataFrame:
    """Offered calls and the within-N-rings rate per ISO weekday (1 = Monday) and hour."""
    m = BY_KEY["answer_within_3_rings_rate"]
    df = aggregate(wh, "tickets", months=months, filters=filters, scope=scope, settings=settings,
                   group={"weekday": "EXTRACT(ISODOW FROM created_at)", "hour": "EXTRACT(HOUR FROM created_at)"},
                   measures={"offered": Count("offered").sql(), "within": m.numerator.sql(),
                             "base": m.denominator.sql()})
    df = _nums(df, ["weekday", "hour", "offered", "within", "base"])
    df["rate"] = df["within"].where(df["base"] > 0) / df["base"].where(df["base"] > 0)
    return df[df["offered"] > 0].astype({"weekday": int, "hour": int}).reset_index(drop=True)


def grade_mix(wh, *, months: Sequence[str | date], filters: Filters = NO_FILTERS, scope: Scope,
              settings: Settings | None = None) -> pd.DataFrame:
    """Graded callbacks per month and grade A–D."""
    df = aggregate(wh, "callbacks", months=months, filters=filters, scope=scope, settings=settings,
                   group={"month": "month", "grade": "satisfaction"}, measures={"n": Count().sql()})
    df = df[df["grade"].notna()].copy()
    df["month"] = [month_key(pd.Timestamp(x).date()) for x in df["month"]]
    return _nums(df, ["n"])[["month", "grade", "n"]].sort_values(["month", "grade"]).reset_index(drop=True)


# upper bounds in hours; a bucket's words are the catalog text bucket.<i>
RESOLUTION_BUCKETS = (4, 8, 24, 72, 168, None)


def resolution_buckets(wh, *, months: Sequence[str | date], filters: Filters = NO_FILTERS, scope: Scope,
                       settings: Settings | None = None, lang: str = texts.DEFAULT) -> pd.DataFrame:
    """Tickets resolved in the months by hours from creation to resolution."""
    whens = " ".join(f"WHEN resolution_hours <= {h} THEN {i}" for i, h in enumerate(RESOLUTION_BUCKETS) if h)
    df = aggregate(wh, "resolved", months=months, filters=filters, scope=scope, settings=settings,
                   group={"bucket": f"CASE {whens} ELSE {len(RESOLUTION_BUCKETS) - 1} END"},
                   measures={"n": Count("resolution_hours IS NOT NULL").sql()})
    df = _nums(df, ["bucket", "n"]).astype({"bucket": int})
    out = pd.DataFrame({"bucket": range(len(RESOLUTION_BUCKETS)),
                        "label": [texts.text(f"bucket.{i}", lang) for i in range(len(RESOLUTION_BUCKETS))]})
    return out.merge(df[["bucket", "n"]], on="bucket", how="left").fillna({"n": 0})


def filter_values(wh, *, months: Sequence[str | date], scope: Scope) -> pd.DataFrame:
    """Distinct (region, store, team, division, channel) combinations the viewer may see, from calls and orders."""
    frames = []
    for source in ("tickets", "sales"):
        frames.append(aggregate(wh, source, months=months, scope=scope,
                                group={d: d for d in ("region", "store", "team", "division", "channel")},
                                measures={}))
    df = pd.concat(frames, ignore_index=True)
    return df.drop(columns="fact_rows").drop_duplicates().reset_index(drop=True)
