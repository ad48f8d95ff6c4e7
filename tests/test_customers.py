"""Customer KPIs and views (issue 20, point 4), counted by hand on the metric fixtures' orders, on
DuckDB and PostgreSQL.  Paid orders with a customer: K1 S12 09-30 23:59:59 (15, 上海店), S01 10-11
23:59:59 (100, 金卡), S07 10-20 10:00 (40); K2 S10 09-05 10:00 (90), S02 10-12 00:00:00 (200); K3 S03
10-10 09:00 (30 net, 广州店); K4 S05 10-10 13:30 (300); K5 S06 11-01 10:00 (60).  October ends at
11-01 00:00:00."""
from __future__ import annotations

from datetime import date
import math

import pytest

from conftest import shared_warehouse
from metrics import Scope, compute
from metrics.customers import LIST_COLUMNS, campaign_response, lists, migration, tiers, pareto, rfm, rfm_cells, segment_grid, segments
from metrics.settings import load_settings, with_overrides
from test_metrics import load_metric_fixtures


@pytest.fixture(scope="module", params=["duckdb", "postgresql"])
def mwh(request, tmp_path_factory):
    wh = shared_warehouse(request, tmp_path_factory, load_metric_fixtures)
    yield wh
    wh.dispose()


def fig(wh, kpi, month="2026-10", dims=(), scope=Scope.all(), **settings):
    s = with_overrides(load_settings(wh), **settings) if settings else None
    got = compute(wh, [kpi], months=[month], dims=dims, scope=scope, settings=s)
    if dims:
        return {tuple(getattr(r, d) for d in dims): (r.value, r.numerator, r.denominator) for r in got.itertuples()}
    r = got.iloc[0]
    return r["value"], r["numerator"], r["denominator"]


def same(got, want):
    return all((math.isnan(a) and math.isnan(b)) if isinstance(b, float) and math.isnan(b) else a == pytest.approx(b)
               for a, b in zip(got, want))


def test_dormant_and_churned_on_the_second(mwh):
    # dormant after 20 days, churned after 25, at 11-01 00:00: K3 (10-10 09:00) and K4 (10-10 13:30) are 21.6
    # and 21.4 days quiet → dormant; K2's last order 10-12 00:00:00 is exactly 20 days → not yet
    assert same(fig(mwh, "dormant_customers", dormant_days=20, churn_days=25), (2, 2, math.nan))
    assert same(fig(mwh, "churned_customers", dormant_days=20, churn_days=25), (0, 0, math.nan))
    # churned after 21 days: K3 and K4 (before 10-11 00:00) have churned; K2 still not dormant
    assert same(fig(mwh, "churned_customers", dormant_days=20, churn_days=21), (2, 2, math.nan))
    assert same(fig(mwh, "dormant_customers", dormant_days=20, churn_days=21), (0, 0, math.nan))


def test_reactivation_and_rescue(mwh):
    # at 10-01 00:00, K2's last order (09-05 10:00) is 25.6 days old: dormant when churn is 30 days, churned
    # when it is 25; K2 bought on 10-12 → reactivated / rescued (K1 bought 09-30 23:59:59: active)
    assert same(fig(mwh, "reactivation_rate", dormant_days=20, churn_days=30), (1, 1, 1))
    assert same(fig(mwh, "rescue_rate", dormant_days=20, churn_days=30), (math.nan, 0, 0))
    assert same(fig(mwh, "rescue_rate", dormant_days=20, churn_days=25), (1, 1, 1))
    # a campaign over October: K2 was dormant at its start and bought in it
    s = with_overrides(load_settings(mwh), dormant_days=20, churn_days=30)
    got = campaign_response(mwh, starts=date(2026, 10, 1), ends=date(2026, 10, 31), scope=Scope.all(), settings=s)
    assert (got["dormant"], got["dormant_bought"], got["dormant_rate"], got["churned"]) == (1, 1, 1.0, 0)


def test_returning_customers_month_on_month(mwh):
    # November: October's buyers K1–K4, none bought in November (K5 is new) → 0 / 4
    assert same(fig(mwh, "returning_customer_rate", month="2026-11"), (0, 0, 4))
    # by store: 上海店's September buyers K1 K2 came back; 广州店 had none in September
    by_store = fig(mwh, "returning_customer_rate", dims=("store",))
    assert same(by_store[("上海店",)], (1, 2, 2))


