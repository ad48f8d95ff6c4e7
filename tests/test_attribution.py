"""Change attribution (issue 18, point 1): rate and mix effects per group add up exactly to the
change, on hand-worked cases and on the metric fixtures through the real builder, both engines."""
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from conftest import ROOT
from metrics import MetricError, Scope, compute
from metrics.attribution import TOTAL, decompose, explain
from test_metrics import load_metric_fixtures
from test_rollups import rwh  # noqa: F401 - the metric fixtures' warehouse, both engines


def frame(**groups) -> pd.DataFrame:
    return pd.DataFrame([{"group": g, "numerator": n, "denominator": d} for g, (n, d) in groups.items()])


def rows(out: pd.DataFrame) -> dict:
    return out.set_index("group").to_dict("index")


def test_a_mix_shift_with_no_rate_change_is_all_mix():
    # A answers 90 %, B 50 %, both months; A's share of the calls goes 50 % → 80 %.
    # R0 = (45 + 25) / 100 = 0.70; R1 = (72 + 10) / 100 = 0.82; R̄ = 0.76
    # A: mix (0.9 − 0.76) × (0.8 − 0.5) = 0.042;  B: (0.5 − 0.76) × (0.2 − 0.5) = 0.078;  Σ = 0.12
    out = rows(decompose(frame(A=(45, 50), B=(25, 50)), frame(A=(72, 80), B=(10, 20))))
    assert out["A"]["rate_effect"] == pytest.approx(0) and out["B"]["rate_effect"] == pytest.approx(0)
    assert out["A"]["mix_effect"] == pytest.approx(0.042) and out["B"]["mix_effect"] == pytest.approx(0.078)
    assert out[TOTAL]["contribution"] == pytest.approx(0.12) and out[TOTAL]["value_after"] == pytest.approx(0.82)


def test_a_rate_change_with_no_mix_shift_is_all_rate():
    # A 90 % → 80 % on 50 calls each month, B 50 % unchanged: R 0.70 → 0.65;
    # A's rate effect = s̄ × Δr = 0.5 × (−0.1) = −0.05, no mix anywhere
    out = rows(decompose(frame(A=(45, 50), B=(25, 50)), frame(A=(40, 50), B=(25, 50))))
    assert out["A"]["rate_effect"] == pytest.approx(-0.05) and out["A"]["mix_effect"] == pytest.approx(0)
    assert out["B"]["contribution"] == pytest.approx(0) and out[TOTAL]["contribution"] == pytest.approx(-0.05)


def test_a_new_team_contributes_mix_only():
    # A 80 % on 100 calls both months; C appears with 40 % on 100: R 0.80 → 0.60, R̄ = 0.70
    # C: rate taken as 0.4 in both → rate 0, mix (0.4 − 0.7) × 0.5 = −0.15
    # A: share 1 → 0.5: mix (0.8 − 0.7) × (−0.5) = −0.05;  Σ = −0.20
    out = rows(decompose(frame(A=(80, 100)), frame(A=(80, 100), C=(40, 100))))
    assert out["C"]["rate_effect"] == 0 and out["C"]["mix_effect"] == pytest.approx(-0.15)
    assert np.isnan(out["C"]["value_before"]) and out["C"]["n_before"] == 0
    assert out["A"]["mix_effect"] == pytest.approx(-0.05) and out[TOTAL]["contribution"] == pytest.approx(-0.2)


def test_the_parts_always_add_up_to_the_change():
    rng = np.random.default_rng(18)
    for _ in range(200):
        def side():
            names = [g for g in "ABCDEFG" if rng.random() < 0.7] or ["A"]
            dens = rng.integers(1, 500, len(names)).astype(float)
            return pd.DataFrame({"group": names, "numerator": dens * rng.random(len(names)), "denominator": dens})
        before, after = side(), side()
        out = decompose(before, after)
        total = out[out["group"] == TOTAL].iloc[0]
        change = after["numerator"].sum() / after["denominator"].sum() - before["numerator"].sum() / before["denominator"].sum()
        groups = out[out["group"] != TOTAL]
        assert abs(groups["contribution"].sum() - change) < 1e-9
        assert abs(groups["rate_effect"].sum() + groups["mix_effect"].sum() - change) < 1e-9
        assert abs(total["contribution"] - change) < 1e-12


