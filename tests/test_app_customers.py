"""The 客户 page through the router (AppTest): the month's customer KPIs, the days and bins said with
them, RFM segments, 80/20, the lists with masked phones, a campaign's reactivation — in a scope and in
English."""
from __future__ import annotations

from test_app import OCTOBER, app, cards
from test_app_stores import store_db


def test_the_customer_page(db, monkeypatch):
    # on DuckDB and on PostgreSQL: the RFM cells, the 80/20 curve, the migration and the lists are the
    # page's own SQL
    db = store_db(db)
    at = app(db, monkeypatch, "pages/customers.py", **OCTOBER)
    assert not at.exception and not at.error
    got = cards(at)
    # October (tests/test_customers.py): September's buyers K1 K2 came back; K1 returned within 30 days
    assert got["回头客率"][0] == "100.0%" and got["新客转老客率"][0] == "50.0%" and got["购买客户数"][0] == "4"
    assert any("休眠 90 天" in c.value and "30,60,90,180" in c.value for c in at.caption)
    # 80/20: K4's 300 of 670
    assert any("44.8%" in c.value for c in at.caption)
    segments = next(d.value for d in at.dataframe if "客户分层" in d.value.columns)
    assert sum(int(v.replace(",", "")) for v in segments["客户数"]) == 4
    # the lists are made on demand
    assert not any("近12个月销售额" in d.value.columns for d in at.dataframe)
    at.toggle(key="customers.show_lists").set_value(True).run()
    assert not at.exception
    top = next(d.value for d in at.dataframe if "近12个月销售额" in d.value.columns and len(d.value) == 4)
    assert list(top["客户编号"])[:2] == ["K4", "K2"]
    assert list(top["近12个月销售额"])[0] == "¥300.00"   # money as money: ¥, and 万 when large
    assert any(s.value.startswith("活动唤醒效果") for s in at.subheader)


def test_the_customer_page_in_a_scope_and_in_english(tmp_path, monkeypatch):
    db = store_db(str(tmp_path / "stores.duckdb"))
    monkeypatch.setenv("CSDASH_SCOPE_REGIONS", "华南")
    at = app(db, monkeypatch, "pages/customers.py", **OCTOBER)
    assert not at.exception
    assert cards(at)["购买客户数"][0] == "1"     # K3 only
    monkeypatch.delenv("CSDASH_SCOPE_REGIONS")
    en = app(db, monkeypatch, "pages/customers.py", lang="en", **OCTOBER)
    assert not en.exception and not en.error
    assert "Returning-customer rate" in cards(en)
