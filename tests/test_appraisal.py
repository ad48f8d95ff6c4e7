"""The monthly appraisal (shared/spec/scorecards.md) against figures worked by hand from
tests/fixtures/appraisal, on DuckDB and PostgreSQL.

October 2026, rules at their defaults (ring cycle 5 s, 3 rings):

Pre-sales (formal: P1 P2 P3 P5; P4 is an intern and is not ranked)
  P1 calls — T01 8 s ring, hold 31 → A5 1 step; T02 20 s = 4 rings → A1, hold 60 → 1 step, hold 2× → A6;
     T03 hold 61 → 2 steps; T04 hold 91 → 3 steps; T05 missed → A1; T06 missed but excused;
     T07 4 rings (count) → A1; T08 hold 30 → nothing; T09 is 09-30 23:59:59; T10 is 11-01 00:00;
     T11 is outbound.  A1 3 × 2 = 6, A5 7 × 2 = 14, A6 1 × 2 = 2.
     QA items A2 1 × 2, A7 1 × 4, A10 2 × 2 = 10 → business 100 − 32 = 68.
     Discipline B1 1 × 3, B6 2 days × 2, B12 2 times = 5 + 10 → 22 → 78.  Exam 90.
     total 0.6·68 + 0.3·78 + 0.1·90 = 40.8 + 23.4 + 9 = 73.2, pay 292.8.
  P2 totals 30 / 5 / exam 80 → the seed's example 70 / 95 / 80 → 78.5, pay 314.
  P3 the same 78.5 and a red line.  P5 no inputs: 100 / 100 / 0 → 90, flagged.
  Ranks 90 → 1, 78.5 → 2, 78.5 → 2, 73.2 → 4; bottom two with ties: P2 P3 P1.

After-sales (S1 S2 S3)
  handled (resolved/closed by resolved_at in October): S1 H01–H06 = 6 (H06 created 09-30, H07 resolved
  11-01, H08 open); S2 H09 H10 H11 = 3 (H12 is pre-sales); S3 0 → mean 3 → S1 200, 100, 0.
  graded callbacks in October: S1 K01–K05 A A B C D = 5+5+3+0−5 = 8 → 20 × 8/5 = 32;
  S2 K07 K08 A B = 8 → 20 × 8/2 = 80, only 2 → insufficient; S3 none → 0, insufficient.
  S1: B 80, 1 late → 95, 0 → 100, A 100; 107.1; +min(30, 35) −10 → 127.1, pay 508.4.
  S2: A 100, 0 → 100, 3 violations → 85, C 70; 89.5; +5 → 94.5, pay 378.
  S3: E 0, 25 late → 0, 100, D 50; 15; −25 → −10, pay 0.
"""
from __future__ import annotations

from datetime import date
import io
import json
import math

import openpyxl
import pandas as pd
import pytest

from appraisal import inputs as appraisal_inputs
from appraisal.installers import callback_coverage, unit_scores
from appraisal.month import agents, appraisal, month_cards, rank, year_view
from appraisal.publish import is_published, plans, publish, publish_log, update_plan
from appraisal.rules import DEFAULT_VALUES, Rules, rules_for, save_rules
from appraisal.sampler import _key, progress, sample
from appraisal.scorecard import aftersales_card, presales_card
from conftest import FIXTURES, shared_warehouse
from loaders import load_file
from metrics import MetricError, Scope

A = FIXTURES / "appraisal"
RULES = Rules(None, DEFAULT_VALUES)


def load_all(wh):
    for kind, name in (("roster", "roster"), ("tickets", "tickets"), ("callbacks", "callbacks"),
                       ("scorecard_inputs", "inputs"), ("installer_scores", "installer_scores")):
        report = load_file(wh, kind, A / f"{name}.csv")
        assert report.rows_rejected == 0, (kind, report)
    appraisal_inputs.excuse(wh, ["T06"], "系统故障：T06 时段电话系统中断", by="主管")
    return wh


@pytest.fixture(scope="module", params=["duckdb", "postgresql"])
def awh(request, tmp_path_factory):
    """The appraisal fixture warehouse, read-only."""
    wh = shared_warehouse(request, tmp_path_factory, load_all)
    yield wh
    wh.dispose()


