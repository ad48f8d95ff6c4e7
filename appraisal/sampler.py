"""The callback sampler: a reproducible draw of handled after-sales tickets per agent and month
(the seed's supervisors call back 20 per agent), as a call list, with progress toward 20 graded.

The draw orders each agent's handled tickets by SHA-256 of ``month|agent|ticket_id`` and takes the
first ``sampler.size``: the same data always gives the same list, whatever the load order, and no
one can pick the easy customers.  Phones are masked (the list is for the UI and its download;
callers dial from the ticketing system by ticket id).
"""
from __future__ import annotations

from datetime import date
import hashlib

import pandas as pd
import sqlalchemy as sa

from appraisal.rules import rules_for
from metrics.months import month_key, parse_month
from metrics.query import aggregate
from metrics.scope import Scope
from warehouse.db import sql_function
from warehouse.safety import mask_phone

COLUMNS = ["agent", "draw", "ticket_id", "category", "created_at", "resolved_at", "customer_phone", "graded",
           "satisfaction"]


def _key(month: date, agent: str, ticket: str) -> str:
    return hashlib.sha256(f"{month_key(month)}|{agent}|{ticket}".encode()).hexdigest()


def sample(wh, month: str | date, *, scope: Scope, size: int | None = None) -> pd.DataFrame:
    """The call list: up to ``size`` handled tickets per agent, in draw order, graded or not.

    The draw is made in the warehouse (``sql_function(..., "sha256_hex", ...)`` gives the digest
    ``_key`` gives): only the drawn tickets come back, not the month's handled tickets."""
    m = parse_month(month)
    size = size or rules_for(wh, m).int("sampler.size")
    handled = "aftersales AND status IN ('resolved', 'closed') AND agent IS NOT NULL"
    key = sql_function(wh.dialect, "sha256_hex", f"'{month_key(m)}|' || agent || '|' || ticket_id")

    def handled_only(column: str) -> str:   # the other tickets fall into one group per agent, drawn last
        return f"CASE WHEN {handled} THEN {column} END"

    df = aggregate(wh, "resolved", months=[m], scope=scope, group={
        "agent": "agent", "ticket_id": handled_only("ticket_id"), "category": handled_only("category"),
        "customer_phone": handled_only("customer_phone"), "draw_key": handled_only(key)},
        measures={"created_at": "MIN(created_at)", "resolved_at": "MIN(resolved_at)",
                  "handled": f"SUM(CASE WHEN {handled} THEN 1 ELSE 0 END)"},
        first=("agent", "draw_key NULLS LAST, ticket_id", size))
    df = df[(df["handled"] > 0) & df["agent"].notna()]
    if df.empty:
        return pd.DataFrame(columns=COLUMNS)
    df = df.sort_values(["agent", "nth"]).rename(columns={"nth": "draw"}).copy()
    df["draw"] = df["draw"].astype("int64")
    grades = _grades(wh, list(df["ticket_id"]))
    df["satisfaction"] = df["ticket_id"].map(grades)
    df["graded"] = df["satisfaction"].notna()
    df["customer_phone"] = df["customer_phone"].map(mask_phone)
    return df[COLUMNS].reset_index(drop=True)


def _grades(wh, tickets: list[str]) -> dict[str, str]:
    """The latest grade of each ticket's callbacks, whenever they were made."""
    if not tickets:
        return {}
    stmt = sa.text("SELECT ticket_id, satisfaction FROM callbacks WHERE satisfaction IS NOT NULL "
                   "AND ticket_id IN :ids ORDER BY callback_at").bindparams(sa.bindparam("ids", expanding=True))
    with wh.connect() as conn:
        return {t: s for t, s in conn.execute(stmt, {"ids": tickets}).fetchall()}


def progress(calls: pd.DataFrame, size: int) -> pd.DataFrame:
    """Per agent: tickets drawn, graded so far, the target and the share done."""
    if calls.empty:
        return pd.DataFrame(columns=["agent", "drawn", "graded", "target", "done"])
    out = calls.groupby("agent").agg(drawn=("ticket_id", "count"), graded=("graded", "sum")).reset_index()
    out["target"] = size
    out["done"] = out["graded"] / size
    return out
