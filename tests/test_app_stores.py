"""The 门店 page through the router (AppTest): the scorecard against the store targets export, peers,
audits, the league table in RAG, drill-through rows, promotion uplift — and the page in a viewer's scope
and in English."""
from __future__ import annotations

import json

from conftest import FIXTURES
from loaders import load_file
from test_app import OCTOBER, app, cards, fixture_db  # noqa: F401 (a fixture)

STORE_KINDS = ("stores", "store_targets", "store_audits", "inventory_snapshots", "receivables")


def store_db(db: str) -> str:
    """The metric fixtures and the store exports loaded into ``db`` (a DuckDB path or a PostgreSQL URL)."""
    from warehouse import open_warehouse

    wh = open_warehouse(db)
    for kind in ("roster", "tickets", "callbacks", "sales", "complaints", *STORE_KINDS):
        assert load_file(wh, kind, FIXTURES / "metrics" / f"{kind}.csv").rows_rejected == 0, kind
    assert load_file(wh, "campaigns", FIXTURES / "stores" / "campaigns.csv").rows_rejected == 0
    wh.dispose()
    return db


def table(at, column):
    return next(d.value for d in at.dataframe if column in getattr(d.value, "columns", []))


def test_the_store_page_scores_a_store_against_targets_and_peers(db, monkeypatch):
    # on DuckDB and on PostgreSQL: the page's own queries (peers, league, uplift) run on both
    db = store_db(db)
    at = app(db, monkeypatch, "pages/stores.py", **OCTOBER)
    assert not at.error and not at.exception
    # the first store: 上海店 (sorted), revenue 640 against 600
    got = cards(at)
    assert got["销售额"][0] == "¥640.00" and got["回款率"][0] == "80.0%" and got["QSC得分"][0] == "85.00分"
    assert any("达成 106.7%" in c.value for c in at.caption)
    # one month chosen: the trend is the 12 months to it — 上海店 sold in September (S10, S12) and October
    trend = next(json.loads(c.proto.spec) for c in at.get("plotly_chart") if "stores.trend" in c.proto.id)
    assert sorted(x for line in trend["data"] for x in line["x"]) == ["2026年10月", "2026年9月"]
    league = table(at, "目标达成率")
    assert list(league["门店"]) == ["上海店", "广州店"] and list(league["目标达成率"]) == ["106.7%", "50.0%"]
    peers = table(at, "同类中位数")
    assert "第1/2" in set(peers["排名"])
    # 广州店: opened 10-10 → ¥4.55 a day (100 / 22)
    at.selectbox(key="stores.store").select_index(1).run()
    assert cards(at)["店日均销售额"][0] == "¥4.55"
    # drill-through: the rows behind the QSC score of 广州店 (AU5)
    at.selectbox(key="stores.drill_kpi").select_index(
        list(at.selectbox(key="stores.drill_kpi").options).index("QSC得分")).run()
    rows = table(at, "audit_id")
    assert list(rows["audit_id"]) == ["AU5"]
    # the campaign across the month end: a chain-wide one, its method said
    assert any("提前 7 天" in c.value for c in at.caption)


def test_the_store_page_in_a_scope_and_in_english(tmp_path, monkeypatch):
    db = store_db(str(tmp_path / "stores.duckdb"))
    monkeypatch.setenv("CSDASH_SCOPE_REGIONS", "华南")
    at = app(db, monkeypatch, "pages/stores.py", **OCTOBER)
    assert not at.exception
    assert list(at.selectbox(key="stores.store").options) == ["广州店"]
    assert list(table(at, "目标达成率")["门店"]) == ["广州店"]
    monkeypatch.delenv("CSDASH_SCOPE_REGIONS")
    en = app(db, monkeypatch, "pages/stores.py", lang="en", **OCTOBER)
    assert not en.exception and not en.error
    assert "Revenue" in cards(en) and any(s.value == "Store league (by revenue attainment)" for s in en.subheader)


def test_the_store_page_without_store_data_says_what_to_import(fixture_db, monkeypatch):
    at = app(fixture_db, monkeypatch, "pages/stores.py", **OCTOBER)
    assert not at.exception
    # the fixture warehouse has orders of two stores but no master: the league shows, the master's fields do not
    assert any("不在门店档案" in c.value for c in at.caption)
