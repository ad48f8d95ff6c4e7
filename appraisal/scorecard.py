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

from dataclasses import dataclass, field
import math
from typing import Mapping

from appraisal.rules import Rules
import texts
from texts import Message

QA_COLUMNS = {"A2": "qa_greeting", "A3": "qa_agent_number", "A4": "qa_closing", "A7": "qa_wording",
              "A8": "qa_uncivil", "A9": "qa_off_topic", "A10": "qa_notes_missing", "A11": "qa_forced_hangup"}
DISCIPLINE_COLUMNS = {"B1": "dis_late_early", "B2": "dis_proxy_clock", "B3": "dis_absence",
                      "B4": "dis_duty_report", "B5": "dis_off_post", "B6": "dis_leave_days", "B7": "dis_games",
                      "B8": "dis_chat", "B9": "dis_websites", "B10": "dis_phone", "B11": "dis_smoking",
                      "B12": "dis_insubordination"}
AFTERSALES_ITEMS = tuple(f"S{i}" for i in range(1, 7))   # labels: catalog texts item.<code>

FLAGS = ("red_line", "insufficient", "inputs_missing", "total_mismatch", "bottom", "top_streak", "bottom_streak",)   # words: catalog texts flag.<key>
RED_FLAGS = frozenset({"red_line", "bottom_streak"})


@dataclass(frozen=True)
class Line:
    section: str          # "A" business, "B" discipline, "E" exam, "S" after-sales item, "X" composite
    item: str             # A1 … A11, B1 … B12, S1 … S6, exam, bonus, penalty
    label: str            # in Chinese, as published cards keep it
    rule: str
    count: float | None
    points: float         # deduction (A/B) or score (S/E) or ± adjustment (X)
    weight: float | None = None
    weighted: float | None = None
    # the label and rule as catalog ids and parameters: {"label": [id, params], "rule": [id, params]},
    # so a card reads in any language (cards published before this have only the Chinese above)
    text_ids: dict = field(default_factory=dict)


def _line(section: str, item: str, label: Message, rule: Message, count, points, weight=None, weighted=None) -> Line:
    return Line(section, item, str(label), str(rule), count, points, weight, weighted,
                {"label": [label.code, label.params], "rule": [rule.code, rule.params]})


def line_text(line: Mapping, part: str, lang: str = texts.DEFAULT) -> str:
    """A card line's ``label`` or ``rule`` in ``lang`` (a published card without ids: its Chinese text)."""
    found = (line.get("text_ids") or {}).get(part)
    return texts.text(found[0], lang, **found[1]) if found else line[part]


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
              rule_text, total_label: Message) -> tuple[list[Line], float]:
    counts = {item: _count(inputs, col) for item, col in columns.items()}
    total = _count(inputs, total_column)
    lines = []
    if any(c is not None for c in counts.values()):
        for item, n in counts.items():
            pts = points(item, n or 0)
            lines.append(_line(section, item, Message(f"item.{item}"), rule_text(item), n or 0, pts))
        deducted = sum(line.points for line in lines)
        if total is not None and abs(total - deducted) > 1e-9:
            flags.append("total_mismatch")
    else:
        deducted = total or 0.0
        lines.append(_line(section, f"{section}*", total_label, Message("card.rule.entered_total"), None, deducted))
    return lines, deducted


