"""Control limits and flags (metrics/control.py) against hand computation: p-charts with this month's
n, c-charts, the run rule, the small-n guard and the short-history guard; then through the real
loaders and builder on both engines."""
from datetime import date

import math

import pandas as pd
import pytest

from loaders import load_file
from metrics import Scope
from metrics.control import chart_of, control, flags, judge
from metrics.months import add_months

OCT = date(2026, 10, 1)
BASE = [add_months(OCT, -k) for k in range(12, 0, -1)]     # 2025-10 … 2026-09


def series(rows):
    """[(month, numerator, denominator)] → the frame ``judge`` reads (value = num ÷ den)."""
    return pd.DataFrame([{"month": m, "numerator": n, "denominator": d, "value": n / d if d else float("nan")}
                         for m, n, d in rows])


def counts(rows):
    return pd.DataFrame([{"month": m, "numerator": float("nan"), "denominator": float("nan"), "value": v}
                         for m, v in rows])


def this_month(frame):
    return frame[frame["month"] == OCT].iloc[0]


def test_which_kpis_have_limits():
    assert chart_of("answer_rate") == "p" and chart_of("offered_calls") == "c"
    assert chart_of("asa_seconds") is None and chart_of("revenue") is None


def test_p_chart_uses_the_baseline_ratio_of_sums_and_this_months_n():
    # baseline 12 × 80/100 → p̄ = 960/1200 = 0.8; this month n = 100: σ = √(0.8·0.2/100) = 0.04
    # → limits 0.8 ± 0.12 = 0.68 … 0.92; 65/100 = 0.65 < 0.68 → below
    row = this_month(judge(series([(m, 80, 100) for m in BASE] + [(OCT, 65, 100)]), "p", 30))
    assert row["centre"] == pytest.approx(0.8) and row["n"] == 100 and row["baseline"] == 12
    assert row["lcl"] == pytest.approx(0.68) and row["ucl"] == pytest.approx(0.92)
    assert row["flag"] == "below"
    # 70/100 = 0.70 ≥ 0.68, and the 7 months before are at the centre (not on one side) → no flag
    assert pd.isna(this_month(judge(series([(m, 80, 100) for m in BASE] + [(OCT, 70, 100)]), "p", 30))["flag"])
    # 93/100 > 0.92 → above
    assert this_month(judge(series([(m, 80, 100) for m in BASE] + [(OCT, 93, 100)]), "p", 30))["flag"] == "above"


def test_p_chart_limits_widen_with_a_smaller_n_and_small_samples_are_never_flagged():
    # n = 400: σ = √(0.16/400) = 0.02 → 0.74 … 0.86; 295/400 = 0.7375 < 0.74 → below
    row = this_month(judge(series([(m, 80, 100) for m in BASE] + [(OCT, 295, 400)]), "p", 30))
    assert row["lcl"] == pytest.approx(0.74) and row["flag"] == "below"
    # n = 20: σ = √(0.16/20) = 0.0894 → lcl = 0.8 − 0.268 = 0.532; 10/20 = 0.5 is below it, but
    # n = 20 < 30 (the minimum sample) → shown with its limits, not flagged
    row = this_month(judge(series([(m, 80, 100) for m in BASE] + [(OCT, 10, 20)]), "p", 30))
    assert row["lcl"] == pytest.approx(0.8 - 3 * math.sqrt(0.16 / 20)) and pd.isna(row["flag"])
    assert this_month(judge(series([(m, 80, 100) for m in BASE] + [(OCT, 10, 20)]), "p", 20))["flag"] == "below"