def by_agent(month):
    return {r["agent_id"]: r for r in month.frame.to_dict("records")}


# ------------------------------------------------------------------ pure arithmetic
def test_seed_worked_example():
    card = presales_card({"qa_deductions": 30, "discipline_deductions": 5, "exam_score": 80}, {}, RULES)
    assert (card.parts["business"], card.parts["discipline"], card.parts["exam"]) == (70, 95, 80)
    assert card.total == pytest.approx(78.5)
    assert card.pay == 314


PRESALES_POINTS = {"A2": 2, "A3": 2, "A4": 2, "A7": 4, "A8": 4, "A9": 4, "A10": 2, "A11": 4}
DISCIPLINE_POINTS = {"B1": 3, "B2": 3, "B3": 5, "B4": 5, "B5": 3, "B6": 2, "B7": 5, "B8": 3, "B9": 3, "B10": 3,
                     "B11": 5, "B12": 5}


@pytest.mark.parametrize("item,points", PRESALES_POINTS.items())
def test_each_qa_item(item, points):
    from appraisal.scorecard import QA_COLUMNS

    card = presales_card({QA_COLUMNS[item]: 2, "exam_score": 100}, {}, RULES)
    assert card.parts[item] == 2 * points
    assert card.parts["business"] == 100 - 2 * points
    assert card.total == pytest.approx(0.6 * (100 - 2 * points) + 30 + 10)


@pytest.mark.parametrize("item,points", DISCIPLINE_POINTS.items())
def test_each_discipline_item(item, points):
    from appraisal.scorecard import DISCIPLINE_COLUMNS

    card = presales_card({DISCIPLINE_COLUMNS[item]: 1, "exam_score": 100}, {}, RULES)
    assert card.parts[item] == points
    assert card.parts["discipline"] == 100 - points


@pytest.mark.parametrize("field,count,points", [("a1", 3, 6), ("a5_steps", 4, 8), ("a6", 2, 4)])
def test_each_data_item(field, count, points):
    card = presales_card({"exam_score": 100}, {field: count}, RULES)
    item = {"a1": "A1", "a5_steps": "A5", "a6": "A6"}[field]
    assert card.parts[item] == points and card.parts["business"] == 100 - points


def test_insubordination_first_time_then_repeat_value():
    first = presales_card({"dis_insubordination": 3}, {}, RULES)
    assert first.parts["B12"] == 5 + 10 + 10
    again = presales_card({"dis_insubordination": 1}, {}, RULES, prior_insubordination=1)
    assert again.parts["B12"] == 10


def test_scores_never_below_zero_and_totals_vs_items():
    card = presales_card({"qa_deductions": 100, "qa_wording": 30, "discipline_deductions": 100}, {"a1": 10}, RULES)
    assert card.parts["business"] == 0 and card.parts["discipline"] == 0
    assert card.parts["qa"] == 30 * 4  # the QA items win over the QA total
    assert "total_mismatch" in card.flags  # QA items 120 ≠ total 100
    assert card.pay == 0


def test_aftersales_composite_caps_and_complaints():
    card = aftersales_card({"attitude_grade": "A", "teamwork_grade": "A", "suggestions_adopted": 10,
                            "complaints": 3}, 10, 10, 20, 100, RULES)
    # S1 100, S2 20 × 100/20 = 100 → total 100; +min(30, 50) − 15 = 115
    assert card.total == pytest.approx(100)
    assert card.composite == pytest.approx(115)
    assert card.pay == 460
    assert "insufficient" not in card.flags


def test_grade_anchors():
    for grade, attitude, teamwork in zip("ABCDE", (100, 80, 60, 30, 0), (100, 80, 70, 50, 0)):
        card = aftersales_card({"attitude_grade": grade, "teamwork_grade": grade.lower()}, 0, 0, 0, 0, RULES)
        assert (card.parts["S3"], card.parts["S6"]) == (attitude, teamwork)