def test_new_to_returning_counted_in_the_month_the_window_ends(mwh):
    # 11 days: K1's window 09-30 23:59:59 → 10-11 23:59:59 and the second order at 10-11 23:59:59 (on the
    # boundary: returned); K3 (→ 10-21 09:00) and K4 (→ 10-21 13:30) did not come back
    assert same(fig(mwh, "new_to_returning_rate", returning_days=11), (1 / 3, 1, 3))
    # 10 days: K1's window closed one second before the order
    assert same(fig(mwh, "new_to_returning_rate", returning_days=10), (0, 0, 3))
    # 30 days: K3 K4's windows end in November, neither returned
    assert same(fig(mwh, "new_to_returning_rate", month="2026-11"), (0, 0, 2))


def test_scope_decides_whose_customers(mwh):
    assert same(fig(mwh, "dormant_customers", scope=Scope.of(regions=["华南"]), dormant_days=20, churn_days=25),
                (1, 1, math.nan))   # K3 only
    assert compute(mwh, ["dormant_customers"], months=["2026-10"], scope=Scope.of(regions=[])).empty


def test_rfm_scores_on_their_bin_edges(mwh):
    s = with_overrides(load_settings(mwh), rfm_recency_days="12,20,21,22", rfm_frequency="2,3,4,5",
                       rfm_monetary="100,200,250,300")
    table = rfm(mwh, months=["2026-10"], scope=Scope.all(), settings=s).set_index("customer_id")
    # recency to 11-01 00:00: K1 11.6 d → 5; K2 exactly 20 d → 4 (an edge belongs to the better score);
    # K3 21.6 and K4 21.4 → 2.  Orders: K1 2 → 2, others 1.  Revenue: K1 140 → 2, K2 200 → 3 (an edge
    # reached scores up), K3 30 → 1, K4 300 → 5
    assert table.loc["K2", "recency_days"] == pytest.approx(20)
    assert dict(table["code"]) == {"K1": "522", "K2": "413", "K3": "211", "K4": "215"}
    assert dict(table["segment"]) == {"K1": "general_develop", "K2": "important_develop",
                                      "K3": "general_retain", "K4": "important_retain"}
    # the page's cells (counted in the warehouse, by the same scoring) agree with the customers' table
    cells = rfm_cells(mwh, months=["2026-10"], scope=Scope.all(), settings=s)
    assert sorted(zip(cells["r"], cells["f"], cells["m"], cells["customers"])) == [
        (2, 1, 1, 1), (2, 1, 5, 1), (4, 1, 3, 1), (5, 2, 2, 1)]
    grid = segment_grid(cells)
    assert grid.loc[2, 1] == 2 and grid.loc[5, 2] == 1 and grid.loc[4, 1] == 1 and int(grid.to_numpy().sum()) == 4
    seg = segments(cells).set_index("segment")
    assert seg.loc["important_retain", "share"] == pytest.approx(300 / 670)
    assert seg.loc["important_retain", "customers"] == 1 and int(seg["customers"].sum()) == 4
    # 80/20: 4 customers → the top ⌈0.8⌉ = 1 (K4, 300) of 670; the curve: K4 300, K2 200, K1 140, K3 30
    got = pareto(mwh, months=["2026-10"], scope=Scope.all(), settings=s)
    assert got.top_share == pytest.approx(300 / 670) and got.customers == 4
    assert got.curve["revenue_share"].tolist() == pytest.approx([300 / 670, 500 / 670, 640 / 670, 1])
    assert got.curve["customer_share"].tolist() == pytest.approx([0.25, 0.5, 0.75, 1])
    # in a region: 华南 has K3 only → its one customer is the top 20 %
    south = pareto(mwh, months=["2026-10"], scope=Scope.of(regions=["华南"]), settings=s)
    assert (south.customers, south.top_share) == (1, 1.0)
    # customers without an id are not customers: S09 (70) is in no row
    assert set(table.index) == {"K1", "K2", "K3", "K4"}


def test_member_level_migration(mwh):
    # bought in September and October: K1 (September: no level; October's last order S07: no level) and K2
    # K2: September S10, October S02 — neither with a level.  K1's October level is that of its last
    # October order (S07 10-20, no level), not S01's 金卡 (10-11)
    m = migration(mwh, month="2026-10", scope=Scope.all())
    assert int(m.to_numpy().sum()) == 2 and m.loc["—", "—"] == 2
    # in 华南 nobody bought in both months
    assert migration(mwh, month="2026-10", scope=Scope.of(regions=["华南"])).empty


