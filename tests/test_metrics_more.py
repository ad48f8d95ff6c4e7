"""Registry, settings, targets, comparisons and staffing (on DuckDB and PostgreSQL where data is involved)."""
import math
from datetime import date, timedelta

import pandas as pd
import pytest
import sqlalchemy as sa

from loaders import load_file
from conftest import FIXTURES
from metrics import MetricError, Scope, compute, load_settings, save_settings, validate
from metrics.compare import with_comparisons
from metrics.registry import METRICS, Count, Direction, Metric, Unit
from metrics.staffing import agents_needed, evaluate, interval_requirements, seat_alert, seats, staff_per_seat
from metrics.targets import (Target, attach, check_target, import_targets_excel, load_targets, pick,
                             read_targets_excel, save_targets, status, write_targets_template)


# ------------------------------------------------------------------ registry
def test_registry_is_valid():
    assert validate() == []


def test_registry_check_catches_every_problem_at_once():
    bad = METRICS + (
        Metric("answer_rate", "tickets", Unit.PERCENT, Direction.UP, Count(), Count(), formula="x"),
        Metric("no_label", "nowhere", Unit.PERCENT, Direction.UP, Count(), formula="",
               settings=("nope",)),
    )
    problems = validate(bad)
    assert any("duplicate id" in p for p in problems)
    # the label and 口径 are catalog texts: a KPI without them is named, as is a missing formula
    assert any("missing text kpi.no_label" in p for p in problems) and any("missing formula" in p for p in problems)
    assert any("unknown source 'nowhere'" in p for p in problems)
    assert any("unknown setting 'nope'" in p for p in problems)
    assert any("a rate needs a denominator" in p for p in problems)


# ------------------------------------------------------------------ settings
def test_settings_defaults_and_save(wh):
    s = load_settings(wh)
    assert (s.ring_cycle_seconds, s.answer_rings, s.short_abandon_rings, s.conversion_window) == (5, 3, 1, "next_day")
    assert s.voicemail_as_missed is True and s.abandon_treatment == "exclude_short" and dict(s.sla_hours) == {"*": 24}
    s2 = save_settings(wh, {"ring_cycle_seconds": 6, "sla_hours": {"*": 48, "售后/投诉": 12}}, user="王经理")
    assert s2.ring_cycle_seconds == 6 and dict(s2.sla_hours) == {"*": 48, "售后/投诉": 12}
    assert load_settings(wh) == s2


def test_settings_report_every_problem_and_save_nothing(wh):
    with pytest.raises(MetricError) as err:
        save_settings(wh, {"ring_cycle_seconds": 0, "answer_rings": 2.5, "conversion_window": "weekly",
                           "abandon_treatment": "maybe", "sla_hours": {"售后": 12}, "colour": "red",
                           "answer_rings_typo": 1}, user="test")
    text = str(err.value)
    for word in ("每声秒数", "接听声数标准", "询单转化窗口", "放弃来电口径", "办结时限", "未知设置「colour」"):
        assert word in text
    assert load_settings(wh).ring_cycle_seconds == 5


def test_saved_settings_change_the_figures(wh):
    from conftest import FIXTURES

    for kind in ("roster", "tickets"):
        load_file(wh, kind, FIXTURES / "metrics" / f"{kind}.csv")
    before = compute(wh, ["answer_within_3_rings_rate"], months=["2026-10"], scope=Scope.all())
    save_settings(wh, {"ring_cycle_seconds": 10}, user="test")
    after = compute(wh, ["answer_within_3_rings_rate"], months=["2026-10"], scope=Scope.all())
    assert (before["numerator"][0], before["denominator"][0]) == (6, 9)
    assert (after["numerator"][0], after["denominator"][0]) == (7, 8)   # see test_metrics
    assert "每声秒数=10" in after["basis"][0]


# ------------------------------------------------------------------ targets
def test_target_checks():
    assert check_target(Target("answer_rate", 0.95)) == []
    assert "业务量指标" in str(check_target(Target("contacts", 100))[0])
    assert "0%–100%" in str(check_target(Target("answer_rate", 95))[0])
    assert "对象" in str(check_target(Target("answer_rate", 0.9, "region"))[0])
    assert "未知指标" in str(check_target(Target("nope", 1))[0])
    assert "黄色区间" in str(check_target(Target("aov", 100, amber_band=-1))[0])