def test_ranking_ties_share_and_bottom_two_includes_ties():
    frame = pd.DataFrame({"agent_id": list("abcde"), "composite": [90, 80, 80, 70, 70.001],
                          "flags": [[] for _ in range(5)]})
    out = rank(frame, RULES).set_index("agent_id")
    assert out["rank"].to_dict() == {"a": 1, "b": 2, "c": 2, "d": 4, "e": 4}  # 70.001 rounds to 70.00
    assert {a for a, f in out["flags"].items() if "bottom" in f} == {"d", "e"}
    frame["composite"] = [90, 80, 80, 70, 60]
    out = rank(frame, RULES).set_index("agent_id")
    assert out["rank"].tolist() == [1, 2, 2, 4, 5]
    assert {a for a, f in out["flags"].items() if "bottom" in f} == {"d", "e"}
    frame["composite"] = [90, 80, 70, 70, 70]
    out = rank(frame, RULES).set_index("agent_id")
    assert {a for a, f in out["flags"].items() if "bottom" in f} == {"c", "d", "e"}


# ------------------------------------------------------------------ from the warehouse
def test_presales_month(awh):
    month = appraisal(awh, "2026-10", "presales", scope=Scope.all())
    rows = by_agent(month)
    assert set(rows) == {"P1", "P2", "P3", "P5"}  # P4 is an intern
    p1 = rows["P1"]
    assert (p1["A1"], p1["A5"], p1["A6"]) == (6, 14, 2)
    assert (p1["A2"], p1["A7"], p1["A10"], p1["qa"], p1["business"]) == (2, 4, 4, 10, 68)
    assert (p1["B1"], p1["B6"], p1["B12"], p1["b_total"], p1["discipline"]) == (3, 4, 15, 22, 78)
    assert p1["total"] == pytest.approx(73.2) and p1["pay"] == pytest.approx(292.8)
    assert rows["P2"]["total"] == pytest.approx(78.5) and rows["P2"]["pay"] == 314
    assert {a: r["rank"] for a, r in rows.items()} == {"P5": 1, "P2": 2, "P3": 2, "P1": 4}
    assert rows["P3"]["flags"] == ["red_line", "bottom"]
    assert rows["P5"]["flags"] == ["inputs_missing"]
    assert "bottom" in rows["P1"]["flags"] and "bottom" in rows["P2"]["flags"]
    lines = {line["item"]: line for line in month.cards["P1"]["lines"]}
    assert lines["A5"]["count"] == 7 and lines["A1"]["count"] == 3


def test_aftersales_month(awh):
    rows = by_agent(appraisal(awh, "2026-10", "aftersales", scope=Scope.all()))
    expect = {"S1": (200, 32, 80, 95, 100, 100, 107.1, 127.1, 508.4, 1),
              "S2": (100, 80, 100, 100, 85, 70, 89.5, 94.5, 378, 2),
              "S3": (0, 0, 0, 0, 100, 50, 15, -10, 0, 3)}
    for agent, values in expect.items():
        r = rows[agent]
        got = (r["S1"], r["S2"], r["S3"], r["S4"], r["S5"], r["S6"], r["total"], r["composite"], r["pay"], r["rank"])
        assert got == pytest.approx(values), agent
    assert rows["S1"]["flags"] == []
    assert rows["S2"]["flags"] == ["insufficient", "bottom"]


def test_scope_keeps_division_ranks(awh):
    month = appraisal(awh, "2026-10", "presales", scope=Scope.of(teams=["售前二组"]))
    assert month.frame[["agent_id", "rank"]].values.tolist() == [["P5", 1], ["P3", 2]]
    assert set(month.cards) == {"P5", "P3"}
    with pytest.raises(MetricError):
        appraisal(awh, "2026-10", "presales", scope=None)


def test_roster_move_uses_row_at_month_end(awh):
    assert list(agents(awh, pd.Timestamp("2026-10-01").date(), "aftersales")["agent_id"]) == ["S1", "S2", "S3"]


@pytest.mark.parametrize("hold,points", [(0, 0), (30, 0), (31, 2), (60, 2), (61, 4), (91, 6)])
def test_hold_rule(duck_wh, tmp_path, hold, points):
    load_file(duck_wh, "roster", A / "roster.csv")
    f = tmp_path / "t.csv"
    f.write_text("工单编号,来电时间,渠道,呼叫类型,座席工号,通话结果,振铃时长,保持时长,保持次数\n"
                 f"X1,2026-10-02 09:00:00,电话,呼入,P2,已接听,5,{hold},1\n", encoding="utf-8")
    load_file(duck_wh, "tickets", f)
    assert by_agent(month_cards(duck_wh, "2026-10", "presales"))["P2"]["A5"] == points


