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


def interval_requirements(wh, month: str | date, *, filters: Filters = NO_FILTERS, scope: Scope,
                          settings: Settings | None = None) -> pd.DataFrame:
    """Per half hour of the day, averaged over the days of ``month`` that have calls: offered calls,
    AHT, agents needed for the service-level target (settings: default 80 % within 15 s), the
    service level and ASA that staffing gives, and the agents who actually answered calls then
    (distinct agents per day, averaged) — the export has no log-in data, so this is the closest
    measure of agents on the phones."""
    settings = settings or load_settings(wh)
    month = parse_month(month)
    daily = aggregate(
        wh, "tickets", months=[month], filters=filters, scope=scope, settings=settings,
        group={"day": "CAST(created_at AS DATE)", "slot": _SLOT},
        measures={"offered": Count("offered").sql(), "answered": Count("answered AND talk_seconds IS NOT NULL").sql(),
                  "handle": Sum("talk_seconds + coalesce(hold_seconds, 0)", "answered").sql(),
                  "agents": "COUNT(DISTINCT CASE WHEN answered THEN agent END)"})
    columns = ["slot", "time", "calls", "aht_seconds", "agents_needed", "service_level", "asa_seconds",
               "occupancy", "agents_answering", "days"]
    daily = daily[daily["offered"] > 0]
    if daily.empty:
        return pd.DataFrame(columns=columns)
    for c in ("offered", "answered", "handle", "agents", "slot"):
        daily[c] = daily[c].astype(float)
    days = daily["day"].nunique()
    per_slot = daily.groupby("slot").agg(offered=("offered", "sum"), answered=("answered", "sum"),
                                         handle=("handle", "sum"), agents=("agents", "sum"))
    overall_aht = per_slot["handle"].sum() / per_slot["answered"].sum() if per_slot["answered"].sum() else 0.0
    rows = []
    for slot, r in per_slot.iterrows():          # 48 half hours at most: aggregated, not data rows
        calls = r["offered"] / days
        aht = r["handle"] / r["answered"] if r["answered"] else overall_aht
        need = agents_needed(calls, aht, target_level=settings.service_level_target,
                             target_seconds=settings.service_level_seconds)
        slot = int(slot)
        rows.append([slot, f"{slot // 2:02d}:{'30' if slot % 2 else '00'}", calls, aht, need.agents,
                     need.service_level, need.asa_seconds, need.occupancy, r["agents"] / days, days])
    return pd.DataFrame(rows, columns=columns).sort_values("slot").reset_index(drop=True)


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

