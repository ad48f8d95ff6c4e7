"""The 绩效考核 page through the router (AppTest) on the appraisal fixture warehouse
(figures worked by hand in test_appraisal.py)."""
import pytest

from test_app import app, fresh_caches  # noqa: F401 - the autouse cache reset
from test_appraisal import load_all
from warehouse import open_warehouse

OCTOBER = {"from": "2026-10", "to": "2026-10"}
PAGE = "pages/appraisal.py"


@pytest.fixture
def adb(tmp_path):
    db = str(tmp_path / "warehouse.duckdb")
    load_all(open_warehouse(db)).dispose()
    return db


def frames(at):
    return [d.value for d in at.dataframe]


def test_ranking_form_and_flags(adb, monkeypatch):
    at = app(adb, monkeypatch, PAGE, **OCTOBER)
    table = frames(at)[0]
    assert list(table["工号"]) == ["P5", "P2", "P3", "P1"]
    assert list(table["名次"]) == [1, 2, 2, 4]
    assert table.set_index("工号").loc["P2", "总分"] == 78.5
    assert table.set_index("工号").loc["P2", "绩效工资（元）"] == 314
    assert "🔴 红线·上报开除、末位·需整改" in list(table["标记"])
    assert {m.label for m in at.metric} >= {"考核人数", "平均得分", "绩效工资合计"}
    assert any("未发布" in i.value for i in at.info)
    # the paper form of the first agent in the ranking
    form = next(f for f in frames(at) if "标准" in f.columns)
    assert "业务考核（表A）" in set(form["部分"])


def test_aftersales_division_and_publish(adb, monkeypatch):
    at = app(adb, monkeypatch, PAGE, **OCTOBER)
    at.segmented_control(key="ap.division").set_value("aftersales").run()
    assert not at.exception
    table = frames(at)[0].set_index("工号")
    assert table.loc["S1", "综合得分"] == pytest.approx(127.1)
    at.button(key="ap.publish").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("已发布（冻结）" in s.value for s in at.success)
    plans = next(f for f in frames(at) if "due_date" in f.columns)
    assert set(plans["agent_id"]) == {"S2", "S3"}


def test_inputs_edited_in_the_app_are_audited(adb, monkeypatch):
    at = app(adb, monkeypatch, PAGE, **OCTOBER)
    # AppTest cannot type into st.data_editor: the editor's save path (save_edits) is driven directly
    from appraisal.inputs import current, save_edits

    wh = open_warehouse(adb)
    edited = current(wh, "2026-10", "presales")
    edited.loc[edited["agent_id"] == "P5", "exam_score"] = 70
    save_edits(wh, "2026-10", edited, by="主管")
    wh.dispose()
    at.run()
    table = frames(at)[0].set_index("工号")
    assert table.loc["P5", "总分"] == 97.0  # 60 + 30 + 7: the change shows on the next rerun
    assert any("exam_score" in list(f.get("column_name", [])) for f in frames(at))


def test_scoped_viewer_keeps_division_ranks(adb, monkeypatch):
    monkeypatch.setenv("CSDASH_SCOPE_TEAMS", "售前二组")
    at = app(adb, monkeypatch, PAGE, **OCTOBER)
    table = frames(at)[0]
    assert list(table["工号"]) == ["P5", "P3"] and list(table["名次"]) == [1, 2]


def test_english(adb, monkeypatch):
    at = app(adb, monkeypatch, PAGE, lang="en", **OCTOBER)
    assert at.title[0].value == "Appraisal"
    assert "Pay (¥)" in frames(at)[0].columns