def test_callback_sampler(awh):
    calls = sample(awh, "2026-10", scope=Scope.all())
    s1 = calls[calls["agent"] == "S1"]
    assert sorted(s1["ticket_id"]) == ["H01", "H02", "H03", "H04", "H05", "H06"]  # all 6 handled (< 20)
    assert list(s1["draw"]) == [1, 2, 3, 4, 5, 6]
    # the warehouse's draw (SQL sha256 on either engine) is the order of Python's digest
    assert list(s1["ticket_id"]) == sorted(s1["ticket_id"], key=lambda t: _key(date(2026, 10, 1), "S1", t))
    assert calls.equals(sample(awh, "2026-10", scope=Scope.all()))  # reproducible
    small = sample(awh, "2026-10", scope=Scope.all(), size=2)
    assert list(small[small["agent"] == "S1"]["ticket_id"]) == list(s1["ticket_id"][:2])
    assert all("****" in p for p in calls["customer_phone"])
    prog = progress(calls, 20).set_index("agent")
    # S1: H01–H05 graded (K06 on H06 unreached); S2: H09 H10 and H11 (graded 11-01, still counts)
    assert prog.loc["S1", "graded"] == 5 and prog.loc["S2", "graded"] == 3
    assert prog.loc["S1", "done"] == 0.25


def test_installer_units(awh):
    assert list(unit_scores(awh, "2026-10", scope=Scope.of(stores=["广州店"]))["unit"]) == ["广州店"]
    units = unit_scores(awh, "2026-10", scope=Scope.all()).set_index("unit")
    # 上海店: 2025-11 79 and 2026-10 20+25+20+10 = 75 (2025-10 is outside the 12 months) → 2 strikes
    assert units.loc["上海店", "score"] == 75 and units.loc["上海店", "strikes"] == 2
    assert bool(units.loc["上海店", "flagged"]) and not bool(units.loc["广州店", "flagged"])
    daily, overdue = callback_coverage(awh, "2026-10", scope=Scope.all())
    cov = {(r.unit, str(r.day)): (r.installs, r.in_time) for r in daily.itertuples()}
    # I01 called back next day (in time), I02 two days later (overdue), I03 never
    assert cov == {("上海店", "2026-10-05"): (2, 1), ("广州店", "2026-10-06"): (1, 0)}
    assert sorted(overdue["ticket_id"]) == ["I02", "I03"]


def test_verified_installer_complaints_come_off_the_units_score(wh, tmp_path):
    """The seed: a complaint the installers caused, verified, is punished too — 5 points each
    (``installers.complaint_points``) off the unit's month; here it makes a second strike."""
    load_all(wh)
    f = tmp_path / "投诉.csv"
    f.write_text("投诉编号,投诉时间,类型,装维单位,核查属实\n"
                 "Z1,2026-10-03 09:00,投诉,广州店,属实\nZ2,2026-10-09 09:00,投诉,广州店,属实\n"
                 "Z3,2026-10-09 10:00,投诉,广州店,不属实\nZ4,2026-09-09 10:00,投诉,广州店,属实\n", encoding="utf-8")
    assert load_file(wh, "complaints", f).rows_rejected == 0
    units = unit_scores(wh, "2026-10", scope=Scope.all()).set_index("unit")
    # October: Z1 and Z2 verified (Z3 not, Z4 is September's) → 2 × 5 = 10 points off the entered 85 = 75,
    # under 80: with 2026-03's 79 that is a second strike in 12 months → flagged
    assert (units.loc["广州店", "complaints"], units.loc["广州店", "deduction"]) == (2, 10)
    assert units.loc["广州店", "score"] == 75 and units.loc["广州店", "strikes"] == 2
    assert bool(units.loc["广州店", "flagged"]) and units.loc["上海店", "deduction"] == 0