def test_no_base_in_a_period_is_said():
    with pytest.raises(MetricError, match="没有任何分母"):
        decompose(frame(A=(0, 0)), frame(A=(1, 2)))


def test_answer_rate_by_team_on_the_fixtures(rwh):
    """September: 售后一组 2 / 2 answered.  October: 售后一组 4 / 6, 售后二组 2 / 2, 外包组 1 / 1 (test_metrics).
    R 1.0 → 7/9; R̄ = 0.8889.
    售后一组: rate (1 + 2/3)/2 × (2/3 − 1) = −0.27778, mix (0.8333 − 0.8889) × (6/9 − 1) = +0.018519
    售后二组 (new): mix (1 − 0.8889) × 2/9 = +0.024691;  外包组 (new): (1 − 0.8889) × 1/9 = +0.012346
    Σ = −0.222222 = 7/9 − 1; teams with no offered call in either month are not listed."""
    out = explain(rwh, "answer_rate", month="2026-10", by="team", scope=Scope.all())
    got = rows(out)
    assert list(out["group"]) == ["售后一组", "售后二组", "外包组", TOTAL]   # largest move first
    assert got["售后一组"]["rate_effect"] == pytest.approx(-5 / 18) and got["售后一组"]["mix_effect"] == pytest.approx(1 / 54)
    assert got["售后二组"]["mix_effect"] == pytest.approx(2 / 81) and got["外包组"]["mix_effect"] == pytest.approx(1 / 81)
    assert (got["售后一组"]["n_before"], got["售后一组"]["n_after"]) == (2, 6)
    report = compute(rwh, ["answer_rate"], months=["2026-09", "2026-10"], dims=("month",), scope=Scope.all())
    assert got[TOTAL]["contribution"] == pytest.approx(report["value"].iloc[1] - report["value"].iloc[0], abs=1e-12)
    # a viewer's scope: only their teams' calls
    mine = rows(explain(rwh, "answer_rate", month="2026-10", against="2026-09", by="team",
                        scope=Scope.of(teams=["售后一组"])))
    assert set(mine) == {"售后一组", TOTAL} and mine[TOTAL]["contribution"] == pytest.approx(2 / 3 - 1)


def test_kpis_that_cannot_be_split_are_refused(rwh):
    with pytest.raises(MetricError, match="不是比率"):
        explain(rwh, "contacts", month="2026-10", by="team", scope=Scope.all())
    with pytest.raises(MetricError, match="不重复客户"):
        explain(rwh, "repeat_purchase_rate", month="2026-10", by="team", scope=Scope.all())
    with pytest.raises(MetricError, match="本月相同"):
        explain(rwh, "answer_rate", month="2026-10", against="2026-10", by="team", scope=Scope.all())


