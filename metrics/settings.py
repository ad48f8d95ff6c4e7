"""Metric settings: declared once with default, label and check; stored in the ``settings`` table.

A setting changes how a figure is counted (the ring cycle, what counts as a short abandon, the
conversion window…), so every figure that depends on one carries the values that made it
(``Settings.describe``).  ``save_settings`` checks every change and reports every problem at once.
"""
from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import datetime
import json
import re
from typing import Any, Callable

import sqlalchemy as sa

from metrics.errors import MetricError
import texts
from texts import Message

# the ways to count abandons (their words: catalog texts setting.abandon_treatment.<value>)
ABANDON_TREATMENTS = ("exclude_short", "count_all", "ignore")


@dataclass(frozen=True)
class SettingSpec:
    """A setting: its key, default and check.  Its label and help are the catalog texts
    ``setting.<key>`` and ``setting.<key>.help``."""
    key: str
    default: Any
    check: Callable[[Any], Message | None]   # returns the problem, or None

    def label_in(self, lang: str = texts.DEFAULT) -> str:
        return texts.text(f"setting.{self.key}", lang)

    def help_in(self, lang: str = texts.DEFAULT) -> str:
        return texts.text(f"setting.{self.key}.help", lang)

    @property
    def label(self) -> str:
        return self.label_in()

    @property
    def help(self) -> str:
        return self.help_in()


def _number(lo: float, hi: float, integer: bool = False):
    def check(v):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or (integer and int(v) != v):
            return Message("setting.should_be_integer" if integer else "setting.should_be_number")
        if not lo <= v <= hi:
            return Message("setting.between", lo=f"{lo:g}", hi=f"{hi:g}")
        return None
    return check


def _choice(options):
    def check(v):
        return None if v in options else Message("setting.one_of", options=" / ".join(options))
    return check


def _bool(v):
    return None if isinstance(v, bool) else Message("setting.bool")


def _window(v):
    if v in ("same_day", "next_day"):
        return None
    if isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 90:
        return None
    return Message("setting.window_values")


REST_HOURS = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
KEY_CUSTOMER_TRIGGERS = ("aftersales_resolved", "any_resolved")


def rest_windows(text: str) -> list[tuple[int, int]]:
    """``12:00-14:00,21:00-08:00`` → minutes of the day [(720, 840), (1260, 480)]; a window may wrap
    midnight.  Raises ValueError on anything else."""
    out = []
    for part in [p for p in re.split(r"[,，;；、]", str(text)) if p.strip()]:
        m = REST_HOURS.match(part)
        if not m:
            raise ValueError(part)
        h1, m1, h2, m2 = (int(x) for x in m.groups())
        if not (h1 <= 23 and h2 <= 24 and m1 <= 59 and m2 <= 59) or (h1, m1) == (h2, m2):
            raise ValueError(part)
        out.append((h1 * 60 + m1, min(h2 * 60 + m2, 1440)))
    return out


def _rest(v):
    try:
        return None if isinstance(v, str) and rest_windows(v) is not None else Message("setting.rest_hours_shape")
    except ValueError:
        return Message("setting.rest_hours_shape")


def bins(text: str) -> list[float]:
    """``30,60,90,180`` → [30, 60, 90, 180]: four increasing positive edges of an RFM score (1–5).
    Raises ValueError on anything else."""
    edges = [float(p) for p in re.split(r"[,，;；、\s]+", str(text).strip()) if p]
    if len(edges) != 4 or any(e <= 0 for e in edges) or edges != sorted(set(edges)):
        raise ValueError(text)
    return edges


def _bins(v):
    try:
        return None if isinstance(v, str) and bins(v) else Message("setting.bins_shape")
    except ValueError:
        return Message("setting.bins_shape")


def _sla(v):
    if not isinstance(v, dict) or "*" not in v:
        return Message("setting.sla_shape")
    bad = [k for k, h in v.items() if isinstance(h, bool) or not isinstance(h, (int, float)) or not 0 < h <= 24 * 90]
    return Message("setting.sla_range", keys=", ".join(bad)) if bad else None