# ------------------------------------------------------------------ changing things
def test_frozen_month_unchanged_by_later_load_and_republish_logged(wh, tmp_path):
    load_all(wh)
    publish(wh, "2026-10", "presales", by="经理甲")
    assert is_published(wh, "2026-10", "presales")
    before = appraisal(wh, "2026-10", "presales", scope=Scope.all()).frame
    # a later export adds two late answers for P2 in October
    f = tmp_path / "more.csv"
    f.write_text("工单编号,来电时间,渠道,呼叫类型,座席工号,通话结果,振铃时长\n"
                 "Y1,2026-10-20 09:00:00,电话,呼入,P2,已接听,30\nY2,2026-10-21 09:00:00,电话,呼入,P2,已接听,30\n",
                 encoding="utf-8")
    load_file(wh, "tickets", f)
    after = appraisal(wh, "2026-10", "presales", scope=Scope.all())
    pd.testing.assert_frame_equal(before, after.frame)
    assert after.published["by"] == "经理甲"
    assert by_agent(month_cards(wh, "2026-10", "presales"))["P2"]["A1"] == 4  # live figures moved
    with pytest.raises(MetricError, match="已发布"):
        publish(wh, "2026-10", "presales", by="经理甲")
    publish(wh, "2026-10", "presales", by="经理乙", republish=True)
    assert by_agent(appraisal(wh, "2026-10", "presales", scope=Scope.all()))["P2"]["total"] == pytest.approx(76.1)
    log = publish_log(wh, "2026-10")
    assert list(log["action"]) == ["republish", "publish"] or sorted(log["action"]) == ["publish", "republish"]
    assert set(log["published_by"]) == {"经理甲", "经理乙"}


def test_rule_change_from_later_month_leaves_earlier(wh, tmp_path):
    load_all(wh)
    save_rules(wh, {"pay.base": 500, "presales.weight.exam": 0.2, "presales.weight.business": 0.5}, "2026-11",
               by="人事")
    oct_rules, nov_rules = rules_for(wh, "2026-10"), rules_for(wh, "2026-11")
    assert oct_rules["pay.base"] == 400 and nov_rules["pay.base"] == 500
    assert oct_rules.version != nov_rules.version
    assert by_agent(month_cards(wh, "2026-10", "presales"))["P2"]["pay"] == 314
    f = tmp_path / "nov.csv"
    f.write_text("考核月份,工号,监听扣分,纪律扣分,笔试分数\n2026-11,P2,30,5,80\n", encoding="utf-8")
    load_file(wh, "scorecard_inputs", f)
    p2 = by_agent(month_cards(wh, "2026-11", "presales"))["P2"]
    # 0.5·70 + 0.3·95 + 0.2·80 = 35 + 28.5 + 16 = 79.5 → 500 × 0.795
    assert p2["total"] == pytest.approx(79.5) and p2["pay"] == pytest.approx(397.5)
    with pytest.raises(MetricError, match="应在"):
        save_rules(wh, {"pay.base": -1}, "2026-11", by="人事")


def streak_inputs(wh, tmp_path):
    """The roster and three months (2025-11 … 2026-01) of the same inputs: P2 first, P1 last each month."""
    load_file(wh, "roster", A / "roster.csv")
    f = tmp_path / "inputs.csv"
    lines = ["考核月份,工号,监听扣分,纪律扣分,笔试分数"]
    for month in ("2025-11", "2025-12", "2026-01"):
        lines += [f"{month},P1,40,20,50", f"{month},P2,0,0,100", f"{month},P3,10,0,90", f"{month},P5,10,0,90"]
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    load_file(wh, "scorecard_inputs", f)