@pytest.mark.parametrize("kpi, value, target, band, expected", [
    ("answer_rate", 0.95, 0.95, 0.02, "green"),      # meets exactly
    ("answer_rate", 0.94, 0.95, 0.02, "amber"),      # 1 pp short, band 2 pp
    ("answer_rate", 0.93, 0.95, 0.02, "amber"),      # at the band's edge
    ("answer_rate", 0.92, 0.95, 0.02, "red"),
    ("abandon_rate", 0.05, 0.05, 0.02, "green"),     # ↓: at or below is green
    ("abandon_rate", 0.06, 0.05, 0.02, "amber"),
    ("abandon_rate", 0.08, 0.05, 0.02, "red"),
    ("aht_seconds", 190, 180, None, "red"),          # band 5 % of 180 = 9 s: 190 is beyond
    ("aht_seconds", 188, 180, None, "amber"),
    ("answer_rate", math.nan, 0.95, 0.02, "grey"),   # empty value
])
def test_status_by_direction(kpi, value, target, band, expected):
    assert status(value, Target(kpi, target, amber_band=band)) == expected


def test_most_specific_target_and_effective_month():
    ts = [Target("answer_rate", 0.95), Target("answer_rate", 0.90, "region", "华南"),
          Target("answer_rate", 0.97, "team", "售后一组", date(2026, 10, 1)),
          Target("answer_rate", 0.92, "region", "华南", date(2026, 11, 1))]
    assert pick(ts, "answer_rate", date(2026, 9, 1), {"team": "售后一组", "region": "华东"}).target == 0.95
    assert pick(ts, "answer_rate", date(2026, 10, 1), {"team": "售后一组", "region": "华东"}).target == 0.97
    assert pick(ts, "answer_rate", date(2026, 10, 1), {"region": "华南"}).target == 0.90
    assert pick(ts, "answer_rate", date(2026, 12, 1), {"region": "华南"}).target == 0.92
    assert pick(ts, "revenue", date(2026, 10, 1), {}) is None


def test_targets_stored_and_attached(wh):
    assert {t.kpi: t.target for t in load_targets(wh)}["answer_within_3_rings_rate"] == 0.90   # spec default
    save_targets(wh, [Target("answer_rate", 0.80, "team", "售后一组", date(2026, 10, 1), 0.05)], user="王经理")
    result = pd.DataFrame({"month": ["2026-10", "2026-10", "2026-09"], "team": ["售后一组", "售后二组", "售后一组"],
                           "kpi": ["answer_rate"] * 3, "value": [0.78, 0.93, 0.96]})
    got = attach(result, load_targets(wh))
    # 售后一组 from October: 80 % ± 5 pp → 0.78 amber; 售后二组 the global 95 % → 0.93 amber (2 pp band);
    # 售后一组 in September: the team target is not yet in force → global → 0.96 green
    assert got["target"].tolist() == [0.80, 0.95, 0.95]
    assert got["status"].tolist() == ["amber", "amber", "green"]
    with pytest.raises(MetricError, match="第 1 条"):
        save_targets(wh, [Target("answer_rate", 1.5)], user="test")


def test_targets_refuse_unknown_names_and_nan_with_row_numbers(wh, tmp_path):
    """A target for a region, store or team the data does not know would never apply; NaN and
    infinite targets are not numbers.  Every problem by row, nothing saved, the writer recorded."""
    load_file(wh, "roster", FIXTURES / "roster.csv")
    path = tmp_path / "targets.xlsx"
    pd.DataFrame({"指标": ["answer_rate", "answer_rate", "answer_rate", "answer_rate", "answer_rate"],
                  "范围": ["区域", "门店", "班组", "全部", "区域"], "对象": ["火星", "上海店", "售后九组", None, "华东"],
                  "目标": [0.9, 0.9, 0.9, "nan", "inf"]}).to_excel(path, index=False)
    with pytest.raises(MetricError) as err:
        import_targets_excel(wh, path, user="王经理")
    text = str(err.value)
    assert "第 2 行：区域「火星」不在已导入的数据中" in text and "第 4 行：班组「售后九组」" in text
    assert "第 3 行" not in text                      # 上海店 is a known store
    assert "第 5 行" in text and "第 6 行" in text      # NaN and infinity
    with wh.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM targets WHERE updated_by = '王经理'")).scalar() == 0
    save_targets(wh, [Target("answer_rate", 0.8, "region", "华东")], user="王经理")
    with wh.connect() as conn:
        assert conn.execute(sa.text("SELECT DISTINCT updated_by FROM targets")).scalars().all() == ["王经理"]


