"""The data-quality panel (issue 19, point 6): each check counted by hand on the metric fixtures, per
month and per load, and the rows behind a count — on DuckDB and PostgreSQL; the panel on 数据导入."""
from __future__ import annotations

from datetime import date

from conftest import FIXTURES
from loaders import load_file
from loaders.quality import CHECKS, rows, summary
import texts

M = FIXTURES / "metrics"


def load(wh) -> dict[str, int]:
    return {kind: load_file(wh, kind, M / f"{kind}.csv").load_id
            for kind in ("roster", "tickets", "callbacks", "sales", "complaints")}


def counts(df, by):
    return {(r.check, str(getattr(r, by))[:7]): r.n for r in df.itertuples()}


def test_checks_by_month_and_by_load_by_hand(wh):
    ids = load(wh)
    got = counts(summary(wh, "month"), "month")
    # callbacks reached without a grade: B06 (October; reached, 未评价)
    assert got[("callback_no_grade", "2026-10")] == 1
    # a valid complaint without its department: none in the fixture (TS03 is 不成立)
    assert not any(k[0] == "complaint_no_department" for k in got)
    # agents not in the roster: X9's tickets
    x9 = rows(wh, "agent_not_in_roster")
    assert set(x9["agent_id"]) == {"X9"} and sum(n for (c, _), n in got.items() if c == "agent_not_in_roster") == len(x9)
    by_load = counts(summary(wh, "load"), "load")
    assert by_load[("callback_no_grade", str(ids["callbacks"]))] == 1
    assert rows(wh, "callback_no_grade", month=date(2026, 10, 1))["callback_id"].tolist() == ["B06"]
    assert rows(wh, "callback_no_grade", load_id=ids["tickets"]).empty
    for c in CHECKS:   # every check has its words in both languages
        for lang in texts.LANGS:
            assert texts.text(f"dq.{c.key}", lang) and texts.text(f"dq.{c.key}.help", lang)


def test_the_panel_on_the_import_page(tmp_path, monkeypatch):
    from test_app import app
    from warehouse import open_warehouse

    db = str(tmp_path / "q.duckdb")
    wh = open_warehouse(db)
    load(wh)
    wh.dispose()
    at = app(db, monkeypatch, "pages/imports.py")
    assert not at.exception
    grid = next(d.value for d in at.dataframe if "2026-10" in getattr(d.value, "columns", []))
    assert grid.loc["回访成功但无满意度", "2026-10"] == 1
    at.selectbox(key="dq.check").set_value("callback_no_grade").run()
    at.selectbox(key="dq.group").set_value(date(2026, 10, 1)).run()
    shown = next(d.value for d in at.dataframe if "callback_id" in getattr(d.value, "columns", []))
    assert shown["callback_id"].tolist() == ["B06"]
    at.segmented_control(key="dq.by").set_value("load").run()
    assert not at.exception and any(str(c).startswith("#") for d in at.dataframe for c in getattr(d.value, "columns", []))