def presales_card(inputs: Mapping | None, calls: Mapping, rules: Rules, prior_insubordination: int = 0) -> Card:
    """表A + 表B + 笔试.  ``calls``: a1, a5_steps, a6 from the call data."""
    flags: list[str] = [] if inputs else ["inputs_missing"]
    p = lambda item: rules[f"presales.points.{item}"]  # noqa: E731
    free, step = rules["presales.hold_free_seconds"], rules["presales.hold_step_seconds"]
    data_lines = [
        _line("A", "A1", Message("item.A1"), Message("card.rule.per_time_data", p=_g(p("A1"))), calls.get("a1", 0),
              calls.get("a1", 0) * p("A1")),
        _line("A", "A5", Message("item.A5"), Message("card.rule.hold", free=_g(free), step=_g(step), p=_g(p("A5"))),
              calls.get("a5_steps", 0), calls.get("a5_steps", 0) * p("A5")),
        _line("A", "A6", Message("item.A6"), Message("card.rule.per_call_data", p=_g(p("A6"))), calls.get("a6", 0),
              calls.get("a6", 0) * p("A6")),
    ]
    qa_lines, qa = _itemised(inputs, QA_COLUMNS, "qa_deductions", lambda item, n: n * p(item), flags, "A",
                             lambda item: Message("card.rule.per_time_qa", p=_g(p(item))),
                             Message("card.label.qa_total"))
    a_lines = sorted(data_lines + qa_lines, key=lambda line: _order(line.item))
    business = max(0.0, 100 - sum(line.points for line in data_lines) - qa)

    d = lambda item: rules[f"discipline.points.{item}"]  # noqa: E731
    repeat = rules["discipline.points.B12_repeat"]

    def discipline_points(item: str, n: float) -> float:
        if item != "B12":
            return n * d(item)
        first = 1 if prior_insubordination == 0 and n > 0 else 0
        return first * d("B12") + (n - first) * repeat

    def discipline_rule(item: str) -> Message:
        if item == "B12":
            return Message("card.rule.b12", first=_g(d("B12")), repeat=_g(repeat), prior=prior_insubordination)
        return Message("card.rule.per_day" if item == "B6" else "card.rule.per_time", p=_g(d(item)))

    b_lines, deducted = _itemised(inputs, DISCIPLINE_COLUMNS, "discipline_deductions", discipline_points, flags,
                                  "B", discipline_rule, Message("card.label.discipline_total"))
    discipline = max(0.0, 100 - deducted)
    exam = _count(inputs, "exam_score")
    exam = 0.0 if exam is None else exam
    w = {k: rules[f"presales.weight.{k}"] for k in ("business", "discipline", "exam")}
    parts = {"business": business, "discipline": discipline, "exam": exam}
    total = sum(w[k] * parts[k] for k in parts)
    summary = [_line("T", k, Message(f"card.label.{k}"), Message("card.rule.weight", weight=f"{w[k]:.0%}"), None,
                     parts[k], w[k], w[k] * parts[k]) for k in ("business", "discipline", "exam")]
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
    def grade(g: str) -> Message:
        return Message("card.rule.grade", grade=g) if g else Message("card.rule.ungraded")

    rule_text = {
        "S1": Message("card.rule.s1", handled=f"{handled:g}", mean=f"{mean_handled:.2f}"),
        "S2": Message("card.rule.s2", scale=_g(scale), graded=graded, points=f"{points:g}",
                      **{g.lower(): _g(rules[f"aftersales.callback.{g}"]) for g in "ABCD"}),
        "S3": grade(attitude), "S4": Message("card.rule.s4", p=_g(rules["aftersales.late_report_points"])),
        "S5": Message("card.rule.s5", p=_g(rules["aftersales.violation_points"])), "S6": grade(teamwork),
    }
    counts = {"S1": handled, "S2": graded, "S3": None, "S4": late, "S5": violations, "S6": None}
    lines = []
    for item in AFTERSALES_ITEMS:
        w = rules[f"aftersales.weight.{item}"]
        lines.append(_line("S", item, Message(f"item.{item}"), rule_text[item], counts[item], scores[item], w,
                           w * scores[item]))
    total = sum(line.weighted for line in lines)
    suggestions, complaints = _count(inputs, "suggestions_adopted") or 0, _count(inputs, "complaints") or 0
    bonus = min(rules["aftersales.suggestion_cap"], rules["aftersales.suggestion_points"] * suggestions)
    penalty = rules["aftersales.complaint_points"] * complaints
    lines += [
        _line("X", "bonus", Message("card.label.bonus"), Message(
            "card.rule.bonus", p=_g(rules["aftersales.suggestion_points"]), cap=_g(rules["aftersales.suggestion_cap"])),
            suggestions, bonus),
        _line("X", "penalty", Message("card.label.penalty"),
              Message("card.rule.penalty", p=_g(rules["aftersales.complaint_points"])), complaints, -penalty),
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