def test_targets_from_excel(wh, tmp_path):
    path = tmp_path / "targets.xlsx"
    pd.DataFrame({"指标": ["3声内接听率", "revenue", "满意率"], "范围": ["全部", "区域", "班组"],
                  "对象": [None, "华东", "售后一组"], "生效月份": ["2026-10", "2026年11月", None],
                  "目标": ["92%", 1_000_000, 95], "黄色区间": [0.03, None, "3%"]}).to_excel(path, index=False)
    load_file(wh, "roster", FIXTURES / "roster.csv")   # 华东 and 售后一组 are known names
    n = import_targets_excel(wh, path, user="王经理")
    assert n == 3
    got = {(t.kpi, t.level): t for t in load_targets(wh) if t.effective_month.year == 2026 or t.level != "all"}
    assert got[("answer_within_3_rings_rate", "all")].target == pytest.approx(0.92)
    assert got[("revenue", "region")].scope_value == "华东" and got[("revenue", "region")].effective_month == date(2026, 11, 1)
    assert got[("satisfaction_rate", "team")].target == pytest.approx(0.95)   # "95" for a rate = 95 %
    assert got[("satisfaction_rate", "team")].amber_band == pytest.approx(0.03)


def test_targets_excel_errors_all_at_once(tmp_path):
    path = tmp_path / "bad.xlsx"
    pd.DataFrame({"指标": ["接通率", "nope", "咨询量/来电量", "接通率"], "范围": ["全部", "全部", "全部", "部门"],
                  "对象": [None] * 4, "生效月份": ["2026-13", None, None, None],
                  "目标": [0.9, 1, 5, 0.9]}).to_excel(path, index=False)
    with pytest.raises(MetricError) as err:
        read_targets_excel(path)
    text = str(err.value)
    assert "第 2 行" in text and "月份" in text          # bad month
    assert "第 3 行：未知指标「nope」" in text
    assert "第 4 行" in text and "业务量指标" in text
    assert "第 5 行：范围「部门」" in text


def test_targets_template_round_trips(tmp_path):
    path = write_targets_template(tmp_path / "t.xlsx")
    assert {t.kpi for t in read_targets_excel(path)} == {"answer_within_3_rings_rate", "answer_rate", "abandon_rate",
                                                         "satisfaction_rate", "callback_coverage_rate", "long_hold_rate"}


def test_targets_file_missing_columns(tmp_path):
    path = tmp_path / "x.xlsx"
    pd.DataFrame({"kpi": ["answer_rate"]}).to_excel(path, index=False)
    with pytest.raises(MetricError, match="缺少列：指标、目标"):
        read_targets_excel(path)


