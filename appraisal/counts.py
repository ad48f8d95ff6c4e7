"""What the scorecards count from the loaded data, per agent and month, through the metric layer's
sources (``metrics.query.aggregate``), so the same calls, rings and callbacks make the KPIs and
the scorecards.

The appraisal ranks the whole division, so these counts are always taken over every agent
(``Scope.all()``); the viewer's scope is applied to the finished scorecards (``appraisal.month``).

- **A1** phone calls offered to the agent (inbound, with a result; the same ``offered`` as the
  service-level KPIs) that were missed by them or rang more than ``answer_rings`` times before the
  answer; calls in ``appraisal_excusals`` are skipped.
- **A5** per answered call with hold over the free seconds: ⌈(hold − free) / step⌉ steps.
- **A6** answered calls with hold_count ≥ the threshold (2).
- **handled** (S1) after-sales tickets of the agent with status resolved or closed, by the month of
  ``resolved_at`` (the "resolved" source).
- **graded / points** (S2) the agent's callbacks in the month (by ``callback_at``) with a grade,
  and the sum of their A/B/C/D points under the month's rules.
"""
from __future__ import annotations

from datetime import date

import pandas as pd

from appraisal.rules import Rules
from metrics.query import aggregate
from metrics.scope import Scope
from metrics.settings import Settings, load_settings

EVERYONE = Scope.all()


def _num(x: float) -> str:
    """A rule value inlined into SQL: always a plain float literal (rules are checked numbers)."""
    return repr(float(x))


def call_counts(wh, month: date, rules: Rules, settings: Settings | None = None) -> pd.DataFrame:
    """agent, a1, a5_steps, a6 — phone calls of the month."""
    free, step = _num(rules["presales.hold_free_seconds"]), _num(rules["presales.hold_step_seconds"])
    twice = _num(rules["presales.hold_twice_count"])
    # an excused call (its ticket in appraisal_excusals): an uncorrelated IN, which every engine runs
    # (ClickHouse has no correlated subquery inside an aggregate); a call without a ticket id is not excused
    excused = "COALESCE(ticket_id IN (SELECT ticket_id FROM appraisal_excusals WHERE ticket_id IS NOT NULL), FALSE)"
    df = aggregate(wh, "tickets", group={"agent": "agent"}, months=[month], scope=EVERYONE,
                   settings=settings or load_settings(wh), measures={
        "a1": "SUM(CASE WHEN offered AND agent IS NOT NULL AND (missed OR rings > :answer_rings)"
              f" AND NOT {excused} THEN 1 ELSE 0 END)",
        "a1_excused": "SUM(CASE WHEN offered AND agent IS NOT NULL AND (missed OR rings > :answer_rings)"
                      f" AND {excused} THEN 1 ELSE 0 END)",
        "a5_steps": f"SUM(CASE WHEN answered AND hold_seconds > {free}"
                    f" THEN CEIL((hold_seconds - {free}) / {step}) ELSE 0 END)",
        "a6": f"SUM(CASE WHEN answered AND hold_count >= {twice} THEN 1 ELSE 0 END)",
        "answered": "SUM(CASE WHEN answered THEN 1 ELSE 0 END)",
    })
    df = df[df["agent"].notna()].drop(columns="fact_rows")
    return df.astype({c: "int64" for c in ("a1", "a1_excused", "a5_steps", "a6", "answered")})


def handled_counts(wh, month: date, settings: Settings | None = None) -> pd.DataFrame:
    """agent, handled — after-sales tickets resolved or closed in the month."""
    df = aggregate(wh, "resolved", group={"agent": "agent"}, months=[month], scope=EVERYONE,
                   settings=settings or load_settings(wh), measures={
        "handled": "SUM(CASE WHEN aftersales AND status IN ('resolved', 'closed') THEN 1 ELSE 0 END)"})
    return df[df["agent"].notna()].drop(columns="fact_rows").astype({"handled": "int64"})


def callback_counts(wh, month: date, rules: Rules, settings: Settings | None = None) -> pd.DataFrame:
    """agent, graded, points — graded callbacks of the month on the agent's tickets."""
    a, b, c, d = (_num(rules[f"aftersales.callback.{g}"]) for g in "ABCD")
    df = aggregate(wh, "callbacks", group={"agent": "agent"}, months=[month], scope=EVERYONE,
                   settings=settings or load_settings(wh), measures={
        "graded": "SUM(CASE WHEN satisfaction IN ('A', 'B', 'C', 'D') THEN 1 ELSE 0 END)",
        "points": f"SUM(CASE satisfaction WHEN 'A' THEN {a} WHEN 'B' THEN {b} WHEN 'C' THEN {c}"
                  f" WHEN 'D' THEN {d} ELSE 0 END)",
    })
    df = df[df["agent"].notna()].drop(columns="fact_rows")
    return df.astype({"graded": "int64", "points": "float64"})