def test_streaks_across_a_year_boundary(wh, tmp_path):
    streak_inputs(wh, tmp_path)
    flags = lambda m: {a: r["flags"] for a, r in by_agent(appraisal(wh, m, "presales", scope=Scope.all())).items()}  # noqa: E731
    assert "top_streak" not in flags("2026-01")["P2"]  # earlier months not published: no streak yet
    publish(wh, "2025-11", "presales", by="经理")
    publish(wh, "2025-12", "presales", by="经理")
    jan = flags("2026-01")
    assert "top_streak" in jan["P2"] and "bottom_streak" in jan["P1"]
    assert "top_streak" not in flags("2025-12")["P2"]  # only two months by December
    year = year_view(wh, 2025, "presales", scope=Scope.all()).set_index("agent_id")
    assert year.loc["P2", "2025-11"] == 100 and year.loc["P2", "months"] == 2
    assert math.isnan(year.loc["P2", "2025-01"])  # nothing entered in January 2025
    assert year.loc["P2", "mean"] == 100 and year.loc["P1", "mean"] == pytest.approx(0.6 * 60 + 0.3 * 80 + 5)


def test_rectification_plans(wh):
    from datetime import date, datetime

    load_all(wh)
    publish(wh, "2026-10", "aftersales", by="经理", now=datetime(2026, 11, 3, 9))
    p = plans(wh, "2026-10", "aftersales", today=date(2026, 11, 5)).set_index("agent_id")
    assert set(p.index) == {"S2", "S3"}
    assert str(p.loc["S2", "due_date"])[:10] == "2026-11-10" and p.loc["S2", "status"] == "due"
    update_plan(wh, "2026-10", "aftersales", "S2", action="submit", by="S2", at=datetime(2026, 11, 9, 18))
    update_plan(wh, "2026-10", "aftersales", "S3", action="submit", by="S3", at=datetime(2026, 11, 12, 9))
    p = plans(wh, "2026-10", "aftersales", today=date(2026, 11, 20)).set_index("agent_id")
    assert p["status"].to_dict() == {"S2": "submitted", "S3": "late"}
    update_plan(wh, "2026-10", "aftersales", "S3", action="accept", by="经理")
    assert plans(wh, "2026-10", "aftersales").set_index("agent_id").loc["S3", "status"] == "accepted"
    assert plans(wh, "2026-10", "presales", today=date(2026, 11, 20)).empty


def test_inputs_template_round_trip_and_audited_edits(wh, tmp_path):
    load_all(wh)
    data = appraisal_inputs.template(wh, "2026-10", "aftersales")
    sheet = pd.read_excel(io.BytesIO(data), engine="openpyxl")
    assert list(sheet["工号"]) == ["S1", "S2", "S3"] and list(sheet["考核月份"].unique()) == ["2026-10"]
    assert sheet.set_index("工号").loc["S1", "工作态度"] == "B"  # pre-filled with what is entered
    sheet.loc[sheet["工号"] == "S3", "工作态度"] = "C"
    path = tmp_path / "filled.xlsx"
    sheet.to_excel(path, index=False)
    report = load_file(wh, "scorecard_inputs", path)
    assert report.rows_rejected == 0
    assert by_agent(month_cards(wh, "2026-10", "aftersales"))["S3"]["S3"] == 60

    edited = appraisal_inputs.current(wh, "2026-10", "aftersales")
    edited.loc[edited["agent_id"] == "S2", "complaints"] = 2
    assert appraisal_inputs.save_edits(wh, "2026-10", edited, by="主管乙") == 1
    log = appraisal_inputs.audit(wh, "2026-10")
    assert log[["agent_id", "column_name", "old_value", "new_value", "changed_by"]].values.tolist() == [
        ["S2", "complaints", "0", "2", "主管乙"]]
    assert by_agent(month_cards(wh, "2026-10", "aftersales"))["S2"]["penalty"] == 10
    bad = edited.copy()
    bad.loc[bad["agent_id"] == "S1", "teamwork_grade"] = "F"
    bad.loc[bad["agent_id"] == "S2", "late_reports"] = -1
    with pytest.raises(MetricError, match="团队协作「F」应为 A–E.*日志周报迟交次数 -1 超出范围"):
        appraisal_inputs.save_edits(wh, "2026-10", bad, by="主管乙")


