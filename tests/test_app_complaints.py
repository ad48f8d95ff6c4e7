"""The 投诉闭环 page through the router (AppTest): the month's cards, the register with its stages and
overdue flags, the filters, and moving a complaint on from the form (audited)."""
from __future__ import annotations

from conftest import FIXTURES
from loaders import load_file
from test_app import OCTOBER, app, cards


def complaint_db(tmp_path) -> str:
    from warehouse import open_warehouse

    db = str(tmp_path / "complaints.duckdb")
    wh = open_warehouse(db)
    for kind in ("roster", "tickets", "callbacks", "sales", "complaints"):
        assert load_file(wh, kind, FIXTURES / "metrics" / f"{kind}.csv").rows_rejected == 0
    wh.dispose()
    return db


def register(at):
    return next(d.value for d in at.dataframe if "投诉编号" in getattr(d.value, "columns", []))


def test_the_page_shows_the_loop_and_moves_a_complaint_on(tmp_path, monkeypatch):
    at = app(complaint_db(tmp_path), monkeypatch, "pages/complaints.py", **OCTOBER)
    assert not at.error
    got = cards(at)
    assert got["投诉量"][0] == "5" and got["投诉成立率"][0] == "75.0%" and got["投诉登记量"][0] == "7"
    table = register(at)
    assert len(table) == 7
    rows = table.set_index("投诉编号")
    assert rows.loc["TS04", "环节"] == "受理 → 判定" and rows.loc["TS01", "环节"] == "回访 → 已闭环"
    assert rows.loc["TS01", "联系电话"] == "138****5678"
    # today is after every October deadline but TS07's (11-03) — TS02, TS04, TS05, TS06 are flagged
    assert {i for i, v in rows["已超时"].items() if v} >= {"TS02", "TS04", "TS05", "TS06"}
    at.multiselect(key="complaints.class").set_value(["opinion", "suggestion"]).run()
    assert set(register(at)["投诉编号"]) == {"TS05", "TS06"}
    at.multiselect(key="complaints.class").set_value([]).run()
    # judge TS04 from the form: valid, 装维部
    at.selectbox(key="complaints.pick").set_value("TS04").run()
    at.radio(key="complaints.f.valid").set_value(True)
    at.text_input(key="complaints.f.department").input("装维部")
    at.button(key="complaints.f.save").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    rows = register(at).set_index("投诉编号")
    assert rows.loc["TS04", "环节"] == "判定 → 方案" and rows.loc["TS04", "责任部门"] == "装维部"
    assert cards(at)["投诉成立率"][0] == "80.0%"     # 4 of 5 judged
    history = next(d.value for d in at.dataframe if "原值" in getattr(d.value, "columns", []))
    assert set(history["字段"]) == {"valid", "responsible_department", "verified"}


def test_an_empty_department_is_refused_with_a_message(tmp_path, monkeypatch):
    at = app(complaint_db(tmp_path), monkeypatch, "pages/complaints.py", **OCTOBER)
    at.selectbox(key="complaints.pick").set_value("TS04").run()
    at.radio(key="complaints.f.valid").set_value(True)
    at.button(key="complaints.f.save").click().run()
    assert not at.exception
    assert any("责任部门" in e.value for e in at.error)
    assert register(at).set_index("投诉编号").loc["TS04", "环节"] == "受理 → 判定"


def test_the_weekly_report_and_a_notice_are_made_on_the_page(tmp_path, monkeypatch):
    at = app(complaint_db(tmp_path), monkeypatch, "pages/complaints.py", **OCTOBER)
    at.selectbox(key="creport.week").set_value("2026-W44").run()
    at.button(key="creport.make_weekly").click().run()
    # the label is shown as text (md-escaped: names in it come from the data)
    assert not at.exception and any("投诉周报" in c.value and "W44" in c.value for c in at.caption)
    at.selectbox(key="creport.value").set_value("装维部").run()
    at.button(key="creport.make_notice").click().run()
    assert not at.exception and any("投诉月度通报" in c.value and "装维部" in c.value for c in at.caption)


def test_the_page_in_english_shows_no_chinese_outside_data(tmp_path, monkeypatch):
    from english import data_words, leaks
    from test_english import shown_texts
    import texts

    db = complaint_db(tmp_path)
    at = app(db, monkeypatch, "pages/complaints.py", lang="en", **OCTOBER)
    pick = at.selectbox(key="complaints.pick")   # TS01, closed (by position: the labels are English here)
    pick.select_index(next(i for i, o in enumerate(pick.options) if o.startswith("TS01"))).run()
    assert leaks(shown_texts(at), data_words(db) | set(texts.LANGS.values())) == []
    at = app(db, monkeypatch, "pages/satisfaction.py", lang="en", **OCTOBER)
    assert leaks(shown_texts(at), data_words(db) | set(texts.LANGS.values())) == []
