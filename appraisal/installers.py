"""Installer units (宽带装维): monthly 100-point scores with a strike counter, and the next-day
callback of every installation.

- Score of a unit and month: the entered ``score``, else the sum of the four components
  (装移机及时率, 维护质量, 客户服务, 机房管理, entered as points that add up to 100).
- Verified installer complaints (the complaint register's ``installer_complaints``: 核查属实 with this
  unit) take ``installers.complaint_points`` (5) each off the month's score (not below 0).
- Strikes: months under ``installers.threshold`` (80) in the trailing ``installers.window_months``
  (12, the month shown included); ``installers.strikes`` (2) of them flags the unit for contract
  termination and retraining.
- Callbacks: an installation ticket (category containing one of ``metrics.worklists.INSTALL_WORDS``) done on day D
  must be called back by the end of D + 1.  The unit is the ticket's store (装维网点).  Coverage
  per unit and day; the overdue ones listed.
"""
from __future__ import annotations

from datetime import date

import pandas as pd
import sqlalchemy as sa

from appraisal.rules import rules_for
from metrics.months import add_months, month_key, parse_month
from metrics.query import aggregate
from metrics.registry import BY_KEY
from metrics.scope import Scope
from metrics.worklists import IS_INSTALL as _IS_INSTALL   # what an installation is, declared once


def unit_scores(wh, month: str | date, *, scope: Scope) -> pd.DataFrame:
    """unit, score of the month, strikes in the window, the months under the threshold, flagged.
    A scoped viewer sees the units (stores) their scope has tickets in over the window."""
    m = parse_month(month)
    rules = rules_for(wh, m)
    first = add_months(m, 1 - rules.int("installers.window_months"))
    with wh.connect() as conn:
        df = pd.read_sql(sa.text(
            "SELECT month, unit, COALESCE(score, timeliness + quality + service + room) AS score "
            "FROM installer_scores WHERE month >= :a AND month <= :b"), conn, params={"a": first, "b": m})
    cols = ["unit", "score", "complaints", "deduction", "strikes", "strike_months", "flagged"]
    if df.empty:
        return pd.DataFrame(columns=cols)
    df["month"] = pd.to_datetime(df["month"]).dt.date
    window = [add_months(m, -k) for k in range(rules.int("installers.window_months"))]
    verified = aggregate(wh, "complaints", group={"month": "month", "unit": "unit"}, scope=Scope.all(), months=window,
                         measures={"n": BY_KEY["installer_complaints"].numerator.sql()})
    counts = {(pd.Timestamp(r.month).date(), r.unit): int(r.n) for r in verified.itertuples()}
    df["complaints"] = [counts.get((mo, u), 0) for mo, u in zip(df["month"], df["unit"])]
    df["deduction"] = df["complaints"] * float(rules["installers.complaint_points"])
    df["score"] = (df["score"] - df["deduction"]).clip(lower=0)
    if not scope.is_all:
        seen = aggregate(wh, "tickets", group={"store": "store"}, measures={}, scope=scope,
                         months=[add_months(m, -k) for k in range(rules.int("installers.window_months"))])
        df = df[df["unit"].isin(set(seen["store"]))]
        if df.empty:
            return pd.DataFrame(columns=cols)
    under = df[df["score"] < rules["installers.threshold"]]
    out = pd.DataFrame({"unit": sorted(df["unit"].unique())})
    this = df[df["month"] == m].set_index("unit")
    out["score"] = out["unit"].map(this["score"])
    out["complaints"] = out["unit"].map(this["complaints"]).fillna(0).astype(int)
    out["deduction"] = out["unit"].map(this["deduction"]).fillna(0.0)
    out["strikes"] = out["unit"].map(under.groupby("unit").size()).fillna(0).astype(int)
    out["strike_months"] = out["unit"].map(
        under.sort_values("month").groupby("unit")["month"].agg(lambda s: "、".join(month_key(x) for x in s))
    ).fillna("")
    out["flagged"] = out["strikes"] >= rules.int("installers.strikes")
    return out[cols]


def callback_coverage(wh, month: str | date, *, scope: Scope) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per unit and day: installs, called back in time, coverage), (overdue installations)."""
    # non-installation tickets fall into one group per unit and day (ticket_id NULL, install 0):
    # only the month's installations come back from the warehouse, one row each
    df = aggregate(wh, "resolved", months=[parse_month(month)], scope=scope, group={
        "unit": "store", "day": "resolved_day", "ticket_id": f"CASE WHEN {_IS_INSTALL} THEN ticket_id END"}, measures={
        "install": f"SUM(CASE WHEN {_IS_INSTALL} THEN 1 ELSE 0 END)",
        "first_callback": "MIN(first_callback_day)",
    })
    df = df[df["install"] > 0].copy()
    if df.empty:
        return (pd.DataFrame(columns=["unit", "day", "installs", "in_time", "coverage"]),
                pd.DataFrame(columns=["unit", "day", "ticket_id", "first_callback"]))
    df["day"] = pd.to_datetime(df["day"])
    first = pd.to_datetime(df["first_callback"])
    df["in_time"] = first.notna() & (first <= df["day"] + pd.Timedelta(days=1))
    daily = df.groupby(["unit", "day"]).agg(installs=("ticket_id", "count"), in_time=("in_time", "sum")).reset_index()
    daily["coverage"] = daily["in_time"] / daily["installs"]
    overdue = df.loc[~df["in_time"], ["unit", "day", "ticket_id", "first_callback"]].sort_values(["day", "unit"])
    for frame in (daily, overdue):
        frame["day"] = frame["day"].dt.date
    return daily, overdue.reset_index(drop=True)