# contacts with phones (the metric fixtures' tickets have none): K4 and K2 in 华东; K3's only contact is
# in 华东 too, so a 华南 viewer, who sees K3 in the list, does not see that phone
PHONES = """工单编号,来电时间,渠道,呼叫类型,业务类型,问题分类,座席工号,班组,区域,门店,客户编号,客户电话
Q90,2026-10-15 10:00:00,在线,,售前,售前/咨询,P1,售前一组,华东,上海店,K4,13812345678
Q91,2026-10-16 10:00:00,在线,,售前,售前/咨询,P1,售前一组,华东,上海店,K2,13987654321
Q92,2026-10-17 10:00:00,在线,,售前,售前/咨询,P1,售前一组,华东,上海店,K3,13700001111
"""


def test_lists_mask_phones_and_follow_the_scope(mwh, tmp_path):
    from loaders import load_file

    (tmp_path / "phones.csv").write_text(PHONES, encoding="utf-8")
    assert load_file(mwh, "tickets", tmp_path / "phones.csv").rows_rejected == 0
    s = with_overrides(load_settings(mwh), dormant_days=20, churn_days=25)
    got = lists(mwh, month="2026-10", scope=Scope.all(), settings=s, phones=True)
    assert sorted(got.dormant["customer_id"]) == ["K3", "K4"] and got.churned.empty
    # the whole lists' sizes; the top list: K1–K4 paid in the 12 months (K5 in November, K6 refunded
    # in full is a paid order of 0 net, S09 has no customer)
    assert got.sizes == {"dormant": 2, "churned": 0, "top": 4}
    assert list(got.top["customer_id"])[:2] == ["K4", "K2"]      # 300, 200 over the 12 months
    assert list(got.top.columns) == LIST_COLUMNS
    assert dict(zip(got.top["customer_id"], got.top["customer_phone"].fillna("-"))) == {
        "K4": "138****5678", "K2": "139****4321", "K3": "137****1111", "K1": "-"}
    # without phones (the page): the same rows, no phone column
    plain = lists(mwh, month="2026-10", scope=Scope.all(), settings=s)
    assert "customer_phone" not in plain.top and list(plain.top["customer_id"]) == list(got.top["customer_id"])
    south = lists(mwh, month="2026-10", scope=Scope.of(regions=["华南"]), settings=s, phones=True)
    assert list(south.dormant["customer_id"]) == ["K3"] and south.dormant["customer_phone"].isna().all()


def test_lists_are_cut_in_the_warehouse_to_the_most_valuable(mwh):
    s = with_overrides(load_settings(mwh), dormant_days=20, churn_days=25)
    got = lists(mwh, month="2026-10", scope=Scope.all(), settings=s, top_n=1)
    # dormant K3 (30) and K4 (300): the one listed is K4; the top customer overall is K4 as well
    assert list(got.dormant["customer_id"]) == ["K4"] and list(got.top["customer_id"]) == ["K4"]
    assert got.sizes["dormant"] == 2     # the whole list's size, though one is listed
    assert got.dormant["revenue_12m"].tolist() == [300] and got.dormant["orders_12m"].tolist() == [1]


@pytest.mark.parametrize("scope", [Scope.all(), Scope.of(regions=["华南"])])
def test_tier_growth_is_the_buyers_kpi_by_member_level(mwh, scope):
    # September: K1 (S12) and K2 (S10), no level.  October: K1 (S01 金卡, S07 none) is a buyer of both
    # levels, K2 and K4 none, K3 银卡 (S03) → 金卡 1, 银卡 1, none 3
    got = tiers(mwh, months=["2026-09", "2026-10"], scope=scope)
    kpi = compute(mwh, ["buyers"], months=["2026-09", "2026-10"], dims=("month", "member_level"), scope=scope)
    assert [(r.month, r.member_level, r.n) for r in got.itertuples()] == [
        (r.month, r.member_level, int(r.value)) for r in kpi.sort_values(["month", "member_level"], na_position="last").itertuples()]
    if scope.is_all:
        shown = {(m, lv if isinstance(lv, str) else None): n for m, lv, n in zip(got["month"], got["member_level"], got["n"])}
        assert shown == {("2026-09", None): 2, ("2026-10", "金卡"): 1, ("2026-10", "银卡"): 1, ("2026-10", None): 3}
