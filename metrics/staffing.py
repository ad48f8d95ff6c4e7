"""Staffing: seats and staff per seat (the seed's rule), and Erlang C per half-hour interval.

Erlang C (M/M/N): with traffic A = calls × AHT / interval erlangs and N > A agents,
P(wait) = C(N, A) from the Erlang B recursion; service level = 1 − P(wait)·e^{−(N−A)·t/AHT};
ASA = P(wait)·AHT / (N − A); occupancy = A / N.  Published check: 100 calls per 30 min, AHT 180 s,
80 % within 20 s → 14 agents, SL 0.888, occupancy 0.714, P(wait) 0.174, ASA 7.84 s (13 give 0.796).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
import math

import pandas as pd

from metrics.months import add_months, parse_month
from metrics.query import aggregate
from metrics.registry import BY_KEY, Count, Sum
from metrics.scope import NO_FILTERS, Filters, Scope
from metrics.settings import Settings, load_settings

INTERVAL_SECONDS = 1800


# ------------------------------------------------------------------ the seed's seat rule (scorecards §5)
def seats(subscribers: int, per_seat: float = 20000) -> int:
    """Seats = ⌈subscribers / 20 000⌉."""
    return math.ceil(subscribers / per_seat) if subscribers > 0 else 0


def staff_per_seat(hours_per_day: float = 14, days_per_month: float = 30, legal_hours: float = 174) -> float:
    """(seat hours per day × working days per month) / statutory hours per month: 14 × 30 / 174 = 2.41."""
    return hours_per_day * days_per_month / legal_hours


# ------------------------------------------------------------------ Erlang C
def erlang_c(agents: int, traffic: float) -> float:
    """Probability that a call waits; 1.0 when the agents cannot carry the traffic."""
    if traffic <= 0:
        return 0.0
    if agents <= traffic:
        return 1.0
    b = 1.0
    for n in range(1, agents + 1):          # Erlang B, numerically stable recursion
        b = traffic * b / (n + traffic * b)
    return agents * b / (agents - traffic * (1 - b))


@dataclass(frozen=True)
class Staffing:
    agents: int
    traffic: float
    p_wait: float
    service_level: float
    occupancy: float
    asa_seconds: float


def evaluate(agents: int, calls: float, aht: float, target_seconds: float,
             interval_seconds: float = INTERVAL_SECONDS) -> Staffing:
    traffic = calls * aht / interval_seconds
    p = erlang_c(agents, traffic)
    if agents <= traffic:
        return Staffing(agents, traffic, 1.0, 0.0, 1.0 if agents else math.nan, math.inf)
    sl = 1 - p * math.exp(-(agents - traffic) * target_seconds / aht)
    return Staffing(agents, traffic, p, sl, traffic / agents, p * aht / (agents - traffic))


def agents_needed(calls: float, aht: float, *, target_level: float = 0.8, target_seconds: float = 20,
                  interval_seconds: float = INTERVAL_SECONDS) -> Staffing:
    """The fewest agents reaching the service-level target (0 when there are no calls)."""
    if calls <= 0 or aht <= 0:
        return Staffing(0, 0.0, 0.0, 1.0, 0.0, 0.0)
    traffic = calls * aht / interval_seconds
    n = max(1, math.floor(traffic) + 1)
    while True:
        s = evaluate(n, calls, aht, target_seconds, interval_seconds)
        if s.service_level >= target_level:
            return s
        n += 1


# ------------------------------------------------------------------ from the loaded calls
_SLOT = "EXTRACT(HOUR FROM created_at) * 2 + CASE WHEN EXTRACT(MINUTE FROM created_at) >= 30 THEN 1 ELSE 0 END"


LOAD_COLUMNS = ["weekday", "slot", "offered", "answered", "handle", "agents", "days"]
PLAN_COLUMNS = ["slot", "time", "calls", "aht_seconds", "agents_needed", "staff_needed", "service_level",
                "asa_seconds", "occupancy", "agents_answering", "days", "headcount_service_level",
                "headcount_asa_seconds"]


def interval_load(wh, month: str | date, *, filters: Filters = NO_FILTERS, scope: Scope,
                  settings: Settings | None = None) -> pd.DataFrame:
    """The month's offered calls per ISO weekday (1 = Monday) and half hour, summed over its days:
    offered, answered (with a talk time), handle seconds, agents answering (distinct per day, summed)
    and the number of days of that weekday with calls — what ``plan`` turns into staffing."""
    settings = settings or load_settings(wh)
    daily = aggregate(
        wh, "tickets", months=[parse_month(month)], filters=filters, scope=scope, settings=settings,
        group={"day": "CAST(created_at AS DATE)", "slot": _SLOT},
        measures={"offered": Count("offered").sql(), "answered": Count("answered AND talk_seconds IS NOT NULL").sql(),
                  "handle": Sum("talk_seconds + coalesce(hold_seconds, 0)", "answered").sql(),
                  "agents": "COUNT(DISTINCT CASE WHEN answered THEN agent END)"})
    daily = daily[daily["offered"] > 0]
    if daily.empty:
        return pd.DataFrame(columns=LOAD_COLUMNS)
    for c in ("offered", "answered", "handle", "agents", "slot"):
        daily[c] = daily[c].astype(float)
    daily["weekday"] = pd.to_datetime(daily["day"]).dt.day_of_week + 1
    days = daily.groupby("weekday")["day"].nunique().rename("days")
    out = daily.groupby(["weekday", "slot"], as_index=False).agg(
        offered=("offered", "sum"), answered=("answered", "sum"), handle=("handle", "sum"), agents=("agents", "sum"))
    out = out.join(days, on="weekday")
    out["slot"] = out["slot"].astype(int)
    return out[LOAD_COLUMNS]


def plan(load: pd.DataFrame, *, weekday: int | None = None, aht: float | None = None, target_level: float = 0.8,
         target_seconds: float = 15, shrinkage: float = 0.0, headcount: int | None = None) -> pd.DataFrame:
    """Erlang C per half hour of an average day (of ``weekday``, or of every day of the month): calls,
    AHT (the data's, or the what-if ``aht``), agents needed on the phones for the target, staff to
    schedule once ``shrinkage`` (breaks, training, absence: a share of paid time off the phones) is
    allowed for, the service level, ASA and occupancy that staffing gives, the agents who actually
    answered then, and — at a given ``headcount`` of scheduled staff — the service level and ASA it
    would reach.  The export has no log-in data, so "agents answering" is the closest measure of the
    agents on the phones."""
    if not 0 <= shrinkage < 1:
        raise ValueError("shrinkage must be in [0, 1)")
    d = load if weekday is None else load[load["weekday"] == weekday]
    if d.empty:
        return pd.DataFrame(columns=PLAN_COLUMNS)
    days = float(d.drop_duplicates("weekday")["days"].sum())
    per_slot = d.groupby("slot").agg(offered=("offered", "sum"), answered=("answered", "sum"),
                                     handle=("handle", "sum"), agents=("agents", "sum"))
    overall_aht = per_slot["handle"].sum() / per_slot["answered"].sum() if per_slot["answered"].sum() else 0.0
    on_phones = None if headcount is None else math.floor(headcount * (1 - shrinkage))
    rows = []
    for slot, r in per_slot.iterrows():          # 48 half hours at most: aggregated, not data rows
        calls = r["offered"] / days
        handle = aht if aht else (r["handle"] / r["answered"] if r["answered"] else overall_aht)
        need = agents_needed(calls, handle, target_level=target_level, target_seconds=target_seconds)
        at = evaluate(on_phones, calls, handle, target_seconds) if on_phones is not None and calls > 0 and handle > 0 \
            else None
        slot = int(slot)
        rows.append([slot, f"{slot // 2:02d}:{'30' if slot % 2 else '00'}", calls, handle, need.agents,
                     math.ceil(need.agents / (1 - shrinkage)), need.service_level, need.asa_seconds, need.occupancy,
                     r["agents"] / days, days, at.service_level if at else math.nan,
                     at.asa_seconds if at else math.nan])
    return pd.DataFrame(rows, columns=PLAN_COLUMNS).sort_values("slot").reset_index(drop=True)


def week_plan(load: pd.DataFrame, **what) -> pd.DataFrame:
    """``plan`` for every weekday of ``load`` (the heatmap of agents needed), with its ``weekday``."""
    days = sorted(int(d) for d in load["weekday"].unique())
    frames = [plan(load, weekday=d, **what).assign(weekday=d) for d in days]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=[*PLAN_COLUMNS, "weekday"])


def mean_aht(planned: pd.DataFrame) -> float:
    """The average handle time of a plan, weighted by its calls (0 without calls)."""
    calls = planned["calls"].sum()
    return float((planned["aht_seconds"] * planned["calls"]).sum() / calls) if calls else 0.0


def interval_requirements(wh, month: str | date, *, filters: Filters = NO_FILTERS, scope: Scope,
                          settings: Settings | None = None) -> pd.DataFrame:
    """Per half hour of the day, averaged over the days of ``month`` that have calls, for the
    settings' service-level target (default 80 % within 15 s): ``plan`` over ``interval_load``."""
    settings = settings or load_settings(wh)
    load = interval_load(wh, month, filters=filters, scope=scope, settings=settings)
    return plan(load, target_level=settings.service_level_target, target_seconds=settings.service_level_seconds)


def weekly_answer_rates(wh, *, until: str | date, weeks: int = 8, filters: Filters = NO_FILTERS, scope: Scope,
                        settings: Settings | None = None) -> pd.DataFrame:
    """Answer rate (KPI ``answer_rate``'s numerator and denominator) per ISO week."""
    m = BY_KEY["answer_rate"]
    last = parse_month(until)
    months = [add_months(last, -i) for i in range(math.ceil(weeks / 4) + 1, -1, -1)]
    df = aggregate(wh, "tickets", months=months, filters=filters, scope=scope, settings=settings,
                   group={"week": "CAST(date_trunc('week', created_at) AS DATE)"},
                   measures={"answered": m.numerator.sql(), "base": m.denominator.sql()})
    df = df.sort_values("week").tail(weeks).reset_index(drop=True)
    df["answered"], df["base"] = df["answered"].astype(float), df["base"].astype(float)
    df["answer_rate"] = df["answered"].where(df["base"] > 0) / df["base"].where(df["base"] > 0)
    return df[["week", "answered", "base", "answer_rate"]]


def seat_alert(rates: pd.Series, drop: float = 0.05, weeks: int = 3) -> bool:
    """The seed's trigger to open a seat: the weekly answer rate has stayed at least ``drop`` (5 pp)
    below the week before the slide for ``weeks`` (3) weeks running."""
    values = [v for v in rates.tolist() if not pd.isna(v)]
    if len(values) < weeks + 1:
        return False
    base, recent = values[-weeks - 1], values[-weeks:]
    return all(base - v >= drop - 1e-12 for v in recent)


def capacity(subscribers: int, settings: Settings) -> dict:
    """Seats and staff for a subscriber count under the settings (scorecards §5)."""
    n = seats(subscribers, settings.subscribers_per_seat)
    per = staff_per_seat(settings.seat_hours_per_day, settings.working_days_per_month,
                         settings.legal_hours_per_month)
    return {"seats": n, "staff_per_seat": per, "staff": math.ceil(n * per)}

