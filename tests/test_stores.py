"""Store operations (issue 20), counted by hand: the store scorecard against the store targets export,
the league table, peers, audit ranks, promotion uplift and the store master's authority — on the metric
fixtures (``fixtures/metrics``: 上海店 and 广州店, which opened on 10-10) and on ``fixtures/stores``
(four stores, one closing and one opening mid-month, a campaign across a month end), on DuckDB and
PostgreSQL."""
from __future__ import annotations

from datetime import date
import math

import pytest

from conftest import FIXTURES, shared_warehouse
from loaders import load_file
from metrics import Filters, Scope, compute
from metrics.stores import audit_ranks, campaigns, league, master, peers, scorecard, uplift, windows
from metrics.targets import load_targets, pick, store_targets
from test_metrics import load_metric_fixtures

S = FIXTURES / "stores"


@pytest.fixture(scope="module", params=["duckdb", "postgresql"])
def mwh(request, tmp_path_factory):
    wh = shared_warehouse(request, tmp_path_factory, load_metric_fixtures)
    yield wh
    wh.dispose()


def load_stores(wh):
    for kind in ("stores", "sales", "store_audits", "campaigns"):
        assert load_file(wh, kind, S / f"{kind}.csv").rows_rejected == 0, kind


@pytest.fixture(scope="module", params=["duckdb", "postgresql"])
def swh(request, tmp_path_factory):
    wh = shared_warehouse(request, tmp_path_factory, load_stores)
    yield wh
    wh.dispose()


def by(df, *keys):
    return {tuple(r[k] for k in keys) if len(keys) > 1 else r[keys[0]]: r for r in df.to_dict("records")}


# ------------------------------------------------------------------ the scorecard against its targets
def test_scorecard_against_the_store_targets_export(mwh):
    card = by(scorecard(mwh, "上海店", months=["2026-09", "2026-10", "2026-11"], scope=Scope.all()), "month", "kpi")
    # October: revenue S01 100 + S02 200 + S05 300 + S07 40 = 640 against 600 (store_targets.csv) → green, 640/600
    oct_rev = card[("2026-10", "revenue")]
    assert (oct_rev["value"], oct_rev["target"], oct_rev["status"]) == (640, 600, "green")
    assert oct_rev["attainment"] == pytest.approx(640 / 600)
    # collection: R1 800 of 1000 = 80 % against 90 % with the 2-point band → red
    assert card[("2026-10", "collection_rate")]["value"] == pytest.approx(0.8)
    assert card[("2026-10", "collection_rate")]["status"] == "red"
    # September's target (9999) holds in September only: 105 (S10 90 + S12 15) is red there, and November
    # (S06 60) has no target at all — a month-only target does not carry over as a standing one would
    assert (card[("2026-09", "revenue")]["value"], card[("2026-09", "revenue")]["target"]) == (105, 9999)
    assert card[("2026-11", "revenue")]["value"] == 60 and card[("2026-11", "revenue")]["status"] == "grey"
    # 广州店: revenue S03 30 + S09 70 = 100 against 200 → 50 %; stock-outs 1 of 2 SKU-days against 10 % (↓:
    # attainment target ÷ value = 0.2)
    gz = by(scorecard(mwh, "广州店", months=["2026-10"], scope=Scope.all()), "kpi")
    assert gz["revenue"]["attainment"] == pytest.approx(0.5) and gz["revenue"]["status"] == "red"
    assert gz["stockout_rate"]["value"] == pytest.approx(0.5) and gz["stockout_rate"]["attainment"] == pytest.approx(0.2)
    # opened 10-10: 22 open days → 100 / 22
    assert gz["revenue_per_open_day"]["value"] == pytest.approx(100 / 22)
    # outside the viewer's scope: nothing at all
    assert scorecard(mwh, "广州店", months=["2026-10"], scope=Scope.of(regions=["华东"])).empty


def test_a_month_only_store_target_wins_over_a_standing_one_that_month_only(mwh):
    targets = load_targets(mwh)
    assert pick(targets, "revenue", date(2026, 10, 1), {"store": "上海店"}).target == 600
    assert pick(targets, "revenue", date(2026, 11, 1), {"store": "上海店"}) is None


def test_league_table_ranks_by_revenue_attainment_within_the_scope(mwh):
    table = league(mwh, months=["2026-10"], scope=Scope.all())
    assert list(table["store"]) == ["上海店", "广州店"]
    assert list(table["status"]) == ["green", "red"]
    assert table["attainment"].tolist() == pytest.approx([640 / 600, 0.5])
    assert list(table["store_type"]) == ["社区店", "社区店"]
    south = league(mwh, months=["2026-10"], scope=Scope.of(regions=["华南"]))
    assert list(south["store"]) == ["广州店"] and list(south["rank"]) == [1]
    # a team's viewer sees their team's orders and complaints at a store, never the store's own figures
    team = league(mwh, months=["2026-10"], scope=Scope.of(teams=["售后一组"]))
    assert team[["audit_qsc_score", "inventory_turnover", "stockout_rate", "collection_rate"]].isna().all().all()


# ------------------------------------------------------------------ fixtures/stores
def test_the_store_master_decides_a_stores_region(swh):
    # 甲店's orders say 错区; the master says 华东: 甲 40+60+999+999+100+50 = 2248, 乙 200, 丙 160 (丁 cancelled)
    got = compute(swh, ["revenue"], months=["2026-10"], dims=("region",), scope=Scope.all())
    assert dict(zip(got["region"], got["value"])) == {"华东": 2608, "华南": 0}   # 丁店 by the master too
    assert compute(swh, ["revenue"], months=["2026-10"], scope=Scope.of(regions=["错区"])).empty