SETTINGS: dict[str, SettingSpec] = {s.key: s for s in (
    SettingSpec("ring_cycle_seconds", 5, _number(1, 30)),
    SettingSpec("answer_rings", 3, _number(1, 20, integer=True)),
    SettingSpec("short_abandon_rings", 1, _number(0, 20, integer=True)),
    SettingSpec("abandon_treatment", "exclude_short",
                _choice(ABANDON_TREATMENTS)),
    SettingSpec("voicemail_as_missed", True, _bool),
    SettingSpec("sla_hours", {"*": 24}, _sla),
    SettingSpec("conversion_window", "next_day", _window),
    SettingSpec("subscribers_per_seat", 20000, _number(1, 10_000_000)),
    SettingSpec("seat_hours_per_day", 14, _number(1, 24)),
    SettingSpec("working_days_per_month", 30, _number(1, 31)),
    SettingSpec("legal_hours_per_month", 174, _number(1, 400)),
    SettingSpec("service_level_target", 0.8, _number(0.01, 0.999)),
    SettingSpec("service_level_seconds", 15, _number(1, 600)),
    SettingSpec("control_min_n", 30, _number(1, 1_000_000, integer=True)),
    # the complaint loop's stage deadlines (metrics/complaints.STAGES): hours from receipt, the
    # callback's from the resolution
    SettingSpec("complaint_judge_hours", 24, _number(1, 24 * 90)),
    SettingSpec("complaint_plan_hours", 48, _number(1, 24 * 90)),
    SettingSpec("complaint_approve_hours", 72, _number(1, 24 * 90)),
    SettingSpec("complaint_resolve_hours", 120, _number(1, 24 * 90)),
    SettingSpec("complaint_callback_hours", 72, _number(1, 24 * 90)),
    # callback duties (metrics/worklists.py): key customers within N days of the trigger; nobody
    # called in the customers' rest hours
    SettingSpec("key_customer_days", 3, _number(0, 60, integer=True)),
    SettingSpec("key_customer_trigger", "aftersales_resolved", _choice(KEY_CUSTOMER_TRIGGERS)),
    SettingSpec("rest_hours", "12:00-14:00,21:00-08:00", _rest),
    # the seed's line rule: a line whose weekly complaints fell by this much 4 weeks running may be replaced
    SettingSpec("line_drop_per_week", 500, _number(1, 1_000_000, integer=True)),
    # customers (the 客户 page; metrics/customers.py): a new customer "returns" by buying again within
    # returning_days; dormant after dormant_days without a purchase, churned after churn_days; RFM bins
    SettingSpec("returning_days", 30, _number(1, 365, integer=True)),
    SettingSpec("dormant_days", 90, _number(1, 3650, integer=True)),
    SettingSpec("churn_days", 180, _number(1, 3650, integer=True)),
    SettingSpec("rfm_recency_days", "30,60,90,180", _bins),
    SettingSpec("rfm_frequency", "2,3,5,8", _bins),
    SettingSpec("rfm_monetary", "500,1000,2000,5000", _bins),
)}