def test_the_command_line_prints_groups_and_the_total(tmp_path):
    from warehouse import open_warehouse

    db = str(tmp_path / "w.duckdb")
    wh = open_warehouse(db)
    load_metric_fixtures(wh)
    wh.dispose()
    out = subprocess.run([sys.executable, "-m", "metrics", "--db", db, "explain", "--kpi", "answer_rate",
                          "--month", "2026-10", "--by", "team", "--format", "csv"],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout.splitlines()
    assert out[0] == "group,value_before,value_after,n_before,n_after,rate_effect,mix_effect,contribution"
    assert out[-1].startswith("TOTAL,1,0.777778,2,9,-0.277778,0.055556,-0.222222")
    bad = subprocess.run([sys.executable, "-m", "metrics", "--db", db, "explain", "--kpi", "contacts",
                          "--month", "2026-10", "--by", "team"], cwd=ROOT, capture_output=True, text=True)
    assert bad.returncode != 0 and "不是比率" in bad.stderr and "Traceback" not in bad.stderr


def test_the_sentence_names_the_region_and_store_that_moved_it(rwh):
    """Answer rate 100 % → 77.8 % (−22.2 pp): 华东 moved it −25.9 pp (rate −27.8 + mix +1.9), all of it
    上海店; the regions' mix +5.6 pp (华南 and 华北 appear with 100 %)."""
    from metrics.attribution import explain_all, sentence

    regions = explain_all(rwh, ["answer_rate", "contacts", "repeat_purchase_rate"], month="2026-10", by=("region",),
                          scope=Scope.all())
    assert set(regions) == {"answer_rate"}   # a count and a distinct-customer share are left out
    stores = explain_all(rwh, ["answer_rate"], month="2026-10", by=("region", "store"), scope=Scope.all())
    assert sentence("answer_rate", regions["answer_rate"], stores["answer_rate"]) == \
        "接通率 -22.2pp：华东 -25.9pp（上海店 -25.9pp），结构变化 +5.6pp"
    assert sentence("answer_rate", regions["answer_rate"], stores["answer_rate"], "en") == \
        "Answer rate -22.2pp: 华东 -25.9pp (上海店 -25.9pp), mix +5.6pp"


def test_the_overview_card_says_why_it_moved(tmp_path, monkeypatch):
    from test_app import app
    from warehouse import open_warehouse

    db = str(tmp_path / "w.duckdb")
    wh = open_warehouse(db)
    load_metric_fixtures(wh)
    wh.dispose()
    at = app(db, monkeypatch, "pages/overview.py", **{"from": "2026-10", "to": "2026-10"})
    sentence = "变化归因（对比上月）：接通率 -22.2pp：华东 -25.9pp（上海店 -25.9pp），结构变化 +5.6pp"
    helps = {m.label: m.proto.help for m in at.metric}
    assert "变化归因" not in helps["接通率"]          # off by default: the cards stay at their speed
    at.toggle(key="overview.explain").set_value(True).run()
    assert not at.exception
    helps = {m.label: m.proto.help for m in at.metric}
    assert sentence in helps["接通率"].replace("\\", "")


def test_the_subject_page_draws_the_waterfall_and_its_table(tmp_path, monkeypatch):
    """话务 page, 接通率 by region, October against September (the figures of the sentence above):
    the table's contributions and the waterfall's steps add up to the total change, −22.2 pp."""
    from test_app import app
    from warehouse import open_warehouse

    db = str(tmp_path / "w.duckdb")
    wh = open_warehouse(db)
    load_metric_fixtures(wh)
    wh.dispose()
    at = app(db, monkeypatch, "pages/calls.py", **{"from": "2026-10", "to": "2026-10"})
    assert not at.exception
    at.selectbox(key="calls.explain_kpi").set_value("answer_rate").run()
    at.selectbox(key="calls.explain_by").set_value("region").run()
    assert not at.exception
    table = next(d.value for d in at.dataframe if "贡献" in d.value.columns)
    rows = dict(zip(table["区域"], table["贡献"]))
    assert rows["合计"] == "-22.2pp" and rows["华东"] == "-25.9pp"
    assert set(table.columns) >= {"2026年9月", "2026年10月", "比率效应", "结构效应"}
    chart = next(c for c in at.get("plotly_chart") if "explain_chart" in c.proto.id or "Waterfall" in c.proto.spec
                 or "waterfall" in c.proto.spec)
    import json
    trace = json.loads(chart.proto.spec)["data"][0]
    assert trace["type"] == "waterfall" and trace["measure"][0] == "absolute" and trace["measure"][-1] == "total"
    steps = trace["y"][1:-1]
    assert abs(trace["y"][0] + sum(steps) - trace["y"][-1]) < 1e-9     # 100 % + Σ steps = 77.8 %
    assert round(trace["y"][-1] - trace["y"][0], 1) == -22.2
