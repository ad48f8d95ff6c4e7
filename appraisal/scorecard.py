"""One agent's monthly scorecard, worked item by item like the paper forms (附1 表A/表B, 附2).

Pure arithmetic: the counts from the data (``appraisal.counts``), the supervisors' inputs (a row of
``scorecard_inputs``) and the month's rules (``appraisal.rules``) in, a ``Card`` out.  Every line
says the item, the rule, the count, the points, the weight and the weighted score.

Choices where the spec is silent (also in the README):
- QA items (A2–A4, A7–A11) and discipline items (B1–B12) are entered as counts per item, or as a
  total deduction (``qa_deductions`` / ``discipline_deductions``).  When any item of a table has a
  count, the counts are used and a differing total is flagged ``total_mismatch``; else the total.
- B12 (insubordination) costs 5 the first time in the agent's history of inputs and the repeat
  value (10) every later time, in this month or an earlier one.
- No inputs row for the agent: QA and discipline deductions 0, exam 0, grades 0, and the card is
  flagged ``inputs_missing``.
- S2 with no graded callback is 0; fewer than ``min_graded`` is flagged ``insufficient``.
- S1 with a mean of 0 handled tickets (nobody handled any) is 0.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Mapping

from appraisal.rules import DISCIPLINE_ITEMS, PRESALES_ITEMS, Rules

QA_COLUMNS = {"A2": "qa_greeting", "A3": "qa_agent_number", "A4": "qa_closing", "A7": "qa_wording",
              "A8": "qa_uncivil", "A9": "qa_off_topic", "A10": "qa_notes_missing", "A11": "qa_forced_hangup"}
DISCIPLINE_COLUMNS = {"B1": "dis_late_early", "B2": "dis_proxy_clock", "B3": "dis_absence",
                      "B4": "dis_duty_report", "B5": "dis_off_post", "B6": "dis_leave_days", "B7": "dis_games",
                      "B8": "dis_chat", "B9": "dis_websites", "B10": "dis_phone", "B11": "dis_smoking",
                      "B12": "dis_insubordination"}
AFTERSALES_ITEMS = {"S1": "处理单量", "S2": "客户满意度", "S3": "工作态度", "S4": "日志周报",
                    "S5": "规章制度", "S6": "团队协作"}

FLAGS = {  # code → (zh, en); red ones are shown in red everywhere
    "red_line": ("红线·上报开除", "Red line: dismissal review"),
    "insufficient": ("回访不足", "Too few graded callbacks"),
    "inputs_missing": ("未录入考核", "No appraisal inputs"),
    "total_mismatch": ("分项与合计不符", "Items differ from total"),
    "bottom": ("末位·需整改", "Bottom: rectification plan"),
    "top_streak": ("连续第一·奖励候选", "First 3 months: award"),
    "bottom_streak": ("连续末位·调岗候选", "Last 3 months: transfer review"),
}
RED_FLAGS = frozenset({"red_line", "bottom_streak"})


@dataclass(frozen=True)
class Line:
    section: str          # "A" business, "B" discipline, "E" exam, "S" after-sales item, "X" composite
    item: str             # A1 … A11, B1 … B12, S1 … S6, exam, bonus, penalty
    label: str
    rule: str
    count: float | None
    points: float         # deduction (A/B) or score (S/E) or ± adjustment (X)
    weight: float | None = None
    weighted: float | None = None


@dataclass
class Card:
    division: str
    lines: list[Line]
    parts: dict[str, float]          # business, discipline, exam / S1 … S6, bonus, penalty
    total: float
    composite: float
    pay: float
    flags: list[str] = field(default_factory=list)

    @property
    def score(self) -> float:
        return self.composite


def _count(inputs: Mapping | None, column: str) -> float | None:
    value = (inputs or {}).get(column)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)


def _g(x: float) -> str:
    return f"{x:g}"


def _itemised(inputs, columns: Mapping[str, str], total_column: str, points, flags: list[str], section: str,
              labels: Mapping[str, str], rule_text, total_label: str) -> tuple[list[Line], float]:
    counts = {item: _count(inputs, col) for item, col in columns.items()}
    total = _count(inputs, total_column)
    lines = []
    if any(c is not None for c in counts.values()):
        for item, n in counts.items():
            pts = points(item, n or 0)
            lines.append(Line(section, item, labels[item], rule_text(item), n or 0, pts))
        deducted = sum(line.points for line in lines)
        if total is not None and abs(total - deducted) > 1e-9:
            flags.append("total_mismatch")
    else:
        deducted = total or 0.0
        lines.append(Line(section, f"{section}*", total_label, "按录入的扣分合计", None, deducted))
    return lines, deducted


def presales_card(inputs: Mapping | None, calls: Mapping, rules: Rules, prior_insubordination: int = 0) -> Card:
    """表A + 表B + 笔试.  ``calls``: a1, a5_steps, a6 from the call data."""
    flags: list[str] = [] if inputs else ["inputs_missing"]
    p = lambda item: rules[f"presales.points.{item}"]  # noqa: E731
    free, step = rules["presales.hold_free_seconds"], rules["presales.hold_step_seconds"]
    data_lines = [
        Line("A", "A1", PRESALES_ITEMS["A1"], f"每次 {_g(p('A1'))} 分（通话数据）", calls.get("a1", 0),
             calls.get("a1", 0) * p("A1")),
        Line("A", "A5", PRESALES_ITEMS["A5"],
             f"超过 {_g(free)} 秒后每 {_g(step)} 秒（不足按整档）{_g(p('A5'))} 分（通话数据）",
             calls.get("a5_steps", 0), calls.get("a5_steps", 0) * p("A5")),
        Line("A", "A6", PRESALES_ITEMS["A6"], f"每通 {_g(p('A6'))} 分（通话数据）", calls.get("a6", 0),
             calls.get("a6", 0) * p("A6")),
    ]
    qa_lines, qa = _itemised(inputs, QA_COLUMNS, "qa_deductions", lambda item, n: n * p(item), flags, "A",
                             PRESALES_ITEMS, lambda item: f"每次 {_g(p(item))} 分（监听录入）",
                             "监听扣分（A2–A4、A7–A11 合计录入）")
    a_lines = sorted(data_lines + qa_lines, key=lambda line: _order(line.item))
    business = max(0.0, 100 - sum(line.points for line in data_lines) - qa)

    d = lambda item: rules[f"discipline.points.{item}"]  # noqa: E731
    repeat = rules["discipline.points.B12_repeat"]

    def discipline_points(item: str, n: float) -> float:
        if item != "B12":
            return n * d(item)
        first = 1 if prior_insubordination == 0 and n > 0 else 0
        return first * d("B12") + (n - first) * repeat

    def discipline_rule(item: str) -> str:
        if item == "B12":
            return f"第一次 {_g(d('B12'))} 分，以后每次 {_g(repeat)} 分（此前累计 {prior_insubordination} 次）"
        return f"每{'天' if item == 'B6' else '次'} {_g(d(item))} 分"

    b_lines, deducted = _itemised(inputs, DISCIPLINE_COLUMNS, "discipline_deductions", discipline_points, flags,
                                  "B", DISCIPLINE_ITEMS, discipline_rule, "纪律扣分（B1–B12 合计录入）")
    discipline = max(0.0, 100 - deducted)
    exam = _count(inputs, "exam_score")
    exam = 0.0 if exam is None else exam
    w = {k: rules[f"presales.weight.{k}"] for k in ("business", "discipline", "exam")}
    parts = {"business": business, "discipline": discipline, "exam": exam}
    total = sum(w[k] * parts[k] for k in parts)
    summary = [Line("T", k, label, f"权重 {w[k]:.0%}", None, parts[k], w[k], w[k] * parts[k])
               for k, label in (("business", "业务考核"), ("discipline", "工作纪律"), ("exam", "笔试"))]
    if inputs and str(inputs.get("red_line") or "").strip():
        flags.append("red_line")
    parts.update({line.item: line.points for line in a_lines + b_lines}, qa=qa, b_total=deducted)
    return Card("presales", a_lines + b_lines + summary, parts, total, total, _pay(total, rules), flags)


def aftersales_card(inputs: Mapping | None, handled: float, mean_handled: float, graded: int, points: float,
                    rules: Rules) -> Card:
    flags: list[str] = [] if inputs else ["inputs_missing"]
    s1 = 100 * handled / mean_handled if mean_handled else 0.0
    scale = rules["aftersales.callback_scale"]
    s2 = scale * points / graded if graded else 0.0
    if graded < rules["aftersales.min_graded"]:
        flags.append("insufficient")
    attitude, teamwork = (str((inputs or {}).get(c) or "").upper() for c in ("attitude_grade", "teamwork_grade"))
    s3 = rules[f"aftersales.attitude.{attitude}"] if attitude in "ABCDE" and attitude else 0.0
    s6 = rules[f"aftersales.teamwork.{teamwork}"] if teamwork in "ABCDE" and teamwork else 0.0
    late, violations = _count(inputs, "late_reports") or 0, _count(inputs, "rule_violations") or 0
    s4 = max(0.0, 100 - rules["aftersales.late_report_points"] * late)
    s5 = max(0.0, 100 - rules["aftersales.violation_points"] * violations)
    scores = {"S1": s1, "S2": s2, "S3": s3, "S4": s4, "S5": s5, "S6": s6}
    rule_text = {
        "S1": f"本人单量 {handled:g} / 平均单量 {mean_handled:.2f} × 100",
        "S2": f"{_g(scale)} × 已评回访平均分（A {_g(rules['aftersales.callback.A'])} / B "
              f"{_g(rules['aftersales.callback.B'])} / C {_g(rules['aftersales.callback.C'])} / D "
              f"{_g(rules['aftersales.callback.D'])}），{graded} 单合计 {points:g} 分",
        "S3": f"等级 {attitude or '未评'}", "S4": f"100 − {_g(rules['aftersales.late_report_points'])} × 迟交次数",
        "S5": f"100 − {_g(rules['aftersales.violation_points'])} × 违规次数", "S6": f"等级 {teamwork or '未评'}",
    }
    counts = {"S1": handled, "S2": graded, "S3": None, "S4": late, "S5": violations, "S6": None}
    lines = []
    for item, label in AFTERSALES_ITEMS.items():
        w = rules[f"aftersales.weight.{item}"]
        lines.append(Line("S", item, label, rule_text[item], counts[item], scores[item], w, w * scores[item]))
    total = sum(line.weighted for line in lines)
    suggestions, complaints = _count(inputs, "suggestions_adopted") or 0, _count(inputs, "complaints") or 0
    bonus = min(rules["aftersales.suggestion_cap"], rules["aftersales.suggestion_points"] * suggestions)
    penalty = rules["aftersales.complaint_points"] * complaints
    lines += [
        Line("X", "bonus", "合理化建议被采纳", f"每条 +{_g(rules['aftersales.suggestion_points'])}，"
             f"最多 +{_g(rules['aftersales.suggestion_cap'])}", suggestions, bonus),
        Line("X", "penalty", "客户投诉", f"每次 −{_g(rules['aftersales.complaint_points'])}，不封顶",
             complaints, -penalty),
    ]
    composite = total + bonus - penalty
    if inputs and str(inputs.get("red_line") or "").strip():
        flags.append("red_line")
    parts = {**scores, "bonus": bonus, "penalty": penalty, "handled": handled, "graded": graded}
    return Card("aftersales", lines, parts, total, composite, _pay(composite, rules), flags)


def _pay(score: float, rules: Rules) -> float:
    return round(max(0.0, rules["pay.base"] * score / 100), 2)


def _order(item: str) -> tuple[int, str]:
    digits = "".join(ch for ch in item if ch.isdigit())
    return (int(digits) if digits else 99, item)