def test_the_run_rule_flags_eight_months_on_one_side():
    # baseline: 5 months at 90/100, then 7 at 75/100 → p̄ = (450 + 525) / 1200 = 0.8125
    # this month 76/100: σ = √(0.8125·0.1875/100) = 0.0390 → 0.6954 … 0.9296, inside;
    # but it and the 7 months before (0.75 × 7) are all below 0.8125 → run_below
    rows = [(m, 90, 100) for m in BASE[:5]] + [(m, 75, 100) for m in BASE[5:]] + [(OCT, 76, 100)]
    row = this_month(judge(series(rows), "p", 30))
    assert row["centre"] == pytest.approx(0.8125) and row["flag"] == "run_below"
    # a gap in the 8 months (no data in 2026-05) breaks the run
    gap = [r for r in rows if r[0] != date(2026, 5, 1)]
    assert pd.isna(this_month(judge(series(gap), "p", 30))["flag"])


def test_c_chart_is_poisson_and_needs_six_months_of_history():
    # c̄ = 100 → 100 ± 3·√100 = 70 … 130
    row = this_month(judge(counts([(m, 100) for m in BASE] + [(OCT, 131)]), "c", 30))
    assert (row["centre"], row["lcl"], row["ucl"], row["flag"]) == (100, 70, 130, "above")
    assert pd.isna(this_month(judge(counts([(m, 100) for m in BASE] + [(OCT, 129)]), "c", 30))["flag"])
    # c̄ = 20 < 30: 20 ± 13.4 → 50 is far above, but the expected count is a small sample → not flagged
    assert pd.isna(this_month(judge(counts([(m, 20) for m in BASE] + [(OCT, 50)]), "c", 30))["flag"])
    # five months of history (< 6): no limits at all
    row = this_month(judge(counts([(m, 100) for m in BASE[-5:]] + [(OCT, 500)]), "c", 30))
    assert math.isnan(row["centre"]) and pd.isna(row["flag"]) and row["baseline"] == 5


HEADER = "工单编号,来电时间,渠道,呼叫类型,业务类型,问题分类,座席工号,班组,区域,门店,通话结果,排队时长,振铃时长,通话时长,工单状态"


def thirteen_months(path, answered_now: int):
    """100 inbound calls a month for 售后一组 (华东, 上海店) from 2025-10 to 2026-10: 80 answered each
    month of the baseline, ``answered_now`` in 2026-10; the others ring 30 s (6 rings) unanswered."""
    lines = [HEADER]
    for m in [*BASE, OCT]:
        answered = answered_now if m == OCT else 80
        for i in range(100):
            ok = i < answered
            lines.append(f"T{m:%Y%m}{i:03d},{m:%Y-%m}-{1 + i % 28:02d} 09:{i % 60:02d}:00,电话,呼入,售后,售后/安装,A1,"
                         f"售后一组,华东,上海店,{'已接听' if ok else '座席未接听'},5,{8 if ok else 30},"
                         f"{100 if ok else 0},已解决")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_flags_through_the_builder_on_both_engines(wh, tmp_path):
    """answer_rate 2026-10: 60/100 against p̄ = 960/1200 = 0.8, σ = 0.04, lcl = 0.68 → below, for the
    whole scope and for the team, region and store (all the same calls); offered calls 100 against
    c̄ = 100 (70 … 130) → no flag."""
    assert load_file(wh, "tickets", thirteen_months(tmp_path / "t.csv", 60)).rows_rejected == 0
    got = control(wh, ["answer_rate", "offered_calls", "asa_seconds"], months=["2026-10"], dims=["team"],
                  scope=Scope.all())
    rows = got.set_index("kpi")
    assert set(rows.index) == {"answer_rate", "offered_calls"}        # ASA has no control limits
    assert rows.at["answer_rate", "team"] == "售后一组"
    assert rows.at["answer_rate", "centre"] == pytest.approx(0.8) and rows.at["answer_rate", "lcl"] == pytest.approx(0.68)
    assert rows.at["answer_rate", "value"] == pytest.approx(0.6) and rows.at["answer_rate", "flag"] == "below"
    assert rows.at["offered_calls", "centre"] == pytest.approx(100) and pd.isna(rows.at["offered_calls", "flag"])
    found = flags(wh, ["answer_rate", "offered_calls"], month="2026-10", scope=Scope.all())
    assert sorted(zip(found["level"], found["group"].fillna(""))) == [
        ("", ""), ("region", "华东"), ("store", "上海店"), ("team", "售后一组")]
    assert set(found["kpi"]) == {"answer_rate"} and set(found["flag"]) == {"below"}
    # the whole scope and the region are summed up from the stores' figures: the same as asked directly
    whole = control(wh, ["answer_rate"], months=["2026-10"], scope=Scope.all()).iloc[0]
    derived = found[found["level"] == ""].iloc[0]
    assert (derived["value"], derived["centre"], derived["lcl"], derived["n"]) == pytest.approx(
        (whole["value"], whole["centre"], whole["lcl"], whole["n"]))
    # another region's viewer sees no flag (and no figures) of 华东
    assert flags(wh, ["answer_rate"], month="2026-10", scope=Scope.of(regions=["华南"])).empty
    # 76/100 is inside 0.68 … 0.92 and only 1 month below the centre → nothing
    assert load_file(wh, "tickets", thirteen_months(tmp_path / "t2.csv", 76)).rows_rejected == 0
    assert flags(wh, ["answer_rate", "offered_calls"], month="2026-10", scope=Scope.all()).empty