@dataclass(frozen=True)
class Settings:
    """The values in force; hashable, so cached results can key on them.  No defaults here: they are
    the ``SETTINGS`` rows' (``DEFAULTS``), declared once."""
    ring_cycle_seconds: float
    answer_rings: int
    short_abandon_rings: int
    abandon_treatment: str
    voicemail_as_missed: bool
    sla_hours: tuple[tuple[str, float], ...]
    conversion_window: str | int
    subscribers_per_seat: float
    seat_hours_per_day: float
    working_days_per_month: float
    legal_hours_per_month: float
    service_level_target: float
    service_level_seconds: float
    control_min_n: int
    complaint_judge_hours: float
    complaint_plan_hours: float
    complaint_approve_hours: float
    complaint_resolve_hours: float
    complaint_callback_hours: float
    key_customer_days: int
    key_customer_trigger: str
    rest_hours: str
    line_drop_per_week: int
    returning_days: int
    dormant_days: int
    churn_days: int
    rfm_recency_days: str
    rfm_frequency: str
    rfm_monetary: str

    @classmethod
    def from_values(cls, values: dict[str, Any]) -> "Settings":
        v = dict(values)
        if "sla_hours" in v:
            v["sla_hours"] = tuple(sorted(v["sla_hours"].items()))
        return cls(**v)

    def value(self, key: str) -> Any:
        v = getattr(self, key)
        return dict(v) if key == "sla_hours" else v

    @property
    def window_days(self) -> int:
        """Calendar days after the inquiry's day that still count (same_day 0, next_day 1)."""
        w = self.conversion_window
        return {"same_day": 0, "next_day": 1}.get(w, w) if isinstance(w, str) else int(w)

    def window_label(self, lang: str = texts.DEFAULT) -> str:
        days = self.window_days
        return texts.text(f"setting.window.{days}" if days in (0, 1) else "setting.window.n", lang,
                          **({} if days in (0, 1) else {"days": days}))

    def describe(self, keys: tuple[str, ...], lang: str = texts.DEFAULT) -> str:
        """The settings behind a figure, for its passport: ``每声秒数=5；接听声数标准=3``."""
        parts = []
        for k in keys:
            v = self.value(k)
            if k == "sla_hours":
                v = "、".join((texts.text("setting.sla.default", lang) if c == "*" else c) + f" {h:g}h"
                             for c, h in self.sla_hours)
            elif k == "conversion_window":
                v = self.window_label(lang)
            elif k == "abandon_treatment":
                v = texts.text(f"setting.abandon_treatment.{v}", lang)
            elif isinstance(v, bool):
                v = texts.text("setting.yes" if v else "setting.no", lang)
            parts.append(f"{SETTINGS[k].label_in(lang)}={v}")
        return texts.text("sep.problems", lang).join(parts)


assert {f.name for f in fields(Settings)} == set(SETTINGS), "Settings fields and SETTINGS must match"
DEFAULTS = Settings.from_values({k: s.default for k, s in SETTINGS.items()})


def check_settings(changes: dict[str, Any]) -> list[Message]:
    problems = []
    for key, value in changes.items():
        spec = SETTINGS.get(key)
        if spec is None:
            problems.append(Message("setting.unknown", key=key, keys=", ".join(SETTINGS)))
            continue
        problem = spec.check(value)
        if problem:
            problems.append(Message("setting.problem", label=Message(f"setting.{key}"), key=key, problem=problem,
                                    value=repr(value)))
    return problems


def load_settings(wh) -> Settings:
    """Stored values over the defaults."""
    with wh.connect() as conn:
        rows = conn.execute(sa.text("SELECT key, value FROM settings")).fetchall()
    stored = {k: json.loads(v) for k, v in rows if k in SETTINGS}
    values = {k: stored.get(k, s.default) for k, s in SETTINGS.items()}
    return Settings.from_values(values)


def save_settings(wh, changes: dict[str, Any], user: str) -> Settings:
    """Check every change (all problems in one ``MetricError``), then store them in one transaction."""
    problems = check_settings(changes)
    if problems:
        raise MetricError("setting.not_saved", problems=problems)
    now = datetime.now().replace(microsecond=0)
    with wh.begin() as conn:
        for key, value in changes.items():
            conn.execute(sa.text("DELETE FROM settings WHERE key = :k"), {"k": key})
            conn.execute(sa.text("INSERT INTO settings (key, value, updated_by, updated_at) VALUES (:k, :v, :u, :t)"),
                         {"k": key, "v": json.dumps(value, ensure_ascii=False), "u": user, "t": now})
    return load_settings(wh)


def with_overrides(settings: Settings, **changes: Any) -> Settings:
    """A copy with some values changed (checked): for what-if figures and tests."""
    problems = check_settings(changes)
    if problems:
        raise MetricError("setting.problems", problems=problems)
    if "sla_hours" in changes:
        changes["sla_hours"] = tuple(sorted(changes["sla_hours"].items()))
    return replace(settings, **changes)