def test_open_days_of_stores_closing_and_opening_mid_month(swh):
    got = compute(swh, ["revenue_per_open_day", "revenue_per_sqm"], months=["2026-10"], dims=("store",),
                  scope=Scope.all())
    f = {(r.store, r.kpi): (r.value, r.numerator, r.denominator) for r in got.itertuples()}
    # 乙 closed 10-20: 20 days; 丙 opened 10-16: 16 days; 丁 open all month and sold nothing (cancelled): 0
    assert f[("乙店", "revenue_per_open_day")] == (10, 200, 20)
    assert f[("丙店", "revenue_per_open_day")] == (10, 160, 16)
    assert f[("丁店", "revenue_per_open_day")] == (0, 0, 31)
    assert f[("甲店", "revenue_per_open_day")][0] == pytest.approx(2248 / 31)
    # 丙's area-months: 50 m² × 16/31 → 160 × 31 / 800 = 6.2 per m² per month
    assert f[("丙店", "revenue_per_sqm")][0] == pytest.approx(6.2)


def test_peers_rank_over_every_peer_and_show_only_the_viewers_store(swh):
    # 社区店 / A: 甲 2248/31 = 72.5, 乙 10, 丙 10 → 乙 shares rank 2 of 3 with 丙; median 10
    p = by(peers(swh, "乙店", months=["2026-10"], scope=Scope.of(stores=["乙店"])), "kpi")
    row = p["revenue_per_open_day"]
    assert (row["rank"], row["of"], row["median"]) == (2, 3, 10)
    assert row["best"] == pytest.approx(2248 / 31)
    # category standard: 甲 90, 乙 80, 丙 90 → 乙 third
    assert (p["audit_category_score"]["rank"], p["audit_category_score"]["of"]) == (3, 3)
    assert peers(swh, "乙店", months=["2026-10"], scope=Scope.of(stores=["甲店"])).empty


def test_audit_ranks_within_region_and_category(swh):
    ranks = audit_ranks(swh, months=["2026-10"], scope=Scope.all())
    cat = ranks[ranks["kpi"] == "audit_category_score"]
    got = {(r.region, r.category, r.store): (r.value, r.rank, r.of) for r in cat.itertuples()}
    assert got == {("华东", "生鲜", "甲店"): (90, 1, 3), ("华东", "生鲜", "丙店"): (90, 1, 3),
                   ("华东", "生鲜", "乙店"): (80, 3, 3), ("华东", "日化", "乙店"): (70, 1, 1),
                   ("华南", "生鲜", "丁店"): (60, 1, 1)}
    mine = audit_ranks(swh, months=["2026-10"], scope=Scope.of(stores=["乙店"]))
    assert sorted(zip(mine["category"], mine["rank"], mine["of"])) == [("日化", 1, 1), ("生鲜", 3, 3)]


def test_promotion_uplift_across_a_month_end(swh):
    w = windows(date(2026, 10, 30), date(2026, 11, 2))
    # 4 days → baseline one week earlier: 10-23 … 10-26, the same weekdays
    assert (w.base_starts, w.base_ends, w.days, w.shift_days) == (date(2026, 10, 23), date(2026, 10, 26), 4, 7)
    assert windows(date(2026, 10, 1), date(2026, 10, 10)).shift_days == 14   # 10 days → two weeks back
    got = uplift(swh, starts=date(2026, 10, 30), ends=date(2026, 11, 2), scope=Scope.all())
    # window T05 100 (10-30 00:00:00) + T06 50 + T07 30 + T08 20 = 200 (T04 10-29 23:59:59 and T09 11-03 are
    # outside); baseline T01 40 + T02 60 = 100 (T03 10-27 is outside) → +100 %; orders 4 against 2
    assert (got["revenue"], got["base_revenue"], got["revenue_uplift"]) == (200, 100, 1.0)
    assert (got["orders"], got["base_orders"], got["orders_uplift"]) == (4, 2, 1.0)
    assert list(got["daily"]["revenue"]) == [100, 50, 30, 20]
    # in a scope without those sales: no baseline → no uplift (not infinite)
    none = uplift(swh, starts=date(2026, 10, 30), ends=date(2026, 11, 2), scope=Scope.of(regions=["华南"]))
    assert none["revenue"] == 0 and math.isnan(none["revenue_uplift"])


def test_campaigns_the_viewer_may_see(swh):
    assert list(campaigns(swh, scope=Scope.all())["campaign"]) == ["跨月促销", "华南周末"]
    assert list(campaigns(swh, scope=Scope.of(regions=["华东"]))["campaign"]) == ["跨月促销"]
    assert list(campaigns(swh, scope=Scope.of(regions=["华南"]))["campaign"]) == ["跨月促销", "华南周末"]


def test_master_is_scoped(swh):
    assert list(master(swh, scope=Scope.of(regions=["华南"]))["store"]) == ["丁店"]
    assert master(swh, scope=Scope.of(teams=["x"])).empty
    assert len(master(swh, scope=Scope.all(), filters=Filters.of(region=["华东"]))) == 3


def test_store_targets_refuse_what_cannot_be_a_target(wh):
    load_stores(wh)
    report = load_file(wh, "store_targets", S / "store_targets.csv")
    # "abc" is no number; 不存在的指标 is no KPI: both rejected with the reason, the other two loaded
    assert (report.rows_inserted, report.rows_rejected) == (2, 2)
    targets, problems = store_targets(wh)
    # 150 % for a rate is out of range: named where the targets are used, not silently dropped
    assert [(t.kpi, t.scope_value, t.target) for t in targets] == [("answer_within_3_rings_rate", "乙店", 0.9)]
    assert len(problems) == 1 and "甲店" in problems[0].render("zh") and "1.5" in problems[0].render("zh")