def test_the_overview_lists_the_flags_and_the_subject_page_draws_the_chart(tmp_path, monkeypatch):
    """Thirteen months, 60/100 answered in 2026-10 (below 0.68): the overview's list names 接通率
    for the whole scope, the team, the region and the store; 话务's control chart for the team
    marks October (its flag trace) and lists the team."""
    import json

    from test_app import app
    from warehouse import open_warehouse

    db = str(tmp_path / "w.duckdb")
    wh = open_warehouse(db)
    assert load_file(wh, "tickets", thirteen_months(tmp_path / "t.csv", 60)).rows_rejected == 0
    wh.dispose()
    at = app(db, monkeypatch, "pages/overview.py", **{"from": "2026-10", "to": "2026-10"})
    table = next(d.value for d in at.dataframe if "异常" in d.value.columns)
    answer = table[table["指标"] == "接通率"]
    assert sorted(zip(answer["层级"], answer["对象"])) == [
        ("区域", "华东"), ("整体（当前范围）", ""), ("班组", "售后一组"), ("门店", "上海店")]
    assert set(answer["异常"]) == {"低于控制下限"} and set(answer["本月值"]) == {"60.0%"}
    assert set(answer["控制限"]) == {"68.0% – 92.0%"}
    at = app(db, monkeypatch, "pages/calls.py", **{"from": "2026-10", "to": "2026-10"})
    at.selectbox(key="calls.control_kpi").set_value("answer_rate").run()
    at.selectbox(key="calls.control_level").set_value("team").run()
    assert not at.exception
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    traces = next(sp["data"] for sp in specs if "控制限" in sp["layout"]["title"]["text"])
    flagged = [tr for tr in traces if tr.get("name") == "异常点"]
    assert flagged and flagged[0]["x"] == ["2026年10月"] and flagged[0]["text"] == ["低于控制下限"]
    listed = next(d.value for d in at.dataframe if "异常" in d.value.columns)
    assert list(listed["班组"]) == ["售后一组"]


def test_the_overview_narrows_the_scopes_flags_to_the_sidebar():
    from metrics import Filters
    from ui.widgets import narrowed_flags

    found = pd.DataFrame({"level": ["", "region", "region", "store", "store", "team"],
                          "group": [None, "华东", "华南", "上海店", "广州店", "售后一组"],
                          "region": [None, "华东", "华南", "华东", "华南", None]})

    def kept(**chosen):
        return list(narrowed_flags(found, Filters.of(**chosen))["group"].fillna("整体"))

    assert kept() == ["整体", "华东", "华南", "上海店", "广州店", "售后一组"]
    assert kept(region=["华东"]) == ["华东", "上海店"]                 # the region and its stores
    assert kept(store=["广州店"]) == ["广州店"]
    assert kept(team=["售后一组"]) == ["售后一组"]