def test_input_file_rejects_unknown_agent_and_bad_grade(wh, tmp_path):
    load_file(wh, "roster", A / "roster.csv")
    f = tmp_path / "bad.csv"
    f.write_text("考核月份,工号,工作态度,笔试分数\n2026-10,S1,A,90\n2026-10,ZZ9,B,80\n2026-10,S2,F,80\n"
                 "2026-10,P1,,120\n", encoding="utf-8")
    report = load_file(wh, "scorecard_inputs", f)
    assert (report.rows_inserted, report.rows_rejected) == (1, 3)
    from loaders.status import rejects

    reasons = dict(zip(rejects(wh)["line_no"], rejects(wh)["reason"]))
    assert "ZZ9" in reasons[3] and "人员名单" in reasons[3]
    assert "工作态度" in reasons[4] and "F" in reasons[4]
    assert "笔试分数" in reasons[5]


def test_month_workbook(awh):
    from appraisal.export import workbook

    book = openpyxl.load_workbook(io.BytesIO(workbook(appraisal(awh, "2026-10", "aftersales", scope=Scope.all()))))
    assert book.sheetnames == ["汇总", "S1 戊", "S2 己", "S3 庚"]
    summary = pd.read_excel(io.BytesIO(workbook(appraisal(awh, "2026-10", "aftersales", scope=Scope.all()))),
                            sheet_name="汇总", skiprows=2, engine="openpyxl")
    assert summary.set_index("工号").loc["S1", "综合得分"] == pytest.approx(127.1)
    sheet = book["S2 己"]
    cells = {sheet.cell(r, 2).value: sheet.cell(r, 6).value for r in range(1, sheet.max_row + 1)}
    assert cells["S2"] == 80 and cells["S5"] == 85
    values = [c.value for row in sheet.iter_rows() for c in row if c.value is not None]
    assert 378 in values and "回访不足、末位·需整改" in values


def test_cli_appraisal(awh, tmp_path):
    import subprocess
    import sys

    db = awh.url
    awh.dispose()  # DuckDB: let the CLI process open the file
    out = subprocess.run([sys.executable, "-m", "metrics", "--db", db, "appraisal", "--month", "2026-10",
                          "--division", "presales", "--format", "json"], capture_output=True, text=True, check=True)
    rows = {r["agent_id"]: r for r in json.loads(out.stdout)}
    assert rows["P2"]["total"] == 78.5 and rows["P2"]["pay"] == 314 and rows["P2"]["rank"] == 2
    assert rows["P3"]["flags"] == "red_line;bottom"
    head = subprocess.run([sys.executable, "-m", "metrics", "--db", db, "appraisal", "--month", "2026-10",
                           "--division", "aftersales", "--format", "csv"], capture_output=True, text=True, check=True)
    assert head.stdout.splitlines()[0] == ("agent_id,agent_name,team,S1,S2,S3,S4,S5,S6,bonus,penalty,total,composite,"
                                           "pay,rank,flags")
    bad = subprocess.run([sys.executable, "-m", "metrics", "--db", db, "appraisal", "--month", "2026-13",
                          "--division", "presales"], capture_output=True, text=True)
    assert bad.returncode == 2


def test_upgrade_from_version_2_keeps_inputs(wh):
    """A warehouse made before the appraisal (schema 2) gains the item columns and tables, rows kept."""
    import sqlalchemy as sa

    from warehouse.schema import SCHEMA_VERSION, SCORECARD_ITEM_COLUMNS, ensure_schema

    load_file(wh, "roster", A / "roster.csv")
    load_file(wh, "scorecard_inputs", A / "inputs.csv")
    with wh.begin() as conn:
        for name in SCORECARD_ITEM_COLUMNS:
            conn.execute(sa.text(f"ALTER TABLE scorecard_inputs DROP COLUMN {name}"))
        for table in ("appraisal_rules", "appraisal_published", "rectification_plans", "installer_scores"):
            conn.execute(sa.text(f"DROP TABLE {table}"))
        conn.execute(sa.text("UPDATE schema_version SET version = 2"))
    assert ensure_schema(wh) == SCHEMA_VERSION == 10
    with wh.connect() as conn:
        columns = {r[0] for r in conn.execute(sa.text(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'scorecard_inputs'"))}
        assert set(SCORECARD_ITEM_COLUMNS) <= columns
        assert conn.execute(sa.text("SELECT count(*) FROM scorecard_inputs")).scalar() == 6
    assert by_agent(month_cards(wh, "2026-10", "presales"))["P2"]["total"] == pytest.approx(78.5)