# ------------------------------------------------------------------ comparisons
def _daily_calls(path, first: date, last: date, extra_missed_on=(), prefix="N"):
    lines = ["工单编号,来电时间,渠道,呼叫类型,座席工号,班组,通话结果,振铃时长,通话时长"]
    d, i = first, 0
    while d <= last:
        i += 1
        lines.append(f"{prefix}{i},{d} 10:00:00,电话,呼入,A1,售后一组,已接听,5,60")
        if d in extra_missed_on:
            i += 1
            lines.append(f"{prefix}{i},{d} 11:00:00,电话,呼入,,售后一组,座席未接听,30,")
        d += timedelta(days=1)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_mom_in_points_and_percent_yoy_incomplete(wh, tmp_path):
    # September: 30 days × 1 answered → 30/30; October: 31 answered + 1 missed (30 s = 6 rings, not short)
    # → 31/32; 2025-10 only 10 days loaded → YoY incomplete
    load_file(wh, "tickets", _daily_calls(tmp_path / "a.csv", date(2026, 9, 1), date(2026, 10, 31),
                                          extra_missed_on=(date(2026, 10, 1),)))
    load_file(wh, "tickets", _daily_calls(tmp_path / "b.csv", date(2025, 10, 1), date(2025, 10, 10), prefix="Y"))
    df = with_comparisons(wh, ["answer_rate", "contacts"], months=["2026-10"], scope=Scope.all()).set_index("kpi")
    assert df.loc["answer_rate", "value"] == pytest.approx(31 / 32)
    # rates: percentage points as a fraction difference: 31/32 − 30/30 = −0.03125 (−3.1 pp)
    assert df.loc["answer_rate", "mom_delta"] == pytest.approx(31 / 32 - 1)
    # counts: % change: (32 − 30) / 30
    assert df.loc["contacts", "mom_delta"] == pytest.approx(2 / 30)
    assert df.loc["answer_rate", "mom_flag"] == "ok" and df.loc["answer_rate", "yoy_flag"] == "incomplete"
    assert math.isnan(df.loc["answer_rate", "yoy_delta"]) and df.loc["answer_rate", "yoy_value"] == 1.0
    # November has no data at all: not a month of the comparison's figures
    nov = with_comparisons(wh, ["contacts"], months=["2026-11"], scope=Scope.all())
    assert nov.empty


def test_comparisons_from_thirteen_months_equal_with_comparisons(wh, tmp_path):
    """The overview derives MoM/YoY from the 13 months it already holds (one computation instead of two)."""
    from metrics.compare import attach_comparisons, comparison_months, complete_months
    from metrics.months import month_range

    load_file(wh, "tickets", _daily_calls(tmp_path / "a.csv", date(2026, 9, 1), date(2026, 10, 31),
                                          extra_missed_on=(date(2026, 10, 1),)))
    load_file(wh, "tickets", _daily_calls(tmp_path / "b.csv", date(2025, 10, 1), date(2025, 10, 10), prefix="Y"))
    kpis = ["answer_rate", "contacts", "abandon_rate"]
    direct = with_comparisons(wh, kpis, months=["2026-10"], scope=Scope.all())
    span = month_range(date(2025, 10, 1), date(2026, 10, 1))
    history = compute(wh, kpis, months=span, dims=("month",), scope=Scope.all())
    derived = attach_comparisons(history, [date(2026, 10, 1)], complete_months(wh, comparison_months([date(2026, 10, 1)])))
    pd.testing.assert_frame_equal(direct, derived)


def test_mom_incomplete_when_a_day_is_missing(wh, tmp_path):
    load_file(wh, "tickets", _daily_calls(tmp_path / "a.csv", date(2026, 9, 2), date(2026, 10, 31)))
    df = with_comparisons(wh, ["contacts"], months=["2026-10"], scope=Scope.all())
    assert df["mom_flag"][0] == "incomplete" and math.isnan(df["mom_delta"][0]) and df["complete"][0]


# ------------------------------------------------------------------ staffing
def test_erlang_c_published_vector():
    s = agents_needed(100, 180, target_level=0.8, target_seconds=20)
    assert s.agents == 14
    assert s.service_level == pytest.approx(0.888, abs=5e-4)
    assert s.occupancy == pytest.approx(0.714, abs=5e-4)
    assert s.p_wait == pytest.approx(0.174, abs=5e-4)
    assert s.asa_seconds == pytest.approx(7.84, abs=5e-3)
    assert evaluate(13, 100, 180, 20).service_level == pytest.approx(0.796, abs=5e-4)
    assert evaluate(10, 100, 180, 20).service_level == 0.0          # agents = traffic: queue never clears
    assert agents_needed(0, 180).agents == 0


def test_seat_rule():
    assert seats(130_000) == 7 and seats(120_000) == 6 and seats(1) == 1 and seats(0) == 0
    assert staff_per_seat() == pytest.approx(14 * 30 / 174)          # 2.41 people per seat


