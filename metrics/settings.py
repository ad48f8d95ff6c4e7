"""Metric settings: declared once with default, label and check; stored in the ``settings`` table.

A setting changes how a figure is counted (the ring cycle, what counts as a short abandon, the
conversion window…), so every figure that depends on one carries the values that made it
(``Settings.describe``).  ``save_settings`` checks every change and reports every problem at once.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any, Callable

import sqlalchemy as sa

from metrics.errors import MetricError

ABANDON_TREATMENTS = {
    "exclude_short": "短时放弃不计入分母（默认）",
    "count_all": "全部放弃计入分母",
    "ignore": "放弃来电不计入分母（只看已接听）",
}


@dataclass(frozen=True)
class SettingSpec:
    key: str
    label: str
    label_en: str
    default: Any
    check: Callable[[Any], str | None]   # returns the problem, or None
    help: str = ""


def _number(lo: float, hi: float, integer: bool = False):
    def check(v):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or (integer and int(v) != v):
            return f"应为{'整数' if integer else '数字'}"
        if not lo <= v <= hi:
            return f"应在 {lo:g} 到 {hi:g} 之间"
        return None
    return check


def _choice(options):
    def check(v):
        return None if v in options else f"应为 {' / '.join(options)} 之一"
    return check


def _bool(v):
    return None if isinstance(v, bool) else "应为 true 或 false"


def _window(v):
    if v in ("same_day", "next_day"):
        return None
    if isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 90:
        return None
    return "应为 same_day、next_day 或 0–90 的自然日天数"


def _sla(v):
    if not isinstance(v, dict) or "*" not in v:
        return '应为 {"*": 默认小时数, "分类": 小时数, …}，必须含默认项 "*"'
    bad = [k for k, h in v.items() if isinstance(h, bool) or not isinstance(h, (int, float)) or not 0 < h <= 24 * 90]
    return f"时限小时数应在 0 到 2160 之间：{', '.join(bad)}" if bad else None


SETTINGS: dict[str, SettingSpec] = {s.key: s for s in (
    SettingSpec("ring_cycle_seconds", "每声秒数", "Seconds per ring", 5, _number(1, 30),
                "一声铃的秒数（国内振铃为响1秒停4秒）：铃声数 = ⌈振铃秒数 / 每声秒数⌉。"),
    SettingSpec("answer_rings", "接听声数标准", "Rings for a prompt answer", 3, _number(1, 20, integer=True),
                "「N声内接听率」的N。"),
    SettingSpec("short_abandon_rings", "短时放弃声数", "Short-abandon rings", 1, _number(0, 20, integer=True),
                "振铃不超过这个声数就挂断的未接来电算短时放弃。"),
    SettingSpec("abandon_treatment", "放弃来电口径", "Abandons in service level", "exclude_short",
                _choice(tuple(ABANDON_TREATMENTS)),
                "接通率与N声内接听率的分母：exclude_short 呼入−短时放弃；count_all 全部呼入；ignore 只算已接听。"),
    SettingSpec("voicemail_as_missed", "留言计为未接", "Voicemail counts as missed", True, _bool,
                "true：留言算未接来电；false：留言不计入呼入量。"),
    SettingSpec("sla_hours", "办结时限（小时）", "Resolution SLA (hours)", {"*": 24}, _sla,
                "按分类设定的办结时限；键为分类或其前缀（如「售后/安装」），\"*\" 为默认。"),
    SettingSpec("conversion_window", "询单转化窗口", "Conversion window", "next_day", _window,
                "same_day 当天23:59:59前付款；next_day 次日23:59:59前付款；或N个自然日。"),
    SettingSpec("subscribers_per_seat", "每座席用户数", "Subscribers per seat", 20000, _number(1, 10_000_000)),
    SettingSpec("seat_hours_per_day", "座席每日服务小时", "Seat hours per day", 14, _number(1, 24)),
    SettingSpec("working_days_per_month", "每月服务天数", "Service days per month", 30, _number(1, 31)),
    SettingSpec("legal_hours_per_month", "每月法定工时", "Statutory hours per month", 174, _number(1, 400)),
    SettingSpec("service_level_target", "服务水平目标", "Service level target", 0.8, _number(0.01, 0.999)),
    SettingSpec("service_level_seconds", "服务水平秒数", "Service level seconds", 15, _number(1, 600)),
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

    @property
    def window_label(self) -> str:
        return {0: "询单→当日付款", 1: "询单→次日付款"}.get(self.window_days, f"询单→{self.window_days}日内付款")

    def describe(self, keys: tuple[str, ...]) -> str:
        """The settings behind a figure, for its passport: ``每声秒数=5；接听声数标准=3``."""
        parts = []
        for k in keys:
            v = self.value(k)
            if k == "sla_hours":
                v = "、".join(("默认" if c == "*" else c) + f" {h:g}h" for c, h in self.sla_hours)
            elif k == "conversion_window":
                v = self.window_label
            elif k == "abandon_treatment":
                v = ABANDON_TREATMENTS[v]
            elif isinstance(v, bool):
                v = "是" if v else "否"
            parts.append(f"{SETTINGS[k].label}={v}")
        return "；".join(parts)


assert {f.name for f in fields(Settings)} == set(SETTINGS), "Settings fields and SETTINGS must match"
DEFAULTS = Settings.from_values({k: s.default for k, s in SETTINGS.items()})


def check_settings(changes: dict[str, Any]) -> list[str]:
    problems = []
    for key, value in changes.items():
        spec = SETTINGS.get(key)
        if spec is None:
            problems.append(f"未知设置「{key}」；可用：{', '.join(SETTINGS)}")
            continue
        problem = spec.check(value)
        if problem:
            problems.append(f"{spec.label}（{key}）{problem}，收到 {value!r}")
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
        raise MetricError("设置未保存：" + "；".join(problems))
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
        raise MetricError("；".join(problems))
    if "sla_hours" in changes:
        changes["sla_hours"] = tuple(sorted(changes["sla_hours"].items()))
    return replace(settings, **changes)
