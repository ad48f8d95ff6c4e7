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
from texts import Message
from warehouse.schema import appraisal_rules


@dataclass(frozen=True)
class Rule:
    key: str
    label: str
    default: float
    lo: float = 0
    hi: float = 1000
    integer: bool = False


def _rules(*specs: tuple) -> dict[str, Rule]:
    return {s[0]: Rule(*s) for s in specs}


# Pre-sales table A items (业务考核): points per occurrence.  A5 is per started step beyond the free hold.
PRESALES_ITEMS = {
    "A1": "响铃3声内未接听", "A2": "未使用标准接听语", "A3": "未报工号", "A4": "未使用标准结束语",
    "A5": "等待超过30秒", "A6": "让用户等待两次及以上", "A7": "用语不佳、语气不好", "A8": "不文明用语",
    "A9": "答非所问", "A10": "未按要求记录（每差一条）", "A11": "强制挂断",
}
# Table B items (工作纪律).
DISCIPLINE_ITEMS = {
    "B1": "迟到、早退", "B2": "代打卡（找人代打或帮人代打）", "B3": "旷工（当班1小时内未请假）",
    "B4": "值班主管未及时上报迟到、早退、旷工", "B5": "擅自离岗超过10分钟", "B6": "事假（每天）",
    "B7": "玩游戏", "B8": "闲聊（与工作无关的聊天工具）", "B9": "浏览与工作无关的网站",
    "B10": "手机未调振动", "B11": "工作区域吸烟", "B12": "不服从工作分配",
}
GRADES = "ABCDE"

RULES: dict[str, Rule] = _rules(
    ("presales.weight.business", "售前·业务考核权重", 0.6, 0, 1),
    ("presales.weight.discipline", "售前·工作纪律权重", 0.3, 0, 1),
    ("presales.weight.exam", "售前·笔试权重", 0.1, 0, 1),
    *((f"presales.points.{k}", f"售前·{k} {v} 扣分", p, 0, 100)
      for (k, v), p in zip(PRESALES_ITEMS.items(), (2, 2, 2, 2, 2, 2, 4, 4, 4, 2, 4))),
    ("presales.hold_free_seconds", "A5 免扣等待秒数", 30, 0, 3600),
    ("presales.hold_step_seconds", "A5 每档秒数", 30, 1, 3600),
    ("presales.hold_twice_count", "A6 等待次数阈值", 2, 1, 10, True),
    *((f"discipline.points.{k}", f"纪律·{k} {v} 扣分", p, 0, 100)
      for (k, v), p in zip(DISCIPLINE_ITEMS.items(), (3, 3, 5, 5, 3, 2, 5, 3, 3, 3, 5, 5))),
    ("discipline.points.B12_repeat", "纪律·B12 第二次起每次扣分", 10, 0, 100),
    ("aftersales.weight.S1", "售后·S1 处理单量权重", 0.3, 0, 1),
    ("aftersales.weight.S2", "售后·S2 客户满意度权重", 0.3, 0, 1),
    ("aftersales.weight.S3", "售后·S3 工作态度权重", 0.1, 0, 1),
    ("aftersales.weight.S4", "售后·S4 日志周报权重", 0.1, 0, 1),
    ("aftersales.weight.S5", "售后·S5 规章制度权重", 0.1, 0, 1),
    ("aftersales.weight.S6", "售后·S6 团队协作权重", 0.1, 0, 1),
    *((f"aftersales.attitude.{g}", f"S3 工作态度 {g} 档分数", v, 0, 100) for g, v in zip(GRADES, (100, 80, 60, 30, 0))),
    *((f"aftersales.teamwork.{g}", f"S6 团队协作 {g} 档分数", v, 0, 100) for g, v in zip(GRADES, (100, 80, 70, 50, 0))),
    ("aftersales.late_report_points", "S4 每次迟交扣分", 5, 0, 100),
    ("aftersales.violation_points", "S5 每次违规扣分", 5, 0, 100),
    *((f"aftersales.callback.{g}", f"S2 回访 {g} 档分", v, -100, 100) for g, v in zip("ABCD", (5, 3, 0, -5))),
    ("aftersales.callback_scale", "S2 换算系数（20单合计的满分口径）", 20, 0, 1000),
    ("aftersales.min_graded", "S2 最少已评回访数", 5, 0, 1000, True),
    ("aftersales.suggestion_points", "每条建议采纳加分", 5, 0, 100),
    ("aftersales.suggestion_cap", "建议加分上限", 30, 0, 100),
    ("aftersales.complaint_points", "每次客户投诉扣分", 5, 0, 100),
    ("pay.base", "绩效工资基数（元）", 400, 0, 100_000),
    ("ranking.bottom_n", "末位名次数（需提交整改方案）", 2, 0, 100, True),
    ("ranking.rectification_days", "整改方案提交期限（发布后天数）", 7, 0, 365, True),
    ("ranking.streak_months", "连续名次月数", 3, 2, 12, True),
    ("ranking.top_award", "连续第一奖励（元）", 300, 0, 100_000),
    ("installers.threshold", "装维单位合格分", 80, 0, 100),
    ("installers.strikes", "触发解约的不合格月数", 2, 1, 12, True),
    ("installers.window_months", "装维单位回看月数", 12, 1, 36, True),
    ("sampler.size", "每人每月回访抽样单数", 20, 1, 500, True),
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
