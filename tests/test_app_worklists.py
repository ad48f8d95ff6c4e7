"""回访任务 on 回访满意度 through the router (AppTest): both worklists with their coverage line and
statuses, the installation day picker, the courtesy check; a warehouse without a key-customer list
says so instead of an empty table."""
from __future__ import annotations

from conftest import FIXTURES
from loaders import load_file
from test_app import app


def db_with(tmp_path, key_customers: bool = True) -> str:
    from warehouse import open_warehouse

    db = str(tmp_path / "w.duckdb")
    wh = open_warehouse(db)
    load_file(wh, "roster", FIXTURES / "metrics" / "roster.csv")
    for kind in ("tickets", "callbacks", "key_customers") if key_customers else ("tickets", "callbacks"):
        assert load_file(wh, kind, FIXTURES / "worklists" / f"{kind}.csv").rows_rejected == 0
    wh.dispose()
    return db


def frames(at):
    return [d.value for d in at.dataframe]


def test_worklists_and_courtesy_on_the_satisfaction_page(tmp_path, monkeypatch):
    at = app(db_with(tmp_path), monkeypatch, "pages/satisfaction.py", **{"from": "2026-10", "to": "2026-10"})
    assert not at.error
    # the lists are made on demand
    assert not any("回访截止" in f.columns for f in frames(at))
    at.toggle(key="worklist.show").set_value(True).run()
    key = next(f for f in frames(at) if "回访截止" in f.columns and "W01" in set(f["工单编号"]))
    assert dict(zip(key["工单编号"], key["状态"])) == {"W02": "超期完成", "W01": "按时完成", "W03": "已超期"}
    captions = [c.value for c in at.caption]
    assert any("按时回访 1/3" in c for c in captions)   # today is after 11-03: W03 is overdue too
    # the installations of one day: yesterday when it has any, else the month's newest (10-31)
    assert str(at.selectbox(key="worklist.day").value) == "2026-10-31"
    inst = next(f for f in frames(at) if "回访截止" in f.columns and "I01" in set(f["工单编号"]))
    assert set(inst["工单编号"]) == {"I01", "I03"}
    at.toggle(key="worklist.only_day").set_value(False).run()
    inst = next(f for f in frames(at) if "回访截止" in f.columns and "I01" in set(f["工单编号"]))
    assert set(inst["工单编号"]) == {"I01", "I02", "I03", "I04"}
    assert any("4 次回访落在客户休息时间" in c.value and "9 次" in c.value for c in at.caption)


def test_without_a_key_customer_list_the_page_says_so(tmp_path, monkeypatch):
    at = app(db_with(tmp_path, key_customers=False), monkeypatch, "pages/satisfaction.py",
             **{"from": "2026-10", "to": "2026-10"})
    at.toggle(key="worklist.show").set_value(True).run()
    assert not at.error and any("尚未导入重点客户名单" in i.value for i in at.info)