def test_seat_alert():
    assert seat_alert(pd.Series([0.95, 0.90, 0.89, 0.88]))           # 5, 6, 7 pp below 95 % for 3 weeks
    assert not seat_alert(pd.Series([0.95, 0.90, 0.91, 0.88]))       # week 2 only 4 pp down
    assert not seat_alert(pd.Series([0.90, 0.85]))                   # too short a history


def test_interval_requirements_from_loaded_calls(wh, tmp_path):
    # 2 days × 10:00–10:29: 4 answered calls of 60 s talk each day; Erlang C on 4 calls per half hour
    lines = ["工单编号,来电时间,渠道,呼叫类型,座席工号,通话结果,振铃时长,通话时长"]
    for day in (1, 2):
        for k in range(4):
            lines.append(f"I{day}{k},2026-10-0{day} 10:{k * 5:02d}:00,电话,呼入,A{k},已接听,5,60")
    (tmp_path / "i.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    load_file(wh, "tickets", tmp_path / "i.csv")
    df = interval_requirements(wh, "2026-10", scope=Scope.all())
    assert df["time"].tolist() == ["10:00"]
    row = df.iloc[0]
    assert row["calls"] == 4 and row["aht_seconds"] == 60 and row["agents_answering"] == 4 and row["days"] == 2
    expected = agents_needed(4, 60, target_level=0.8, target_seconds=15)
    assert row["agents_needed"] == expected.agents == 1
    assert interval_requirements(wh, "2026-10", scope=Scope.of(regions=["华北"])).empty


def test_plan_what_if_shrinkage_headcount_and_weekday():
    """The published Erlang C case as a month's load: Mondays 10:00, 2 days × 100 calls, AHT 180 s
    (36,000 s ÷ 200 answered); target 80 % in 20 s → 14 agents (SL 0.888, ASA 7.84 s).  A Tuesday
    slot with other traffic must not leak into the Monday plan."""
    from metrics.staffing import plan

    load = pd.DataFrame([
        {"weekday": 1, "slot": 20, "offered": 200, "answered": 200, "handle": 36_000, "agents": 26, "days": 2},
        {"weekday": 2, "slot": 20, "offered": 50, "answered": 50, "handle": 5_000, "agents": 4, "days": 1},
    ])
    monday = plan(load, weekday=1, target_level=0.8, target_seconds=20).iloc[0]
    assert monday["time"] == "10:00" and monday["calls"] == 100 and monday["aht_seconds"] == 180
    assert monday["agents_needed"] == 14 and monday["staff_needed"] == 14
    assert monday["service_level"] == pytest.approx(0.888, abs=5e-4)
    assert monday["asa_seconds"] == pytest.approx(7.84, abs=5e-3)
    assert monday["agents_answering"] == 13            # 26 distinct agent-days ÷ 2 days
    # shrinkage 30 %: 14 ÷ 0.7 = 20 staff to schedule; 20 scheduled → 14 on the phones → the same SL
    shrunk = plan(load, weekday=1, target_level=0.8, target_seconds=20, shrinkage=0.3, headcount=20).iloc[0]
    assert shrunk["staff_needed"] == 20
    assert shrunk["headcount_service_level"] == pytest.approx(0.888, abs=5e-4)
    # 19 scheduled → ⌊13.3⌋ = 13 on the phones → SL 0.796 (below target)
    short = plan(load, weekday=1, target_level=0.8, target_seconds=20, shrinkage=0.3, headcount=19).iloc[0]
    assert short["headcount_service_level"] == pytest.approx(0.796, abs=5e-4)
    # 7 on the phones cannot carry 10 erlangs: no service level, ASA unbounded
    over = plan(load, weekday=1, target_level=0.8, target_seconds=20, headcount=7).iloc[0]
    assert over["headcount_service_level"] == 0 and over["headcount_asa_seconds"] == float("inf")
    # what-if AHT 90 s halves the traffic (5 erlangs) → fewer agents than 14
    assert plan(load, weekday=1, aht=90, target_level=0.8, target_seconds=20).iloc[0]["agents_needed"] < 14
    # every day: (200 + 50) calls ÷ 3 days = 83.3 per day at 10:00
    assert plan(load, target_level=0.8, target_seconds=20).iloc[0]["calls"] == pytest.approx(250 / 3)
    assert plan(load, weekday=3).empty
