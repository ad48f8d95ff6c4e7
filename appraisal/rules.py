"""The appraisal rules as data: every weight, point value, grade anchor, cap, base pay and award.

Each rule has a default (the seed's value, ``shared/spec/scorecards.md``) and may be changed from a
month on: the ``appraisal_rules`` table holds ``(key, value, effective_month)`` rows, and the rules
in force in a month are, per key, the row with the latest ``effective_month`` not after that month
(else the default).  So a past month always recomputes under the rules that were in force then.

``Rules.version`` is a short hash of every value in force: published scorecards and review packs
record it, so a reader can tell which rule set made a figure.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
import hashlib
import json
from typing import Any, Mapping

import sqlalchemy as sa

from appraisal.errors import AppraisalError
from metrics.months import parse_month
import texts
from texts import Message
from warehouse.schema import appraisal_rules


@dataclass(frozen=True)
class Rule:
    """A rule's key, default and bounds; its label is the catalog text ``rule.<key>``."""
    key: str
    default: float
    lo: float = 0
    hi: float = 1000
    integer: bool = False

    def label_in(self, lang: str = texts.DEFAULT) -> str:
        return texts.text(f"rule.{self.key}", lang)

    @property
    def label(self) -> str:
        return self.label_in()


def _rules(*specs: tuple) -> dict[str, Rule]:
    return {s[0]: Rule(*s) for s in specs}


# Pre-sales table A items (业务考核) and table B items (工作纪律): their labels are catalog texts item.<code>.
PRESALES_ITEMS = tuple(f"A{i}" for i in range(1, 12))
DISCIPLINE_ITEMS = tuple(f"B{i}" for i in range(1, 13))
GRADES = "ABCDE"

RULES: dict[str, Rule] = _rules(
    ("presales.weight.business", 0.6, 0, 1),
    ("presales.weight.discipline", 0.3, 0, 1),
    ("presales.weight.exam", 0.1, 0, 1),
    # points per occurrence; A5 is per started step beyond the free hold
    *((f"presales.points.{k}", p, 0, 100) for k, p in zip(PRESALES_ITEMS, (2, 2, 2, 2, 2, 2, 4, 4, 4, 2, 4))),
    ("presales.hold_free_seconds", 30, 0, 3600),
    ("presales.hold_step_seconds", 30, 1, 3600),
    ("presales.hold_twice_count", 2, 1, 10, True),
    *((f"discipline.points.{k}", p, 0, 100) for k, p in zip(DISCIPLINE_ITEMS, (3, 3, 5, 5, 3, 2, 5, 3, 3, 3, 5, 5))),
    ("discipline.points.B12_repeat", 10, 0, 100),
    *((f"aftersales.weight.S{i}", w, 0, 1) for i, w in zip(range(1, 7), (0.3, 0.3, 0.1, 0.1, 0.1, 0.1))),
    *((f"aftersales.attitude.{g}", v, 0, 100) for g, v in zip(GRADES, (100, 80, 60, 30, 0))),
    *((f"aftersales.teamwork.{g}", v, 0, 100) for g, v in zip(GRADES, (100, 80, 70, 50, 0))),
    ("aftersales.late_report_points", 5, 0, 100),
    ("aftersales.violation_points", 5, 0, 100),
    *((f"aftersales.callback.{g}", v, -100, 100) for g, v in zip("ABCD", (5, 3, 0, -5))),
    ("aftersales.callback_scale", 20, 0, 1000),
    ("aftersales.min_graded", 5, 0, 1000, True),
    ("aftersales.suggestion_points", 5, 0, 100),
    ("aftersales.suggestion_cap", 30, 0, 100),
    ("aftersales.complaint_points", 5, 0, 100),
    ("pay.base", 400, 0, 100_000),
    ("ranking.bottom_n", 2, 0, 100, True),
    ("ranking.rectification_days", 7, 0, 365, True),
    ("ranking.streak_months", 3, 2, 12, True),
    ("ranking.top_award", 300, 0, 100_000),
    ("installers.threshold", 80, 0, 100),
    ("installers.strikes", 2, 1, 12, True),
    ("installers.window_months", 12, 1, 36, True),
    # the seed: 装维人员引发的客户投诉，如经核查属实，同样应给与装维队伍进行处罚 — points off the month's score
    ("installers.complaint_points", 5, 0, 100),
    ("sampler.size", 20, 1, 500, True),
)


def check_rule(key: str, value: Any) -> Message | None:
    """The problem with a value for ``key``, or None."""
    if key not in RULES:
        return Message("appraisal.unknown_rule", key=key)
    rule = RULES[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return Message("appraisal.rule_number", label=rule.label)
    if rule.integer and int(value) != value:
        return Message("appraisal.rule_integer", label=rule.label)
    if not rule.lo <= value <= rule.hi:
        return Message("appraisal.rule_range", label=rule.label, lo=f"{rule.lo:g}", hi=f"{rule.hi:g}")
    return None


@dataclass(frozen=True)
class Rules:
    """The rule values in force in one month."""
    month: date
    values: Mapping[str, float]

    def __getitem__(self, key: str) -> float:
        return self.values[key]

    def int(self, key: str) -> int:
        return int(self.values[key])

    @property
    def version(self) -> str:
        blob = json.dumps(sorted(self.values.items()), separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()[:10]

    def changed(self) -> dict[str, float]:
        """The values that differ from the defaults."""
        return {k: v for k, v in self.values.items() if v != RULES[k].default}


DEFAULT_VALUES = {k: r.default for k, r in RULES.items()}


def rules_for(wh, month: str | date) -> Rules:
    """The rules in force in ``month``."""
    m = parse_month(month)
    values = dict(DEFAULT_VALUES)
    with wh.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT key, value FROM appraisal_rules WHERE effective_month <= :m "
            "ORDER BY effective_month, updated_at"), {"m": m}).fetchall()
    for key, value in rows:
        if key in values:
            values[key] = float(json.loads(value))
    return Rules(m, values)


def save_rules(wh, changes: Mapping[str, float], effective_month: str | date, *, by: str) -> None:
    """Set rule values from ``effective_month`` on (every problem reported at once).  A value set again
    for the same month replaces the earlier one; later months' own changes stay in force for them."""
    problems = [p for k, v in changes.items() if (p := check_rule(k, v))]
    if problems:
        raise AppraisalError("appraisal.rules_bad", problems=problems)
    m = parse_month(effective_month)
    now = datetime.now().replace(microsecond=0)
    with wh.begin() as conn:
        for key, value in changes.items():
            conn.execute(appraisal_rules.delete().where(
                (appraisal_rules.c.key == key) & (appraisal_rules.c.effective_month == m)))
            conn.execute(appraisal_rules.insert().values(
                key=key, value=json.dumps(value), effective_month=m, updated_by=by, updated_at=now))


def rule_history(wh) -> list[dict]:
    with wh.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT key, value, effective_month, updated_by, updated_at FROM appraisal_rules "
            "ORDER BY effective_month, key")).mappings().fetchall()
    return [dict(r, label=RULES[r["key"]].label if r["key"] in RULES else r["key"],
                 value=json.loads(r["value"])) for r in rows]
