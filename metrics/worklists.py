"""Callback duties as worklists (回访任务): who must be called back, by when, and whether they were.

Two duties of the company's rules are absolute (100 %):

- **key customers** (``key_customers`` export) within ``key_customer_days`` (3) calendar days of
  the trigger — by default a resolved after-sales ticket of theirs (``key_customer_trigger``);
- **installations** (a ticket whose category holds 装机 / 移机 / 安装) done on day D, by the end of
  D + 1 (the appraisal's installer callback rule reads the same declaration).

A trigger is the resolved ticket (the ``resolved`` source, through the builder's scope and
filters, in the month of its resolution); it is *on time* when its first callback is on or before
the due day, *late* when after, *overdue* when there is none and the due day has passed, else *due*.
Days are calendar days of local time.  The courtesy check lists callbacks placed in the customers'
rest hours (``rest_hours``, e.g. ``12:00-14:00,21:00-08:00``).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Callable, Sequence

import pandas as pd
import sqlalchemy as sa

from metrics.months import normalise
from metrics.scope import NO_FILTERS, Filters, Scope
from metrics.settings import Settings, load_settings, rest_windows
from metrics.statements import _with_facts
from warehouse.safety import mask_phone

INSTALL_WORDS = ("装机", "移机", "安装")
IS_INSTALL = "(" + " OR ".join(f"category LIKE '%{w}%'" for w in INSTALL_WORDS) + ")"
STATUSES = ("overdue", "due", "late", "on_time")   # their words: catalog texts worklist.status.<key>
LIMIT = 5000


@dataclass(frozen=True)
class Worklist:
    key: str                                   # its title: catalog text worklist.<key>
    trigger: Callable[[Settings], str]         # SQL over the resolved source's facts
    days: Callable[[Settings], int]            # due by the end of the trigger's day + days


def _key_trigger(s: Settings) -> str:
    division = "aftersales AND " if s.key_customer_trigger == "aftersales_resolved" else ""
    return f"{division}customer_id IN (SELECT customer_id FROM key_customers)"


WORKLISTS: dict[str, Worklist] = {w.key: w for w in (
    Worklist("key_customers", _key_trigger, lambda s: int(s.key_customer_days)),
    Worklist("installations", lambda s: IS_INSTALL, lambda s: 1),
)}


def _rows(wh, sql_tail: str, source: str, *, months, scope: Scope, filters: Filters, settings: Settings,
          extra: dict | None = None) -> pd.DataFrame:
    with_sql, params, expanding = _with_facts(source, months=normalise(months), dims=("month",), filters=filters,
                                              scope=scope, settings=settings)
    params.update(extra or {})
    statement = sa.text(with_sql + sql_tail).bindparams(*(sa.bindparam(n, expanding=True) for n in expanding))
    with wh.connect() as conn:
        result = conn.execute(statement, params)
        return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


def due(wh, key: str, *, months: Sequence, scope: Scope, filters: Filters = NO_FILTERS,
        settings: Settings | None = None, today: date) -> pd.DataFrame:
    """The triggers of ``months`` for worklist ``key`` with ``due_day`` and ``status``, overdue first
    (at most ``LIMIT`` rows); phones masked."""
    settings = settings or load_settings(wh)
    w = WORKLISTS[key]
    df = _rows(wh, f"""SELECT ticket_id, customer_id, customer_phone, region, store, team, agent, category, resolved_at,
            resolved_day, first_callback_day FROM facts WHERE {w.trigger(settings)}
            ORDER BY resolved_at, ticket_id LIMIT {LIMIT}""", "resolved", months=months, scope=scope,
               filters=filters, settings=settings)
    df["resolved_day"] = pd.to_datetime(df["resolved_day"]).dt.date
    df["first_callback_day"] = [None if pd.isna(d) else pd.Timestamp(d).date() for d in df["first_callback_day"]]
    df["due_day"] = [d + timedelta(days=w.days(settings)) for d in df["resolved_day"]]
    df["status"] = [status(first, due_day, today) for first, due_day in zip(df["first_callback_day"], df["due_day"])]
    df["customer_phone"] = df["customer_phone"].map(mask_phone)
    order = {s: i for i, s in enumerate(STATUSES)}
    return df.sort_values(["status", "due_day", "ticket_id"], key=lambda c: c.map(order) if c.name == "status" else c,
                          kind="stable").reset_index(drop=True)


def status(first_callback: date | None, due_day: date, today: date) -> str:
    if first_callback is not None:
        return "on_time" if first_callback <= due_day else "late"
    return "overdue" if today > due_day else "due"


def coverage(frame: pd.DataFrame) -> tuple[int, int]:
    """(called back on time, triggers whose due day has passed or that were called back): the duty's
    rate, 100 % being the rule; triggers still within their window are not counted yet."""
    judged = frame[frame["status"] != "due"]
    return int((judged["status"] == "on_time").sum()), len(judged)


def rest_hours_sql(settings: Settings, column: str) -> str:
    """SQL: ``column`` (a timestamp) falls in one of the rest windows."""
    minute = f"(EXTRACT(HOUR FROM {column}) * 60 + EXTRACT(MINUTE FROM {column}))"
    parts = [f"({minute} >= {a} AND {minute} < {b})" if a < b else f"({minute} >= {a} OR {minute} < {b})"
             for a, b in rest_windows(settings.rest_hours)]
    return "(" + " OR ".join(parts) + ")" if parts else "FALSE"


def courtesy(wh, *, months: Sequence, scope: Scope, filters: Filters = NO_FILTERS,
             settings: Settings | None = None) -> tuple[pd.DataFrame, int]:
    """(callbacks placed in the rest hours, newest first, at most ``LIMIT``; all callbacks of the
    months) — the rule: no callback while customers rest."""
    settings = settings or load_settings(wh)
    inside = rest_hours_sql(settings, "callback_at")
    df = _rows(wh, f"""SELECT callback_id, ticket_id, callback_at, team, agent, result, customer_phone,
            COUNT(*) OVER () AS shown_of FROM facts WHERE {inside} ORDER BY callback_at DESC, callback_id LIMIT {LIMIT}""",
               "callbacks", months=months, scope=scope, filters=filters, settings=settings)
    total = _rows(wh, "SELECT COUNT(*) AS n FROM facts", "callbacks", months=months, scope=scope, filters=filters,
                  settings=settings)["n"].iloc[0]
    df["customer_phone"] = df["customer_phone"].map(mask_phone)
    return df, int(total)
